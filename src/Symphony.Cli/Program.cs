using System.CommandLine;
using Symphony.Cli.Bench;
using Symphony.Cli.Coding;
using Symphony.Cli.Terminology;

var root = new RootCommand("symphony — Symphony.Fhir command line: terminology, coding, evaluation, benchmarks");
foreach (var command in CodingCommands.Create()) root.Add(command);
root.Add(TerminologyCommands.Create());
root.Add(Symphony.Cli.Auth.AuthCommands.Create());
root.Add(Symphony.Cli.Lexicon.LexiconCommands.Create());
root.Add(Symphony.Cli.Profiles.ProfilesCommand.Create());
root.Add(Symphony.Cli.Agent.DevCommands.Create());
root.Add(new Command("bench", "Benchmarks that print figures")
{
    BenchCoderCommand.Create(), BenchTerminologyCommand.Create(), BenchServerCommand.Create(), BenchE2eCommand.Create(),
    BenchWorklistCommand.Create(),
});
return root.Parse(args).Invoke();
