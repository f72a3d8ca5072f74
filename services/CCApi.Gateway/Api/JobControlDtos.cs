namespace CCApi.Gateway.Api;

/// <summary>
/// 409 from POST /v1/images/jobs/{id}/cancel: the CCAPI error object (code <c>job_not_cancelable</c>,
/// <c>details.status</c> = the state the job ended in) and, beside it, the job view as GET /v1/images/jobs/{id} shows it.
/// </summary>
public sealed record JobNotCancelableResponse(ErrorObject Error, MultimodalImageResponse Job);
