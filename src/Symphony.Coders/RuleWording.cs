using System.Text.RegularExpressions;

namespace Symphony.Coders;

/// <summary>
/// The coder's rule names (<see cref="CodedConcept.Rules"/>, e.g. "combination:hypertension-with-ckd (I10 + N18.3 → I12.9)")
/// in the words a coder reads ("combined I10 and N18.3 into I12.9: hypertension with ckd"), for written Conditions and answers.
/// A rule with no wording here is already in words ("uncertain diagnosis coded as established (inpatient)").
/// </summary>
public static class RuleWording
{
    static readonly (Regex Pattern, string Words)[] Wordings =
    [
        (new(@"^matched:sitelexicon '(?<t>.*)'$"), "matched the site's phrase '${t}'"),
        (new(@"^matched:synonym '(?<t>.*)'$"), "matched the clinical synonym '${t}'"),
        (new(@"^matched:description '(?<t>.*)'$"), "matched the code title '${t}'"),
        (new(@"^matched:inclusionterm '(?<t>.*)'$"), "matched the inclusion term '${t}'"),
        (new(@"^matched:indexterm '(?<t>.*)'$"), "matched the index entry '${t}'"),
        (new(@"^matched:noteterm '(?<t>.*)'$"), "matched the tabular note term '${t}'"),
        (new(@"^matched:categoryhead '(?<t>.*)'$"), "matched the category title '${t}'"),
        (new(@"^matched:procedurename '(?<t>.*)'$"), "matched the procedure name '${t}'"),
        (new(@"^combination:(?<n>\S+) \((?<a>\S+) \+ (?<b>\S+) → (?<c>\S+)\)$"), "combined ${a} and ${b} into ${c} (${n})"),
        (new(@"^use-additional-code with (?<c>\S+) \((?<n>\S+)\)$"), "kept beside ${c} as its additional code (${n})"),
        (new(@"^use-additional-code:(?<c>\S+)$"), "use additional code ${c} (tabular note)"),
        (new(@"^code-first:(?<c>\S+)$"), "code first ${c} (tabular note)"),
        (new(@"^code-also:(?<c>\S+)$"), "code also ${c} (tabular note)"),
        (new(@"^excludes1:kept over (?<c>\S+)$"), "Excludes1 with ${c}: kept, ${c} dropped"),
        (new(@"^specificity:unspecified-child:(?<a>\S+)→(?<b>\S+)$"), "the note names category ${a} only: its default code ${b}"),
        (new(@"^specificity:(?<a>\S+)→(?<b>\S+) \(more specific\)$"), "${b} is more specific than ${a}, which the note also supports"),
        (new(@"^seventh-character:(?<x>\S) \((?<e>[^)]*)\)$"), "7th character ${x} (${e})"),
        (new(@"^laterality:(?<a>\S+)→(?<b>\S+) \((?<s>[^)]*)\)$"), "side stated (${s}): ${a} → ${b}"),
        (new(@"^personal-history:(?<a>\S+) → (?<b>\S+) \((?<t>.*)\)$"), "past condition ${a} reported as personal history ${b} (${t})"),
        (new(@"^family-history:(?<a>\S+) → (?<b>\S+) \((?<t>.*)\)$"), "a relative's condition ${a} reported as family history ${b} (${t})"),
    ];

    /// <summary>The coder reported a past condition with its personal-history code (Z85–Z87, I25.2 …): the condition itself is resolved.</summary>
    public static bool ReportsPastCondition(CodedConcept code) => code.Rules.Any(r => r.StartsWith("personal-history:", StringComparison.Ordinal));

    /// <summary>The code is a combination code the coder made from two codes the note supports (I10 + N18.30 → I12.9).</summary>
    public static bool IsCombination(CodedConcept code) => code.Rules.Any(r => r.StartsWith("combination:", StringComparison.Ordinal));

    /// <summary>The coder reported a relative's condition with its family-history code (Z80–Z84).</summary>
    public static bool ReportsFamilyCondition(CodedConcept code) => code.Rules.Any(r => r.StartsWith("family-history:", StringComparison.Ordinal));

    /// <summary>The rule in a coder's words; hyphenated rule names read with spaces ("hypertension-with-ckd" → "hypertension with ckd").</summary>
    public static string Describe(string rule)
    {
        foreach (var (pattern, words) in Wordings)
        {
            var match = pattern.Match(rule);
            if (!match.Success) continue;
            var text = match.Result(words);
            return match.Groups["n"].Success ? text.Replace($"({match.Groups["n"].Value})", $"({match.Groups["n"].Value.Replace('-', ' ')})", StringComparison.Ordinal) : text;
        }
        return rule;
    }
}
