namespace CCApi.Outbound;

/// <summary>
/// A user-supplied URL the guard would not fetch or could not fetch within bounds: bad syntax or scheme, a host that
/// resolves to a non-public address, a non-2xx answer, too large, too slow. Callers turn it into the error of their
/// context (a failed job, a failed webhook attempt).
/// </summary>
public sealed class OutboundUrlException(string message) : Exception(message);
