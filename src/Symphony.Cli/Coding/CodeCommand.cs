using System.CommandLine;
using System.Text;
using System.Text.Json;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Cli.Coding;

/// <summary><c>symphony code &lt;file.txt&gt; [--setting inpatient|outpatient] [--language en|es] [--lexicon site.tsv] [--json]</c></summary>
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
        var command = new Command("code", "Code a clinical note: ICD-10-CM/PCS codes with evidence spans and the rules that fired.") { file, setting, language, lexicon, json };
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
            var coder = CoderFactory.Create(site);
            var options = new CodingOptions
            {
                Setting = parse.GetValue(setting) == "outpatient" ? CareSetting.Outpatient : CareSetting.Inpatient,
                Language = LanguageCodes.Parse(parse.GetValue(language)!),
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
                Console.WriteLine($"{(c.System == CodeSystems.Icd10Pcs ? "PCS" : "CM "),-4}{c.Code,-9} {c.Confidence:0.00}  {c.Display}");
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
}
