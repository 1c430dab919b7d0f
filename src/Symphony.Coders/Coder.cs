using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Rules;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders;

/// <summary>
/// The embedded coder: note text in, evidenced codes out — ICD-10-CM/PCS with their tables and notes, or any
/// other code system from its displays, designations and hierarchy. It works as a coder does —
/// find each mention in the lexicon (terminology terms, per-language synonyms, the site lexicon),
/// decide its status from the sentence, go to the most specific billable code the text supports,
/// apply combination codes and Excludes1 — and keeps the spans and the named rules for every
/// code. Deterministic, no network; immutable and safe to share between threads.
/// </summary>
public sealed partial class Coder
{
    /// <summary>Longer notes are refused (a clear error rather than unbounded time and memory).</summary>
    public const int MaxTextLength = 2_000_000;

    readonly TerminologyLexicon _terminology;
    readonly Dictionary<Language, TermMatcher> _site;
    /// <summary>(words, code) pairs the site's coders rarely gave: site lexicon lines of weight 0 (<see cref="SiteLexicon"/>).</summary>
    readonly Dictionary<Language, HashSet<(string Signature, string Code)>> _blocked;

    public CodeSystemVersion? Icd10Cm => _terminology.Icd10Cm;
    public CodeSystemVersion? Icd10Pcs => _terminology.Icd10Pcs;
    /// <summary>Every code system the coder codes against, by URL.</summary>
    public IReadOnlyDictionary<string, CodeSystemVersion> Systems => _systems;
    public IReadOnlyList<SiteLexiconEntry> SiteLexiconEntries { get; }
    readonly Dictionary<string, CodeSystemVersion> _systems;

    public Coder(CodeSystemVersion? icd10Cm, CodeSystemVersion? icd10Pcs, IEnumerable<SiteLexiconEntry>? siteLexicon = null, TermSources sources = TermSources.Default)
        : this(new TerminologyLexicon(icd10Cm, icd10Pcs, [], sources), siteLexicon ?? []) { }

    /// <summary>
    /// A coder for any set of code systems, one version each. ICD-10-CM and ICD-10-PCS (by their URLs) are read with
    /// their tables, notes and index; any other system from its displays, designations and hierarchy.
    /// </summary>
    public Coder(IEnumerable<CodeSystemVersion> systems, IEnumerable<SiteLexiconEntry>? siteLexicon = null, TermSources sources = TermSources.Default)
        : this(Lexicon(systems, sources), siteLexicon ?? []) { }

    static TerminologyLexicon Lexicon(IEnumerable<CodeSystemVersion> systems, TermSources sources)
    {
        var list = systems.ToList();
        var duplicate = list.GroupBy(s => s.Url).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two versions of {duplicate.Key}: a coder codes against one version of each system.", nameof(systems));
        return new TerminologyLexicon(
            list.FirstOrDefault(s => s.Url == CodeSystems.Icd10Cm), list.FirstOrDefault(s => s.Url == CodeSystems.Icd10Pcs),
            list.Where(s => s.Url is not (CodeSystems.Icd10Cm or CodeSystems.Icd10Pcs)).ToList(), sources);
    }

    Coder(TerminologyLexicon terminology, IEnumerable<SiteLexiconEntry> siteLexicon)
    {
        _terminology = terminology;
        _systems = new[] { terminology.Icd10Cm, terminology.Icd10Pcs }.OfType<CodeSystemVersion>().Concat(terminology.Others).ToDictionary(s => s.Url);
        SiteLexiconEntries = siteLexicon.ToList();
        // A coder never gives a code its code systems do not have (a site's archive may hold codes of an older release).
        var usable = SiteLexiconEntries.Where(e => CodeDisplay(e.System, e.Code) is not null).ToList();
        _blocked = usable.Where(e => e.Weight <= 0).GroupBy(e => e.Language).ToDictionary(
            g => g.Key,
            g => g.Select(e => (TermMatcher.Signature(e.Term, g.Key), e.Code)).ToHashSet());
        // Clinical abbreviations read as the site's phrases too ("HTA" for "hipertensión arterial").
        _site = usable.Where(e => e.Weight > 0).GroupBy(e => e.Language).ToDictionary(
            g => g.Key,
            g => new TermMatcher(g.OrderByDescending(e => e.Weight).Select(e => new LexiconTerm(e.Term, e.System, e.Code, TermSource.SiteLexicon, e.Weight)), g.Key, TerminologyLexicon.Abbreviations(g.Key)));
        _decided = usable.GroupBy(e => e.Language).ToDictionary(
            g => g.Key,
            g => new SiteDecisions(g.Select(e => e.Code).ToHashSet(StringComparer.Ordinal), g.Select(e => TermMatcher.Signature(e.Term, g.Key)).ToHashSet(StringComparer.Ordinal)));
    }

    /// <summary>The codes and phrases a site lexicon of a language has an entry for, of any weight: what the site's coders decided on.</summary>
    sealed record SiteDecisions(HashSet<string> Codes, HashSet<string> Phrases);
    readonly Dictionary<Language, SiteDecisions> _decided;
    readonly System.Collections.Concurrent.ConcurrentDictionary<Language, Lazy<TermMatcher>> _undecidedSynonyms = new();

