using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Terminology;

namespace Symphony.Cli.Coding;

/// <summary>Loads the shipped ICD-10-CM and ICD-10-PCS releases (in parallel) and builds a coder from them.</summary>
static class CoderFactory
{
    public static Coder Create(IEnumerable<SiteLexiconEntry>? siteLexicon = null, TermSources sources = TermSources.Default)
    {
        var cm = Task.Run(() => ShippedTerminology.LoadIcd10Cm());
        var pcs = Task.Run(ShippedTerminology.LoadIcd10Pcs);
        return new Coder(cm.GetAwaiter().GetResult(), pcs.GetAwaiter().GetResult(), siteLexicon, sources);
    }
}
