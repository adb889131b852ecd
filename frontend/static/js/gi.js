// GI offline (docs/decisions/geo-indications.md "Offline region packs"): "Save this province for
// offline" on a province's /gi page, the "offline copy" note on the saved pages, and on /saved
// the saved provinces with their size, a remove button each and the search over their indexes.
// A province lives in a cache of its own (iph-gi-<code>), not named by the shell version, so app
// updates keep it; pwa/sw.js serves what it holds as it serves guides (stale-while-revalidate).
// The sentences come translated in the page's data-* attributes, as in guides.js.

const PACK_PREFIX = "iph-gi-"; // pwa/sw.js's GI_PACK
const lang = document.documentElement.lang;

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (match, key) => `${values[key] ?? match}`);
const formatDate = (iso) => new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(iso));

function formatBytes(bytes) {
  const [value, unit] = bytes >= 1e6 ? [bytes / 1e6, "megabyte"] : [Math.ceil(bytes / 1e3), "kilobyte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
}

const packUrl = (code) => `/gi/packs/${code}.json`;
const isPage = (url) => /^\/gi(\/\d+|\?.+)$/.test(url); // a list or record page, not /gi itself

function ask(worker, message) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    worker.postMessage(message, [channel.port2]);
  });
}

// The saved provinces: [{cache, name, pack}] with the pack JSON kept in each.
async function savedPacks() {
  if (!("caches" in window)) return [];
  const found = [];
  for (const name of (await caches.keys()).filter((key) => key.startsWith(PACK_PREFIX))) {
    const cache = await caches.open(name);
    const kept = await cache.match(packUrl(name.slice(PACK_PREFIX.length)));
    if (kept) found.push({ cache, name, pack: await kept.json(), savedAt: kept.headers.get("Date") });
  }
  return found;
}

// --- A saved page shown for want of a network: "Offline copy of <date>".

async function showOfflineNote(note) {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return;
  const path = location.pathname + location.search;
  if (!(await ask(worker, { type: "GUIDE_OFFLINE", path }))) return;
  const kept = await caches.match(path);
  const date = kept?.headers.get("Date");
  note.textContent = fill(note.dataset.text, { date: date ? formatDate(date) : "" });
  note.hidden = false;
}

// --- "Save this province for offline": the size first, then a progress bar, then a message.

function setUpSave(panel) {
  const part = (name) => panel.querySelector(`[data-offline-${name}]`);
  const [sizeButton, confirm, progressBox, message] = ["size", "confirm", "progress", "message"].map(part);
  const progress = progressBox.querySelector("progress");
  const say = (text) => Object.assign(message, { textContent: text, hidden: false });
  const code = panel.dataset.province;
  let pack = null;
  // Already saved: say so (caches.match with a cacheName does not make an empty cache).
  caches.match(packUrl(code), { cacheName: PACK_PREFIX + code }).then((kept) => {
    if (kept) say(fill(panel.dataset.keptText, { date: formatDate(kept.headers.get("Date") || Date.now()) }));
  });

  sizeButton.addEventListener("click", async () => {
    message.hidden = true;
    try {
      pack = await (await fetch(packUrl(code), { cache: "no-cache" })).json();
    } catch (error) {
      say(panel.dataset.failedText);
      return;
    }
    part("size-text").textContent = fill(panel.dataset.sizeText, {
      count: pack.pages.length, size: formatBytes(pack.total_bytes),
    });
    sizeButton.hidden = true;
    confirm.hidden = false;
    part("download").focus();
  });

  part("cancel").addEventListener("click", () => {
    confirm.hidden = true;
    sizeButton.hidden = false;
    sizeButton.focus();
  });

  part("download").addEventListener("click", async () => {
    confirm.hidden = true;
    progressBox.hidden = false;
    const count = pack.pages.length;
    const bytes = new Map(pack.pages.map((page) => [page.url, page.bytes]));
    let done = 0;
    progress.max = pack.total_bytes;
    progress.value = 0;
    const show = () => { part("progress-text").textContent = fill(panel.dataset.progressText, { done, count }); };
    show();
    const cache = await caches.open(PACK_PREFIX + code);
    const queue = [...pack.pages.map((page) => page.url), "/gi", "/saved", packUrl(code)];
    const download = async () => {
      for (let url = queue.shift(); url; url = queue.shift()) {
        const response = await fetch(url, { cache: "no-cache" });
        if (response.ok) await cache.put(url, response);
        else if (response.status !== 404) throw new Error(`${url}: ${response.status}`);
        progress.value += bytes.get(url) || 0;
        done += isPage(url) ? 1 : 0;
        show();
      }
    };
    try {
      await Promise.all([download(), download(), download()]); // three at a time
      progress.value = progress.max;
      say(fill(panel.dataset.savedText, { count }));
    } catch (error) {
      queue.length = 0;
      await caches.delete(PACK_PREFIX + code); // half a province is not kept
      say(panel.dataset.failedText);
    }
    sizeButton.hidden = false;
  });
}

