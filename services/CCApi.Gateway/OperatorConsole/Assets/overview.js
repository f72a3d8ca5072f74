// Overview: traffic of the last hour (all gateway replicas), spend today and this month, provider status — live.
import { admin } from "./api.js";
import { h, ms, number, percent, usd, every, errorBox, table, dateTime, isoDay } from "./ui.js";
import { chart } from "./charts.js";

const REFRESH_SECONDS = 5;

function card(label, value, detail, name) {
  return h("div", { class: "card", dataset: { metric: name } },
    h("div", { class: "card-label" }, label),
    h("div", { class: "card-value" }, value),
    detail ? h("div", { class: "card-detail" }, detail) : null);
}

function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, status);
}

/** Sum of cost_usd over usage rows, and the cost of one day (UTC) among rows grouped by day. */
export function spendOf(usage, day) {
  const rows = usage?.data ?? [];
  const total = rows.reduce((sum, row) => sum + (row.cost_usd ?? 0), 0);
  const today = rows.filter((row) => row.group === day).reduce((sum, row) => sum + (row.cost_usd ?? 0), 0);
  return { total, today };
}

export function render(view) {
  const updated = h("p", { class: "muted", "aria-live": "off" }, "Loading…");
  const cards = h("div", { class: "cards", "aria-live": "polite" });
  const traffic = h("div", { class: "panel" });
  const providers = h("div", { class: "panel" });
  view.append(updated, cards,
    h("section", { "aria-labelledby": "traffic-title" }, h("h2", { id: "traffic-title" }, "Requests per minute (last hour)"), traffic),
    h("section", { "aria-labelledby": "providers-title" }, h("h2", { id: "providers-title" }, "Providers"), providers));

  const refresh = async () => {
    const now = new Date();
    const monthStart = Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) / 1000);
    const [stats, usage, status] = await Promise.allSettled([
      admin("/stats?minutes=60"),
      admin(`/usage?from=${monthStart}&to=${Math.floor(now / 1000)}&group_by=day`),
      admin("/providers"),
    ]);

    const items = [];
    if (stats.status === "fulfilled") {
      const s = stats.value;
      items.push(
        card("Requests / min", number(s.requests_per_minute), `${number(s.requests)} in the last hour`, "rpm"),
        card("Error rate", percent(s.error_rate), `${number(s.server_errors)} server errors, ${number(s.client_errors)} refused (4xx)`, "errors"),
        card("Latency p50 / p95", `${ms(s.latency_p50_ms)} / ${ms(s.latency_p95_ms)}`, "whole request, synchronous calls", "latency"),
        card("Gateway overhead p50 / p95", `${ms(s.overhead_p50_ms)} / ${ms(s.overhead_p95_ms)}`, "time not spent at the provider", "overhead"));
      traffic.replaceChildren(chart({
        kind: "line",
        title: "Model requests per minute, all gateway replicas",
        unit: "requests / min",
        format: (v) => number(v),
        points: s.series.map((m) => ({ label: new Date(m.minute * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }), value: m.requests })),
      }));
    } else {
      traffic.replaceChildren(errorBox(stats.reason, "Traffic figures are unavailable"));
    }

    if (usage.status === "fulfilled") {
      const spend = spendOf(usage.value, isoDay(now));
      items.push(
        card("Spend today", usd(spend.today), "UTC day, settled requests", "spend-today"),
        card("Spend this month", usd(spend.total), now.toLocaleString(undefined, { month: "long", year: "numeric", timeZone: "UTC" }), "spend-month"));
    } else {
      items.push(card("Spend", "—", usage.reason?.describe?.() ?? "unavailable", "spend-today"));
    }
    cards.replaceChildren(...items);

    if (status.status === "fulfilled") {
      const rows = status.value.data;
      providers.replaceChildren(rows.length === 0
        ? h("p", {}, "No providers in the catalog. Check the catalog service and deploy/catalog.json.")
        : table([
          { label: "Provider", value: (p) => h("span", {}, p.display_name, p.demo ? h("span", { class: "badge" }, "demo") : null) },
          { label: "Status", value: (p) => statusBadge(p.status) },
          { label: "Detail", value: (p) => p.status_detail ?? (p.status === "available" ? "healthy" : "") },
          { label: "Models", value: (p) => number(p.models), numeric: true },
          { label: "Last heartbeat", value: (p) => dateTime(p.last_seen) },
        ], rows, "Providers and their status"));
    } else {
      providers.replaceChildren(errorBox(status.reason, "Provider status is unavailable"));
    }
    updated.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_SECONDS} s`;
  };

  return every(REFRESH_SECONDS, refresh);
}
