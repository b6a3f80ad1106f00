using Microsoft.Playwright;
using Npgsql;

namespace Inlet.Tests.Web;

/// <summary>The Database page's Connect panel in a real browser against a real Host and PostgreSQL.</summary>
[Collection(nameof(RunsAlone))]
public sealed class DatabaseCredentialsPageTests(BrowserHost web) : IClassFixture<BrowserHost>
{
    /// <summary>A client's connection from a <c>postgresql://</c> URL, as psql or libpq would read it.</summary>
    private static async Task<NpgsqlConnection> Connect(string url, string? password = null)
    {
        var uri = new Uri(url);
        var user = uri.UserInfo.Split(':', 2);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.Port, Database = uri.AbsolutePath.TrimStart('/'),
            Username = Uri.UnescapeDataString(user[0]), Password = password ?? Uri.UnescapeDataString(user[1]), Pooling = false, SslMode = SslMode.Disable,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task The_Connect_panel_shows_the_password_once_then_snippets_and_rotates_and_revokes_the_login()
    {
        var ws = InletApp.NewWorkspace("webconn");
        var page = await web.NewPage();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // the confirmations before rotating and revoking
        await page.SignIn("alice", ws);
        await page.Open(ws, "database", "Database");
        var panel = page.Locator("#connect");
        Assert.Contains("nothing else", await panel.InnerTextAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Create database login" }).ClickAsync();

        await panel.Locator(".notice-warning").WaitForAsync();
        Assert.Contains("can be copied only now", await panel.Locator(".notice-warning").InnerTextAsync());
        // Checked without printing: a failing assertion must not put a secret in the test log.
        var password = await page.CopyWith("Copy password");
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(password, "^[A-Za-z0-9]{32}$"), "the copied password is 32 letters and digits");
        var url = await page.CopyWith("Copy connection URL");
        Assert.True(url.StartsWith("postgresql://", StringComparison.Ordinal) && url.Contains(":" + password + "@", StringComparison.Ordinal), "the copied URL holds the password");
        var user = await panel.Locator(".login-user").InnerTextAsync();
        Assert.Equal("inlet_ws_" + ws.Replace('-', '_'), user);
        Assert.False((await page.ContentAsync()).Contains(password, StringComparison.Ordinal), "no password in the page's HTML");

        // The snippets name the login and read the password from the environment, never quote it.
        var psql = await panel.Locator("code.snippet-psql").InnerTextAsync();
        Assert.Contains($"user={user}", psql);
        Assert.Contains("PGPASSWORD", await panel.Locator("code.snippet-r").InnerTextAsync());
        Assert.Contains("os.environ[\"PGPASSWORD\"]", await panel.Locator("code.snippet-python").InnerTextAsync());
        await page.Screenshot("database-connect");

        await using (var session = await Connect(url))
            Assert.Equal(user, await Scalar(session, "select current_user"));

        // Back after leaving the page: the login is listed, its password gone for good.
        await page.Open(ws, "uploads", "Uploads");
        await page.Open(ws, "database", "Database");
        await panel.Locator(".login-user").WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Copy") }).CountAsync());
        Assert.Equal(0, await panel.Locator(".notice-warning").CountAsync());
        Assert.False((await page.ContentAsync()).Contains(password, StringComparison.Ordinal), "the page holds no password once its creator has left it");
        Assert.Contains("Lost it?", await panel.InnerTextAsync());
        foreach (var width in new[] { 390, 1280 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.AssertFitsWidth($"Database page with a login at {width} px");
            await page.AssertRenderedCleanly("Database page with a login");
        }
        await page.Screenshot("database-connect-later");

        await page.GetByRole(AriaRole.Button, new() { Name = "Create new password" }).ClickAsync();
        await panel.Locator(".notice-warning").WaitForAsync();
        var rotated = await page.CopyWith("Copy password");
        Assert.True(rotated != password, "a new password");
        var old = await Assert.ThrowsAsync<PostgresException>(() => Connect(url));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, old.SqlState);
        await using (var session = await Connect(url, rotated))
            Assert.Equal(1, await Scalar(session, "select 1"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke login" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create database login" }).WaitForAsync();
        await Assert.ThrowsAsync<PostgresException>(() => Connect(url, rotated));

        await page.Open(ws, "audit", "Audit trail");
        Assert.Equal(1, await page.Locator("tr[data-type='database_credentials_issued']").CountAsync());
        Assert.Equal(1, await page.Locator("tr[data-type='database_credentials_rotated']").CountAsync());
        Assert.Contains(user, await page.Locator("tr[data-type='database_credentials_revoked']").InnerTextAsync());
        await page.AssertRenderedCleanly("Audit trail with database login events");
        await page.Screenshot("audit-database-login");
    }
}
