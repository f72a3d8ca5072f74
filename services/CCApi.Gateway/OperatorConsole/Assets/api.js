// Every call the console makes: the admin API with the admin key, and the client API with a client key the operator
// picks (playground). Keys live in sessionStorage only — never in a URL, a cookie or a log line.

const ADMIN_KEY = "ccapi.console.adminKey";
const CLIENT_KEY = "ccapi.console.clientKey";

export const session = {
  get adminKey() { return sessionStorage.getItem(ADMIN_KEY); },
  set adminKey(value) { value ? sessionStorage.setItem(ADMIN_KEY, value) : sessionStorage.removeItem(ADMIN_KEY); },
  get clientKey() { return sessionStorage.getItem(CLIENT_KEY) ?? ""; },
  set clientKey(value) { value ? sessionStorage.setItem(CLIENT_KEY, value) : sessionStorage.removeItem(CLIENT_KEY); },
  clear() { sessionStorage.removeItem(ADMIN_KEY); sessionStorage.removeItem(CLIENT_KEY); },
};

/** A failed call, carrying the CCAPI error object when the server sent one. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `The server answered ${status}.`);
    this.status = status;
    this.type = error?.type ?? null;
    this.code = error?.code ?? null;
    this.details = error?.details ?? null;
  }

  /** One line for the operator: what went wrong and, where it helps, what to do. */
  describe() {
    const code = this.code ? ` (${this.code})` : "";
    if (this.status === 0) return "The platform did not answer. Is the gateway running? Check the network and retry.";
    return `${this.status}${code}: ${this.message}`;
  }
}

let onUnauthorized = () => {};

/** Called when the admin key is refused (401) — the app signs out and says why. */
export function setUnauthorizedHandler(handler) { onUnauthorized = handler; }

async function send(key, path, { method = "GET", body, signal, headers = {} } = {}) {
  const init = { method, signal, headers: { Accept: "application/json", ...headers }, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
  if (key) init.headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, { message: "The platform did not answer." });
  }
  return response;
}

async function errorOf(response) {
  let error = null;
  try { error = (await response.json())?.error ?? null; } catch { /* not JSON */ }
  return new ApiError(response.status, error);
}

/** JSON from the admin API; a 401 signs the console out. */
export async function admin(path, options = {}) {
  const response = await send(session.adminKey, `/admin/v1${path}`, options);
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return response.status === 204 ? null : response.json();
}

/** Checks an admin key without keeping it: true when /admin/v1 accepts it. */
export async function checkAdminKey(key) {
  const response = await send(key, "/admin/v1/keys?limit=1");
  if (response.ok) return true;
  throw await errorOf(response);
}

/** The raw response of a client-API call (the playground reads streams and statuses itself). */
export async function clientRaw(path, options = {}) {
  return send(session.clientKey, path, options);
}

/** JSON from the client API with the playground's key. */
export async function client(path, options = {}) {
  const response = await clientRaw(path, options);
  if (!response.ok && response.status !== 202) throw await errorOf(response);
  return response.json();
}

export { errorOf };

/**
 * Server-sent events from a fetch response (EventSource cannot send an Authorization header): yields
 * {event, data, id} per event; comment lines (heartbeats) are skipped.
 */
export async function* readEvents(response, signal) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = { event: "message", data: [], id: null };
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (event.data.length > 0) yield { event: event.event, data: event.data.join("\n"), id: event.id };
          event = { event: "message", data: [], id: event.id };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") event.data.push(text);
        else if (field === "event") event.event = text;
        else if (field === "id") event.id = text;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
