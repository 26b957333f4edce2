/* Inside an LMS iframe, asks the LMS to make the frame as tall as the page, so the page never
   scrolls inside a scrolling LMS page (nested scrollbars). Canvas (and Sakai, and the Sandbox)
   honour 'lti.frameResize'; Moodle sizes its frame itself and ignores the message. Only the
   height is sent, so no target origin needs to be trusted. Loaded with defer; no inline script. */
(function () {
  'use strict';
  if (window.parent === window) return;
  var last = 0;
  var pending = false;
  function send() {
    pending = false;
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) return;
    last = height;
    window.parent.postMessage(JSON.stringify({ subject: 'lti.frameResize', height: height }), '*');
  }
  function soon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(send);
  }
  window.addEventListener('load', soon);
  window.addEventListener('resize', soon);
  if ('ResizeObserver' in window) new window.ResizeObserver(soon).observe(document.body);
  soon();
})();
