// Playground: with a client key the operator picks, chat (streamed), generate an image (sync, or async watching its
// progress) or synthesize speech — through the same public API product teams call.
import { session, client, clientRaw, errorOf, readEvents } from "./api.js";
import { h, field, usd, errorBox, emptyState } from "./ui.js";
import { watchJob } from "./jobs.js";

function costLine(usage) {
  if (!usage) return null;
  const parts = [];
  if (usage.prompt_tokens !== undefined) parts.push(`${usage.prompt_tokens} in / ${usage.completion_tokens} out tokens`);
  if (usage.characters !== undefined) parts.push(`${usage.characters} characters`);
  if ("cost_usd" in usage) parts.push(usage.cost_usd === null ? "unpriced" : usd(usage.cost_usd));
  return h("p", { class: "muted usage-line" }, parts.join(" · "));
}

function chatPanel(model, output) {
  const system = h("textarea", { rows: 2, placeholder: "Optional system message" });
  const prompt = h("textarea", { rows: 4, required: true }, "Say hello to the operator in one sentence.");
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const stop = h("button", { type: "button", disabled: true }, "Stop");
  let controller = null;
  stop.addEventListener("click", () => controller?.abort());
  return h("form", {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      if (!prompt.value.trim()) { output.replaceChildren(h("p", { class: "error", role: "alert" }, "Write a message first.")); return; }
      const messages = [];
      if (system.value.trim()) messages.push({ role: "system", content: system.value });
      messages.push({ role: "user", content: prompt.value });
      const answer = h("div", { class: "answer", "aria-live": "polite", "data-testid": "chat-answer" });
      const footer = h("div");
      output.replaceChildren(answer, footer);
      controller = new AbortController();
      send.disabled = true;
      stop.disabled = false;
      try {
        const response = await clientRaw("/v1/chat/completions", {
          method: "POST",
          body: { model: model(), messages, stream: true, stream_options: { include_usage: true } },
          signal: controller.signal,
          headers: { Accept: "text/event-stream" },
        });
        if (!response.ok) throw await errorOf(response);
        for await (const event of readEvents(response, controller.signal)) {
          if (event.data === "[DONE]") break;
          const chunk = JSON.parse(event.data);
          if (chunk.error) throw Object.assign(new Error(chunk.error.message), { describe: () => `${chunk.error.code ?? chunk.error.type}: ${chunk.error.message}` });
          for (const choice of chunk.choices ?? []) {
            if (choice.delta?.content) answer.append(choice.delta.content);
          }
          if (chunk.usage) footer.replaceChildren(costLine(chunk.usage));
        }
      } catch (e) {
        if (e.name !== "AbortError") output.append(errorBox(e, "The chat failed"));
      } finally {
        send.disabled = false;
        stop.disabled = true;
      }
    },
  }, field("System", system), field("Message", prompt), h("div", { class: "actions" }, stop, send));
}

function images(data) {
  return h("div", { class: "images" }, (data ?? []).map((d, i) => h("img", {
    src: d.b64_json ? `data:image/png;base64,${d.b64_json}` : d.url,
    alt: `Generated image ${i + 1}${d.revised_prompt ? `: ${d.revised_prompt}` : ""}`,
    width: 256,
    height: 256,
  })));
}

function imagePanel(model, output, entry) {
  const prompt = h("textarea", { rows: 3, required: true }, "A lighthouse on a cliff at dusk, watercolor");
  const count = h("input", { type: "number", min: 1, max: 4, value: 1 });
  const send = h("button", { type: "submit", class: "primary" }, "Generate");
  const mode = h("p", { class: "muted" }, entry()?.ccapi?.mode === "async"
    ? "This model runs as an asynchronous job: you will see its progress."
    : "This model answers synchronously.");
  return h("form", {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      send.disabled = true;
      const status = h("p", { class: "muted", role: "status" }, "Submitting…");
      output.replaceChildren(status);
      try {
        const body = {
          model: model(),
          contents: [{ text: prompt.value }],
          parameters: { num_images: Number(count.value) || 1, response_format: "b64_json" },
        };
        const job = await client("/v1/images/generate", { method: "POST", body });
        if (job.status === "completed" && job.data) {
          status.textContent = "Completed.";
          output.append(images(job.data), costLine(job.usage));
          return;
        }
        const progress = h("progress", { max: 100, value: job.progress ?? 0, "aria-label": "Job progress" });
        status.textContent = `Job ${job.id}: ${job.status}`;
        output.append(progress);
        const final = await watchJob(job.id, (view) => {
          progress.value = view.progress ?? 0;
          status.textContent = `Job ${view.id}: ${view.status}${view.progress !== undefined ? ` (${view.progress} %)` : ""}`;
        }, { client: true });
        if (final.status === "completed") output.append(images(final.data), costLine(final.usage));
        else output.append(errorBox({ describe: () => `${final.error?.code ?? final.status}: ${final.error?.message ?? "the job did not complete"}` }, `The job ended ${final.status}`));
      } catch (e) {
        output.append(errorBox(e, "The image request failed"));
      } finally {
        send.disabled = false;
      }
    },
  }, mode, field("Prompt", prompt), field("Images", count), h("div", { class: "actions" }, send));
}

