using System.Text.Json;
using CCApi.Adapters.Local.Chat;
using CCApi.Adapters.Local.Tests.Support;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Unit;

public class EchoModelTests
{
    [Fact]
    public void Same_conversation_gives_the_same_reply()
    {
        var a = EchoModel.Complete(NewChat(SystemMessage("Be brief."), UserMessage("Outline a launch plan for CCAPI.")));
        var b = EchoModel.Complete(NewChat(SystemMessage("Be brief."), UserMessage("Outline a launch plan for CCAPI.")));

        a.ShouldBe(b);
    }

    [Fact]
    public void Restates_the_last_user_message_and_counts_its_words()
    {
        var reply = EchoModel.Complete(NewChat(UserMessage("first question"), new ChatMessage { Role = "assistant", Content = "first answer" }, UserMessage("Outline a launch plan for CCAPI")));

        reply.FinishReason.ShouldBe("stop");
        reply.ToolCalls.ShouldBeNull();
        reply.Content!.ShouldContain("\"Outline a launch plan for CCAPI\"");
        reply.Content!.ShouldContain("6 words");
        reply.Content!.ShouldContain("3 messages");
        reply.Content!.ShouldNotContain("first question");
    }

    [Fact]
    public void Json_mode_answers_one_json_object_with_the_reply_and_what_it_noticed()
    {
        var plain = NewChat(UserMessage("Outline a launch plan for CCAPI"));
        var json = plain with { ExtraParametersJson = """{"response_format":{"type":"json_object"}}""" };

        var reply = EchoModel.Complete(json);

        using var doc = JsonDocument.Parse(reply.Content!);
        doc.RootElement.GetProperty("reply").GetString().ShouldBe(EchoModel.Complete(plain).Content);
        doc.RootElement.GetProperty("words").GetInt32().ShouldBe(6);
        doc.RootElement.GetProperty("messages").GetInt32().ShouldBe(1);
        doc.RootElement.GetProperty("key_words").GetArrayLength().ShouldBeGreaterThan(0);
        reply.FinishReason.ShouldBe("stop");
    }

    [Fact]
    public void A_json_schema_response_format_answers_an_instance_of_the_schema_built_from_the_users_words()
    {
        var command = NewChat(UserMessage("What's the weather in Paris?")) with
        {
            ExtraParametersJson = """{"response_format":{"type":"json_schema","json_schema":{"name":"weather","strict":true,"schema":""" + WeatherSchema + "}}}",
        };

        var reply = EchoModel.Complete(command);

        SchemaCheck.Problems(WeatherSchema, reply.Content!).ShouldBeEmpty();
        reply.Content!.ShouldContain("\"city\":\"Paris\"");
        reply.ToolCalls.ShouldBeNull();
        EchoModel.Complete(command with { ExtraParametersJson = """{"response_format":{"type":"text"}}""" }).Content
            .ShouldBe(EchoModel.Complete(command with { ExtraParametersJson = null }).Content);
    }

