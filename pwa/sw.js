// IP Handheld service worker. The server fills in the two placeholders when serving /sw.js:
// the shell version (a hash of the shell's files) and the URLs to precache. It also leaves out
// every line that starts with // (backend/app.py), so no line of code or string may.
const SHELL_VERSION = "__SHELL_VERSION__";
const SHELL_CACHE = `iph-shell-${SHELL_VERSION}`;
const PAGES_CACHE = `iph-pages-${SHELL_VERSION}`;
// Guides opened or saved, /guides, /guides/saved and the search index (guides.js fills it too).
// Not versioned: saved guides outlive app updates.
const GUIDES_CACHE = "iph-guides";
const GUIDE = /^\/guides\/(?!saved$)[a-z0-9-]+$/;
const GUIDES_SECTION = ["/guides", "/guides/saved"];
// Saved provinces (gi.js fills them): kept as guides are, across app updates.
const GI_PACK = "iph-gi-";
const GI_PAGE = /^\/(gi(\/\d+)?|saved)$/;
let readingLang = null; // Content-Language of the last page from the network
const networkFailed = new Map(); // guide path → promise: did its last navigation find no network?
const PRECACHE_URLS = __PRECACHE_URLS__;
const OFFLINE_URL = "/offline";
// Never cached: personal pages, sign-in, the API and the worker itself.
const NEVER_CACHE = [/^\/my\//, /^\/account/, /^\/signin/, /^\/signup/, /^\/auth\//, /^\/staff/,
  /^\/supervisor/, /^\/admin/, /^\/api\//, /^\/sw\.js$/, /^\/enrol\//];

self.addEventListener("install", (event) => {
  // Shell URLs carry their content hash, so the copy already in the HTTP cache is the right
  // one; only the offline page (no hash) is fetched past the HTTP cache.
  event.waitUntil(
    caches.open(SHELL_CACHE).then((cache) =>
      cache.addAll(PRECACHE_URLS.map((url) =>
        url === OFFLINE_URL ? new Request(url, { cache: "reload" }) : url))),
  );
  // No skipWaiting() here: a new version waits until the person chooses to reload.
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    // Delete this app's caches of other versions; leave anything not ours alone.
    await Promise.all(names
      .filter((name) => name.startsWith("iph-")
        && ![SHELL_CACHE, PAGES_CACHE, GUIDES_CACHE].includes(name) && !name.startsWith(GI_PACK))
      .map((name) => caches.delete(name)));
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

// Keep the precached offline page in the language the person reads (Content-Language).
async function refreshOfflinePage(lang) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(OFFLINE_URL);
  if (cached && cached.headers.get("Content-Language") === lang) return;
  const response = await fetch(OFFLINE_URL, { cache: "reload", credentials: "same-origin" });
  if (response.ok) await cache.put(OFFLINE_URL, response);
}

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data?.type === "CLEAR_PERSONAL") event.waitUntil(caches.delete(PAGES_CACHE));
  if (event.data?.type === "OFFLINE_LANG") {
    readingLang = event.data.lang;
    event.waitUntil(refreshOfflinePage(event.data.lang).catch(() => {}));
  }
  // guides.js asks whether its guide is the kept copy shown for want of a network.
  if (event.data?.type === "GUIDE_OFFLINE") {
    event.waitUntil(Promise.resolve(networkFailed.get(event.data.path))
      .then((failed) => event.ports[0].postMessage(failed === true)));
  }
});

function cacheable(request, response) {
  const url = new URL(request.url);
  return request.method === "GET"
    && url.origin === self.location.origin
    && !NEVER_CACHE.some((pattern) => pattern.test(url.pathname))
    && response.ok
    && response.type === "basic"
    // htmx fragments are parts of pages, not pages.
    && !request.headers.has("HX-Request")
    && !(response.headers.get("Cache-Control") || "").includes("no-store");
}

