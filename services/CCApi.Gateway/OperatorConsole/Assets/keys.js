// Keys: list, create (the secret shown once), edit limits and allow-list, add credits, revoke, read the ledger.
import { admin, session } from "./api.js";
import { h, field, usd, number, dateTime, dialog, confirmAction, errorBox, emptyState, table, toast } from "./ui.js";

const limitsText = (limits) => {
  const parts = [];
  if (limits?.rpm) parts.push(`${number(limits.rpm)} rpm`);
  if (limits?.tpm) parts.push(`${number(limits.tpm)} tpm`);
  if (limits?.concurrency) parts.push(`${number(limits.concurrency)} at once`);
  if (limits?.async_jobs) parts.push(`${number(limits.async_jobs)} async jobs`);
  return parts.length ? parts.join(" · ") : "none";
};

function state(key) {
  if (key.revoked) return h("span", { class: "badge status-unavailable" }, "revoked");
  if (key.expires_at && key.expires_at * 1000 < Date.now()) return h("span", { class: "badge status-degraded" }, "expired");
  return h("span", { class: "badge status-available" }, "active");
}

const optionalNumber = (input, name) => {
  const text = input.value.trim();
  if (text === "") return null;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number.`);
  return value;
};

/** The form shared by create and edit; read() returns the JSON body (throws a readable Error on bad input). */
function keyForm(key) {
  const name = h("input", { type: "text", required: true, maxlength: 100, value: key?.name ?? "" });
  const credits = h("input", { type: "number", min: 0, step: "0.01", inputmode: "decimal" });
  const rpm = h("input", { type: "number", min: 1, step: 1, value: key?.limits?.rpm ?? "" });
  const tpm = h("input", { type: "number", min: 1, step: 1, value: key?.limits?.tpm ?? "" });
  const concurrency = h("input", { type: "number", min: 1, step: 1, value: key?.limits?.concurrency ?? "" });
  const asyncJobs = h("input", { type: "number", min: 1, step: 1, value: key?.limits?.async_jobs ?? "" });
  const models = h("textarea", { rows: 2, spellcheck: "false" }, (key?.models ?? []).join("\n"));
  const expires = h("input", { type: "date", value: key?.expires_at ? new Date(key.expires_at * 1000).toISOString().slice(0, 10) : "" });
  const unpriced = h("input", { type: "checkbox", checked: key ? key.allow_unpriced : true });
  const fields = [
    field("Name", name),
    key ? null : field("Credits (USD)", credits, "Leave empty for unlimited credits."),
    h("fieldset", {}, h("legend", {}, "Limits (empty = no limit)"),
      h("div", { class: "row" }, field("Requests / min", rpm), field("Tokens / min", tpm), field("In flight", concurrency),
        field("Async jobs", asyncJobs, "Unfinished asynchronous image jobs."))),
    field("Allowed models", models, "One id or glob per line, e.g. openai/* or local/echo-1. Empty = every model."),
    field("Expires on", expires, "UTC midnight of that day. Empty = never."),
    h("div", { class: "field checkbox" }, h("label", {}, unpriced, " Allow unpriced models (cost 0)")),
  ];
  const read = () => {
    if (!name.value.trim()) throw new Error("Name is required.");
    const body = {
      name: name.value.trim(),
      limits: { rpm: optionalNumber(rpm, "Requests / min"), tpm: optionalNumber(tpm, "Tokens / min"), concurrency: optionalNumber(concurrency, "In flight"),
        async_jobs: optionalNumber(asyncJobs, "Async jobs") },
      models: models.value.split(/[\s,]+/).filter(Boolean),
      expires_at: expires.value ? Math.floor(Date.parse(`${expires.value}T00:00:00Z`) / 1000) : null,
      allow_unpriced: unpriced.checked,
    };
    if (body.models.length === 0) body.models = null;
    if (key && expires.value === expires.defaultValue) delete body.expires_at; // unchanged (it may be in the past already)
    if (!key) body.credits_usd = optionalNumber(credits, "Credits");
    return body;
  };
  return { fields, read };
}

function formDialog(title, form, submitLabel, submit) {
  return dialog(title, (close) => {
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const button = h("button", { type: "submit", class: "primary" }, submitLabel);
    return h("form", {
      class: "dialog-body",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        try {
          close(await submit(form.read()));
        } catch (e) {
          error.hidden = false;
          error.textContent = e.describe?.() ?? e.message;
        } finally {
          button.disabled = false;
        }
      },
    }, form.fields, error, h("div", { class: "actions" }, h("button", { type: "button", onclick: () => close(undefined) }, "Cancel"), button));
  });
}

async function showSecret(created) {
  await dialog("Key created — copy its secret now", (close) => {
    const secret = h("input", { type: "text", readonly: true, value: created.key, class: "secret", "aria-label": "Secret key", spellcheck: "false" });
    const copied = h("span", { class: "muted", role: "status" });
    return h("div", { class: "dialog-body" },
      h("p", {}, "This is the only time the secret is shown. Store it in your secret manager; the platform keeps only its hash."),
      secret,
      h("div", { class: "actions" },
        h("button", {
          type: "button",
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(created.key);
              copied.textContent = "Copied.";
            } catch {
              secret.select();
              copied.textContent = "Select and copy it (Ctrl+C): the browser refused clipboard access.";
            }
          },
        }, "Copy"),
        h("button", {
          type: "button",
          onclick: () => { session.clientKey = created.key; toast(`The playground now uses ${created.name}.`); },
        }, "Use in playground"),
        h("button", { type: "button", class: "primary", onclick: () => close() }, "Done")),
      copied);
  });
}

async function showLedger(key) {
  let entries;
  try {
    entries = (await admin(`/keys/${encodeURIComponent(key.id)}/ledger?limit=100`)).data;
  } catch (e) {
    toast(e.describe?.() ?? e.message, "error");
    return;
  }
  await dialog(`Ledger of ${key.name}`, () => h("div", { class: "dialog-body wide" },
    entries.length === 0
      ? emptyState("No entries yet: credit changes and settled requests appear here.")
      : table([
        { label: "When", value: (e) => dateTime(e.created) },
        { label: "Type", value: (e) => e.type },
        { label: "Who", value: (e) => e.who ?? "" },
        { label: "Amount", value: (e) => usd(e.amount_usd), numeric: true },
        { label: "Balance after", value: (e) => usd(e.balance_after_usd), numeric: true },
        { label: "Note", value: (e) => e.note ?? "" },
      ], entries, `Ledger of ${key.name}`)));
}

export function render(view) {
  const list = h("div", { class: "panel" }, h("p", { class: "muted" }, "Loading…"));
  const create = h("button", { type: "button", class: "primary" }, "Create key");
  view.append(h("div", { class: "toolbar" }, create), list);

  const load = async () => {
    try {
      const keys = [];
      let after = null;
      do {
        const page = await admin(`/keys?limit=100${after ? `&after=${encodeURIComponent(after)}` : ""}`);
        keys.push(...page.data);
        after = page.has_more && page.data.length ? page.data[page.data.length - 1].id : null;
      } while (after && keys.length < 1000);
      list.replaceChildren(keys.length === 0
        ? emptyState("No keys yet. Create one to hand to a product team.", null)
        : table([
          { label: "Name", value: (k) => h("span", {}, h("strong", {}, k.name), h("br"), h("code", {}, `${k.prefix}…`)) },
          { label: "State", value: state },
          { label: "Balance", value: (k) => (k.credits_usd === null ? "unlimited" : usd(k.credits_usd)), numeric: true },
          { label: "Reserved", value: (k) => usd(k.reserved_usd), numeric: true },
          { label: "Spent", value: (k) => usd(k.spent_usd), numeric: true },
          { label: "Limits", value: (k) => limitsText(k.limits) },
          { label: "Models", value: (k) => (k.models ? k.models.join(", ") : "all") },
          { label: "Last used", value: (k) => dateTime(k.last_used) },
          { label: "Actions", value: (k) => actions(k) },
        ], keys, "API keys"));
    } catch (e) {
      list.replaceChildren(errorBox(e, "The keys could not be loaded"));
    }
  };

  const actions = (key) => h("div", { class: "row-actions" },
    h("button", {
      type: "button",
      "aria-label": `Edit ${key.name}`,
      disabled: key.revoked,
      onclick: async () => {
        const form = keyForm(key);
        const saved = await formDialog(`Edit ${key.name}`, form, "Save", (body) =>
          admin(`/keys/${encodeURIComponent(key.id)}`, { method: "PATCH", body }));
        if (saved) { toast(`Saved ${saved.name}.`); load(); }
      },
    }, "Edit"),
    h("button", {
      type: "button",
      "aria-label": `Add credits to ${key.name}`,
      disabled: key.revoked || key.credits_usd === null,
      title: key.credits_usd === null ? "Unlimited keys have no balance" : null,
      onclick: async () => {
        const amount = h("input", { type: "number", step: "0.01", required: true, inputmode: "decimal" });
        const note = h("input", { type: "text", maxlength: 200 });
        const form = {
          fields: [field("Amount (USD)", amount, "Negative to take credits back."), field("Note", note, "Shown in the ledger, e.g. December top-up.")],
          read: () => {
            const value = Number(amount.value);
            if (amount.value.trim() === "" || !Number.isFinite(value) || value === 0) throw new Error("Enter a non-zero amount in USD.");
            return { amount_usd: value, note: note.value.trim() || null };
          },
        };
        const saved = await formDialog(`Credits for ${key.name}`, form, "Apply", (body) =>
          admin(`/keys/${encodeURIComponent(key.id)}/credits`, { method: "POST", body }));
        if (saved) { toast(`Balance of ${key.name}: ${usd(saved.credits_usd)}.`); load(); }
      },
    }, "Credits"),
    h("button", { type: "button", "aria-label": `Ledger of ${key.name}`, onclick: () => showLedger(key) }, "Ledger"),
    h("button", {
      type: "button",
      class: "danger",
      "aria-label": `Revoke ${key.name}`,
      disabled: key.revoked,
      onclick: async () => {
        const sure = await confirmAction(`Revoke ${key.name}?`,
          "Every request with this key is refused (401) on every gateway within a second. This cannot be undone.", "Revoke");
        if (!sure) return;
        try {
          await admin(`/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
          toast(`${key.name} is revoked.`);
        } catch (e) {
          toast(e.describe?.() ?? e.message, "error");
        }
        load();
      },
    }, "Revoke"));

  create.addEventListener("click", async () => {
    const form = keyForm(null);
    const created = await formDialog("Create key", form, "Create", (body) => admin("/keys", { method: "POST", body }));
    if (created) {
      await showSecret(created);
      load();
    }
  });

  load();
  return null;
}
