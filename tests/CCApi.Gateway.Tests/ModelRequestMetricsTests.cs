namespace CCApi.Gateway.Tests;

/// <summary>The gateway's GenAI server metrics and its overhead, as the Prometheus scrape would see them.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ModelRequestMetricsTests : IDisposable
{
    private readonly GatewayFixture _gateway;
    private readonly MeasurementRecorder _measurements = new();

    public ModelRequestMetricsTests(GatewayFixture gateway) => _gateway = gateway;

    public void Dispose() => _measurements.Dispose();

    [Fact]
    public async Task A_synchronous_chat_records_request_duration_and_overhead_by_operation_provider_and_public_model()
    {
        var response = await _gateway.PostJsonAsync("/v1/chat/completions", Chat("metrics " + Guid.NewGuid().ToString("N")));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);

        (await SeenAsync("gen_ai.server.request.duration", t => !t.ContainsKey("error.type"))).ShouldBeTrue();
        (await SeenAsync("ccapi.gateway.overhead", _ => true)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_failed_model_request_records_its_duration_with_the_status_as_error_type()
    {
        var response = await _gateway.PostJsonAsync("/v1/chat/completions", Chat("[fail:429] " + Guid.NewGuid().ToString("N")));
        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);

        (await SeenAsync("gen_ai.server.request.duration", t => t.TryGetValue("error.type", out var e) && (string?)e == "429")).ShouldBeTrue();
    }

    [Fact]
    public async Task A_streamed_chat_records_time_to_first_token()
    {
        var request = Chat("stream " + Guid.NewGuid().ToString("N"));
        request["stream"] = true;
        var response = await _gateway.PostJsonAsync("/v1/chat/completions", request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await response.Content.ReadAsStringAsync();

        (await SeenAsync("gen_ai.server.time_to_first_token", _ => true)).ShouldBeTrue();
    }

    private static JsonObject Chat(string content) => new()
    {
        ["model"] = "local/echo-1",
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
    };

    /// <summary>A measurement of <paramref name="instrument"/> for chat on local/echo-1 matching <paramref name="tags"/> (recorded when the response completes).</summary>
    private Task<bool> SeenAsync(string instrument, Func<IReadOnlyDictionary<string, object?>, bool> tags) =>
        TestInfrastructure.EventuallyAsync(() => Task.FromResult(_measurements.Of(instrument).Any(m =>
            m.Tag("gen_ai.operation.name") == "chat"
            && m.Tag("gen_ai.provider.name") == "local"
            && m.Tag("gen_ai.request.model") == "local/echo-1"
            && m.Value >= 0
            && tags(m.Tags))), TimeSpan.FromSeconds(10));
}
