/* Rewrites each <time data-local datetime="ISO"> into the viewer's local time zone (the server's
   text is a fallback in the course's zone, or a plain date). Loaded with defer; no inline script. */
(function () {
  'use strict';
  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  } catch {
    return;
  }
  function rewrite(root) {
    var times = root.querySelectorAll('time[data-local][datetime]');
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) continue;
      el.textContent = format.format(date);
      el.setAttribute('data-local', 'done');
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { rewrite(document); });
  else rewrite(document);
})();
