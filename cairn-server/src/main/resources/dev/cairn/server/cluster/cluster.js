// SPDX-License-Identifier: Apache-2.0
// The admin page: polls GET /cluster/state twice a second and redraws the tables. Every name
// (node, store, slot, address, reason) goes into the page as text (textContent, setAttribute),
// never as markup: a name is whatever a config or a peer said, and must not become HTML.
'use strict';

const TOKEN_KEY = 'cairn-admin-token';
const EVERY_MS = 500;
const STALE_MS = 2000;
let lastGood = 0;
/** Whether a poll is under way or scheduled: one loop at a time. */
let looping = false;

function token() { return sessionStorage.getItem(TOKEN_KEY); }

// A token in the fragment (/ui/#token=...) is kept for the tab and taken out of the address bar:
// the fragment never reaches a server, but it would stay in the history and in a copied link.
function tokenFromFragment() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function cell(row, text, className) {
  const td = el('td', text, className);
  row.appendChild(td);
  return td;
}

function time(iso) {
  if (!iso) return '';
  return iso.replace(/\.\d+Z$/, 'Z').replace('T', ' ');
}

function age(iso, now) {
  if (!iso) return '';
  let s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
}

function since(iso, now) {
  return iso ? 'since ' + time(iso) + ' (' + age(iso, now) + ')' : '';
}

function nodeOf(slot) { return slot ? slot.split('/')[0] : null; }

function renderNodes(state, now) {
  const body = document.querySelector('#nodes tbody');
  body.replaceChildren();
  for (const n of state.nodes) {
    const row = el('tr');
    row.setAttribute('data-node', n.name);
    if (n.reach === 'unreachable') row.className = 'bad';
    cell(row, n.name + (n.self ? ' (this node)' : ''), 'name');
    const reach = cell(row, (n.reach === 'reachable' ? 'reachable ' : n.reach === 'unreachable' ? 'unreachable ' : 'unknown ')
        + since(n.since, now), 'reach ' + (n.reach === 'reachable' ? 'ok-text' : n.reach === 'unreachable' ? 'bad-text' : 'muted'));
    if (n.why) reach.title = n.why;
    cell(row, n.slots.join(', '), 'slots slot');
    cell(row, Object.entries(n.addresses).map(([k, v]) => k + ' ' + v).join(', '), 'addresses addr');
    body.appendChild(row);
  }
}

function storeState(s, reach) {
  if (!s.master) return ['no master', 'bad'];
  if (reach[nodeOf(s.master)] === 'unreachable') return ['master unreachable', 'bad'];
  if (s.refusing) return ['refusing writes since ' + time(s.degraded_since), 'bad'];
  if (s.degraded_since) return ['degraded since ' + time(s.degraded_since), 'warn'];
  return ['ok', 'ok'];
}

function renderStores(state, now, reach) {
  const body = document.querySelector('#stores tbody');
  body.replaceChildren();
  for (const s of state.stores) {
    const [words, level] = storeState(s, reach);
    const rows = Math.max(1, s.replicas.length);
    const replicas = s.replicas.length ? s.replicas : [null];
    replicas.forEach((r, i) => {
      const row = el('tr');
      row.setAttribute('data-store', s.name);
      if (level !== 'ok') row.className = level;
      if (i === 0) {
        const first = [
          cell(row, s.name, 'store'),
          cell(row, s.master ? s.master : 'none', 'master slot' + (words === 'no master' || words === 'master unreachable' ? ' bad-text' : '')),
          cell(row, s.mode || '', 'mode'),
          cell(row, s.epoch, 'epoch num'),
          cell(row, words, 'state ' + level + '-text')];
        first.forEach(td => { td.rowSpan = rows; });
      }
      if (r === null) {
        cell(row, 'no replica', 'replica muted');
        for (let k = 0; k < 4; k++) cell(row, '');
      } else {
        row.setAttribute('data-replica', r.slot);
        cell(row, r.slot, 'replica slot');
        cell(row, r.in_sync === null ? 'not known here' : r.in_sync ? 'in' : 'out', 'insync '
            + (r.in_sync === null ? 'muted' : r.in_sync ? 'ok-text' : 'warn-text')).title = r.sync || '';
        cell(row, r.connected === null ? 'not known here' : (r.connected ? 'connected ' : 'disconnected ') + since(r.since, now),
            'link ' + (r.connected === null ? 'muted' : r.connected ? 'ok-text' : 'bad-text'));
        cell(row, r.lag_changes === null ? '—' : r.lag_changes, 'lag-changes num');
        cell(row, r.lag_seconds === null ? '—' : Number(r.lag_seconds).toFixed(3), 'lag-seconds num');
      }
      body.appendChild(row);
    });
  }
}

