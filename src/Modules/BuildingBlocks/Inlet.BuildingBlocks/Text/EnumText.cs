using System.Text.Json;

namespace Inlet.BuildingBlocks.Text;

/// <summary>An enum value as people read it everywhere outside C#: the API's lower-case name ("append", "database").</summary>
public static class EnumText
{
    /// <summary>The name the HTTP contract writes for <paramref name="value"/> (JsonDefaults' snake_case enum policy).</summary>
    public static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
