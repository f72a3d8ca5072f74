using System.Text;
using CCApi.Adapters.Local.Images;
using CCApi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CCApi.Adapters.Local.Tests.Support;

/// <summary>A tiny HTTP server standing in for a user's image host: a real PNG and a file that is not an image.</summary>
public sealed class ImageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public static readonly byte[] Png = ProceduralImage.RenderPng(new ImageSpec("input picture", 99, 16, 16));

    private ImageServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<ImageServer> StartAsync()
    {
        var baseUrl = $"http://127.0.0.1:{TestInfrastructure.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(baseUrl);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/input.png", () => Results.Bytes(Png, "image/png"));
        app.MapGet("/notes.txt", () => Results.Bytes(Encoding.UTF8.GetBytes("just some text, not a picture"), "image/png"));
        await app.StartAsync();
        return new ImageServer(app, baseUrl);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
