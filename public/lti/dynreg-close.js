// LTI Dynamic Registration: tell the platform the registration window may close.
(function () {
  'use strict';
  var target = window.opener || window.parent;
  if (target && target !== window) {
    target.postMessage({ subject: 'org.imsglobal.lti.close' }, '*');
  }
})();
