// CrownDesk staff app: small behaviours HTMX does not cover. No build step.
(function () {
  "use strict";

  // Dismiss a message.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var flash = button.closest(".flash");
      if (flash) flash.remove();
    }
  });

  // Selection in tables: a "select all" box, a live count, and the bulk buttons' state.
  function refreshSelection(scope) {
    var form = scope.closest("form[data-selection]") || scope.querySelector("form[data-selection]");
    if (!form) return;
    var boxes = form.querySelectorAll("input[name='ids']");
    var checked = form.querySelectorAll("input[name='ids']:checked");
    boxes.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("is-selected", box.checked);
    });
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked.length === boxes.length;
      all.indeterminate = checked.length > 0 && checked.length < boxes.length;
    }
    form.querySelectorAll("[data-selected-count]").forEach(function (el) {
      el.textContent = checked.length === 1 ? "1 selected" : checked.length + " selected";
    });
    form.querySelectorAll("[data-needs-selection]").forEach(function (el) {
      el.disabled = checked.length === 0;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      var form = target.closest("form");
      form.querySelectorAll("input[name='ids']").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-all], input[name='ids']")) refreshSelection(target);
  });

  // Select every row of a given billing status ("N unbilled procedures ready for claims").
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-select-status]");
    if (!button) return;
    var form = document.querySelector("form[data-selection]");
    if (!form) return;
    var status = button.getAttribute("data-select-status");
    form.querySelectorAll("input[name='ids']").forEach(function (box) {
      box.checked = box.getAttribute("data-status") === status;
    });
    refreshSelection(form);
    var bar = form.querySelector(".bulkbar");
    if (bar) bar.scrollIntoView({ block: "nearest" });
    var first = form.querySelector("[data-needs-selection]");
    if (first) first.focus();
  });

  function initialise(root) {
    root.querySelectorAll("form[data-selection]").forEach(refreshSelection);
    root.querySelectorAll("form[data-selection][data-preselect]").forEach(function (form) {
      var status = form.getAttribute("data-preselect");
      form.querySelectorAll("input[name='ids']").forEach(function (box) {
        box.checked = box.getAttribute("data-status") === status;
      });
      form.removeAttribute("data-preselect");
      refreshSelection(form);
    });
  }

  // Dialogs filled by HTMX open once their content arrives; focus goes into them.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.target.closest("dialog");
    if (dialog && !dialog.open) {
      dialog.showModal();
      var heading = dialog.querySelector("h2");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
    initialise(event.target);
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-dialog]");
    if (close) close.closest("dialog").close();
  });

  document.addEventListener("DOMContentLoaded", function () { initialise(document); });
})();
