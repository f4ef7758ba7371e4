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

  /* Conditional questions (registration/_fields.html): a box marked data-depends-on is
   * shown only while the question it names has one of the answers in data-answers. Without
   * this script every question shows with its condition written in its hint, and the
   * server ignores answers to questions the answers hide. Boxes come in the order of the
   * questions and depend only on earlier ones, so one pass in order settles chains. A
   * hidden box's fields are disabled (not sent); the live region says what appeared. */
  var conditional = document.querySelectorAll("[data-depends-on]");
  if (conditional.length) {
    var form = conditional[0].closest("form");
    var live = document.getElementById("question-changes");

    var chosen = function (name) {
      var values = [];
      var inputs = form.querySelectorAll("[name='" + name + "']");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var choice = input.type === "radio" || input.type === "checkbox";
        if (!input.disabled && (!choice || input.checked) && input.value) {
          values.push(input.value);
        }
      }
      return values;
    };

    var update = function (announce) {
      var appeared = [];
      var gone = [];
      for (var i = 0; i < conditional.length; i++) {
        var box = conditional[i];
        var wanted = JSON.parse(box.getAttribute("data-answers"));
        var shown = chosen(box.getAttribute("data-depends-on")).some(function (value) {
          return wanted.indexOf(value) !== -1;
        });
        if (shown === !box.hidden) {
          continue;
        }
        if (!shown && box.contains(document.activeElement)) {
          /* Never leave the keyboard focus on something that disappears. */
          var from = form.querySelector("[name='" + box.getAttribute("data-depends-on") + "']");
          if (from) {
            from.focus();
          }
        }
        box.hidden = !shown;
        var fields = box.querySelectorAll("input, select, textarea");
        for (var j = 0; j < fields.length; j++) {
          fields[j].disabled = !shown;
        }
        (shown ? appeared : gone).push(box.getAttribute("data-label"));
      }
      if (announce && live && (appeared.length || gone.length)) {
        var said = [];
        if (appeared.length) {
          said.push(live.getAttribute("data-shown-text") + " " + appeared.join(", "));
        }
        if (gone.length) {
          said.push(live.getAttribute("data-hidden-text") + " " + gone.join(", "));
        }
        live.textContent = said.join(" ");
      }
    };

    /* The question a box depends on tells assistive technology what it controls. */
    for (var k = 0; k < conditional.length; k++) {
      var name = conditional[k].getAttribute("data-depends-on");
      var controls = form.querySelectorAll("[name='" + name + "']");
      for (var m = 0; m < controls.length; m++) {
        var ids = (controls[m].getAttribute("aria-controls") || "").split(" ").filter(Boolean);
        ids.push(conditional[k].id);
        controls[m].setAttribute("aria-controls", ids.join(" "));
      }
    }
    form.addEventListener("change", function () {
      update(true);
    });
    update(false);
  }

  /* In the project widget's dialog on another site (eventhub.web.embedding): tell the widget
   * that the page loaded, so that it keeps the dialog rather than opening a new tab. The
   * message says nothing else. Escape pressed in the frame closes the dialog, as it does
   * outside it (key presses in a frame do not reach the page around it). */
  if (document.documentElement.hasAttribute("data-embedded") && window.parent !== window) {
    window.parent.postMessage({ eventhub: "loaded" }, "*");
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ eventhub: "close" }, "*");
    });
  }
})();
