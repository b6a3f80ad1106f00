using Inlet.BuildingBlocks.Storage;
using Microsoft.Extensions.Configuration;

namespace Inlet.Tests.Foundation;

/// <summary>Real Azure: the account from a connection string or from its parts (key from a secret store, endpoint per cloud).</summary>
public sealed class StorageConfigurationTests
{
    private static StorageAccount From(params (string Key, string Value)[] settings) =>
        StorageAccount.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    private const string Key = "a2V5LWZvci10ZXN0cy1vbmx5";

    [Fact]
    public void Account_name_and_key_default_to_the_public_Azure_cloud()
    {
        var account = From(("Storage:AccountName", "inletprod"), ("Storage:AccountKey", Key));
        Assert.Equal("https://inletprod.blob.core.windows.net/", account.Service.Uri.AbsoluteUri);
        Assert.Equal("inletprod", account.Credential.AccountName);
    }

    [Fact]
    public void An_endpoint_suffix_selects_a_sovereign_cloud()
    {
        var account = From(("Storage:AccountName", "inletcn"), ("Storage:AccountKey", Key), ("Storage:EndpointSuffix", "core.chinacloudapi.cn"));
        Assert.Equal("https://inletcn.blob.core.chinacloudapi.cn/", account.Service.Uri.AbsoluteUri);
    }

    [Fact]
    public void A_custom_blob_endpoint_is_used_as_given()
    {
        var account = From(("Storage:AccountName", "inletpe"), ("Storage:AccountKey", Key), ("Storage:BlobEndpoint", "https://inletpe.privatelink.blob.core.windows.net/"));
        Assert.Equal("https://inletpe.privatelink.blob.core.windows.net/", account.Service.Uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("Storage:AccountName", "inletprod")]
    [InlineData("Storage:AccountKey", Key)]
    public void Half_an_account_is_refused_with_the_settings_to_supply(string key, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => From((key, value)));
        Assert.Contains("Storage:AccountName and Storage:AccountKey", error.Message);
        Assert.DoesNotContain(Key, error.Message);
    }

    [Fact]
    public void A_connection_string_without_the_account_key_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => From(("ConnectionStrings:Storage", "BlobEndpoint=https://x.blob.core.windows.net;SharedAccessSignature=sv=2025&sig=abc")));
        Assert.Contains("AccountKey", error.Message);
        Assert.DoesNotContain("sig=abc", error.Message);
    }

    [Fact]
    public void A_blob_endpoint_that_is_not_an_address_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => From(("Storage:AccountName", "a"), ("Storage:AccountKey", Key), ("Storage:BlobEndpoint", "inlet.blob")));
        Assert.Contains("Storage:BlobEndpoint", error.Message);
    }

    private static StorageAccounts Both(params (string Key, string Value)[] settings) =>
        StorageAccounts.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void The_landing_account_is_read_by_the_same_rules_from_its_own_settings()
    {
        var accounts = Both(("Storage:AccountName", "inletprod"), ("Storage:AccountKey", Key),
            ("Storage:Landing:AccountName", "inletlanding"), ("Storage:Landing:AccountKey", Key), ("Storage:Landing:EndpointSuffix", "core.chinacloudapi.cn"));
        Assert.Equal("https://inletprod.blob.core.windows.net/", accounts.Workspace.Service.Uri.AbsoluteUri);
        Assert.Equal("https://inletlanding.blob.core.chinacloudapi.cn/", accounts.Landing.Service.Uri.AbsoluteUri);
        var fromConnectionString = Both(("Storage:AccountName", "inletprod"), ("Storage:AccountKey", Key),
            ("ConnectionStrings:Landing", $"AccountName=inletland2;AccountKey={Key};BlobEndpoint=https://inletland2.privatelink.blob.core.windows.net"));
        Assert.Equal("https://inletland2.privatelink.blob.core.windows.net/", fromConnectionString.Landing.Service.Uri.AbsoluteUri);
        // A token's recorded account picks its container's account; none is a token from before the landing account.
        Assert.Same(accounts.Landing, accounts.Holding("inletlanding"));
        Assert.Same(accounts.Workspace, accounts.Holding(null));
        Assert.Same(accounts.Workspace, accounts.Holding("inletprod"));
        Assert.Contains("'elsewhere'", Assert.Throws<InvalidOperationException>(() => accounts.Holding("elsewhere")).Message);
    }

    [Fact]
    public void Without_a_landing_account_the_Host_does_not_start_and_says_which_settings_to_supply()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Both(("Storage:AccountName", "inletprod"), ("Storage:AccountKey", Key)));
        Assert.Contains("ConnectionStrings:Landing", error.Message);
        Assert.Contains("Storage:Landing:AccountName and Storage:Landing:AccountKey", error.Message);
        Assert.DoesNotContain(Key, error.Message);
    }

    [Theory]
    [InlineData("inletprod")]
    [InlineData("INLETPROD")]
    public void A_landing_account_that_is_the_workspace_account_is_refused(string landing)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Both(("Storage:AccountName", "inletprod"), ("Storage:AccountKey", Key),
            ("Storage:Landing:AccountName", landing), ("Storage:Landing:AccountKey", Key)));
        Assert.Contains("another storage account than the workspace account", error.Message);
        Assert.DoesNotContain(Key, error.Message);
    }

    [Fact]
    public async Task A_Host_configured_by_account_name_key_and_endpoint_issues_tokens_AzCopy_can_use()
    {
        static Dictionary<string, string> Parts(string connectionString) =>
            connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var parts = Parts(TestServices.Storage);
        var landing = Parts(TestServices.Landing);
        var postgres = await TestServices.CreateDatabase("inlet_storage_parts");
        await using var host = new HostProcess(postgres, new Dictionary<string, string>
        {
            ["ConnectionStrings__Storage"] = "",
            ["Storage__AccountName"] = parts["AccountName"],
            ["Storage__AccountKey"] = parts["AccountKey"],
            ["Storage__BlobEndpoint"] = parts["BlobEndpoint"],
            ["ConnectionStrings__Landing"] = "",
            ["Storage__Landing__AccountName"] = landing["AccountName"],
            ["Storage__Landing__AccountKey"] = landing["AccountKey"],
            ["Storage__Landing__BlobEndpoint"] = landing["BlobEndpoint"],
        });
        await host.Start();
        var ws = InletApp.NewWorkspace("parts");
        await host.SignIn("alice", ws);
        var token = await host.Client.Issue(ws);
        // The token's container is in the landing account (docs/adr/0030).
        Assert.StartsWith(landing["BlobEndpoint"].TrimEnd('/') + "/", token.Str("token"));
        var upload = await AzCopy.Copy(LocalFiles.Folder(("parts.txt", "configured by parts")).FullName + "/*", token.Str("token"));
        Assert.True(upload.Succeeded, upload.Output);
        await TokenApi.Eventually(async () => (await host.Client.GetJson($"/api/workspaces/{ws}/inbox")).GetArrayLength() == 1, 30, "the file routed");
    }
}
