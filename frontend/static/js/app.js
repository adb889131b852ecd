// IP Handheld: the little JavaScript the shell needs. Every page also works without it.

// CSRF: Litestar checks the x-csrftoken header on every state-changing request against its
// cookie, which pages do not repeat (they are cached for everyone, core/page_cache.py). htmx 4
// does not inherit attributes, so the header is added here for every non-GET htmx request.
const csrfToken = () => document.cookie.match(/(?:^|;\s*)iph_csrf=([^;]+)/)?.[1];
document.addEventListener("htmx:config:request", (event) => {
  const request = event.detail.ctx.request;
  const token = csrfToken();
  if (token && !/^(GET|HEAD|OPTIONS)$/i.test(request.method)) {
    request.headers["X-CSRFToken"] = token;
  }
});

// The language switch submits as soon as a language is chosen; its button, hidden by app.css
// when scripts run, is for screen readers and for browsers without scripts.
const languageSelect = document.getElementById("app-lang-select");
if (languageSelect) {
  // Browsers that do not know `scripting` in media queries (before Chrome 120, Safari 17) hide
  // the button here instead, once the script has run.
  if (!matchMedia("(scripting: enabled)").matches) {
    languageSelect.form.querySelector(".app-lang__submit")?.classList.add("app-visually-hidden");
  }
  languageSelect.addEventListener("change", () => languageSelect.form.requestSubmit());
}

// Service worker: register it, and offer (never force) a new version when one is waiting.
async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const banner = document.getElementById("app-update");
  let reloadChosen = false;
  const offerUpdate = () => {
    if (banner && navigator.serviceWorker.controller) banner.hidden = false; // not on first install
  };
  document.getElementById("app-update-reload")?.addEventListener("click", () => {
    if (registration.waiting) {
      reloadChosen = true;
      registration.waiting.postMessage({ type: "SKIP_WAITING" });
    } else {
      window.location.reload(); // another tab already activated the new version
    }
  });
  if (registration.waiting) offerUpdate();
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    installing?.addEventListener("statechange", () => {
      if (installing.state === "installed") offerUpdate();
    });
  });
  // Only the tab where the person chose "Reload" reloads; other tabs keep the banner.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadChosen) window.location.reload();
  });
  // The offline page is kept in the language of the page the person is reading.
  const ready = await navigator.serviceWorker.ready;
  ready.active?.postMessage({ type: "OFFLINE_LANG", lang: document.documentElement.lang });
}
registerServiceWorker().catch((error) => console.warn("service worker not registered", error));

// An error summary takes focus when it appears, so screen readers announce it first.
document.querySelector("[data-autofocus]")?.focus();

// Signing out on a shared phone: drop this person's cached pages and this device's push
// subscription (the server forgets it when the push service next answers 410).
for (const form of document.querySelectorAll('form[action="/signout"], form[action="/account/sign-out-everywhere"]')) {
  form.addEventListener("submit", () => {
    navigator.serviceWorker?.controller?.postMessage({ type: "CLEAR_PERSONAL" });
    navigator.serviceWorker?.ready
      .then((registration) => registration.pushManager?.getSubscription())
      .then((subscription) => subscription?.unsubscribe())
      .catch(() => {});
  });
}

// A rating kept on this phone while offline goes out from whichever page is opened next, not
// only from the rating page (reviews.js, loaded only when such a rating may be waiting).
const reviewsScript = document.querySelector('meta[name="iph-reviews-script"]')?.content;
if (reviewsScript && window.indexedDB?.databases) {
  indexedDB.databases()
    .then((all) => all.some((db) => db.name === "iph-reviews") && import(reviewsScript))
    .catch(() => {});
}
