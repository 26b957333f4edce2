// Adds the browser's time zone to export links (data-add-tz), so times in the CSV and the hour log
// are shown in the viewer's zone instead of UTC. Without JavaScript the exports say they are in UTC.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone) return;
  var links = document.querySelectorAll('a[data-add-tz]');
  for (var i = 0; i < links.length; i++) {
    var url = new window.URL(links[i].getAttribute('href'), window.location.href);
    url.searchParams.set('tz', zone);
    links[i].setAttribute('href', url.pathname + url.search);
  }
})();
