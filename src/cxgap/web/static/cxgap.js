/* The dashboard's behaviour in the browser, beside htmx: served by cxgap itself.
   - A filter change marks the shown numbers as the previous selection's at once (dimmed, aria-busy, a
     status line) until the new page arrives: stale numbers never pass for the new ones.
   - A period that starts after it ends is refused in the form, next to the fields, and no request is sent.
   - An error answer (4xx/5xx) replaces the page, so its sentence shows instead of the old numbers (htmx
     leaves the page as it was on errors by default).
   - Wide tables scroll inside their own box rather than the whole page (phones). */
(function () {
  "use strict";

  var UPDATING = "Updating: the numbers below are for the previous selection until the new ones arrive.";

  function filtersOf(element) {
    return element && element.closest ? element.closest("form.filters") : null;
  }

  function status(text, failed) {
    var note = document.getElementById("updating");
    if (!note) return;
    note.textContent = text;
    note.classList.toggle("failed", !!failed);
  }

  function markUpdating() {
    var content = document.getElementById("content");
    if (content) {
      content.setAttribute("aria-busy", "true");
      content.dataset.state = "updating";
    }
    status(UPDATING, false);
  }

  function markSettled() {
    var content = document.getElementById("content");
    if (content) {
      content.removeAttribute("aria-busy");
      delete content.dataset.state;
    }
    status("", false);
  }

  /* The sentence that refuses the form's period, or "" when it is a period (either end may be open). */
  function periodProblem(form) {
    var since = form.elements.namedItem("since");
    var until = form.elements.namedItem("until");
    if (!since || !until || !since.value || !until.value || since.value <= until.value) return "";
    return "The period starts (" + since.value + ") after it ends (" + until.value + "): " +
      "pick a 'to month' on or after the 'from month'.";
  }

  /* Show (or clear) the form's problem next to its fields; returns the problem. */
  function checkForm(form) {
    var problem = periodProblem(form);
    var message = form.querySelector(".problem");
    if (message) message.textContent = problem;
    ["since", "until"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || !field.setCustomValidity) return;
      field.setCustomValidity(problem);
      if (problem) {
        field.setAttribute("aria-invalid", "true");
        if (message) field.setAttribute("aria-describedby", message.id);
      } else {
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
      }
    });
    return problem;
  }

  document.addEventListener("change", function (event) {
    var form = filtersOf(event.target);
    if (!form) return;
    if (checkForm(form)) markSettled();
    else markUpdating();
  });

  function refuse(form) {
    form.dataset.refused = String(Number(form.dataset.refused || 0) + 1); // tests and scripts can tell
    markSettled();
  }

  // htmx validates a form before sending it: the period's custom validity stops the request here
  document.addEventListener("htmx:validation:halted", function (event) {
    var form = filtersOf(event.detail.elt || event.target);
    if (form) refuse(form);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = filtersOf(event.detail.elt);
    if (!form || form !== event.detail.elt) return;
    if (checkForm(form)) {
      event.preventDefault(); // refused in the form: nothing is sent
      refuse(form);
      return;
    }
    markUpdating();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status < 400 || !detail.target || detail.target.id !== "page") return;
    if (/id="page"/.test(detail.serverResponse || "")) {
      detail.shouldSwap = true; // the error page, with its sentence, replaces the old numbers
      detail.isError = false;
    } else {
      detail.shouldSwap = false;
      status("The server answered " + detail.xhr.status + " without a page: the numbers below are " +
        "for the previous selection. Try again, or reload the page.", true);
    }
  });

  function unreachable() {
    status("The server could not be reached: the numbers below are for the previous selection. " +
      "Try again, or reload the page.", true);
  }
  document.addEventListener("htmx:sendError", unreachable);
  // the page kept for the Back button is the settled one, never the one marked as updating
  document.addEventListener("htmx:beforeHistorySave", markSettled);
  document.addEventListener("htmx:timeout", unreachable);

  /* Wrap each table in a box of its own that scrolls sideways; one that does scroll is reachable by
     keyboard (a named region with tabindex), as a scrolling box must be. */
  function fitTables(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll("main table"), function (table) {
      var box = table.parentElement;
      if (!box.classList.contains("table-scroll")) {
        box = document.createElement("div");
        box.className = "table-scroll";
        table.parentNode.insertBefore(box, table);
        box.appendChild(table);
      }
      labelIfScrolling(box, table);
    });
  }

  function labelIfScrolling(box, table) {
    var caption = table.querySelector("caption");
    var name = caption ? caption.textContent.trim() : (table.id ? table.id.replace(/[-_]/g, " ") : "table");
    nameIfScrolling(box, name);
  }

  /* A box wider than its screen becomes a named region reachable by keyboard; one that fits is plain. */
  function nameIfScrolling(box, name) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name + " (scrolls sideways)");
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  /* On a phone a chart keeps its drawn size (its labels stay readable) and scrolls sideways in its own
     box, which is then reachable by keyboard and named after the chart. */
  function fitCharts(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll(".chart-svg"), function (box) {
      var title = box.parentElement ? box.parentElement.querySelector(".chart-title") : null;
      nameIfScrolling(box, title ? title.textContent.trim() : "chart");
    });
  }

  function refit() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), function (box) {
      var table = box.querySelector("table");
      if (table) labelIfScrolling(box, table);
    });
    fitCharts(document);
  }

  function fitAll(root) {
    fitTables(root);
    fitCharts(root);
  }

  if (window.htmx) window.htmx.onLoad(fitAll);
  else document.addEventListener("DOMContentLoaded", function () { fitAll(document); });
  window.addEventListener("resize", refit);
})();