// Pages: network first; on a network failure the saved copy, else the offline page. /guides and
// /guides/saved are kept with the guides; offline, a search (/guides?q=) gets the kept /guides,
// whose script searches the saved guides.
async function networkFirstPage(event) {
  const { request } = event;
  const { pathname, search } = new URL(request.url);
  const inGuides = GUIDES_SECTION.includes(pathname);
  try {
    const response = (await event.preloadResponse) || (await fetch(request));
    readingLang = response.headers.get("Content-Language") || readingLang;
    if (cacheable(request, response) && !(inGuides && search)) {
      const cache = await caches.open(inGuides ? GUIDES_CACHE : PAGES_CACHE);
      await cache.put(inGuides ? pathname : request, response.clone());
    }
    return response;
  } catch (error) {
    // Only a network exception lands here; a 404 or 500 from the server is shown as it is.
    const saved = await caches.match(inGuides ? pathname : request, { ignoreVary: true });
    return saved || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

// A guide from the network, kept; null without a network.
async function fetchGuide(event, cache, path) {
  try {
    const response = (await event.preloadResponse) || (await fetch(event.request));
    readingLang = response.headers.get("Content-Language") || readingLang;
    if (cacheable(event.request, response)) await cache.put(path, response.clone());
    if (response.status === 404) await cache.delete(path); // withdrawn
    return response;
  } catch (error) {
    return null;
  }
}

// Guides: stale-while-revalidate. The kept copy at once, if in the language being read, while
// the network refreshes it; else the network, the kept copy, the offline page.
async function guidePage(event, cacheName = GUIDES_CACHE, path = new URL(event.request.url).pathname) {
  const cache = await caches.open(cacheName);
  const kept = await cache.match(path);
  const fresh = fetchGuide(event, cache, path);
  networkFailed.set(path, fresh.then((response) => !response));
  event.waitUntil(fresh);
  if (kept && [null, kept.headers.get("Content-Language")].includes(readingLang)) return kept;
  return (await fresh) || kept || (await caches.match(OFFLINE_URL)) || Response.error();
}

// A GI page (or /saved) of a saved province: as a guide; any other, as a page.
async function giPage(event) {
  const { pathname, search } = new URL(event.request.url);
  for (const name of (await caches.keys()).filter((key) => key.startsWith(GI_PACK))) {
    if (await (await caches.open(name)).match(pathname + search)) {
      return guidePage(event, name, pathname + search);
    }
  }
  return networkFirstPage(event);
}

// Shell files carry their content hash in the URL: cache first is safe.
async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  try {
    const response = await fetch(request);
    if (cacheable(request, response)) {
      const cache = await caches.open(SHELL_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    // Offline, a guide kept before an app update asks for files of its day: today's stand in.
    return (await caches.match(request, { ignoreSearch: true })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && GUIDE.test(url.pathname)) {
    event.respondWith(guidePage(event));
  } else if (request.mode === "navigate" && GI_PAGE.test(url.pathname)) {
    event.respondWith(giPage(event));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(event));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/icons/")) {
    event.respondWith(cacheFirst(request));
  }
});

// Web Push (backend/notifications/push.py sends {title, body, link}). With userVisibleOnly every
// push must show a notification, so a message we cannot read still shows one.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data.text() };
  }
  event.waitUntil(self.registration.showNotification(message.title || "知识产权掌上办", {
    body: message.body || "",
    icon: "/icons/icon-192.png",
    data: { link: message.link || "/my/inbox" },
  }));
});

// Only links on this site are followed; anything else opens the inbox.
function linkOnThisSite(link) {
  try {
    const url = new URL(link, self.location.origin);
    if (url.origin === self.location.origin) return url.href;
  } catch (error) {
    // Not a URL: fall through to the inbox.
  }
  return new URL("/my/inbox", self.location.origin).href;
}

// A tap on the notification: focus a window already showing its link, else open one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = linkOnThisSite(event.notification.data?.link || "/my/inbox");
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const showing = windows.find((client) => client.url === target);
    if (showing) return showing.focus();
    return self.clients.openWindow(target);
  })());
});
