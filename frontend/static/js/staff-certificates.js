// /staff/certificates: after htmx swaps in the search or a refused revocation, its error
// summary takes focus (as app.js does on a page load), so a screen reader announces it first.
document.body.addEventListener("htmx:after:swap", () => {
  document.querySelector("#staff-certificates [data-autofocus]")?.focus();
});
