// The static parts of report.html: markup, style and the script that draws
// the run from the JSON blob (#run-data). The script only ever sets
// textContent and attributes, never innerHTML: step names and logs are
// hostile input. Stable hooks for tests: #verdict[data-result], #failures
// (first item: the first failure), .bar[data-step][data-status] per step,
// #steps details[data-step], #search, and data-render-ms and data-ready-ms on <html>
// once drawn.
#include "record/html_report.hpp"

namespace drydock::record {

std::string_view html_page_head()
{
  return R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="drydock">
<title>)";
}

std::string_view html_page_style()
{
  return R"(</title>
<style>
:root { --ok: #2e9d4f; --fail: #d0343a; --skip: #9aa0a6; --run: #e3902a; --none: #c9ccd1; --ink: #1f2328;
  --muted: #59636e; --line: #d8dee4; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); }
header, section { padding: 12px 24px; }
header { background: var(--bg); border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 6px; font-size: 22px; }
h1.passed::before { content: "\2714  "; color: var(--ok); }
h1.failed::before, h1.died::before { content: "\2716  "; color: var(--fail); }
h1.interrupted::before { content: "\25A0  "; color: var(--run); }
h2 { font-size: 16px; margin: 8px 0; }
dl#facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
pre.log { margin: 4px 0 8px; padding: 8px; background: #0d1117; color: #e6edf3; border-radius: 4px; max-height: 420px;
  overflow: auto; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; }
#failures { margin: 0; padding-left: 20px; }
#failures li { margin-bottom: 8px; }
#failures .where { color: var(--muted); }
.none { color: var(--muted); }
#timeline { position: relative; border: 1px solid var(--line); border-radius: 4px; padding: 4px 0 0; overflow: hidden; }
#axis { position: relative; height: 18px; color: var(--muted); font-size: 11px; border-bottom: 1px solid var(--line); }
#axis span { position: absolute; top: 0; transform: translateX(-50%); white-space: nowrap; }
#axis span:first-child { transform: none; }
#axis span:last-child { transform: translateX(-100%); }
#lanes { position: relative; margin: 4px 0; contain: strict; }
.bar { position: absolute; height: 14px; min-width: 4px; border-radius: 2px; font-size: 10px; line-height: 14px;
  color: #fff; padding: 0 3px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; cursor: default; }
.bar.succeeded { background: var(--ok); } .bar.failed { background: var(--fail); }
.bar.unfinished { background: var(--run); } .bar.skipped { background: var(--skip); } .bar.notrun { background: var(--none); }
.bar.crit { box-shadow: inset 0 -3px 0 #111; }
.bar.dim { opacity: 0.2; }
.bar.hl { outline: 2px solid #0969da; z-index: 2; }
#unstarted { padding: 4px 8px; color: var(--muted); font-size: 12px; }
#unstarted .bar { position: static; display: inline-block; margin: 0 4px 2px 0; max-width: 220px; vertical-align: middle; }
#edges { position: absolute; left: 0; top: 0; pointer-events: none; overflow: visible; }
#edges line { stroke: #0969da; stroke-width: 1.5; stroke-dasharray: 4 3; }
#edges line.released { stroke-dasharray: none; stroke-width: 2; }
#tip { position: absolute; z-index: 5; background: #fff; border: 1px solid var(--line); border-radius: 4px;
  box-shadow: 0 2px 8px rgba(0,0,0,.15); padding: 6px 8px; font-size: 12px; max-width: 420px; pointer-events: none; }
#legend { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
#legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; vertical-align: -1px; }
table { border-collapse: collapse; margin-bottom: 8px; }
caption { text-align: left; font-weight: 600; padding-bottom: 2px; }
th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid var(--line); }
td { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; overflow-wrap: anywhere; }
#search { width: 360px; max-width: 100%; padding: 4px 8px; font-size: 14px; }
#matches { color: var(--muted); margin-left: 8px; }
#steps details { border-bottom: 1px solid var(--line); padding: 2px 0; }
#steps summary { cursor: pointer; }
#steps .meta { color: var(--muted); margin-left: 8px; }
#steps .info { color: var(--muted); font-size: 12px; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
.dot.succeeded { background: var(--ok); } .dot.failed { background: var(--fail); } .dot.unfinished { background: var(--run); }
.dot.skipped { background: var(--skip); } .dot.notrun { background: var(--none); }
mark { background: #ffd33d; color: #000; }
button { margin: 6px 0; }
</style>
</head>
<body>
<header id="summary">
)";
}

std::string_view html_page_body()
{
  return R"(
<dl id="facts"></dl>
<noscript><p>This report draws the run with JavaScript; the data is in the page's run-data script element.</p></noscript>
</header>
<section id="failures-section"><h2>Failures</h2><ol id="failures"></ol></section>
<section id="timeline-section"><h2>Timeline</h2>
<div id="legend"></div>
<div id="timeline"><div id="axis"></div><div id="lanes"></div><div id="unstarted"></div><svg id="edges"></svg><div id="tip" hidden></div></div>
</section>
<section id="services-section"><h2>Services</h2><div id="services"></div></section>
<section id="images-section"><h2>Images and caches</h2><div id="images"></div><div id="caches"></div></section>
<section id="steps-section"><h2>Steps</h2>
<input id="search" type="search" placeholder="Search step names and logs" autocomplete="off"><span id="matches"></span>
<div id="steps"></div><button id="more" type="button" hidden>Show more</button>
</section>
<script type="application/json" id="run-data">)";
}

std::string_view html_page_script()
{
  return R"JS(</script>
<script>
(function () {
  'use strict';
  var t0 = performance.now();
  var data = JSON.parse(document.getElementById('run-data').textContent);
  var steps = data.steps;
  var PAGE = 200, FAILURES = 100, FAIL_LINES = 20;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function cls(status) { return status === 'not run' ? 'notrun' : status; }
  function duration(ms) {
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function lastLines(text, n) {
    var lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n).join('\n');
  }
  function outcome(s) {
    if (s.status === 'failed') {
      var text = s.timed_out ? 'timed out' : 'exit code ' + s.exit;
      if (s.signal) text += ' (signal ' + s.signal + ')';
      return s.message ? text + ': ' + s.message : text;
    }
    if (s.status === 'unfinished') return 'did not finish: the run ended first';
    if (s.status === 'skipped' || s.status === 'not run') return s.message || s.status;
    return s.status + (s.ms !== undefined ? ' in ' + duration(s.ms) : '');
  }
  function table(parent, title, head, rows) {
    if (!rows.length) { parent.appendChild(el('p', {'class': 'none'}, title + ': none in this run.')); return; }
    var t = el('table'), tr = el('tr');
    t.appendChild(el('caption', null, title));
    head.forEach(function (h) { tr.appendChild(el('th', null, h)); });
    t.appendChild(tr);
    rows.forEach(function (row) {
      var r = el('tr');
      row.forEach(function (c) { r.appendChild(el('td', null, c)); });
      t.appendChild(r);
    });
    parent.appendChild(t);
  }

  function facts() {
    var run = data.run, counts = {}, dl = document.getElementById('facts');
    steps.forEach(function (s) { counts[s.status] = (counts[s.status] || 0) + 1; });
    var tally = Object.keys(counts).sort().map(function (k) { return counts[k] + ' ' + k; }).join(', ');
    var rows = [['result', run.result], ['build', '#' + run.build], ['commit', run.commit || '-'],
      ['branch', run.branch || '-']];
    if (run.tag) rows.push(['tag', run.tag]);
    rows.push(['duration', duration(run.duration_ms)], ['started', run.started_at || '-'], ['config', run.config || '-'],
      ['steps', steps.length + (tally ? ' (' + tally + ')' : '')]);
    if (run.message) rows.push(['message', run.message]);
    if (run.skipped_lines) rows.push(['record', run.skipped_lines + ' unreadable line(s) of events.jsonl skipped']);
    rows.forEach(function (r) { dl.appendChild(el('dt', null, r[0])); dl.appendChild(el('dd', {id: 'fact-' + r[0]}, r[1])); });
  }

  // Failed steps in the order they finished, then those the run left unfinished.
  function failures() {
    var list = document.getElementById('failures');
    var failed = steps.filter(function (s) { return s.status === 'failed' || s.status === 'unfinished'; });
    failed.sort(function (a, b) {
      var ea = a.status === 'failed' ? a.end : Infinity, eb = b.status === 'failed' ? b.end : Infinity;
      return ea === eb ? a.i - b.i : (ea < eb ? -1 : 1);
    });
    if (!failed.length) {
      var why = data.run.message ? 'No step failed; the run did not get to its steps: ' + data.run.message : 'No step failed.';
      list.replaceWith(el('p', {id: 'failures', 'class': 'none'}, why));
      return;
    }
    failed.slice(0, FAILURES).forEach(function (s) {
      var li = el('li', {'data-step': s.id, 'data-status': s.status});
      li.appendChild(el('strong', null, s.name));
      var where = [s.group].concat(s.id !== s.name ? [s.id] : [], [outcome(s)]).join(' \u00b7 ');
      li.appendChild(el('span', {'class': 'where'}, '  ' + where + '  '));
      var open = el('a', {href: '#step-' + s.i}, 'whole log');
      open.addEventListener('click', function (e) { e.preventDefault(); reveal(s.i); });
      li.appendChild(open);
      li.appendChild(el('pre', {'class': 'log'}, s.log ? lastLines(s.log, FAIL_LINES) : '(it printed nothing)'));
      list.appendChild(li);
    });
    if (failed.length > FAILURES) list.appendChild(el('li', {'class': 'none'}, (failed.length - FAILURES) + ' more failed; see Steps'));
  }

  var total = Math.max(1, data.run.duration_ms);
  steps.forEach(function (s) { if (s.end !== undefined && s.end > total) total = s.end; });
  var ROW = 18, bars = [];

  function legend() {
    var l = document.getElementById('legend');
    [['succeeded', 'var(--ok)'], ['failed', 'var(--fail)'], ['unfinished', 'var(--run)'], ['skipped', 'var(--skip)'],
     ['not run', 'var(--none)']].forEach(function (p) {
      var i = el('i'); i.style.background = p[1]; l.appendChild(i); l.appendChild(document.createTextNode(p[0]));
    });
    var c = el('i'); c.style.boxShadow = 'inset 0 -3px 0 #111'; l.appendChild(c);
    l.appendChild(document.createTextNode('critical path (' + steps.filter(function (s) { return s.critical; }).length +
      ' steps) \u00b7 ' + data.lanes + ' lane(s) \u00b7 hover a bar for its needs'));
  }
  function axis() {
    var a = document.getElementById('axis');
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      var s = el('span', null, duration(Math.round(total * f))); s.style.left = (f * 100) + '%'; a.appendChild(s);
    });
  }
  // Names inside the bars only while they can be read: thousands of text nodes cost layout.
  var LABELS = steps.length <= 2000;
  function bar(s) {
    return el('div', {'class': 'bar ' + cls(s.status) + (s.critical ? ' crit' : ''), 'data-step': s.id,
      'data-status': s.status, 'data-i': s.i}, LABELS ? s.name : null);
  }
  function timeline() {
    legend(); axis();
    var lanes = document.getElementById('lanes'), unstarted = document.getElementById('unstarted');
    var frag = document.createDocumentFragment(), later = document.createDocumentFragment(), waiting = 0;
    lanes.style.height = (data.lanes * ROW) + 'px';
    steps.forEach(function (s) {
      var b = bar(s);
      bars[s.i] = b;
      if (s.start === undefined) { later.appendChild(b); waiting++; return; }
      b.style.left = (s.start / total * 100) + '%';
      b.style.width = ((s.end - s.start) / total * 100) + '%';
      b.style.top = (s.lane * ROW + 2) + 'px';
      frag.appendChild(b);
    });
    lanes.appendChild(frag);
    if (waiting) { unstarted.appendChild(document.createTextNode('never started: ')); unstarted.appendChild(later); }
    else unstarted.remove();
    hover(document.getElementById('timeline'));
  }

  // Edges on hover: a line from each need's end to the step's start (solid: released it).
  function hover(box) {
    var svg = document.getElementById('edges'), tip = document.getElementById('tip'), lit = [];
    function clear() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      lit.forEach(function (b) { b.classList.remove('hl'); }); lit = [];
      tip.hidden = true;
    }
    function point(b, end) {
      var r = b.getBoundingClientRect(), o = box.getBoundingClientRect();
      return [(end ? r.right : r.left) - o.left, r.top + r.height / 2 - o.top];
    }
    box.addEventListener('mouseover', function (e) {
      var b = e.target.closest && e.target.closest('.bar');
      if (!b) return;
      clear();
      var s = steps[+b.getAttribute('data-i')];
      svg.setAttribute('width', box.clientWidth); svg.setAttribute('height', box.clientHeight);
      s.needs.forEach(function (n) {
        var from = point(bars[n], true), to = point(b, false);
        var line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
        line.setAttribute('x1', from[0]); line.setAttribute('y1', from[1]);
        line.setAttribute('x2', to[0]); line.setAttribute('y2', to[1]);
        if (s.released_by.indexOf(n) >= 0) line.setAttribute('class', 'released');
        svg.appendChild(line);
        bars[n].classList.add('hl'); lit.push(bars[n]);
      });
      tip.textContent = '';
      tip.appendChild(el('strong', null, s.name));
      var lines = [s.id + ' \u00b7 ' + s.group + ' \u00b7 ' + s.runs_in, outcome(s)];
      if (s.start !== undefined) lines.push(duration(s.start) + ' \u2192 ' + duration(s.end) + ', lane ' + s.lane + (s.critical ? ', critical path' : ''));
      if (s.needs.length) lines.push('needs: ' + s.needs.map(function (n) { return steps[n].id; }).join(', '));
      if (s.released_by.length) lines.push('released by: ' + s.released_by.map(function (n) { return steps[n].id; }).join(', '));
      lines.forEach(function (t) { tip.appendChild(el('div', null, t)); });
      var p = point(b, false);
      tip.style.left = Math.min(Math.max(0, p[0]), Math.max(0, box.clientWidth - 430)) + 'px';
      tip.style.top = (p[1] + 12) + 'px';
      tip.hidden = false;
    });
    box.addEventListener('mouseleave', clear);
  }

  function decisions() {
    table(document.getElementById('services'), 'Time to ready', ['service', 'ready in', 'step'],
      data.services.map(function (s) { return [s.service, duration(s.ms), s.step]; }));
    table(document.getElementById('images'), 'Images', ['image', 'decision', 'reference', 'step'],
      data.images.map(function (i) { return [i.image, i.decision, i.reference, i.step]; }));
    table(document.getElementById('caches'), 'Caches', ['cache directory', 'decision', 'key', 'step'],
      data.caches.map(function (c) { return [c.dir, c.decision, c.key || '-', c.step]; }));
  }

  // The step list: PAGE rows at a time; a log becomes DOM only when its row opens.
  var list = document.getElementById('steps'), more = document.getElementById('more');
  var search = document.getElementById('search'), matches = document.getElementById('matches');
  var matched = steps, shown = 0, query = '';

  function highlight(pre, text) {
    var lower = text.toLowerCase();
    if (!query || lower.length !== text.length) { pre.textContent = text; return; }
    var at = 0, i;
    while ((i = lower.indexOf(query, at)) >= 0) {
      pre.appendChild(document.createTextNode(text.slice(at, i)));
      pre.appendChild(el('mark', null, text.slice(i, i + query.length)));
      at = i + query.length;
    }
    pre.appendChild(document.createTextNode(text.slice(at)));
  }
  function logView(s) {
    var box = el('div', {'class': 'logbox'});
    var info = [s.id, s.runs_in, outcome(s)];
    if (s.needs.length) info.push('needs ' + s.needs.map(function (n) { return steps[n].id; }).join(', '));
    box.appendChild(el('div', {'class': 'info'}, info.join(' \u00b7 ')));
    if (s.log_cut) {
      var kept = s.log ? 'Only the last ' + s.log.replace(/\n$/, '').split('\n').length + ' lines are here'
                       : 'The log is not in this page (its room for logs is used up)';
      box.appendChild(el('div', {'class': 'info'}, kept + '; the whole log (' + s.log_bytes + ' bytes) is ' +
        s.log_file + ' in the run record.'));
    }
    var pre = el('pre', {'class': 'log'});
    if (s.log !== undefined) highlight(pre, s.log); else pre.textContent = '(it printed nothing)';
    box.appendChild(pre);
    return box;
  }
  function row(s) {
    var d = el('details', {id: 'step-' + s.i, 'data-step': s.id, 'data-status': s.status});
    var sum = el('summary');
    sum.appendChild(el('span', {'class': 'dot ' + cls(s.status)}));
    sum.appendChild(el('span', {'class': 'name'}, s.name));
    sum.appendChild(el('span', {'class': 'meta'}, s.group + ' \u00b7 ' + outcome(s)));
    d.appendChild(sum);
    d.addEventListener('toggle', function () {
      if (d.open && !d.querySelector('.logbox')) d.appendChild(logView(s));
    });
    return d;
  }
  function showMore() {
    var frag = document.createDocumentFragment(), end = Math.min(matched.length, shown + PAGE);
    for (; shown < end; shown++) frag.appendChild(row(matched[shown]));
    list.appendChild(frag);
    more.hidden = shown >= matched.length;
    more.textContent = 'Show ' + Math.min(PAGE, matched.length - shown) + ' more of ' + (matched.length - shown);
  }
  function filter() {
    query = search.value.trim().toLowerCase();
    matched = !query ? steps : steps.filter(function (s) {
      return (s.name + '\n' + s.id).toLowerCase().indexOf(query) >= 0 ||
        (s.log !== undefined && s.log.toLowerCase().indexOf(query) >= 0);
    });
    var hit = {};
    matched.forEach(function (s) { hit[s.i] = true; });
    bars.forEach(function (b, i) { b.classList.toggle('dim', !!query && !hit[i]); });
    matches.textContent = query ? matched.length + ' of ' + steps.length + ' steps match' : '';
    list.textContent = ''; shown = 0;
    showMore();
  }
  function reveal(i) {
    if (query) { search.value = ''; filter(); }
    while (shown <= i && shown < matched.length) showMore();
    var d = document.getElementById('step-' + i);
    if (d) { d.open = true; d.scrollIntoView({block: 'start'}); }
  }
  var timer = 0;
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(filter, 150); });
  more.addEventListener('click', showMore);

  facts(); failures(); timeline(); decisions(); showMore();
  // For bench/report: the script's own time, and the time since the navigation began.
  document.documentElement.setAttribute('data-render-ms', (performance.now() - t0).toFixed(1));
  document.documentElement.setAttribute('data-ready-ms', performance.now().toFixed(1));
})();
</script>
</body>
</html>
)JS";
}

} // namespace drydock::record
