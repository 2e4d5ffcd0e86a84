// The UI: two static pages and their one script, which fetches the JSON API
// and builds the DOM with textContent only (no data reaches innerHTML), so
// the pages' policy can forbid inline script.
#include "agent/web_internal.hpp"

namespace drydock::agent::web {

const std::string_view kUiPolicy = "default-src 'self'; frame-src 'self'; frame-ancestors 'self'";
// report.html is one file with its script and style inline; it may reach
// nothing (connect-src 'none') and be framed only by the UI.
const std::string_view kReportPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                       "img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'; "
                                       "frame-ancestors 'self'; sandbox allow-scripts";

std::string_view list_page()
{
  return R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>drydock builds</title>
<link rel="stylesheet" href="/ui.css">
<script src="/ui.js" defer></script>
</head>
<body data-page="list">
<h1><a href="/">drydock</a> builds</h1>
<form id="filter" method="get" action="/">
<label>repo <input name="repo" id="filter-repo"></label>
<label>branch <input name="branch" id="filter-branch"></label>
<label>status <select name="status" id="filter-status">
<option value="">any</option><option>queued</option><option>running</option><option>success</option>
<option>failed</option><option>error</option><option>canceled</option><option>interrupted</option>
</select></label>
<button type="submit">Filter</button>
</form>
<p id="error" hidden></p>
<table id="builds">
<thead><tr><th>#</th><th>repo</th><th>branch or tag</th><th>sha</th><th>author</th><th>title</th><th>status</th>
<th>duration</th><th>started</th></tr></thead>
<tbody></tbody>
</table>
</body>
</html>
)HTML";
}

std::string_view build_page()
{
  return R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>drydock build</title>
<link rel="stylesheet" href="/ui.css">
<script src="/ui.js" defer></script>
</head>
<body data-page="build">
<h1><a href="/">drydock</a> build <span id="number"></span> <span id="status"></span></h1>
<p id="error" hidden></p>
<dl id="fields"></dl>
<p id="actions"><button id="cancel" type="button">Cancel</button> <button id="rebuild" type="button">Rebuild</button>
<span id="action"></span></p>
<iframe id="report" title="report" sandbox="allow-scripts" hidden></iframe>
<pre id="log"></pre>
</body>
</html>
)HTML";
}

