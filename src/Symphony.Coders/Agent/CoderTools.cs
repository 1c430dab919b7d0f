using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.SemanticKernel;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Rules;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;

namespace Symphony.Coders.Agent;

/// <summary>
/// The coder's tools as a Kernel plugin, the way an expert coder works: look a phrase up
/// (<c>search</c>), read a code's place in the tabular list (<c>explore</c>), read the rules that
/// govern it (<c>guidelines</c>), check a code set (<c>verify</c>), and see what the embedded coder
/// proposes (<c>candidates</c>). One instance per note; the answers carry codes and quotes from
/// the note, never more of the note than the model already has.
/// </summary>
public sealed class CoderTools(Coder coder, string note, CodingOptions options)
{
    public const string PluginName = "coder";
    const int MaxResults = 15;

    static readonly ConditionalWeakTable<CodeSystemVersion, CompiledCodeSystem> Compiled = new();
    readonly CodeSetVerifier _verifier = new(coder);
    readonly ConcurrentQueue<string> _calls = new();
    CodingResult? _candidates;

    /// <summary>The tools called so far, in order (names only).</summary>
    public IReadOnlyCollection<string> Calls => _calls;

    /// <summary>The embedded coder's result for the note, computed once.</summary>
    public CodingResult Candidates => _candidates ??= coder.Code(note, options);

    public sealed record Hit(string Code, string Display, bool Billable, string Source);

    [KernelFunction("search")]
    [Description("Finds ICD-10-CM diagnosis and ICD-10-PCS procedure codes for a clinical phrase (as written in the note) or a code prefix: the coder's lexicon of index and tabular terms, then a text search of code titles. Best first.")]
    public string Search([Description("A clinical phrase such as 'type 2 diabetes with kidney disease', or a code prefix such as 'E11'")] string phrase)
    {
        _calls.Enqueue("search");
        var hits = new List<Hit>();
        if (string.IsNullOrWhiteSpace(phrase)) return Reply(hits);
        foreach (var hit in coder.Search(phrase, options.Language))
            hits.Add(new Hit(hit.Code, hit.Display, _verifier.Check(hit.Code) is null, $"lexicon ({hit.Source.ToString().ToLowerInvariant()}): {hit.Term}"));
        foreach (var release in new[] { coder.Icd10Cm, coder.Icd10Pcs }.OfType<CodeSystemVersion>())
        {
            var compiled = Compiled.GetValue(release, r => new CompiledCodeSystem(r));
            foreach (var (id, _) in compiled.Search(phrase, id => compiled.Concepts[id].Kind is not ("chapter" or "section")).Take(MaxResults))
            {
                var concept = compiled.Concepts[id];
                hits.Add(new Hit(concept.Code, concept.Display, concept.IsBillable, "title"));
            }
        }
        return Reply(hits.DistinctBy(h => h.Code).Take(MaxResults).ToList());
    }

    public sealed record Related(string Code, string Display, bool Billable);
    public sealed record Exploration(
        string Code, string Display, string Kind, bool Billable, string Release,
        Related? Parent, IReadOnlyList<Related> Children, IReadOnlyList<string> InclusionTerms,
        IReadOnlyDictionary<string, string>? SeventhCharacters, string? Error);

    [KernelFunction("explore")]
    [Description("Shows a code's place in the tabular list: title, whether it is billable, its parent, its children (to descend to a billable code), its inclusion terms and its 7th-character values.")]
    public string Explore([Description("An ICD-10-CM or ICD-10-PCS code, e.g. 'E11' or 'E11.22'")] string code)
    {
        _calls.Enqueue("explore");
        if (_verifier.Resolve(code) is not { } resolved)
            return Reply(new Exploration(code, "", "", false, _verifier.Releases, null, [], [], null, $"{code} is not a code of {_verifier.Releases}; use search."));
        var details = coder.Explore(resolved.Concept.Code, resolved.System)!;
        return Reply(new Exploration(
            details.Code, details.Display, resolved.Concept.Kind, details.IsBillable, $"{resolved.Release.Name} {resolved.Release.Version}",
            details.Ancestors.Select(a => new Related(a.Code, a.Display, resolved.Release.Find(a.Code)?.IsBillable ?? false)).FirstOrDefault(),
            details.Children.Take(60).Select(c => new Related(c.Code, c.Display, resolved.Release.Find(c.Code)?.IsBillable ?? false)).ToList(),
            details.Notes.Where(n => n.Kind == NoteKind.InclusionTerm).Select(n => n.Text).ToList(),
            details.SeventhCharacters?.ToDictionary(p => p.Key.ToString(), p => p.Value),
            null));
    }

    public sealed record Rule(string From, string Kind, string Text);
    public sealed record Guidance(string Subject, IReadOnlyList<Rule> TabularNotes, IReadOnlyList<string> Combinations, IReadOnlyList<string> Conventions);

