/* Check-in list, progressively enhanced. Without this script every form posts and the page
   reloads; with it a tap is sent with fetch (the form's own CSRF token travels with it), the
   row and the counts are updated in place and the result is announced to screen readers.
   Anything unexpected falls back to sending the form the ordinary way. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function announce(message, isError) {
    var status = document.getElementById("door-status");
    if (!status) return;
    status.textContent = message || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  function updateCounts(counts) {
    if (!counts) return;
    Object.keys(counts).forEach(function (name) {
      var cell = document.querySelector('[data-count="' + name + '"]');
      if (cell) cell.textContent = counts[name];
    });
  }

  function replaceRow(row, html) {
    if (!html) {
      row.remove();
      return;
    }
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.firstElementChild;
    row.replaceWith(fresh);
    var button = fresh.querySelector("button");
    if (button) button.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-door]") || !window.fetch) return;
    event.preventDefault();
    if (form.dataset.busy) return; // a double tap: the first one is on its way
    form.dataset.busy = "1";
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    var row = form.closest(".door-row");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) throw new Error("not JSON");
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          announce(result.data.message, true);
          form.removeAttribute("data-busy");
          if (button) button.disabled = false;
          return;
        }
        replaceRow(row, result.data.row);
        updateCounts(result.data.counts);
        announce(result.data.message, false);
      })
      .catch(function () {
        var list = document.getElementById("door-list");
        announce(list ? list.dataset.error : "", true);
        HTMLFormElement.prototype.submit.call(form);
      });
  });

  // Narrow the list while typing; the search button still asks the server.
  var filter = document.querySelector("[data-door-filter]");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      document.querySelectorAll(".door-row").forEach(function (row) {
        var text = row.dataset.search || "";
        row.hidden = !words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
      });
    });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
