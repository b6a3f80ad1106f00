using Inlet.Ingestion.Routing;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>Only uploaded bytes are routed: a blob storage reports as made by a server-side copy is refused (docs/adr/0030).</summary>
public sealed class UploadOriginTests
{
    [Fact]
    public void A_blob_made_by_Put_Blob_or_Put_Block_List_has_no_copy_properties_and_is_accepted() =>
        Assert.Null(UploadOrigin.Rejection(BlobOrigin.Uploaded));

    [Theory]
    // Copy Blob, asynchronous: id, status and source (success, or still pending, or failed half-way).
    [InlineData("0b23e7f4-e122-4def-a110-4d2aefe02dec", "success", true)]
    [InlineData("0b23e7f4-e122-4def-a110-4d2aefe02dec", "pending", true)]
    [InlineData("0b23e7f4-e122-4def-a110-4d2aefe02dec", "failed", true)]
    [InlineData("0b23e7f4-e122-4def-a110-4d2aefe02dec", "aborted", true)]
    // Any one of the three is enough: storage reports what it recorded (Copy Blob From URL, Put Blob From URL where it records it).
    [InlineData("ae963398-a34f-4af8-86b9-722e84e97c70", null, false)]
    [InlineData(null, "success", false)]
    [InlineData(null, null, true)]
    public void A_blob_with_a_copy_id_status_or_source_is_rejected_saying_only_uploaded_bytes_are_accepted(string? id, string? status, bool source)
    {
        var reason = UploadOrigin.Rejection(new BlobOrigin(id, status, source));
        Assert.NotNull(reason);
        Assert.Contains("server-side copy", reason);
        Assert.Contains("only uploaded bytes are accepted", reason);
        Assert.Contains("quarantine", reason);
    }

    [Fact]
    public void The_reason_never_names_where_the_bytes_were_copied_from()
    {
        // The source address may name another workspace's container or carry a signature; BlobOrigin does not even keep it.
        Assert.Equal(["CopyId", "CopyStatus", "HasCopySource"], typeof(BlobOrigin).GetProperties().Select(p => p.Name).Order());
        var reason = UploadOrigin.Rejection(new BlobOrigin("id", "success", true))!;
        Assert.DoesNotContain("http", reason);
        Assert.DoesNotContain("ws-", reason);
    }
}
