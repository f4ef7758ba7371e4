/* Progressive enhancement for every page; every page works without it. */
(function () {
  "use strict";

  /* When a form comes back with errors, move focus to the error summary so that keyboard
   * and screen-reader users start from the list of what to fix. A link in the summary then
   * moves focus to its field and scrolls the field's label (or legend) into view, which a
   * plain in-page link does not do for form fields in every browser. */
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var choice = field.type === "radio" || field.type === "checkbox";
      var fieldset = choice && field.closest("fieldset");
      var legend = fieldset && fieldset.querySelector("legend");
      var label = document.querySelector("label[for='" + field.id + "']");
      (legend || label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  /* On a phone a wide table scrolls inside its own box (style.css). Such a box must take
   * keyboard focus, so that it can be scrolled with the arrow keys (WCAG 2.1.1). */
  function focusableWhenScrolling() {
    var tables = document.querySelectorAll("table");
    for (var i = 0; i < tables.length; i++) {
      if (tables[i].scrollWidth > tables[i].clientWidth + 1) {
        tables[i].setAttribute("tabindex", "0");
      } else if (tables[i].getAttribute("tabindex") === "0") {
        tables[i].removeAttribute("tabindex");
      }
    }
  }
  focusableWhenScrolling();
  window.addEventListener("resize", focusableWhenScrolling);
})();
