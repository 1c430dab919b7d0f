using System.CommandLine;

namespace Symphony.Cli.Coding;

/// <summary>The coder's commands: <c>code</c>, <c>eval codiesp</c>, <c>eval annotated</c> (its benchmark is <c>bench coder</c>).</summary>
public static class CodingCommands
{
    public static IEnumerable<Command> Create() =>
    [
        CodeCommand.Create(),
        new Command("eval", "Evaluate the coder on annotated corpora.") { EvalCodiEspCommand.Create(), EvalAnnotatedCommand.Create() },
    ];
}
