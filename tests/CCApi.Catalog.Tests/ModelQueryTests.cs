using CCApi.Catalog;
using CCApi.ServiceDefaults;

namespace CCApi.Catalog.Tests;

public class ModelQueryTests
{
    private static readonly IReadOnlyList<ModelSummary> Models = CatalogSnapshot.Build(TestCatalog.Document).Models;

    [Fact]
    public void Defaults_to_every_model_by_id_ascending_100_per_page()
    {
        var query = ModelQuery.Parse(null, null, null, null, null, null);

        query.ShouldBe(new ModelQuery(null, null, "id", false, 100, 0));
        query.Apply(Models).Select(m => m.Id).ShouldBe(Models.Select(m => m.Id).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("limit", "abc")]
    [InlineData("limit", "0")]
    [InlineData("limit", "1001")]
    [InlineData("limit", "-5")]
    [InlineData("limit", "1.5")]
    [InlineData("offset", "-1")]
    [InlineData("offset", "x")]
    [InlineData("order", "sideways")]
    [InlineData("sort", "unknown")]
    [InlineData("type", "video")]
    public void Rejects_a_bad_value_with_a_400_naming_the_parameter(string parameter, string value)
    {
        string? Arg(string name) => name == parameter ? value : null;

        var error = Should.Throw<ApiException>(() =>
            ModelQuery.Parse(Arg("provider"), Arg("type"), Arg("sort"), Arg("order"), Arg("limit"), Arg("offset")));

        error.Status.ShouldBe(400);
        error.Type.ShouldBe(ErrorTypes.InvalidRequest);
        error.Message.ShouldContain($"'{parameter}'");
        error.Details!["param"].ShouldBe(parameter);
    }

    [Theory]
    [InlineData("offset", "99999999999", "'offset' must be a whole number from 0 to 2147483647.")]
    [InlineData("limit", "1001", "'limit' must be a whole number from 1 to 1000.")]
    public void A_number_out_of_range_is_told_the_range(string parameter, string value, string message)
    {
        string? Arg(string name) => name == parameter ? value : null;

        Should.Throw<ApiException>(() => ModelQuery.Parse(null, null, null, null, Arg("limit"), Arg("offset"))).Message.ShouldBe(message);
    }

    [Fact]
    public void Accepts_enumerated_values_in_any_case()
    {
        ModelQuery.Parse(null, "IMAGE", "Display_Name", "DESC", "5", "2").ShouldBe(new ModelQuery(null, "image", "display_name", true, 5, 2));
    }

    [Fact]
    public void Filters_by_provider_case_insensitively_and_by_type()
    {
        ModelQuery.Parse("LOCAL", null, null, null, null, null).Apply(Models).Select(m => m.Id)
            .ShouldBe(["local/echo-1", "local/espeak-1", "local/pixel-1", "local/pixel-async-1"]);

        var images = ModelQuery.Parse(null, "image", null, null, null, null).Apply(Models);
        images.ShouldNotBeEmpty();
        images.ShouldAllBe(m => m.Ccapi.Type == "image");
        images.Count.ShouldBe(Models.Count(m => m.Ccapi.Type == "image"));

        ModelQuery.Parse("local", "audio", null, null, null, null).Apply(Models).Select(m => m.Id).ShouldBe(["local/espeak-1"]);
        ModelQuery.Parse("nobody", null, null, null, null, null).Apply(Models).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("created")]
    [InlineData("provider")]
    [InlineData("display_name")]
    [InlineData("id")]
    public void Sorts_by_the_field_in_either_order_with_ties_broken_by_id(string sort)
    {
        Func<ModelSummary, IComparable> key = sort switch
        {
            "created" => m => m.Created,
            "provider" => m => m.Provider.Name,
            "display_name" => m => m.Ccapi.DisplayName.ToUpperInvariant(),
            _ => m => m.Id,
        };

        var ascending = ModelQuery.Parse(null, null, sort, "asc", null, null).Apply(Models);
        var descending = ModelQuery.Parse(null, null, sort, "desc", null, null).Apply(Models);

        ascending.Count.ShouldBe(Models.Count);
        ascending.Select(key).ShouldBe(ascending.Select(key).Order());
        descending.Select(key).ShouldBe(descending.Select(key).OrderDescending());
        if (sort != "id")
        {
            // Equal keys keep id order in both directions (stable pages).
            foreach (var group in descending.GroupBy(key).Where(g => g.Count() > 1))
            {
                group.Select(m => m.Id).ShouldBe(group.Select(m => m.Id).Order(StringComparer.Ordinal));
            }
        }
    }

    [Fact]
    public void Pages_with_offset_and_limit()
    {
        var all = ModelQuery.Parse(null, null, null, null, null, null).Apply(Models).Select(m => m.Id).ToList();

        ModelQuery.Parse(null, null, null, null, "2", "1").Apply(Models).Select(m => m.Id).ShouldBe(all.Skip(1).Take(2));
        ModelQuery.Parse(null, null, null, null, "1000", "999").Apply(Models).ShouldBeEmpty();
    }
}