function renderFailovers(state) {
  const body = document.querySelector('#failovers tbody');
  body.replaceChildren();
  for (const f of state.failovers) {
    const row = el('tr');
    row.setAttribute('data-store', f.store);
    if (f.how === 'forced') row.className = 'warn';
    cell(row, time(f.at), 'at');
    cell(row, f.store, 'store');
    cell(row, f.from, 'from slot');
    cell(row, f.to === null ? 'another slot' : f.to, 'to slot');
    cell(row, f.epoch, 'epoch num');
    cell(row, f.how === 'fenced' ? 'fenced here' : f.how, 'how');
    body.appendChild(row);
  }
  document.getElementById('no-failovers').hidden = state.failovers.length > 0;
}

function renderAlerts(state, reach) {
  const list = document.getElementById('alerts');
  list.replaceChildren();
  const add = (text, level) => list.appendChild(el('li', text, level));
  for (const s of state.stores) {
    const [words, level] = storeState(s, reach);
    if (level !== 'ok') add('store ' + s.name + ': ' + words + (s.master && words === 'master unreachable' ? ' (' + s.master + ')' : ''), level);
  }
  for (const n of state.nodes) {
    if (n.reach === 'unreachable') add('node ' + n.name + ' unreachable since ' + time(n.since) + (n.why ? ': ' + n.why : ''), 'bad');
  }
  if (!list.firstChild) add('nothing needs attention', 'ok');
}

function render(state) {
  const now = Date.now();
  const reach = {};
  for (const n of state.nodes) reach[n.name] = n.reach;
  document.getElementById('source').textContent = 'as seen by ' + state.source + ', ' + time(state.at);
  renderAlerts(state, reach);
  renderNodes(state, now);
  renderStores(state, now, reach);
  renderFailovers(state);
}

function live(text, ok) {
  const l = document.getElementById('live');
  l.textContent = text;
  l.className = 'live ' + (ok ? 'ok' : 'stale');
}

function showLogin(message) {
  document.getElementById('cluster').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message || '';
  document.getElementById('token').focus();
}

function start() {
  if (looping) return;
  looping = true;
  poll();
}

async function poll() {
  const t = token();
  if (!t) { looping = false; showLogin(''); return; }
  const abort = new AbortController();
  const giveUp = setTimeout(() => abort.abort(), STALE_MS);
  try {
    const r = await fetch('/cluster/state', { headers: { 'Authorization': 'Bearer ' + t }, cache: 'no-store', signal: abort.signal });
    if (r.status === 401) {
      looping = false;
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('The node refused this token (it gets a new one at every start).');
      return;
    }
    if (!r.ok) throw new Error('HTTP ' + r.status + ': ' + (await r.text()));
    const state = await r.json();
    render(state);
    lastGood = Date.now();
    document.getElementById('login').hidden = true;
    document.getElementById('cluster').hidden = false;
    // the node answers, but its picture may be old (its ZooKeeper connection is down): say how old
    if (state.stale) live('stale (' + age(state.at, lastGood) + ' old): ' + state.stale, false);
    else live('live', true);
  } catch (e) {
    if (lastGood) live('no answer from this node since ' + new Date(lastGood).toISOString().substring(11, 19) + 'Z', false);
    else live('no answer yet: ' + e.message, false);
  } finally {
    clearTimeout(giveUp);
  }
  setTimeout(poll, EVERY_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  tokenFromFragment();
  document.getElementById('login').addEventListener('submit', e => {
    e.preventDefault();
    const t = document.getElementById('token').value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    document.getElementById('token').value = '';
    start();
  });
  start();
});
