using System.CommandLine;

var root = new RootCommand("symphony — Symphony.Fhir command line: terminology, coding, evaluation, benchmarks");
return root.Parse(args).Invoke();
