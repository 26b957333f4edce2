/* After a form comes back with errors, moves focus to its error summary (announced as an alert),
   so keyboard and screen-reader users start where the problem is; the summary's links lead to
   the fields. Loaded with defer; no inline script. */
(function () {
  'use strict';
  function focusSummary() {
    var summary = document.querySelector('[data-error-summary]');
    if (!summary) return;
    if (!summary.hasAttribute('tabindex')) summary.setAttribute('tabindex', '-1');
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: 'center' });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', focusSummary);
  else focusSummary();
})();
