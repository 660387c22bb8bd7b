// Frontdesk agent console. No dependencies; CSP-safe: DOM is built with createElement and all
// data is set via textContent (never innerHTML), no inline code or styles.
// Structure:
//   1. helpers:  $(), el(), formatting
//   2. api():    same-origin fetch, "Authorization: Bearer <key>"; error body -> Error; 401 -> sign out
//   3. auth:     sign in / out; the key lives in sessionStorage (gone when the tab closes)
//   4. sessions: GET /api/sessions[?external_id=], sorted by latest activity
//   5. view:     messages (deduped by id), contact panel, reply form
//   6. live:     long-poll GET /api/updates?after=CURSOR&wait=25, backoff 1s..30s
'use strict';
(() => {
  const KEY = 'frontdesk.agentKey';
  const $ = (id) => document.getElementById(id);
  const say = (id, text = '') => { $(id).textContent = text; };
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };
  const fmtTime = (t) => { const d = new Date(t); return isNaN(d) ? '' : d.toLocaleString(); };
  const clip = (s = '', n) => (s.length > n ? s.slice(0, n) + '…' : s);
  const contactLabel = (s) => {
    const c = s.contact || {};
    return c.name && c.email ? `${c.name} <${c.email}>` : c.name || c.email || 'Anonymous visitor';
  };
  const wsLabel = (s) => (s.external_id ? 'Workspace ' + s.external_id : 'Default workspace');
  const activity = (s) => Date.parse(s.last_message?.created_at || s.created_at) || 0;
  const json = (v) => v == null || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length)
    ? 'none' : JSON.stringify(v, null, 2);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ---- state ----
  let key = null;
  let sessions = new Map();   // id → session (as returned by /api/sessions, last_message kept fresh)
  let ignored = new Set();    // session ids outside the current workspace filter
  let filter = '';
  let openId = null;
  let seen = new Set();       // message ids shown in the open session
  let cursor = null;          // long-poll cursor; null until the first list load
  let liveGen = 0;            // bumped to stop the poll loop
  let pollCtrl = null;

  // ---- api ----
  async function api(path, opts = {}) {
    const k = key;
    const headers = { Authorization: 'Bearer ' + k };
    if (opts.body) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method: opts.method || 'GET', headers, cache: 'no-store', signal: opts.signal,
      body: opts.body ? JSON.stringify(opts.body) : undefined,
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error(data?.error?.message || (res.status === 413 ? 'That message is too long.'
        : `Request failed (HTTP ${res.status}).`));
      err.status = res.status;
      if (res.status === 401 && k === key) signOut('That key was refused');
      throw err;
    }
    return data || {};
  }
  // Show a failed call's message in the element `id` (a 401 has already signed out).
  const fail = (id) => (e) => { if (e.status !== 401) say(id, e.message || 'Network error.'); };

  // ---- auth ----
  const show = (signedIn) => {
    $('signin').hidden = signedIn;
    $('app').hidden = $('sign-out').hidden = !signedIn;
  };
  function signIn(k) {
    key = k;
    show(true);
    reloadList();
  }
  const reloadList = () => loadSessions().catch(fail('list-error'));

  function signOut(message) {
    liveGen++;
    if (pollCtrl) pollCtrl.abort();
    sessionStorage.removeItem(KEY);
    key = null; openId = null; cursor = null; filter = '';
    sessions = new Map(); ignored = new Set(); seen = new Set();
    for (const id of ['sessions', 'messages', 'c-trusted', 'c-untrusted', 'announcer', 'list-error', 'view-error',
      'reply-error', 'view-meta', 'c-name', 'c-email', 'c-verified']) $(id).replaceChildren();
    $('workspace').value = ''; $('reply').value = ''; $('key').value = '';
    say('view-h', 'Select a session');
    $('view-body').hidden = $('live-status').hidden = true;
    show(false);
    say('key-error', message);
    $('key').focus();
  }

  // ---- sessions list ----
  async function loadSessions() {
    const f = filter, k = key;
    const r = await api('/api/sessions' + (f ? '?external_id=' + encodeURIComponent(f) : ''));
    if (f !== filter || k !== key) return; // stale: filter changed or signed out
    sessions = new Map((r.sessions || []).map((s) => [s.id, s]));
    say('list-error');
    renderList();
    if (openId && sessions.has(openId)) renderContact(sessions.get(openId));
    if (cursor === null) { // first load: start live updates after the newest message we know of
      cursor = 0;
      for (const s of sessions.values()) cursor = Math.max(cursor, s.last_message?.id || 0);
      poll(++liveGen);
    }
  }

  function badge(verified) {
    return el('span', 'badge ' + (verified ? 'ok' : 'no'), verified ? 'Verified' : 'Unverified');
  }

  function renderList() { // keeps keyboard focus on the same session across re-renders
    const fid = document.activeElement?.dataset?.sid;
    let refocus = null;
    const list = [...sessions.values()].sort((a, b) => activity(b) - activity(a));
    $('list-empty').hidden = list.length > 0;
    $('sessions').replaceChildren(...list.map((s) => {
      const b = el('button', 'session');
      b.type = 'button';
      b.dataset.sid = s.id;
      if (s.id === fid) refocus = b;
      if (s.id === openId) b.setAttribute('aria-current', 'true');
      const head = el('span', 'row');
      head.append(el('strong', 'name', contactLabel(s)), badge(s.verified));
      const m = s.last_message;
      const preview = m ? (m.author === 'agent' ? (m.author_name || 'Agent') + ': ' : '') + clip(m.content, 80) : 'No messages yet';
      b.append(head,
        el('span', 'meta', `${wsLabel(s)} · ${fmtTime(m ? m.created_at : s.created_at)}`),
        el('span', 'preview', preview));
      b.addEventListener('click', () => openSession(s.id));
      const li = el('li');
      li.append(b);
      return li;
    }));
    refocus?.focus();
  }

  // ---- session view ----
  function renderContact(s) {
    const c = s.contact || {};
    say('view-h', contactLabel(s));
    say('view-meta', `${wsLabel(s)} · started ${fmtTime(s.created_at)}`);
    say('c-name', c.name || '—');
    say('c-email', c.email || '—');
    $('c-verified').replaceChildren(badge(s.verified));
    say('c-trusted', json(c.custom_data));
    say('c-untrusted', json(c.non_verified_custom_data));
  }

  async function openSession(id) {
    const s = sessions.get(id);
    if (!s) return;
    openId = id; seen = new Set();
    $('messages').replaceChildren();
    say('view-error'); say('reply-error');
    $('view-body').hidden = false;
    renderContact(s); renderList();
    $('view-h').focus();
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/messages`);
      if (openId !== id) return;
      (r.messages || []).forEach(addMessage);
      scrollDown();
    } catch (e) {
      if (openId === id) fail('view-error')(e);
    }
  }

  // Insert a message in id order unless already shown.
  function addMessage(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    const li = el('li', 'msg ' + (m.author === 'agent' ? 'agent' : 'visitor'));
    li.dataset.id = m.id;
    const head = el('p', 'msg-head');
    const time = el('time', null, fmtTime(m.created_at));
    time.dateTime = m.created_at || '';
    head.append(el('span', 'who', m.author === 'agent' ? m.author_name || 'Agent' : 'Visitor'), ' · ', time);
    li.append(head, el('p', 'body', m.content));
    const list = $('messages');
    const last = list.lastElementChild;
    const next = !last || Number(last.dataset.id) < m.id ? null
      : [...list.children].find((n) => Number(n.dataset.id) > m.id);
    list.insertBefore(li, next || null);
  }

  const atBottom = (l = $('messages')) => l.scrollHeight - l.scrollTop - l.clientHeight < 60;
  const scrollDown = (l = $('messages')) => { l.scrollTop = l.scrollHeight; };

  async function sendReply() {
    const ta = $('reply'), btn = $('send'), content = ta.value, id = openId;
    if (!id || btn.disabled) return;
    if (!content.trim()) { say('reply-error', 'Write a reply first.'); return; }
    btn.disabled = true;
    say('reply-error');
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/messages`, { method: 'POST', body: { content } });
      if (ta.value === content) ta.value = '';
      if (r.message) noteMessages([r.message]);
      scrollDown();
      ta.focus();
    } catch (e) {
      fail('reply-error')(e);
    } finally {
      btn.disabled = false;
    }
  }

  // ---- live updates ----
  // Apply new messages: refresh list entries, append to the open session, announce visitor messages.
  function noteMessages(msgs) {
    const fresh = [], stick = atBottom();
    let unknown = false;
    for (const m of msgs) {
      const s = sessions.get(m.session_id);
      if (s) {
        if (!s.last_message || m.id > s.last_message.id) { s.last_message = m; fresh.push(m); }
      } else if (!ignored.has(m.session_id)) unknown = true;
      if (m.session_id === openId) addMessage(m);
    }
    if (stick) scrollDown();
    renderList();
    return { fresh, unknown };
  }

  function announce(msgs) {
    const v = msgs.filter((m) => m.author === 'visitor' && sessions.has(m.session_id));
    if (!v.length) return;
    say('announcer', v.length > 3 ? `${v.length} new visitor messages.`
      : v.map((m) => `New message from ${contactLabel(sessions.get(m.session_id))}: ${clip(m.content, 140)}`).join(' '));
  }

  async function applyUpdates(msgs) {
    const { fresh, unknown } = noteMessages(msgs);
    if (unknown) { // a new session (or one not yet listed): reload the list, then remember what the filter hides
      const known = new Set(sessions.keys()), f = filter;
      await loadSessions();
      for (const m of msgs) {
        if (!sessions.has(m.session_id)) { if (f === filter) ignored.add(m.session_id); }
        else if (!known.has(m.session_id)) fresh.push(m);
      }
    }
    announce(fresh);
  }

  const setLive = (text) => { $('live-status').hidden = false; say('live-status', text); };

  async function poll(gen) {
    let delay = 1000;
    setLive('Live');
    while (gen === liveGen) {
      const ctrl = pollCtrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), 40000);
      const started = Date.now();
      try {
        const r = await api(`/api/updates?after=${cursor}&wait=25`, { signal: ctrl.signal });
        if (gen !== liveGen) return;
        const msgs = r.messages || [];
        await applyUpdates(msgs);
        if (gen !== liveGen) return;
        cursor = Number.isInteger(r.cursor) ? r.cursor : msgs.reduce((c, m) => Math.max(c, m.id), cursor);
        delay = 1000;
        setLive('Live');
        if (!msgs.length && Date.now() - started < 1000) await sleep(1000); // never spin
      } catch (e) {
        if (gen !== liveGen || e.status === 401) return;
        setLive(`Reconnecting in ${delay / 1000} s…`);
        await sleep(delay);
        delay = Math.min(delay * 2, 30000);
        setLive('Reconnecting…');
      } finally {
        clearTimeout(timer);
      }
    }
  }

  // ---- wiring ----
  function init() {
    $('signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const k = $('key').value.trim();
      if (!/^(ak|sk)_[^\s]+$/.test(k)) {
        say('key-error', 'Enter an agent key (ak_…) or a secret key (sk_…).');
        return;
      }
      say('key-error');
      $('key').value = '';
      sessionStorage.setItem(KEY, k);
      signIn(k);
    });
    $('sign-out').addEventListener('click', () => signOut());
    $('filter-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      filter = $('workspace').value.trim();
      ignored = new Set();
      say('list-error');
      reloadList();
    });
    $('reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); sendReply(); });
    $('reply').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendReply(); }
    });
    const k = sessionStorage.getItem(KEY);
    if (k) signIn(k);
  }

  init(); // the script is loaded with `defer`, so the DOM is ready
})();