    /// <summary>
    /// A site lexicon adds to the generic knowledge rather than replacing it: a generic synonym is read unless the site
    /// lexicon has an entry for its code or its words, where the site's own phrases and weights say what the site codes.
    /// </summary>
    TermMatcher UndecidedSynonyms(Language language, SiteDecisions decided) => _undecidedSynonyms.GetOrAdd(language, lang => new Lazy<TermMatcher>(() =>
        new TermMatcher(_terminology.SynonymTerms(lang).Where(t => !decided.Codes.Contains(t.Code) && !decided.Phrases.Contains(TermMatcher.Signature(t.Text, lang)))
            .OrderByDescending(t => t.Weight), lang, TerminologyLexicon.Abbreviations(lang)))).Value;

    /// <summary>
    /// The code's display in the code system the coder codes against; null when it is not a code of it. A partial
    /// ICD-10-PCS code — a table prefix of 3 to 6 characters that some code of the release starts with — is one: sites record them.
    /// </summary>
    public string? CodeDisplay(string system, string code)
    {
        if (_systems.GetValueOrDefault(system) is not { } terminology) return null;
        if (terminology.Find(code) is { } concept) return concept.Display;
        // Prefixes of up to 4 characters are grouping concepts of the release; a 5- or 6-character one is read below its 4-character prefix.
        if (system == CodeSystems.Icd10Pcs && code.Length is 5 or 6 && terminology.Find(code[..4]) is { } table
            && table.Children.Any(c => c.StartsWith(code, StringComparison.Ordinal)))
            return $"ICD-10-PCS {code} (partial code)";
        return null;
    }

    /// <summary>A coder with the same terminology and another site lexicon; the terminology index is shared, not rebuilt.</summary>
    public Coder WithSiteLexicon(IEnumerable<SiteLexiconEntry> siteLexicon) => new(_terminology, siteLexicon);

    /// <summary>Builds the terminology matcher for a language now rather than on the first note.</summary>
    public void Warm(Language language)
    {
        _ = _terminology.Matcher(language, withSynonyms: !_decided.TryGetValue(language, out var decided));
        if (decided is not null) _ = UndecidedSynonyms(language, decided);
    }

    /// <summary>The code-system terms the coder reads a language with (no synonyms, no site phrases): what a site lexicon builder measures on a site's documents.</summary>
    public IEnumerable<LexiconTerm> GenericTerms(Language language) => _terminology.Matcher(language, withSynonyms: false).Terms;

    public CodingResult Code(string text, CodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= CodingOptions.Default;
        if (text.Length > MaxTextLength)
            throw new ArgumentException($"The note has {text.Length:N0} characters; the coder accepts at most {MaxTextLength:N0}.", nameof(text));
        if (string.IsNullOrWhiteSpace(text)) return CodingResult.Empty;

        var tokens = Tokenizer.Tokenize(text, options.Language);
        var context = ContextDetector.For(options.Language);
        var matchers = new List<TermMatcher>(2);
        var hasSite = _decided.TryGetValue(options.Language, out var decided);
        if (_site.TryGetValue(options.Language, out var site)) matchers.Add(site);
        matchers.Add(_terminology.Matcher(options.Language, withSynonyms: !hasSite));
        if (hasSite) matchers.Add(UndecidedSynonyms(options.Language, decided!));

        var draft = new CodeDraftSet(this);
        var sections = NoteSections.For(options.Language).Read(text);
        var statusCodes = options.StatusCodes ? _terminology.Status : null;
        foreach (var sentence in tokens.Sentences)
        {
            var mentions = FindMentions(tokens, sentence, matchers, _blocked.GetValueOrDefault(options.Language), draft);
            var statusHits = statusCodes?.Find(tokens, sentence, options.Language);
            // Like the generic synonyms, a status phrase gives way to a site lexicon that has decided on its code:
            // the site's own phrases carry the status codes the site gives.
            if (hasSite && statusHits is not null) statusHits.RemoveAll(h => decided!.Codes.Contains(h.Entry.Code));
            if (mentions.Count == 0 && statusHits is not { Count: > 0 }) continue;
            var triggers = context.FindTriggers(tokens, sentence);
            foreach (var hit in statusHits ?? [])
            {
                var header = sections.HeaderAt(tokens.Tokens[hit.First].Start);
                var (hitStatus, hitTrigger) = context.Classify(tokens, SameSection(triggers, header, tokens), hit.First, hit.Last);
                draft.AddStatus(hit, StatusCodes.Decide(hit, hitStatus, hitTrigger, tokens, sentence, options.Language, header?.Text, header?.Start ?? 0), tokens);
            }
            // The episode only matters for injury-type codes with a 7th character; read it only then.
            var episode = mentions.Any(m => m.Term.Code[0] is 'S' or 'T' or 'V' or 'W' or 'X' or 'Y' or 'O' or 'M')
                ? SpecificityRule.DetectEpisode(text.Substring(sentence.Start, sentence.Length))
                : Episode.Initial;
            foreach (var mention in mentions)
            {
                // "ALLERGIES:", "FAMILY HISTORY:" name a section; what the note says is under them.
                if (!options.CodeEveryMention
                    && sections.NamedHeaderOver(tokens.Tokens[mention.Match.First].Start, tokens.Tokens[mention.Match.Last].End) is { } header)
                {
                    draft.RejectAsHeading(mention, header.Text, tokens);
                    continue;
                }
                var (status, trigger) = context.Classify(tokens, SameSection(triggers, sections.HeaderAt(tokens.Tokens[mention.Match.First].Start), tokens), mention.Match.First, mention.Match.Last);
                string? statusRule = null;
                if (status == MentionStatus.History && mention.Term.System == CodeSystems.Icd10Cm
                    && ChronicConditions.StillPresent(mention.Term.Code, tokens, sentence, mention.Match.First, mention.Match.Last, options.Language) is { } chronic)
                    (status, statusRule) = (MentionStatus.Affirmed, $"{ChronicConditions.Name}:{chronic} written as '{trigger}' is still present, coded as current (guidelines I.C.21.c.4)");
                var side = LateralityRule.StatedSide(tokens, mention.Match, sentence.FirstToken + sentence.TokenCount, sentence.FirstToken, options.Language);
                draft.Add(mention, status, trigger, episode, side, tokens, sentence, options, statusRule);
            }
        }
        return draft.Finish(options, tokens, sections);
    }

