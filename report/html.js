(function () {
  // Print everything: open the collapsed sections while printing, close them afterwards
  // (not the charts' numbers: the printed charts show them, and they run to pages).
  var opened = [];
  addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open]):not(.chartdata)").forEach(function (d) { d.open = true; opened.push(d); });
  });
  addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  // Mark the document with how many charts have drawn (laid out with a size and marks). Each
  // chart is drawn wide and narrow and the stylesheet shows one of them for the screen's
  // width: only the shown ones count.
  var shown = 0, drawn = 0;
  document.querySelectorAll("svg.chart").forEach(function (s) {
    if (getComputedStyle(s).display === "none") return;
    shown++;
    var r = s.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && s.querySelectorAll("rect,circle,path").length > 0) drawn++;
  });
  document.documentElement.setAttribute("data-charts-drawn", drawn + "/" + shown);
})();
