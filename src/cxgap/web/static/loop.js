/* The closed loop's screens in the browser (cxgap.web.loop), beside htmx and cxgap.js:
   - "Tick every case on this page" ticks and unticks the inbox's rows.
   - A refused action (400, 409) still shows its page part: the sentence, or who changed the case meanwhile
     (htmx leaves the page as it was on errors by default).
   - After a swap, focus goes where the person was (the same control) or to what just happened (the
     refusal, the conflict, the status line), so keyboard and screen-reader users are not sent to the top.
   - A case's deadline counts down each minute from the loop's clock as the page read it. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || box.id !== "tick-all") return;
    var table = box.closest("table");
    if (!table) return;
    Array.prototype.forEach.call(table.querySelectorAll("input[name=case_id]"), function (row) {
      row.checked = box.checked;
    });
  });

  var LOOP_PARTS = ["case", "inbox", "loop-inbox"];
  var focusedId = null;
  var swapping = false; // a loop part is being swapped: place the focus once it has settled

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var target = detail.target;
    if (!target || LOOP_PARTS.indexOf(target.id) < 0) return;
    swapping = true;
    focusedId = document.activeElement && document.activeElement.id ? document.activeElement.id : null;
    if (detail.xhr.status < 400) return;
    if (new RegExp('id="' + target.id + '"').test(detail.serverResponse || "")) {
      detail.shouldSwap = true; // the refusal's sentence replaces the part it concerns
      detail.isError = false;
    }
  });

  function visible(id) {
    var found = id ? document.getElementById(id) : null;
    return found && found.offsetParent !== null ? found : null;
  }

  // settling events fire on the new content (the old part is gone), so a flag, not the event's target
  document.addEventListener("htmx:afterSettle", function () {
    if (!swapping) return;
    swapping = false;
    var status = document.getElementById("case-status") || document.getElementById("inbox-message");
    var told = visible("case-conflict") || visible("case-problem") ||
      (status && status.textContent.trim() ? status : null);
    var next = told || visible(focusedId);
    if (next) {
      if (!next.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(next.tagName)) {
        next.setAttribute("tabindex", "-1");
      }
      next.focus();
    }
    tick();
  });

  /* The countdown: "due in 5 h 20 min" / "overdue by 3 h", from the seconds left when the page was read. */
  function words(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) return days + " d" + (hours ? " " + hours + " h" : "");
    if (hours) return hours + " h" + (mins ? " " + mins + " min" : "");
    return mins + " min";
  }

  var loaded = Date.now();
  function tick() {
    var sla = document.getElementById("case-sla");
    if (!sla || sla.dataset.seconds === undefined) return;
    if (!sla.dataset.readAt) sla.dataset.readAt = String(Date.now());
    var left = Number(sla.dataset.seconds) - (Date.now() - Number(sla.dataset.readAt || loaded)) / 1000;
    sla.textContent = left < 0 ? "overdue by " + words(left) : "due in " + words(left);
    sla.classList.toggle("sla-overdue", left < 0);
  }
  document.addEventListener("DOMContentLoaded", tick);
  window.setInterval(tick, 60000);
})();
