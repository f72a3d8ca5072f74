using System.Text.Json.Nodes;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Testing;

namespace CCApi.Adapters.OpenAI.Tests.Unit;

/// <summary>
/// The catalog tells the gateway what each OpenAI image model makes, so it can refuse a request before dispatch; the
/// adapter knows it too, to fit and check what it sends. The two lists must be the same: a size only the catalog listed
/// would reach the adapter's 400, one only the adapter knew would be refused for nothing. The same for qualities.
/// </summary>
public sealed class CatalogAgreementTests
{
    public static TheoryData<string> ImageModels()
    {
        var data = new TheoryData<string>();
        foreach (var model in Models().Where(m => (string?)m["provider"] == "openai" && (string?)m["type"] == "image"))
        {
            data.Add((string)model["id"]!);
        }

        return data;
    }

    private static IEnumerable<JsonNode> Models() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestInfrastructure.RepoRoot, "deploy", "catalog.json")))!["models"]!.AsArray()!.Select(m => m!);

    [Theory]
    [MemberData(nameof(ImageModels))]
    public void The_catalogs_sizes_and_styles_of_an_openai_image_model_are_the_adapters(string id)
    {
        var model = Models().Single(m => (string)m["id"]! == id);
        var providerModel = (string)model["provider_model"]!;
        var capabilities = model["capabilities"]!;

        var sizes = capabilities["image_sizes"]!.AsArray().Select(s => (string)s!).ToList();
        var styles = capabilities["image_styles"]!.AsArray().Select(s => (string)s!).ToList();

        sizes.ShouldBe(OpenAIClient.Sizes(providerModel)!.Select(ImageSizes.Describe).ToList());
        styles.ShouldBe(OpenAIClient.ImageFamilyOf(providerModel) == OpenAIClient.ImageFamily.DallE3 ? ["vivid", "natural"] : []);
    }

    [Theory]
    [MemberData(nameof(ImageModels))]
    public void The_catalogs_qualities_of_an_openai_image_model_are_those_the_adapter_sends_without_refusing(string id)
    {
        var model = Models().Single(m => (string)m["id"]! == id);
        var providerModel = (string)model["provider_model"]!;
        var listed = model["capabilities"]!["image_qualities"]!.AsArray().Select(q => (string)q!).ToList();

        var taken = ModelCapabilities.AllImageQualities.Where(quality =>
        {
            try
            {
                _ = OpenAIClient.UpstreamQuality(providerModel, quality);
                return true;
            }
            catch (ApiException)
            {
                return false;
            }
        }).ToList();

        listed.ShouldBe(taken);
    }
}
