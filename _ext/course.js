// Course website: alt text for the figures that interactive widgets draw in the browser.
// The widget manager renders a notebook's ipywidgets (sliders and an Output area showing a
// Matplotlib figure) from the saved widget state, as <img> elements without alt text. Each
// gets one here: the section it belongs to and the sliders that redraw it.
(function () {
  "use strict";
  function describe(img) {
    var output = img.closest(".cell_output");
    var labels = output ? Array.from(output.querySelectorAll(".widget-label"))
      .map(function (l) { return l.textContent.trim(); }).filter(Boolean) : [];
    var section = img.closest("section");
    var heading = section ? section.querySelector("h1, h2, h3") : null;
    var title = heading ? heading.textContent.replace(/#$/, "").trim() : "";
    var alt = "Interactive figure" + (title ? " for \u201c" + title + "\u201d" : "");
    if (labels.length) { alt += ", redrawn by the sliders " + labels.join(", "); }
    return alt;
  }
  function label(root) {
    root.querySelectorAll(".cell_output img:not([alt])").forEach(function (img) {
      img.setAttribute("alt", describe(img));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    label(document);
    new MutationObserver(function () { label(document); })
      .observe(document.body, {childList: true, subtree: true});
  });
})();
