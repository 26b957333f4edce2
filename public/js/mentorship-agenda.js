// Choosing another agenda template fills the agenda with its outline — unless the candidate has
// already written their own (the text is then neither empty nor one of the outlines), which is kept.
(function () {
  var select = document.getElementById('ci-template');
  var agenda = document.getElementById('ci-agenda');
  if (!select || !agenda) return;
  var outlines = Array.prototype.map.call(select.options, function (o) {
    return o.getAttribute('data-agenda') || '';
  });
  select.addEventListener('change', function () {
    var current = agenda.value.trim();
    var isUntouched = current === '' || outlines.some(function (o) { return o.trim() === current; });
    if (!isUntouched) return;
    agenda.value = select.options[select.selectedIndex].getAttribute('data-agenda') || '';
    agenda.dispatchEvent(new window.Event('input', { bubbles: true }));
  });
})();
