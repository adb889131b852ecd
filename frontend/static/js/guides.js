// Guides offline: the "offline copy" and "newer version" notes on a guide, "Save all guides for
// offline" and the offline search on /guides, and the list on /guides/saved. Copies live in the
// cache named below: the service worker (pwa/sw.js) keeps the guides opened, this script the
// search index and what "Save all" downloads. A copy's date is its HTTP Date header, the moment
// the server sent it. Without a service worker the pages still work and nothing is kept. Every
// sentence comes translated in the page's data-* attributes.

const GUIDES_CACHE = "iph-guides"; // pwa/sw.js's GUIDES_CACHE
const GUIDE_PATH = /^\/guides\/(?!saved$)[a-z0-9-]+$/;
const SEARCH_INDEX = "/guides/search-index.json";
const lang = document.documentElement.lang;

// "{name}" in a translated sentence → the value.
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (match, key) => `${values[key] ?? match}`);
const formatDate = (iso) => new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(new Date(iso));

function formatBytes(bytes) {
  const [value, unit] = bytes >= 1e6 ? [bytes / 1e6, "megabyte"] : [Math.ceil(bytes / 1e3), "kilobyte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
}

// A question to the service worker, answered on a port of its own.
function ask(worker, message) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    worker.postMessage(message, [channel.port2]);
  });
}

// The guides cache, or null where there is none yet (never created from here).
async function keptGuides() {
  if (!("caches" in window) || !(await caches.has(GUIDES_CACHE))) return null;
  return caches.open(GUIDES_CACHE);
}

const versionOf = async (response) =>
  Number(/data-guide-version="(\d+)"/.exec(await response.clone().text())?.[1] || 0);

// Fetch `url` into the cache; a guide withdrawn meanwhile (404) is skipped.
async function keep(cache, url) {
  const response = await fetch(url, { cache: "no-cache" });
  if (response.ok) await cache.put(url, response);
  else if (response.status !== 404) throw new Error(`${url}: ${response.status}`);
}

// The search index lists every guide of a language: fetched again when it lacks this one.
async function keepIndexCovering(cache, path, version) {
  const index = await (await cache.match(SEARCH_INDEX))?.json();
  const covered = index?.lang === lang
    && index.guides.some((guide) => guide.url === path && guide.version >= version);
  if (!covered) await keep(cache, SEARCH_INDEX);
}

// --- A guide: served from the kept copy while offline, or a newer version came in behind it.

async function showGuideStatus(article) {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return; // not served by the worker: straight from the server
  const offline = await ask(worker, { type: "GUIDE_OFFLINE", path: location.pathname });
  const cache = await keptGuides();
  const kept = await cache?.match(location.pathname);
  if (!kept) return;
  if (offline) {
    const note = article.querySelector("[data-offline-note]");
    const date = kept.headers.get("Date");
    note.textContent = fill(note.dataset.text, { date: date ? formatDate(date) : "" });
    note.hidden = false;
    return;
  }
  // The worker showed the kept copy, then kept a newer one (or one in the language now read).
  const version = await versionOf(kept);
  if (kept.headers.get("Content-Language") !== lang
      || version > Number(article.dataset.guideVersion)) {
    const notice = article.querySelector("[data-newer-notice]");
    notice.querySelector("[data-newer-refresh]").addEventListener("click", () => location.reload());
    notice.hidden = false;
  } else {
    await keepIndexCovering(cache, location.pathname, version);
  }
}

// --- Offline search over the saved guides (backend/guides/search.py cuts text the same way:
// NFKC, lower case, Han runs into bigrams (a lone character stays one), other runs into words).

const HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
const TOKEN_RUN = new RegExp(`[${HAN}]+|[a-z0-9]+`, "g");
const IS_HAN = new RegExp(`^[${HAN}]`);

function tokens(text) {
  const found = [];
  for (const run of text.normalize("NFKC").toLowerCase().match(TOKEN_RUN) || []) {
    if (!IS_HAN.test(run) || run.length === 1) found.push(run);
    else for (let i = 0; i < run.length - 1; i += 1) found.push(run.slice(i, i + 2));
  }
  return found;
}

// A query token is in a guide when: a bigram is one of its terms, a lone Han character is in
// any of them, a word begins one of them (so "renew" finds "renewal").
function holds(guide, token) {
  if (IS_HAN.test(token)) return token.length === 1 ? guide.terms.includes(token) : guide.set.has(token);
  return guide.words.some((word) => word.startsWith(token));
}

async function searchSaved(query) {
  const cache = await keptGuides();
  const index = cache && await (await cache.match(SEARCH_INDEX))?.json();
  const kept = new Set((cache ? await cache.keys() : []).map((request) => new URL(request.url).pathname));
  const wanted = [...new Set(tokens(query))];
  const found = [];
  for (const guide of index?.guides || []) {
    if (!kept.has(guide.url) || !wanted.length) continue;
    const terms = guide.terms.split(" ");
    const prepared = { terms: guide.terms, set: new Set(terms), words: terms.filter((t) => !IS_HAN.test(t)) };
    if (!wanted.every((token) => holds(prepared, token))) continue;
    const title = tokens(guide.title);
    found.push({ guide, inTitle: wanted.filter((token) => title.some((t) => t.includes(token))).length });
  }
  found.sort((a, b) => b.inTitle - a.inTitle); // stable: otherwise the index's order (newest first)
  return found.map(({ guide }) => guide);
}

