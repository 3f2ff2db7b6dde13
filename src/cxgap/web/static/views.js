/* Saved views in the browser: served by cxgap itself.
   - Shown only to a signed-in person (the page's CSRF token is not empty); a kiosk reader sees nothing.
   - "My views" is filled from /views/mine whenever a page (or a filter swap of it) brings a fresh list box.
   - "Save this view" posts the page's path and query to /api/views; "Delete" deletes through the same API;
     both send the X-CSRF-Token header the page gives htmx, and show the answer's sentence on failure.
   - "Copy link" copies the page address with its filters (absolute), and says so in a status line. */
(function () {
  "use strict";
  if (window.cxgapViews) return; // htmx runs this again when a filter change swaps the page in
  window.cxgapViews = true;

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(id, text) {
    var line = document.getElementById(id);
    if (line) line.textContent = text;
  }

  function refresh() {
    var box = document.getElementById("my-views-list");
    if (!box || !csrf()) return;
    document.getElementById("saved-views").hidden = false;
    box.dataset.loaded = "loading";
    fetch("/views/mine", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("Your saved views could not be listed (" + answer.status + ").");
        return answer.text();
      })
      .then(function (html) {
        box.innerHTML = html; // rendered by the server with every value escaped
        box.dataset.loaded = "yes";
      })
      .catch(function (error) {
        box.dataset.loaded = "failed";
        say("my-views-done", error.message);
      });
  }

  function problemOf(answer) {
    return answer.json().then(
      function (body) { return body.detail || "The view was not saved (" + answer.status + ")."; },
      function () { return "The view was not saved (" + answer.status + ")."; }
    );
  }

  function send(method, url, body) {
    var headers = { "X-CSRF-Token": csrf(), "Accept": "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers, body: body ? JSON.stringify(body) : null
    });
  }

  function save(form) {
    var field = form.elements.namedItem("name");
    var name = field.value.trim();
    say("save-view-problem", "");
    say("save-view-done", "");
    field.removeAttribute("aria-invalid");
    var view = { name: name, path: location.pathname, query: location.search.replace(/^\?/, "") };
    send("POST", "/api/views", view).then(function (answer) {
      if (answer.ok) {
        field.value = "";
        say("save-view-done", "Saved \u201c" + name + "\u201d under My views.");
        var list = document.getElementById("my-views");
        if (list) list.open = true;
        refresh();
        return;
      }
      return problemOf(answer).then(function (problem) {
        field.setAttribute("aria-invalid", "true");
        say("save-view-problem", problem);
      });
    }, function () {
      say("save-view-problem", "The server could not be reached; the view was not saved.");
    });
  }

  function remove(button) {
    send("DELETE", "/api/views/" + encodeURIComponent(button.dataset.view)).then(function (answer) {
      if (answer.ok) {
        say("my-views-done", "Deleted.");
        refresh();
      } else {
        problemOf(answer).then(function (problem) { say("my-views-done", problem); });
      }
    });
  }

  function copy(button) {
    var link = new URL(button.dataset.link, location.origin).href;
    var done = function () { say("my-views-done", "Link copied: " + link); };
    var shown = function () { say("my-views-done", "Copy this link: " + link); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(done, shown);
    } else if (legacyCopy(link, button)) {
      done(); // plain http on a server's name: the browser's older copy command still works
    } else {
      shown(); // no clipboard at all: the link is shown to copy by hand
    }
  }

  function legacyCopy(text, button) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "fixed";
    field.style.left = "-100vw";
    document.body.appendChild(field);
    field.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(field);
    button.focus();
    return copied;
  }

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "save-view") return;
    event.preventDefault();
    save(event.target);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    if (!button) return;
    if (button.classList.contains("copy-link")) copy(button);
    else if (button.classList.contains("delete-view")) remove(button);
  });

  /* a fresh list box (first load, or a page swapped in by a filter change) is filled once */
  function fill() {
    var box = document.getElementById("my-views-list");
    if (box && !box.dataset.loaded) refresh();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
  document.addEventListener("htmx:afterSettle", fill);
})();
