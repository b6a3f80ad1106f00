namespace Inlet.BuildingBlocks.Text;

/// <summary>
/// A blob name as PostgreSQL can keep it. Storage takes U+0000 in a name (<c>nul%00x.txt</c>), but PostgreSQL's text
/// and jsonb cannot hold it, so the upload's first event could not be written and the blob would wait for ever. Such a
/// name is kept with '%' written <c>%25</c> and U+0000 written <c>%00</c> (readable in the audit, and reversible, since
/// every '%' in the kept form starts one of the two); every other name is kept as it is.
/// </summary>
public static class StoredName
{
    public static bool NeedsEncoding(string name) => name.Contains('\0');

    public static string Encode(string name) => name.Replace("%", "%25").Replace("\0", "%00");

    public static string Decode(string stored) => stored.Replace("%00", "\0").Replace("%25", "%");
}
