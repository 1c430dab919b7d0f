using Hl7.Fhir.Model;
using Symphony.Coders;

// Not "…Server.Coding": that namespace would hide Hl7.Fhir.Model.Coding everywhere under Symphony.Fhir.Server.
namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>What the encounter tells the coder: the care setting (inpatient and outpatient conventions differ) and the date that picks the release.</summary>
public static class EncounterContext
{
    static readonly HashSet<string> InpatientClasses = ["IMP", "ACUTE", "NONAC"];

    public static CareSetting Setting(Encounter? encounter) =>
        encounter?.Class?.Code is { } code && InpatientClasses.Contains(code) ? CareSetting.Inpatient : CareSetting.Outpatient;

    /// <summary>ICD-10-CM fiscal year in force on a date: FY N runs from 1 October N-1 to 30 September N.</summary>
    public static int FiscalYear(DateOnly date) => date.Month >= 10 ? date.Year + 1 : date.Year;

    /// <summary>The date that picks the code-system release: the encounter's start, else the note's date, else today.</summary>
    public static DateOnly ServiceDate(Encounter? encounter, DocumentReference? document)
    {
        var start = encounter?.Period?.StartElement?.ToDateTimeOffset(TimeSpan.Zero) ?? document?.Date;
        return DateOnly.FromDateTime(start?.UtcDateTime ?? DateTime.UtcNow);
    }
}
