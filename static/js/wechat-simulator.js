/* The WeChat official-account simulator (DEBUG only, wechat/simulator.py).
 *
 * Each message goes: the sign view builds it as WeChat's XML and signs it with the token (which
 * stays on the server) -> this script POSTs that body to the real endpoint /wechat/?signature=…
 * -> the reply XML (decrypted by the open view in safe mode) is shown as chat bubbles. */
(function () {
  "use strict";
  var root = document.getElementById("wechat-simulator");
  if (!root) return;
  var config = JSON.parse(document.getElementById("wechat-simulator-config").textContent);
  var text = JSON.parse(document.getElementById("wechat-simulator-text").textContent);
  var chat = document.getElementById("wx-chat");
  var openidInput = document.getElementById("wx-openid");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");

  function format(template, value) { return template.replace("%s", value); }

  function postJson(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : ""},
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || format(text.status, response.status));
        return body;
      });
    });
  }

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  function bubble(kind) {
    var item = document.createElement("li");
    item.className = "wx-bubble " + kind;
    chat.appendChild(item);
    return item;
  }

  function say(kind, words) { bubble(kind).textContent = words; scrollDown(); }

  function safeHref(href) {
    return /^(https?:\/\/|\/(?!\/))/i.test(href) ? href : null;
  }

  // WeChat's text replies may carry <a href="…">…</a> and bare links: made into real links,
  // every other character shown as text (nothing from the reply is parsed as HTML).
  function appendLinked(parent, content) {
    var pattern = /<a\s+href=(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>|(https?:\/\/[^\s<>"']+)/gi;
    var last = 0, match;
    while ((match = pattern.exec(content)) !== null) {
      parent.appendChild(document.createTextNode(content.slice(last, match.index)));
      var href = safeHref(match[2] || match[4]);
      var label = match[3] !== undefined ? match[3] : match[4];
      if (href) {
        var link = document.createElement("a");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = label;
        parent.appendChild(link);
      } else {
        parent.appendChild(document.createTextNode(match[0]));
      }
      last = pattern.lastIndex;
    }
    parent.appendChild(document.createTextNode(content.slice(last)));
  }

  function field(node, name) {
    var child = node.getElementsByTagName(name)[0];
    return child ? child.textContent : "";
  }

  function showReply(xml) {
    document.getElementById("wx-raw-reply").textContent = xml;
    if (!xml.trim() || xml.trim() === "success") { say("system", text.noReply); return; }
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) { say("error", xml); return; }
    var type = field(doc, "MsgType");
    var item = bubble("in");
    if (type === "text") {
      appendLinked(item, field(doc, "Content"));
    } else if (type === "news") {
      var articles = doc.getElementsByTagName("item");
      for (var i = 0; i < articles.length; i++) {
        var article = document.createElement("span");
        article.className = "wx-article";
        var href = safeHref(field(articles[i], "Url"));
        var title = document.createElement(href ? "a" : "strong");
        if (href) { title.href = href; title.target = "_blank"; title.rel = "noopener"; }
        title.textContent = field(articles[i], "Title");
        article.appendChild(title);
        var description = field(articles[i], "Description");
        if (description) article.appendChild(document.createTextNode("\n" + description));
        item.appendChild(article);
      }
    } else {
      item.textContent = format(text.other, type || "?");
    }
    scrollDown();
  }

  function send(type, value, label) {
    var openid = openidInput.value.trim();
    if (!openid) { say("error", text.noOpenid); openidInput.focus(); return Promise.resolve(); }
    say("out", label);
    return postJson(config.sign, {openid: openid, type: type, text: value || ""})
      .then(function (signed) {
        document.getElementById("wx-raw-url").textContent = signed.url;
        document.getElementById("wx-raw-request").textContent = signed.xml;
        return fetch(signed.url, {
          method: "POST",
          credentials: "omit",  // WeChat's servers carry no cookie
          headers: {"Content-Type": "text/xml; charset=utf-8"},
          body: signed.body
        });
      })
      .then(function (response) {
        return response.text().then(function (body) {
          if (!response.ok) throw new Error(format(text.status, response.status));
          if (body.indexOf("<Encrypt>") === -1) return body;
          return postJson(config.open, {xml: body}).then(function (opened) { return opened.xml; });
        });
      })
      .then(showReply)
      .catch(function (error) { say("error", text.failed + error.message); });
  }

  document.getElementById("wx-send").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("wx-text");
    var words = input.value.trim();
    if (!words) return;
    input.value = "";
    send("text", words, words);
  });
  document.getElementById("wx-subscribe").addEventListener("click", function () {
    send("subscribe", "", text.subscribe);
  });
  document.getElementById("wx-unsubscribe").addEventListener("click", function () {
    send("unsubscribe", "", text.unsubscribe);
  });
  Array.prototype.forEach.call(root.querySelectorAll(".wx-keyword"), function (button) {
    button.addEventListener("click", function () { send("text", button.dataset.text, button.dataset.text); });
  });

  function closeMenus(except) {
    Array.prototype.forEach.call(root.querySelectorAll(".wx-menu-parent"), function (parent) {
      if (parent === except) return;
      parent.setAttribute("aria-expanded", "false");
      document.getElementById(parent.getAttribute("aria-controls")).hidden = true;
    });
  }
  Array.prototype.forEach.call(root.querySelectorAll(".wx-menu-parent"), function (parent) {
    parent.addEventListener("click", function () {
      var list = document.getElementById(parent.getAttribute("aria-controls"));
      closeMenus(parent);
      list.hidden = !list.hidden;
      parent.setAttribute("aria-expanded", String(!list.hidden));
    });
  });
  Array.prototype.forEach.call(root.querySelectorAll(".wx-menu-button"), function (button) {
    button.addEventListener("click", function () {
      closeMenus(null);
      var label = format(text.menu, button.textContent.trim());
      if (button.dataset.type === "view") {
        // WeChat opens the page and tells the account with a VIEW event.
        var href = safeHref(button.dataset.url);
        if (href) window.open(href, "_blank", "noopener");
        send("view", button.dataset.url, label).then(function () {
          if (href) say("system", format(text.opened, href));
        });
      } else {
        send("click", button.dataset.key, label);
      }
    });
  });
})();
