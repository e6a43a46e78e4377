// Live activity: server-sent events from /admin/live. Each sign-in is added to the list, the
// counters and the day's bar, without a reload. The stream authenticates with the session cookie.
(function () {
  'use strict';
  var kpis = document.querySelector('[data-live-since]');
  var list = document.querySelector('[data-live-list]');
  var state = document.querySelector('[data-live-state]');
  if (!kpis || !list || typeof window.EventSource === 'undefined') { if (state) state.textContent = ''; return; }
  var from = kpis.getAttribute('data-range-from');
  var to = kpis.getAttribute('data-range-to');
  var MAX_ITEMS = 20;

  function bump(metric, by) {
    var el = document.querySelector('[data-metric="' + metric + '"]');
    if (!el || !by) return;
    el.textContent = (Number(el.textContent.replace(/,/g, '')) + by).toLocaleString('en-US');
  }

  function show(event) {
    var empty = list.querySelector('[data-live-empty]');
    if (empty) empty.remove();
    var item = document.createElement('li');
    var time = document.createElement('time');
    time.dateTime = event.at;
    time.textContent = event.at.slice(11, 19) + ' UTC';
    var what = document.createElement('span');
    what.textContent = ' ' + event.who + (event.kind === 'signup' ? ' signed up' : ' signed in') + ' with ' + event.connection + (event.ip ? ' from ' + event.ip : '');
    item.appendChild(time);
    item.appendChild(what);
    item.setAttribute('data-live-item', event.id);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
  }

  function apply(event) {
    var d = event.delta;
    bump('users_total', d.users);
    if (d.day >= from && d.day <= to) {
      bump('signups', d.signups);
      bump('signins', d.signins);
      if (window.insoleCharts) {
        if (d.signups) window.insoleCharts.add('signups', d.day, event.connection, d.signups);
        if (d.signins) window.insoleCharts.add('signins', d.day, event.connection, d.signins);
      }
    }
  }

  var url = '/admin/live?since=' + encodeURIComponent(kpis.getAttribute('data-live-since'));
  var seen = {};

  /** Opens the stream; `settled` is called once it has its answer, open or not (a renewal, if any, is done by then). */
  function connect(settled) {
    var source = new EventSource(url);
    var done = settled || function () {};
    source.addEventListener('open', function () {
      state.textContent = 'live';
      state.className = 'live-state on';
      done();
      done = function () {};
    });
    source.addEventListener('signin', function (message) {
      var event = JSON.parse(message.data);
      if (seen[event.id]) return; // a reconnect replays what it has kept
      seen[event.id] = true;
      show(event);
      apply(event);
    });
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) { state.textContent = 'stopped: reload the page to sign in again'; state.className = 'live-state off'; }
      else { state.textContent = 'reconnecting…'; state.className = 'live-state'; }
      done();
      done = function () {};
    });
    // The session is over: signed out (in another tab, perhaps), or the account was blocked, deleted
    // or lost the role that gives live activity. Say so, and do not reconnect.
    source.addEventListener('ended', function (message) {
      source.close();
      var why = '';
      try { why = JSON.parse(message.data).message || ''; } catch (e) { /* no reason given */ }
      state.textContent = 'stopped. ' + (why || 'The session has ended.') + ' Reload the page to sign in again.';
      state.className = 'live-state off';
    });
    // The access token ran out. Every tab's stream ends at that same instant, and the next request
    // renews the session with its refresh token, which rotates: two tabs renewing at once make insole
    // revoke it (and both sign in again). So tabs reconnect one at a time, each after the one before
    // it has its answer (the new session cookie); where Web Locks are missing, at a random moment.
    source.addEventListener('expired', function () {
      source.close();
      state.textContent = 'reconnecting…';
      state.className = 'live-state';
      if (navigator.locks) navigator.locks.request('insole-dashboard-renewal', function () { return new Promise(connect); });
      else setTimeout(connect, 1000 + Math.random() * 4000);
    });
  }
  connect();
})();
