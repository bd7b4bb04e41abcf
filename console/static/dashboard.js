// Draws the dashboard's charts from /dashboard/stats.json with Chart.js.
(function () {
  "use strict";
  function draw(data) {
    var palette = ["#8c1c3b", "#2a6f97", "#e09f3e", "#3a7d44", "#6d597a", "#b56576", "#355070", "#9a8c98", "#588157", "#bc6c25"];
    function chart(id, type, series, opts) {
      var el = document.getElementById("chart-" + id);
      if (!el || !series || !series.labels) return;
      new Chart(el, {
        type: type,
        data: {
          labels: series.labels,
          datasets: [{ label: data.titles.customers, data: series.counts, backgroundColor: type === "line" ? "#8c1c3b33" : palette, borderColor: "#8c1c3b", fill: type === "line" }]
        },
        options: Object.assign({
          responsive: true, animation: false,
          plugins: { title: { display: true, text: data.titles[id] }, legend: { display: type === "doughnut" } }
        }, opts || {})
      });
    }
    chart("channels", "bar", data.channels);
    chart("overlap", "bar", data.overlap, { indexAxis: "y" });
    chart("channel_count", "doughnut", data.channel_count);
    chart("weeks", "line", data.weeks);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("charts");
    if (!box || typeof Chart === "undefined") return;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        // Text on a canvas does not make the browser fetch the font's
        // subsets for its characters (the page's own text does): load
        // the glyphs the charts use first, or they are drawn as boxes.
        var text = JSON.stringify([data.titles, data.channels.labels, data.overlap.labels, data.channel_count.labels, data.weeks.labels]);
        var family = Chart.defaults.font.family;
        var loads = ["400", "700"].map(function (w) { return document.fonts.load(w + " 12px " + family, text); });
        return Promise.all(loads).then(function () { draw(data); }, function () { draw(data); });
      })
      .catch(function () { box.classList.add("failed"); });
  });
})();
