/* The LMS side of SCORM, inside the package's sandboxed frame.
 *
 * scorm.views.content puts three scripts at the top of every HTML page of a package, before the
 * package's own: the learner's saved data (window.__ZIBO_SCORM__), scorm-again, and this file.
 * The frame has no session (an opaque origin, or a host of its own) and cannot reach the
 * player's window.API, so the runtime lives here, in the package's page:
 *  - window.API (SCORM 1.2) or window.API_1484_11 (2004) is set on this window, loaded with the
 *    learner's saved data, so the package's usual search (this window, then its parents, then
 *    the opener) finds it. A page whose parent (or opener) in the same package already holds the
 *    runtime gets none of its own, and finds that one, as SCOs expect.
 *  - Commits go to the signed link the page came with (/scorm/commit/<token>/), which can save
 *    this learner's data for this lesson and nothing else: synchronously while the page is open
 *    (SCORM's semantics: LMSCommit says whether it was saved); with fetch keepalive while the
 *    page is being left (browsers refuse synchronous requests then). The player's page cannot
 *    carry them: when the learner leaves, it is torn down together with this frame and the
 *    package's last commit (LMSFinish, with exit and session time) would be lost.
 *  - The player is told what happens (initialized, committed, failed, terminated) by
 *    postMessage, to the platform's origin only, for its status line; it trusts nothing else.
 */