    sealed record Mention(TermMatch Match, LexiconTerm Term);

    /// <summary>
    /// The triggers of the sentence that lie in the section of the mention (from its header, which may be a trigger itself:
    /// "FAMILY HISTORY:", to the next header): a section header ends what a trigger says, as a transcription written on one
    /// line runs "FAMILY HISTORY: … MEDICATIONS: Aspirin …" into one sentence.
    /// </summary>
    static IReadOnlyList<ContextDetector.TriggerHit> SameSection(IReadOnlyList<ContextDetector.TriggerHit> triggers, NoteSections.Header? header, TokenizedText tokens)
    {
        if (header is null || triggers.Count == 0) return triggers;
        bool Inside(ContextDetector.TriggerHit t) => tokens.Tokens[t.Start].Start >= header.Start && tokens.Tokens[t.Start].Start < header.ScopeEnd;
        foreach (var t in triggers)
            if (!Inside(t)) return triggers.Where(Inside).ToList();
        return triggers;
    }


    /// <summary>Matches of every matcher in the sentence; a match whose words are all inside a longer match is set aside (the longer term is more specific).</summary>
    static List<Mention> FindMentions(TokenizedText tokens, Sentence sentence, List<TermMatcher> matchers, HashSet<(string, string)>? blocked, CodeDraftSet draft)
    {
        var all = new List<(Mention Mention, int Words)>();
        foreach (var matcher in matchers)
            foreach (var match in matcher.Match(tokens, sentence))
            {
                var term = matcher[match.TermId];
                if (blocked is not null && blocked.Contains((matcher.Signature(match.TermId), term.Code)))
                {
                    draft.Reject(term.System, term.Code, $"the site's coders rarely gave this code for '{term.Text}'", tokens, match);
                    continue;
                }
                all.Add((new Mention(match, term), matcher.WordCount(match.TermId)));
            }
        if (all.Count == 0) return [];
        all.Sort((a, b) =>
        {
            var byWords = b.Words.CompareTo(a.Words);
            if (byWords != 0) return byWords;
            var bySource = a.Mention.Term.Source.CompareTo(b.Mention.Term.Source);
            if (bySource != 0) return bySource;
            var byWeight = b.Mention.Term.Weight.CompareTo(a.Mention.Term.Weight);
            return byWeight != 0 ? byWeight : string.CompareOrdinal(a.Mention.Term.Code, b.Mention.Term.Code);
        });
        var accepted = new List<Mention>();
        foreach (var (mention, _) in all)
        {
            Mention? coveredBy = null;
            foreach (var a in accepted)
            {
                if (!IsSubset(mention.Match.Positions, a.Match.Positions)) continue;
                var samePositions = mention.Match.Positions.Length == a.Match.Positions.Length;
                // A site's own phrases carry the site's conventions: one phrase may carry several codes, and a
                // phrase inside a longer one — the site's or a generic term — is still coded ("enfermedad" in
                // "enfermedad de Crohn"; measured: a generic term hiding a site phrase cost D 22 true positives) —
                // except a procedure inside a longer one from the same PCS table.
                if (mention.Term.Source == TermSource.SiteLexicon && (samePositions || !IsSameProcedureTable(mention.Term, a.Term))) continue;
                if (samePositions && mention.Term.Code == a.Term.Code) { coveredBy = a; break; }
                coveredBy = a;
                break;
            }
            if (coveredBy is null) accepted.Add(mention);
            else if (coveredBy.Term.Code != mention.Term.Code)
                draft.Reject(mention.Term.System, mention.Term.Code,
                    mention.Match.Positions.Length == coveredBy.Match.Positions.Length
                        ? $"another reading of the same words: '{coveredBy.Term.Text}' ({coveredBy.Term.Code})"
                        : $"less specific than '{coveredBy.Term.Text}' ({coveredBy.Term.Code})", tokens, mention.Match);
        }
        return accepted;
    }

