/* The village assistant's phone without a network: keeps 我的村居, the home-visit forms and
   the stylesheets and scripts they use, so the pages open at a door with no signal. Served at
   /sw.js (cases.views.assistant.service_worker) so its scope is the whole site, but it only
   keeps the pages listed in PAGES; every other request goes to the network untouched.

   Pages: network first, the kept copy when the network fails. Static files: the kept copy
   first (they change with a new VERSION). A page answered by a redirect (a session that ended)
   is never kept, and such an answer, or opening the login page, drops every kept page: the
   next person to sign in on the phone does not see the last one's households.

   Change VERSION whenever this file or the phone's static files change: the new worker
   deletes the caches of the old one when it takes over. */
"use strict";

var VERSION = "v1";
var PREFIX = "lanshan-phone-";
var PAGE_CACHE = PREFIX + "pages-" + VERSION;
var STATIC_CACHE = PREFIX + "static-" + VERSION;
var PAGES = [/^\/assistant\/$/, /^\/cases\/\d+\/home-visit\/$/];
var STATIC = ["/static/css/app.css", "/static/cases/verification.css",
              "/static/cases/home_visit.js", "/static/cases/phone.js",
              "/static/django_htmx/htmx-2.min.js"];
var LOGIN = /^\/login\/$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    // One missing file must not stop the worker from installing.
    return Promise.all(STATIC.map(function (url) {
      return cache.add(url).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX) === 0 && name !== PAGE_CACHE && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keptPage(path) {
  return PAGES.some(function (re) { return re.test(path); });
}

function forgetPages() {
  return caches.delete(PAGE_CACHE);
}

function offlinePage() {
  var html = "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>当前无网络 · 兰山区社会救助经办系统</title>" +
    "<link rel=\"stylesheet\" href=\"/static/css/app.css\"></head><body>" +
    "<main class=\"page\"><div class=\"mine\"><h1>当前无网络</h1>" +
    "<p>本页没有保存在本机，联网后再打开。</p>" +
    "<p><a class=\"button\" href=\"/assistant/\">我的村居</a></p></div></main></body></html>";
  return new Response(html, {status: 503,
                             headers: {"Content-Type": "text/html; charset=utf-8"}});
}

function fromNetwork(request, path) {
  return fetch(request).then(function (response) {
    if (response.redirected || response.type === "opaqueredirect") {
      if (LOGIN.test(new URL(response.url).pathname)) { forgetPages(); }
      return response;
    }
    // Only the plain address is kept: 我的村居?saved=… carries a one-time message.
    if (response.ok && response.type === "basic" && keptPage(path) &&
        !new URL(request.url).search) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { cache.put(path, copy); });
    }
    return response;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (LOGIN.test(url.pathname) && request.mode === "navigate") {
    event.waitUntil(forgetPages());
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(url.pathname).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        if (response.ok && STATIC.indexOf(url.pathname) !== -1) {
          var copy = response.clone();
          caches.open(STATIC_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (!keptPage(url.pathname) && request.mode !== "navigate") { return; }
  event.respondWith(fromNetwork(request, url.pathname).catch(function () {
    return caches.match(url.pathname, {cacheName: PAGE_CACHE}).then(function (kept) {
      return kept || (request.mode === "navigate" ? offlinePage() : Response.error());
    });
  }));
});

/* 我的村居 lists the houses to visit; the page asks for their forms to be kept now, so each
   opens at its door even if it was never opened with a signal. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) { return; }
  var urls = data.urls.filter(keptPage).slice(0, 40);
  event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
    return Promise.all(urls.map(function (path) {
      return fetch(path, {credentials: "same-origin"}).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(path, response); }
        return null;
      }).catch(function () { return null; });
    }));
  }).then(function () {
    if (event.source) { event.source.postMessage({type: "kept", count: urls.length}); }
  }));
});
