using System.Text.Json;
using System.Text.Json.Nodes;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CCApi.Shared.Tests;

public sealed class ErrorHandlingTests
{
    [Theory]
    [InlineData("$.messages[0].content", "messages[0].content")]
    [InlineData("$.n", "n")]
    [InlineData("$", "body")]
    [InlineData(null, "body")]
    public void Json_paths_become_field_names(string? path, string field) =>
        CcapiExceptionHandler.JsonPathToField(path).ShouldBe(field);

    [Fact]
    public void A_bad_field_error_names_the_field_in_details()
    {
        var error = ApiException.BadField("parameters.width", "'parameters.width' must be between 64 and 2048.").ToResponse();

        error.Error.Type.ShouldBe("invalid_request_error");
        error.Error.Details!["param"].ShouldBe("parameters.width");
        error.Error.Message.ShouldContain("parameters.width");
    }

    [Fact]
    public void The_field_is_also_written_as_openais_param_and_left_out_when_there_is_none()
    {
        var field = JsonSerializer.Serialize(ApiException.BadField("temperature", "'temperature' must be between 0 and 2.").ToResponse(), ErrorJsonContext.Default.ErrorResponse);
        var node = JsonNode.Parse(field)!["error"]!;
        node["param"]!.GetValue<string>().ShouldBe("temperature");
        node["details"]!["param"]!.GetValue<string>().ShouldBe("temperature");

        var none = JsonSerializer.Serialize(ApiException.Unauthorized().ToResponse(), ErrorJsonContext.Default.ErrorResponse);
        JsonNode.Parse(none)!["error"]!.AsObject().ContainsKey("param").ShouldBeFalse();

        // Read back (clients of the platform's own contracts): the repeated field is ignored, details stay.
        JsonSerializer.Deserialize(field, ErrorJsonContext.Default.ErrorResponse)!.Error.Param.ShouldBe("temperature");
    }

    [Fact]
    public void The_unauthorized_error_is_the_documented_one()
    {
        var error = ApiException.Unauthorized();

        error.Status.ShouldBe(401);
        error.Message.ShouldBe("Missing or invalid Authorization header");
        error.Type.ShouldBe("invalid_request_error");
        error.Code.ShouldBe("unauthorized");
    }

#pragma warning disable CS0618 // the client's own constructors for what it throws; the newer ones take an experimental enum
    public static TheoryData<Exception, int> Exceptions => new()
    {
        { new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No connection is active/available to service this operation"), 503 },
        { new RedisTimeoutException("Timeout awaiting response (outbound=0KiB, inbound=0KiB, 5000ms elapsed)", CommandStatus.Sent), 503 },
        { new RedisServerException("LOADING Redis is loading the dataset in memory"), 503 },
        { new RedisServerException("READONLY You can't write against a read only replica."), 503 },
        { new RedisServerException("BUSY Redis is busy running a script."), 503 },
        { new RedisServerException("WRONGTYPE Operation against a key holding the wrong kind of value"), 500 },
        { new RedisServerException("ERR Error running script"), 500 },
        { new RedisServerException("LOADINGX not a word Redis says"), 500 },
        { new RedisServerException("MISCONF Errors writing to the AOF file"), 503 },
        { new InvalidOperationException("a bug"), 500 },
    };
#pragma warning restore CS0618

    [Theory]
    [MemberData(nameof(Exceptions))]
    public async Task Redis_not_answering_is_a_503_any_other_failure_a_500(Exception exception, int status)
    {
        var handler = new CcapiExceptionHandler(NullLogger<CcapiExceptionHandler>.Instance, [new RedisErrorMapping()]);
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        (await handler.TryHandleAsync(context, exception, CancellationToken.None)).ShouldBeTrue();

        context.Response.StatusCode.ShouldBe(status);
        context.Response.Body.Position = 0;
        var error = JsonNode.Parse(context.Response.Body)!["error"]!;
        error["code"]!.GetValue<string>().ShouldBe(status == 503 ? "service_unavailable" : "internal_error");
        error["message"]!.GetValue<string>().ShouldNotContain(exception.Message); // nothing internal leaks
    }

    [Fact]
    public async Task Without_a_mapping_a_Redis_failure_is_a_500()
    {
        var handler = new CcapiExceptionHandler(NullLogger<CcapiExceptionHandler>.Instance, []);
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        await handler.TryHandleAsync(context, new RedisTimeoutException(CommandFlags.None, "Timeout", CommandStatus.Sent), CancellationToken.None);

        context.Response.StatusCode.ShouldBe(500);
    }
}
