/* cxgap's survey widget: one question (NPS or CSAT) in an accessible dialog on the company's own site, with
   no dependencies and nothing from a CDN. Include it from the cxgap server, naming the survey and the event
   that shows it:

     <script>window.cxgap = window.cxgap || function () { (window.cxgap.q = window.cxgap.q || []).push(arguments); };</script>
     <script src="https://cxgap.example/static/cxgap-widget.js" data-survey="web-nps" data-event="checkout_done" async></script>

   and when the moment comes: window.cxgap("event", "checkout_done", {customer: "C123"}) (the customer is
   optional), or document.dispatchEvent(new CustomEvent("checkout_done", {detail: {customer: "C123"}})).
   The widget asks the server for a fresh one-question invitation (POST /api/respond/widget/<survey>), shows
   the question in a modal <dialog> (a fieldset of radio buttons, keyboard and screen-reader friendly, in a
   shadow root so the site's styles and ours stay apart), posts the answer (POST /api/respond/<token>) and
   thanks. It shows at most once per page, and not again in this browser for data-quiet-days (default 30)
   after it was answered or closed. Any failure leaves the site as it was. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-survey")) return;
  var base = new URL(script.src, window.location.href).origin;
  var survey = script.getAttribute("data-survey");
  var configured = script.getAttribute("data-event");
  var quietDays = Number(script.getAttribute("data-quiet-days") || "30");
  var KEY = "cxgap-widget:" + survey;
  var started = false;
  var CSS = [
    ":host { all: initial; }",
    "dialog { box-sizing: border-box; width: calc(100% - 2rem); max-width: 30rem; border: 0; border-radius: 8px;",
    "  padding: 1.25rem; color: #1f1f1f; background: #fff; font: 16px/1.5 system-ui, sans-serif; }",
    "dialog::backdrop { background: rgba(0, 0, 0, 0.45); }",
    "fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }",
    "legend { font-weight: 700; font-size: 1.1rem; margin-bottom: 0.75rem; padding: 0; }",
    ".company { margin: 0 0 0.5rem; font-weight: 700; }",
    ".scale { display: flex; flex-wrap: wrap; gap: 0.375rem; }",
    ".option { position: relative; flex: 1 0 2.75rem; max-width: 3.5rem; }",
    ".option input { position: absolute; inset: 0; width: 100%; height: 100%; margin: 0; opacity: 0; cursor: pointer; }",
    ".option span { display: flex; align-items: center; justify-content: center; min-height: 44px;",
    "  border: 2px solid #595959; border-radius: 6px; font-weight: 600; background: #fff; color: #1f1f1f; }",
    ".option input:checked + span { background: var(--brand); border-color: var(--brand); color: var(--on-brand); }",
    ".option input:focus-visible + span, button:focus-visible { outline: 3px solid #1f1f1f; outline-offset: 2px; }",
    ".ends { display: flex; justify-content: space-between; margin: 0.25rem 0 0; font-size: 0.95rem; }",
    ".hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".problem { color: #b00020; font-weight: 700; min-height: 1.5em; margin: 0.5rem 0; }",
    ".actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin-top: 0.5rem; }",
    "button { font: inherit; font-weight: 700; min-height: 48px; padding: 0.5rem 1.1rem; border-radius: 6px; cursor: pointer; }",
    "button.primary { background: var(--brand); color: var(--on-brand); border: 2px solid var(--brand); }",
    "button.secondary { background: #fff; color: #1f1f1f; border: 2px solid #595959; }",
    ".thanks { font-weight: 700; font-size: 1.1rem; margin: 0 0 1rem; }"
  ].join("\n");

  function quiet() {
    try {
      var when = Number(window.localStorage.getItem(KEY) || "0");
      return when > 0 && Date.now() - when < quietDays * 86400000;
    } catch (error) {
      return false;
    }
  }

  function remember() {
    try {
      window.localStorage.setItem(KEY, String(Date.now()));
    } catch (error) { /* storage refused (private mode): it may ask again on another page */ }
  }

  function onBrand(hex) {
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2] > 0.179 ? "#1f1f1f" : "#ffffff";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function post(path, body) {
    return window.fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit"
    });
  }

  function scale(ask) {
    var set = el("fieldset");
    set.appendChild(el("legend", { id: "cxgap-question" }, ask.question.text));
    var row = el("div", { "class": "scale" });
    for (var n = ask.scale[0]; n <= ask.scale[1]; n += 1) {
      var label = el("label", { "class": "option" });
      label.appendChild(el("input", { type: "radio", name: "answer", value: String(n) }));
      var shown = el("span", {}, String(n));
      var end = n === ask.scale[0] ? ask.labels.low : n === ask.scale[1] ? ask.labels.high : "";
      if (end) shown.appendChild(el("span", { "class": "hidden" }, ", " + end));
      label.appendChild(shown);
      row.appendChild(label);
    }
    set.appendChild(row);
    var ends = el("p", { "class": "ends", "aria-hidden": "true" });
    ends.appendChild(el("span", {}, ask.labels.low));
    ends.appendChild(el("span", {}, ask.labels.high));
    set.appendChild(ends);
    return set;
  }

  function show(ask) {
    var host = el("div", { "data-cxgap-widget": survey });
    var root = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (error) {
      root.appendChild(el("style", {}, CSS));
    }
    var dialog = el("dialog", { "aria-labelledby": "cxgap-question", lang: ask.language || "en" });
    dialog.style.setProperty("--brand", ask.brand.primary);
    dialog.style.setProperty("--on-brand", onBrand(ask.brand.primary));
    var form = el("form", { novalidate: "" });
    if (ask.brand.company) form.appendChild(el("p", { "class": "company" }, ask.brand.company));
    form.appendChild(scale(ask));
    var problem = el("p", { "class": "problem", role: "alert" });
    form.appendChild(problem);
    var actions = el("div", { "class": "actions" });
    var send = el("button", { type: "submit", "class": "primary" }, ask.words.submit);
    var close = el("button", { type: "button", "class": "secondary" }, ask.words.close);
    actions.appendChild(send);
    actions.appendChild(close);
    form.appendChild(actions);
    dialog.appendChild(form);
    root.appendChild(dialog);
    document.body.appendChild(host);
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      remember();
      host.remove();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input[name=answer]:checked");
      if (!chosen) {
        problem.textContent = ask.words.problem || "Please choose an answer.";
        form.querySelector("input[name=answer]").focus();
        return;
      }
      send.disabled = true;
      var answers = {};
      answers[ask.question.id] = Number(chosen.value);
      post("/api/respond/" + encodeURIComponent(ask.token), { answers: answers, language: ask.language })
        .then(function (answer) {
          return answer.json().then(function (body) { return { ok: answer.ok, body: body }; });
        })
        .then(function (result) {
          if (!result.ok) {
            send.disabled = false;
            var said = result.body.problems ? Object.keys(result.body.problems).map(function (k) {
              return result.body.problems[k];
            }).join(" ") : result.body.detail;
            problem.textContent = said || "The answer could not be sent.";
            return;
          }
          remember();
          form.replaceChildren();
          var thanks = el("p", { "class": "thanks", role: "status", tabindex: "-1", id: "cxgap-question" },
            result.body.thanks || ask.thanks);
          form.appendChild(thanks);
          var done = el("button", { type: "button", "class": "primary" }, ask.words.close);
          done.addEventListener("click", function () { dialog.close(); });
          form.appendChild(done);
          done.focus();
        })
        ["catch"](function () {
          send.disabled = false;
          problem.textContent = "The answer could not be sent; please try again.";
        });
    });
    dialog.showModal();
  }

  function start(detail) {
    if (started || quiet()) return;
    started = true;
    var body = {};
    if (detail && detail.customer) body.customer = String(detail.customer);
    body.language = (detail && detail.language) || document.documentElement.lang || "";
    post("/api/respond/widget/" + encodeURIComponent(survey), body)
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (ask) { if (ask) show(ask); })
      ["catch"](function () { /* the server is unreachable: the site goes on as it was */ });
  }

  function cxgap(command, name, detail) {
    if (command === "event" && (!configured || name === configured)) start(detail || {});
  }

  var earlier = window.cxgap && window.cxgap.q ? window.cxgap.q : [];
  window.cxgap = cxgap;
  for (var i = 0; i < earlier.length; i += 1) cxgap.apply(null, earlier[i]);
  if (configured) {
    document.addEventListener(configured, function (event) { start(event.detail || {}); });
  }
})();
