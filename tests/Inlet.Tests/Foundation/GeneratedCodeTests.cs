namespace Inlet.Tests.Foundation;

/// <summary>
/// The Host loads pre-generated handler code (ADR 6). Code generated from the handlers as they are now must
/// equal what is committed, or a changed policy or handler would run with yesterday's adapters.
/// </summary>
public sealed class GeneratedCodeTests
{
    private static readonly string Committed = Path.Combine(TestServices.RepoRoot(), "src", "Host", "Internal", "Generated");

    [Fact]
    public async Task The_committed_handler_code_is_what_Wolverine_generates_from_the_current_handlers()
    {
        var fresh = Directory.CreateTempSubdirectory("inlet-codegen-");
        try
        {
            var (exit, output) = await HostProcess.Command(TestServices.PostgresServer,
                new Dictionary<string, string> { ["CodeGeneration__OutputPath"] = fresh.FullName }, "codegen", "write");
            Assert.True(exit == 0, output);

            var expected = Files(fresh.FullName);
            var actual = Files(Committed);
            Assert.True(expected.Count > 10, $"codegen wrote only {expected.Count} files:\n{output}");
            var stale = expected.Keys.Union(actual.Keys)
                .Where(name => expected.GetValueOrDefault(name) != actual.GetValueOrDefault(name))
                .Order().ToList();
            Assert.True(stale.Count == 0,
                $"src/Host/Internal/Generated is out of date ({string.Join(", ", stale)}); run eng/codegen.sh and commit the result.");
        }
        finally
        {
            fresh.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(root, f), f => File.ReadAllText(f).ReplaceLineEndings())
            : [];
}
