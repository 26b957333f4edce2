// Submits the one form marked data-autosubmit (LTI form_post hand-offs); the
// visible button remains for people without JavaScript.
(function () {
  var form = document.querySelector('form[data-autosubmit]');
  if (form) form.submit();
})();
