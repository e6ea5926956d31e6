/* The supervisor dashboard's charts: each table marked data-chart is drawn from its own cells
   (the columns whose header has data-series; the total row is listed, not drawn), so a chart
   always shows the numbers of the table beneath it and of its CSV. Chart.js is vendored in
   static/vendor/chart.js. Without JavaScript the tables are all there is, and all is there. */
(function () {
  "use strict";
  const COLOURS = ["#2f6f8f", "#c0602b", "#5b8c3a", "#8a4f9e", "#b8913a", "#3d3d3d"];

  function number(text) {
    const trimmed = text.trim();
    if (trimmed === "") return null;
    const value = Number(trimmed);
    return Number.isFinite(value) ? value : null;
  }

  function draw(table) {
    const kind = table.dataset.chart;
    const heads = Array.from(table.tHead.rows[0].cells);
    const rows = Array.from(table.tBodies[0].rows).filter(function (r) { return !r.hasAttribute("data-total"); });
    const datasets = [];
    let counts = true;  // only whole numbers drawn: no 0.2-tick axis
    heads.forEach(function (th, column) {
      if (!th.hasAttribute("data-series")) return;
      counts = counts && th.dataset.series === "int";
      const colour = COLOURS[datasets.length % COLOURS.length];
      datasets.push({
        label: th.textContent.trim(),
        data: rows.map(function (r) { return number(r.cells[column].textContent); }),
        borderColor: colour,
        backgroundColor: colour,
        pointRadius: kind === "line" && rows.length > 40 ? 0 : 3,
      });
    });
    const holder = document.createElement("div");
    holder.className = "chart";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Chart: " + table.caption.textContent.trim() + ". The table below has its numbers.");
    canvas.dataset.chartFor = table.dataset.table;
    holder.appendChild(canvas);
    const figure = table.closest(".insight-table");
    figure.insertBefore(holder, figure.querySelector(".insight-rows, .table-wrap"));
    new window.Chart(canvas, {
      type: kind,
      data: { labels: rows.map(function (r) { return r.cells[0].textContent.trim(); }), datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: counts ? { precision: 0 } : {} } },
      },
    });
  }

  function start() {
    if (typeof window.Chart === "undefined") return;  // the tables stand alone
    document.querySelectorAll("table[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
