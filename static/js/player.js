/* Lesson player: reports play / heartbeat / pause / seek / ended to the progress API and
 * listens on /ws/progress/ for credited time and takeovers. Plain ES2017, no build step, so it
 * runs in WeChat's in-app browser too.
 *
 * - Offline queue: every event goes through a queue kept in localStorage (one key per user and
 *   lesson) and is sent in order, in batches of at most 500; an event leaves the queue only when
 *   the server answered it (accepted, duplicate or rejected). A network error or a 5xx keeps it
 *   for the next try (the `online` event, the next event, page load).
 * - Grants (contract rule 9): a grant is asked for when the page opens and named in every
 *   event, so a queue that waited offline is still credited when it arrives.
 * - Resume: the player is set to the server's position before playback.
 * - Takeover: a `superseded` answer (or the socket's `takeover`) stops this device.
 * - Seeking ahead of the credited frontier is undone when the course blocks it.
 * - Attention checks (防挂机点名) when the course asks for them.
 * - A study clock stands in for media on documents (started by a button), SCORM packages and
 *   quizzes (running while the page is open and visible): time there is credited the same way.
 * - The page being hidden pauses playback. Window `blur` does not: WeChat fires it when its own
 *   menu opens, and pausing then would interrupt honest study. */
(function () {
  "use strict";
  var root = document.getElementById("lesson");
  if (!root) return;
  var video = document.getElementById("player") || readingClock(root);
  var data = root.dataset;
  var lessonId = Number(data.lesson);
  // "wechat" only on the WeChat H5 pages (the server says so: opened in WeChat's browser with
  // the WeChat end on); "pc" on every other web page, whatever the device.
  var CHANNEL = data.channel === "wechat" ? "wechat" : "pc";
  var startPosition = Number(data.position || 0);
  var credited = document.getElementById("credited");
  var notice = document.getElementById("notice");
  var seekNotice = document.getElementById("seek-notice");
  var HEARTBEAT_MS = Math.max(1, Number(data.heartbeat || 15)) * 1000;
  var MAX_BATCH = 500;
  var SEEK_TOLERANCE = 2;
  var QUEUE_KEY = "zbjn.progress-queue." + (data.user || "0") + "." + lessonId;
  var ATTENTION_KEY = "zbjn.attention-queue." + (data.user || "0");
  var GRANT_KEY = "zbjn.grant." + (data.user || "0") + "." + lessonId;
  var autostart = data.autostart === "1";
  var blockSeek = data.blockSeek === "1";
  var frontier = Number(data.frontier || 0);
  var session = null;
  var lastPosition = startPosition;
  var heartbeat = null;
  var seekFrom = null;
  var flushing = false;
  var retryTimer = null;

  /* A document, a SCORM package or a quiz has no media element: a study clock stands in for
   * one. Its position is the seconds spent, up to the lesson's declared time. A document's clock
   * runs while the learner keeps it started; the others' while the page is open and visible. */
  function readingClock(section) {
    var button = document.getElementById("reading-toggle");
    if (!button && section.dataset.autostart !== "1") return null;
    var clock = document.createElement("span");
    var timer = null;
    var lastTick = 0;
    clock.currentTime = Number(section.dataset.position || 0);
    clock.duration = Number(section.dataset.duration || 0);
    clock.paused = true;
    clock.ended = false;
    clock.seeking = false;
    clock.playbackRate = 1;
    clock.readyState = 4;
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
      if (button) button.textContent = button.dataset.stop;
      fire("play");
    };
    clock.pause = function () {
      if (clock.paused) return;
      clock.paused = true;
      clearInterval(timer);
      if (button) button.textContent = button.dataset.start;
      fire("pause");
    };
    if (button) button.addEventListener("click", function () { if (clock.paused) clock.play(); else clock.pause(); });
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
    credited.dataset.seconds = String(p.credited_seconds);
  }

  /* --- Offline queue ------------------------------------------------------------------- */
  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]") || []; } catch (e) { return []; }
  }
  function save(key, items) {
    try {
      if (items.length) localStorage.setItem(key, JSON.stringify(items));
      else localStorage.removeItem(key);
    } catch (e) { /* storage full or disabled: events are still sent while online */ }
  }
  var queue = load(QUEUE_KEY);

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body)
    });
  }

  function retryLater() {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 10000);
  }

  /* Send the queue's head (≤ 500 events, oldest first); when answered, drop the answered events
   * and go on with the rest. One request at a time keeps the order. */
  function flush() {
    if (flushing || !queue.length) return;
    flushing = true;
    var batch = queue.slice(0, MAX_BATCH);
    var byId = {};
    batch.forEach(function (e) { byId[e.id] = e; });
    post("/api/v1/progress/events/", {events: batch}).then(function (r) {
      if (r.status >= 500 || r.status === 401 || r.status === 403) return null;  // keep, try again
      if (!r.ok) return {results: batch.map(function (e) { return {id: e.id}; })};  // unsendable
      return r.json();
    }).then(function (body) {
      flushing = false;
      if (!body) { retryLater(); return; }
      var answered = {};
      (body.results || []).forEach(function (result) {
        answered[result.id] = true;
        var event = byId[result.id];
        if (result.reason === "superseded" && event && event.session === session) stopHere();
      });
      queue = load(QUEUE_KEY).filter(function (e) { return !answered[e.id]; });
      save(QUEUE_KEY, queue);
      (body.progress || []).forEach(showProgress);
      if (queue.length) flush();
    }).catch(function () { flushing = false; retryLater(); });
  }

  /* --- Grants (rule 9) ----------------------------------------------------------------- */
  var DAY_MS = 24 * 3600 * 1000;
  function storedGrant() {
    try {
      var stored = JSON.parse(localStorage.getItem(GRANT_KEY) || "null");
      if (stored && stored.grant && Date.parse(stored.expires_at) > Date.now()) return stored;
    } catch (e) { /* unreadable: ask again */ }
    return null;
  }
  function currentGrant() { var stored = storedGrant(); return stored ? stored.grant : ""; }
  /* A grant covers the time after it was issued, until it expires: one with more than a day
   * left serves this visit too, so opening a lesson does not write a new one every time. */
  function requestGrant() {
    var stored = storedGrant();
    if (stored && Date.parse(stored.expires_at) - Date.now() > DAY_MS) return;
    post("/api/v1/progress/grants/", {lesson: lessonId}).then(function (r) {
      return r.status === 201 ? r.json() : null;
    }).then(function (body) {
      if (!body) return;
      try { localStorage.setItem(GRANT_KEY, JSON.stringify(body)); } catch (e) { /* still live */ }
    }).catch(function () { /* offline: the grant from an earlier visit, if any, still holds */ });
  }

  function send(type, extra) {
    if (!session) return;
    var event = {
      id: uuid4(), session: session, lesson: lessonId, channel: CHANNEL, type: type,
      position: Math.min(video.currentTime, video.duration || video.currentTime),
      rate: video.playbackRate, at: new Date().toISOString()
    };
    var grant = currentGrant();
    if (grant) event.grant = grant;
    for (var key in extra) event[key] = extra[key];
    lastPosition = event.position;
    queue = load(QUEUE_KEY);
    queue.push(event);
    save(QUEUE_KEY, queue);
    flush();
  }

  function flushAttention() {
    var pending = load(ATTENTION_KEY);
    if (!pending.length) return;
    var item = pending[0];
    post("/api/v1/progress/attention/", item).then(function (r) {
      if (r.status >= 500 || r.status === 401 || r.status === 403) return;
      save(ATTENTION_KEY, load(ATTENTION_KEY).filter(function (i) { return i.key !== item.key; }));
      flushAttention();
    }).catch(function () { /* offline: sent on the next `online` */ });
  }

  window.addEventListener("online", function () { flush(); flushAttention(); });

  /* --- Playback -------------------------------------------------------------------------- */
  function stopHeartbeat() { if (heartbeat) { clearInterval(heartbeat); heartbeat = null; } }

  function stopHere() {
    stopHeartbeat();
    session = null;
    video.pause();
    if (notice) notice.hidden = false;
  }

  function say(element, seconds) {
    if (!element) return;
    element.hidden = false;
    clearTimeout(element.hideTimer);
    element.hideTimer = setTimeout(function () { element.hidden = true; }, seconds * 1000);
  }

  // Exposed for tests and for the page's own use: the state of the queue and the session.
  window.lessonPlayer = {
    queued: function () { return load(QUEUE_KEY).length; },
    session: function () { return session; },
    flush: flush
  };

  flush();
  flushAttention();
  if (!video) return;
  requestGrant();

  /* Set the server's position before playback. A server without range requests makes the
   * media seekable only once it is buffered: try again as data arrives, until it holds. */
  var resumed = !(startPosition > 0);
  function resume() {
    if (resumed || !(startPosition < video.duration)) return;
    if (Math.abs(video.currentTime - startPosition) > 0.5) video.currentTime = startPosition;
    if (Math.abs(video.currentTime - startPosition) <= 0.5) resumed = true;
    lastPosition = video.currentTime;
  }
  ["loadedmetadata", "loadeddata", "canplay", "canplaythrough", "progress"].forEach(function (name) {
    video.addEventListener(name, resume);
  });
  // Study time is not credited while the page is hidden: pause, and let the learner resume.
  document.addEventListener("visibilitychange", function () { if (document.hidden && !video.paused) video.pause(); });
  if (video.readyState >= 1) resume();
  video.addEventListener("play", function () {
    if (notice) notice.hidden = true;
    session = uuid4();
    send("play");
    stopHeartbeat();
    heartbeat = setInterval(function () { if (!video.paused) send("heartbeat"); }, HEARTBEAT_MS);
  });
  video.addEventListener("pause", function () { if (!video.ended) { send("pause"); } stopHeartbeat(); });
  video.addEventListener("seeking", function () {
    if (seekFrom === null) seekFrom = lastPosition;
    var allowed = Math.max(frontier, seekFrom);
    if (blockSeek && video.currentTime > allowed + SEEK_TOLERANCE) {
      video.currentTime = Math.min(seekFrom, allowed);
      say(seekNotice, 5);
    }
  });
  video.addEventListener("seeked", function () {
    if (session && !video.paused) send("seek", {from: seekFrom === null ? lastPosition : seekFrom});
    else lastPosition = video.currentTime;
    seekFrom = null;
  });
  video.addEventListener("timeupdate", function () {
    if (seekFrom !== null || video.seeking) return;
    // Watching on from within the frontier moves it (by small steps only, never by a jump).
    if (!video.paused && video.currentTime > frontier && video.currentTime - lastPosition < 3 &&
        lastPosition <= frontier + SEEK_TOLERANCE) frontier = video.currentTime;
    lastPosition = video.currentTime;
  });
  video.addEventListener("ended", function () { send("ended"); stopHeartbeat(); session = null; });
  if (autostart) {
    // A SCORM package or a quiz: the clock runs while the page is open and visible.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && video.paused && !video.ended) video.play();
    });
    if (!document.hidden) video.play();
  }

  /* --- Attention checks (防挂机点名) --------------------------------------------------------
   * After a random stretch of playing time (0.5× to 1.5× the course's period) playback pauses
   * — the `pause` event goes out as the check begins, so no credited segment spans it — and a
   * button appears at a random place. Pressed within the timeout: playback resumes. Missed:
   * playback stays paused and the miss goes to the evidence log. */
  var attentionPeriod = Number(data.attention || 0);
  var dialog = document.getElementById("attention");
  if (attentionPeriod > 0 && dialog) {
    var confirmButton = document.getElementById("attention-confirm");
    var countdown = document.getElementById("attention-countdown");
    var missedText = document.getElementById("attention-missed");
    var timeoutSeconds = Number(data.attentionTimeout || 60);
    var played = 0;
    var due = nextDue();
    var checking = false;
    var deadline = null;
    var checkInfo = null;

    function nextDue() { return attentionPeriod * (0.5 + Math.random()); }

    function record(outcome) {
      var pending = load(ATTENTION_KEY);
      pending.push({
        key: uuid4(), lesson: lessonId, session: checkInfo.session || uuid4(), channel: CHANNEL,
        outcome: outcome, at: checkInfo.at, position: checkInfo.position
      });
      save(ATTENTION_KEY, pending);
      flushAttention();
    }

    function finish(outcome) {
      clearInterval(deadline);
      checking = false;
      record(outcome);
      played = 0;
      due = nextDue();
    }

    function startCheck() {
      checking = true;
      checkInfo = {session: session, at: new Date().toISOString(), position: video.currentTime};
      video.pause();
      confirmButton.style.left = Math.floor(Math.random() * 70) + "%";
      confirmButton.style.top = Math.floor(Math.random() * 60) + "%";
      missedText.hidden = true;
      confirmButton.hidden = false;
      dialog.hidden = false;
      var left = timeoutSeconds;
      countdown.textContent = String(left);
      deadline = setInterval(function () {
        left -= 1;
        countdown.textContent = String(Math.max(0, left));
        if (left <= 0) {
          confirmButton.hidden = true;
          missedText.hidden = false;
          finish("missed");
        }
      }, 1000);
      var heading = document.getElementById("attention-title");
      if (heading) heading.focus();
    }

    confirmButton.addEventListener("click", function () {
      if (!checking) return;
      dialog.hidden = true;
      finish("passed");
      video.play();
    });
    document.getElementById("attention-close").addEventListener("click", function () { if (!checking) dialog.hidden = true; });
    video.addEventListener("play", function () { if (!checking) dialog.hidden = true; });
    setInterval(function () {
      if (video.paused || checking || !session) return;
      played += 1;
      if (played >= due) startCheck();
    }, 1000);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/progress/");
    socket.onmessage = function (message) {
      var payload = JSON.parse(message.data);
      if (payload.type === "progress") showProgress(payload);
      if (payload.type === "takeover" && payload.session === session) stopHere();
    };
    socket.onclose = function () { setTimeout(connect, 5000); };
  }
  if (window.WebSocket) connect();
})();
