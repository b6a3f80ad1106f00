namespace Inlet.Tests.Audit;

/// <summary>Reading the audit API as a client does: one page with its cursor, or an unpaged JSON array.</summary>
internal static class AuditPages
{
    public static async Task<(List<JsonElement> Entries, long? Next)> Page(HttpClient client, string url)
    {
        var page = await client.GetJson(url);
        var next = page.GetProperty("next");
        return (page.GetProperty("entries").EnumerateArray().ToList(), next.ValueKind == JsonValueKind.Null ? null : next.GetInt64());
    }

    public static async Task<List<JsonElement>> All(HttpClient client, string url) =>
        (await client.GetJson(url)).EnumerateArray().ToList();
}
