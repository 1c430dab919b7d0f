using System.CommandLine;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Terminology;
using Symphony.Terminology.Model;

namespace Symphony.Cli.Terminology;

/// <summary>
/// <c>symphony terminology export-fhir icd-10-cm 2021 out.json [--url …]</c>: a shipped ICD-10-CM release written as a
/// plain FHIR CodeSystem — displays, inclusion terms and other names as designations, the hierarchy as a
/// <c>parent</c> property, non-billable codes notSelectable — so it can be loaded through the generic path
/// (no tabular notes, index or 7th-character tables) and the generic coder measured against the ICD one.
/// </summary>
public static class ExportFhirCommand
{
    /// <summary>SNOMED CT "Synonym": the designation use for inclusion terms and other names.</summary>
    static readonly Hl7.Fhir.Model.Coding Synonym = new("http://snomed.info/sct", "900000000000013009", "Synonym");

    public static Command Create()
    {
        var system = new Argument<string>("system") { Description = "Shipped code system to export (icd-10-cm)" };
        system.AcceptOnlyFromAmong("icd-10-cm");
        var version = new Argument<string>("version") { Description = $"Release ({string.Join(", ", ShippedTerminology.Icd10CmVersions)})" };
        var output = new Argument<FileInfo>("out") { Description = "CodeSystem JSON to write" };
        var url = new Option<string>("--url") { Description = "CodeSystem.url to write (another URL than ICD-10-CM's makes the coder read it as any code system)", DefaultValueFactory = _ => "http://example.org/fhir/CodeSystem/icd10cm-generic" };
        var command = new Command("export-fhir", "Write a shipped release as a plain FHIR CodeSystem JSON") { system, version, output, url };
        command.SetAction(parse =>
        {
            var cs = ToCodeSystem(ShippedTerminology.LoadIcd10Cm(parse.GetValue(version)!), parse.GetValue(url)!);
            var file = parse.GetValue(output)!;
            using (var stream = file.Create())
            using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
                new FhirJsonSerializer().Serialize(cs, writer);
            Console.WriteLine($"wrote {cs.Concept.Count:N0} concepts ({cs.Concept.Count(c => c.Designation.Count > 0):N0} with designations) to {file.FullName}");
            return 0;
        });
        return command;
    }

    public static CodeSystem ToCodeSystem(CodeSystemVersion version, string url)
    {
        var cs = new CodeSystem
        {
            Url = url,
            Version = version.Version,
            Name = "Icd10CmGeneric",
            Title = $"{version.Name} as a plain CodeSystem",
            Status = PublicationStatus.Active,
            Language = "en",
            Content = CodeSystemContentMode.Complete,
            HierarchyMeaning = CodeSystem.CodeSystemHierarchyMeaning.IsA,
            Property =
            [
                new() { Code = "parent", Type = CodeSystem.PropertyType.Code },
                new() { Code = "notSelectable", Type = CodeSystem.PropertyType.Boolean },
            ],
        };
        foreach (var c in version.Concepts.Values.OrderBy(c => c.Code, StringComparer.Ordinal))
        {
            var concept = new CodeSystem.ConceptDefinitionComponent { Code = c.Code, Display = c.Display };
            var names = c.Designations.Select(d => d.Value)
                .Concat(c.Notes.Where(n => n.Kind is NoteKind.InclusionTerm or NoteKind.Includes && !n.Text.EndsWith(':')).Select(n => n.Text))
                .Where(n => n != c.Display).Distinct();
            foreach (var name in names)
                concept.Designation.Add(new() { Language = "en", Use = Synonym, Value = name });
            if (c.ParentCode is not null) concept.Property.Add(new() { Code = "parent", Value = new Code(c.ParentCode) });
            if (!c.IsBillable) concept.Property.Add(new() { Code = "notSelectable", Value = new FhirBoolean(true) });
            cs.Concept.Add(concept);
        }
        cs.Count = cs.Concept.Count;
        return cs;
    }
}
