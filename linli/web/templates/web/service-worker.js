/* Linli service worker (served at /service-worker.js, scope "/").
 *
 * - At install it stores the shell: the offline page, the manifest, styles, scripts and icons,
 *   in a cache named after a digest of those files ("linli-shell-<version>").
 * - Page loads (navigations) always go to the network; when the network fails, the stored
 *   offline page is shown. Pages are never stored: any page may show personal data.
 * - Shell files are answered from the cache and refreshed in the background; a response marked
 *   "Cache-Control: no-store" or "private" is never stored.
 * - At activation it deletes the caches of older versions.
 */
"use strict";

const CONFIG = {{ config|safe }};
const CACHE_PREFIX = "linli-shell-";
const CACHE_NAME = CACHE_PREFIX + CONFIG.version;
const SHELL_PATHS = new Set(CONFIG.precache.map(function (url) { return new URL(url, self.location.origin).pathname; }));

function storable(response) {
  if (!response || response.status !== 200 || response.type !== "basic") {
    return false;
  }
  const cacheControl = (response.headers.get("Cache-Control") || "").toLowerCase();
  return cacheControl.indexOf("no-store") === -1 && cacheControl.indexOf("private") === -1;
}

self.addEventListener("install", function (event) {
  event.waitUntil((async function () {
    const cache = await caches.open(CACHE_NAME);
    // Without cookies: the stored copies are the same for everyone who uses this phone.
    await Promise.all(CONFIG.precache.map(async function (url) {
      const request = new Request(url, { cache: "reload", credentials: "omit" });
      const response = await fetch(request);
      if (!storable(response)) {
        throw new Error("shell file not storable: " + url);
      }
      await cache.put(url, response);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    const names = await caches.keys();
    await Promise.all(names.filter(function (name) {
      return name.indexOf(CACHE_PREFIX) === 0 && name !== CACHE_NAME;
    }).map(function (name) { return caches.delete(name); }));
    if (self.registration.navigationPreload) {
      await self.registration.navigationPreload.enable();
    }
    await self.clients.claim();
  })());
});

async function offlinePage() {
  const cache = await caches.open(CACHE_NAME);
  const page = await cache.match(CONFIG.offline);
  return page || Response.error();
}

async function networkFirstNavigation(event) {
  try {
    const preloaded = await event.preloadResponse;
    if (preloaded) {
      return preloaded;
    }
    return await fetch(event.request);
  } catch (error) {
    return offlinePage();
  }
}

async function shellFromCache(event) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(event.request, { ignoreVary: true });
  const refreshed = fetch(event.request).then(async function (response) {
    if (storable(response)) {
      await cache.put(event.request, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(refreshed.catch(function () { return undefined; }));
    return cached;
  }
  return refreshed;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirstNavigation(event));
    return;
  }
  if (url.pathname.indexOf(CONFIG.staticPrefix) === 0 || SHELL_PATHS.has(url.pathname)) {
    event.respondWith(shellFromCache(event));
  }
  // Everything else (API calls, htmx fragments) goes to the network untouched.
});
