// Sandbox LMS: posts the OIDC form_post hand-off (id_token + state) to the tool as soon as the page
// loads. The visible button stays for people without JavaScript. Kept external: the CSP forbids inline scripts.
(function () {
  'use strict';
  var form = document.querySelector('form[data-sandbox-auto-submit]');
  if (form) form.submit();
})();
