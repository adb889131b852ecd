// Filing a matter: the little the steps need beyond plain forms, all optional.
// - the error summary takes focus after an htmx swap, as it does on a page load (app.js);
// - a question shown only for some choices is hidden until one of them is chosen;
// - with no connection, a screen's answers (and the final send, with its idempotency key) are
//   kept on this phone in IndexedDB and sent when the connection returns: on `online`, on the
//   next page load, when the page is shown again, or from the "Send now" button (SECURITY.md
//   gotcha 7: Background Sync is Chromium's only). The server takes each send once. Each item
//   keeps the account it was made under and goes only while that account is signed in: sent
//   under another person anyway (a page still showing the first), the server refuses it (409,
//   X-Matter-Refused) and it stays here for its maker. It is dropped on any other answer; a
//   network failure or a trip to the sign-in page keeps it until the person signs in again.

const DB_NAME = "iph-matters";
const STORE = "outbox";
const notice = () => document.getElementById("matter-offline");
const csrfToken = () => document.cookie.match(/(?:^|;\s*)iph_csrf=([^;]+)/)?.[1] ?? "";
const text = (key) => document.documentElement.lang.startsWith("en") ? ENGLISH[key] : CHINESE[key];
const ENGLISH = {
  saved: "Saved on this phone, will be sent when you are back online.",
  sendNow: "Send now",
  sending: "Sending…",
  sent: "Sent.",
  refused: "Something kept on this phone could not be sent: open the matter and check it.",
  others: "Something someone else filled in on this phone is kept for them.",
};
const CHINESE = {
  saved: "已保存在本机，联网后会自动发送。",
  sendNow: "立即发送",
  sending: "正在发送……",
  sent: "已发送。",
  refused: "本机保存的内容未能发送：请打开该事项查看。",
  others: "本机保存着其他人填写的内容，将在其登录后发送。",
};
// Who is signed in: the pages that load this file say it (they are all signed-in pages).
const signedIn = () => document.querySelector("script[data-matter-account]")?.dataset.matterAccount ?? null;

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const result = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(result.result ?? result);
    transaction.onerror = () => reject(transaction.error);
  });
}

const queued = () => withStore("readonly", (store) => store.getAll());
const forget = (id) => withStore("readwrite", (store) => store.delete(id));

function say(message, offerSend) {
  const box = notice();
  if (!box) return;
  box.hidden = false;
  box.textContent = message;
  if (offerSend) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "app-button app-button--secondary";
    button.textContent = text("sendNow");
    button.addEventListener("click", () => sendQueued());
    box.append(" ", button);
  }
}

async function keep(form) {
  // A screen's fields as they stand; files are kept as Blobs (IndexedDB holds them).
  const fields = [];
  for (const [name, value] of new FormData(form)) {
    if (value instanceof File) {
      if (value.size) fields.push([name, { name: value.name, blob: value }]);
    } else if (name !== "_csrf_token") {
      fields.push([name, value]);
    }
  }
  const item = { action: form.getAttribute("action"), reference: form.dataset.matterForm, account: signedIn(), fields, at: Date.now() };
  await withStore("readwrite", (store) => store.add(item));
  say(text("saved"), true);
}

let sending = false;
async function sendQueued() {
  if (sending || !navigator.onLine) return;
  sending = true;
  try {
    const items = await queued();
    const now = signedIn();
    const mine = items.filter((item) => (item.account ?? now) === now);
    if (items.length > mine.length) say(text("others"), false);
    if (!mine.length) return;
    say(text("sending"), false);
    for (const item of mine) {
      const body = new FormData();
      for (const [name, value] of item.fields) {
        if (value && value.blob) body.append(name, value.blob, value.name);
        else body.append(name, value);
      }
      body.append("_csrf_token", csrfToken());
      if (item.account) body.append("for_account", item.account);
      let response;
      try {
        response = await fetch(item.action, { method: "POST", body, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" });
      } catch {
        say(text("saved"), true); // still no way through: kept
        return;
      }
      if (new URL(response.url).pathname === "/signin") {
        say(text("saved"), true); // signed out: kept until they sign in again
        return;
      }
      if (response.status === 409 && response.headers.get("X-Matter-Refused") === "other-person") {
        say(text("others"), false); // another person is signed in now: kept for its maker
        continue;
      }
      await forget(item.id);
      if (!response.ok) {
        say(text("refused"), false);
        continue;
      }
      say(text("sent"), false);
      if (document.querySelector(`form[data-matter-form="${item.reference}"]`)) {
        window.location.assign(response.url); // the next screen, or the matter once sent
        return;
      }
    }
  } finally {
    sending = false;
  }
}

// Offline: the form is kept here instead of sent (capture phase: before htmx sees the submit).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.matterForm || navigator.onLine) return;
  event.preventDefault();
  event.stopPropagation();
  keep(form).catch((error) => console.warn("not kept", error));
}, true);

// Questions asked only for some answers of a choice on the same screen.
function showConditional(root = document) {
  for (const field of root.querySelectorAll("[data-only-if]")) {
    const form = field.closest("form");
    const choice = form?.querySelector(`input[name="${field.dataset.onlyIf}"]:checked`);
    const wanted = field.dataset.onlyIfValues.split(" ");
    const inForm = form?.querySelector(`input[name="${field.dataset.onlyIf}"]`);
    field.hidden = Boolean(inForm) && !(choice && wanted.includes(choice.value));
  }
}
document.addEventListener("change", (event) => {
  if (event.target.matches?.("input[type=radio]")) showConditional();
});

document.addEventListener("htmx:after:settle", () => {
  showConditional();
  document.querySelector("#matter-step [data-autofocus]")?.focus();
});

window.addEventListener("online", () => sendQueued());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") sendQueued();
});
showConditional();
if (window.indexedDB) {
  queued().then((items) => {
    if (!items.length) return;
    if (navigator.onLine) sendQueued();
    else say(text("saved"), true);
  }).catch(() => {});
}
