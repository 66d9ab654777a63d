/**
 * The app-shell service worker: precaches the built files (their list is
 * written in at build time) so the dashboard starts fast and offline, and
 * never touches API, health or metrics traffic.
 */

const sw = self as unknown as ServiceWorkerGlobalScope;

interface Precache {
  version: string;
  urls: string[];
}

// Replaced after the build by the list of emitted files (see vite.config.ts).
const { version, urls } = JSON.parse('__DEVFLOW_PRECACHE__') as Precache;
const PREFIX = 'devflow-shell-';
const CACHE = `${PREFIX}${version}`;
const SHELL = '/index.html';
const PRECACHED = new Set(urls);
const NEVER = /^\/(api|healthz|metrics)(\/|$)/;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(urls))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin || NEVER.test(url.pathname)) return;

  if (req.mode === 'navigate') {
    // Network first so a deploy of the UI shows at once; the cached shell when offline.
    event.respondWith(
      fetch(req).catch(async () => (await caches.match(SHELL, { cacheName: CACHE })) ?? Response.error()),
    );
    return;
  }
  if (!PRECACHED.has(url.pathname)) return;
  event.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
});
