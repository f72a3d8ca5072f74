using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using CCApi.Gateway.Limits;
using CCApi.Messaging;
using Microsoft.AspNetCore.Http.Features;
using StackExchange.Redis;

namespace CCApi.Gateway.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on every POST of the client API, with Stripe's semantics, registered on the route groups right
/// after the API key filter so that no handler knows about it. Scoped per API key; without the header nothing changes.
/// <list type="number">
/// <item>The header must be 1–255 printable ASCII characters, sent once: else 400 naming <c>Idempotency-Key</c>.</item>
/// <item>The body is buffered (within the same size limit as every body; a large chat only with its key's
/// <see cref="LargePromptGate"/> permit, as the handler would read it) and the request's fingerprint is SHA-256 of
/// method, path with query, and the body bytes (a multipart body must be resent byte for byte, boundary included, as the
/// SDKs' own retries do).</item>
/// <item>One Redis script either takes the key (in flight, under a lease of <c>Messaging:RequestTimeout</c> +
/// <c>Idempotency:InFlightMargin</c>, so a crashed gateway blocks it only that long), or finds it: another fingerprint →
/// 422 <c>idempotency_key_reused</c>; still in flight → 409 <c>idempotency_key_in_use</c>; done → the saved response is
/// replayed byte for byte (status, <c>Content-Type</c>, <c>Location</c>, <c>Cache-Control</c>, <c>x-ccapi-job-id</c>,
/// body) with <c>Idempotent-Replayed: true</c>, never reaching the pipeline: no provider call, no charge, and an async
/// image job's 202 names the same job id.</item>
/// <item>What is saved (the simplest rule that keeps Stripe's "only if the endpoint started executing"): every response
/// the handler produced, and every error raised after a command was dispatched to a provider (the dispatcher marks
/// <see cref="IdempotentRequest"/>) — except 429 and 503, which mean "nothing was done, retry later". Errors raised before
/// dispatch (auth, validation, allow-list, limits, credits, outages), unexpected exceptions and requests whose client went
/// away before dispatch delete the in-flight record, so the same key can simply be retried. A client that goes away after
/// dispatch is exactly the lost response the header is for: a held body is saved whole as if it had been sent; a stream
/// cut short (its job goes on, resumable) is saved as unavailable, so a retry gets 409 with the job id, not a second
/// run.</item>
/// <item>Streams (SSE) are teed: each event reaches the client at once and is recorded; other bodies are held until
/// saved, then sent. A body over <c>Idempotency:MaxResponseBytes</c> is delivered but not saved; a retry then gets 409
/// <c>idempotency_response_unavailable</c> (with the job id when there is one) instead of a second execution.</item>
/// <item>Redis unavailable → 503 before anything starts: a request with the header is never served unprotected.</item>
/// </list>
/// </summary>
public sealed partial class IdempotencyEndpointFilter(
    IdempotencyStore store,
    IOptions<IdempotencyOptions> options,
    IOptions<MessagingOptions> messaging,
    IOptions<GatewayOptions> gateway,
    LargePromptGate largePrompts,
    ILogger<IdempotencyEndpointFilter> logger) : IEndpointFilter
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The response headers a replay repeats (never x-request-id, rate-limit headers or trace ids).</summary>
    public static readonly string[] ReplayedHeaders = ["Content-Type", "Location", "Cache-Control", JobIds.Header];

    public const int MaxKeyLength = 255;

    private int MaxResponseBytes => options.Value.MaxResponseBytes;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.Headers.TryGetValue(IdempotencyErrors.Header, out var values))
        {
            return await next(context);
        }

        var headerHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(Validate(values))));
        var keyId = http.GetCaller().KeyId;
        await largePrompts.EnterBeforeReadingAsync(http, http.RequestAborted); // a large prompt is read (and hashed) with its key's permit
        var body = await BufferBodyAsync(http, http.RequestAborted);
        var fingerprint = Fingerprint(http.Request, body);
        var token = Guid.NewGuid().ToString("N");

        IdempotencyState state;
        SavedResponse? saved;
        try
        {
            (state, saved) = await store.BeginAsync(keyId, headerHash, fingerprint, token, messaging.Value.RequestTimeout + options.Value.InFlightMargin);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(logger, ex);
            throw IdempotencyErrors.StoreUnavailable();
        }

        switch (state)
        {
            case IdempotencyState.Mismatch:
                throw IdempotencyErrors.Reused();
            case IdempotencyState.InFlight:
                throw IdempotencyErrors.InUse();
            case IdempotencyState.Done when saved!.Body is null:
                throw IdempotencyErrors.Unavailable(saved.Status, saved.Headers.FirstOrDefault(h => IsHeader(h.Key, JobIds.Header)).Value);
            case IdempotencyState.Done:
                return new ReplayResult(saved);
        }

        var request = new IdempotentRequest();
        http.Features.Set(request);
        var holder = new Holder(keyId, headerHash, fingerprint, token);
        object? result;
        try
        {
            result = await next(context);
        }
        catch (ApiException ex) when (request.Dispatched && IsSaved(ex.Status))
        {
            result = new ErrorResult(ex); // the endpoint started executing: its error is the saved outcome
        }
        catch
        {
            await ReleaseAsync(holder);
            throw;
        }

        if (result is not IResult inner)
        {
            await ReleaseAsync(holder); // every POST handler answers an IResult; anything else is not recorded
            return result;
        }

        return new RecordingResult(this, inner, holder);
    }

    /// <summary>1–255 printable ASCII characters, sent once.</summary>
    public static string Validate(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1)
        {
            throw IdempotencyErrors.InvalidHeader("Send the Idempotency-Key header once.");
        }

        var key = values[0] ?? "";
        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            throw IdempotencyErrors.InvalidHeader($"Idempotency-Key must be 1 to {MaxKeyLength} printable ASCII characters.");
        }

        return key;
    }

    /// <summary>429 and 503 say "nothing was done, retry later": never saved.</summary>
    public static bool IsSaved(int status) => status is not (StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable);

    private static string Fingerprint(HttpRequest request, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.PathBase}{request.Path}{request.QueryString}\n"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Reads the whole body (at most the route's limit: Kestrel's per-request limit where there is one, else
    /// <c>Gateway:MaxRequestBodyBytes</c>; over it → 413 as for every body) and puts it back for the handler, as a stream
    /// and as a pipe, so JSON and multipart reading work unchanged.
    /// </summary>
    private async Task<byte[]> BufferBodyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = http.Request;
        var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? gateway.Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, limit) + 1);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.WrittenCount + read > limit)
                {
                    throw TooLarge(limit);
                }

                buffer.Write(chunk.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var body = buffer.WrittenSpan.ToArray();
        request.Body = new MemoryStream(body, writable: false);
        http.Features.Set<IRequestBodyPipeFeature>(new BufferedBody(PipeReader.Create(new ReadOnlySequence<byte>(body))));
        return body;
    }

    private static ApiException TooLarge(long limit) =>
        new(413, ErrorTypes.InvalidRequest, ErrorCodes.PayloadTooLarge, $"The request body is larger than {limit} bytes.");

    private async Task ReleaseAsync(Holder holder)
    {
        try
        {
            await store.ReleaseAsync(holder.KeyId, holder.HeaderHash, holder.Token);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogReleaseFailed(logger, ex); // the in-flight record then expires with its lease
        }
    }

    private async Task CompleteAsync(Holder holder, SavedResponse response)
    {
        try
        {
            if (!await store.CompleteAsync(holder.KeyId, holder.HeaderHash, holder.Fingerprint, holder.Token, response, options.Value.Retention))
            {
                LogTakenOver(logger);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSaveFailed(logger, ex); // the response still goes out; the in-flight record expires with its lease
        }
    }

    private static bool IsHeader(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private sealed record Holder(string KeyId, string HeaderHash, string Fingerprint, string Token);

    private sealed class BufferedBody(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = reader;
    }

    /// <summary>Executes the handler's result through a <see cref="RecordingResponseStream"/>, then saves (or releases) the key.</summary>
    private sealed class RecordingResult(IdempotencyEndpointFilter filter, IResult inner, Holder holder) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var original = httpContext.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
            var recording = new RecordingResponseStream(original, filter.MaxResponseBytes);
            httpContext.Features.Set<IHttpResponseBodyFeature>(recording);
            var aborted = httpContext.RequestAborted;
            // Every result but a stream is held back in the recording until saved: it is written whole, whether or not its
            // client is still there (the point of the header). A stream must see its client leave (a chat's job goes on,
            // resumable, and is billed at its end: ChatStreamResult; an image stream relaying partials is canceled).
            var held = httpContext.IdempotentRequest()?.Streamed != true;
            if (held)
            {
                httpContext.RequestAborted = CancellationToken.None;
            }

            try
            {
                await inner.ExecuteAsync(httpContext);
                await recording.FlushWriterAsync(httpContext.RequestAborted);
            }
            catch (OperationCanceledException) when (!held && aborted.IsCancellationRequested)
            {
                // A stream whose client left as it ended (the last flush): saved below as one its client left.
            }
            catch
            {
                httpContext.Features.Set(original);
                httpContext.RequestAborted = aborted;
                await filter.ReleaseAsync(holder);
                throw;
            }
            finally
            {
                httpContext.Features.Set(original);
                httpContext.RequestAborted = aborted;
            }

            var response = httpContext.Response;
            var left = aborted.IsCancellationRequested;
            if (!IsSaved(response.StatusCode) || (left && httpContext.IdempotentRequest()?.Dispatched != true))
            {
                await filter.ReleaseAsync(holder);
            }
            else
            {
                var headers = ReplayedHeaders
                    .Where(name => response.Headers.ContainsKey(name))
                    .Select(name => new KeyValuePair<string, string>(name, response.Headers[name].ToString()))
                    .ToList();
                // A stream its client left is incomplete here (its job goes on): saved as unavailable, never replayed cut short.
                var body = left && recording.PassedThrough ? null : recording.Recorded;
                await filter.CompleteAsync(holder, new SavedResponse(response.StatusCode, headers, body));
            }

            if (!left)
            {
                await recording.FinishAsync(aborted);
            }
        }
    }

    /// <summary>An error raised after dispatch, written exactly as the exception handler would write it.</summary>
    private sealed class ErrorResult(ApiException error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => CcapiExceptionHandler.WriteAsync(httpContext, error, httpContext.RequestAborted);
    }

    /// <summary>A saved response, byte for byte, marked <c>Idempotent-Replayed: true</c>.</summary>
    private sealed class ReplayResult(SavedResponse saved) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = saved.Status;
            foreach (var (name, value) in saved.Headers)
            {
                response.Headers[name] = value;
            }

            response.Headers[ReplayedHeader] = "true";
            response.ContentLength = saved.Body!.Length;
            await response.Body.WriteAsync(saved.Body, httpContext.RequestAborted);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Idempotency-Key could not be checked in Redis; the request is refused with 503")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An idempotent request's in-flight record could not be released; it expires with its lease")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An idempotent response could not be saved; its in-flight record expires with its lease")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An idempotent response was not saved: its lease had run out and another request holds the key")]
    private static partial void LogTakenOver(ILogger logger);
}
