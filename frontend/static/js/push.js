// Web Push on this device: ask for permission, subscribe with the server's VAPID key and send
// the subscription to the server; or unsubscribe. Shown only where the browser has PushManager;
// elsewhere the page still works (the inbox and e-mail need no JavaScript).

// The CSRF token Litestar checks: its cookie (pages carry no per-visitor token, core/page_cache.py).
const csrfToken = () => document.cookie.match(/(?:^|;\s*)iph_csrf=([^;]+)/)?.[1];
const box = document.querySelector("[data-push-device]");
const supported = "serviceWorker" in navigator && "PushManager" in window
  && "Notification" in window;

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  return response.ok;
}

// applicationServerKey: the base64url public key the page carries, as bytes.
function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

// The sentences come translated in the page's data-said-* attributes.
const said = {
  on: box?.dataset.saidOn,
  off: box?.dataset.saidOff,
  blocked: box?.dataset.saidBlocked,
  failed: box?.dataset.saidFailed,
};

function show(state, subscribed) {
  box.querySelector("[data-push-off]").hidden = !subscribed;
  box.querySelector("[data-push-message]").textContent = said[state] || "";
}

// Gives back this browser's subscription if it has one for the same server key already.
async function subscribe(registration) {
  const options = { userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.serverKey) };
  try {
    return await registration.pushManager.subscribe(options);
  } catch (error) {
    // One made with another server key (the key was replaced) has to go first.
    const old = await registration.pushManager.getSubscription();
    if (!old) throw error;
    await old.unsubscribe();
    return registration.pushManager.subscribe(options);
  }
}

async function turnOn() {
  // Asked only after the person pressed the button, never on page load.
  if ((await Notification.requestPermission()) !== "granted") return show("blocked", false);
  const subscription = await subscribe(await navigator.serviceWorker.ready);
  if (await postJSON("/account/push-subscriptions", subscription.toJSON())) {
    return show("on", true);
  }
  await subscription.unsubscribe(); // the server refused it: leave nothing half set up
  return show("failed", false);
}

async function turnOff() {
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription();
  if (subscription) {
    await postJSON("/account/push-subscriptions/remove", { endpoint: subscription.endpoint });
    await subscription.unsubscribe();
  }
  show("off", false);
}

async function setUp() {
  box.hidden = false;
  box.querySelector("[data-push-on]").addEventListener("click", () => {
    turnOn().catch(() => show("failed", false));
  });
  box.querySelector("[data-push-off]").addEventListener("click", () => {
    turnOff().catch(() => show("failed", false));
  });
  if (Notification.permission === "denied") return show("blocked", false);
  // Nothing is sent on page load: a subscription this browser already has may belong to
  // someone else who used it, and only pressing "Allow" gives this person's consent.
  const registration = await navigator.serviceWorker.ready;
  return show("", Boolean(await registration.pushManager.getSubscription()));
}

if (box && supported) setUp().catch(() => {});
