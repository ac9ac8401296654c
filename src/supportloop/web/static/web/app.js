/* supportloop: keyboard shortcuts and small behaviours. No inline scripts (CSP script-src 'self'). */
(function () {
  "use strict";

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function singleKeysOn() { return document.body.getAttribute("data-single-keys") !== "off"; }

  /* Keys are bound by physical position (event.code), so j on a Russian (о) or Chinese layout is still j.
     Shifted letters are not shortcuts; "?" is Shift+Slash or whatever key types "?" on the layout. */
  var CODES = {KeyJ: "j", KeyK: "k", KeyO: "o", KeyX: "x", KeyR: "r", KeyN: "n", KeyU: "u", KeyG: "g", KeyI: "i",
    Slash: "/"};
  function shortcutKey(event) {
    if (event.key === "?" || (event.code === "Slash" && event.shiftKey)) { return "?"; }
    if (event.code && CODES[event.code]) { return event.shiftKey ? null : CODES[event.code]; }
    if (!event.code && event.key && event.key.length === 1 && !event.shiftKey) { return event.key.toLowerCase(); }
    return event.key;  /* Enter, ArrowDown, ArrowUp, Escape ... */
  }
  function singleKey(key) { return !!key && key.length === 1; }

  /* Lists (the inbox): j/k or Down/Up move the selection, o or Enter open it, x toggles its checkbox. */
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table.inbox tbody tr[data-href]")); }
  function select(index) {
    var list = rows();
    if (!list.length) { return; }
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) { row.classList.remove("sel"); row.removeAttribute("aria-selected"); });
    var row = list[index];
    row.classList.add("sel");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector("td.subj a");
    if (link) {
      link.setAttribute("aria-keyshortcuts", singleKeysOn() ? "Enter O" : "Enter");
      link.focus({preventScroll: true});
    }
    row.scrollIntoView({block: "nearest"});
    announce(((link && link.textContent) || "").trim() + " (" + (index + 1) + "/" + list.length + ")");
  }
  function currentIndex() {
    var list = rows();
    for (var i = 0; i < list.length; i++) { if (list[i].classList.contains("sel")) { return i; } }
    return -1;
  }

  /* The "?" dialog lists the shortcuts of this page; Esc closes it and focus goes back where it was. */
  var dialogReturn = null;
  function shortcutsOpen() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (!dialog || dialog.open) { return; }
    var scopes = {
      inbox: !!document.querySelector("table.inbox"),
      ticket: !!document.querySelector("[data-workspace]"),
      search: !!document.querySelector("[data-search-field]"),
      global: true
    };
    dialog.querySelectorAll("[data-scope]").forEach(function (section) {
      section.hidden = !scopes[section.getAttribute("data-scope")];
    });
    dialog.querySelectorAll("[data-single]").forEach(function (item) { item.hidden = !singleKeysOn(); });
    dialogReturn = document.activeElement;
    dialog.showModal();
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) { shortcutsOpen(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog) {
      dialog.addEventListener("close", function () {
        if (dialogReturn && dialogReturn.focus && document.contains(dialogReturn)) { dialogReturn.focus(); }
        dialogReturn = null;
      });
    }
    /* The reply and note choices carry their keys for assistive technology. */
    if (singleKeysOn()) {
      var reply = document.querySelector("input[name=kind][value=reply]");
      var note = document.querySelector("input[name=kind][value=note]");
      if (reply) { reply.setAttribute("aria-keyshortcuts", "R"); }
      if (note) { note.setAttribute("aria-keyshortcuts", "N"); }
    }
  });

  /* Ctrl/Cmd+Enter sends from anywhere in the composer (the one shortcut that works while typing). */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing || event.keyCode === 229) {
      return;
    }
    var form = event.target.closest && event.target.closest("form.composer");
    if (!form || (event.target.matches && event.target.matches("[data-search-field]"))) { return; }
    event.preventDefault();
    var send = form.querySelector("[data-send]");
    if (send && !send.disabled) { form.requestSubmit(send); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.isComposing || event.keyCode === 229 || typing(event.target)) { return; }
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && dialog.open) { return; }  /* the dialog handles its own keys (Esc closes it) */
    var key = shortcutKey(event);
    if (singleKey(key) && !singleKeysOn()) { return; }  /* WCAG 2.1.4: the user turned them off */
    if (key === "?") { shortcutsOpen(); event.preventDefault(); return; }
    if (document.querySelector("table.inbox")) {
      if (key === "j" || key === "ArrowDown") { select(currentIndex() + 1); event.preventDefault(); return; }
      if (key === "k" || key === "ArrowUp") { select(Math.max(0, currentIndex() - 1)); event.preventDefault(); return; }
      if (key === "o" || (key === "Enter" && currentIndex() >= 0 && !event.target.closest("a,button"))) {
        var list = rows(), i = currentIndex();
        if (i >= 0) { window.location.href = list[i].getAttribute("data-href"); event.preventDefault(); }
        return;
      }
      if (key === "x") {
        var r = rows()[currentIndex()];
        if (r) {
          var box = r.querySelector("input[type=checkbox]");
          box.checked = !box.checked;
          announce(box.checked ? announcerText("selected") : announcerText("unselected"));
          event.preventDefault();
        }
        return;
      }
    }
    var workspace = document.querySelector("[data-workspace]");
    if (workspace) {
      if (key === "r" || key === "n") {
        var radio = document.querySelector("input[name=kind][value=" + (key === "r" ? "reply" : "note") + "]");
        if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", {bubbles: true})); }
        var body = document.getElementById("id_body");
        if (body) { body.focus(); event.preventDefault(); }
        if (radio) { announce(((radio.closest("label") || radio).textContent || "").trim()); }
        return;
      }
      if (key === "u") { window.location.href = workspace.getAttribute("data-inbox"); return; }
    }
    if (key === "/") {
      var search = document.querySelector("[data-global-search]") || document.querySelector("[data-search]");
      if (search) { search.focus(); event.preventDefault(); }
    } else if (key === "g") {
      window.__g = Date.now();
    } else if (key === "i" && window.__g && Date.now() - window.__g < 1000) {
      window.location.href = "/";
    }
  });

  /* Search fields inside other forms (macro, feedback, merge: data-search-field, data-results="id of the results").
     Enter never submits the surrounding form: it applies the highlighted result or does nothing. Up/Down move the
     highlight. Nothing happens while an input method is composing (isComposing, keyCode 229). */
  function composing(event) { return event.isComposing || event.keyCode === 229; }
  function searchOptions(input) {
    var box = document.getElementById(input.getAttribute("data-results"));
    return box ? Array.prototype.slice.call(box.querySelectorAll("button, input[type=radio]")) : [];
  }
  function optionLabel(option) {
    var label = option.closest("label");
    return ((label || option).textContent || "").trim().replace(/\s+/g, " ");
  }
  function optionBox(option) { return option.closest("label") || option; }
  function searchHighlighted(input) {
    var options = searchOptions(input);
    for (var i = 0; i < options.length; i++) { if (optionBox(options[i]).classList.contains("hl")) { return i; } }
    return -1;
  }
  function searchHighlight(input, index) {
    var options = searchOptions(input);
    if (!options.length) { return; }
    index = (index + options.length) % options.length;
    options.forEach(function (o) { optionBox(o).classList.remove("hl"); optionBox(o).removeAttribute("aria-current"); });
    var box = optionBox(options[index]);
    box.classList.add("hl");
    box.setAttribute("aria-current", "true");
    box.scrollIntoView({block: "nearest"});
    announce(optionLabel(options[index]) + " (" + (index + 1) + "/" + options.length + ")");
  }
  function searchApply(input, option) {
    if (option.type === "radio") {
      option.checked = true;
      option.dispatchEvent(new Event("change", {bubbles: true}));
    } else {
      option.click();
    }
    announce(optionLabel(option));
  }
  var searchEnterAt = 0;
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-search-field]")) { return; }
    if (composing(event)) { searchEnterAt = event.key === "Enter" || event.keyCode === 229 ? Date.now() : searchEnterAt; return; }
    if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      searchEnterAt = Date.now();
      var i = searchHighlighted(input);
      if (i >= 0) { searchApply(input, searchOptions(input)[i]); }
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!searchOptions(input).length) { return; }
      event.preventDefault();
      var at = searchHighlighted(input);
      searchHighlight(input, event.key === "ArrowDown" ? at + 1 : (at < 0 ? -1 : at - 1));
    } else if (event.key === "Escape" && searchHighlighted(input) >= 0) {
      event.preventDefault();
      searchOptions(input).forEach(function (o) { optionBox(o).classList.remove("hl"); optionBox(o).removeAttribute("aria-current"); });
    }
  }, true);
  /* A second guard: a submission the browser starts from Enter in a search field (or from an IME commit there) is
     cancelled; only a click on the form's own button submits it. */
  document.addEventListener("submit", function (event) {
    var active = document.activeElement;
    if (active && active.matches && active.matches("[data-search-field]") && event.target.contains(active)
        && Date.now() - searchEnterAt < 1000) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function announcerText(name) {
    var region = document.getElementById("announcer");
    return (region && region.getAttribute("data-" + name)) || name;
  }
  /* Announcements for assistive technology: the role=status region in base.html (present from page load). */
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 30);
  }

  /* Clicking a row (outside a control) selects it. */
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("table.inbox tbody tr[data-href]");
    if (row && !event.target.closest("a,input,button,label")) { select(rows().indexOf(row)); }
  });

  /* Select all rows in the inbox. */
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      rows().forEach(function (row) {
        var box = row.querySelector("input[type=checkbox]");
        if (box) { box.checked = event.target.checked; }
      });
    }
  });

  /* Ticket workspace: the text selected inside a message becomes the quote of "link to feedback" and "file bug". */
  document.addEventListener("mouseup", captureSelection);
  document.addEventListener("keyup", captureSelection);
  function captureSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed) { return; }
    var node = selection.anchorNode;
    var message = node && (node.nodeType === 1 ? node : node.parentElement).closest("[data-message-id]");
    if (!message) { return; }
    var text = selection.toString().trim();
    if (!text) { return; }
    document.querySelectorAll("[data-quote-target]").forEach(function (field) { field.value = text; });
    document.querySelectorAll("[data-quote-message]").forEach(function (field) {
      field.value = message.getAttribute("data-message-id");
    });
  }

  /* On a phone-width screen, panels marked data-collapse-narrow start closed. */
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia("(max-width: 900px)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) { d.open = false; });
    }
  });

  /* Confirmation for destructive buttons: data-confirm="question". */
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  /* The header search box: type-ahead results (htmx) below it; Down/Up move through them, Enter opens the
     highlighted one or, with none highlighted, submits the box (the results page, or the ticket/contact it names),
     Esc closes the list. */
  function suggestOptions() {
    return Array.prototype.slice.call(document.querySelectorAll("#site-search-results [data-search-option]"));
  }
  function suggestSelect(index) {
    var list = suggestOptions(), box = document.getElementById("site-search");
    list.forEach(function (o) { o.classList.remove("sel"); o.removeAttribute("aria-selected"); });
    if (index < 0 || !list.length) { box.removeAttribute("aria-activedescendant"); return; }
    var option = list[Math.min(index, list.length - 1)];
    option.classList.add("sel");
    option.setAttribute("aria-selected", "true");
    if (!option.id) { option.id = "search-option-" + Math.min(index, list.length - 1); }
    box.setAttribute("aria-activedescendant", option.id);
  }
  function suggestIndex() {
    return suggestOptions().findIndex(function (o) { return o.classList.contains("sel"); });
  }
  document.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-global-search]") || composing(event)) { return; }
    var list = suggestOptions(), i = suggestIndex();
    if (event.key === "ArrowDown" && list.length) { suggestSelect(i + 1); event.preventDefault(); }
    else if (event.key === "ArrowUp" && list.length) { suggestSelect(i - 1); event.preventDefault(); }
    else if (event.key === "Enter" && i >= 0) { window.location.href = list[i].getAttribute("href"); event.preventDefault(); }
    else if (event.key === "Escape") { document.getElementById("site-search-results").innerHTML = ""; }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "site-search-results") { return; }
    var box = document.getElementById("site-search");
    box.setAttribute("aria-expanded", suggestOptions().length ? "true" : "false");
    box.removeAttribute("aria-activedescendant");
  });
})();
