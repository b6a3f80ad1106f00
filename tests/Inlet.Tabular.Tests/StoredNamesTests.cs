using System.Text.Json;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Text;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Xunit;

namespace Inlet.Tabular.Tests;

/// <summary>
/// Modes and policies became enums; what is stored (events, staged-file documents, the audit trail) and shown stays the
/// strings it was, under Marten's own serializer settings (no enum converter of its own) as under the API's.
/// </summary>
public sealed class StoredNamesTests
{
    private static readonly JsonSerializerOptions Marten = new();
    private static readonly JsonSerializerOptions Api = JsonDefaults.Create();

    [Theory]
    [InlineData(LoadMode.Replace, "replace")]
    [InlineData(LoadMode.Append, "append")]
    public void A_load_mode_is_written_as_before(LoadMode mode, string name)
    {
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(mode, Marten));
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(mode, Api));
        Assert.Equal(name, EnumText.Name(mode));
        Assert.Equal(mode, JsonSerializer.Deserialize<LoadMode>($"\"{name}\"", Marten));
        Assert.Equal(mode, JsonSerializer.Deserialize<LoadMode>(((int)mode).ToString(), Marten)); // a document written before
    }

    [Theory]
    [InlineData(BadRowPolicy.Report, "report")]
    [InlineData(BadRowPolicy.Refuse, "refuse")]
    public void A_bad_rows_policy_is_stored_as_the_tokens_setting_reads(BadRowPolicy policy, string setting)
    {
        Assert.Equal($"\"{setting}\"", JsonSerializer.Serialize(policy, Marten));
        Assert.Equal(policy, JsonSerializer.Deserialize<BadRowPolicy>($"\"{setting}\"", Marten));
        Assert.Equal(policy, BadRowPolicies.FromSetting(setting));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("skip")]
    [InlineData("7")]
    public void No_setting_or_an_unknown_one_is_the_default(string? setting) => Assert.Null(BadRowPolicies.FromSetting(setting));
}
