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
    Slash: "/", KeyA: "a", KeyS: "s", KeyT: "t", KeyC: "c"};
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
    if (document.querySelector("dialog[open]")) { return; }  /* so do the palette and the property pickers */
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
          box.dispatchEvent(new Event("change", {bubbles: true}));  /* the bulk bar (bulk.js) counts it */
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
      if (PICKER_FIELDS[key]) { if (pickerOpen(PICKER_FIELDS[key])) { event.preventDefault(); } return; }
      if (key === "c") { if (solveAndNext()) { event.preventDefault(); } return; }
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

  /* Properties saved in place (htmx): a refused change comes back as 422 with the errors beside their fields; swap
     it in like a success (htmx leaves 4xx unswapped by default). */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 422 && target && target.id === "ticket-controls") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  /* Where "solve and next" (c) goes: the inbox page remembers its view (URL) and the tickets it lists, in order,
     per tab (sessionStorage); the next ticket is the row after this one, else the view itself. */
  var VIEW_KEY = "supportloop.view";
  function viewRemember() {
    if (!document.querySelector("table.inbox")) { return; }
    var tickets = rows().map(function (row) { return row.getAttribute("data-href"); });
    try {
      window.sessionStorage.setItem(VIEW_KEY, JSON.stringify(
        {url: window.location.pathname + window.location.search, tickets: tickets}));
    } catch (e) { /* storage off: c then goes back to the inbox */ }
  }
  document.addEventListener("DOMContentLoaded", viewRemember);
  document.addEventListener("htmx:afterSettle", viewRemember);  /* "more" rows appended */
  function viewNext() {
    var workspace = document.querySelector("[data-workspace]");
    var fallback = workspace ? workspace.getAttribute("data-inbox") : "/";
    var view = null;
    try { view = JSON.parse(window.sessionStorage.getItem(VIEW_KEY) || "null"); } catch (e) { view = null; }
    if (!view || !view.url) { return fallback; }
    var at = (view.tickets || []).indexOf(window.location.pathname);
    return (at >= 0 && at + 1 < view.tickets.length) ? view.tickets[at + 1] : view.url;
  }
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-solve-next]")) {
      event.target.querySelector("input[name=next]").value = viewNext();
    }
  }, true);
  function solveAndNext() {
    var form = document.querySelector("form[data-solve-next]");
    if (!form) { return false; }
    form.requestSubmit();
    return true;
  }

  /* a / s / t on the ticket page: a small combobox over the Properties form's assignee, status or team choices.
     Typing filters, Up/Down move (aria-activedescendant), Enter sets the choice and saves the form in place, Esc
     closes; either way focus returns where it was. */
  var PICKER_FIELDS = {a: "assignee", s: "status", t: "team"};
  function pickerKeysMark() {  /* the fields say which key opens their picker (again after an in-place save) */
    if (!singleKeysOn()) { return; }
    Object.keys(PICKER_FIELDS).forEach(function (key) {
      var select = document.querySelector("form[data-properties] select[name=" + PICKER_FIELDS[key] + "]");
      if (select) { select.setAttribute("aria-keyshortcuts", key.toUpperCase()); }
    });
  }
  document.addEventListener("DOMContentLoaded", pickerKeysMark);
  document.addEventListener("htmx:afterSettle", pickerKeysMark);
  var picker = null, pickerSelect = null, pickerReturn = null, pickerAt = -1;
  function pickerBuild() {
    if (picker) { return picker; }
    picker = document.createElement("dialog");
    picker.id = "picker";
    picker.className = "picker";
    picker.setAttribute("aria-labelledby", "picker-label");
    picker.innerHTML = '<label id="picker-label" for="picker-q"></label>' +
      '<input id="picker-q" type="text" autocomplete="off" spellcheck="false" role="combobox" aria-expanded="true"' +
      ' aria-controls="picker-list" aria-autocomplete="list">' +
      '<ul id="picker-list" role="listbox" aria-labelledby="picker-label"></ul>';
    document.body.appendChild(picker);
    var input = picker.querySelector("input");
    input.addEventListener("input", function () { pickerFill(); });
    input.addEventListener("keydown", function (event) {
      if (composing(event)) { return; }
      var count = picker.querySelectorAll("[role=option]").length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (count) { pickerHighlight((pickerAt + (event.key === "ArrowDown" ? 1 : -1) + count) % count); }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (pickerAt >= 0) { pickerApply(picker.querySelectorAll("[role=option]")[pickerAt]); }
      }
    });
    picker.addEventListener("click", function (event) {
      var option = event.target.closest && event.target.closest("[role=option]");
      if (option) { pickerApply(option); } else if (event.target === picker) { picker.close(); }
    });
    picker.addEventListener("close", function () {
      var back = pickerReturn;
      pickerReturn = null;
      pickerFocusBack(back);
    });
    return picker;
  }
  function pickerFill() {
    var input = picker.querySelector("input"), list = picker.querySelector("ul");
    var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    list.innerHTML = "";
    var current = -1;
    Array.prototype.forEach.call(pickerSelect.options, function (option) {
      var text = option.textContent.trim();
      var low = text.toLowerCase();
      if (!words.every(function (w) { return low.indexOf(w) >= 0; })) { return; }
      var item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = "picker-opt-" + list.children.length;
      item.setAttribute("data-value", option.value);
      item.textContent = text;
      if (option.value === pickerSelect.value) { current = list.children.length; item.classList.add("current"); }
      list.appendChild(item);
    });
    pickerHighlight(words.length ? 0 : Math.max(current, 0));
  }
  function pickerHighlight(index) {
    var options = picker.querySelectorAll("[role=option]"), input = picker.querySelector("input");
    pickerAt = options.length ? index : -1;
    Array.prototype.forEach.call(options, function (o, i) { o.setAttribute("aria-selected", i === pickerAt ? "true" : "false"); });
    if (pickerAt < 0) { input.removeAttribute("aria-activedescendant"); return; }
    input.setAttribute("aria-activedescendant", options[pickerAt].id);
    options[pickerAt].scrollIntoView({block: "nearest"});
  }
  var pickerSaveReturn = null, pickerLastReturn = null;
  /* Focus goes back where the agent was; a swap landing in the same frame can still drop it to the page, so it is
     checked again once the frame is painted. */
  function pickerFocusBack(back) {
    if (!back || !back.focus || !document.contains(back)) { return; }
    pickerLastReturn = back;
    back.focus();
    requestAnimationFrame(function () {
      var lost = !document.activeElement || document.activeElement === document.body;
      if (lost && !(picker && picker.open) && document.contains(back)) { back.focus(); }
    });
  }
  function pickerApply(option) {
    var select = pickerSelect;
    pickerSaveReturn = pickerReturn;
    picker.close();
    if (select.value === option.getAttribute("data-value")) { pickerSaveReturn = null; return; }
    select.value = option.getAttribute("data-value");
    select.form.requestSubmit();  /* htmx posts it and swaps the panel; the header and the announcer follow */
  }
  /* The swap of the saved panel can land after the dialog gave focus back; if focus fell to the page meanwhile,
     it goes back to where the agent was, so the next key still works. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var from = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!from || !from.matches || !from.matches("form[data-properties]")) { return; }
    var back = pickerSaveReturn;
    pickerSaveReturn = null;
    var lost = !document.activeElement || document.activeElement === document.body;
    if (back && lost) { pickerFocusBack(back); }
  });
  function pickerOpen(name) {
    var select = document.querySelector("form[data-properties] select[name=" + name + "]");
    if (!select) { return false; }
    pickerBuild();
    pickerSelect = select;
    var label = document.querySelector("label[for='" + select.id + "']");
    picker.querySelector("label").textContent = label ? label.textContent.trim() : name;
    picker.querySelector("input").value = "";
    pickerFill();
    var active = document.activeElement;
    /* if focus had fallen to the page (a swap removed the focused element), Esc returns to where the agent last was */
    pickerReturn = active && active !== document.body ? active : pickerLastReturn;
    picker.showModal();
    picker.querySelector("input").focus();
    return true;
  }

  /* Ctrl/Cmd+K: the command palette (partials/palette.html) on every page, even while typing. The physical K key,
     so it works on any layout. Its options come from the server (htmx); the first is highlighted. */
  var paletteReturn = null;
  function paletteOptions() {
    return Array.prototype.slice.call(document.querySelectorAll("#palette-results [role=option]"));
  }
  function paletteIndex() {
    return paletteOptions().findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }
  function paletteHighlight(index) {
    var list = paletteOptions(), input = document.getElementById("palette-q");
    list.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index < 0 || !list.length) { input.removeAttribute("aria-activedescendant"); return; }
    input.setAttribute("aria-activedescendant", list[index].id);
    list[index].scrollIntoView({block: "nearest"});
  }
  function paletteOpen() {
    var dialog = document.getElementById("palette");
    if (!dialog || dialog.open) { return; }
    var workspace = document.querySelector("[data-workspace]");
    document.getElementById("palette-ticket").value = workspace ? workspace.getAttribute("data-number") || "" : "";
    var input = document.getElementById("palette-q");
    input.value = "";
    document.getElementById("palette-results").innerHTML = "";
    paletteReturn = document.activeElement;
    dialog.showModal();
    input.focus();
    if (window.htmx) { window.htmx.trigger(input, "palette-open"); }
  }
  function paletteRun(option) {
    var dialog = document.getElementById("palette");
    var action = option.getAttribute("data-action"), value = option.getAttribute("data-value");
    var label = option.textContent.trim();
    if (option.getAttribute("data-href")) { window.location.href = option.getAttribute("data-href"); return; }
    if (action === "assign") {
      var select = document.querySelector("form[data-properties] select[name=assignee]");
      dialog.close();
      if (select) { select.value = value; select.form.requestSubmit(); }
    } else if (action === "macro") {
      var body = document.getElementById("composer-body");
      paletteReturn = null;  /* focus goes to the filled message instead */
      dialog.close();
      if (body && window.htmx) {
        var reply = document.querySelector("input[name=kind][value=reply]");
        if (reply && !reply.checked) { reply.checked = true; reply.dispatchEvent(new Event("change", {bubbles: true})); }
        window.htmx.ajax("GET", value, {target: "#composer-body"}).then(function () {
          var field = document.getElementById("id_body");
          if (field) { field.focus(); }
          announce(label);
        });
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("palette");
    if (!dialog) { return; }
    dialog.addEventListener("close", function () {
      if (paletteReturn && paletteReturn.focus && document.contains(paletteReturn)) { paletteReturn.focus(); }
      paletteReturn = null;
    });
    dialog.addEventListener("click", function (event) {
      var option = event.target.closest && event.target.closest("#palette-results [role=option]");
      if (option) { paletteRun(option); } else if (event.target === dialog) { dialog.close(); }
    });
    document.getElementById("palette-q").addEventListener("keydown", function (event) {
      if (composing(event)) { return; }
      var list = paletteOptions(), i = paletteIndex();
      if ((event.key === "ArrowDown" || event.key === "ArrowUp") && list.length) {
        event.preventDefault();
        paletteHighlight((i + (event.key === "ArrowDown" ? 1 : -1) + list.length) % list.length);
      } else if (event.key === "Enter" && i >= 0) {  /* with nothing highlighted, Enter opens the results page */
        event.preventDefault();
        paletteRun(list[i]);
      }
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "palette-results") { paletteHighlight(paletteOptions().length ? 0 : -1); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-palette-open]")) { paletteOpen(); }
  });
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey || composing(event)) { return; }
    if (event.code ? event.code !== "KeyK" : (event.key || "").toLowerCase() !== "k") { return; }
    var help = document.getElementById("shortcuts-dialog");
    if (help && help.open) { return; }
    var dialog = document.getElementById("palette");
    if (!dialog) { return; }
    event.preventDefault();
    if (dialog.open) { dialog.close(); } else { paletteOpen(); }
  });
})();

