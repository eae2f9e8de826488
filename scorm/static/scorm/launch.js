/* The SCORM player's page. It opens the package in the sandboxed iframe #scorm-frame, through
 * the signed link the server minted for this learner and lesson (config.launchUrl).
 *
 * The runtime (scorm-again, with the learner's saved data) is not on this page: the frame has
 * another origin and could not reach it. scorm.views.content injects it into the package's own
 * pages (static/scorm/frame.js), and it commits through the signed link. This page only listens
 * to what the runtime reports, for the status line and window.scormRuntime:
 *  - only messages from the frame (or a frame inside it) and from its origin ("null" for an
 *    opaque sandbox, else config.contentOrigin) are read, and only their known shape;
 *  - nothing in them is trusted beyond the status shown: what is saved, and whether the lesson
 *    is complete, is the server's business.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("scorm-config").textContent);
  var frame = document.getElementById("scorm-frame");
  var statusEl = document.getElementById("scorm-status");
  var notice = document.getElementById("scorm-notice");
  var expired = document.getElementById("scorm-expired");

  // Read by people debugging and by the browser tests.
  var runtime = (window.scormRuntime = {
    version: config.version,
    initialized: false,
    terminated: false,
    commits: 0,
    failures: 0,
    last: null,
  });

  function fromThePackage(source) {
    var win = source;
    for (var depth = 0; win && depth < 12; depth++) {
      if (win === frame.contentWindow) return true;
      if (win === window || win.parent === win) return false;
      win = win.parent;
    }
    return false;
  }

  var KINDS = { initialized: 1, committed: 1, failed: 1, terminated: 1, unavailable: 1 };

  window.addEventListener("message", function (event) {
    if (event.origin !== config.contentOrigin || !fromThePackage(event.source)) return;
    var message = event.data;
    if (!message || typeof message !== "object" || message.source !== "zibo-scorm") return;
    if (typeof message.kind !== "string" || !KINDS.hasOwnProperty(message.kind)) return;
    switch (message.kind) {
      case "initialized":
        runtime.initialized = true;
        break;
      case "terminated":
        runtime.terminated = true;
        break;
      case "committed":
        runtime.commits += 1;
        runtime.last = { completed: message.completed === true };
        statusEl.textContent = message.completed === true ? statusEl.dataset.completed : statusEl.dataset.saved;
        break;
      case "failed":
        runtime.failures += 1;
        statusEl.textContent = statusEl.dataset.error;
        break;
      case "unavailable":
        notice.hidden = false;
        break;
    }
  });

  // The link expires (SCORM_CONTENT_TOKEN_SECONDS): past that, the package's files and commits
  // are refused, and a fresh page mints a new link.
  if (expired && config.expiresIn > 0) {
    window.setTimeout(function () {
      expired.hidden = false;
    }, Math.min(config.expiresIn, 2147483) * 1000);
  }

  frame.src = config.launchUrl;
})();
