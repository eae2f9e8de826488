/* 统一报表's charts, drawn with Chart.js (static/vendor/chartjs, loaded before this file) from
   the figures the page embeds as JSON (<script id="report-chart-data" type="application/json">,
   Django's json_script): the districts' completions of this period and the previous one beside
   their yearly task, and the completions and trainees of each quarter of the year. The tables
   on the page hold the same figures for screen readers. */
(function () {
  "use strict";
  var source = document.getElementById("report-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var styles = getComputedStyle(document.documentElement);
  function colour(name, fallback) {
    var value = styles.getPropertyValue(name).trim();
    return value || fallback;
  }
  var brand = colour("--zb-brand-mark", "#07c160");
  var muted = colour("--zb-line-strong", "#b2b2b2");
  var accent = "#fa9d3b";
  window.Chart.defaults.font.family = colour("--zb-font", window.Chart.defaults.font.family);
  window.reportCharts = {};

  var districts = data.districts;
  var districtCanvas = document.getElementById("chart-districts");
  if (districtCanvas && districts && districts.labels.length) {
    window.reportCharts.districts = new window.Chart(districtCanvas, {
      type: "bar",
      data: {
        labels: districts.labels,
        datasets: [
          { label: districts.names.completions, data: districts.completions, backgroundColor: brand },
          { label: districts.names.previous, data: districts.previous, backgroundColor: muted },
          // The yearly task dwarfs a quarter's completions: shown on a tap on its legend.
          { label: districts.names.tasks, data: districts.tasks, backgroundColor: accent, hidden: true }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              // Under the figures of a district: its task and the share of it completed.
              footer: function (items) {
                if (!items.length) {
                  return "";
                }
                var index = items[0].dataIndex;
                var task = districts.tasks[index];
                if (task === null || task === undefined) {
                  return districts.names.noTask;
                }
                var share = task ? (100 * districts.completions[index] / task).toFixed(1) + " %" : "–";
                return districts.names.tasks + " " + task + " · " + share;
              }
            }
          }
        }
      }
    });
  }

  var quarters = data.quarters;
  var quarterCanvas = document.getElementById("chart-quarters");
  if (quarterCanvas && quarters && quarters.labels.length) {
    window.reportCharts.quarters = new window.Chart(quarterCanvas, {
      type: "bar",
      data: {
        labels: quarters.labels,
        datasets: [
          { label: quarters.names.trainees, data: quarters.trainees, backgroundColor: muted },
          { label: quarters.names.completions, data: quarters.completions, backgroundColor: brand }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
})();