function speechPanel(model, output, entry) {
  const text = h("textarea", { rows: 3, required: true }, "Welcome to the CCAPI platform.");
  const voices = entry()?.ccapi?.voices ?? ["alloy"];
  const voice = h("select", {}, voices.map((v) => h("option", { value: v }, v)));
  const formats = entry()?.ccapi?.formats ?? ["mp3", "wav"];
  const format = h("select", {}, formats.map((f) => h("option", { value: f }, f)));
  const send = h("button", { type: "submit", class: "primary" }, "Synthesize");
  return h("form", {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      send.disabled = true;
      output.replaceChildren(h("p", { class: "muted", role: "status" }, "Synthesizing…"));
      try {
        const speech = await client("/v1/audio/speech", {
          method: "POST",
          body: { model: model(), input: text.value, voice: voice.value, output_format: format.value, response_format: "b64_json" },
        });
        const type = { mp3: "audio/mpeg", wav: "audio/wav", ogg: "audio/ogg", opus: "audio/ogg", flac: "audio/flac", aac: "audio/aac", pcm: "audio/wav" }[speech.format] ?? "audio/mpeg";
        output.replaceChildren(
          h("audio", { controls: true, src: `data:${type};base64,${speech.b64_json}`, "aria-label": "Synthesized speech" }),
          costLine(speech.usage));
      } catch (e) {
        output.replaceChildren(errorBox(e, "Speech synthesis failed"));
      } finally {
        send.disabled = false;
      }
    },
  }, field("Text", text), h("div", { class: "row" }, field("Voice", voice), field("Format", format)), h("div", { class: "actions" }, send));
}

export function render(view) {
  const keyInput = h("input", { type: "password", autocomplete: "off", spellcheck: "false", value: session.clientKey, placeholder: "sk-ccapi-…" });
  const load = h("button", { type: "button" }, "Load models");
  const modelSelect = h("select", { disabled: true }, h("option", { value: "" }, "Load the models first"));
  const area = h("div", { class: "panel" }, emptyState("Paste a client key (Keys → Create key → Use in playground), then load its models."));
  const output = h("div", { class: "output", "aria-live": "polite" });
  let models = [];

  const current = () => models.find((m) => m.id === modelSelect.value);
  const show = () => {
    const entry = current();
    output.replaceChildren();
    if (!entry) return;
    const type = entry.ccapi?.type;
    const panel = type === "chat" ? chatPanel(() => modelSelect.value, output)
      : type === "image" ? imagePanel(() => modelSelect.value, output, current)
        : speechPanel(() => modelSelect.value, output, current);
    area.replaceChildren(h("p", { class: "muted" }, entry.ccapi?.description ?? ""), panel, output);
  };

  load.addEventListener("click", async () => {
    session.clientKey = keyInput.value.trim();
    if (!session.clientKey) {
      area.replaceChildren(h("p", { class: "error", role: "alert" }, "Paste a client key first: the admin key cannot call models."));
      return;
    }
    load.disabled = true;
    try {
      models = (await client("/v1/models")).data;
      modelSelect.replaceChildren(...["chat", "image", "audio"].map((type) => h("optgroup", { label: type },
        models.filter((m) => m.ccapi?.type === type).map((m) => h("option", { value: m.id },
          `${m.id}${m.ccapi?.status && m.ccapi.status !== "available" ? ` (${m.ccapi.status})` : ""}${m.shutdown_date ? ` (shuts down ${m.shutdown_date})` : ""}`)))));
      modelSelect.disabled = false;
      show();
    } catch (e) {
      area.replaceChildren(errorBox(e, e.status === 401 ? "This client key is refused (revoked, expired or mistyped)" : "The models could not be loaded"));
    } finally {
      load.disabled = false;
    }
  });
  modelSelect.addEventListener("change", show);

  view.append(
    h("div", { class: "filters" },
      field("Client key", keyInput, "Kept in this tab only."),
      h("div", { class: "filter-actions" }, load),
      field("Model", modelSelect)),
    area);
  if (session.clientKey) load.click();
  return null;
}
