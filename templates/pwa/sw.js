{% load static %}/* Service worker of 淄博技能在线, served at /sw.js so that its scope is the whole site.
 * It caches the shell only: the style sheet, the player, the icons and the offline page. It
 * never caches API answers, media or any other page (pages may be a signed-in learner's);
 * a page that cannot be loaded while offline gets the offline page. */
"use strict";
var CACHE = "zbjn-shell-{{ version }}";
var OFFLINE = "{% url 'offline' %}";
var SHELL = [
  OFFLINE,
  "{% static 'vendor/weui/weui-subset.min.css' %}",
  "{% static 'css/site.css' %}",
  "{% static 'js/player.js' %}",
  "{% static 'icons/icon-192.png' %}",
  "{% static 'icons/icon-512.png' %}"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key.indexOf("zbjn-shell-") === 0 && key !== CACHE; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (request.mode === "navigate") {
    // Pages always come from the network; only when it fails, the offline page.
    event.respondWith(fetch(request).catch(function () { return caches.match(OFFLINE); }));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  }
});
