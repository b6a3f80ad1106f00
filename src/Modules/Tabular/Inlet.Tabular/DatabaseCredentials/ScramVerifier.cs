using System.Security.Cryptography;
using System.Text;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>
/// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as <c>pg_authid.rolpassword</c>
/// holds it). Inlet sends this to the server instead of the password, so the password itself never
/// travels in a SQL statement that the server log, <c>pg_stat_statements</c> or a trace could keep.
/// </summary>
public static class ScramVerifier
{
    public const int Iterations = 4096; // PostgreSQL's scram_iterations default

    /// <remarks>
    /// The password must be ASCII letters and digits: SASLprep, which clients apply before hashing, leaves
    /// those unchanged, so no normalisation is needed here.
    /// </remarks>
    public static string For(string password, byte[]? salt = null, int iterations = Iterations)
    {
        if (password.Any(c => !char.IsAsciiLetterOrDigit(c)))
            throw new ArgumentException("Only ASCII letters and digits are supported.", nameof(password));
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>A password of 32 letters and digits (about 190 bits), safe in a URL and a shell without quoting.</summary>
    public static string NewPassword() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
}