std::string_view ui_style()
{
  return R"CSS(body { font: 14px system-ui, sans-serif; margin: 1em 2em; }
a { color: #0550ae; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #ddd; }
.status-success { color: #1a7f37; } .status-failed, .status-error { color: #cf222e; }
.status-running, .status-queued { color: #9a6700; } .status-canceled, .status-interrupted { color: #6e7781; }
#error { color: #cf222e; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dt { font-weight: bold; } dd { margin: 0; }
pre#log { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 70vh; }
iframe#report { width: 100%; height: 80vh; border: 1px solid #ddd; }
)CSS";
}

std::string_view ui_script()
{
  return R"JS('use strict';
(function () {
  var FINAL = ['success', 'failed', 'error', 'canceled', 'interrupted'];
  var TOKEN_KEY = 'drydock-token';

  function $(id) { return document.getElementById(id); }
  function text(tag, value, cls) {
    var e = document.createElement(tag);
    e.textContent = value == null ? '' : String(value);
    if (cls) e.className = cls;
    return e;
  }
  function showError(message) { var e = $('error'); e.textContent = message; e.hidden = false; }
  function askToken() {
    var token = sessionStorage.getItem(TOKEN_KEY) || prompt('The agent\'s token');
    if (!token) return Promise.reject(new Error('no token'));
    sessionStorage.setItem(TOKEN_KEY, token);
    return Promise.resolve(token);
  }
  // Reads from elsewhere need the token. Every read goes with the read
  // session's cookie (as the log's stream and the report's frame must): a
  // read refused opens a session with the token stored, silently, else with
  // one asked. A token refused (or none given) is asked no more until the
  // page is loaded again: its refreshes would prompt every few seconds.
  var opening = null; // the session being opened: reads refused at once wait for it
  var refused = null; // why no session could be opened
  function openSession() {
    if (refused) return Promise.reject(refused);
    if (opening) return opening;
    var stored = sessionStorage.getItem(TOKEN_KEY);
    var token = stored || prompt('The agent\'s token');
    if (!token) { refused = new Error('no token'); return Promise.reject(refused); }
    opening = fetch('/api/session', { method: 'POST', headers: { 'Authorization': 'Bearer ' + token } })
      .then(function (r) {
        opening = null;
        if (r.ok) { sessionStorage.setItem(TOKEN_KEY, token); return; }
        sessionStorage.removeItem(TOKEN_KEY);
        if (stored) return openSession(); // the stored one is stale: ask
        refused = new Error('the token was refused');
        throw refused;
      }, function (e) { opening = null; throw e; });
    return opening;
  }
  function getJson(url, again) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      if (r.status === 401 && !again) return openSession().then(function () { return getJson(url, true); });
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.statusText);
        return body;
      });
    });
  }
  function duration(ms) {
    if (ms == null) return '';
    var s = Math.round(ms / 1000);
    return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }

  function buildRow(b) {
    var tr = document.createElement('tr');
    tr.className = 'build';
    tr.dataset.id = b.id;
    tr.dataset.status = b.status;
    var link = document.createElement('a');
    link.href = b.url;
    link.textContent = '#' + b.number;
    var first = document.createElement('td');
    first.appendChild(link);
    tr.appendChild(first);
    [b.repo, b.branch || b.tag || b.ref, (b.sha || '').slice(0, 8), b.author, b.title].forEach(function (v) {
      tr.appendChild(text('td', v));
    });
    tr.appendChild(text('td', b.status, 'status status-' + b.status));
    tr.appendChild(text('td', duration(b.duration_ms)));
    tr.appendChild(text('td', when(b.started_at)));
    return tr;
  }

  function listPage() {
    var params = new URLSearchParams(location.search);
    ['repo', 'branch', 'status'].forEach(function (k) { if (params.get(k)) $('filter-' + k).value = params.get(k); });
    var query = new URLSearchParams();
    ['repo', 'branch', 'status', 'limit', 'before'].forEach(function (k) {
      if (params.get(k)) query.set(k, params.get(k));
    });
    function load() {
      getJson('/api/builds?' + query.toString()).then(function (body) {
        var tbody = document.querySelector('table#builds tbody');
        tbody.replaceChildren.apply(tbody, body.builds.map(buildRow));
        $('error').hidden = true;
      }).catch(function (e) { showError(e.message); });
    }
    load();
    setInterval(load, 5000);
  }

  function field(dl, name, value) {
    if (value == null || value === '') return;
    dl.appendChild(text('dt', name));
    dl.appendChild(text('dd', value));
  }

  function renderFields(b) {
    document.title = 'drydock ' + b.repo + ' #' + b.number;
    $('number').textContent = b.repo + ' #' + b.number;
    var status = $('status');
    status.textContent = b.status;
    status.className = 'status status-' + b.status;
    status.dataset.status = b.status;
    var dl = $('fields');
    dl.replaceChildren();
    [['ref', b.ref], ['sha', b.sha], ['author', b.author], ['title', b.title], ['reason', b.reason],
     ['agent', b.agent], ['queued', when(b.queued_at)], ['started', when(b.started_at)],
     ['finished', when(b.finished_at)], ['duration', duration(b.duration_ms)], ['exit code', b.exit_code],
     ['message', b.message]].forEach(function (p) { field(dl, p[0], p[1]); });
    $('cancel').disabled = FINAL.indexOf(b.status) >= 0;
  }

  function showFinal(b) {
    if (b.has_report) {
      var frame = $('report');
      frame.src = b.report_url;
      frame.hidden = false;
      $('log').hidden = true;
      return;
    }
    fetch(b.log_url).then(function (r) { return r.text(); })
      .then(function (t) { $('log').textContent = t; });
  }

  function follow(b, reload) {
    var log = $('log');
    var source = new EventSource('/api/builds/' + b.id + '/stream');
    // Each connection sends the log from its start.
    source.addEventListener('open', function () { log.textContent = ''; });
    // The first line means it runs: its fields (status, started) are fetched then, not at the next refresh.
    var first = true;
    source.addEventListener('log', function (e) {
      log.appendChild(document.createTextNode(e.data + '\n'));
      if (first) { first = false; reload(); }
    });
    source.addEventListener('status', function () { source.close(); reload(); });
    // Lost connections are retried by the browser; a refused stream is closed.
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) showError('the live log was refused: load the page again');
    });
  }

  function write(id, action) {
    return askToken().then(function (token) {
      return fetch('/api/builds/' + id + '/' + action, {
        method: 'POST', headers: { 'Authorization': 'Bearer ' + token }
      });
    }).then(function (r) {
      if (r.status === 401) sessionStorage.removeItem(TOKEN_KEY);
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.statusText);
        return body;
      });
    });
  }

  function buildPage() {
    var match = /^\/builds\/(\d+)$/.exec(location.pathname);
    if (!match) return showError('not a build page');
    var id = match[1];
    var following = false;
    var over = false;
    var timer = null;
    // While it runs, its fields (status, started) are fetched again now and then.
    function load() {
      if (over) return;
      getJson('/api/builds/' + id).then(function (b) {
        renderFields(b);
        if (FINAL.indexOf(b.status) >= 0) { over = true; showFinal(b); return; }
        if (!following) { following = true; follow(b, load); }
        clearTimeout(timer);
        timer = setTimeout(load, 5000);
      }).catch(function (e) {
        showError(e.message);
        if (e === refused) $('cancel').disabled = $('rebuild').disabled = true; // nothing to act on
      });
    }
    $('cancel').addEventListener('click', function () {
      write(id, 'cancel').then(function () { $('action').textContent = 'cancel requested'; load(); })
        .catch(function (e) { $('action').textContent = e.message; });
    });
    $('rebuild').addEventListener('click', function () {
      write(id, 'rebuild').then(function (b) { location.href = b.url; })
        .catch(function (e) { $('action').textContent = e.message; });
    });
    load();
  }

  if (document.body.dataset.page === 'list') listPage();
  else if (document.body.dataset.page === 'build') buildPage();
})();
)JS";
}

} // namespace drydock::agent::web
