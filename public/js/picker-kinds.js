// The deep-linking picker holds every kind's settings; show only those of the chosen kind (none
// chosen yet: none). Hidden fields are still posted, and the server reads only the chosen kind's.
(function () {
  var radios = document.querySelectorAll('input[name="activityType"]');
  var blocks = document.querySelectorAll('[data-kind-settings]');
  if (!radios.length || !blocks.length) return;
  function show() {
    var chosen = document.querySelector('input[name="activityType"]:checked');
    Array.prototype.forEach.call(blocks, function (b) {
      b.hidden = !chosen || b.getAttribute('data-kind-settings') !== chosen.value;
    });
  }
  Array.prototype.forEach.call(radios, function (r) {
    r.addEventListener('change', show);
  });
  show();
})();
