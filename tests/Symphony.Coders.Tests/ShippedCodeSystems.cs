using Symphony.Terminology;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Tests;

/// <summary>The shipped ICD-10-CM and ICD-10-PCS, loaded once for every test class that reads them.</summary>
static class ShippedCodeSystems
{
    public static readonly Lazy<CodeSystemVersion> Icd10Cm = new(() => ShippedTerminology.LoadIcd10Cm());
    public static readonly Lazy<CodeSystemVersion> Icd10Pcs = new(ShippedTerminology.LoadIcd10Pcs);
}
