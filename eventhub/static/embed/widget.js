/* eventhub's widget: <eventhub-events project="CODE"> shows a project's upcoming events.
 *
 * The list is drawn in the element's shadow root, so the host page's styles do not reach it
 * and its styles do not leak out. The data comes from this script's own site
 * (/embed/CODE/events.json), which answers only the sites the project allows; no cookie is
 * sent or set. The language is the element's or the page's lang. Optional attributes: kind
 * (e.g. "workshop") and municipality (an id). Without project, <eventhub-events
 * municipality="ID"> or kind="KIND" shows those public events across projects
 * (/embed/all/events.json, open to every site). What the element holds before the script
 * runs (the snippet's link) is what visitors without JavaScript see.
 *
 * A project's widget (its sites are allowed by the project's managers) opens an event's
 * signup in a modal dialog holding the event page framed (/events/ID?embed=1, framed only by
 * those sites). Where the host page forbids frames (its CSP frame-src), the event opens in a
 * new tab as before; if the framed page does not say it loaded, the dialog offers the tab.
 */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("eventhub-events")) return;
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";

  var STYLE =
    ":host{display:block;font:1rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;" +
    "max-width:100%;box-sizing:border-box}" +
    "h2{font-size:1.15rem;margin:0 0 .5rem}" +
    "ul{list-style:none;margin:0;padding:0}" +
    "li{padding:.6rem 0;border-bottom:1px solid #d0d0d0;display:flex;flex-direction:column;gap:.15rem}" +
    "a{color:#0b4f8a;font-weight:600;overflow-wrap:anywhere}" +
    "a:focus-visible{outline:3px solid #0b4f8a;outline-offset:2px}" +
    ".meta{color:#444;font-size:.9rem}" +
    ".places{font-size:.9rem;font-weight:600;color:#1d5e20}" +
    ".full,.cancelled,.closed{color:#8a1c1c}.waitlist{color:#6b4400}" +
    "dialog[open]{display:flex;flex-direction:column;box-sizing:border-box;padding:0;" +
    "width:min(42rem,calc(100vw - 1rem));height:min(52rem,calc(100vh - 1rem));max-width:none;" +
    "max-height:none;border:1px solid #444;border-radius:.4rem;background:#fff;color:#1a1a1a}" +
    "dialog::backdrop{background:rgba(0,0,0,.6)}" +
    ".bar{display:flex;align-items:center;justify-content:space-between;gap:.5rem;" +
    "padding:.4rem .75rem;border-bottom:1px solid #d0d0d0}" +
    ".bar h2{margin:0;font-size:1.05rem;overflow-wrap:anywhere}" +
    "button{font:inherit;font-weight:600;min-height:44px;padding:.3rem .9rem;color:#0b4f8a;" +
    "background:#fff;border:2px solid #0b4f8a;border-radius:.3rem;cursor:pointer}" +
    "button:focus-visible{outline:3px solid #0b4f8a;outline-offset:2px}" +
    "iframe{flex:1;width:100%;border:0}" +
    ".tab{padding:.5rem .75rem;font-size:.9rem}.failed{padding:0 .75rem}" +
    ".hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  class EventhubEvents extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      var fallback = this.querySelector("a");
      var root = this.attachShadow({ mode: "open" });
      // Until the list arrives (or if it never does) the snippet's own link is shown.
      root.appendChild(document.createElement("slot"));
      var project = this.getAttribute("project");
      // Without a project: a municipality's or a kind's public events across projects.
      if (!project && !this.getAttribute("municipality") && !this.getAttribute("kind")) return;
      var lang = (this.closest("[lang]") || document.documentElement).getAttribute("lang") || "";
      var url = new URL(
        base + "/embed/" + (project ? encodeURIComponent(project) : "all") + "/events.json"
      );
      url.searchParams.set("lang", lang);
      ["kind", "municipality"].forEach(function (name) {
        var value = this.getAttribute(name);
        if (value) url.searchParams.set(name, value);
      }, this);
      fetch(url, { credentials: "omit", mode: "cors" })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        })
        .then(function (data) {
          render(root, data, fallback);
        })
        .catch(function () {
          /* the link stays: it leads to the same list */
        });
    }
  }

  // A constructed style sheet where the browser has them: a host page's Content Security
  // Policy without 'unsafe-inline' for styles would refuse a <style> element.
  function styled(root) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
      return [];
    } catch (e) {
      var style = el("style");
      style.textContent = STYLE;
      return [style];
    }
  }

  function render(root, data, fallback) {
    var section = el("section");
    section.setAttribute("aria-label", data.title);
    section.setAttribute("lang", data.language);
    section.appendChild(el("h2", "", data.title));
    if (!data.items.length) {
      section.appendChild(el("p", "", data.empty));
    } else {
      var list = el("ul");
      data.items.forEach(function (item) {
        var li = el("li");
        var link = el("a", "", item.title);
        link.href = item.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.appendChild(el("span", "hidden", " " + data.new_tab));
        if (data.dialog && item.embed_url) {
          link.addEventListener("click", function (event) {
            if (event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
              return; // the visitor asked for a tab or a window
            }
            if (!window.HTMLDialogElement) return;
            event.preventDefault();
            openDialog(root, data, item, link);
          });
        }
        li.appendChild(link);
        li.appendChild(el("span", "meta", item.when + (item.place ? " · " + item.place : "")));
        if (item.places) li.appendChild(el("span", "places " + item.availability, item.places));
        list.appendChild(li);
      });
      section.appendChild(list);
    }
    root.replaceChildren.apply(root, styled(root).concat([section]));
    if (fallback) fallback.setAttribute("hidden", "");
  }

  // The event's signup page in a modal dialog. Focus goes to its close button; Escape or the
  // button close it and focus returns to the event's link.
  function openDialog(root, data, item, link) {
    var texts = data.dialog;
    var dialog = el("dialog");
    dialog.setAttribute("aria-labelledby", "eventhub-dialog-title");
    dialog.setAttribute("lang", data.language);
    var bar = el("div", "bar");
    var heading = el("h2", "", item.title);
    heading.id = "eventhub-dialog-title";
    var close = el("button", "", texts.close);
    close.type = "button";
    bar.append(heading, close);
    var frame = el("iframe");
    frame.title = item.title;
    var tab = el("a", "tab", texts.new_tab);
    tab.href = item.url;
    tab.target = "_blank";
    tab.rel = "noopener";
    dialog.append(bar, frame, tab);
    var loaded = false;
    var timer = 0;

    function onMessage(event) {
      if (event.source !== frame.contentWindow || event.origin !== base || !event.data) return;
      if (event.data.eventhub === "loaded") loaded = true;
      if (event.data.eventhub === "close") dialog.close(); // Escape pressed in the frame
    }
    // The host page's own policy forbids frames from eventhub: a new tab, as without it.
    function onViolation(event) {
      if (loaded || String(event.blockedURI).indexOf(base) !== 0) return;
      if (!/^(frame-src|child-src|default-src)/.test(event.effectiveDirective)) return;
      dialog.close();
      window.open(item.url, "_blank", "noopener");
    }
    function cleanUp() {
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      document.removeEventListener("securitypolicyviolation", onViolation);
      dialog.remove();
      link.focus();
    }
    window.addEventListener("message", onMessage);
    document.addEventListener("securitypolicyviolation", onViolation);
    close.addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", cleanUp);
    root.appendChild(dialog);
    frame.src = item.embed_url;
    dialog.showModal();
    close.focus();
    // Refused by eventhub (the site is no longer allowed) or never loaded: say so; the
    // dialog's link still opens the event in a new tab.
    timer = setTimeout(function () {
      if (loaded || !dialog.open) return;
      frame.hidden = true;
      dialog.insertBefore(el("p", "failed", texts.failed), tab);
    }, 8000);
  }

  customElements.define("eventhub-events", EventhubEvents);
})();
