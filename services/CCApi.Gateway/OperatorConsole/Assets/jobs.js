// Jobs: recent asynchronous jobs with state and progress, live through the job status stream; a job's detail with
// its events, images and webhook delivery; cancel and redeliver.
import { admin, clientRaw, session, errorOf, readEvents } from "./api.js";
import { h, dateTime, errorBox, emptyState, table, toast, confirmAction, usd } from "./ui.js";

const TERMINAL = new Set(["completed", "failed", "canceled"]);

async function openStream(path, useClientKey, signal, lastEventId) {
  const headers = { Accept: "text/event-stream" };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  if (useClientKey) return clientRaw(path, { signal, headers });
  return fetch(path, { signal, headers: { ...headers, Authorization: `Bearer ${session.adminKey}` }, cache: "no-store", credentials: "omit" });
}

/**
 * Follows a job until it is terminal: the status stream (`…/events`), resumed with Last-Event-ID if the connection
 * drops, else polling once a second. onView(view) sees every state; resolves with the final view.
 */
export async function watchJob(id, onView, { client = false, signal, onEvent } = {}) {
  const base = client ? `/v1/images/jobs/${encodeURIComponent(id)}` : `/admin/v1/jobs/${encodeURIComponent(id)}`;
  let lastEventId = null;
  let last = null;
  for (let attempt = 0; attempt < 30 && !signal?.aborted; attempt++) {
    try {
      const response = await openStream(`${base}/events`, client, signal, lastEventId);
      if (response.ok && (response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
        for await (const event of readEvents(response, signal)) {
          if (event.id) lastEventId = event.id;
          const view = JSON.parse(event.data);
          last = view;
          onEvent?.(event, view);
          onView(view);
          if (TERMINAL.has(view.status)) return view;
        }
        continue; // the stream ended early (a gateway restart): resume after the last event
      }
      if (response.status === 401 || response.status === 404) throw await errorOf(response);
    } catch (e) {
      if (e.name === "AbortError" || e.status === 401 || e.status === 404) throw e;
    }
    // No stream (or it failed): poll.
    const response = client ? await clientRaw(base) : await fetch(base, { headers: { Authorization: `Bearer ${session.adminKey}` }, cache: "no-store", credentials: "omit" });
    if (!response.ok) throw await errorOf(response);
    last = await response.json();
    onView(last);
    if (TERMINAL.has(last.status)) return last;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return last;
}

function stateBadge(status) {
  const kind = status === "completed" ? "available" : status === "failed" ? "unavailable" : status === "canceled" ? "degraded" : "pending";
  return h("span", { class: `badge status-${kind}` }, status);
}

function progressOf(view) {
  const value = view.status === "completed" ? 100 : view.progress ?? 0;
  return h("span", { class: "progress-cell" }, h("progress", { max: 100, value, "aria-label": `Progress of ${view.id}` }), ` ${value} %`);
}

function webhookText(webhook) {
  if (!webhook) return "none";
  const parts = [webhook.status];
  if (webhook.attempts !== undefined) parts.push(`${webhook.attempts} attempt${webhook.attempts === 1 ? "" : "s"}`);
  if (webhook.last_error) parts.push(webhook.last_error);
  return parts.join(" · ");
}

function detail(id, onChange) {
  const container = h("section", { class: "panel job-detail", "aria-labelledby": "job-detail-title" });
  const controller = new AbortController();
  const events = h("ol", { class: "events", "aria-label": "Status events" });
  const summary = h("dl", { class: "facts" });
  const result = h("div");
  const cancel = h("button", { type: "button", class: "danger" }, "Cancel job");
  const redeliver = h("button", { type: "button" }, "Redeliver webhook");
  container.append(h("h2", { id: "job-detail-title" }, `Job ${id}`), summary, h("div", { class: "actions" }, cancel, redeliver), result,
    h("h3", {}, "Events"), events);

  const show = (view) => {
    summary.replaceChildren(
      h("dt", {}, "State"), h("dd", {}, stateBadge(view.status)),
      h("dt", {}, "Progress"), h("dd", {}, progressOf(view)),
      h("dt", {}, "Model"), h("dd", {}, view.model ?? ""),
      h("dt", {}, "Provider"), h("dd", {}, view.execution?.provider ?? ""),
      h("dt", {}, "Key"), h("dd", {}, view.key_id ?? ""),
      h("dt", {}, "Created"), h("dd", {}, dateTime(view.created)),
      h("dt", {}, "Cost"), h("dd", {}, view.usage && "cost_usd" in view.usage ? (view.usage.cost_usd === null ? "unpriced" : usd(view.usage.cost_usd)) : "—"),
      h("dt", {}, "Webhook"), h("dd", {}, webhookText(view.webhook)));
    cancel.disabled = TERMINAL.has(view.status);
    redeliver.disabled = !view.webhook || !TERMINAL.has(view.status);
    if (view.status === "completed" && view.data) {
      result.replaceChildren(h("div", { class: "images" }, view.data.map((d, i) => h("img", {
        src: d.b64_json ? `data:image/png;base64,${d.b64_json}` : d.url, alt: `Result image ${i + 1}`, width: 192, height: 192,
      }))));
    } else if (view.error) {
      result.replaceChildren(h("p", { class: "error" }, `${view.error.code ?? view.error.type}: ${view.error.message}`));
    }
    onChange(view);
  };

  cancel.addEventListener("click", async () => {
    if (!(await confirmAction("Cancel this job?", "A pending job never reaches its provider; a running one is stopped. Its reservation is released.", "Cancel job"))) return;
    try {
      show(await admin(`/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" }));
      toast("Job canceled.");
    } catch (e) {
      toast(e.describe?.() ?? e.message, "error");
    }
  });
  redeliver.addEventListener("click", async () => {
    try {
      show(await admin(`/jobs/${encodeURIComponent(id)}/webhook/redeliver`, { method: "POST" }));
      toast("Webhook queued for delivery.");
    } catch (e) {
      toast(e.describe?.() ?? e.message, "error");
    }
  });

  watchJob(id, show, {
    signal: controller.signal,
    onEvent: (event, view) => events.append(h("li", {}, h("code", {}, event.id ?? ""), ` ${view.status}`, view.progress !== undefined ? ` · ${view.progress} %` : "")),
  }).catch((e) => { if (e.name !== "AbortError") result.replaceChildren(errorBox(e, "The job could not be followed")); });
  return { element: container, stop: () => controller.abort() };
}

export function render(view, [selected]) {
  const list = h("div", { class: "panel" }, h("p", { class: "muted" }, "Loading…"));
  const detailSlot = h("div");
  const watchers = new Map();
  let open = null;
  view.append(list, detailSlot);

  const rows = new Map();
  const renderList = () => {
    const jobs = [...rows.values()].sort((a, b) => b.created - a.created);
    list.replaceChildren(jobs.length === 0
      ? emptyState("No asynchronous jobs yet. Start one in the Playground with an async image model (e.g. local/pixel-async-1).")
      : table([
        { label: "Job", value: (j) => h("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id) },
        { label: "State", value: (j) => stateBadge(j.status) },
        { label: "Progress", value: progressOf },
        { label: "Model", value: (j) => j.model ?? "" },
        { label: "Key", value: (j) => j.key_id ?? "" },
        { label: "Created", value: (j) => dateTime(j.created) },
        { label: "Webhook", value: (j) => webhookText(j.webhook) },
      ], jobs, "Recent jobs"));
  };

  const follow = (job) => {
    if (TERMINAL.has(job.status) || watchers.has(job.id)) return;
    const controller = new AbortController();
    watchers.set(job.id, controller);
    watchJob(job.id, (v) => { rows.set(v.id, { ...rows.get(v.id), ...v }); renderList(); }, { signal: controller.signal })
      .catch(() => {})
      .finally(() => watchers.delete(job.id));
  };

  const load = async () => {
    try {
      const page = await admin("/jobs?limit=50");
      for (const job of page.data) {
        rows.set(job.id, job);
        follow(job);
      }
      renderList();
    } catch (e) {
      list.replaceChildren(errorBox(e, "Jobs could not be loaded"));
    }
  };

  if (selected) {
    open = detail(selected, (v) => { rows.set(v.id, { ...rows.get(v.id), ...v }); renderList(); });
    detailSlot.replaceChildren(open.element);
  }
  load();
  const timer = setInterval(load, 10000); // new jobs appear; running ones update live through their streams
  return () => {
    clearInterval(timer);
    open?.stop();
    for (const controller of watchers.values()) controller.abort();
  };
}
