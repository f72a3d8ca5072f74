// Usage: spend and requests by day or model, for a range and a key, as SVG charts and a table, with CSV download.
import { admin } from "./api.js";
import { h, field, usd, number, errorBox, emptyState, table, isoDay, download } from "./ui.js";
import { chart } from "./charts.js";

const COLUMNS = [
  ["requests", "Requests"],
  ["input_tokens", "Input tokens"],
  ["input_cached_tokens", "Cached input tokens"],
  ["output_tokens", "Output tokens"],
  ["images", "Images"],
  ["characters", "Characters"],
  ["cost_usd", "Cost (USD)"],
];

/** The rows as CSV (RFC 4180: fields with commas, quotes or line breaks are quoted). */
export function toCsv(groupBy, rows) {
  const quote = (value) => {
    let text = value === null || value === undefined ? "" : String(value);
    // A text cell a spreadsheet would run as a formula (a pass-through model id such as "=HYPERLINK(…)") is kept as
    // text with a leading apostrophe (OWASP's advice for CSV injection); numbers, negative ones included, stay numbers.
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const header = [groupBy, ...COLUMNS.map(([name]) => name)];
  const lines = [header.join(",")];
  for (const row of rows) lines.push([row.group, ...COLUMNS.map(([name]) => row[name] ?? 0)].map(quote).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function render(view) {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86400000);
  const from = h("input", { type: "date", value: isoDay(monthAgo), max: isoDay(today), required: true });
  const to = h("input", { type: "date", value: isoDay(today), max: isoDay(today), required: true });
  const key = h("select", {}, h("option", { value: "" }, "All keys"));
  const groupBy = h("select", {}, h("option", { value: "day" }, "Day"), h("option", { value: "model" }, "Model"), h("option", { value: "key" }, "Key"));
  const exportButton = h("button", { type: "button", disabled: true }, "Download CSV");
  const result = h("div", { class: "panel", "aria-live": "polite" });
  let current = null;

  const form = h("form", {
    class: "filters",
    novalidate: true,
    onsubmit: (event) => { event.preventDefault(); load(); },
  },
  field("From (UTC)", from), field("To (UTC)", to), field("Key", key), field("Group by", groupBy),
  h("div", { class: "filter-actions" }, h("button", { type: "submit", class: "primary" }, "Show"), exportButton));
  view.append(form, result);

  admin("/keys?limit=100").then((page) => {
    for (const k of page.data) key.append(h("option", { value: k.id }, `${k.name} (${k.prefix}…)`));
  }).catch(() => { /* the key filter stays "All keys"; load() reports errors */ });

  exportButton.addEventListener("click", () => {
    if (!current) return;
    download(`ccapi-usage-${current.groupBy}-${from.value}-to-${to.value}.csv`, toCsv(current.groupBy, current.rows));
  });

  async function load() {
    const start = Date.parse(`${from.value}T00:00:00Z`);
    const end = Date.parse(`${to.value}T00:00:00Z`) + 86400000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, "Choose a start date on or before the end date."));
      return;
    }
    const query = new URLSearchParams({
      from: String(start / 1000),
      to: String(Math.min(end - 1000, Date.now()) / 1000 | 0), // "to" is included: the end date's last second
      group_by: groupBy.value,
    });
    if (key.value) query.set("key_id", key.value);
    result.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    exportButton.disabled = true;
    try {
      const usage = await admin(`/usage?${query}`);
      const rows = usage.data ?? [];
      current = { groupBy: groupBy.value, rows };
      if (rows.length === 0) {
        result.replaceChildren(emptyState("No requests in this range. Run one in the Playground, or widen the range."));
        return;
      }
      const points = (name) => rows.map((row) => ({ label: row.group, value: row[name] ?? 0 }));
      const total = (name) => rows.reduce((sum, row) => sum + (row[name] ?? 0), 0);
      result.replaceChildren(
        h("p", { class: "summary" }, `${number(total("requests"))} requests · ${usd(total("cost_usd"))} in this range`),
        h("div", { class: "charts" },
          chart({ kind: "bar", title: `Spend by ${groupBy.value}`, unit: "USD", points: points("cost_usd"), format: (v) => usd(v) }),
          chart({ kind: "bar", title: `Requests by ${groupBy.value}`, unit: "requests", points: points("requests"), format: (v) => number(v) })),
        table([{ label: groupBy.value[0].toUpperCase() + groupBy.value.slice(1), value: (row) => row.group },
          ...COLUMNS.map(([name, label]) => ({ label, numeric: true, value: (row) => (name === "cost_usd" ? usd(row[name]) : number(row[name] ?? 0)) }))],
        rows, `Usage by ${groupBy.value}`));
      exportButton.disabled = false;
    } catch (e) {
      result.replaceChildren(errorBox(e, "Usage could not be loaded"));
    }
  }

  load();
  return null;
}