function showResults(section, query, guides) {
  const heading = document.createElement("h2");
  heading.className = "app-heading-m";
  const text = guides.length ? section.dataset.offlineFound : section.dataset.offlineNone;
  heading.textContent = fill(text, { query, count: guides.length });
  const list = document.createElement("ul");
  list.className = "app-list";
  for (const guide of guides) {
    const item = document.createElement("li");
    item.className = "app-list__item";
    const link = document.createElement("a");
    link.href = guide.url;
    link.append(Object.assign(document.createElement("strong"), { textContent: guide.title }));
    item.append(link, Object.assign(document.createElement("span"), { textContent: guide.summary }));
    list.append(item);
  }
  section.replaceChildren(heading, ...(guides.length ? [list] : []));
}

function setUpSearch(form, section) {
  const run = async (query) => showResults(section, query, await searchSaved(query));
  // Offline, the worker answers /guides?q=… with the kept /guides, made without the query.
  const query = (new URLSearchParams(location.search).get("q") || "").trim().slice(0, 200);
  if (query && section.dataset.query !== query) {
    form.elements.q.value = query;
    run(query).catch((error) => console.warn("offline search failed", error));
  }
  form.addEventListener("submit", (event) => {
    if (navigator.onLine) return; // online the server searches every guide
    event.preventDefault();
    const typed = form.elements.q.value.trim();
    history.replaceState(null, "", `/guides?q=${encodeURIComponent(typed)}`);
    run(typed).catch((error) => console.warn("offline search failed", error));
  });
}

// --- "Save all guides for offline": the size first, then a progress bar, then a message.

function setUpSaveAll(panel) {
  const part = (name) => panel.querySelector(`[data-offline-${name}]`);
  const [sizeButton, confirm, progressBox, message] = ["size", "confirm", "progress", "message"].map(part);
  const progress = progressBox.querySelector("progress");
  const say = (text) => Object.assign(message, { textContent: text, hidden: false });
  let pack = null;

  sizeButton.addEventListener("click", async () => {
    message.hidden = true;
    try {
      const response = await fetch("/guides/offline-pack.json", { cache: "no-cache" });
      pack = await response.json();
    } catch (error) {
      say(panel.dataset.failedText);
      return;
    }
    part("size-text").textContent = fill(panel.dataset.sizeText, {
      count: pack.guides.length, size: formatBytes(pack.total_bytes),
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
    const bytes = new Map([[pack.index.url, pack.index.bytes], ...pack.guides.map((g) => [g.url, g.bytes])]);
    const count = pack.guides.length;
    let done = 0;
    progress.max = pack.total_bytes;
    progress.value = 0;
    const showProgress = () => {
      part("progress-text").textContent = fill(panel.dataset.progressText, { done, count });
    };
    showProgress();
    const cache = await caches.open(GUIDES_CACHE);
    const queue = [pack.index.url, ...pack.guides.map((guide) => guide.url), "/guides", "/guides/saved"];
    const download = async () => {
      for (let url = queue.shift(); url; url = queue.shift()) {
        await keep(cache, url);
        progress.value += bytes.get(url) || 0;
        done += GUIDE_PATH.test(url) ? 1 : 0;
        showProgress();
      }
    };
    try {
      await Promise.all([download(), download(), download()]); // three at a time
      progress.value = progress.max;
      say(fill(panel.dataset.savedText, { count }));
    } catch (error) {
      queue.length = 0; // the other downloads stop too
      say(panel.dataset.failedText);
    }
    sizeButton.hidden = false;
  });
}

// --- /guides/saved: what the guides cache holds, by title, with the date each was saved.

async function listSaved(list) {
  const cache = await keptGuides();
  const saved = [];
  for (const request of cache ? await cache.keys() : []) {
    const path = new URL(request.url).pathname;
    if (!GUIDE_PATH.test(path)) continue;
    const response = await cache.match(request);
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const title = page.querySelector("[data-guide] h1")?.textContent.trim() || path;
    saved.push({ path, title, savedAt: response.headers.get("Date") });
  }
  if (!saved.length) return;
  saved.sort((a, b) => a.title.localeCompare(b.title, lang));
  list.replaceChildren(...saved.map(({ path, title, savedAt }) => {
    const item = document.createElement("li");
    item.className = "app-list__item";
    const link = Object.assign(document.createElement("a"), { href: path });
    link.append(Object.assign(document.createElement("strong"), { textContent: title }));
    const when = Object.assign(document.createElement("span"), { className: "app-hint" });
    when.textContent = savedAt ? fill(list.dataset.savedText, { date: formatDate(savedAt) }) : "";
    item.append(link, when);
    return item;
  }));
}

const warn = (what) => (error) => console.warn(what, error);
const article = document.querySelector("[data-guide]");
if (article && "serviceWorker" in navigator) showGuideStatus(article).catch(warn("guide status"));
const searchForm = document.querySelector("[data-guide-search]");
const results = document.getElementById("guide-results");
if (searchForm && results) setUpSearch(searchForm, results);
const savePanel = document.querySelector("[data-offline-save]");
if (savePanel) {
  if ("serviceWorker" in navigator && "caches" in window) setUpSaveAll(savePanel);
  else savePanel.hidden = true;
}
const savedList = document.querySelector("[data-saved-guides]");
if (savedList) listSaved(savedList).catch(warn("saved guides"));

// Share a page: the phone's share sheet where there is one, otherwise copy the link.
for (const button of document.querySelectorAll("[data-share]")) {
  if (!navigator.share && !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const url = window.location.href.split("#")[0];
    if (navigator.share) {
      await navigator.share({ title: button.dataset.shareTitle, url }).catch(() => {});
      return;
    }
    await navigator.clipboard.writeText(url);
    const status = button.parentElement.querySelector("[data-share-status]");
    if (status) status.textContent = button.dataset.shareCopied;
  });
}
