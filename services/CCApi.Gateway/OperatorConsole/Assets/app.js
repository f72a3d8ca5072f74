// The console's shell: sign-in with the admin key, a hash router over the five pages, and sign-out on a refused key.
import { session, checkAdminKey, setUnauthorizedHandler } from "./api.js";
import { h } from "./ui.js";
import * as overview from "./overview.js";
import * as keys from "./keys.js";
import * as usage from "./usage.js";
import * as jobs from "./jobs.js";
import * as playground from "./playground.js";

const pages = { overview, keys, usage, jobs, playground };
const titles = { overview: "Overview", keys: "Keys", usage: "Usage", jobs: "Jobs", playground: "Playground" };
let cleanup = null;

const $ = (id) => document.getElementById(id);

function showSignIn(message) {
  cleanup?.();
  cleanup = null;
  $("view").replaceChildren();
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  const error = $("sign-in-error");
  error.hidden = !message;
  error.textContent = message ?? "";
  document.title = "Sign in · CCAPI console";
  $("admin-key").focus();
}

function route() {
  if (!session.adminKey) {
    showSignIn();
    return;
  }
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const page = pages[name] ? name : "overview";
  if (!pages[name]) {
    history.replaceState(null, "", "#/overview");
  }
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  for (const link of $("nav").querySelectorAll("a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  cleanup?.();
  const view = $("view");
  view.replaceChildren(h("h1", { class: "page-title", tabindex: "-1" }, titles[page]));
  document.title = `${titles[page]} · CCAPI console`;
  cleanup = pages[page].render(view, rest.map(decodeURIComponent)) ?? null;
  view.querySelector("h1").focus({ preventScroll: true });
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("admin-key");
  const key = input.value.trim();
  const error = $("sign-in-error");
  if (!key) {
    error.hidden = false;
    error.textContent = "Enter the admin key.";
    return;
  }
  const button = event.submitter ?? event.target.querySelector("button");
  button.disabled = true;
  try {
    await checkAdminKey(key);
    session.adminKey = key;
    input.value = "";
    if (!location.hash || location.hash === "#/") history.replaceState(null, "", "#/overview");
    route();
  } catch (e) {
    error.hidden = false;
    error.textContent = e.status === 401
      ? "That admin key was refused (401). Copy it again from ./run.sh's output or from Auth__AdminApiKey."
      : e.status === 404
        ? "The admin API is off on this platform (404): set Auth__AdminApiKey (32+ characters) and restart the gateway."
        : e.describe?.() ?? String(e);
  } finally {
    button.disabled = false;
  }
});

$("sign-out").addEventListener("click", () => {
  session.clear();
  history.replaceState(null, "", "#/");
  showSignIn();
});

setUnauthorizedHandler(() => {
  session.clear();
  showSignIn("The admin key is no longer accepted (401). Sign in again with the current key.");
});

window.addEventListener("hashchange", route);
route();
