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

    [Theory]
    [InlineData("2147483648")] // one past int.MaxValue seconds: the typed header drops it as invalid
    [InlineData("99999999999")]
    [InlineData("999999999999999999999999999999")]
    public void A_retry_after_too_long_to_represent_is_the_longest_wait_not_none(string seconds)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("Retry-After", seconds).ShouldBeTrue();

        WebhookSender.Classify(response, Now).RetryAfter.ShouldBe(TimeSpan.FromDays(365));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("")]
    public void A_retry_after_that_is_neither_seconds_nor_a_date_is_ignored(string value)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("Retry-After", value);

        WebhookSender.Classify(response, Now).RetryAfter.ShouldBeNull();
    }
}
