// Draws the page's charts with Chart.js from the inert JSON block #chart-data (no inline script:
// the CSP stays script-src 'self'). Each <canvas data-chart="id"> gets the spec of that id; the
// table next to it holds the same numbers. Exposes window.insoleCharts for live.js.
(function () {
  'use strict';
  var PALETTE = ['#1b6ca8', '#d1495b', '#2e8b57', '#8e5ea2', '#e08a00', '#5f6b73', '#00838f', '#a0522d'];
  var source = document.getElementById('chart-data');
  if (!source || typeof window.Chart === 'undefined') return;
  var specs = JSON.parse(source.textContent || '{}');
  var charts = {};
  var reduced = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  function colours(spec, i) {
    if (spec.type === 'doughnut') return spec.labels.map(function (_, j) { return PALETTE[j % PALETTE.length]; });
    return PALETTE[i % PALETTE.length];
  }

  function config(spec) {
    var horizontal = Boolean(spec.horizontal);
    var axes = spec.type === 'doughnut' ? undefined : {
      x: { stacked: Boolean(spec.stacked), ticks: { maxRotation: 0, autoSkip: true } },
      y: { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: { precision: 0 } },
    };
    return {
      type: spec.type,
      data: {
        labels: spec.labels.slice(),
        datasets: spec.series.map(function (s, i) {
          return { label: s.label, data: s.data.slice(), backgroundColor: colours(spec, i), borderColor: colours(spec, i) };
        }),
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x', responsive: true, maintainAspectRatio: false, animation: reduced ? false : { duration: 300 },
        scales: axes, plugins: { legend: { display: spec.series.length > 1 || spec.type === 'doughnut', position: 'bottom' } },
      },
    };
  }

  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var spec = specs[canvas.getAttribute('data-chart')];
    if (spec) charts[canvas.getAttribute('data-chart')] = new window.Chart(canvas, config(spec));
  });

  /** Adds `count` to (label, series) of a chart and of its table: a live sign-in lands in both. */
  function add(id, label, seriesLabel, count) {
    var chart = charts[id];
    if (!chart) return;
    var index = chart.data.labels.indexOf(label);
    if (index < 0) return;
    var dataset = chart.data.datasets.find(function (d) { return d.label === seriesLabel; });
    if (!dataset) {
      var i = chart.data.datasets.length;
      dataset = { label: seriesLabel, data: chart.data.labels.map(function () { return 0; }), backgroundColor: PALETTE[i % PALETTE.length], borderColor: PALETTE[i % PALETTE.length] };
      chart.data.datasets.push(dataset);
      chart.options.plugins.legend.display = true;
    }
    dataset.data[index] += count;
    chart.update();
    var table = document.querySelector('table[data-table="' + id + '"]');
    if (!table) return;
    var head = table.tHead.rows[0];
    var column = Array.prototype.map.call(head.cells, function (c) { return c.textContent; }).indexOf(seriesLabel);
    if (column < 0) { // a connection the range had not seen: the table gets its column, as the chart got its series
      var th = document.createElement('th');
      th.scope = 'col';
      th.textContent = seriesLabel;
      head.appendChild(th);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) { r.insertCell().textContent = '0'; });
      column = head.cells.length - 1;
    }
    var row = Array.prototype.find.call(table.tBodies[0].rows, function (r) { return r.cells[0].textContent === label; });
    if (row && column > 0) row.cells[column].textContent = (Number(row.cells[column].textContent.replace(/,/g, '')) + count).toLocaleString('en-US');
  }

  window.insoleCharts = { add: add };
  // When every widget is drawn (ms since navigation start): what bench/dashboard.ts reads.
  document.documentElement.setAttribute('data-charts-drawn', String(Math.round(performance.now())));
})();
