// IP Handheld: the little JavaScript the shell needs. Every page also works without it.

// CSRF: Litestar checks the x-csrftoken header on every state-changing request. htmx 4 does
// not inherit attributes, so the header is added here for every non-GET htmx request.
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content;
document.addEventListener("htmx:config:request", (event) => {
  const request = event.detail.ctx.request;
  if (csrfToken && !/^(GET|HEAD|OPTIONS)$/i.test(request.method)) {
    request.headers["X-CSRFToken"] = csrfToken;
  }
});

// The language switch submits as soon as a language is chosen; its button stays for no-JS.
const languageSelect = document.getElementById("app-lang-select");
if (languageSelect) {
  languageSelect.form.querySelector(".app-lang__submit")?.classList.add("app-visually-hidden");
  languageSelect.addEventListener("change", () => languageSelect.form.requestSubmit());
}

// Service worker: register it, and offer (never force) a new version when one is waiting.
async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const banner = document.getElementById("app-update");
  const offerUpdate = (worker) => {
    if (!banner || !navigator.serviceWorker.controller) return; // first install: nothing to update
    banner.hidden = false;
    document.getElementById("app-update-reload").addEventListener("click", () => {
      worker.postMessage({ type: "SKIP_WAITING" });
    }, { once: true });
  };
  if (registration.waiting) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    installing?.addEventListener("statechange", () => {
      if (installing.state === "installed") offerUpdate(installing);
    });
  });
  // Reload once the new worker has taken over (after the person chose "Reload").
  let reloading = !navigator.serviceWorker.controller; // first install: claim() must not reload
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloading) return;
    reloading = true;
    window.location.reload();
  });
}
registerServiceWorker().catch((error) => console.warn("service worker not registered", error));
