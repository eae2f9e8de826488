/* 淄博技能在线 demo courseware: the SCO's side of SCORM (public domain, CC0 1.0).
 *
 * index.html is the SCO: it holds the session with the LMS and shows the course's pages, one at
 * a time, in the frame #page. The version comes from <html data-scorm="1.2|2004">.
 *  - finds the LMS API in the parent frames (or the opener): `API` (1.2), `API_1484_11` (2004);
 *  - Initialize; resumes at the saved location; records the pages visited (suspend_data) and
 *    the current page (lesson_location / location), committing at every page;
 *  - the last page is a 3-question self-check: 2 of 3 right passes, with a score; then
 *    passed (1.2) or completed + passed + score.scaled (2004), and Commit;
 *  - on leaving: session time, exit, LMSFinish / Terminate.
 * Without an LMS (the files opened on their own) the pages still work; nothing is saved.
 */
(function () {
  "use strict";

  var PASS = 2; // right answers needed out of 3
  var VERSION = document.documentElement.getAttribute("data-scorm") === "2004" ? "2004" : "1.2";
  var pages = [].map.call(document.querySelectorAll("#toc a"), function (link) {
    return { href: link.getAttribute("href"), title: link.textContent, link: link };
  });
  var frame = document.getElementById("page");
  var where = document.getElementById("where");
  var meter = document.getElementById("meter");
  var status = document.getElementById("lms");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");

  // --- the LMS ------------------------------------------------------------------------------

  function search(win, name) {
    for (var tries = 0; win && tries < 10; tries++) {
      try {
        if (win[name]) return win[name];
      } catch (e) {
        return null; // a frame of another origin: the API is not there
      }
      if (!win.parent || win.parent === win) break;
      win = win.parent;
    }
    return null;
  }

  function findApi(name) {
    return search(window.parent === window ? null : window.parent, name) || search(window.opener, name);
  }

  var names =
    VERSION === "1.2"
      ? {
          api: "API",
          init: "LMSInitialize",
          get: "LMSGetValue",
          set: "LMSSetValue",
          commit: "LMSCommit",
          finish: "LMSFinish",
          location: "cmi.core.lesson_location",
          exit: "cmi.core.exit",
          sessionTime: "cmi.core.session_time",
        }
      : {
          api: "API_1484_11",
          init: "Initialize",
          get: "GetValue",
          set: "SetValue",
          commit: "Commit",
          finish: "Terminate",
          location: "cmi.location",
          exit: "cmi.exit",
          sessionTime: "cmi.session_time",
        };
  var api = findApi(names.api);
  var connected = false;
  var finished = false;
  var started = new Date().getTime();

  function get(element) {
    return connected ? String(api[names.get](element) || "") : "";
  }

  function set(element, value) {
    if (connected) api[names.set](element, String(value));
  }

  function commit() {
    if (connected) api[names.commit]("");
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function sessionTime() {
    var seconds = Math.round((new Date().getTime() - started) / 1000);
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return VERSION === "1.2" ? pad(h) + ":" + pad(m) + ":" + pad(s) : "PT" + h + "H" + m + "M" + s + "S";
  }

  function done() {
    if (VERSION === "1.2") return /^(passed|completed)$/.test(get("cmi.core.lesson_status"));
    return get("cmi.completion_status") === "completed" && get("cmi.success_status") === "passed";
  }

  // --- pages --------------------------------------------------------------------------------

  var visited = [];
  var current = 0;

  function restore() {
    try {
      var saved = JSON.parse(get("cmi.suspend_data") || "{}");
      if (saved.visited && saved.visited.length) visited = saved.visited.map(Number);
    } catch (e) {
      visited = [];
    }
    var location = parseInt(get(names.location), 10);
    return location >= 1 && location <= pages.length ? location - 1 : 0;
  }

  function record() {
    if (visited.indexOf(current + 1) < 0) visited.push(current + 1);
    visited.sort(function (a, b) {
      return a - b;
    });
    set(names.location, current + 1);
    set("cmi.suspend_data", JSON.stringify({ visited: visited }));
    if (VERSION === "2004" && !done()) {
      // The self-check counts once it is passed: until then, at most (pages - 1) / pages.
      var read = visited.filter(function (n) {
        return n < pages.length;
      }).length;
      set("cmi.progress_measure", (read / pages.length).toFixed(2));
    }
    commit();
  }

  function show(index) {
    current = Math.max(0, Math.min(pages.length - 1, index));
    frame.src = pages[current].href;
    where.textContent = "第 " + (current + 1) + " / " + pages.length + " 页 · " + pages[current].title;
    meter.style.width = Math.round(((current + 1) / pages.length) * 100) + "%";
    prev.disabled = current === 0;
    next.disabled = current === pages.length - 1;
    pages.forEach(function (page, i) {
      page.link.classList.toggle("seen", visited.indexOf(i + 1) >= 0 || i === current);
      if (i === current) page.link.setAttribute("aria-current", "page");
      else page.link.removeAttribute("aria-current");
    });
    record();
    window.scrollTo(0, 0);
  }

  function fit() {
    try {
      var inner = frame.contentDocument.documentElement;
      frame.style.height = "0px";
      frame.style.height = inner.scrollHeight + 8 + "px";
    } catch (e) {
      /* keep the height from the stylesheet */
    }
  }

  // --- the self-check -----------------------------------------------------------------------

  function report(right, total) {
    var raw = Math.round((right / total) * 100);
    var passed = right >= PASS;
    if (VERSION === "1.2") {
      set("cmi.core.score.min", 0);
      set("cmi.core.score.max", 100);
      set("cmi.core.score.raw", raw);
      if (passed) {
        set("cmi.core.lesson_status", "passed");
        set(names.exit, "");
      }
    } else {
      set("cmi.score.min", 0);
      set("cmi.score.max", 100);
      set("cmi.score.raw", raw);
      set("cmi.score.scaled", (right / total).toFixed(4));
      set("cmi.success_status", passed ? "passed" : "failed");
      if (passed) {
        set("cmi.completion_status", "completed");
        set("cmi.progress_measure", "1");
        set(names.exit, "normal");
      }
    }
    commit();
  }

  function grade(form, doc) {
    var questions = form.querySelectorAll("fieldset[data-answer]");
    var right = 0;
    var unanswered = 0;
    [].forEach.call(questions, function (question) {
      var chosen = question.querySelector("input:checked");
      var ok = !!chosen && chosen.value === question.getAttribute("data-answer");
      if (!chosen) unanswered += 1;
      if (ok) right += 1;
      question.classList.toggle("right", ok);
      question.classList.toggle("wrong", !!chosen && !ok);
      var why = question.querySelector(".why");
      if (why) why.hidden = !chosen;
    });
    var result = doc.getElementById("result");
    var unseen = 0;
    for (var n = 1; n < pages.length; n++) if (visited.indexOf(n) < 0) unseen += 1;
    var score = Math.round((right / questions.length) * 100);
    var text;
    var passed = false;
    if (unanswered) {
      text = "还有 " + unanswered + " 道题没有作答。";
    } else if (unseen) {
      text = "还有 " + unseen + " 页没有学习，请先学完前面的内容再提交。";
    } else {
      var already = done();
      passed = right >= PASS;
      if (!already) report(right, questions.length); // a review after passing changes nothing
      text =
        "答对 " + right + " / " + questions.length + " 题，得分 " + score + "。" +
        (passed || already
          ? already
            ? "本课件此前已完成。"
            : "自测通过，本课件已完成。"
          : "答对 " + PASS + " 题即可通过，请看解析后重新作答。");
      result.setAttribute("data-score", String(score));
    }
    result.className = "result" + (unanswered || unseen ? "" : passed ? " pass" : " fail");
    result.setAttribute("data-passed", passed ? "true" : "false");
    result.textContent = text;
    if (done()) status.textContent = "已完成";
    fit();
  }

  function bindQuiz() {
    var doc = frame.contentDocument;
    var form = doc && doc.getElementById("check");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      grade(form, doc);
    });
  }

  // --- start and finish ---------------------------------------------------------------------

  function finish() {
    if (!connected || finished) return;
    finished = true;
    set(names.sessionTime, sessionTime());
    if (!done()) set(names.exit, "suspend");
    api[names.finish]("");
  }

  if (api) {
    connected = String(api[names.init]("")) === "true";
  }
  if (connected) {
    if (VERSION === "1.2") {
      var lessonStatus = get("cmi.core.lesson_status");
      if (!lessonStatus || lessonStatus === "not attempted") set("cmi.core.lesson_status", "incomplete");
    } else if (get("cmi.completion_status") !== "completed") {
      set("cmi.completion_status", "incomplete");
    }
    // Leaving before the end keeps the data for next time, even if the LMS ends the session
    // before this page's own unload code runs.
    if (!done()) set(names.exit, "suspend");
    status.textContent = done() ? "已完成" : "学习记录会自动保存";
  } else {
    status.textContent = "未连接学习平台：可以浏览，学习记录不会保存。";
  }

  frame.addEventListener("load", function () {
    fit();
    bindQuiz();
  });
  window.addEventListener("resize", fit);
  prev.addEventListener("click", function () {
    show(current - 1);
  });
  next.addEventListener("click", function () {
    show(current + 1);
  });
  pages.forEach(function (page, i) {
    page.link.addEventListener("click", function (event) {
      event.preventDefault();
      // Forward only one page at a time: the pages are studied in order.
      if (i <= current || visited.indexOf(i + 1) >= 0 || visited.indexOf(i) >= 0) show(i);
    });
  });
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);

  window.sco = { version: VERSION, connected: connected, show: show, finish: finish };
  show(restore());
})();