(function () {
  "use strict";

  var data = window.__ZIBO_SCORM__;
  if (!data || typeof data !== "object" || window.__ziboScormRuntime) return;
  var is12 = data.version === "1.2";
  var KEEPALIVE_LIMIT = 60000; // browsers cap keepalive bodies at 64 KiB in flight
  var unloading = false;

  function holdsRuntime(win) {
    try {
      return !!(win && win.__ziboScormRuntime);
    } catch (e) {
      return false; // another origin: the player's page, or another opaque document
    }
  }

  function aboveHoldsRuntime(start) {
    var win = start;
    for (var tries = 0; win && tries < 10; tries++) {
      if (holdsRuntime(win)) return true;
      if (!win.parent || win.parent === win) break;
      win = win.parent;
    }
    return false;
  }

  var opener = null;
  try {
    opener = window.opener;
  } catch (e) {
    opener = null;
  }
  if ((window.parent !== window && aboveHoldsRuntime(window.parent)) || aboveHoldsRuntime(opener)) return;

  function notify(kind, extra) {
    var message = { source: "zibo-scorm", kind: kind };
    if (extra) {
      Object.keys(extra).forEach(function (key) {
        message[key] = extra[key];
      });
    }
    try {
      window.top.postMessage(message, data.platformOrigin);
    } catch (e) {
      /* no player above (the page opened on its own): nothing to tell */
    }
  }

  var runtime = (window.__ziboScormRuntime = {
    version: data.version,
    initialized: false,
    terminated: false,
    commits: 0,
    failures: 0,
    last: null,
  });

  function succeeded(text) {
    runtime.commits += 1;
    try {
      runtime.last = JSON.parse(text);
    } catch (e) {
      runtime.last = null;
    }
    notify("committed", { completed: !!(runtime.last && runtime.last.completed === true) });
    return { result: "true", errorCode: 0 };
  }

  function failed(status) {
    runtime.failures += 1;
    notify("failed", { status: typeof status === "number" ? status : 0 });
    return { result: "false", errorCode: 391 }; // General commit failure
  }

  function body(params) {
    var cmi = params && params.cmi ? params.cmi : params;
    return JSON.stringify({ cmi: cmi, channel: data.channel });
  }

  function byteLength(text) {
    return window.Blob ? new Blob([text]).size : text.length * 3;
  }

  // text/plain: a "simple" request, so no CORS preflight from the opaque frame; the server
  // reads the body as JSON whatever its type.
  var TYPE = "text/plain;charset=UTF-8";

  function sendInBackground(text) {
    fetch(data.commitUrl, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      keepalive: true,
      headers: { "Content-Type": TYPE },
      body: text,
    })
      .then(function (response) {
        return response.text().then(function (answer) {
          return response.ok ? succeeded(answer) : failed(response.status);
        });
      })
      .catch(failed);
    return { result: "true", errorCode: 0 };
  }

  function sendNow(text) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", data.commitUrl, false);
    xhr.setRequestHeader("Content-Type", TYPE);
    xhr.send(text);
    return xhr.status >= 200 && xhr.status < 300 ? succeeded(xhr.responseText) : failed(xhr.status);
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
        return small ? sendInBackground(text) : failed(0);
      }
    },
    updateSettings: function () {},
  };

  var Runtime = is12 ? window.Scorm12API : window.Scorm2004API;
  if (typeof Runtime !== "function") {
    notify("unavailable");
    return;
  }
  var api = new Runtime({
    lmsCommitUrl: data.commitUrl,
    httpService: httpService,
    dataCommitFormat: "json",
    sendFullCommit: true,
    autocommit: true,
    autocommitSeconds: data.autocommitSeconds,
    logLevel: 4,
  });
  try {
    api.loadFromJSON(data.cmi);
  } catch (e) {
    // Saved data the runtime refuses must not stop the learner from studying.
    if (window.console) console.warn("SCORM: saved data not restored", e);
  }
  api.on(is12 ? "LMSInitialize" : "Initialize", function () {
    runtime.initialized = true;
    notify("initialized");
  });
  api.on(is12 ? "LMSFinish" : "Terminate", function () {
    runtime.terminated = true;
    notify("terminated");
  });
  runtime.api = api;

  // The API as a property that a package's own `var API = null;` (common: the ADL sample code
  // keeps the API it finds in a global of that name) cannot erase: an assignment is kept and
  // read back, except null, which reads as the runtime, as the search then expects.
  function install(name) {
    var assigned = null;
    Object.defineProperty(window, name, {
      configurable: true,
      enumerable: true,
      get: function () {
        return assigned || api;
      },
      set: function (value) {
        assigned = value;
      },
    });
  }
  install(is12 ? "API" : "API_1484_11");

  // SCORM 2004's discovery algorithm (and many SCOs of either version) looks for the API in the
  // SCO's parent and the parent's parents, never in the SCO's own window; here the parent is the
  // player, of another origin, where reading anything throws. `parent` (and `opener`) are
  // replaceable properties of a window: this page's parent becomes a stand-in that holds the
  // API and passes postMessage, focus and blur on to the real parent. Only on a page that holds
  // its own runtime, i.e. whose parent could not be read (the package's outer page; in an opaque
  // sandbox every page): a page framed by another page of the package keeps its real parent.
  function standIn(real) {
    var stand = {
      postMessage: function () {
        return real.postMessage.apply(real, arguments);
      },
      focus: function () {
        real.focus();
      },
      blur: function () {
        real.blur();
      },
      closed: false,
      opener: null,
      top: window.top,
    };
    stand.parent = stand.self = stand.window = stand;
    Object.defineProperty(stand, is12 ? "API" : "API_1484_11", {
      enumerable: true,
      get: function () {
        return window[is12 ? "API" : "API_1484_11"];
      },
    });
    return stand;
  }

  function replaceWindow(name, real) {
    var stand = standIn(real);
    try {
      Object.defineProperty(window, name, {
        configurable: true,
        enumerable: true,
        get: function () {
          return stand;
        },
        set: function () {},
      });
    } catch (e) {
      /* an older browser: SCOs that search this window itself still find the API */
    }
  }

  if (window.parent !== window) {
    replaceWindow("parent", window.parent);
  } else if (opener) {
    replaceWindow("opener", opener);
  }

  function finishForThePackage() {
    unloading = true;
    // The SCO did not finish (its own unload code did not run, or has not yet): finish for it,
    // so that what it set is saved; a later LMSFinish from the SCO is then a harmless error.
    if (runtime.initialized && !runtime.terminated) {
      try {
        if (is12) api.LMSFinish("");
        else api.Terminate("");
      } catch (e) {
        /* nothing more can be done while the page goes away */
      }
    }
  }

  window.addEventListener("beforeunload", function () {
    unloading = true;
  });
  window.addEventListener("pagehide", function () {
    unloading = true;
  });
  // Registered once the package's own scripts have registered theirs, so that the package's
  // unload code (exit, session time, LMSFinish) runs first.
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      window.addEventListener("pagehide", finishForThePackage);
    }, 0);
  });
})();
