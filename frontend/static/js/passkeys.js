// Passkeys: sign in (button and autofill) and create. Shown only where the browser can do it;
// without it the page offers the e-mail code and recovery code forms instead.

// The CSRF token Litestar checks: its cookie (pages carry no per-visitor token, core/page_cache.py).
const csrfToken = () => document.cookie.match(/(?:^|;\s*)iph_csrf=([^;]+)/)?.[1];
const supported = window.PublicKeyCredential
  && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function"
  && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body ?? {}),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, data };
}

function show(box, text) {
  const message = box.querySelector("[data-passkey-message]");
  if (message) message.textContent = text;
}

async function signIn(box, mediation, signal) {
  const { ok: started, data: options } = await postJSON("/auth/passkeys/sign-in/options");
  // Refused (the service is temporarily unavailable, too many requests): say why.
  if (!started) return show(box, options.detail || "");
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey),
    mediation,
    signal,
  });
  const { ok, data } = await postJSON("/auth/passkeys/sign-in", {
    ceremony: options.ceremony,
    credential: credential.toJSON(),
    next: box.dataset.next || "/account",
  });
  if (ok) window.location.assign(data.redirect);
  else show(box, data.message || data.detail || "");
}

async function setUpSignIn(box) {
  box.hidden = false;
  let autofill = null;
  // Passkey autofill (conditional mediation) in the e-mail field, where the browser offers it.
  if (await PublicKeyCredential.isConditionalMediationAvailable?.()) {
    autofill = new AbortController();
    signIn(box, "conditional", autofill.signal).catch(() => {});
  }
  box.querySelector("[data-passkey-button]").addEventListener("click", () => {
    autofill?.abort();
    autofill = null;
    show(box, "");
    signIn(box, "optional").catch((error) => show(box, error.message));
  });
}

async function register(box) {
  const { data: options } = await postJSON(box.dataset.optionsUrl);
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey),
  });
  const { ok, data } = await postJSON(box.dataset.finishUrl, {
    ceremony: options.ceremony,
    credential: credential.toJSON(),
  });
  if (ok) window.location.assign(data.redirect);
  else show(box, data.message || "");
}

if (supported) {
  const signInBox = document.querySelector("[data-passkey-sign-in]");
  if (signInBox) setUpSignIn(signInBox);
  const registerBox = document.querySelector("[data-passkey-register]");
  if (registerBox) {
    registerBox.hidden = false;
    registerBox.querySelector("[data-passkey-button]").addEventListener("click", () => {
      show(registerBox, "");
      register(registerBox).catch((error) => show(registerBox, error.message));
    });
  }
}
