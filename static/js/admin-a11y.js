// Names for the admin widgets that Django's scripts build (WCAG 2.2, 4.1.2 Name, Role, Value).
//
// - Autocomplete fields (select2): the combobox and its text box are labelled by nothing but the
//   chosen value, empty until one is chosen; here they are labelled by the field's own <label>,
//   and so is the search box that opens with them.
//   While open, select2 (written for ARIA 1.0) names its list with aria-owns; ARIA 1.2 asks an
//   expanded combobox for aria-controls, given here the same list.
// - Two-box pickers (SelectFilter2, "filter_horizontal"): the magnifier in each filter's <label>
//   is a <span> with an aria-label, which ARIA does not allow on an element without a role; it
//   is the label's picture, so it becomes an image (role="img") and keeps its words.
//
// The widgets are built after the page loads and again for each inline row added, so the names
// are given whenever the page's elements change.
(function () {
  "use strict";

  function labelOf(fieldId) {
    const label = document.querySelector('label[for="' + CSS.escape(fieldId) + '"]');
    if (label && !label.id) {
      label.id = fieldId + "_label";
    }
    return label;
  }

  function labelText(label) {
    return label.textContent.trim().replace(/:$/, "");
  }

  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const container = select.nextElementSibling;
      const selection = container && container.querySelector(".select2-selection");
      const label = labelOf(select.id);
      if (!selection || !label || selection.dataset.portalNamed) {
        return;
      }
      const rendered = selection.querySelector(".select2-selection__rendered");
      if (rendered && rendered.id) {
        rendered.setAttribute("aria-labelledby", label.id);
        selection.setAttribute("aria-labelledby", label.id + " " + rendered.id);
      } else {
        selection.setAttribute("aria-labelledby", label.id);
      }
      selection.dataset.portalNamed = "1";
    });
    document.querySelectorAll(".select2-selection[role=combobox]").forEach(function (combobox) {
      const list = combobox.getAttribute("aria-owns");
      if (list) {
        combobox.setAttribute("aria-controls", list);
      } else {
        combobox.removeAttribute("aria-controls");
      }
    });
    document.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (field) {
      // An open dropdown's search box controls "select2-<the select's id>-results".
      const controls = (field.getAttribute("aria-controls") || "").match(/^select2-(.+)-results$/);
      const label = controls && labelOf(controls[1]);
      field.setAttribute("aria-label", label ? "Search " + labelText(label) : "Search");
    });
  }

  function nameFilterIcons() {
    document.querySelectorAll(".search-label-icon[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function nameAll() {
    nameAutocompletes();
    nameFilterIcons();
  }

  function start() {
    nameAll();
    // Elements added or removed, and select2's aria-owns: nothing this script itself changes.
    new MutationObserver(nameAll).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["aria-owns"],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
