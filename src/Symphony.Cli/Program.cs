using System.CommandLine;

var root = new RootCommand("symphony — Symphony.Fhir command line: terminology, coding, evaluation, benchmarks");
root.Add(Symphony.Cli.Profiles.ProfilesCommand.Create());
return root.Parse(args).Invoke();
