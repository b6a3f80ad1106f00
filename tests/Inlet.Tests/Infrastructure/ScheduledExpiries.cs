using Npgsql;

namespace Inlet.Tests.Infrastructure;

/// <summary>Reads Wolverine's durable inbox to see which expiry is scheduled for when.</summary>
public static class ScheduledExpiries
{
    public static async Task<DateTimeOffset?> For(string postgres, Guid tid)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select execution_time, body from wolverine_incoming_envelopes where status = 'Scheduled' and message_type like '%ExpireUploadToken%'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var body = System.Text.Encoding.UTF8.GetString((byte[])reader["body"]);
            if (body.Contains(tid.ToString(), StringComparison.OrdinalIgnoreCase))
                return reader.GetFieldValue<DateTimeOffset>(0);
        }
        return null;
    }
}
