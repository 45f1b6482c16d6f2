// Verification letters: the "Print" button opens the browser's print dialogue (no inline script: CSP 'self').
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) {
    event.preventDefault();
    window.print();
  }
});
