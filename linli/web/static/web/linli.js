// Linli shell behaviour. No inline scripts anywhere (CSP 'self'): page behaviour lives here.
"use strict";

// Installable web app: the service worker stores the shell and shows the offline page when a
// page cannot be loaded (see /service-worker.js). It never stores pages.
if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/service-worker.js", { scope: "/", updateViaCache: "none" }).catch(function () {
      // Without a service worker the site works as before, only without the offline page.
    });
  });
}

// Wide tables scroll sideways inside ".table-wrap" on phones. A region that scrolls must be
// reachable with the keyboard (WCAG 2.1.1): while it overflows, make it a focusable group named
// after the table's caption or the heading of its section.
(function () {
  function name(wrapper) {
    const caption = wrapper.querySelector("caption");
    if (caption && caption.id) {
      return { attribute: "aria-labelledby", value: caption.id };
    }
    const section = wrapper.closest("[aria-labelledby]");
    if (section) {
      return { attribute: "aria-labelledby", value: section.getAttribute("aria-labelledby") };
    }
    return null;
  }

  function updateDocument() {
    document.querySelectorAll(".table-wrap").forEach(function (wrapper) {
      const overflowing = wrapper.scrollWidth > wrapper.clientWidth + 1;
      if (overflowing && !wrapper.hasAttribute("tabindex")) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.dataset.linliScrollable = "1";
        const label = name(wrapper);
        if (label && !wrapper.hasAttribute("role")) {
          wrapper.setAttribute("role", "group");
          wrapper.setAttribute(label.attribute, label.value);
        }
      } else if (!overflowing && wrapper.dataset.linliScrollable === "1") {
        wrapper.removeAttribute("tabindex");
        delete wrapper.dataset.linliScrollable;
        if (wrapper.getAttribute("role") === "group") {
          wrapper.removeAttribute("role");
          wrapper.removeAttribute("aria-labelledby");
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", updateDocument);
  } else {
    updateDocument();
  }
  let pending = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(updateDocument, 150);
  });
  document.addEventListener("htmx:afterSettle", updateDocument);
})();

// htmx forms and errors (docs/modules.md, "Forms and errors"). A view answers an invalid form with
// the form fragment and status 422: the htmx-config in base.html swaps 422 like a success, so the
// errors appear next to their fields, and focus moves to the first invalid field. Any other failed
// request (403, 404, 413, 429, 5xx, no network) shows a translated message in #request-error
// (role=alert) instead of failing silently. Background polling (hx-trigger "every …") stays quiet.
(function () {
  const KNOWN = ["400", "403", "404", "413", "429"];

  function quiet(element) {
    return Boolean(element && element.closest && element.closest('[hx-trigger^="every "], [hx-trigger*=" every "]'));
  }

  function clear() {
    const region = document.getElementById("request-error");
    if (region) {
      region.replaceChildren();
    }
  }

  function show(key) {
    const region = document.getElementById("request-error");
    if (!region) {
      return;
    }
    const text = region.getAttribute("data-message-" + key) || region.getAttribute("data-message-other");
    const message = document.createElement("p");
    message.className = "message message-error";
    message.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link-button";
    close.textContent = region.getAttribute("data-close");
    close.addEventListener("click", clear);
    message.append(" ", close);
    region.replaceChildren(message);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!quiet(event.detail.elt)) {
      clear();
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (quiet(event.detail.elt)) {
      return;
    }
    const status = String(event.detail.xhr.status);
    show(KNOWN.includes(status) ? status : status.charAt(0) === "5" ? "500" : "other");
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!quiet(event.detail.elt)) {
        show("network");
      }
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    const xhr = event.detail.xhr;
    const target = event.detail.target;
    if (xhr && xhr.status === 422 && target) {
      const invalid = target.querySelector('[aria-invalid="true"]');
      if (invalid) {
        invalid.focus();
      }
    }
  });
})();
