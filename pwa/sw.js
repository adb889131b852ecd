// IP Handheld service worker. The server fills in the two placeholders when serving /sw.js:
// the shell version (a hash of the shell's files) and the URLs to precache.
const SHELL_VERSION = "__SHELL_VERSION__";
const SHELL_CACHE = `iph-shell-${SHELL_VERSION}`;
const PAGES_CACHE = `iph-pages-${SHELL_VERSION}`;
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
      .filter((name) => name.startsWith("iph-") && name !== SHELL_CACHE && name !== PAGES_CACHE)
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
    event.waitUntil(refreshOfflinePage(event.data.lang).catch(() => {}));
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

// Pages: network first; on a network failure the saved copy, else the offline page.
async function networkFirstPage(event) {
  const { request } = event;
  try {
    const response = (await event.preloadResponse) || (await fetch(request));
    if (cacheable(request, response)) {
      const cache = await caches.open(PAGES_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    // Only a network exception lands here; a 404 or 500 from the server is shown as it is.
    const saved = await caches.match(request, { ignoreVary: true });
    return saved || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

// Shell files carry their content hash in the URL: cache first is safe.
async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (cacheable(request, response)) {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
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