    /// <summary>
    /// A procedure inside a longer one from the same PCS table (section, body system and operation: the first three
    /// characters) is the same procedure read less specifically: "TAC abdominal" (BW20) inside "TAC tóraco-abdominal"
    /// (BW24). Diagnoses are not treated so: CodiEsp codes a nested diagnosis of the same category as well (measured:
    /// dev D 0.727 → 0.718), while for procedures P rose 0.578 → 0.581 on dev and 0.585 → 0.588 in 5-fold train.
    /// </summary>
    static bool IsSameProcedureTable(LexiconTerm inner, LexiconTerm outer) =>
        inner.System == CodeSystems.Icd10Pcs && outer.System == CodeSystems.Icd10Pcs && inner.Code != outer.Code
        && inner.Code.Length >= 3 && outer.Code.Length >= 3 && string.CompareOrdinal(inner.Code, 0, outer.Code, 0, 3) == 0;

    static bool IsSubset(int[] inner, int[] outer)
    {
        if (inner.Length > outer.Length) return false;
        foreach (var p in inner)
            if (Array.BinarySearch(outer, p) < 0) return false;
        return true;
    }

    internal string DisplayOf(string system, string code, string fallback) => Find(system, code)?.Display ?? fallback;

    internal Concept? Find(string system, string code) => _systems.GetValueOrDefault(system)?.Find(code);

    /// <summary>A system coded from its displays, designations and hierarchy alone (not ICD-10-CM/PCS with their tables).</summary>
    internal bool IsGeneric(string system) => system is not (CodeSystems.Icd10Cm or CodeSystems.Icd10Pcs);

    /// <summary>True when the code's title names a side (right, left, bilateral): "Serous retinal detachment, left eye", "Resection of Kidney, Right".</summary>
    public bool NamesSide(string system, string code) => SideWord().IsMatch(DisplayOf(system, code, ""));

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(right|left|bilateral)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex SideWord();

    internal TabularNotes? Notes => _terminology.Notes;
    internal HistoryCodes? History => _terminology.History;

    /// <summary>Collects the mentions of one note into codes, then applies the document-level rules.</summary>
    sealed partial class CodeDraftSet(Coder coder)
    {
        sealed class Draft
        {
            public required string System;
            public required string Code;
            public required string Display;
            public readonly List<EvidenceSpan> Spans = [];
            public readonly List<string> Rules = [];
            public readonly List<double> Weights = [];
            /// <summary>The mentions behind the code, for its ranking (<see cref="Ranking"/>).</summary>
            public readonly List<MentionEvidence> Evidence = [];
            /// <summary>The status of the strongest mention that supports the code (set by the first mention).</summary>
            public MentionStatus? Status;
        }

        readonly Dictionary<(string, string), Draft> _coded = [];
        readonly List<RejectedCandidate> _rejected = [];

        public void Reject(string system, string code, string reason, TokenizedText tokens, TermMatch match) =>
            _rejected.Add(new RejectedCandidate(system, code, coder.DisplayOf(system, code, code), reason, Spans(tokens, match, match.Last)));

        public void RejectAsHeading(Mention mention, string header, TokenizedText tokens)
        {
            var term = mention.Term;
            _rejected.Add(new RejectedCandidate(term.System, term.Code, coder.DisplayOf(term.System, term.Code, term.Text),
                $"section heading: '{header}' names a section of the note, not a condition", Spans(tokens, mention.Match, mention.Match.Last)));
        }

        /// <param name="statusRule">The rule that decided the status when the sentence's words alone did not (a chronic condition written as history).</param>
        public void Add(Mention mention, MentionStatus status, string? trigger, Episode episode, (Side Side, int Token)? side, TokenizedText tokens, Sentence sentence, CodingOptions options, string? statusRule = null)
        {
            var term = mention.Term;
            var matchedBy = $"matched:{term.Source.ToString().ToLowerInvariant()} '{term.Text}'";
            var (code, rules, sided) = ResolveCode(term, episode, side?.Side);
            // Real coding completes a table prefix from the approach the note states (the CodiEsp convention keeps prefixes as its coders wrote them).
            if (!options.CodeEveryMention && term.System == CodeSystems.Icd10Pcs && code.Length == 4 && coder.Icd10Pcs?.Find(code) is { } prefix
                && ProcedureTerms.CompleteFromApproach(prefix, tokens, mention.Match, sentence.FirstToken, sentence.FirstToken + sentence.TokenCount, options.Language) is { } full)
            {
                rules.Add($"pcs-approach:{code}→{full.Code} ('{full.Word}'; no device named: ICD-10-PCS guideline B6.1a)");
                code = full.Code;
            }
            // The words that state the side support the sided code: the quote runs to them.
            var spans = Spans(tokens, mention.Match, sided ? side!.Value.Token : mention.Match.Last);
            var display = coder.DisplayOf(term.System, code, term.Text);
            // A concept that is not selectable (FHIR notSelectable / abstract) groups codes; it is never reported itself.
            if (coder.IsGeneric(term.System) && coder.Find(term.System, code) is { IsBillable: false })
            {
                _rejected.Add(new RejectedCandidate(term.System, code, display, "not selectable: a grouping concept, and the text names no code below it", spans));
                return;
            }
            var accepted = options.CodeEveryMention || status == MentionStatus.Affirmed
                || (status == MentionStatus.Uncertain && options.Setting == CareSetting.Inpatient);
            if (!accepted)
            {
                var reason = status switch
                {
                    MentionStatus.Uncertain => $"uncertain diagnosis, outpatient: '{trigger}'",
                    MentionStatus.History => $"history of: '{trigger}'",
                    MentionStatus.Family => $"family history: '{trigger}'",
                    MentionStatus.Hypothetical => $"hypothetical: '{trigger}'",
                    _ => $"negated: '{trigger}'",
                };
                // Real coding reports a past or family condition with its history code (Z80–Z87), not the disease code.
                if (!options.CodeEveryMention && status is MentionStatus.History or MentionStatus.Family && term.System == CodeSystems.Icd10Cm
                    && coder.History?.For(code, status == MentionStatus.Family) is { } history)
                {
                    reason += $"; reported as {history}";
                    var historyRule = $"{(status == MentionStatus.Family ? "family" : "personal")}-history:{code} → {history} ('{trigger}')";
                    AddCode(CodeSystems.Icd10Cm, history, coder.DisplayOf(CodeSystems.Icd10Cm, history, history), spans,
                        [matchedBy, historyRule], term.Weight * 0.8, status)
                        .Evidence.Add(MentionEvidence.Of(tokens, mention.Match, term, status, rules));
                }
                _rejected.Add(new RejectedCandidate(term.System, code, display, reason, spans));
                return;
            }
            if (statusRule is not null) rules.Add(statusRule);
            var coded = AddCode(term.System, code, display, spans, [matchedBy, .. rules],
                status == MentionStatus.Affirmed ? term.Weight : term.Weight * 0.8, status);
            coded.Evidence.Add(MentionEvidence.Of(tokens, mention.Match, term, status, rules));
            if (status == MentionStatus.Uncertain) coded.Rules.Add("uncertain diagnosis coded as established (inpatient)");
        }

