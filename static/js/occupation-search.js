/* 我要培训: suggestions for the occupation field as the person types (demand/views.py
   occupation_search). They fill the <datalist> (desktop browsers) and a list of buttons under
   the field (phones and WeChat's browser, where a datalist may not show); choosing one puts
   "code name" in the field, which the server reads by its code. Without script the field still
   works: the server resolves a code or a name and offers the candidates to choose from. */
(function () {
  "use strict";
  var input = document.querySelector("input[data-search-url]");
  if (!input) return;
  var datalist = document.getElementById("occupation-options");
  var list = document.getElementById("occupation-suggestions");
  var status = document.getElementById("occupation-status");
  var timer = null;
  var asked = "";

  function clear() {
    datalist.textContent = "";
    list.textContent = "";
  }

  function show(results) {
    clear();
    results.forEach(function (item) {
      var label = item.code + " " + item.name;
      var option = document.createElement("option");
      option.value = label;
      datalist.appendChild(option);
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = item.name + "（" + item.code + "）";
      button.addEventListener("click", function () {
        input.value = label;
        clear();
        status.textContent = "";
        input.focus();
      });
      li.appendChild(button);
      list.appendChild(li);
    });
    status.textContent = results.length ? input.dataset.found + results.length : input.dataset.none;
  }

  function search() {
    var text = input.value.trim();
    if (text === asked) return;
    asked = text;
    if (!text || /^\d-\d\d-\d\d-\d\d /.test(text)) {
      clear();
      status.textContent = "";
      return;
    }
    fetch(input.dataset.searchUrl + "?q=" + encodeURIComponent(text), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (body) { if (asked === text) show(body.results || []); })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
