/* Working together (issue 12): composer autosave and the leave warning, presence heartbeats on the ticket page,
   the inbox rows' presence icons and "Draft" marks, and the undo-send countdown. Plain JS beside app.js; every
   part does nothing on pages without its data- attributes. */
(function () {
  "use strict";
  var HEARTBEAT_MS = 10000;
  var INBOX_POLL_MS = 15000;
  var AUTOSAVE_DELAY_MS = 700;
  var TYPING_FRESH_MS = 15000;

  function csrf(form) {
    var input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function savedLabel() {
    var config = document.querySelector("[data-collab-config]");
    return config ? config.getAttribute("data-saved-label") : "";
  }

  function post(url, data, token) {
    var body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token, "X-Requested-With": "fetch"}
    });
  }

  /* Composer: save the text on the server a moment after typing stops; warn before leaving with unsent text. */
  var composer = document.querySelector("form[data-composer][data-draft-url]");
  var lastTyped = 0;
  if (composer) {
    /* The body is looked up each time: applying a macro swaps it (htmx). */
    var bodyOf = function () { return composer.querySelector("textarea[name=body]"); };
    var status = composer.querySelector("[data-draft-status]");
    var discard = composer.querySelector("[data-discard]");
    var timer = null;
    var saved = bodyOf() ? bodyOf().value : "";
    var submitting = false;
    var kindOf = function () {
      var checked = composer.querySelector("input[name=kind]:checked");
      return checked ? checked.value : "reply";
    };
    var save = function () {
      timer = null;
      var body = bodyOf();
      if (!body || body.value === saved) { return; }
      var text = body.value;
      post(composer.getAttribute("data-draft-url"), {body: text, kind: kindOf()}, csrf(composer))
        .then(function (response) {
          if (!response.ok) { return; }
          saved = text;
          if (status) { status.textContent = text.trim() ? (savedLabel() || "Draft saved.") : ""; }
        }).catch(function () {});
    };
    var later = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, AUTOSAVE_DELAY_MS);
    };
    composer.addEventListener("input", function (event) {
      if (event.target.name !== "body") { return; }
      lastTyped = Date.now();
      if (discard) { discard.hidden = !event.target.value.trim(); }
      later();
    });
    composer.addEventListener("change", function (event) {
      if (event.target.name === "kind") { saved = null; later(); }
    });
    composer.addEventListener("submit", function () { submitting = true; if (timer) { clearTimeout(timer); } });
    window.addEventListener("beforeunload", function (event) {
      var body = bodyOf();
      if (submitting || !body || !body.value.trim()) { return; }
      if (timer) { clearTimeout(timer); save(); }
      event.preventDefault();
      event.returnValue = composer.getAttribute("data-leave-warning") || "";
      return event.returnValue;
    });
    window.addEventListener("pageshow", function () { submitting = false; });
  }

  /* Presence: a heartbeat while the ticket is open (replying while typing recently), the line refreshed. */
  var presence = document.querySelector("[data-presence-url]");
  if (presence) {
    var url = presence.getAttribute("data-presence-url");
    var token = csrf(document);
    var beat = function () {
      var state = Date.now() - lastTyped < TYPING_FRESH_MS ? "replying" : "viewing";
      post(url, {state: state}, token).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null && presence.innerHTML.trim() !== html.trim()) { presence.innerHTML = html; }
      }).catch(function () {});
    };
    beat();
    setInterval(beat, HEARTBEAT_MS);
    window.addEventListener("pagehide", function () {
      var data = new FormData();
      data.append("state", "left");
      data.append("csrfmiddlewaretoken", token);
      if (navigator.sendBeacon) { navigator.sendBeacon(url, data); }
    });
  }

  /* Inbox rows: presence icons and the "Draft" mark, polled for the rows on the page. */
  var config = document.querySelector("[data-collab-config]");
  var labels = config ? config.dataset : {};
  var marksUrl = config ? config.getAttribute("data-marks-url") : null;
  function pollMarks() {
    var spans = document.querySelectorAll("[data-collab]");
    if (!spans.length || !marksUrl) { return; }
    var query = new URLSearchParams();
    spans.forEach(function (span) { query.append("n", span.getAttribute("data-collab")); });
    fetch(marksUrl + "?" + query.toString(), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        spans.forEach(function (span) {
          var mark = data.marks[span.getAttribute("data-collab")];
          var parts = [];
          span.textContent = "";
          if (!mark) { return; }
          if (mark.replying.length) {
            parts.push(["presence-icon is-replying", "✍", (labels.replyingLabel || "Replying: ") + mark.replying.join(", ")]);
          } else if (mark.viewing.length) {
            parts.push(["presence-icon is-viewing", "👁", (labels.viewingLabel || "Viewing: ") + mark.viewing.join(", ")]);
          }
          if (mark.draft) { parts.push(["badge draft-mark", labels.draftLabel || "Draft", ""]); }
          parts.forEach(function (part) {
            var el = document.createElement("span");
            el.className = part[0];
            el.textContent = part[1];
            if (part[2]) { el.title = part[2]; el.setAttribute("aria-label", part[2]); el.setAttribute("role", "img"); }
            span.appendChild(el);
            span.appendChild(document.createTextNode(" "));
          });
        });
      }).catch(function () {});
  }
  if (marksUrl && document.querySelector("[data-collab]")) {
    pollMarks();
    setInterval(pollMarks, INBOX_POLL_MS);
    document.body.addEventListener("htmx:afterSwap", pollMarks);
  }

  /* Undo send: count the seconds down; at zero the reply has left and the toast goes. */
  var toast = document.querySelector("[data-undo-toast]");
  if (toast) {
    var left = parseInt(toast.getAttribute("data-seconds"), 10) || 0;
    var counter = toast.querySelector("[data-countdown]");
    var tick = setInterval(function () {
      left -= 1;
      if (counter) { counter.textContent = String(Math.max(0, left)); }
      if (left <= 0) { clearInterval(tick); toast.hidden = true; }
    }, 1000);
  }
})();
