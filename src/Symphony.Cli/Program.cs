using System.CommandLine;

var root = new RootCommand("symphony — Symphony.Fhir command line: terminology, coding, evaluation, benchmarks");
foreach (var command in Symphony.Cli.Coding.CodingCommands.Create()) root.Add(command);
root.Add(Symphony.Cli.Profiles.ProfilesCommand.Create());
return root.Parse(args).Invoke();
