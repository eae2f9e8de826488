/* What every page does, from a file: the Content-Security-Policy allows no inline script, no
 * inline event handler and no style attribute on the platform's pages (docs/security.md).
 * - the language menu (select[data-autosubmit]) submits its form when changed;
 * - a read-only field to copy (input[data-select-on-click]) is selected when clicked;
 * - a progress bar's fill ([role=progressbar] > [data-fill]) is as wide as its aria-valuenow;
 * - the service worker (its URL in this script's data-service-worker) is registered. */
(function () {
  "use strict";
  var script = document.currentScript;

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) target.form.submit();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[data-select-on-click]")) target.select();
  });

  function fillBars() {
    var fills = document.querySelectorAll("[role=progressbar] > [data-fill]");
    for (var i = 0; i < fills.length; i++) {
      var value = parseFloat(fills[i].parentNode.getAttribute("aria-valuenow"));
      // Set through the DOM (CSSOM), which the policy allows, unlike a style="" attribute.
      fills[i].style.width = (isFinite(value) ? Math.max(0, Math.min(100, value)) : 0) + "%";
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fillBars);
  else fillBars();

  var worker = script && script.getAttribute("data-service-worker");
  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker, {scope: "/"}).catch(function () {});
    });
  }
})();
