using Symphony.Coders.Lexicon;
using Symphony.Coders.Rules;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Agent;

/// <summary>Why a proposed code cannot be reported as it stands.</summary>
public enum ConflictKind
{
    UnknownCode,
    NotBillable,
    Excludes1,
}

public sealed record Conflict(string Code, ConflictKind Kind, string Message);

/// <summary>A code found in a loaded release: the system it belongs to and the concept.</summary>
public sealed record ResolvedCode(string System, CodeSystemVersion Release, Concept Concept);

/// <summary>
/// The checks a proposed code set must pass before it is reported: each code exists in the release
/// in force and is billable, and no two codes are an Excludes1 pair. Used by the <c>verify</c> tool
/// (so the model sees the same verdict) and by the evidence guard (so the verdict is enforced).
/// </summary>
public sealed class CodeSetVerifier(Coder coder)
{
    /// <summary>
    /// The concept for a code as a model may write it: any case, with or without the ICD-10-CM dot.
    /// ICD-10-CM is tried first, then ICD-10-PCS.
    /// </summary>
    public ResolvedCode? Resolve(string code)
    {
        var plain = code.Trim().TrimEnd('.', '-').ToUpperInvariant();
        if (plain.Length == 0) return null;
        if (coder.Icd10Cm is { } cm)
        {
            var dotted = !plain.Contains('.') && plain.Length > 3 ? plain[..3] + "." + plain[3..] : plain;
            if ((cm.Find(plain) ?? cm.Find(dotted)) is { } concept && concept.Kind is not ("chapter" or "section"))
                return new ResolvedCode(CodeSystems.Icd10Cm, cm, concept);
        }
        if (coder.Icd10Pcs?.Find(plain.Replace(".", "")) is { } procedure)
            return new ResolvedCode(CodeSystems.Icd10Pcs, coder.Icd10Pcs, procedure);
        return null;
    }

    public string Releases =>
        string.Join(" or ", new[] { coder.Icd10Cm is { } cm ? $"ICD-10-CM {cm.Version}" : null, coder.Icd10Pcs is { } pcs ? $"ICD-10-PCS {pcs.Version}" : null }.OfType<string>());

    /// <summary>The problem with one code on its own, or null when it may be reported.</summary>
    public Conflict? Check(string code)
    {
        if (Resolve(code) is not { } resolved)
            return new Conflict(code, ConflictKind.UnknownCode, $"{code} is not a code of {Releases}");
        var concept = resolved.Concept;
        if (concept.IsBillable) return null;
        var example = BillableExample(resolved.Release, concept);
        return new Conflict(concept.Code, ConflictKind.NotBillable,
            $"{concept.Code} is a {concept.Kind} heading in {Name(resolved)}, not billable{(example is null ? "" : $"; a billable code below it is {example.Code} ({example.Display})")}");
    }

    /// <summary>Every conflict in the set, in the order given: a code's own problems, then Excludes1 with an earlier code (the later code is the one in conflict).</summary>
    public List<Conflict> Verify(IEnumerable<string> codes)
    {
        var conflicts = new List<Conflict>();
        var kept = new List<string>();
        foreach (var code in codes)
        {
            if (Check(code) is { } own) { conflicts.Add(own); continue; }
            var resolved = Resolve(code)!;
            if (resolved.System == CodeSystems.Icd10Cm && coder.Notes is { } notes
                && kept.FirstOrDefault(k => notes.Excludes1(k, resolved.Concept.Code)) is { } earlier)
            {
                conflicts.Add(new Conflict(resolved.Concept.Code, ConflictKind.Excludes1, $"Excludes1 with {earlier}: the two are never coded together"));
                continue;
            }
            if (!kept.Contains(resolved.Concept.Code)) kept.Add(resolved.Concept.Code);
        }
        return conflicts;
    }

    /// <summary>Combination codes the set should use instead of its parts (e.g. E11.9 + N18.3 → E11.22).</summary>
    public List<string> Suggestions(IEnumerable<string> codes)
    {
        var diagnoses = codes.Select(Resolve).Where(r => r?.System == CodeSystems.Icd10Cm).Select(r => r!.Concept.Code).Distinct().ToList();
        var suggestions = new List<string>();
        if (CombinationRule.FindApplicable(diagnoses) is { } found)
            suggestions.Add($"{found.First} with {found.Second}: the classification combines them as {found.Rule.Combined} ({found.Rule.Name})");
        // The coder's own review adds the pairing instructions ("code first", "use additional code") still open.
        if (diagnoses.Count > 0)
            suggestions.AddRange(coder.Verify(diagnoses).Where(i => i.Kind is "code-first" or "use-additional-code").Select(i => i.Message));
        return suggestions;
    }

    static string Name(ResolvedCode resolved) => $"{(resolved.System == CodeSystems.Icd10Pcs ? "ICD-10-PCS" : "ICD-10-CM")} {resolved.Release.Version}";

    static Concept? BillableExample(CodeSystemVersion release, Concept concept)
    {
        var queue = new Queue<Concept>([concept]);
        while (queue.Count > 0)
        {
            var next = queue.Dequeue();
            if (next.IsBillable) return next;
            foreach (var child in next.Children)
                if (release.Find(child) is { } c) queue.Enqueue(c);
        }
        return null;
    }
}
