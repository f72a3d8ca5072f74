// Small DOM helpers. Everything is built with createElement/textContent — never innerHTML — so nothing a key name,
// a prompt or a model answer contains can become markup.

/** h("button", {class: "primary", onclick}, "Save") */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A labelled form field: <label for=id>text</label><input id=id …>, with an optional hint tied by aria-describedby. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const parts = [h("label", { for: id }, label), input];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}

export const usd = (value, digits) => {
  if (value === null || value === undefined) return "—";
  const abs = Math.abs(value);
  const places = digits ?? (abs === 0 ? 2 : abs < 0.01 ? 6 : abs < 1 ? 4 : 2);
  return `$${Number(value).toLocaleString("en-US", { minimumFractionDigits: Math.min(places, 2), maximumFractionDigits: places })}`;
};

export const number = (value) => (value === null || value === undefined ? "—" : Number(value).toLocaleString("en-US"));

export const ms = (value) => (value === null || value === undefined ? "—" : value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`);

export const percent = (value) => (value === null || value === undefined ? "—" : `${(value * 100).toFixed(value < 0.01 && value > 0 ? 2 : 1)} %`);

export function dateTime(unixSeconds) {
  if (!unixSeconds) return "—";
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** YYYY-MM-DD of a Date in UTC (the usage API groups days in UTC). */
export const isoDay = (date) => date.toISOString().slice(0, 10);

/** A message in the page's live region (screen readers announce it). */
export function toast(message, kind = "info") {
  const region = document.getElementById("toast");
  region.textContent = message;
  region.dataset.kind = kind;
  region.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { region.hidden = true; }, kind === "error" ? 8000 : 4000);
}

/** An error box that says what happened; role=alert so it is announced. */
export function errorBox(error, what) {
  const text = error?.describe ? error.describe() : String(error?.message ?? error);
  return h("p", { class: "error", role: "alert" }, what ? `${what} — ${text}` : text);
}

/** An empty state: what is missing and what to do about it. */
export function emptyState(text, action) {
  return h("div", { class: "empty" }, h("p", {}, text), action ?? null);
}

/**
 * A modal <dialog> (focus is trapped and Esc closes it, natively). content(close) builds the body; returns a promise
 * that resolves with the value passed to close(value), or undefined when dismissed.
 */
export function dialog(title, content) {
  return new Promise((resolve) => {
    const titleId = `d-${Math.random().toString(36).slice(2, 9)}`;
    const element = h("dialog", { "aria-labelledby": titleId });
    let result;
    const close = (value) => { result = value; element.close(); };
    element.append(
      h("header", { class: "dialog-head" },
        h("h2", { id: titleId }, title),
        h("button", { type: "button", class: "icon", "aria-label": "Close", onclick: () => close(undefined) }, "×")),
      content(close));
    element.addEventListener("close", () => { element.remove(); resolve(result); });
    document.body.append(element);
    element.showModal();
    const first = element.querySelector("input, select, textarea, button.primary");
    first?.focus();
  });
}

/** "Are you sure?" with a named destructive action. */
export function confirmAction(title, text, action) {
  return dialog(title, (close) => h("div", { class: "dialog-body" },
    h("p", {}, text),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => close(false) }, "Cancel"),
      h("button", { type: "button", class: "danger", onclick: () => close(true) }, action))));
}

/** A table from column definitions {label, value(row) → text|Node, numeric?}. */
export function table(columns, rows, caption) {
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.numeric ? "num" : null, "data-label": c.label }, c.value(row))))))));
}

/** Starts fn now and every `seconds` while the page is visible; returns the stop function. */
export function every(seconds, fn) {
  let stopped = false;
  let timer;
  const tick = async () => {
    if (stopped) return;
    if (document.visibilityState === "visible") {
      try { await fn(); } catch { /* the page shows its own errors */ }
    }
    if (!stopped) timer = setTimeout(tick, seconds * 1000);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

/** Saves text as a file download (CSV export). */
export function download(filename, text, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
