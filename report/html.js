(function () {
  // Print everything: open the collapsed sections while printing, close them afterwards.
  var opened = [];
  addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; opened.push(d); });
  });
  addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  // Mark the document with how many charts have drawn (laid out with a size and marks).
  var charts = document.querySelectorAll("svg.chart"), drawn = 0;
  charts.forEach(function (s) {
    var r = s.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && s.querySelectorAll("rect,circle,path").length > 0) drawn++;
  });
  document.documentElement.setAttribute("data-charts-drawn", drawn + "/" + charts.length);
})();
