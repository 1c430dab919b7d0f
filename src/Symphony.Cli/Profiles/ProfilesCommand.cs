using System.CommandLine;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;

namespace Symphony.Cli.Profiles;

/// <summary>
/// `symphony profiles snapshot`: regenerates the snapshot of every StructureDefinition in profiles/
/// from its differential, so a profile author edits only the differential and reruns this.
/// </summary>
public static class ProfilesCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo>("--dir")
        {
            Description = "Folder holding StructureDefinition-*.json (differential in, snapshot written back)",
            DefaultValueFactory = _ => new DirectoryInfo("profiles"),
        };
        var snapshot = new Command("snapshot", "Generate snapshots for the StructureDefinitions in profiles/ with Firely's SnapshotGenerator") { dir };
        snapshot.SetAction(async (parse, _) => await GenerateSnapshotsAsync(parse.GetValue(dir)!));

        var profiles = new Command("profiles", "Profiles of what the server writes (Condition, Claim, Provenance)");
        profiles.Subcommands.Add(snapshot);
        return profiles;
    }

    public static async Task<int> GenerateSnapshotsAsync(DirectoryInfo dir)
    {
        var files = dir.GetFiles("StructureDefinition-*.json").OrderBy(f => f.Name).ToList();
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"no StructureDefinition-*.json in {dir.FullName}");
            return 1;
        }

        var deserializer = new FhirJsonDeserializer();
        var definitions = files.Select(f => (File: f, Sd: deserializer.Deserialize<StructureDefinition>(File.ReadAllText(f.FullName)))).ToList();
        foreach (var (_, sd) in definitions) sd.Snapshot = null;

        // Our own definitions first so profiles that use our extension resolve it; core from the spec zip.
        var resolver = new CachedResolver(new MultiResolver(
            new InMemoryResourceResolver(definitions.Select(d => (Resource)d.Sd).ToArray()),
            ZipSource.CreateValidationSource()));
        var generator = new SnapshotGenerator(resolver, SnapshotGeneratorSettings.CreateDefault());
        var serializer = new FhirJsonSerializer();
        var failed = 0;
        foreach (var (file, sd) in definitions)
        {
            await generator.UpdateAsync(sd);
            var errors = generator.Outcome?.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).ToList() ?? [];
            foreach (var issue in errors) Console.Error.WriteLine($"{file.Name}: {issue.Details?.Text ?? issue.Diagnostics}");
            if (errors.Count > 0) { failed++; continue; }
            await File.WriteAllTextAsync(file.FullName, serializer.SerializeToString(sd, pretty: true) + "\n");
            Console.WriteLine($"{file.Name}: {sd.Snapshot?.Element.Count ?? 0} snapshot elements");
        }
        return failed == 0 ? 0 : 1;
    }
}
