// The hour log's "Print" button (CSP: no inline handlers). Without JavaScript the button stays
// hidden and the browser's own Print command prints the same page.
(function () {
  var button = document.querySelector('[data-print]');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    window.print();
  });
})();
