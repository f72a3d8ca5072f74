using System.Net;
using CCApi.JobStatus.Webhooks;
using CCApi.ServiceDefaults;
using Polly;

namespace CCApi.JobStatus.Tests;

public class WebhookSenderTests
{
    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.Gone, false)]
    [InlineData(HttpStatusCode.OK, false)]
    public void Retries_server_errors_but_not_client_errors_or_success(HttpStatusCode status, bool retry)
    {
        using var response = new HttpResponseMessage(status);

        WebhookSender.IsTransient(Outcome.FromResult(response), CancellationToken.None).ShouldBe(retry);
    }

    [Fact]
    public void Retries_connection_failures_and_timeouts_but_not_refused_addresses_or_shutdown()
    {
        WebhookSender.IsTransient(Outcome.FromException<HttpResponseMessage>(new HttpRequestException("connection refused")), CancellationToken.None)
            .ShouldBeTrue();
        WebhookSender.IsTransient(Outcome.FromException<HttpResponseMessage>(new TaskCanceledException("timeout")), CancellationToken.None)
            .ShouldBeTrue();
        WebhookSender.IsTransient(
                Outcome.FromException<HttpResponseMessage>(new HttpRequestException("blocked", new OutboundUrlException("private address"))),
                CancellationToken.None)
            .ShouldBeFalse();
        WebhookSender.IsTransient(Outcome.FromException<HttpResponseMessage>(new TaskCanceledException()), new CancellationToken(canceled: true))
            .ShouldBeFalse();
    }
}
