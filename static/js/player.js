/* Lesson player: reports play / heartbeat / pause / seek / ended to the progress API and
 * listens on /ws/progress/ for credited time and takeovers. Plain ES2017, no build step, so it
 * runs in WeChat's in-app browser too. */
(function () {
  "use strict";
  var root = document.getElementById("lesson");
  if (!root) return;
  var video = document.getElementById("player") || readingClock(root);
  var lessonId = Number(root.dataset.lesson);
  var startPosition = Number(root.dataset.position || 0);
  var credited = document.getElementById("credited");
  var notice = document.getElementById("notice");
  var HEARTBEAT_MS = 15000;
  var session = null;
  var lastPosition = startPosition;
  var heartbeat = null;
  var seekFrom = null;

  /* A document has no media element: a reading clock stands in for one. Its position is the
   * seconds spent reading, up to the lesson's estimated reading time. */
  function readingClock(section) {
    var button = document.getElementById("reading-toggle");
    if (!button) return null;
    var clock = document.createElement("span");
    var timer = null;
    var lastTick = 0;
    clock.currentTime = Number(section.dataset.position || 0);
    clock.duration = Number(section.dataset.duration || 0);
    clock.paused = true;
    clock.ended = false;
    clock.seeking = false;
    clock.playbackRate = 1;
    function fire(name) { clock.dispatchEvent(new Event(name)); }
    clock.play = function () {
      if (!clock.paused || clock.currentTime >= clock.duration) return;
      clock.paused = false;
      lastTick = Date.now();
      timer = setInterval(function () {
        var now = Date.now();
        clock.currentTime = Math.min(clock.duration, clock.currentTime + (now - lastTick) / 1000);
        lastTick = now;
        fire("timeupdate");
        if (clock.currentTime >= clock.duration) { clock.paused = true; clock.ended = true; clearInterval(timer); fire("ended"); }
      }, 1000);
      button.textContent = button.dataset.stop;
      fire("play");
    };
    clock.pause = function () {
      if (clock.paused) return;
      clock.paused = true;
      clearInterval(timer);
      button.textContent = button.dataset.start;
      fire("pause");
    };
    button.addEventListener("click", function () { if (clock.paused) clock.play(); else clock.pause(); });
    return clock;
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function formatSeconds(total) {
    total = Math.floor(total);
    var m = Math.floor(total / 60), s = total % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function showProgress(p) {
    if (!credited || p.lesson !== lessonId) return;
    credited.textContent = formatSeconds(p.credited_seconds) + " / " + formatSeconds(p.duration) +
      (p.completed ? " · " + credited.dataset.done : "");
  }

  function send(type, extra) {
    if (!session) return;
    var event = {
      id: uuid4(), session: session, lesson: lessonId, channel: "pc", type: type,
      position: Math.min(video.currentTime, video.duration || video.currentTime),
      rate: video.playbackRate, at: new Date().toISOString()
    };
    for (var key in extra) event[key] = extra[key];
    lastPosition = event.position;
    fetch("/api/v1/progress/events/", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify({events: [event]})
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
      if (!body) return;
      (body.progress || []).forEach(showProgress);
      var result = body.results && body.results[0];
      if (result && result.reason === "superseded") stopHere();
    }).catch(function () { /* offline: issue 6 keeps an offline queue */ });
  }

  function stopHeartbeat() { if (heartbeat) { clearInterval(heartbeat); heartbeat = null; } }

  function stopHere() {
    stopHeartbeat();
    session = null;
    video.pause();
    if (notice) notice.hidden = false;
  }

  if (!video) return;
  // Study time is not credited while the page is hidden: pause, and let the learner resume.
  document.addEventListener("visibilitychange", function () { if (document.hidden && !video.paused) video.pause(); });
  video.addEventListener("loadedmetadata", function () {
    if (startPosition > 0 && startPosition < video.duration) video.currentTime = startPosition;
  });
  video.addEventListener("play", function () {
    if (notice) notice.hidden = true;
    session = uuid4();
    send("play");
    stopHeartbeat();
    heartbeat = setInterval(function () { if (!video.paused) send("heartbeat"); }, HEARTBEAT_MS);
  });
  video.addEventListener("pause", function () { if (!video.ended) { send("pause"); } stopHeartbeat(); });
  video.addEventListener("seeking", function () { if (seekFrom === null) seekFrom = lastPosition; });
  video.addEventListener("seeked", function () {
    if (session && !video.paused) send("seek", {from: seekFrom === null ? lastPosition : seekFrom});
    else lastPosition = video.currentTime;
    seekFrom = null;
  });
  video.addEventListener("timeupdate", function () { if (seekFrom === null && !video.seeking) lastPosition = video.currentTime; });
  video.addEventListener("ended", function () { send("ended"); stopHeartbeat(); session = null; });

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/progress/");
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "progress") showProgress(data);
      if (data.type === "takeover" && data.session === session) stopHere();
    };
    socket.onclose = function () { setTimeout(connect, 5000); };
  }
  if (window.WebSocket) connect();
})();
