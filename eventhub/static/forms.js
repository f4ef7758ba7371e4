/* Progressive enhancement for forms; every page works without it.
 *
 * When a form comes back with errors, move focus to the error summary so that keyboard and
 * screen-reader users start from the list of what to fix. A link in the summary then moves
 * focus to its field and scrolls the field's label (or legend) into view, which a plain
 * in-page link does not do for form fields in every browser.
 */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var choice = field.type === "radio" || field.type === "checkbox";
    var legend = choice && field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    var label = document.querySelector("label[for='" + field.id + "']");
    (legend || label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
