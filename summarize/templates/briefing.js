// A position or quote (a button, so Enter and Space work) scrolls to its marks in the article
// and flashes them; a mark leads back to the first position that cites it.
(() => {
  "use strict";
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const flash = (elements) => {
    for (const element of elements) {
      element.classList.remove("flash");
      void element.offsetWidth; // restart the animation when the same quote is chosen twice
      element.classList.add("flash");
      window.setTimeout(() => element.classList.remove("flash"), 1600);
    }
  };

  const show = (elements, focus) => {
    if (!elements.length) return;
    elements[0].scrollIntoView({ behavior: still ? "auto" : "smooth", block: "center" });
    focus.focus({ preventScroll: true });
    flash(elements);
  };

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const go = target && target.closest("[data-go]");
    if (go) {
      const marks = [...document.querySelectorAll("mark[data-quotes]")].filter((mark) =>
        mark.dataset.quotes.split(" ").includes(go.dataset.go),
      );
      if (marks.length) show(marks, marks[0]);
      return;
    }
    const mark = target && target.closest("mark[data-positions]");
    if (mark) {
      const position = document.getElementById(mark.dataset.positions.split(" ")[0]);
      const button = position && position.querySelector("button");
      if (position && button) show([position], button);
    }
  });
})();
