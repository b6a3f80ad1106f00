using System.Reflection;
using System.Xml.Linq;

namespace Inlet.Tests.Architecture;

/// <summary>Modules reach each other only through *.Contracts (docs/adr/0001).</summary>
public sealed class ModuleBoundaryTests
{
    private static readonly string[] Modules = ["Tokens", "Ingestion", "Tabular", "Notifications"];

    /// <summary>Modules that publish nothing others consume, and so have no contracts project (Notifications only subscribes).</summary>
    private static readonly string[] WithoutContracts = ["Notifications"];

    private static string RepoRoot() => TestServices.RepoRoot();

    public static TheoryData<string> ModuleNames => new(Modules);

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void A_module_project_references_other_modules_only_through_their_contracts(string module)
    {
        var root = RepoRoot();
        foreach (var project in Directory.GetFiles(Path.Combine(root, "src", "Modules", module), "*.csproj", SearchOption.AllDirectories))
        {
            var references = XDocument.Load(project).Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value));
            foreach (var reference in references)
            {
                var other = Modules.FirstOrDefault(m => m != module && reference.StartsWith($"Inlet.{m}", StringComparison.Ordinal));
                Assert.True(other is null || reference == $"Inlet.{other}.Contracts",
                    $"{Path.GetFileName(project)} references {reference}; use Inlet.{other}.Contracts instead");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void A_module_assembly_uses_no_internals_of_another_module(string module)
    {
        var assembly = Assembly.Load($"Inlet.{module}");
        var forbidden = Modules.Where(m => m != module).Select(m => $"Inlet.{m}").ToHashSet();
        var used = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(used, forbidden.Contains);
        if (WithoutContracts.Contains(module))
            return;
        var contracts = Assembly.Load($"Inlet.{module}.Contracts");
        Assert.All(contracts.GetReferencedAssemblies(), a => Assert.False(a.Name!.StartsWith("Inlet.", StringComparison.Ordinal), $"Inlet.{module}.Contracts must stand alone, but uses {a.Name}"));
    }
}
