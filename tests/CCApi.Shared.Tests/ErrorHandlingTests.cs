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
    public void The_unauthorized_error_is_the_documented_one()
    {
        var error = ApiException.Unauthorized();

        error.Status.ShouldBe(401);
        error.Message.ShouldBe("Missing or invalid Authorization header");
        error.Type.ShouldBe("invalid_request_error");
        error.Code.ShouldBe("unauthorized");
    }
}
