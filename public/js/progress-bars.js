// Sizes Bootstrap progress bars from data-percent: the CSP forbids inline style attributes.
// The numbers are also in the text and aria attributes, so nothing depends on this script.
(function () {
  document.querySelectorAll('.progress-bar[data-percent]').forEach(function (bar) {
    var value = Number(bar.getAttribute('data-percent'));
    bar.style.width = Math.max(0, Math.min(100, value)) + '%';
  });
})();
