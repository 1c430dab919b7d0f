using System.CommandLine;

var root = new RootCommand("symphony — Symphony.Fhir command line: terminology, coding, evaluation, benchmarks");
foreach (var command in Symphony.Cli.Coding.CodingCommands.Create()) root.Add(command);
root.Add(Symphony.Cli.Profiles.ProfilesCommand.Create());
root.Add(Symphony.Cli.Agent.DevCommands.Create());
Symphony.Cli.Bench.BenchServerCommand.AddTo(root);
Symphony.Cli.Bench.BenchE2eCommand.AddTo(root);
Symphony.Cli.Terminology.TerminologyCommands.AddTo(root);
return root.Parse(args).Invoke();
