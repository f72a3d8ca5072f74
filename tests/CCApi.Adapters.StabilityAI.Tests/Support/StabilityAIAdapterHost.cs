using CCApi.Contracts;
using CCApi.Emulators.StabilityAI;
using CCApi.Testing.Adapters;
using MassTransit;

namespace CCApi.Adapters.StabilityAI.Tests.Support;

/// <summary>
/// One emulator and one Stability AI adapter (the kit's <see cref="EmulatedAdapterHost{TProgram, TEmulator}"/>, RabbitMQ
/// vhost "stabilityai"), with the commands the gateway would send it.
/// </summary>
public class StabilityAIAdapterHost() : EmulatedAdapterHost<Program, StabilityAIEmulator>("stabilityai", "StabilityAI", "stabilityai-test-" + Guid.NewGuid().ToString("N")[..8])
{
    public const string Sdxl = "stable-diffusion-xl-1024-v1-0";

    public override IJobCommand Job() => TextToImage();

    protected override Task<StabilityAIEmulator> StartEmulatorAsync() => StabilityAIEmulator.StartAsync();

    public JobRoute Route(string model = Sdxl, decimal perImage = 0.006m) => Route(model, new ModelPricing { PerImage = perImage });

    public GenerateImage TextToImage(string prompt = "a lighthouse at dusk", int n = 1, int width = 1024, int height = 1024) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(),
        Operation = "text-to-image",
        Prompt = prompt,
        Width = width,
        Height = height,
        NumImages = n,
    };

    public GenerateImage ImageToImage(ImageInput input, string prompt = "the same harbour at night") => TextToImage(prompt) with
    {
        Operation = "image-to-image",
        Inputs = [input],
    };

    /// <summary>Sends the command as the gateway does for a synchronous model: a request to the provider's queue.</summary>
    public Task<Response<ImageGenerated, JobFailed>> AskAsync(GenerateImage command, bool redelivery = false) => AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image, redelivery);

    public async Task<ImageGenerated> GeneratedAsync(GenerateImage command, bool redelivery = false)
    {
        var response = await AskAsync(command, redelivery);
        if (response.Is(out Response<JobFailed>? failed))
        {
            throw new ShouldAssertException($"expected images, got JobFailed {failed!.Message.Error.Status}: {failed.Message.Error.Message}");
        }

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        return generated!.Message;
    }

    public async Task<ErrorInfo> FailedAsync(GenerateImage command) =>
        JobOutcome.Of(command, await AskAsync(command)).ShouldHaveFailed();

    /// <summary>Requests the emulator's generation endpoints received (its file routes for input URLs aside).</summary>
    public int GenerationCalls => Emulator.Requests.Count(r => r.Path.StartsWith("/v1/generation/", StringComparison.Ordinal));

    /// <summary>Sends the command as the gateway does for an asynchronous model (no response address).</summary>
    public Task SendAsync(GenerateImage command) => SendAsync(JobKind.Image, command);
}
