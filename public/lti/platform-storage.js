// Fieldbook: LTI platform storage (1EdTech LTI Client Side postMessages) for browsers that block
// third-party cookies in the LMS iframe. External file: the CSP forbids inline scripts.
//  - login page:  lti.capabilities → lti.put_data(state, nonce) → go to the platform's auth endpoint
//                 (goes there at once when storage is unavailable: the cookie flow).
//  - launch page: lti.capabilities → lti.get_data(state) → compare → post the one-time launch id and
//                 the state read back to the confirm endpoint (the server checks both again).
(function () {
  'use strict';
  var root = document.getElementById('lti-platform-storage');
  if (!root) return;
  var d = root.dataset;
  var TIMEOUT_MS = 3000;

  function messageId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  // Sends one message and resolves with the matching response (same subject + '.response' and
  // message_id, from the expected origin unless targetOrigin is '*').
  function ask(target, targetOrigin, message) {
    return new Promise(function (resolve, reject) {
      var id = messageId();
      var timer;
      function onMessage(event) {
        var data = event.data;
        if (!data || typeof data !== 'object' || data.message_id !== id || data.subject !== message.subject + '.response') return;
        if (targetOrigin !== '*' && event.origin !== targetOrigin) return;
        window.removeEventListener('message', onMessage);
        window.clearTimeout(timer);
        if (data.error) reject(new Error(String(data.error.code || 'error')));
        else resolve(data);
      }
      window.addEventListener('message', onMessage);
      timer = window.setTimeout(function () {
        window.removeEventListener('message', onMessage);
        reject(new Error('timeout'));
      }, TIMEOUT_MS);
      var payload = { message_id: id };
      for (var k in message) payload[k] = message[k];
      try {
        target.postMessage(payload, targetOrigin);
      } catch (err) {
        window.clearTimeout(timer);
        window.removeEventListener('message', onMessage);
        reject(err);
      }
    });
  }

  function frameWindow(name) {
    if (!name || name === '_parent') return window.parent;
    try {
      return window.parent.frames[name] || null;
    } catch {
      return null;
    }
  }

  // Resolves with the window that answers put_data/get_data, or rejects when storage is unavailable.
  function storageWindow() {
    if (window.parent === window) return Promise.reject(new Error('not framed'));
    return ask(window.parent, '*', { subject: 'lti.capabilities' }).then(function (res) {
      var caps = Array.isArray(res.supported_messages) ? res.supported_messages : [];
      function find(subject) {
        for (var i = 0; i < caps.length; i++) if (caps[i] && caps[i].subject === subject) return caps[i];
        return null;
      }
      var put = find('lti.put_data');
      var get = find('lti.get_data');
      if (!put || !get) throw new Error('storage not supported');
      var target = frameWindow(put.frame || d.target);
      if (!target) throw new Error('storage frame not found');
      return target;
    });
  }

  if (d.mode === 'login') {
    var go = function () { window.location.replace(d.authUrl); };
    storageWindow()
      .then(function (target) {
        return Promise.all([
          ask(target, d.origin, { subject: 'lti.put_data', key: 'state_' + d.state, value: d.state }),
          ask(target, d.origin, { subject: 'lti.put_data', key: 'nonce_' + d.nonce, value: d.nonce }),
        ]);
      })
      .then(go, go);
    return;
  }

  if (d.mode === 'launch') {
    var form = root.querySelector('form[data-storage-confirm]');
    var fail = function () {
      var error = root.querySelector('[data-storage-error]');
      if (error) error.hidden = false;
    };
    storageWindow()
      .then(function (target) {
        return ask(target, d.origin, { subject: 'lti.get_data', key: 'state_' + d.state });
      })
      .then(function (res) {
        if (!form || typeof res.value !== 'string' || res.value !== d.state) return fail();
        form.elements.namedItem('state').value = res.value;
        form.submit();
      }, fail);
  }
})();
