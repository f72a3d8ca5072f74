using System.Text.Json;
using System.Text.Json.Nodes;
using CCApi.ServiceDefaults;

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
}
