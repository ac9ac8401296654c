/* supportloop: the bulk-action bar of ticket lists (web/templates/web/partials/bulk_bar.html).
   Hidden until a row is checked, it says how many are; "select all N matching" asks the server for N once and then
   posts scope=query, so the server runs the page's query again; more than data-confirm-over tickets ask first in a
   dialog; the Undo toast leaves after 10 s (not while pointed at or focused). No inline scripts (CSP). */
(function () {
  "use strict";

  var TOAST_MS = 10000;
  var matching = null;  /* the server's answer: {count, over, max}, fetched when the bar first shows */
  var asked = false;

  function bar() { return document.querySelector("form[data-bulk-bar]"); }
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("input[type=checkbox][form=bulk]")); }
  function checked() { return boxes().filter(function (b) { return b.checked; }); }
  function label(form, name, n) { return (form.getAttribute("data-label-" + name) || "").replace("__N__", String(n)); }
  function scope(form) { return form.querySelector("[data-bulk-scope]"); }
  function allMatching(form) { return scope(form).value === "query"; }

  /* How many tickets the change would take: all matching, or the checked rows. */
  function targetCount(form) { return allMatching(form) && matching ? matching.count : checked().length; }

  function showValueField(form) {
    var action = form.querySelector("[data-bulk-action]").value;
    form.querySelectorAll("[data-bulk-value]").forEach(function (field) {
      field.hidden = field.getAttribute("data-bulk-value") !== action;
    });
  }

  function render() {
    var form = bar();
    if (!form) { return; }
    var n = checked().length;
    if (n === 0 && allMatching(form)) { scope(form).value = "selected"; }
    form.hidden = n === 0;
    var all = form.querySelector("[data-bulk-all]");
    var over = form.querySelector("[data-bulk-over]");
    form.querySelector("[data-bulk-count]").textContent =
      allMatching(form) ? label(form, "all-selected", matching.count) : label(form, "selected", n);
    all.hidden = true;
    over.hidden = true;
    if (n > 0 && !asked) { askMatching(form); }
    /* Offered only when the query holds more than the rows loaded here: else the header box does the same. */
    if (n > 0 && matching && !allMatching(form) && matching.count > boxes().length) {
      if (matching.over) {
        over.textContent = label(form, "over", matching.max);
        over.hidden = false;
      } else {
        all.textContent = label(form, "all", matching.count);
        all.hidden = false;
      }
    }
  }

  function askMatching(form) {
    asked = true;
    fetch(form.getAttribute("data-count-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { matching = data; render(); } })
      .catch(function () { /* no "select all matching" then; the checked rows still work */ });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!bar()) { return; }
    if (target.matches("[data-bulk-action]")) { showValueField(bar()); return; }
    if (target.matches("input[type=checkbox][form=bulk]") && !target.checked) {
      scope(bar()).value = "selected";  /* unticking a row leaves "all matching" for the rows still ticked */
    }
    if (target.matches("input[type=checkbox][form=bulk], [data-select-all]")) { render(); }
  });

  document.addEventListener("click", function (event) {
    var form = bar();
    if (!form) { return; }
    if (event.target.closest("[data-bulk-all]")) {
      scope(form).value = "query";
      boxes().forEach(function (b) { b.checked = true; });
      render();
      form.querySelector("[data-bulk-count]").focus();
      return;
    }
    var dialog = document.getElementById("bulk-confirm");
    if (event.target.closest("[data-bulk-confirm-yes]")) {
      form.querySelector("[data-bulk-confirmed]").value = String(targetCount(form));
      dialog.close();
      form.submit();  /* the confirmed submit: not through the submit listener again */
    } else if (event.target.closest("[data-bulk-confirm-no]")) {
      dialog.close();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-bulk-bar]")) { return; }
    var n = targetCount(form);
    if (n > Number(form.getAttribute("data-confirm-over") || 10)) {
      event.preventDefault();
      var dialog = document.getElementById("bulk-confirm");
      dialog.querySelector("[data-bulk-confirm-text]").textContent = label(form, "confirm", n);
      dialog.showModal();
      dialog.querySelector("[data-bulk-confirm-yes]").focus();
    }
  });

  /* Rows appended by "More tickets" (htmx) arrive unchecked; the count stays right. */
  document.addEventListener("htmx:afterSwap", render);

  function toastDismissLater(toast) {
    var timer = null;
    function arm() { timer = window.setTimeout(function () { toast.remove(); }, TOAST_MS); }
    function hold() { window.clearTimeout(timer); }
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("mouseleave", arm);
    toast.addEventListener("focusout", function (event) { if (!toast.contains(event.relatedTarget)) { arm(); } });
    arm();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = bar();
    if (form) {
      form.querySelector("[data-bulk-count]").setAttribute("tabindex", "-1");
      showValueField(form);
      render();
    }
    document.querySelectorAll("[data-bulk-toast]").forEach(toastDismissLater);
  });
})();