/* ==== Composer and feedback linking (issue 12) ================================================================
   1. The composer takes the internal-note look and label when "Internal note" is chosen; the signature preview
      and the "::" hint show for replies only.
   2. "::" typed in a reply opens the macro type-ahead at the caret (web:macro_search); Up/Down choose, Enter
      inserts the macro's text (filled for this ticket by web:macro_fill) in place of "::query", Esc closes. Text
      an input method (IME) composes never opens it.
   3. Selecting text in a customer message floats "Link to feedback": a combobox over web:feedback_search whose
      last option is "Create ...". Enter links the highlighted item with the selection as the quote, so select,
      click, Enter is the whole path. The form it posts is the feedback panel's link endpoint. */
(function () {
  "use strict";

  function say(text) {
    var region = document.getElementById("announcer");
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 30);
  }
  function composing(event) { return event.isComposing || event.keyCode === 229; }
  function parseHTML(html) { return new DOMParser().parseFromString(html, "text/html"); }
  function fetchHTML(url) {
    return fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    });
  }

  /* -- 1. reply / internal note look ------------------------------------------------------------------------- */
  function composerMode(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    var note = !!checked && checked.value === "note";
    form.classList.toggle("is-note", note);
    var label = form.querySelector("[data-note-label]");
    if (label) { label.hidden = !note; }
    /* the signature preview and the "::" hint: macros and signatures belong to replies */
    form.querySelectorAll("[data-reply-only]").forEach(function (el) { el.hidden = note; });
    if (note) { macroClose(); }
  }
  document.addEventListener("change", function (event) {
    var form = event.target.matches && event.target.matches("input[name=kind]") && event.target.closest("form[data-composer]");
    if (form) { composerMode(form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-composer]");
    if (form) { composerMode(form); }
  });

  /* -- 2. "::" macro type-ahead ------------------------------------------------------------------------------ */
  var TRIGGER = /(^|\s)::([^\s:][^\n:]{0,39}|)$/;
  var macro = {open: false, start: -1, query: null, seq: 0, dismissed: -1, composing: false, timer: 0};

  function macroPopup() { return document.querySelector("[data-macro-popup]"); }
  function macroBody(target) {
    return target && target.matches && target.matches("form[data-composer] textarea[name=body]") ? target : null;
  }
  function isReply(textarea) {
    var checked = textarea.form && textarea.form.querySelector("input[name=kind]:checked");
    return !checked || checked.value !== "note";
  }
  /* Where "::" starts before the caret and what follows it, or null. */
  function macroTriggerAt(textarea) {
    if (textarea.selectionStart !== textarea.selectionEnd) { return null; }
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = TRIGGER.exec(before);
    if (!match) { return null; }
    return {start: before.length - match[2].length - 2, query: match[2]};
  }
  /* The caret's position in the page: a hidden copy of the textarea with the same text and style up to it. */
  function caretPoint(textarea) {
    var style = window.getComputedStyle(textarea);
    var mirror = document.createElement("div");
    ["boxSizing", "width", "fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing", "paddingTop",
      "paddingRight", "paddingBottom", "paddingLeft", "borderTopWidth", "borderRightWidth", "borderBottomWidth",
      "borderLeftWidth", "whiteSpace", "wordWrap", "overflowWrap", "tabSize", "textIndent"].forEach(function (p) {
      mirror.style[p] = style[p];
    });
    mirror.style.position = "absolute";
    mirror.style.visibility = "hidden";
    mirror.style.whiteSpace = "pre-wrap";
    mirror.style.overflowWrap = "break-word";
    mirror.textContent = textarea.value.slice(0, textarea.selectionStart);
    var mark = document.createElement("span");
    mark.textContent = "\u200b";
    mirror.appendChild(mark);
    document.body.appendChild(mirror);
    var line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4;
    var rect = textarea.getBoundingClientRect();
    var point = {
      left: rect.left + window.scrollX + mark.offsetLeft - textarea.scrollLeft,
      top: rect.top + window.scrollY + mark.offsetTop - textarea.scrollTop + line
    };
    document.body.removeChild(mirror);
    point.top = Math.min(point.top, rect.bottom + window.scrollY);
    return point;
  }
  function macroOptions() {
    var popup = macroPopup();
    return popup ? Array.prototype.slice.call(popup.querySelectorAll("[role=option]")) : [];
  }
  function macroHighlighted() {
    return macroOptions().findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }
  function macroHighlight(textarea, index) {
    var options = macroOptions();
    if (!options.length) { return; }
    index = (index + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    textarea.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({block: "nearest"});
    say(options[index].textContent.trim() + " (" + (index + 1) + "/" + options.length + ")");
  }
  function macroClose() {
    var popup = macroPopup();
    macro.open = false;
    macro.seq += 1;  /* answers still on their way are dropped */
    window.clearTimeout(macro.timer);
    if (popup) { popup.hidden = true; popup.innerHTML = ""; }
    var textarea = document.querySelector("form[data-composer] textarea[name=body]");
    if (textarea) { textarea.removeAttribute("aria-activedescendant"); }
  }
  function macroSearch(textarea, found) {
    var popup = macroPopup();
    if (!popup) { return; }
    macro.start = found.start;
    macro.query = found.query;
    var seq = ++macro.seq;
    window.clearTimeout(macro.timer);
    macro.timer = window.setTimeout(function () {
      fetchHTML(popup.getAttribute("data-search-url") + "?q=" + encodeURIComponent(found.query)).then(function (html) {
        if (seq !== macro.seq) { return; }
        var buttons = parseHTML(html).querySelectorAll("button[data-macro]");
        if (!buttons.length && /\s/.test(found.query)) { macroClose(); return; }  /* prose after "::", not a macro */
        popup.innerHTML = "";
        buttons.forEach(function (button, i) {
          var option = document.createElement("li");
          option.id = "macro-option-" + i;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", i === 0 ? "true" : "false");
          option.setAttribute("data-fill-url", button.getAttribute("hx-get"));
          option.textContent = button.getAttribute("data-macro");
          popup.appendChild(option);
        });
        if (!buttons.length) {
          var empty = document.createElement("li");
          empty.className = "muted small";
          empty.textContent = (parseHTML(html).querySelector(".muted") || {}).textContent || "";
          popup.appendChild(empty);
        }
        var point = caretPoint(textarea);
        popup.hidden = false;
        macro.open = true;
        var width = Math.min(320, document.documentElement.clientWidth - 16);
        popup.style.left = Math.max(8, Math.min(point.left, window.scrollX + document.documentElement.clientWidth - width - 8)) + "px";
        popup.style.top = point.top + 2 + "px";
        /* a textarea is a textbox, which takes aria-activedescendant but not aria-expanded */
        textarea.setAttribute("aria-controls", popup.id);
        if (buttons.length) { macroHighlight(textarea, 0); } else { textarea.removeAttribute("aria-activedescendant"); }
      }).catch(function () { if (seq === macro.seq) { macroClose(); } });
    }, 120);
  }
  function macroUpdate(textarea) {
    if (!isReply(textarea) || !macroPopup()) { macroClose(); return; }
    var found = macroTriggerAt(textarea);
    if (!found || found.start !== macro.dismissed) { macro.dismissed = -1; }  /* that "::" is gone */
    if (!found || found.start === macro.dismissed) { macroClose(); return; }
    if (macro.open && found.start === macro.start && found.query === macro.query) { return; }
    macroSearch(textarea, found);
  }
  /* Insert the macro's text, filled for this ticket, in place of "::query"; the macro's id and status go with the
     reply, as when it is picked from the macro search above. */
  function macroApply(textarea, option) {
    var start = macro.start, end = textarea.selectionStart;
    var name = option.textContent.trim();
    macroClose();
    fetchHTML(option.getAttribute("data-fill-url")).then(function (html) {
      var filled = parseHTML(html);
      var body = filled.querySelector("textarea[name=body]");
      var text = body ? body.value : "";
      if (textarea.value.slice(start, start + 2) !== "::") { return; }  /* the text moved meanwhile: leave it */
      textarea.setRangeText(text, start, end, "end");
      var form = textarea.form;
      var macroId = filled.querySelector("input[name=macro]");
      var status = filled.querySelector("select[name=after_status] option[selected]");
      if (macroId && form.elements.macro) { form.elements.macro.value = macroId.value; }
      if (status && status.value && form.elements.after_status) { form.elements.after_status.value = status.value; }
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
      textarea.focus();
      say(name);
    });
  }

  document.addEventListener("input", function (event) {
    var textarea = macroBody(event.target);
    if (!textarea || macro.composing || event.isComposing) { return; }
    macroUpdate(textarea);
  });
  document.addEventListener("compositionstart", function (event) {
    if (macroBody(event.target)) { macro.composing = true; }
  });
  document.addEventListener("compositionend", function (event) {
    var textarea = macroBody(event.target);
    if (!textarea) { return; }
    macro.composing = false;
    var found = macroTriggerAt(textarea);
    if (macro.open && found && found.start === macro.start) {
      macroSearch(textarea, found);  /* "::" typed first, then the macro's name composed (退款): search it */
    } else if (found) {
      macro.dismissed = found.start;  /* the input method produced the "::" itself: it never opens the list */
      macroClose();
    }
  });
  document.addEventListener("keydown", function (event) {
    var textarea = macroBody(event.target);
    if (!textarea || !macro.open || composing(event)) { return; }
    var options = macroOptions();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) { return; }
      event.preventDefault();
      var at = macroHighlighted();
      macroHighlight(textarea, event.key === "ArrowDown" ? at + 1 : at - 1);
    } else if (event.key === "Enter" && !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) {
      var i = macroHighlighted();
      if (i < 0) { return; }
      event.preventDefault();
      event.stopPropagation();
      macroApply(textarea, options[i]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      macro.dismissed = macro.start;
      macroClose();
    } else if (event.key === "Tab") {
      macroClose();
    }
  }, true);
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[data-macro-popup] [role=option]");
    if (option) {
      event.preventDefault();  /* keep the caret in the message */
      var textarea = document.querySelector("form[data-composer] textarea[name=body]");
      if (textarea) { macroApply(textarea, option); }
    } else if (macro.open && !(event.target.closest && event.target.closest("[data-macro-popup]"))) {
      macroClose();
    }
  });
  /* The caret moved away from "::name" (arrows, Home/End, a click): the list follows or closes. */
  document.addEventListener("keyup", function (event) {
    var textarea = macroBody(event.target);
    if (textarea && macro.open && /^(ArrowLeft|ArrowRight|Home|End|PageUp|PageDown)$/.test(event.key)) {
      macroUpdate(textarea);
    }
  });
  document.addEventListener("click", function (event) {
    var textarea = macroBody(event.target);
    if (textarea && macro.open) { macroUpdate(textarea); }
  });
  document.addEventListener("focusout", function (event) {
    if (macroBody(event.target) && macro.open) { window.setTimeout(function () {
      if (!macroBody(document.activeElement)) { macroClose(); }
    }, 0); }
  });

  /* -- 3. Link to feedback from a selection ----------------------------------------------------------------- */
  var link = {quote: "", message: "", seq: 0, pending: false, loading: false, submitting: false};
  function linkFloat() { return document.querySelector("[data-link-float]"); }
  function linkPop() { return document.querySelector("[data-link-pop]"); }
  function linkInput() { return document.getElementById("link-pop-q"); }
  function linkList() { return document.getElementById("link-pop-list"); }
  document.addEventListener("DOMContentLoaded", function () {
    /* Placed next to the selection, so they live at the top of the page rather than inside the side panel. */
    [linkFloat(), linkPop()].forEach(function (el) { if (el) { document.body.appendChild(el); } });
  });
  function placeAt(el, rect) {
    var width = el.offsetWidth || 200;
    var viewport = document.documentElement.clientWidth;
    el.style.left = Math.max(8, Math.min(rect.right + window.scrollX - width, window.scrollX + viewport - width - 8)) + "px";
    el.style.top = rect.bottom + window.scrollY + 6 + "px";
  }
  function selectionInCustomerMessage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) { return null; }
    var node = selection.anchorNode, focus = selection.focusNode;
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    var message = element && element.closest(".msg.customer[data-message-id]");
    var focusElement = focus && (focus.nodeType === 1 ? focus : focus.parentElement);
    if (!message || !focusElement || !message.contains(focusElement)) { return null; }
    var text = selection.toString().replace(/\s+/g, " ").trim();
    if (!text) { return null; }
    return {text: text.slice(0, 5000), message: message.getAttribute("data-message-id"),
      rect: selection.getRangeAt(0).getBoundingClientRect()};
  }
  function linkFloatShow() {
    var button = linkFloat(), pop = linkPop();
    if (!button || (pop && !pop.hidden)) { return; }
    var found = selectionInCustomerMessage();
    if (!found) { button.hidden = true; return; }
    link.quote = found.text;
    link.message = found.message;
    button.hidden = false;
    placeAt(button, found.rect);
  }
  /* A mouse selection shows the button when the button is released; a touch or keyboard selection (no mouseup)
     once it has stopped changing for a moment. */
  var linkMouseDown = false, linkSettle = 0;
  document.addEventListener("mouseup", function (event) {
    linkMouseDown = false;
    if (event.target.closest && event.target.closest("[data-link-float], [data-link-pop]")) { return; }
    window.setTimeout(linkFloatShow, 0);  /* after the browser has settled the selection */
  });
  document.addEventListener("selectionchange", function () {
    var button = linkFloat();
    if (!button) { return; }
    if (!button.hidden && !selectionInCustomerMessage()) { button.hidden = true; }
    window.clearTimeout(linkSettle);
    if (!linkMouseDown) { linkSettle = window.setTimeout(linkFloatShow, 400); }
  });
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("[data-link-float]")) {
      event.preventDefault();  /* keep the selection while the button is pressed */
      return;
    }
    linkMouseDown = event.button === 0;
    var pop = linkPop();
    if (pop && !pop.hidden && !pop.contains(event.target)) { linkClose(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-link-float]")) { linkOpen(); }
  });

  function linkOpen() {
    var button = linkFloat(), pop = linkPop(), input = linkInput();
    if (!pop || !input || !link.quote) { return; }
    pop.querySelector("[data-pop-quote]").value = link.quote;
    pop.querySelector("[data-pop-message]").value = link.message;
    pop.querySelector("[data-pop-quote-shown]").textContent = link.quote;
    pop.hidden = false;
    var rect = button.getBoundingClientRect();
    button.hidden = true;
    placeAt(pop, rect);
    /* The selection is the first guess at what to search for; typing replaces it. Customer words are not query
       syntax: "Error: ..." is no filter, a quote mark or a leading dash excludes nothing. */
    input.value = link.quote.slice(0, 120).replace(/"/g, " ").replace(/([^\s:]):/g, "$1 ")
      .replace(/(^|\s)-+/g, "$1").replace(/\s+/g, " ").trim();
    input.focus();
    input.select();
    linkSearch();
  }
  function linkClose() {
    var pop = linkPop(), input = linkInput();
    if (!pop) { return; }
    pop.hidden = true;
    link.seq += 1;
    link.pending = false;
    linkList().innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function linkOptions() { return Array.prototype.slice.call(linkList().querySelectorAll("[role=option]")); }
  function linkHighlighted() {
    return linkOptions().findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }
  function linkHighlight(index) {
    var options = linkOptions(), input = linkInput();
    if (!options.length) { return; }
    index = (index + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({block: "nearest"});
    say(options[index].textContent.trim() + " (" + (index + 1) + "/" + options.length + ")");
  }
  function linkOption(id, text, status) {
    var option = document.createElement("li");
    option.id = id;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    var title = document.createElement("span");
    title.textContent = text;
    option.appendChild(title);
    if (status) {
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = status;
      option.appendChild(document.createTextNode(" "));
      option.appendChild(badge);
    }
    return option;
  }
  function linkRender(html, typed) {
    var pop = linkPop(), list = linkList(), input = linkInput();
    list.innerHTML = "";
    var doc = parseHTML(html);
    doc.querySelectorAll("input[type=radio][name=item]").forEach(function (radio, i) {
      var option = linkOption("link-option-" + i, radio.getAttribute("data-item-title"), radio.getAttribute("data-item-status"));
      option.setAttribute("data-item", radio.value);
      list.appendChild(option);
    });
    var error = doc.querySelector(".errorlist");
    if (error || !list.children.length) {
      var note = document.createElement("li");
      note.className = "muted small";
      note.textContent = error ? error.textContent : pop.getAttribute("data-empty-label");
      list.appendChild(note);
    }
    if (pop.getAttribute("data-can-create") && typed) {
      var create = linkOption("link-option-create", pop.getAttribute("data-create-label").replace("{title}", typed), "");
      create.setAttribute("data-create", typed);
      create.className = "create";
      list.appendChild(create);
    }
    input.setAttribute("aria-expanded", linkOptions().length ? "true" : "false");
    if (linkOptions().length) { linkHighlight(0); } else { input.removeAttribute("aria-activedescendant"); }
  }
  function linkSearch() {
    var pop = linkPop(), typed = linkInput().value.replace(/\s+/g, " ").trim().slice(0, 300);
    var seq = ++link.seq;
    link.loading = true;
    if (!typed) { linkRender("", ""); link.loading = false; return; }
    fetchHTML(pop.getAttribute("data-search-url") + "?q=" + encodeURIComponent(typed)).then(function (html) {
      if (seq !== link.seq) { return; }
      link.loading = false;
      linkRender(html, typed);
      if (link.pending) { link.pending = false; linkChoose(); }
    }).catch(function () {
      if (seq !== link.seq) { return; }
      link.loading = false;
      linkRender("", typed);
    });
  }
  /* Enter: link the highlighted item, or create the typed one; both with the selection as the quote. */
  function linkChoose() {
    var pop = linkPop(), options = linkOptions(), i = linkHighlighted();
    if (i < 0) { return; }
    var option = options[i];
    /* not form.elements.item: that name is the collection's item() method */
    pop.querySelector("[data-pop-item]").value = option.getAttribute("data-item") || "";
    pop.querySelector("[data-pop-title]").value = option.getAttribute("data-create") || "";
    link.submitting = true;
    pop.requestSubmit();
  }
  var linkTimer = 0;
  document.addEventListener("input", function (event) {
    if (event.target !== linkInput() || event.isComposing) { return; }
    window.clearTimeout(linkTimer);
    link.seq += 1;  /* what was on its way answers an older text */
    link.loading = true;
    linkTimer = window.setTimeout(linkSearch, 150);
  });
  document.addEventListener("compositionend", function (event) {
    if (event.target === linkInput()) { window.clearTimeout(linkTimer); linkTimer = window.setTimeout(linkSearch, 150); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.target !== linkInput() || composing(event)) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var at = linkHighlighted();
      linkHighlight(event.key === "ArrowDown" ? at + 1 : at - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();  /* never the browser's implicit submission */
      if (link.loading) { link.pending = true; } else { linkChoose(); }
    } else if (event.key === "Escape") {
      event.preventDefault();
      linkClose();
    }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("#link-pop-list [role=option]");
    if (!option) { return; }
    linkHighlight(linkOptions().indexOf(option));
    linkChoose();
  });
  document.addEventListener("submit", function (event) {
    if (event.target === linkPop() && !link.submitting) { event.preventDefault(); }
  }, true);
})();
