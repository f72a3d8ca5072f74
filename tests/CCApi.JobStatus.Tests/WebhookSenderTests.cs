using System.Net;
using System.Net.Http.Headers;
using CCApi.JobStatus.Webhooks;

namespace CCApi.JobStatus.Tests;

public class WebhookSenderTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Theory]
    [InlineData(200, WebhookAttemptOutcome.Delivered)]
    [InlineData(204, WebhookAttemptOutcome.Delivered)]
    [InlineData(410, WebhookAttemptOutcome.Stop)]
    [InlineData(500, WebhookAttemptOutcome.Retry)]
    [InlineData(503, WebhookAttemptOutcome.Retry)]
    [InlineData(429, WebhookAttemptOutcome.Retry)]
    [InlineData(400, WebhookAttemptOutcome.Retry)]
    [InlineData(302, WebhookAttemptOutcome.Retry)]
    public void Answers_are_classified_2xx_delivered_410_final_the_rest_retried(int status, WebhookAttemptOutcome expected)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        var attempt = WebhookSender.Classify(response, Now);
        attempt.Outcome.ShouldBe(expected);
        attempt.StatusCode.ShouldBe(status);
    }

    [Fact]
    public void A_redirect_is_reported_as_not_followed()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri("http://169.254.169.254/") } };
        WebhookSender.Classify(response, Now).Problem!.ShouldContain("never followed");
    }

    [Fact]
    public void Retry_after_is_read_as_seconds_or_as_a_date()
    {
        using var seconds = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Headers = { RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(120)) } };
        WebhookSender.Classify(seconds, Now).RetryAfter.ShouldBe(TimeSpan.FromSeconds(120));

        using var date = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(3)) } };
        WebhookSender.Classify(date, Now).RetryAfter.ShouldBe(TimeSpan.FromMinutes(3));

        using var past = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(-3)) } };
        WebhookSender.Classify(past, Now).RetryAfter.ShouldBe(TimeSpan.Zero);

        using var none = new HttpResponseMessage(HttpStatusCode.InternalServerError);
        WebhookSender.Classify(none, Now).RetryAfter.ShouldBeNull();
    }
}
