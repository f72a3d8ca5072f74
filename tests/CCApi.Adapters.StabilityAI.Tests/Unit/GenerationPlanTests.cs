using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.StabilityAI.Tests.Unit;

/// <summary>GenerateImage → Stability v1 request: the mapping, and every 400 raised before the provider is called.</summary>
public sealed class GenerationPlanTests
{
    private static GenerateImage Command(string engine = "stable-diffusion-xl-1024-v1-0", string operation = "text-to-image") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = new JobRoute { OwnerId = "o", Provider = "stabilityai", Model = "stabilityai/" + engine, ProviderModel = engine },
        Operation = operation,
        Prompt = "a lighthouse at dusk",
        Width = 1024,
        Height = 1024,
    };

    private static ApiException Rejected(GenerateImage command)
    {
        var error = Should.Throw<ApiException>(() => GenerationPlan.For(command));
        error.Status.ShouldBe(400);
        return error;
    }

    private static JsonElement Json(GenerationPlan plan) => JsonDocument.Parse(plan.JsonBody()).RootElement;

    [Fact]
    public void Maps_every_text_to_image_parameter_to_Stabilitys_field()
    {
        var plan = GenerationPlan.For(Command() with
        {
            NumImages = 3, Width = 1344, Height = 768, Seed = 42, Steps = 30, GuidanceScale = 7.5, NegativePrompt = "blurry, text", Style = "Anime",
        });

        plan.Path.ShouldBe("v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image");
        var body = Json(plan);
        body.GetProperty("text_prompts")[0].GetProperty("text").GetString().ShouldBe("a lighthouse at dusk");
        body.GetProperty("text_prompts")[0].GetProperty("weight").GetDouble().ShouldBe(1);
        body.GetProperty("text_prompts")[1].GetProperty("text").GetString().ShouldBe("blurry, text");
        body.GetProperty("text_prompts")[1].GetProperty("weight").GetDouble().ShouldBe(-1);
        body.GetProperty("samples").GetInt32().ShouldBe(3);
        body.GetProperty("width").GetInt32().ShouldBe(1344);
        body.GetProperty("height").GetInt32().ShouldBe(768);
        body.GetProperty("seed").GetInt64().ShouldBe(42);
        body.GetProperty("steps").GetInt32().ShouldBe(30);
        body.GetProperty("cfg_scale").GetDouble().ShouldBe(7.5);
        body.GetProperty("style_preset").GetString().ShouldBe("anime");
    }

    [Fact]
    public void Leaves_unset_parameters_to_the_providers_defaults()
    {
        var body = Json(GenerationPlan.For(Command()));

        body.GetProperty("text_prompts").GetArrayLength().ShouldBe(1);
        body.GetProperty("samples").GetInt32().ShouldBe(1);
        foreach (var absent in new[] { "seed", "steps", "cfg_scale", "style_preset", "sampler", "clip_guidance_preset" })
        {
            body.TryGetProperty(absent, out _).ShouldBeFalse(absent);
        }
    }

    [Theory]
    [InlineData("vivid")]
    [InlineData("natural")]
    [InlineData("watercolour")]
    public void Ignores_a_style_that_is_not_a_Stability_preset(string style)
    {
        Json(GenerationPlan.For(Command() with { Style = style })).TryGetProperty("style_preset", out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(1024, 1024)]
    [InlineData(1152, 896)]
    [InlineData(896, 1152)]
    [InlineData(1216, 832)]
    [InlineData(832, 1216)]
    [InlineData(1344, 768)]
    [InlineData(768, 1344)]
    [InlineData(1536, 640)]
    [InlineData(640, 1536)]
    public void Accepts_every_SDXL_size(int width, int height)
    {
        var plan = GenerationPlan.For(Command() with { Width = width, Height = height });

        (plan.Width, plan.Height).ShouldBe((width, height));
    }

    [Theory]
    [InlineData(512, 512)]
    [InlineData(1024, 768)]
    [InlineData(1792, 1024)]
    public void Rejects_a_size_SDXL_cannot_generate_naming_size_and_listing_the_allowed_ones(int width, int height)
    {
        var error = Rejected(Command() with { Width = width, Height = height });

        error.Details!["param"].ShouldBe("size");
        error.Message.ShouldContain($"{width}x{height}");
        error.Message.ShouldContain("1024x1024, 1152x896, 896x1152, 1216x832, 832x1216, 1344x768, 768x1344, 1536x640, 640x1536");
    }

    [Theory]
    [InlineData("16:9", 1024, 576, 1344, 768)]
    [InlineData("9:16", 576, 1024, 768, 1344)]
    [InlineData("21:9", 1024, 440, 1536, 640)]
    [InlineData("4:3", 1024, 768, 1152, 896)]
    [InlineData("2:3", 680, 1024, 832, 1216)]
    public void Turns_a_size_derived_from_an_aspect_ratio_into_the_SDXL_size_of_that_shape(string ratio, int width, int height, int sdxlWidth, int sdxlHeight)
    {
        var plan = GenerationPlan.For(Command() with { AspectRatio = ratio, Width = width, Height = height });

        (plan.Width, plan.Height).ShouldBe((sdxlWidth, sdxlHeight));
    }

    [Fact]
    public void Keeps_rejecting_explicit_dimensions_that_do_not_have_the_aspect_ratios_shape()
    {
        Rejected(Command() with { AspectRatio = "16:9", Width = 1000, Height = 1000 }).Details!["param"].ShouldBe("size");
    }

    [Theory]
    [InlineData(512, 512, true)]
    [InlineData(768, 1344, true)]
    [InlineData(500, 512, false)]   // not a multiple of 64
    [InlineData(256, 512, false)]   // 131,072 pixels < 262,144
    [InlineData(1536, 1536, false)] // > 1,048,576 pixels
    public void Applies_the_generic_v1_size_rule_to_other_engines(int width, int height, bool allowed)
    {
        var command = Command("stable-diffusion-v1-6") with { Width = width, Height = height };

        if (allowed)
        {
            GenerationPlan.For(command).Width.ShouldBe(width);
        }
        else
        {
            Rejected(command).Details!["param"].ShouldBe("size");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Rejects_a_number_of_images_outside_1_to_10_naming_n(int n)
    {
        Rejected(Command() with { NumImages = n }).Details!["param"].ShouldBe("n");
    }

    [Theory]
    [InlineData(9)]
    [InlineData(51)]
    public void Rejects_steps_outside_10_to_50(int steps)
    {
        Rejected(Command() with { Steps = steps }).Details!["param"].ShouldBe("parameters.steps");
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(35.5)]
    public void Rejects_a_guidance_scale_outside_0_to_35(double cfg)
    {
        Rejected(Command() with { GuidanceScale = cfg }).Details!["param"].ShouldBe("parameters.guidance_scale");
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(4294967296L)]
    public void Rejects_a_seed_outside_Stabilitys_unsigned_32_bit_range(long seed)
    {
        Rejected(Command() with { Seed = seed }).Details!["param"].ShouldBe("parameters.seed");
    }

    [Fact]
    public void Passes_seed_0_through_as_Stabilitys_random_seed()
    {
        Json(GenerationPlan.For(Command() with { Seed = 0 })).GetProperty("seed").GetInt64().ShouldBe(0);
    }

    [Fact]
    public void Rejects_a_missing_prompt_and_one_longer_than_2000_characters()
    {
        Rejected(Command() with { Prompt = "  " }).Details!["param"].ShouldBe("prompt");
        Rejected(Command() with { Prompt = new string('a', 2001) }).Details!["param"].ShouldBe("prompt");
        Rejected(Command() with { NegativePrompt = new string('a', 2001) }).Details!["param"].ShouldBe("parameters.negative_prompt");
    }

    [Theory]
    [InlineData("inpainting", "contents")]
    [InlineData("multi-image-remix", "contents")]
    [InlineData("outpainting", "operation")]
    public void Rejects_operations_the_provider_cannot_do(string operation, string field)
    {
        Rejected(Command(operation: operation)).Details!["param"].ShouldBe(field);
    }

    [Fact]
    public void Image_to_image_needs_exactly_one_image_and_no_mask()
    {
        var image = new ImageInput { Url = "https://example.com/a.png" };

        Rejected(Command(operation: "image-to-image")).Details!["param"].ShouldBe("contents");
        Rejected(Command(operation: "image-to-image") with { Inputs = [image, image] }).Details!["param"].ShouldBe("contents");
        Rejected(Command(operation: "image-to-image") with { Inputs = [image, image with { IsMask = true }] }).Details!["param"].ShouldBe("contents");
        GenerationPlan.For(Command(operation: "image-to-image") with { Inputs = [image] }).InitImage.ShouldBe(image);
    }

    [Theory]
    [InlineData(0.8, 0.2)]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 0.0)]
    [InlineData(0.65, 0.35)]
    public void Turns_CCAPI_strength_into_Stabilitys_image_strength_as_its_complement(double strength, double imageStrength)
    {
        var plan = GenerationPlan.For(Command(operation: "image-to-image") with { Inputs = [new ImageInput { Url = "https://e.com/a.png" }], Strength = strength });

        plan.ImageStrength.ShouldBe(imageStrength);
    }

    [Fact]
    public void Leaves_image_strength_to_the_providers_default_when_no_strength_is_given()
    {
        GenerationPlan.For(Command(operation: "image-to-image") with { Inputs = [new ImageInput { Url = "https://e.com/a.png" }] }).ImageStrength.ShouldBeNull();
    }

    [Fact]
    public void Rejects_a_strength_outside_0_to_1()
    {
        Rejected(Command(operation: "image-to-image") with { Inputs = [new ImageInput { Url = "https://e.com/a.png" }], Strength = 1.5 })
            .Details!["param"].ShouldBe("parameters.strength");
    }

    [Fact]
    public void Image_to_image_ignores_the_requested_size_because_the_output_follows_the_input_image()
    {
        var plan = GenerationPlan.For(Command(operation: "image-to-image") with { Inputs = [new ImageInput { Url = "https://e.com/a.png" }], Width = 640, Height = 480 });

        plan.Width.ShouldBeNull();
        plan.Path.ShouldEndWith("/image-to-image");
    }

    [Fact]
    public async Task Writes_image_to_image_as_the_documented_multipart_form()
    {
        var plan = GenerationPlan.For(Command(operation: "image-to-image") with
        {
            Inputs = [new ImageInput { Url = "https://e.com/a.png" }], Strength = 0.7, NegativePrompt = "fog", Seed = 9, Steps = 20, GuidanceScale = 5,
        });
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3 };

        using var form = plan.Form(new LoadedImage(png, "image/png"));

        var parts = new Dictionary<string, string>();
        foreach (var part in form)
        {
            var name = part.Headers.ContentDisposition!.Name!.Trim('"');
            parts[name] = name == "init_image" ? Convert.ToBase64String(await part.ReadAsByteArrayAsync()) : await part.ReadAsStringAsync();
        }

        parts["init_image"].ShouldBe(Convert.ToBase64String(png));
        parts["init_image_mode"].ShouldBe("IMAGE_STRENGTH");
        parts["image_strength"].ShouldBe("0.3");
        parts["text_prompts[0][text]"].ShouldBe("a lighthouse at dusk");
        parts["text_prompts[0][weight]"].ShouldBe("1");
        parts["text_prompts[1][text]"].ShouldBe("fog");
        parts["text_prompts[1][weight]"].ShouldBe("-1");
        parts["samples"].ShouldBe("1");
        parts["seed"].ShouldBe("9");
        parts["steps"].ShouldBe("20");
        parts["cfg_scale"].ShouldBe("5");
        parts.ContainsKey("width").ShouldBeFalse();
    }

    [Fact]
    public void The_catalogs_sizes_of_sdxl_are_the_ones_the_adapter_sends()
    {
        // The gateway refuses other sizes from the catalog's list before dispatch; a size only one side knew would be
        // refused for nothing, or reach this adapter's own 400.
        var catalog = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(CCApi.Testing.TestInfrastructure.RepoRoot, "deploy", "catalog.json")))!;
        // By engine, not by provider name: scripts/new-provider.sh copies this test to a provider the catalog lacks.
        var sdxl = catalog["models"]!.AsArray().Where(m => StabilityEngines.IsSdxl1024((string?)m!["provider_model"] ?? "")).ToList();

        sdxl.ShouldNotBeEmpty();
        foreach (var model in sdxl)
        {
            model!["capabilities"]!["image_sizes"]!.AsArray().Select(s => (string)s!).ShouldBe(StabilityEngines.SdxlDimensions.Select(StabilityEngines.Describe));
        }
    }
}
