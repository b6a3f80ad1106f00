using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Inlet.BuildingBlocks.Http;
using Inlet.Notifications.Notices;

namespace Inlet.Notifications.Deliveries;

/// <summary>A notice as a CloudEvents 1.0 structured-mode JSON document (<c>application/cloudevents+json</c>), built by the CloudEvents SDK.</summary>
public static class CloudEventBody
{
    public const string ContentType = "application/cloudevents+json; charset=utf-8";

    private static readonly JsonEventFormatter Formatter = new(JsonDefaults.Create(), new JsonDocumentOptions());

    public static string For(Notice notice)
    {
        var cloudEvent = new CloudEvent(CloudEventsSpecVersion.V1_0)
        {
            Id = notice.Id,
            Source = new Uri($"/workspaces/{Uri.EscapeDataString(notice.Wsid)}", UriKind.Relative),
            Type = NoticeTypes.Prefix + notice.Type,
            Subject = notice.Subject,
            Time = notice.Time,
            DataContentType = "application/json",
            Data = notice.Data,
        };
        var bytes = Formatter.EncodeStructuredModeMessage(cloudEvent, out _);
        return System.Text.Encoding.UTF8.GetString(bytes.Span);
    }
}
