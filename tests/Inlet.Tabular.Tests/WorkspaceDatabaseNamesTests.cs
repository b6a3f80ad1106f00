using Inlet.Tabular.Database;
using Inlet.Tabular.DatabaseCredentials;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Inlet.Tabular.Tests;

/// <summary>A workspace's database and its login share one name (pg_hba's <c>sameuser</c>), which names exactly one workspace (ADR 31).</summary>
public sealed class WorkspaceDatabaseNamesTests
{
    private static WorkspaceDatabase For(string prefix) => new("Host=localhost;Database=inlet;Username=inlet;Password=x", "Host=localhost;Database=inlet",
        Options.Create(new DatabaseCredentialsOptions { WorkspaceRolePrefix = prefix }), NullLogger<WorkspaceDatabase>.Instance);

    [Theory]
    [InlineData("inlet_", "ws-demo", "inlet_ws_ws_demo")]
    [InlineData("site2_", "a-b-c", "site2_ws_a_b_c")]
    public void The_database_is_named_like_the_login_and_leads_back_to_its_workspace(string prefix, string wsid, string name)
    {
        var database = For(prefix);
        Assert.Equal(name, database.NameFor(wsid));
        Assert.Equal(wsid, database.WorkspaceOf(name));
        Assert.Null(database.WorkspaceOf("other_ws_" + wsid.Replace('-', '_'))); // another deployment's
        Assert.Null(database.WorkspaceOf(prefix + "workspace_logins"));
        Assert.Equal("ws_" + wsid.Replace('-', '_'), WorkspaceDatabase.SchemaFor(wsid));
    }

    [Fact]
    public void The_longest_name_fits_PostgreSQLs_63_bytes_and_a_bad_prefix_or_workspace_id_is_refused()
    {
        Assert.Equal(59, For("abcdefghijklmnop").NameFor(new string('a', 40)).Length);
        Assert.Throws<InvalidOperationException>(() => For("Bad-Prefix").NameFor("ws-demo"));
        Assert.Throws<ArgumentException>(() => For("inlet_").NameFor("WS_demo"));
    }
}