    [Theory]
    [InlineData("functions", """{"functions":[{"name":"get_weather","parameters":{"type":"object"}}]}""")]
    [InlineData("function_call", """{"function_call":"auto"}""")]
    public void Deprecated_function_calling_is_refused_naming_the_field_not_ignored(string field, string extras)
    {
        var error = Should.Throw<ApiException>(() => EchoModel.Complete(NewChat(UserMessage("weather in Paris?")) with { ExtraParametersJson = extras }));

        (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, field));
        EchoModel.Complete(NewChat(UserMessage("hi")) with { ExtraParametersJson = """{"functions":null}""" }).Content.ShouldNotBeNull();
    }

    [Fact]
    public void The_seed_picks_a_wording_deterministically()
    {
        var seeded = NewChat(UserMessage("hello there")) with { Seed = 1 };

        EchoModel.Complete(seeded).Content.ShouldBe(EchoModel.Complete(seeded with { JobId = Guid.NewGuid() }).Content);
        EchoModel.Complete(seeded).Content.ShouldNotBe(EchoModel.Complete(seeded with { Seed = 2 }).Content);
    }

    [Fact]
    public void Reads_text_from_content_parts()
    {
        var reply = EchoModel.Complete(NewChat(new ChatMessage
        {
            Role = "user",
            ContentPartsJson = """[{"type":"text","text":"describe this"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]""",
        }));

        reply.Content!.ShouldContain("\"describe this\"");
        reply.Content!.ShouldContain("1 image attached");
    }

    [Fact]
    public void Max_tokens_truncates_the_reply_and_finishes_with_length()
    {
        var full = EchoModel.Complete(NewChat(UserMessage("Tell me everything about the solar system and its planets")));
        var cut = EchoModel.Complete(NewChat(UserMessage("Tell me everything about the solar system and its planets")) with { MaxTokens = 5 });

        cut.FinishReason.ShouldBe("length");
        cut.CompletionTokens.ShouldBe(5);
        ApproximateTokenizer.Count(cut.Content).ShouldBe(5);
        full.Content!.ShouldStartWith(cut.Content!);
        full.CompletionTokens.ShouldBeGreaterThan(5);
    }

    [Fact]
    public void A_stop_sequence_ends_the_reply_before_it()
    {
        var reply = EchoModel.Complete(NewChat(UserMessage("alpha beta gamma")) with { Stop = ["words"] });

        reply.FinishReason.ShouldBe("stop");
        reply.Content!.ShouldNotContain("words");
        reply.Content!.ShouldContain("alpha beta gamma");
    }

    [Fact]
    public void Usage_counts_prompt_and_completion_tokens()
    {
        var reply = EchoModel.Complete(NewChat(UserMessage("How many tokens is this?")));

        // 3 priming + 3 per message + "How|many|toke|ns|is|this|?" (7)
        reply.PromptTokens.ShouldBe(13);
        reply.CompletionTokens.ShouldBe(ApproximateTokenizer.Count(reply.Content));
        reply.TotalTokens.ShouldBe(reply.PromptTokens + reply.CompletionTokens);
    }

    [Fact]
    public void Calls_the_tool_the_user_mentions_with_arguments_that_satisfy_its_schema()
    {
        var command = NewChat(UserMessage("Use get_weather for the weather in Paris for 3 days")) with
        {
            Tools = [Tool("get_weather", WeatherSchema), Tool("get_time", """{"type":"object","properties":{}}""")],
            ToolChoice = "auto",
        };

        var reply = EchoModel.Complete(command);

        reply.FinishReason.ShouldBe("tool_calls");
        reply.Content.ShouldBeNull();
        var call = reply.ToolCalls.ShouldHaveSingleItem();
        call.Name.ShouldBe("get_weather");
        call.Id.ShouldStartWith("call_");
        SchemaCheck.Problems(WeatherSchema, call.Arguments).ShouldBeEmpty();
        using var args = JsonDocument.Parse(call.Arguments);
        args.RootElement.GetProperty("city").GetString().ShouldBe("Paris");
        args.RootElement.GetProperty("unit").GetString().ShouldBe("celsius");
        args.RootElement.GetProperty("days").GetInt32().ShouldBe(3);
        reply.CompletionTokens.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Tool_names_written_as_words_count_as_mentions_and_enum_values_are_picked_from_the_message()
    {
        var command = NewChat(UserMessage("What does get weather say for Berlin in fahrenheit?")) with { Tools = [Tool("get_weather", WeatherSchema)] };

        var call = EchoModel.Complete(command).ToolCalls.ShouldHaveSingleItem();

        using var args = JsonDocument.Parse(call.Arguments);
        args.RootElement.GetProperty("city").GetString().ShouldBe("Berlin");
        args.RootElement.GetProperty("unit").GetString().ShouldBe("fahrenheit");
        args.RootElement.GetProperty("days").GetInt32().ShouldBe(1); // the minimum
    }

    [Fact]
    public void Auto_answers_in_text_when_no_tool_is_mentioned()
    {
        var reply = EchoModel.Complete(NewChat(UserMessage("Just say hello")) with { Tools = [Tool("get_weather", WeatherSchema)], ToolChoice = "auto" });

        reply.FinishReason.ShouldBe("stop");
        reply.ToolCalls.ShouldBeNull();
    }

    [Fact]
    public void Required_calls_a_tool_even_when_none_is_mentioned()
    {
        var reply = EchoModel.Complete(NewChat(UserMessage("Just say hello")) with { Tools = [Tool("get_weather", WeatherSchema)], ToolChoice = "required" });

        reply.FinishReason.ShouldBe("tool_calls");
        SchemaCheck.Problems(WeatherSchema, reply.ToolCalls!.Single().Arguments).ShouldBeEmpty();
    }

    [Fact]
    public void A_forced_function_is_called_and_none_never_calls()
    {
        var tools = new[] { Tool("get_weather", WeatherSchema), Tool("get_time", """{"type":"object","properties":{"zone":{"type":"string"}},"required":["zone"]}""") };

        EchoModel.Complete(NewChat(UserMessage("get_weather please")) with { Tools = tools, ToolChoiceFunction = "get_time" })
            .ToolCalls!.Single().Name.ShouldBe("get_time");
        EchoModel.Complete(NewChat(UserMessage("get_weather please")) with { Tools = tools, ToolChoice = "none" })
            .ToolCalls.ShouldBeNull();
    }

    [Fact]
    public void Returns_400_on_tool_choice_when_the_forced_function_is_not_a_tool()
    {
        var ex = Should.Throw<ApiException>(() => EchoModel.Complete(NewChat(UserMessage("hi")) with { Tools = [Tool("a", "{}")], ToolChoiceFunction = "b" }));

        ex.Status.ShouldBe(400);
        ex.Details!["param"].ShouldBe("tool_choice");
    }

    [Fact]
    public void Returns_400_naming_the_tool_whose_parameters_are_not_json()
    {
        var ex = Should.Throw<ApiException>(() => EchoModel.Complete(NewChat(UserMessage("hi")) with { Tools = [Tool("a", "{}"), Tool("b", "{nope")] }));

        ex.Details!["param"].ShouldBe("tools[1].function.parameters");
    }

    [Fact]
    public void Answers_from_the_tool_result_after_a_tool_message()
    {
        var first = NewChat(UserMessage("What's the weather in Paris? Use get_weather.")) with { Tools = [Tool("get_weather", WeatherSchema)] };
        var call = EchoModel.Complete(first).ToolCalls!.Single();
        var followUp = first with
        {
            Messages =
            [
                .. first.Messages,
                new ChatMessage { Role = "assistant", ToolCalls = [call] },
                new ChatMessage { Role = "tool", ToolCallId = call.Id, Content = """{"temperature": 18, "conditions": "sunny"}""" },
            ],
        };

        var reply = EchoModel.Complete(followUp);

        reply.FinishReason.ShouldBe("stop");
        reply.ToolCalls.ShouldBeNull();
        reply.Content!.ShouldContain("get_weather");
        reply.Content!.ShouldContain("temperature: 18");
        reply.Content!.ShouldContain("conditions: sunny");
    }

    [Fact]
    public void Tool_call_ids_are_stable_for_the_same_conversation()
    {
        var command = NewChat(UserMessage("call get_weather for Rome")) with { Tools = [Tool("get_weather", WeatherSchema)] };

        EchoModel.Complete(command).ToolCalls!.Single().Id.ShouldBe(EchoModel.Complete(command with { JobId = Guid.NewGuid() }).ToolCalls!.Single().Id);
    }

    [Fact]
    public void Streaming_pieces_add_up_to_the_whole_reply()
    {
        var content = EchoModel.Complete(NewChat(UserMessage("one two three four"))).Content!;
        var chunks = EchoModel.ContentChunks(content).ToList();

        chunks.Count.ShouldBeGreaterThan(5);
        string.Concat(chunks).ShouldBe(content);
        string.Concat(EchoModel.ArgumentFragments("""{"city":"Paris","unit":"celsius"}""")).ShouldBe("""{"city":"Paris","unit":"celsius"}""");
    }
}
