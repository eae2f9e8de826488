/* Quiz player for a quiz lesson (quizzes/quiz_player.html): shows the learner's record on the
 * quiz, starts (or resumes) an attempt through /api/v1/quizzes/, renders the questions as radio
 * and checkbox groups, submits, and shows the score with the explanations.
 * One score scale throughout: the quiz's points (满分 = the sum of its questions' points, 及格 =
 * the fewest points that pass), as the server-rendered scale line says before this script runs.
 * Plain ES2017, no build step and no libraries, so it also runs in WeChat's in-app browser.
 * All text from the server is inserted as text (textContent), never as HTML. */
(function () {
  "use strict";
  const root = document.getElementById("quiz");
  if (!root || !window.fetch) return;

  const lessonId = root.dataset.lesson;
  const channel = root.dataset.channel || "pc";
  const heading = root.querySelector(".quiz-title");
  const status = root.querySelector(".quiz-status");
  const scaleLine = root.querySelector(".quiz-scale");
  const body = root.querySelector(".quiz-body");
  const API = "/api/v1/quizzes/";
  const KIND_LABEL = {single: "单选题", multiple: "多选题", true_false: "判断题"};
  const KIND_HINT = {single: "请选择一个答案", multiple: "可选择多个答案", true_false: "请判断正误"};
  let timer = null;
  let submitting = false;

  // --- helpers --------------------------------------------------------------------------------

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function call(method, url, data) {
    const options = {method: method, credentials: "same-origin", headers: {Accept: "application/json"}};
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken();
      options.body = JSON.stringify(data || {});
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (networkError) {
      const error = new Error("网络连接失败，请检查网络后重试。");
      error.status = 0;
      throw error;
    }
    let payload = null;
    try { payload = await response.json(); } catch (notJson) { payload = null; }
    if (!response.ok) {
      const error = new Error((payload && payload.detail) || "请求失败（" + response.status + "），请稍后重试。");
      error.status = response.status;
      error.payload = payload;
      throw error;
    }
    return {status: response.status, data: payload};
  }

  // el("p", {class: "x"}, "text", child, ...): an element with attributes and text/element children.
  function el(tag, attrs) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      const value = attrs[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "class") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    for (let i = 2; i < arguments.length; i++) {
      const child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function say(message, kind) {
    status.textContent = message || "";
    status.className = "quiz-status" + (kind ? " quiz-" + kind : "");
  }

  function show() {
    body.textContent = "";
    for (let i = 0; i < arguments.length; i++) if (arguments[i]) body.appendChild(arguments[i]);
  }

  function focusOn(node) {
    if (!node) return;
    node.setAttribute("tabindex", "-1");
    node.focus();
  }

  function stopTimer() {
    if (timer) { clearInterval(timer); timer = null; }
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  // The scale line under the heading: 满分 12 分 · 及格 8 分 · 共 5 题.
  function showScale(maxPoints, passPoints, questions) {
    if (!scaleLine) return;
    scaleLine.textContent = "";
    [
      "满分 ", el("strong", {}, maxPoints), " 分 · 及格 ", el("strong", {}, passPoints), " 分 · 共 " + questions + " 题",
    ].forEach(function (part) {
      scaleLine.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    scaleLine.hidden = false;
  }

  function bestText(s) {
    if (s.best_points === null || s.best_points === undefined) return "—";
    return s.best_points + " 分" + (s.best_max_points !== s.max_points ? "（满分 " + s.best_max_points + " 分）" : "");
  }

  function failed(error, retry) {
    if (error.status === 401) {
      say("请先登录后再参加测验。", "error");
      show(el("p", {}, el("a", {href: "/accounts/login/?next=" + encodeURIComponent(location.pathname)}, "登录")));
      return;
    }
    say(error.message, "error");
    show(retry ? el("button", {type: "button", class: "quiz-button", onclick: retry}, "重试") : null);
  }

  // --- summary ----------------------------------------------------------------------------------

  async function loadSummary(thenStart) {
    stopTimer();
    say("正在载入测验……");
    try {
      const summary = (await call("GET", API + "lessons/" + lessonId + "/")).data;
      renderSummary(summary);
      if (thenStart && summary.attempts_left !== 0) startAttempt();
    } catch (error) {
      failed(error, function () { loadSummary(false); });
    }
  }

  function renderSummary(s) {
    heading.textContent = s.title;
    showScale(s.max_points, s.pass_points, s.question_count);
    say(s.passed ? "您已通过本测验。" : "");
    const facts = el("dl", {class: "quiz-facts"},
      el("dt", {}, "作答次数"),
      el("dd", {}, s.max_attempts ? "已用 " + s.attempts_used + " / " + s.max_attempts + " 次" : "已用 " + s.attempts_used + " 次（不限次数）"),
      el("dt", {}, "答题时间"), el("dd", {}, s.time_limit_minutes ? s.time_limit_minutes + " 分钟" : "不限时"),
      el("dt", {}, "最好成绩"), el("dd", {}, bestText(s)));
    let action;
    if (s.open_attempt) {
      action = el("button", {type: "button", class: "quiz-button", onclick: startAttempt}, "继续作答");
    } else if (s.attempts_left === 0) {
      action = el("p", {class: "quiz-muted"}, "作答次数已用完。");
    } else if (!s.question_count) {
      action = el("p", {class: "quiz-muted"}, "本测验还没有题目。");
    } else {
      action = el("button", {type: "button", class: "quiz-button", onclick: startAttempt},
        s.attempts_used ? "再测一次" : "开始测验");
    }
    show(s.passed ? el("p", {class: "quiz-badge"}, "已通过") : null, facts, action);
  }

  // --- attempt --------------------------------------------------------------------------------

  async function startAttempt(event) {
    if (event && event.target) event.target.disabled = true;
    say("正在准备试题……");
    try {
      renderAttempt((await call("POST", API + "lessons/" + lessonId + "/attempts/")).data);
    } catch (error) {
      failed(error, function () { loadSummary(false); });
    }
  }

  function questionField(question, index) {
    const type = question.kind === "multiple" ? "checkbox" : "radio";
    const legend = el("legend", {},
      el("span", {class: "quiz-number"}, (index + 1) + "."),
      el("span", {class: "quiz-kind"}, "［" + KIND_LABEL[question.kind] + "］"),
      question.stem,
      el("span", {class: "quiz-points"}, "（" + question.points + " 分）"));
    const hintId = "quiz-hint-" + question.id;
    const fieldset = el("fieldset", {class: "quiz-question", "aria-describedby": hintId, "data-question": question.id},
      legend, el("p", {class: "quiz-hint", id: hintId}, KIND_HINT[question.kind]));
    question.choices.forEach(function (choice, i) {
      const id = "quiz-q" + question.id + "-c" + choice.id;
      fieldset.appendChild(el("label", {class: "quiz-choice", for: id},
        el("input", {type: type, id: id, name: "q" + question.id, value: choice.id}),
        el("span", {class: "quiz-letter"}, question.kind === "true_false" ? "" : String.fromCharCode(65 + i) + "."),
        el("span", {}, choice.text)));
    });
    return fieldset;
  }

  function collect(form, attempt) {
    const answers = {};
    let unanswered = 0;
    attempt.questions.forEach(function (question) {
      const chosen = Array.prototype.slice.call(form.querySelectorAll("input[name=q" + question.id + "]:checked"))
        .map(function (input) { return Number(input.value); });
      if (chosen.length) answers[question.id] = chosen; else unanswered += 1;
    });
    return {answers: answers, unanswered: unanswered};
  }

  function renderAttempt(attempt) {
    stopTimer();
    submitting = false;
    heading.textContent = attempt.title;
    showScale(attempt.max_points, attempt.pass_points, attempt.questions.length);
    say("第 " + attempt.number + " 次作答，共 " + attempt.questions.length + " 题，满分 " + attempt.max_points + " 分。");
    const form = el("form", {class: "quiz-form", novalidate: true});
    const timerBox = attempt.expires_at ? el("p", {class: "quiz-timer", role: "timer", "aria-live": "off"}) : null;
    attempt.questions.forEach(function (question, i) { form.appendChild(questionField(question, i)); });
    const button = el("button", {type: "submit", class: "quiz-button"}, "交卷");
    form.appendChild(button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const picked = collect(form, attempt);
      if (picked.unanswered && !window.confirm("还有 " + picked.unanswered + " 题未作答，确定交卷吗？")) return;
      submitAttempt(attempt, picked.answers, button);
    });
    show(timerBox, form);
    if (timerBox) runTimer(attempt, form, timerBox, button);
    focusOn(form.querySelector("legend"));
  }

  function runTimer(attempt, form, box, button) {
    const ends = new Date(attempt.expires_at).getTime();
    let warned = false;
    function tick() {
      const left = (ends - Date.now()) / 1000;
      box.textContent = "剩余时间 " + clock(left);
      if (left <= 60 && !warned) { warned = true; box.classList.add("quiz-urgent"); say("答题时间还剩 1 分钟。", "error"); }
      if (left <= 0) {
        stopTimer();
        say("时间到，正在自动交卷……");
        submitAttempt(attempt, collect(form, attempt).answers, button);
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  async function submitAttempt(attempt, answers, button) {
    if (submitting) return;
    submitting = true;
    button.disabled = true;
    say("正在交卷……");
    try {
      const result = (await call("POST", API + "attempts/" + attempt.id + "/submit/", {answers: answers, channel: channel})).data;
      stopTimer();
      renderResult(attempt, result);
    } catch (error) {
      if (error.status === 409) {
        stopTimer();
        say(error.message, "error");
        show(el("button", {type: "button", class: "quiz-button", onclick: function () { loadSummary(false); }}, "返回"));
        return;
      }
      submitting = false;
      button.disabled = false;
      say(error.message + "（答案仍保留在页面上，可再次交卷。）", "error");
    }
  }

  // --- result ---------------------------------------------------------------------------------

  function renderResult(attempt, r) {
    const byId = {};
    r.results.forEach(function (item) { byId[item.question] = item; });
    say(r.passed ? "恭喜，测验通过！" : "很遗憾，本次未通过。", r.passed ? "ok" : "error");
    const summary = el("div", {class: "quiz-score " + (r.passed ? "quiz-pass" : "quiz-fail")},
      el("p", {class: "quiz-score-value"}, r.points + " 分"),
      el("p", {}, "满分 " + r.max_points + " 分，及格 " + r.pass_points + " 分。"),
      r.lesson_completed ? el("p", {}, "本课时已完成。") : null,
      el("p", {class: "quiz-muted"}, r.attempts_left === null ? "本测验不限作答次数。" : "剩余作答次数：" + r.attempts_left + " 次。"));
    const list = el("ol", {class: "quiz-review"});
    attempt.questions.forEach(function (question) {
      const item = byId[question.id];
      if (!item) return;
      const choices = el("ul", {class: "quiz-review-choices"});
      question.choices.forEach(function (choice, i) {
        const right = item.correct_choices.indexOf(choice.id) >= 0;
        const mine = item.selected.indexOf(choice.id) >= 0;
        choices.appendChild(el("li", {class: (right ? "quiz-right" : "") + (mine && !right ? " quiz-wrong" : "")},
          question.kind === "true_false" ? "" : String.fromCharCode(65 + i) + ". ",
          choice.text,
          right ? el("span", {class: "quiz-tag"}, "✓ 正确答案") : null,
          mine ? el("span", {class: "quiz-tag"}, right ? "（您的选择）" : "✗ 您的选择") : null));
      });
      list.appendChild(el("li", {class: "quiz-review-item"},
        el("p", {class: "quiz-review-stem"},
          el("span", {class: item.correct ? "quiz-mark quiz-right" : "quiz-mark quiz-wrong"}, item.correct ? "答对" : "答错"),
          "［" + KIND_LABEL[question.kind] + "］" + question.stem),
        choices,
        item.explanation ? el("p", {class: "quiz-explanation"}, "解析：" + item.explanation) : null));
    });
    const again = r.attempts_left !== 0
      ? el("button", {type: "button", class: "quiz-button", onclick: function () { loadSummary(true); }}, "再测一次")
      : null;
    const back = el("button", {type: "button", class: "quiz-button quiz-secondary", onclick: function () { loadSummary(false); }}, "返回测验概况");
    show(summary, el("h3", {}, "答题解析"), list, el("p", {class: "quiz-actions"}, again, back));
    focusOn(summary.querySelector(".quiz-score-value"));
  }

  loadSummary(false);
})();