    [KernelFunction("guidelines")]
    [Description("The rules that apply to a code or chapter: its tabular notes and those inherited from its category, section and chapter (Excludes1, Excludes2, code first, use additional code, code also), the combination codes it takes part in, and the general coding conventions for this encounter.")]
    public string Guidelines([Description("A code, category or section range, e.g. 'I10', 'E11.2' or 'E08-E13'")] string codeOrChapter)
    {
        _calls.Enqueue("guidelines");
        var notes = new List<Rule>();
        var combinations = new List<string>();
        if ((_verifier.Resolve(codeOrChapter) ?? ResolveHeading(codeOrChapter)) is { } resolved)
        {
            for (var c = resolved.Concept; c is not null; c = c.ParentCode is { } p ? resolved.Release.Find(p) : null)
                foreach (var note in c.Notes.Where(n => n.Kind != NoteKind.InclusionTerm))
                    notes.Add(new Rule(c.Code, note.Kind.ToString(), note.Text));
            var code = resolved.Concept.Code;
            combinations.AddRange(CombinationRule.All
                .Where(r => r.MatchesFirst(code) || r.MatchesSecond(code) || r.Combined.StartsWith(code, StringComparison.Ordinal))
                .Select(r => $"{r.First}* with {r.Second}* is coded {r.Combined} ({r.Name}){(r.KeepSecond ? $", keeping {r.Second}* as an additional code" : "")}"));
        }
        return Reply(new Guidance(codeOrChapter, notes.Take(60).ToList(), combinations, Conventions(options.Setting)));
    }

    ResolvedCode? ResolveHeading(string text) =>
        coder.Icd10Cm is { } cm && cm.Find(text.Trim().ToUpperInvariant()) is { } heading ? new ResolvedCode(CodeSystems.Icd10Cm, cm, heading) : null;

    public sealed record Verdict(bool Passed, IReadOnlyList<Conflict> Conflicts, IReadOnlyList<string> Suggestions);

    [KernelFunction("verify")]
    [Description("Runs the coding rules on a proposed code set and returns the conflicts: unknown codes, codes that are not billable (with a billable code below), Excludes1 pairs; and suggestions such as combination codes. Call it on your final code set before answering.")]
    public string Verify([Description("The proposed codes, e.g. ['E11.9', 'I10']")] string[] codes)
    {
        _calls.Enqueue("verify");
        var conflicts = _verifier.Verify(codes);
        return Reply(new Verdict(conflicts.Count == 0, conflicts, _verifier.Suggestions(codes)));
    }

    public sealed record Proposal(string Code, string Display, double Confidence, IReadOnlyList<string> Quotes, IReadOnlyList<string> Rules);
    public sealed record Considered(string Code, string Reason, string? Quote);
    public sealed record Proposals(IReadOnlyList<Proposal> Codes, IReadOnlyList<Considered> Rejected);

    [KernelFunction("candidates")]
    [Description("The embedded rule-based coder's proposals for this note: each code with its evidence quotes and the rules that fired, and the candidates it rejected with the reason (negated, uncertain, Excludes1...).")]
    public string GetCandidates()
    {
        _calls.Enqueue("candidates");
        return Reply(Summarise(Candidates));
    }

    public static Proposals Summarise(CodingResult result) => new(
        result.Codes.Select(c => new Proposal(c.Code, c.Display, c.Confidence, c.Spans.Select(s => s.Text).Distinct().ToList(), c.Rules)).ToList(),
        result.Rejected.DistinctBy(r => (r.Code, r.Reason)).Take(40).Select(r => new Considered(r.Code, r.Reason, r.Spans.FirstOrDefault()?.Text)).ToList());

    /// <summary>Tool results as the camelCase JSON models are used to, enums as names.</summary>
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    static string Reply<T>(T value) => JsonSerializer.Serialize(value, Json);

    static IReadOnlyList<string> Conventions(CareSetting setting) =>
    [
        "Report only billable codes: descend from a category to the most specific code the note supports.",
        "Code conditions the note affirms for this encounter; do not code negated conditions, family history, or hypothetical mentions.",
        setting == CareSetting.Inpatient
            ? "Inpatient encounter: a diagnosis documented as probable, suspected or likely is coded as if established."
            : "Outpatient encounter: do not code probable, suspected or rule-out diagnoses; code the signs and symptoms instead.",
        "Excludes1: the two conditions are never coded together. Excludes2: both may be coded when both are present.",
        "Use a combination code when the classification has one (e.g. diabetes with a complication, hypertension with heart or kidney disease).",
        "Code first / use additional code notes fix the order and pairing of etiology and manifestation codes.",
    ];
}