// --- /saved: each saved province with its pages and the space it takes, and a remove button.

async function listSaved(list) {
  const packs = await savedPacks();
  if (!packs.length) return;
  const items = [];
  for (const { cache, name, pack, savedAt } of packs) {
    const keys = (await cache.keys()).map((request) => new URL(request.url));
    let size = 0;
    for (const request of await cache.keys()) size += (await (await cache.match(request)).blob()).size;
    const pages = keys.filter((url) => isPage(url.pathname + url.search)).length;
    const item = document.createElement("li");
    item.className = "app-list__item";
    item.append(Object.assign(document.createElement("strong"), { textContent: pack.province }));
    const facts = Object.assign(document.createElement("span"), { className: "app-hint" });
    facts.textContent = fill(list.dataset.packText, {
      pages, size: formatBytes(size), date: savedAt ? formatDate(savedAt) : "",
    });
    const remove = Object.assign(document.createElement("button"), {
      type: "button", className: "app-button app-button--secondary app-button--small",
      textContent: fill(list.dataset.removeText, { province: pack.province }),
    });
    remove.addEventListener("click", async () => {
      await caches.delete(name);
      item.replaceChildren(fill(list.dataset.removedText, { province: pack.province }));
    });
    item.append(facts, remove);
    items.push(item);
  }
  list.replaceChildren(...items);
}

// --- Offline search over the saved provinces' indexes (backend/geo_indications/pinyin.py, its
// simplest part): characters anywhere in the name, pinyin from any syllable's start (typed so
// far), initials anywhere; spaces, tones and apostrophes ignored.

const fold = (text) => text.normalize("NFKC").toLowerCase().normalize("NFD")
  .replace(/\p{M}/gu, "").replace(/v/g, "u").replace(/[^\p{L}\p{N}]/gu, "");

function found(product, query) {
  if (fold(product.name).includes(query)) return true;
  if (!/^[a-z]+$/.test(query)) return false;
  return product.initials.some((initials) => initials.includes(query))
    || product.readings.some((reading) => {
      const syllables = reading.split(" ");
      return syllables.some((syllable, i) => syllables.slice(i).join("").startsWith(query));
    });
}

function setUpSearch(form, section) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = form.elements.q.value.trim();
    const query = fold(typed);
    const products = query
      ? (await savedPacks()).flatMap(({ pack }) => pack.products).filter((p) => found(p, query)) : [];
    const heading = Object.assign(document.createElement("h2"), { className: "app-heading-m" });
    const text = products.length ? section.dataset.offlineFound : section.dataset.offlineNone;
    heading.textContent = fill(text, { query: typed, count: products.length });
    const list = Object.assign(document.createElement("ul"), { className: "app-list" });
    for (const product of products) {
      const item = Object.assign(document.createElement("li"), { className: "app-list__item" });
      const link = Object.assign(document.createElement("a"), { href: product.url });
      link.append(Object.assign(document.createElement("strong"), { textContent: product.name }));
      item.append(link, Object.assign(document.createElement("span"), {
        className: "app-hint", lang: "zh-Latn-pinyin", textContent: product.readings[0] || "",
      }));
      list.append(item);
    }
    section.replaceChildren(heading, ...(products.length ? [list] : []));
  });
}

const warn = (what) => (error) => console.warn(what, error);
const canKeep = "serviceWorker" in navigator && "caches" in window;
const note = document.querySelector("[data-offline-note]");
if (note && canKeep) showOfflineNote(note).catch(warn("offline note"));
const panel = document.querySelector("[data-gi-save]");
if (panel) {
  if (canKeep) setUpSave(panel);
  else panel.hidden = true;
}
const saved = document.querySelector("[data-saved-packs]");
if (saved && canKeep) listSaved(saved).catch(warn("saved packs"));
const searchForm = document.querySelector("[data-saved-search]");
const results = document.getElementById("saved-results");
if (searchForm && results && canKeep) setUpSearch(searchForm, results);
