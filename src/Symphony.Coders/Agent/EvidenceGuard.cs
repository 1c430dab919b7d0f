using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Agent;

/// <summary>
/// What a model's answer must pass before any of it is reported: each code exists and is billable
/// in the release in force, carries a quote found in the note (located by us), is not negated or
/// otherwise excluded by the sentence it is quoted from, and the set passes <see cref="CodeSetVerifier"/>.
/// Whatever fails becomes a rejected candidate with the reason.
/// </summary>
public sealed class EvidenceGuard(Coder coder, CodingOptions options)
{
    /// <summary>Confidence of a code only the model found; agreement with the embedded coder raises it.</summary>
    public const double ModelOnlyConfidence = 0.7;
    const int MaxReasonLength = 300;

    readonly CodeSetVerifier _verifier = new(coder);

    /// <param name="proposed">The embedded coder's codes the model was asked to adjudicate (hybrid), else empty.</param>
    public CodingResult Apply(string note, AgentAnswer answer, string model, CodingResult? embedded, IReadOnlyList<CodedConcept> proposed)
    {
        var accepted = new List<CodedConcept>();
        var rejected = new List<RejectedCandidate>();
        TokenizedText? tokens = null;
        foreach (var answered in answer.Codes.DistinctBy(c => c.Code.Trim().ToUpperInvariant()))
        {
            var quotes = answered.Quotes ?? [];
            var spans = quotes.Where(q => q is not null).SelectMany(q => QuoteLocator.Locate(note, q)).Distinct().OrderBy(s => s.Start).ToList();
            if (_verifier.Check(answered.Code) is { } conflict)
            {
                rejected.Add(Rejected(answered.Code, conflict.Message, spans));
                continue;
            }
            var resolved = _verifier.Resolve(answered.Code)!;
            var (system, concept) = (resolved.System, resolved.Concept);
            if (spans.Count == 0)
            {
                var why = quotes.Count == 0 ? "no evidence quote given" : $"evidence quote not found in the note ({quotes.Count} given)";
                rejected.Add(new RejectedCandidate(system, concept.Code, concept.Display, $"{why}; model {model}", []));
                continue;
            }
            tokens ??= Tokenizer.Tokenize(note, options.Language);
            if (ExcludedByContext(tokens, spans) is { } context)
            {
                rejected.Add(new RejectedCandidate(system, concept.Code, concept.Display, $"{context} (quoted by model {model})", spans));
                continue;
            }
            var agreed = embedded?.Codes.FirstOrDefault(c => c.System == system && c.Code == concept.Code);
            var rules = new List<string> { $"agent:{model} {Trim(answered.Reason)}", "evidence:quote located in the note" };
            if (agreed is not null) rules.Add("agrees with the embedded coder");
            rules.Add("verify:passed");
            accepted.Add(new CodedConcept(system, concept.Code, concept.Display,
                agreed is null ? ModelOnlyConfidence : Math.Max(agreed.Confidence, ModelOnlyConfidence),
                spans, MentionStatus.Affirmed, rules));
        }

        // The set as a whole: Excludes1 pairs (the later code loses, as the model ranks first what matters most).
        foreach (var conflict in _verifier.Verify(accepted.Select(c => c.Code)))
        {
            var loser = accepted.Last(c => c.Code == conflict.Code);
            accepted.Remove(loser);
            rejected.Add(new RejectedCandidate(loser.System, loser.Code, loser.Display, conflict.Message, loser.Spans));
        }

        // Hybrid: the embedded proposals the model did not keep.
        foreach (var p in proposed.Where(p => accepted.All(a => a.Code != p.Code)))
        {
            var dropped = answer.Dropped?.FirstOrDefault(d => string.Equals(d.Code?.Trim(), p.Code, StringComparison.OrdinalIgnoreCase));
            var reason = dropped is null ? $"not confirmed by model {model}" : $"dropped by model {model}: {Trim(dropped.Reason)}";
            if (rejected.All(r => r.Code != p.Code)) rejected.Add(new RejectedCandidate(p.System, p.Code, p.Display, reason, p.Spans));
        }
        if (embedded is not null && proposed.Count > 0) rejected.AddRange(embedded.Rejected);
        return new CodingResult(accepted, rejected);
    }

    RejectedCandidate Rejected(string code, string reason, List<EvidenceSpan> spans)
    {
        var resolved = _verifier.Resolve(code);
        return new RejectedCandidate(resolved?.System ?? (code.Contains('.') || code.Length < 7 ? CodeSystems.Icd10Cm : CodeSystems.Icd10Pcs),
            resolved?.Concept.Code ?? code.Trim(), resolved?.Concept.Display ?? code.Trim(), reason, spans);
    }

    /// <summary>The reason the sentence forbids coding the quoted mention (negated, family history...), or null when any quote is codable.</summary>
    string? ExcludedByContext(TokenizedText tokens, List<EvidenceSpan> spans)
    {
        var detector = ContextDetector.For(options.Language);
        string? reason = null;
        foreach (var span in spans)
        {
            var sentence = tokens.Sentences.FirstOrDefault(s => s.Start <= span.Start && span.Start < s.End);
            var first = -1;
            var last = -1;
            for (var i = sentence.FirstToken; i < sentence.FirstToken + sentence.TokenCount; i++)
            {
                var t = tokens.Tokens[i];
                if (t.End <= span.Start || t.Start >= span.Start + span.Length) continue;
                if (first < 0) first = i;
                last = i;
            }
            if (first < 0) return null;
            var (status, trigger) = detector.Classify(tokens, sentence, first, last);
            var codable = status == MentionStatus.Affirmed || (status == MentionStatus.Uncertain && options.Setting == CareSetting.Inpatient);
            if (codable) return null;
            reason ??= status == MentionStatus.Uncertain
                ? $"uncertain diagnosis, outpatient: '{trigger}'"
                : $"{status.ToString().ToLowerInvariant()}: '{trigger}'";
        }
        return reason;
    }

    static string Trim(string? text) => text is null ? "" : text.Length <= MaxReasonLength ? text.Trim() : text[..MaxReasonLength].Trim() + "…";
}
