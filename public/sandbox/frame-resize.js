// Sandbox LMS: honours the tool's 'lti.frameResize' postMessage as Canvas does (public/javascripts/
// lti/messages.js: the message may be an object or its JSON text; the frame that sent it gets the
// height asked for, so the tool's page never scrolls inside the LMS page). Only messages from the
// tool frame itself are read. External file: the CSP forbids inline scripts.
(function () {
  'use strict';
  var frames = document.querySelectorAll('iframe.sandbox-tool-frame');
  if (!frames.length) return;
  window.addEventListener('message', function (event) {
    var m = event.data;
    if (typeof m === 'string') {
      try {
        m = JSON.parse(m);
      } catch {
        return;
      }
    }
    if (!m || typeof m !== 'object' || m.subject !== 'lti.frameResize') return;
    var height = Number(m.height);
    if (!isFinite(height) || height <= 0) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        // The height asked for is the page's; the frame's border comes on top (border-box sizing).
        // CSSOM, not a style attribute: allowed under the CSP's style-src 'self'.
        var border = frames[i].offsetHeight - frames[i].clientHeight;
        frames[i].style.height = Math.min(Math.ceil(height), 100000) + border + 'px';
        frames[i].setAttribute('data-resized', String(Math.ceil(height)));
      }
    }
  });
})();
