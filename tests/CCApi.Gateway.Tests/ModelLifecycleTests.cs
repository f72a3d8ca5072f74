using CCApi.Contracts;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Models the catalog gives a shutdown date: answered with RFC 8594's <c>Sunset</c> header until that day, refused from it
/// on (400 model_not_found naming the replacement), and skipped as a failover candidate.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ModelLifecycleTests(GatewayFixture gateway)
{
    private static string Chat(string models, string text) =>
        "{" + models + $$""","messages":[{"role":"user","content":"{{text}} {{Guid.NewGuid():N}}"}]}""";

    /// <summary>
    /// Sets the stub catalog's shutdown of local/echo-1 and waits until the gateway follows: echo-1 answers
    /// <paramref name="expected"/>, with a Sunset header exactly when a day still to come is set.
    /// </summary>
    private async Task ShutDownEchoAsync(DateOnly? day, HttpStatusCode expected)
    {
        gateway.Internal.SetShutdown("local/echo-1", day, day is null ? null : "openai/gpt-4o-mini");
        await gateway.Providers.Bus.Publish(new CatalogChanged { Timestamp = DateTimeOffset.UtcNow, Version = "test" });
        var sunset = day is not null && expected == HttpStatusCode.OK;
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            using var probe = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"model\":\"local/echo-1\"", "probe"));
            return probe.StatusCode == expected && probe.Headers.Contains("Sunset") == sunset;
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();
    }

    [Fact]
    public async Task A_model_with_a_shutdown_date_to_come_answers_with_its_Sunset_and_others_without()
    {
        using var mini = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"model\":\"openai/gpt-4o-mini\"", "hello"));
        using var echo = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"model\":\"local/echo-1\"", "hello"));
        using var stream = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"model\":\"openai/gpt-4o-mini\",\"stream\":true", "hello"));

        mini.StatusCode.ShouldBe(HttpStatusCode.OK);
        mini.Headers.GetValues("Sunset").ShouldHaveSingleItem().ShouldBe("Thu, 14 Jan 2027 00:00:00 GMT"); // deploy/catalog.json
        echo.Headers.Contains("Sunset").ShouldBeFalse();
        stream.Headers.GetValues("Sunset").ShouldHaveSingleItem().ShouldBe("Thu, 14 Jan 2027 00:00:00 GMT");
    }

    [Fact]
    public async Task A_model_past_its_shutdown_date_is_refused_naming_its_replacement_and_skipped_in_failover()
    {
        var yesterday = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
        try
        {
            await ShutDownEchoAsync(yesterday, HttpStatusCode.BadRequest);
            var text = "never sent " + Guid.NewGuid().ToString("N");

            using var refused = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"model\":\"local/echo-1\"", text));
            using var failedOver = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"models\":[\"local/echo-1\",\"openai/gpt-4o-mini\"]", text));

            var error = await GatewayFixture.ShouldBeErrorAsync(refused, HttpStatusCode.BadRequest, "invalid_request_error", "model_not_found");
            ((string)error["message"]!).ShouldContain($"was shut down on {yesterday:yyyy-MM-dd}");
            ((string)error["message"]!).ShouldContain("use 'openai/gpt-4o-mini' instead");
            ((string)error["param"]!).ShouldBe("model");
            failedOver.StatusCode.ShouldBe(HttpStatusCode.OK, await failedOver.Content.ReadAsStringAsync());
            (await GatewayFixture.ReadJsonAsync(failedOver))["model"]!.GetValue<string>().ShouldBe("openai/gpt-4o-mini");
            gateway.Providers.FindChat(text).ShouldNotBeNull().Route.Model.ShouldBe("openai/gpt-4o-mini"); // echo-1 was never asked
        }
        finally
        {
            await ShutDownEchoAsync(null, HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task A_shutdown_date_still_to_come_serves_the_model()
    {
        try
        {
            await ShutDownEchoAsync(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1), HttpStatusCode.OK);

            using var served = await gateway.PostJsonAsync("/v1/chat/completions", Chat("\"model\":\"local/echo-1\"", "still here"));

            served.StatusCode.ShouldBe(HttpStatusCode.OK);
            served.Headers.GetValues("Sunset").ShouldHaveSingleItem()
                .ShouldBe(DateTime.UtcNow.Date.AddDays(1).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await ShutDownEchoAsync(null, HttpStatusCode.OK);
        }
    }
}
