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
