// Autosave of a candidate's form — the practicum entry, the mentorship check-in (nothing typed is ever lost):
// - every change is copied to localStorage (form values only, never the ltik);
// - about 10 s after a change the form is saved as a draft (JSON endpoint) and the
//   hidden entryId/version fields are updated so later saves update the same draft;
// - a copy newer than what the server rendered (expired session, relaunch) is restored,
//   with a "Discard restored text" button; copies are dropped once the server has the text.
(function () {
  var form = document.querySelector('form[data-autosave-key]');
  if (!form) return;
  var DELAY_MS = 10000;
  var key = form.getAttribute('data-autosave-key');
  var url = form.getAttribute('data-autosave-url');
  // The hidden field naming the record the autosave made (entryId on the practicum log).
  var idField = form.getAttribute('data-autosave-id-field') || 'entryId';
  var renderedAt = Number(form.getAttribute('data-autosave-rendered')) || 0;
  var status = form.querySelector('[data-autosave-status]');
  var restoredBox = document.querySelector('[data-autosave-restored]');
  var store = null;
  try {
    store = window.localStorage;
    store.getItem(key);
  } catch {
    store = null; // storage disabled: the server autosave still runs
  }

  // Session and routing fields travel with each request, never in the device copy.
  var SKIP = { ltik: true, intent: true, aid: true };
  var timer = null;
  var inFlight = false;
  var changes = 0;
  var pendingSubmitter = null;

  function say(text) {
    if (status) status.textContent = text;
  }

  function fieldValues() {
    var values = {};
    var data = new window.FormData(form);
    data.forEach(function (value, name) {
      if (SKIP[name] || typeof value !== 'string') return;
      var field = form.elements.namedItem(name);
      var isList = field && field.length !== undefined && field.tagName !== 'SELECT';
      if (isList) (values[name] = values[name] || []).push(value);
      else values[name] = value;
    });
    return values;
  }

  function hasText(values) {
    return Object.keys(values).some(function (name) {
      if (name === idField || name === 'version' || name === 'formToken') return false;
      var v = values[name];
      return Array.isArray(v) ? v.length > 0 : String(v).trim() !== '';
    });
  }

  function applyValues(values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name]) return;
      var v = values[el.name];
      if (el.type === 'checkbox' || el.type === 'radio') {
        el.checked = Array.isArray(v) ? v.indexOf(el.value) !== -1 : v === el.value;
      } else if (el.type !== 'submit' && el.type !== 'button') {
        el.value = v === undefined || Array.isArray(v) ? '' : v;
      }
    });
  }

  function readCopy(k) {
    if (!store) return null;
    try {
      var copy = JSON.parse(store.getItem(k) || 'null');
      return copy && typeof copy === 'object' && copy.values ? copy : null;
    } catch {
      return null;
    }
  }

  function writeCopy() {
    if (!store) return;
    try {
      store.setItem(key, JSON.stringify({ savedAt: Date.now(), values: fieldValues() }));
    } catch {
      /* quota full: the server autosave still runs */
    }
  }

  function dropCopy(k) {
    if (store) store.removeItem(k);
  }

  function clockTime(iso) {
    var d = new Date(iso);
    var pad = function (n) {
      return (n < 10 ? '0' : '') + n;
    };
    return pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function schedule() {
    if (timer === null) timer = window.setTimeout(save, DELAY_MS);
  }

  function finishPendingSubmit() {
    if (!pendingSubmitter) return;
    var submitter = pendingSubmitter;
    pendingSubmitter = null;
    if (form.requestSubmit) form.requestSubmit(submitter);
    else form.submit();
  }

  function save() {
    timer = null;
    if (inFlight) return schedule();
    var values = fieldValues();
    if (!hasText(values)) return;
    var seen = changes;
    var ltikField = form.elements.namedItem('ltik');
    var aidField = form.elements.namedItem('aid');
    var body = Object.assign({ ltik: ltikField ? ltikField.value : '', aid: aidField ? aidField.value : '' }, values);
    inFlight = true;
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    })
      .then(function (res) {
        return res.json().then(
          function (json) {
            return { ok: res.ok, json: json };
          },
          function () {
            return { ok: false, json: null };
          },
        );
      })
      .then(function (result) {
        if (!result.ok || !result.json || !result.json.id) throw new Error('not saved');
        form.elements.namedItem(idField).value = result.json.id;
        form.elements.namedItem('version').value = String(result.json.version);
        say('Draft saved ' + clockTime(result.json.savedAt));
        if (changes === seen) dropCopy(key);
        else {
          writeCopy();
          schedule();
        }
      })
      .catch(function () {
        say('Not saved — your text is kept on this device');
      })
      .then(function () {
        inFlight = false;
        finishPendingSubmit();
      });
  }

  function onChange() {
    changes += 1;
    writeCopy();
    schedule();
  }

  form.addEventListener('input', onChange);
  form.addEventListener('change', onChange);
  form.addEventListener('submit', function (event) {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    // Wait for an autosave in flight, so the form posts the draft's new version.
    if (inFlight) {
      event.preventDefault();
      pendingSubmitter = event.submitter || null;
    }
    // The copy stays until the server confirms (data-autosave-clear on the next page).
  });

  // The server has what the last form post carried: drop those copies.
  (form.getAttribute('data-autosave-clear') || '').split(' ').forEach(function (k) {
    if (k) dropCopy(k);
  });

  // Restore a copy newer than what the server rendered.
  var copy = readCopy(key);
  if (!copy) return;
  var rendered = fieldValues();
  if (!(copy.savedAt > renderedAt) || JSON.stringify(copy.values) === JSON.stringify(rendered) || !hasText(copy.values)) {
    if (JSON.stringify(copy.values) === JSON.stringify(rendered)) dropCopy(key);
    return;
  }
  applyValues(copy.values);
  if (restoredBox) {
    restoredBox.hidden = false;
    var discard = restoredBox.querySelector('[data-autosave-discard]');
    if (discard) {
      discard.addEventListener('click', function () {
        if (timer !== null) {
          window.clearTimeout(timer);
          timer = null;
        }
        applyValues(rendered);
        dropCopy(key);
        restoredBox.hidden = true;
        say('Restored text discarded.');
        var first = form.querySelector('input:not([type=hidden]), select, textarea');
        if (first) first.focus();
      });
    }
  }
  say('Restored text you typed earlier; it will be saved as a draft shortly.');
  schedule();
})();