        /// <summary>A status Z code (long-term drug, implant, absence, transplant, dependence) the sentence supports, or its rejection.</summary>
        public void AddStatus(StatusCodes.Hit hit, (string? Rule, string? Reason) decision, TokenizedText tokens)
        {
            var start = tokens.Tokens[hit.First].Start;
            var end = tokens.Tokens[hit.Last].End;
            List<EvidenceSpan> spans = [new EvidenceSpan(start, end - start, tokens.Text.Substring(start, end - start))];
            var display = coder.DisplayOf(CodeSystems.Icd10Cm, hit.Entry.Code, hit.Entry.Code);
            if (decision.Rule is null)
            {
                _rejected.Add(new RejectedCandidate(CodeSystems.Icd10Cm, hit.Entry.Code, display, $"{Rules.StatusCodes.Name}: {decision.Reason}", spans));
                return;
            }
            AddCode(CodeSystems.Icd10Cm, hit.Entry.Code, display, spans, [decision.Rule], StatusWeight, MentionStatus.Affirmed);
            if (hit.Entry.NotWith is { } notWith) _statusNotWith[hit.Entry.Code] = notWith;
        }

        /// <summary>A status phrase is read word for word from a curated table: as sure as a synonym.</summary>
        const double StatusWeight = 0.7;
        readonly Dictionary<string, CodeRanges> _statusNotWith = new(StringComparer.Ordinal);

        /// <summary>An unspecified-site code (D49.9, C80.1, T14.90) beside a code of the note that names the site (<see cref="UnspecifiedSite"/>).</summary>
        void DropUnspecifiedSite()
        {
            var diagnoses = _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm).Select(d => d.Code).ToHashSet(StringComparer.Ordinal);
            foreach (var (code, specific) in UnspecifiedSite.LeftOut(diagnoses))
            {
                var d = _coded[(CodeSystems.Icd10Cm, code)];
                // A site's own phrase keeps the site's convention (its coders gave the unspecified code for those words).
                if (d.Rules.Any(r => r.StartsWith("matched:sitelexicon", StringComparison.Ordinal))) continue;
                _coded.Remove((CodeSystems.Icd10Cm, code));
                _rejected.Add(new RejectedCandidate(CodeSystems.Icd10Cm, code, d.Display, $"{UnspecifiedSite.Name}: the note names the site ({specific})", d.Spans));
            }
        }

