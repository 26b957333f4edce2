// Sandbox LMS: the platform side of LTI platform storage (1EdTech LTI Client Side postMessages).
// On the launch page it answers lti.capabilities; whichever window is the storage target (the launch
// page itself for lti_storage_target=_parent, or the hidden "post_message_forwarding" frame served
// from the platform's OIDC origin, as Canvas does) answers lti.put_data / lti.get_data. Only messages
// from the tool's origin are answered; data is kept in memory per tool origin for the page's life.
// External file: the CSP forbids inline scripts.
(function () {
  'use strict';
  var el = document.getElementById('sandbox-platform-storage');
  if (!el) return;
  var toolOrigin = el.dataset.toolOrigin;
  var role = el.dataset.role; // 'launch' or 'forwarding'
  var frame = el.dataset.frame || '';
  var storesData = role === 'forwarding' || (role === 'launch' && !frame);
  var store = Object.create(null);

  function capability(subject) {
    var c = { subject: subject };
    if (frame && subject !== 'lti.capabilities') c.frame = frame;
    return c;
  }

  window.addEventListener('message', function (event) {
    var m = event.data;
    if (!m || typeof m !== 'object' || typeof m.subject !== 'string' || !event.source) return;
    if (event.origin !== toolOrigin) return;
    function reply(fields) {
      var r = { subject: m.subject + '.response', message_id: m.message_id };
      for (var k in fields) r[k] = fields[k];
      event.source.postMessage(r, event.origin);
    }
    var id = event.origin + ' ' + String(m.key);
    if (m.subject === 'lti.capabilities' && role === 'launch') {
      reply({ supported_messages: [capability('lti.capabilities'), capability('lti.put_data'), capability('lti.get_data')] });
    } else if (m.subject === 'lti.put_data' && storesData) {
      if (typeof m.key !== 'string' || m.key.length === 0 || m.key.length > 256 || (m.value !== null && typeof m.value !== 'string')) {
        return reply({ key: m.key, error: { code: 'bad_request', message: 'key and value must be strings' } });
      }
      if (m.value === null) delete store[id];
      else store[id] = String(m.value).slice(0, 4096);
      reply({ key: m.key, value: m.value });
    } else if (m.subject === 'lti.get_data' && storesData) {
      if (typeof m.key !== 'string' || !(id in store)) return reply({ key: m.key, error: { code: 'bad_request', message: 'no value for this key' } });
      reply({ key: m.key, value: store[id] });
    }
  });
})();
