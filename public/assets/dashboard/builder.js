// The segment builder's live preview: as the form changes (debounced), the form is posted to
// /admin/segments/preview, which builds the filter on the server and asks the Management API's
// preview; the count, the filter and the breakdowns are shown from its answer.
(function () {
  'use strict';
  var form = document.querySelector('form[data-builder]');
  var panel = document.querySelector('[data-preview]');
  if (!form || !panel || typeof window.fetch === 'undefined') return;
  var MULTI = ['connection', 'lifecycle', 'sentiment'];
  var timer;
  var sequence = 0;

  function fields() {
    var body = {};
    new FormData(form).forEach(function (value, name) {
      if (name === 'name' || name === 'description') return;
      if (MULTI.indexOf(name) >= 0) (body[name] = body[name] || []).push(String(value));
      else body[name] = String(value);
    });
    return body;
  }

  function fill(table, rows) {
    var tbody = table.tBodies[0];
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      var th = document.createElement('th');
      th.scope = 'row';
      th.textContent = row.bucket || row.value;
      var td = document.createElement('td');
      td.textContent = row.count.toLocaleString('en-US');
      tr.appendChild(th);
      tr.appendChild(td);
      tbody.appendChild(tr);
    });
  }

  function show(answer) {
    panel.querySelector('[data-preview-count]').textContent = answer.count.toLocaleString('en-US');
    panel.querySelector('[data-preview-description]').textContent = answer.description;
    panel.querySelector('[data-preview-filter]').textContent = JSON.stringify(answer.filter, null, 2);
    panel.querySelector('[data-preview-error]').textContent = '';
    ['age', 'gender', 'country', 'connection'].forEach(function (d) { fill(panel.querySelector('[data-breakdown="' + d + '"]'), answer.breakdown[d]); });
    panel.setAttribute('data-preview-state', 'done');
  }

  function refresh() {
    var mine = ++sequence;
    panel.setAttribute('data-preview-state', 'loading');
    fetch('/admin/segments/preview', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': form.querySelector('input[name="_csrf"]').value },
      body: JSON.stringify(fields()),
    }).then(function (res) {
      return res.json().then(function (body) { return { status: res.status, body: body }; });
    }).then(function (answer) {
      if (mine !== sequence) return; // a newer change is on its way
      if (answer.status === 200) return show(answer.body);
      // The form makes no filter now: the count and words of the last one would describe something else.
      panel.querySelector('[data-preview-count]').textContent = '—';
      panel.querySelector('[data-preview-description]').textContent = '';
      panel.querySelector('[data-preview-error]').textContent = answer.status === 401 && !answer.body.error_description
        ? 'Your session has ended: reload the page to sign in again.'
        : answer.body.error_description || 'The preview failed.'; // a 401 says why: expired, or the account blocked or deleted
      panel.setAttribute('data-preview-state', 'error');
    }).catch(function () {
      if (mine === sequence) panel.querySelector('[data-preview-error]').textContent = 'The preview could not be reached.';
    });
  }

  function changed(event) {
    if (event.target && (event.target.name === 'name' || event.target.name === 'description')) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
})();
