/* The respondent pages (/s/<token>) work without this script; it only helps:
   - the error summary takes focus when the page opens (where the browser did not honour autofocus), so a
     keyboard or screen-reader user hears what to fix first and can follow its links to the fields;
   - a form is sent once: a second press while the first is on its way does nothing (no double answers).
   It never moves on by itself when an answer is chosen: the respondent decides when to go on. */
(function () {
  "use strict";

  function ready() {
    var summary = document.getElementById("error-summary");
    if (summary && document.activeElement !== summary) summary.focus();
    var form = document.getElementById("survey-form");
    if (!form || !form.getAttribute("action")) return; // a preview has nothing to send
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "yes") {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "yes";
    });
    window.addEventListener("pageshow", function () {
      form.dataset.sending = ""; // back to this page from the browser's history: it may be sent again
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
