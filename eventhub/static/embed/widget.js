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

  customElements.define("eventhub-events", EventhubEvents);
})();
