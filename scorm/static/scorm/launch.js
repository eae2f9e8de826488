/* The SCORM player. Puts scorm-again's runtime on this window (window.API for SCORM 1.2,
 * window.API_1484_11 for SCORM 2004), loads it with the learner's saved data (so they resume on
 * any end), then opens the package's launch file in the iframe, on this origin.
 *
 * Commits go to the runtime data API (PUT {"cmi": ..., "channel": "pc"}) with the CSRF header.
 * scorm-again's own transport cannot do that for the final commit (it uses sendBeacon, which
 * sends no headers), so this file gives it an httpService:
 *  - commits while the page is open: a synchronous request, as SCORM expects (the SCO learns
 *    whether its data was saved);
 *  - commits while the page is being left (tab closed, navigation): fetch with keepalive, which
 *    outlives the page and carries the header; browsers refuse synchronous requests then.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("scorm-config").textContent);
  var frame = document.getElementById("scorm-frame");
  var statusEl = document.getElementById("scorm-status");
  var notice = document.getElementById("scorm-notice");
  var is12 = config.version === "1.2";
  var KEEPALIVE_LIMIT = 60000; // browsers cap keepalive bodies at 64 KiB in flight
  var unloading = false;

  // Read by people debugging and by the browser tests.
  var runtime = (window.scormRuntime = {
    version: config.version,
    initialized: false,
    terminated: false,
    commits: 0,
    failures: 0,
    last: null,
  });

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].trim();
      if (pair.indexOf(name + "=") === 0) return decodeURIComponent(pair.slice(name.length + 1));
    }
    return "";
  }

  function headers() {
    return { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") };
  }

  function body(params) {
    var cmi = params && params.cmi ? params.cmi : params;
    return JSON.stringify({ cmi: cmi, channel: config.channel });
  }

  function byteLength(text) {
    return window.Blob ? new Blob([text]).size : text.length * 3;
  }

  function succeeded(text) {
    runtime.commits += 1;
    try {
      runtime.last = JSON.parse(text);
      statusEl.textContent = runtime.last.completed ? statusEl.dataset.completed : statusEl.dataset.saved;
    } catch (e) {
      /* keep the status as it was */
    }
    return { result: "true", errorCode: 0 };
  }

  function failed() {
    runtime.failures += 1;
    statusEl.textContent = statusEl.dataset.error;
    return { result: "false", errorCode: 391 }; // General commit failure
  }

  function sendInBackground(text) {
    fetch(config.commitUrl, {
      method: "PUT",
      credentials: "same-origin",
      keepalive: true,
      headers: headers(),
      body: text,
    })
      .then(function (response) {
        return response.text().then(function (answer) {
          return response.ok ? succeeded(answer) : failed();
        });
      })
      .catch(failed);
    return { result: "true", errorCode: 0 };
  }

  function sendNow(text) {
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", config.commitUrl, false);
    var all = headers();
    Object.keys(all).forEach(function (name) {
      xhr.setRequestHeader(name, all[name]);
    });
    xhr.send(text);
    return xhr.status >= 200 && xhr.status < 300 ? succeeded(xhr.responseText) : failed();
  }

  var httpService = {
    processHttpRequest: function (url, params) {
      var text = body(params);
      var small = byteLength(text) < KEEPALIVE_LIMIT && typeof window.fetch === "function";
      if (unloading && small) return sendInBackground(text);
      try {
        return sendNow(text);
      } catch (e) {
        // Thrown when the browser refuses a synchronous request (the page is going away).
        return small ? sendInBackground(text) : failed();
      }
    },
    updateSettings: function () {},
  };

  var settings = {
    lmsCommitUrl: config.commitUrl,
    httpService: httpService,
    dataCommitFormat: "json",
    sendFullCommit: true,
    autocommit: true,
    autocommitSeconds: config.autocommitSeconds,
    logLevel: 4,
  };

  var Runtime = is12 ? window.Scorm12API : window.Scorm2004API;
  if (typeof Runtime !== "function") {
    notice.hidden = false;
    return;
  }
  var api = new Runtime(settings);
  try {
    api.loadFromJSON(config.cmi);
  } catch (e) {
    // Saved data the runtime refuses must not stop the learner from studying.
    if (window.console) console.warn("SCORM: saved data not restored", e);
  }
  api.on(is12 ? "LMSInitialize" : "Initialize", function () {
    runtime.initialized = true;
  });
  api.on(is12 ? "LMSFinish" : "Terminate", function () {
    runtime.terminated = true;
  });
  if (is12) {
    window.API = api;
  } else {
    window.API_1484_11 = api;
  }

  window.addEventListener("beforeunload", function () {
    unloading = true;
  });
  window.addEventListener("pagehide", function () {
    unloading = true;
    // The SCO did not finish (its own unload code did not run, or has not yet): finish for it,
    // so what it set is saved; a later LMSFinish from the SCO is then a harmless error.
    if (runtime.initialized && !runtime.terminated) {
      try {
        if (is12) api.LMSFinish("");
        else api.Terminate("");
      } catch (e) {
        /* nothing more can be done while the page goes away */
      }
    }
  });

  frame.src = config.launchUrl;
})();
