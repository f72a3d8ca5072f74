using System.Net.Http.Headers;
using CCApi.Contracts;
using CCApi.Gateway.Dispatch;
using CCApi.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ChatCompletionTests(GatewayFixture gateway)
{
    private static JsonObject Request(string content, string model = "local/echo-1") => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "Be brief." },
            new JsonObject { ["role"] = "user", ["content"] = content }),
    };

    [Fact]
    public async Task Returns_an_OpenAI_chat_completion_from_the_provider_queue()
    {
        var marker = Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request("hello " + marker));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["id"]!.GetValue<string>().ShouldMatch("^chatcmpl-[0-9a-f]{32}$");
        body["object"]!.GetValue<string>().ShouldBe("chat.completion");
        body["created"]!.GetValue<long>().ShouldBeGreaterThan(1_700_000_000);
        body["model"]!.GetValue<string>().ShouldBe("local/echo-1");
        body["provider"]!.GetValue<string>().ShouldBe("local");
        body["system_fingerprint"]!.GetValue<string>().ShouldBe("fp_fake");
        var choice = body["choices"]!.AsArray().ShouldHaveSingleItem()!;
        choice["index"]!.GetValue<int>().ShouldBe(0);
        choice["finish_reason"]!.GetValue<string>().ShouldBe("stop");
        choice.AsObject().ContainsKey("logprobs").ShouldBeTrue();
        choice["message"]!["role"]!.GetValue<string>().ShouldBe("assistant");
        choice["message"]!["content"]!.GetValue<string>().ShouldBe("local says: hello " + marker);
        body["usage"]!["prompt_tokens"]!.GetValue<int>().ShouldBe(7);
        body["usage"]!["completion_tokens"]!.GetValue<int>().ShouldBe(5);
        body["usage"]!["total_tokens"]!.GetValue<int>().ShouldBe(12);
        body["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>().ShouldBe(0); // as OpenAI: always there
        body["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<int>().ShouldBe(0);

        var command = gateway.Providers.FindChat(marker).ShouldNotBeNull();
        command.Route.OwnerId.ShouldBe(gateway.KeyId);
        command.Route.Provider.ShouldBe("local");
        command.Route.ProviderModel.ShouldBe("echo-1");
        command.Route.Pricing.ShouldNotBeNull();
        command.Stream.ShouldBeFalse();
        command.Deadline.ShouldNotBeNull();
    }

    [Fact]
    public async Task The_usage_carries_the_providers_cached_and_reasoning_tokens_in_OpenAIs_details()
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request("[usage-details] " + Guid.NewGuid().ToString("N")));

        var usage = (await GatewayFixture.ReadJsonAsync(response))["usage"]!;
        usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>().ShouldBe(2);
        usage["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<int>().ShouldBe(1);
        usage["prompt_tokens"]!.GetValue<int>().ShouldBe(7);
    }

    [Fact]
    public async Task Parallel_calls_each_get_their_own_answer_and_leave_nothing_waiting()
    {
        // Responses come back on one queue and are matched to their callers by request id (SynchronousCalls).
        var markers = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid().ToString("N")).ToArray();

        var answers = await Task.WhenAll(markers.Select(async marker =>
        {
            var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            return (await GatewayFixture.ReadJsonAsync(response))["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        }));

        answers.ShouldBe(markers.Select(m => "local says: " + m).ToArray());
        gateway.Factory.Services.GetRequiredService<SynchronousCalls>().Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task An_answer_on_the_gateways_Redis_channel_reaches_its_caller_a_success_and_a_failure_alike()
    {
        // The fake chat provider answers as the adapters do: on the channel the command names (SynchronousReplies).
        var calls = gateway.Factory.Services.GetRequiredService<SynchronousCalls>();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(calls.ListeningOnRedis), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var before = gateway.Providers.AnsweredOnRedis.Count;
        var marker = Guid.NewGuid().ToString("N");

        var ok = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker));
        var failed = await gateway.PostJsonAsync("/v1/chat/completions", Request("[fail:400] " + marker));

        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GatewayFixture.ReadJsonAsync(ok))["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldBe("local says: " + marker);
        failed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(failed))["error"]!;
        error["message"]!.GetValue<string>().ShouldBe("fake provider failed with 400"); // the JobFailed's error, read back whole
        error["param"]!.GetValue<string>().ShouldBe("voice");
        // The fake records an answer after its PUBLISH returns, which can be after the caller already has it.
        await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.AnsweredOnRedis.Count >= before + 2), TimeSpan.FromSeconds(5));
        gateway.Providers.AnsweredOnRedis.Count.ShouldBe(before + 2, "both answers came on Redis, not on the bus");
        calls.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task When_the_Redis_subscription_drops_calls_waiting_there_end_with_503_at_once_and_new_ones_answer_on_the_bus_until_it_is_back()
    {
        var calls = gateway.Factory.Services.GetRequiredService<SynchronousCalls>();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(calls.ListeningOnRedis), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        gateway.Providers.ReleaseHeldChats = FakeProviders.NewRelease();
        var marker = Guid.NewGuid().ToString("N");
        try
        {
            var held = gateway.PostJsonAsync("/v1/chat/completions", Request("[held] " + marker));
            (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FindChat("[held] " + marker) is not null),
                TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(20))).ShouldBeTrue();

            calls.SubscriptionLost(); // what StackExchange.Redis' ConnectionFailed for the subscription connection calls

            var lost = await held.WaitAsync(TimeSpan.FromSeconds(10)); // not the request timeout
            lost.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await GatewayFixture.ReadJsonAsync(lost))["error"]!["code"]!.GetValue<string>().ShouldBe("service_unavailable");
            calls.ListeningOnRedis.ShouldBeFalse();

            var onRedis = gateway.Providers.AnsweredOnRedis.Count;
            var next = Guid.NewGuid().ToString("N");
            var onBus = await gateway.PostJsonAsync("/v1/chat/completions", Request(next));
            onBus.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await GatewayFixture.ReadJsonAsync(onBus))["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldBe("local says: " + next);
            gateway.Providers.AnsweredOnRedis.Count.ShouldBe(onRedis, "answered on the bus while not listening");
        }
        finally
        {
            gateway.Providers.ReleaseHeldChats.TrySetResult();
            await calls.SubscriptionRestoredAsync();
        }

        calls.ListeningOnRedis.ShouldBeTrue();
        var again = await gateway.PostJsonAsync("/v1/chat/completions", Request(Guid.NewGuid().ToString("N")));
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        calls.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task A_call_that_chose_the_Redis_channel_just_as_the_subscription_dropped_answers_on_the_bus()
    {
        // The drop's sweep runs between the call's choice of channel and its addition, so the sweep cannot see it: without
        // the re-check the command names a channel nobody is listening on, and the answer published there is lost (504).
        var calls = gateway.Factory.Services.GetRequiredService<SynchronousCalls>();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(calls.ListeningOnRedis), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var onRedis = gateway.Providers.AnsweredOnRedis.Count;
        calls.ChannelChosen = () =>
        {
            calls.ChannelChosen = null;
            calls.SubscriptionLost();
        };
        try
        {
            var marker = Guid.NewGuid().ToString("N");
            var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker));

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await GatewayFixture.ReadJsonAsync(response))["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldBe("local says: " + marker);
            gateway.Providers.AnsweredOnRedis.Count.ShouldBe(onRedis, "the command named no Redis channel: answered on the bus");
            calls.Waiting.ShouldBe(0);

            calls.ChannelChosen = calls.SubscriptionLost;
            await calls.SubscriptionRestoredAsync();
            calls.ExpectStream(Guid.NewGuid()).ShouldBeNull("a stream that chose the channel as it dropped subscribes to its job's channel");
        }
        finally
        {
            calls.ChannelChosen = null;
            await calls.SubscriptionRestoredAsync();
        }

        calls.ListeningOnRedis.ShouldBeTrue();
    }

    [Fact]
    public async Task A_synchronous_command_expires_in_its_queue_when_its_caller_stops_waiting()
    {
        var marker = Guid.NewGuid().ToString("N");

        (await gateway.PostJsonAsync("/v1/chat/completions", Request(marker))).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Messaging:RequestTimeout is 8 s in this fixture: a command still queued after that is dropped by the broker.
        gateway.Providers.ChatCommandExpiration[gateway.Providers.FindChat(marker)!.JobId].ShouldBe("8000");
    }

    [Fact]
    public async Task A_late_answer_to_a_gateway_that_has_gone_leaves_the_adapter_consuming()
    {
        // A gateway dies with a call in flight; the adapter answers afterwards. The broker discards that answer (direct
        // reply-to). With a reply queue of the gateway's own, the queue went with the gateway and took its exchange along:
        // the late answer was a channel error that closed the adapter's consuming channel, and its queue had no consumer
        // for a while (~0.9 s here, ~10 s for a real adapter), every other gateway's calls to it answered 503.
        var marker = Guid.NewGuid().ToString("N");
        gateway.Providers.ReleaseHeldChats = FakeProviders.NewRelease();
        var queue = Queues.For("local", JobKind.Chat);
        var address = AmqpAddress.Parse(TestInfrastructure.RabbitMq("gateway"));
        await using var connection = await address.ConnectionFactory("ccapi-tests").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var doomed = gateway.NewGateway(adminKey: null);
        try
        {
            using var client = doomed.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", gateway.ApiKey);
            (await TestInfrastructure.EventuallyAsync(async () => (await client.GetAsync("/health/ready")).IsSuccessStatusCode,
                TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200))).ShouldBeTrue();
            // One call answered first: the adapter's channel then knows the way back and no longer declares it.
            (await gateway.PostJsonAsync("/v1/chat/completions", Request("first " + marker), client)).StatusCode.ShouldBe(HttpStatusCode.OK);
            var call = gateway.PostJsonAsync("/v1/chat/completions", Request("[held] " + marker), client);
            (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FindChat("[held] " + marker) is not null),
                TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(20))).ShouldBeTrue();

            await doomed.DisposeAsync(); // its bus, and the channel the answer was to come back on, with it
            // Its caller has no answer to wait for (how its request ends is the host's affair); the adapter is the point.
            (await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(15)))).ShouldBe(call);
        }
        finally
        {
            await doomed.DisposeAsync(); // once only: a second dispose does nothing
            gateway.Providers.ReleaseHeldChats.TrySetResult();
        }

        var jobId = gateway.Providers.FindChat("[held] " + marker)!.JobId;
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.AnsweredChats.ContainsKey(jobId)),
            TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(20))).ShouldBeTrue();
        for (var i = 0; i < 30; i++) // for 1.5 s from the answer, long enough to see a channel error's gap
        {
            (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount.ShouldBeGreaterThan(0u, $"{queue} lost its consumer");
            await Task.Delay(50);
        }

        var next = Guid.NewGuid().ToString("N");
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(next));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        gateway.Factory.Services.GetRequiredService<SynchronousCalls>().Waiting.ShouldBe(0);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class ChatFailoverAndErrorTests(GatewayFixture gateway)
{
    private static JsonObject Request(string content, params string[] models) => new()
    {
        ["models"] = new JsonArray(models.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
    };

    [Fact]
    public async Task A_synchronous_command_is_transient_and_a_streaming_one_persistent()
    {
        var marker = Guid.NewGuid().ToString("N");
        (await gateway.PostJsonAsync("/v1/chat/completions", Request(marker, "local/echo-1"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var streamMarker = Guid.NewGuid().ToString("N");
        var stream = Request(streamMarker, "local/echo-1");
        stream["stream"] = true;
        (await (await gateway.PostJsonAsync("/v1/chat/completions", stream)).Content.ReadAsStringAsync()).ShouldContain("[DONE]");

        // Worth something only while its caller waits: a restarted broker drops it rather than run it for nobody.
        gateway.Providers.ChatCommandPersistent[gateway.Providers.FindChat(marker)!.JobId].ShouldBeFalse();
        // A stream outlives its request (Last-Event-ID resumes it), so its command survives a broker restart.
        gateway.Providers.ChatCommandPersistent[gateway.Providers.FindChat(streamMarker)!.JobId].ShouldBeTrue();
    }

    [Fact]
    public async Task Fails_over_to_the_next_model_when_the_first_provider_answers_502()
    {
        var marker = "[openai-fails] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker, "openai/gpt-4o-mini", "local/echo-1"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["model"]!.GetValue<string>().ShouldBe("local/echo-1");
        body["provider"]!.GetValue<string>().ShouldBe("local");
        var tried = gateway.Providers.ChatCommands.Values.Where(c => c.Messages[0].Content == marker).Select(c => c.Route.Provider).ToList();
        tried.ShouldBe(["openai", "local"], ignoreOrder: true);
    }

    [Fact]
    public async Task Tries_model_before_models_and_serves_from_model_when_it_works()
    {
        var marker = Guid.NewGuid().ToString("N");
        var request = Request(marker, "openai/gpt-4o-mini");
        request["model"] = "local/echo-1";

        var body = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/chat/completions", request));

        body["model"]!.GetValue<string>().ShouldBe("local/echo-1");
        gateway.Providers.ChatCommands.Values.Count(c => c.Messages[0].Content == marker).ShouldBe(1);
    }

    [Fact]
    public async Task Does_not_fail_over_on_a_client_error_and_relays_it()
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request("[fail:400] " + Guid.NewGuid(), "local/echo-1", "openai/gpt-4o-mini"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["message"]!.GetValue<string>().ShouldBe("fake provider failed with 400");
        error["details"]!["param"]!.GetValue<string>().ShouldBe("voice");
    }

    [Fact]
    public async Task Answers_the_last_providers_error_when_every_candidate_fails()
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request("[fail:503] " + Guid.NewGuid(), "openai/gpt-4o-mini", "local/echo-1"));

        await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.ServiceUnavailable, "api_error", "provider_error");
    }

    [Fact]
    public async Task Answers_504_and_publishes_JobFailed_when_the_provider_never_answers()
    {
        var marker = "[hang] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker, "local/echo-1"));

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["code"]!.GetValue<string>().ShouldBe("provider_timeout");
        var job = gateway.Providers.FindChat(marker).ShouldNotBeNull();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FailedEvents.ContainsKey(job.JobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue();
        gateway.Providers.FailedEvents[job.JobId].Error.Status.ShouldBe(504);
        gateway.Factory.Services.GetRequiredService<SynchronousCalls>().Waiting.ShouldBe(0); // the caller that gave up stopped waiting
    }

    [Fact]
    public async Task Answers_502_and_publishes_JobFailed_when_the_adapter_faults()
    {
        var marker = "[fault] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker, "local/echo-1"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("provider_error");
        var job = gateway.Providers.FindChat(marker).ShouldNotBeNull();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FailedEvents.ContainsKey(job.JobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue();
    }

    [Fact]
    public async Task Answers_503_service_unavailable_when_the_adapter_faults_on_Redis()
    {
        var marker = "[redis-fault] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(marker, "local/echo-1"));

        await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.ServiceUnavailable, "api_error", "service_unavailable"); // the platform's outage, not the provider's
        var job = gateway.Providers.FindChat(marker).ShouldNotBeNull();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FailedEvents.ContainsKey(job.JobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue();
    }

    [Fact]
    public async Task Answers_503_provider_unavailable_at_once_for_a_model_whose_provider_is_down()
    {
        gateway.Internal.Status("elevenlabs").ShouldBe("unavailable");
        var response = await gateway.PostJsonAsync("/v1/audio/speech",
            """{"model":"elevenlabs/eleven_turbo_v2","input":"hi","voice":"aria","output_format":"mp3"}""");

        await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.ServiceUnavailable, "api_error", "provider_unavailable");
    }
}

[Collection(GatewayCollection.Name)]
public sealed class ChatToolTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Passes_tools_tool_choice_and_unknown_OpenAI_fields_through_and_renders_tool_calls()
    {
        var marker = "[tools] " + Guid.NewGuid().ToString("N");
        var request = JsonNode.Parse($$$$$$"""
        {
          "model": "local/echo-1",
          "messages": [
            {"role": "developer", "content": "Use tools."},
            {"role": "user", "content": [{"type": "text", "text": "{{{{{{marker}}}}}}"}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "sunny"},
            {"role": "user", "content": "{{{{{{marker}}}}}}"}
          ],
          "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
          "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
          "temperature": 0.5, "top_p": 0.9, "max_completion_tokens": 64, "n": 1, "stop": ["END"], "seed": 7, "user": "u1",
          "metadata": {"a": "b"}, "presence_penalty": 0.25, "response_format": {"type": "text"}
        }
        """)!;

        var response = await gateway.PostJsonAsync("/v1/chat/completions", request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        var choice = body["choices"]![0]!;
        choice["finish_reason"]!.GetValue<string>().ShouldBe("tool_calls");
        choice["message"]!.AsObject().ContainsKey("content").ShouldBeTrue();
        choice["message"]!["content"].ShouldBeNull();
        var call = choice["message"]!["tool_calls"]![0]!;
        call["id"]!.GetValue<string>().ShouldBe("call_1");
        call["type"]!.GetValue<string>().ShouldBe("function");
        call["function"]!["name"]!.GetValue<string>().ShouldBe("get_weather");
        call["function"]!["arguments"]!.GetValue<string>().ShouldBe("""{"city":"Paris"}""");

        var command = gateway.Providers.FindChat(marker).ShouldNotBeNull();
        command.Tools.ShouldNotBeNull().ShouldHaveSingleItem().Name.ShouldBe("get_weather");
        JsonNode.Parse(command.Tools[0].ParametersJson!)!["properties"]!["city"]!["type"]!.GetValue<string>().ShouldBe("string");
        command.ToolChoiceFunction.ShouldBe("get_weather");
        command.Messages.Count.ShouldBe(5);
        command.Messages[1].Content.ShouldBeNull();
        JsonNode.Parse(command.Messages[1].ContentPartsJson!)![0]!["text"]!.GetValue<string>().ShouldBe(marker);
        command.Messages[2].ToolCalls.ShouldNotBeNull().ShouldHaveSingleItem().Id.ShouldBe("call_0");
        command.Messages[3].ToolCallId.ShouldBe("call_0");
        command.Temperature.ShouldBe(0.5);
        command.TopP.ShouldBe(0.9);
        command.MaxTokens.ShouldBe(64);
        command.Stop.ShouldBe(["END"]);
        command.Seed.ShouldBe(7);
        command.User.ShouldBe("u1");
        var extra = JsonNode.Parse(command.ExtraParametersJson!)!;
        extra["presence_penalty"]!.GetValue<double>().ShouldBe(0.25);
        extra["response_format"]!["type"]!.GetValue<string>().ShouldBe("text");
        extra.AsObject().ContainsKey("metadata").ShouldBeFalse();
    }

    [Theory]
    [InlineData("/chat/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task Serves_the_route_with_and_without_the_v1_prefix(string path)
    {
        var response = await gateway.PostJsonAsync(path, """{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}]}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GatewayFixture.ReadJsonAsync(response))["object"]!.GetValue<string>().ShouldBe("chat.completion");
    }
}
