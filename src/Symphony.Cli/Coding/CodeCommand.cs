using System.CommandLine;
using System.Text;
using System.Text.Json;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Services;

namespace Symphony.Cli.Coding;

/// <summary>
/// <c>symphony code &lt;file.txt&gt; [--setting inpatient|outpatient] [--language en|es] [--lexicon site.tsv] [--json]
/// [--terminology &lt;CodeSystem.json|package.tgz&gt; [--system &lt;url&gt;]… [--value-set &lt;url&gt;]]</c>
/// </summary>
public static class CodeCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A plain-text clinical note (UTF-8)." };
        var setting = new Option<string>("--setting") { Description = "inpatient or outpatient (uncertain diagnoses are coded only for inpatients).", DefaultValueFactory = _ => "inpatient" };
        setting.AcceptOnlyFromAmong("inpatient", "outpatient");
        var language = new Option<string>("--language") { Description = "Language of the note: en or es.", DefaultValueFactory = _ => "en" };
        language.AcceptOnlyFromAmong("en", "es");
        var lexicon = new Option<FileInfo?>("--lexicon") { Description = "A site lexicon TSV (term, system, code, language[, weight])." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var terminology = new Option<FileInfo?>("--terminology") { Description = "Code against the CodeSystems of this FHIR CodeSystem/ValueSet/Bundle (.json/.xml) or package (.tgz) instead of the shipped ICD-10-CM/PCS." };
        var systems = new Option<string[]>("--system") { Description = "With --terminology: the CodeSystem urls to code against (all of the file's when not given).", AllowMultipleArgumentsPerToken = false };
        var valueSet = new Option<string?>("--value-set") { Description = "With --terminology: report only codes of this ValueSet (of the file, or an implicit one such as <system>?fhir_vs=isa/<code>)." };
        var command = new Command("code", "Code a clinical note: codes with evidence spans and the rules that fired (ICD-10-CM/PCS, or any FHIR CodeSystem with --terminology).")
            { file, setting, language, lexicon, json, terminology, systems, valueSet };
        var agent = Agent.AgentCliOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            string text;
            try { text = File.ReadAllText(path.FullName, new UTF8Encoding(false, throwOnInvalidBytes: true)); }
            catch (DecoderFallbackException) { Console.Error.WriteLine($"{path.Name}: not valid UTF-8 text."); return 2; }
            catch (IOException e) { Console.Error.WriteLine(e.Message); return 2; }
            if (text.Length > Coder.MaxTextLength) { Console.Error.WriteLine($"{path.Name}: {text.Length:N0} characters; the coder accepts at most {Coder.MaxTextLength:N0}."); return 2; }
            var site = parse.GetValue(lexicon) is { } l ? SiteLexicon.Load(l.FullName) : null;
            Coder coder;
            AllowedCodes? allowed = null;
            if (parse.GetValue(terminology) is { } terminologyFile)
            {
                var bundle = FhirTerminologyLoader.LoadFile(terminologyFile.FullName);
                var wanted = parse.GetValue(systems) is { Length: > 0 } urls ? urls.ToHashSet(StringComparer.Ordinal) : null;
                var chosen = bundle.CodeSystems.Where(c => wanted is null || wanted.Contains(c.Url)).ToList();
                if (wanted is not null && wanted.Except(chosen.Select(c => c.Url)).FirstOrDefault() is { } missing)
                {
                    Console.Error.WriteLine($"{terminologyFile.Name} has no CodeSystem {missing}.");
                    return 2;
                }
                coder = new Coder(chosen, site);
                if (parse.GetValue(valueSet) is { } valueSetUrl)
                {
                    var service = new TerminologyService();
                    foreach (var cs in bundle.CodeSystems) service.Add(cs);
                    foreach (var vs in bundle.ValueSets) service.Add(vs);
                    allowed = AllowedCodes.Expand(service, valueSetUrl);
                }
            }
            else if (parse.GetValue(valueSet) is not null || parse.GetValue(systems) is { Length: > 0 })
            {
                Console.Error.WriteLine("--system and --value-set need --terminology <file>.");
                return 2;
            }
            else coder = CoderFactory.Create(site);
            var options = new CodingOptions
            {
                Setting = parse.GetValue(setting) == "outpatient" ? CareSetting.Outpatient : CareSetting.Inpatient,
                Language = LanguageCodes.Parse(parse.GetValue(language)!),
                AllowedCodes = allowed,
            };
            if (agent.Code(parse, coder, text, options) is not { } coded) return 2;
            var result = coded.Result;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(Agent.AgentCliOptions.ForJson(coded), new JsonSerializerOptions { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } }));
                return 0;
            }
            foreach (var c in result.Codes)
            {
                Console.WriteLine($"{Label(coder, c.System) + " ",-4}{c.Code,-9} {c.Confidence:0.00}  {c.Display}");
                if (c.Basis is { } basis) Console.WriteLine($"        = {basis}");
                foreach (var s in c.Spans) Console.WriteLine($"        \"{s.Text}\" @{s.Start}+{s.Length}");
                foreach (var r in c.Rules) Console.WriteLine($"        · {r}");
            }
            if (result.Rejected.Count > 0) Console.WriteLine("Rejected:");
            foreach (var r in result.Rejected.DistinctBy(r => (r.Code, r.Reason)))
                Console.WriteLine($"    {r.Code,-9} {r.Reason}  \"{r.Spans.FirstOrDefault()?.Text}\"");
            Agent.AgentCliOptions.Report(coded.Run);
            return 0;
        });
        return command;
    }

    static string Label(Coder coder, string system) => system switch
    {
        CodeSystems.Icd10Pcs => "PCS",
        CodeSystems.Icd10Cm => "CM",
        _ => coder.Systems.TryGetValue(system, out var cs) ? cs.Name : system,
    };
}
