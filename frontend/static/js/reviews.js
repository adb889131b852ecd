// Rating a service with no signal: the rating is kept on this phone (IndexedDB) with its
// idempotency key and the account it was made under, and sent when the connection returns — on
// `online`, on the next page load, when the page is shown again, or from "Send now" (SECURITY.md
// gotcha 7: Background Sync is Chromium's only). The server stores each key once and answers a
// repeat with the first result, so sending again after a lost answer stores nothing twice.
// Only the server's final word drops a rating (sent; or refused: rated already, expired, not
// valid); a busy server (429, 5xx) or a trip to the sign-in page keeps it for another try.
// A rating is only ever sent while the same account (or, for an anonymous desk rating, nobody
// in particular) is signed in: after someone else signs in on this phone it stays here, kept for
// the first person, and the server refuses it too (409). The form still works without this file.

const DB_NAME = "iph-reviews";
const STORE = "outbox";
const csrfToken = () => document.cookie.match(/(?:^|;\s*)iph_csrf=([^;]+)/)?.[1] ?? "";
const english = () => document.documentElement.lang.startsWith("en");
const WORDS = {
  saved: ["Saved on this phone, will be sent when you are back online.", "已保存在本机，联网后会自动发送。"],
  busy: ["Not sent yet: the service is busy. Your rating is kept on this phone and sent later.", "暂未发送：服务繁忙。评价已保存在本机，稍后会自动发送。"],
  sendNow: ["Send now", "立即发送"],
  sending: ["Sending…", "正在发送……"],
  sent: ["Your rating is sent.", "评价已发送。"],
  others: ["A rating someone else made on this phone is kept for them.", "本机保存着其他人的评价，将在其登录后发送。"],
  refused: ["A rating kept on this phone could not be sent (the service was rated already, or the code has expired).", "本机保存的评价未能发送（该服务已评价过，或评价码已过期）。"],
};
const text = (key) => WORDS[key][english() ? 0 : 1];
// Who is signed in now ("" for nobody): the rating form says it; elsewhere the server is asked.
async function currentAccount() {
  const form = document.querySelector("[data-review-form]");
  if (form) return form.dataset.account;
  try {
    const response = await fetch("/reviews/session", { credentials: "same-origin" });
    return response.ok ? (await response.json()).account : null;
  } catch {
    return null;
  }
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
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
const forget = (key) => withStore("readwrite", (store) => store.delete(key));

function say(message, offerSend) {
  const box = document.getElementById("review-offline");
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
  const fields = [...new FormData(form)].filter(([name]) => name !== "_csrf_token");
  const key = fields.find(([name]) => name === "idempotency_key")?.[1];
  const account = fields.find(([name]) => name === "for_account")?.[1] ?? "";
  const item = { key, account, action: form.getAttribute("action"), fields, at: Date.now() };
  await withStore("readwrite", (store) => store.put(item)); // a second tap keeps one
  say(text("saved"), true);
}

// A rating goes only under the account it was made under ("" = made signed out, anonymous).
const mayGo = (item, now) => now !== null && item.account === now;

let sending = false;
async function sendQueued() {
  if (sending || !navigator.onLine || !window.indexedDB) return;
  sending = true;
  try {
    const items = await queued();
    if (!items.length) {
      indexedDB.deleteDatabase(DB_NAME); // nothing waiting: other pages stop loading this file
      return;
    }
    const now = await currentAccount();
    const mine = items.filter((item) => mayGo(item, now));
    if (items.length > mine.length) say(text("others"), false);
    if (!mine.length) return;
    say(text("sending"), false);
    for (const item of mine) {
      const body = new URLSearchParams(item.fields);
      body.append("_csrf_token", csrfToken());
      let response;
      try {
        response = await fetch(item.action, {
          method: "POST", body, headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin",
        });
      } catch {
        say(text("saved"), true); // still no way through: kept
        return;
      }
      if (new URL(response.url).pathname === "/signin" || response.status === 409 && response.headers.get("X-Review-Refused") === "other-person") {
        say(text("saved"), true); // not this person's to send now: kept
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        say(text("busy"), true); // the server could not take it now (not a no): kept, try later
        return;
      }
      await forget(item.key);
      if (!response.ok) {
        say(text("refused"), false);
        continue;
      }
      say(text("sent"), false);
      if (document.querySelector("[data-review-form]")) {
        window.location.assign(response.url);
        return;
      }
    }
  } finally {
    sending = false;
  }
}

// Offline: the rating is kept here instead of sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !("reviewForm" in form.dataset) || navigator.onLine) return;
  event.preventDefault();
  keep(form).catch((error) => console.warn("not kept", error));
}, true);

// The tags that fit the level: praise for good, complaints for bad, both for "basically".
function showFittingTags() {
  const level = Number(document.querySelector("input[name=level]:checked")?.value ?? 0);
  for (const group of document.querySelectorAll("[data-tags]")) {
    const fits = !level || level === 3 || (group.dataset.tags === "praise") === (level >= 4);
    group.hidden = !fits;
    if (!fits) for (const box of group.querySelectorAll("input")) box.checked = false;
  }
}
document.addEventListener("change", (event) => {
  if (event.target.matches?.("input[name=level]")) showFittingTags();
});
showFittingTags();

window.addEventListener("online", () => sendQueued());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") sendQueued();
});
if (window.indexedDB) {
  queued().then((items) => {
    if (!items.length) return;
    if (navigator.onLine) sendQueued();
    else say(text("saved"), true);
  }).catch(() => {});
}
