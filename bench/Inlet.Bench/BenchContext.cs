using System.Text.Json.Nodes;
using Inlet.BuildingBlocks.Storage;

namespace Inlet.Bench;

public sealed class BenchContext(BenchEnvironment env, BenchSize size, InletHost host)
{
    public BenchEnvironment Env => env;
    public BenchSize Size => size;
    public InletHost Host => host;
    public StorageAccounts Accounts { get; } = new(new StorageAccount(env.Storage), new StorageAccount(env.Landing, StorageAccount.Settings.Landing));

    /// <summary>The workspace account.</summary>
    public StorageAccount Storage => Accounts.Workspace;

    /// <summary>The landing account: token containers, and the baselines that stand for them.</summary>
    public StorageAccount Landing => Accounts.Landing;

    public Task<InletClient> SignIn(params string[] workspaces) => InletClient.SignIn(host.Address, "bench", workspaces);

    public static void Log(string message) => Console.Error.WriteLine($"[bench {DateTime.UtcNow:HH:mm:ss}] {message}");
}

/// <summary>One scenario: Inlet and its baseline, measured in the same run against the same services.</summary>
public interface IScenario
{
    string Name { get; }

    Task<JsonObject> Run(BenchContext context);
}
