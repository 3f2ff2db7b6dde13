/* Charts in the browser (issue 17): a tooltip on every mark with its value, interval and n (the mark's own
   description, which the server rounds), a PNG of a chart drawn from its inline SVG, the view's print
   button, and the "download view" link kept on the exact page shown. Served by cxgap itself. */
(function () {
  "use strict";

  var MARK = ".chart svg .role-mark [aria-label]";
  var tip = null;

  function tooltip() {
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "chart-tip";
      tip.id = "chart-tip";
      tip.setAttribute("role", "tooltip");
      tip.hidden = true;
      document.body.appendChild(tip);
    }
    return tip;
  }

  function place(event) {
    var box = tooltip();
    var x = event.clientX + 14, y = event.clientY + 14;
    var room = window.innerWidth - box.offsetWidth - 8;
    box.style.left = Math.max(4, Math.min(x, room)) + "px";
    box.style.top = (y + box.offsetHeight > window.innerHeight ? event.clientY - box.offsetHeight - 10 : y) + "px";
  }

  document.addEventListener("mouseover", function (event) {
    var mark = event.target.closest ? event.target.closest(MARK) : null;
    var box = tooltip();
    if (!mark) { box.hidden = true; return; }
    box.textContent = mark.getAttribute("aria-label");
    box.hidden = false;
    place(event);
  });
  document.addEventListener("mousemove", function (event) { if (tip && !tip.hidden) { place(event); } });
  document.addEventListener("scroll", function () { if (tip) { tip.hidden = true; } }, true);

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  /* The chart's own SVG drawn on a canvas at twice its size, then saved as PNG. */
  function png(button) {
    var svg = button.closest("figure.chart").querySelector(".chart-svg svg");
    if (!svg) { return; }
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    var width = Number(svg.getAttribute("width")), height = Number(svg.getAttribute("height"));
    var source = new XMLSerializer().serializeToString(copy);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = width * 2;
      canvas.height = height * 2;
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) { save(blob, button.getAttribute("data-name")); }, "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(source);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest(".chart-png")) { png(target.closest(".chart-png")); }
    if (target.closest(".view-print")) { window.print(); }
    var keep = target.closest(".view-html");
    if (keep) {  // the exact view shown, with every parameter of its address (a drivers level, say)
      keep.href = "/export/view.html?page=" + encodeURIComponent(location.pathname + location.search);
    }
  });

  /* The buttons work only with this script, so they appear with it (also after htmx swaps a view in). */
  function reveal() {
    document.querySelectorAll(".chart-png[hidden], .view-print[hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);
  if (document.readyState !== "loading") { reveal(); }
})();