        /// <summary>Signs and symptoms beside the diagnosis that explains them (<see cref="IntegralSymptoms"/>).</summary>
        void DropIntegralSymptoms(NoteSections.Map sections)
        {
            // Without a diagnostic statement the note does not say which findings its diagnoses explain.
            if (!sections.Headers.Any(h => IntegralSymptoms.IsDiagnosticStatement(h.Kind))) return;
            bool InStatement(Draft d) => d.Evidence.Any(m => IntegralSymptoms.IsDiagnosticStatement(sections.KindAt(m.Start)));
            var definitive = _coded.Values
                .Where(d => d.System == CodeSystems.Icd10Cm && d.Status is MentionStatus.Affirmed or MentionStatus.Uncertain && d.Evidence.Count > 0 && IntegralSymptoms.IsDefinitive(d.Code))
                .OrderByDescending(InStatement).ThenBy(d => d.Evidence.Min(m => m.Start))
                .FirstOrDefault();
            if (definitive is null) return;
            foreach (var d in _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm && d.Evidence.Count > 0 && IntegralSymptoms.IsSymptom(d.Code) && !InStatement(d)).ToList())
            {
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display,
                    $"{IntegralSymptoms.Name}: a sign or symptom named outside the diagnostic statement of a note that establishes {definitive.Code} (guidelines I.B.4-I.B.5)", d.Spans));
            }
        }

        /// <summary>ICD-10-PCS codes the setting does not report (<see cref="ProcedureReporting"/>), and partial codes when the options leave them out.</summary>
        void DropUnreportedProcedures(CodingOptions options)
        {
            foreach (var d in _coded.Values.Where(d => d.System == CodeSystems.Icd10Pcs).ToList())
            {
                var reason = ProcedureReporting.NotReported(d.Code, options.Setting)
                    ?? (!options.PartialProcedures && d.Code.Length < 7 ? $"{ProcedureReporting.Name}: a partial code (table prefix {d.Code}): the note does not say enough for seven characters" : null);
                if (reason is null) continue;
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display, reason, d.Spans));
            }
        }

        /// <summary>A status code not reported beside codes its table line names (no Z79.4 with type 1 diabetes E10).</summary>
        /// <summary>
        /// A site that does not code status Z codes gets none, whichever way the text reached them (the status table, a title
        /// such as "Kidney transplant status", a history rule): the categories the status table covers are left out.
        /// </summary>
        void DropStatusCategories()
        {
            if (coder._terminology.Status is not { } table) return;
            foreach (var d in _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm && table.Covers(d.Code)).ToList())
            {
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display, $"{Rules.StatusCodes.Name}: status codes are turned off", d.Spans));
            }
        }

        void DropStatusConflicts()
        {
            foreach (var (code, notWith) in _statusNotWith)
            {
                if (!_coded.TryGetValue((CodeSystems.Icd10Cm, code), out var d)) continue;
                var conflict = _coded.Values.FirstOrDefault(o => o.System == CodeSystems.Icd10Cm && notWith.Contains(o.Code));
                if (conflict is null) continue;
                _coded.Remove((CodeSystems.Icd10Cm, code));
                _rejected.Add(new RejectedCandidate(CodeSystems.Icd10Cm, code, d.Display, $"{Rules.StatusCodes.Name}: not reported with {conflict.Code}", d.Spans));
            }
        }

        Draft AddCode(string system, string code, string display, List<EvidenceSpan> spans, List<string> rules, double weight, MentionStatus status)
        {
            if (!_coded.TryGetValue((system, code), out var draft))
                _coded[(system, code)] = draft = new Draft { System = system, Code = code, Display = display };
            foreach (var span in spans) AddSpan(draft.Spans, span);
            foreach (var r in rules) if (!draft.Rules.Contains(r)) draft.Rules.Add(r);
            draft.Weights.Add(weight);
            if (draft.Status is not { } current || Strength(status) < Strength(current)) draft.Status = status;
            return draft;
        }

        /// <summary>
        /// How firmly a status asserts the condition now, strongest first: the status reported with a code is that of the
        /// strongest mention that supports it (an uncertain mention coded as established stays uncertain, never negated).
        /// </summary>
        static int Strength(MentionStatus status) => status switch
        {
            MentionStatus.Affirmed => 0,
            MentionStatus.Uncertain => 1,
            MentionStatus.History => 2,
            MentionStatus.Family => 3,
            MentionStatus.Hypothetical => 4,
            _ => 5,
        };

        /// <summary>
        /// One quote per mention: a span inside another span of the same code that reads as one phrase is the same
        /// mention ("hipertensión" in "hipertensión arterial", "tipo 2" in "diabetes mellitus tipo 2"), and the
        /// longer quote is kept. A longer span that runs over punctuation or a joining word ("urinaria e
        /// incontinencia") is a stretched match, not one phrase, so the mention inside it keeps its own quote.
        /// </summary>
        static void AddSpan(List<EvidenceSpan> spans, EvidenceSpan span)
        {
            if (spans.Contains(span) || spans.Any(s => Contains(s, span) && IsOnePhrase(s))) return;
            if (IsOnePhrase(span)) spans.RemoveAll(s => Contains(span, s));
            spans.Add(span);
        }

        static bool Contains(EvidenceSpan outer, EvidenceSpan inner) =>
            outer.Start <= inner.Start && inner.Start + inner.Length <= outer.Start + outer.Length;

        static bool IsOnePhrase(EvidenceSpan span) => !PhraseBreak().IsMatch(span.Text);

        [System.Text.RegularExpressions.GeneratedRegex(@"[,;:.()]|\b(y|e|o|u|ni|con|por|sin|and|or|nor|with|by|without)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
        private static partial System.Text.RegularExpressions.Regex PhraseBreak();

        /// <returns>The code, the rules that led to it, and whether the stated side changed it.</returns>
        (string Code, List<string> Rules, bool Sided) ResolveCode(LexiconTerm term, Episode episode, Side? side)
        {
            // ICD-10-PCS codes are composed from its tables (ProcedureTerms), not refined here.
            var cs = term.System == CodeSystems.Icd10Pcs ? null : coder._systems.GetValueOrDefault(term.System);
            if (cs?.Find(term.Code) is not { } concept) return (term.Code, [], false);
            var rules = new List<string>();
            var sided = false;
            // A site's accepted code is reported as the site wrote it, with the side the note states.
            if (term.Source == TermSource.SiteLexicon)
            {
                concept = WithSide(concept);
                return (concept.Code, rules, sided);
            }
            // A 7-character code chosen for an initial encounter becomes its sibling for the episode the sentence states.
            if (episode != Episode.Initial && concept.Code.Replace(".", "").Length == 7 && SpecificityRule.HasSeventhCharacters(cs, concept)
                && concept.ParentCode is { } parent && cs.Find(parent) is { } p)
                concept = p;
            concept = WithSide(concept);
            if (concept.IsBillable) return (concept.Code, rules, sided);
            var (leaf, descent) = SpecificityRule.Descend(cs, concept, episode);
            rules.AddRange(descent);
            // The default child may be the one that leaves the side unspecified (H53.41 → H53.419).
            leaf = WithSide(leaf);
            return (leaf.Code, rules, sided);

            Concept WithSide(Concept c)
            {
                if (side is not { } s || LateralityRule.Refine(cs, c, s) is not { } refined) return c;
                rules.Add($"{LateralityRule.Name}:{c.Code}→{refined.Code} ({s.ToString().ToLowerInvariant()})");
                sided = true;
                return refined;
            }
        }

        /// <summary>
        /// One span per mention, from its first word to its last (or to <paramref name="through"/>), so the quote reads
        /// as the note does; a side stated right after the mention ("hidrocele izquierdo") belongs to it.
        /// </summary>
        static List<EvidenceSpan> Spans(TokenizedText tokens, TermMatch match, int through)
        {
            var start = tokens.Tokens[match.First].Start;
            var last = Math.Max(match.Last, through);
            while (last + 1 < tokens.Tokens.Length && LateralityRule.SideOf(tokens.Tokens[last + 1].Key) is not null && tokens.Tokens[last + 1].Start - tokens.Tokens[last].End <= 2)
                last++;
            var end = tokens.Tokens[last].End;
            return [new EvidenceSpan(start, end - start, tokens.Text.Substring(start, end - start))];
        }

        public CodingResult Finish(CodingOptions options, TokenizedText tokens, NoteSections.Map sections)
        {
            if (options.ApplyCombinations) ApplyCombinations();
            if (options.ResolveExcludes1 && coder.Notes is { } notes) ResolveExcludes1(notes);
            if (coder.Notes is { } n) AnnotatePairs(n);
            // Corpus convention codes every mention as written; real coding reports the most specific code.
            if (!options.CodeEveryMention) DropAncestors();
            if (!options.CodeEveryMention) DropUnspecifiedHistory();
            DropStatusConflicts();
            if (!options.StatusCodes) DropStatusCategories();
            DropUnspecifiedSite();
            if (!options.CodeEveryMention) DropIntegralSymptoms(sections);
            if (!options.CodeEveryMention) DropUnreportedProcedures(options);
            if (options.AllowedCodes is { } allowed) KeepAllowed(allowed);
            var drafts = _coded.Values.ToList();
            var codes = Ranking.Rank(
                drafts.Select(d => new CodedConcept(d.System, d.Code, d.Display, Confidence(d.Weights), d.Spans, d.Status ?? MentionStatus.Affirmed, d.Rules)).ToList(),
                drafts.Select(d => (IReadOnlyList<MentionEvidence>)d.Evidence).ToList(), tokens, sections, options);
            return new CodingResult(codes, _rejected);
        }

        /// <summary>
        /// Of a code and one below it (both supported by the note) the lower one is the most specific the text supports.
        /// For systems coded from their hierarchy alone: in ICD-10-CM the tabular notes say when both are reported.
        /// </summary>
        void DropAncestors()
        {
            foreach (var d in _coded.Values.Where(d => coder.IsGeneric(d.System)).ToList())
            {
                var below = _coded.Values.FirstOrDefault(o => o.System == d.System && o.Code != d.Code && IsBelow(o.System, o.Code, d.Code));
                if (below is null) continue;
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display, $"less specific than {below.Code}, a code below it that the note supports", d.Spans));
                below.Rules.Add($"specificity:{d.Code}→{below.Code} (more specific)");
            }
        }

        /// <summary>
        /// "Family history of malignant neoplasm of esophagus" holds the words of the title "Family history of malignant
        /// neoplasm, unspecified" (Z80.9): an unspecified history code whose words are those of a more specific history
        /// code of its category (Z80.0, read by the history rule) says less about the same mention.
        /// </summary>
        void DropUnspecifiedHistory()
        {
            foreach (var d in _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm && HistoryCodes.IsHistoryCode(d.Code) && d.Display.Contains(", unspecified", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                var better = _coded.Values.FirstOrDefault(o => o.System == d.System && o.Code != d.Code && string.CompareOrdinal(o.Code, 0, d.Code, 0, 3) == 0
                    && !o.Display.Contains(", unspecified", StringComparison.OrdinalIgnoreCase) && o.Spans.Any(a => d.Spans.Any(b => a.Start < b.Start + b.Length && b.Start < a.Start + a.Length)));
                if (better is null) continue;
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display, $"less specific than {better.Code}, a history code of the same category for the same words", d.Spans));
            }
        }

        bool IsBelow(string system, string code, string ancestor)
        {
            var guard = 0;
            for (var c = coder.Find(system, code); c?.ParentCode is { } p && guard++ < 64; c = coder.Find(system, p))
                if (p == ancestor) return true;
            return false;
        }

        /// <summary>
        /// Only codes of the allowed set are reported. A code outside it is rejected; in its place goes the nearest set member
        /// the text still supports: going up the hierarchy, an ancestor, or the ancestor's default child (the unspecified sibling).
        /// </summary>
        void KeepAllowed(AllowedCodes allowed)
        {
            foreach (var d in _coded.Values.Where(d => !allowed.Contains(d.System, d.Code)).ToList())
            {
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display, $"not in ValueSet {allowed.Label}", d.Spans));
                if (NearestMember(d.System, d.Code, allowed) is not { } member) continue;
                var replaced = AddCode(d.System, member.Code, member.Display, d.Spans, d.Rules, Confidence(d.Weights), d.Status ?? MentionStatus.Affirmed);
                replaced.Evidence.AddRange(d.Evidence);
                replaced.Rules.Add($"valueset:{d.Code} not in {allowed.Label} → {member.Code} ({(IsBelow(d.System, d.Code, member.Code) ? "nearest ancestor in the set" : "the set's default code under a common ancestor")})");
            }
        }

        Concept? NearestMember(string system, string code, AllowedCodes allowed)
        {
            if (coder._systems.GetValueOrDefault(system) is not { } cs) return null;
            var guard = 0;
            for (var c = cs.Find(code); c?.ParentCode is { } p && cs.Find(p) is { } ancestor && guard++ < 64; c = ancestor)
            {
                if (allowed.Contains(system, ancestor.Code) && ancestor.IsBillable) return ancestor;
                var (fallback, _) = SpecificityRule.Descend(cs, ancestor);
                if (fallback.Code != code && fallback.IsBillable && allowed.Contains(system, fallback.Code)) return fallback;
            }
            return null;
        }

        static double Confidence(List<double> weights)
        {
            var missing = 1.0;
            foreach (var w in weights) missing *= 1 - Math.Clamp(w, 0, 0.99);
            return Math.Round(1 - missing, 4);
        }

        void ApplyCombinations()
        {
            for (var guard = 0; guard < 10; guard++)
            {
                var diagnoses = _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm).Select(d => d.Code).ToList();
                if (CombinationRule.FindApplicable(diagnoses) is not { } found) return;
                var first = _coded[(CodeSystems.Icd10Cm, found.First)];
                var second = _coded[(CodeSystems.Icd10Cm, found.Second)];
                // The combination is as firm as the weaker of its two parts (diabetes affirmed with CKD uncertain is uncertain).
                var combined = new Draft { System = CodeSystems.Icd10Cm, Code = found.Rule.Combined, Display = coder.DisplayOf(CodeSystems.Icd10Cm, found.Rule.Combined, found.Rule.Combined),
                    Status = Strength(first.Status ?? MentionStatus.Affirmed) >= Strength(second.Status ?? MentionStatus.Affirmed) ? first.Status : second.Status };
                combined.Spans.AddRange(first.Spans.Concat(second.Spans).Distinct());
                combined.Rules.Add($"combination:{found.Rule.Name} ({found.First} + {found.Second} → {found.Rule.Combined})");
                combined.Weights.Add(Math.Max(Confidence(first.Weights), Confidence(second.Weights)));
                combined.Evidence.AddRange(first.Evidence.Concat(second.Evidence));
                _coded.Remove((CodeSystems.Icd10Cm, found.First));
                _rejected.Add(new RejectedCandidate(CodeSystems.Icd10Cm, first.Code, first.Display, $"combined into {found.Rule.Combined} ({found.Rule.Name})", first.Spans));
                if (!found.Rule.KeepSecond)
                {
                    _coded.Remove((CodeSystems.Icd10Cm, found.Second));
                    _rejected.Add(new RejectedCandidate(CodeSystems.Icd10Cm, second.Code, second.Display, $"combined into {found.Rule.Combined} ({found.Rule.Name})", second.Spans));
                }
                else second.Rules.Add($"use-additional-code with {found.Rule.Combined} ({found.Rule.Name})");
                _coded[(CodeSystems.Icd10Cm, combined.Code)] = combined;
            }
        }

        void ResolveExcludes1(TabularNotes notes)
        {
            var ranked = _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm).OrderByDescending(d => Confidence(d.Weights)).ThenBy(d => d.Code, StringComparer.Ordinal).ToList();
            var kept = new List<Draft>();
            foreach (var d in ranked)
            {
                var conflict = kept.FirstOrDefault(k => notes.Excludes1(k.Code, d.Code));
                if (conflict is null) { kept.Add(d); continue; }
                _coded.Remove((d.System, d.Code));
                _rejected.Add(new RejectedCandidate(d.System, d.Code, d.Display, $"Excludes1 with {conflict.Code}", d.Spans));
                conflict.Rules.Add($"excludes1:kept over {d.Code}");
            }
        }

        void AnnotatePairs(TabularNotes notes)
        {
            var codes = _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm).Select(d => d.Code).ToList();
            foreach (var d in _coded.Values.Where(d => d.System == CodeSystems.Icd10Cm))
                foreach (var (partner, kind) in notes.Partners(d.Code, codes))
                    d.Rules.Add(kind switch
                    {
                        NoteKind.CodeFirst => $"code-first:{partner}",
                        NoteKind.CodeAlso => $"code-also:{partner}",
                        _ => $"use-additional-code:{partner}",
                    });
        }
    }
}
