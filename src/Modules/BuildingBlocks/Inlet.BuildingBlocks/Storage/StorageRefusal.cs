using Azure;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>
/// A refusal from a storage request Inlet sends without the SDK (<see cref="ContainerProbe"/>, <see cref="ContainerListing"/>,
/// <see cref="LiteralBlobs"/>), thrown as the SDK would: storage's status and error code, and a message naming what was
/// asked, never the address (it carries a signature).
/// </summary>
internal static class StorageRefusal
{
    /// <param name="asked">What was asked, e.g. "Listing container x".</param>
    public static RequestFailedException From(string asked, HttpResponseMessage response)
    {
        response.Headers.TryGetValues("x-ms-error-code", out var codes);
        var code = codes?.FirstOrDefault();
        return new RequestFailedException((int)response.StatusCode, $"{asked} answered {(int)response.StatusCode} {code ?? response.ReasonPhrase}", code, null);
    }
}
