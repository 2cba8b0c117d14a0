// Offline shell: the page and its scripts come from the cache when the phone has no
// network, so a capture can still be made and queued (outbox.js sends it later).
// Uploads and every other request go to the network untouched.
const CACHE = "inkstream-capture-v1";
const SHELL = ["./", "index.html", "app.js", "page.js", "pdf.js", "outbox.js", "capture.css", "manifest.json", "icon.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !url.pathname.startsWith(new URL(self.registration.scope).pathname)) return;
  // Network first (a new version reaches users at once), the cache when offline.
  event.respondWith(fetch(event.request)
    .then((resp) => {
      const copy = resp.clone();
      if (resp.ok) caches.open(CACHE).then((cache) => cache.put(event.request, copy));
      return resp;
    })
    .catch(() => caches.match(event.request, { ignoreSearch: true })));
});
