// Frontdesk agent console. No dependencies; CSP-safe: DOM is built with createElement and all
// data is set via textContent (never innerHTML), no inline code or styles.
// Structure:
//   1. helpers:  $(), el(), formatting
//   2. api():    same-origin fetch, "Authorization: Bearer <key>"; error body -> Error; 401 -> sign out
//   3. auth:     sign in / out; the key lives in sessionStorage (gone when the tab closes)
//   4. sessions: GET /api/sessions[?external_id=], sorted by latest activity
//   5. view:     messages (deduped by id; resolved/reopened/rated events as divider lines), status bar
//                (Resolve / Reopen), "Seen" line, contact panel, reply form (typing signals)
//   6. csat:     GET /api/csat[?external_id=], refreshed on `rated` events
//   7. live:     long-poll GET /api/updates?after=CURSOR&signals_after=N&wait=25, backoff 1s..30s;
//                typing and seen signals; seen reports (POST …/seen) while the tab is visible
//   8. files:    a message's attachments (images as thumbnails that open full size in a dialog, other files as a
//                row that downloads), fetched with the key and shown as blob: URLs revoked when the chat is left;
//                files to send (Attach, paste, drop): each uploaded on Send, then the reply names them
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
  const fmtShort = (t) => { // "10:32" today, else with the date
    const d = new Date(t);
    if (isNaN(d)) return '';
    const hm = { hour: '2-digit', minute: '2-digit' };
    return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString([], hm)
      : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  };
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
  // A greeting is text the widget showed before the visitor's first message: a bubble, labelled, not an event.
  const isEvent = (m) => m.kind != null && m.kind !== 'text' && m.kind !== 'greeting';
  // What a resolved/reopened/rated event says (its divider line and its list preview).
  const eventText = (m) => {
    const agent = m.author === 'agent', who = m.author_name || 'Agent';
    switch (m.kind) {
      case 'resolved': return agent ? `Resolved by ${who}` : 'Visitor ended the chat';
      case 'reopened': return agent ? `Reopened by ${who}` : 'Reopened by the visitor';
      case 'rated': return `Rated ${m.score}/5` + (m.content ? `: ${m.content}` : '');
      default: return m.content || m.kind;
    }
  };
  const stars = (r) => `★${r.score}`;
  const fmtSize = (n) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB`
    : `${(n / 1024 / 1024).toFixed(1)} MB`);
  const TYPES = { 'image/png': 'PNG image', 'image/jpeg': 'JPEG image', 'image/gif': 'GIF image',
    'image/webp': 'WebP image', 'application/pdf': 'PDF', 'text/plain': 'Text file' };
  const typeLabel = (t) => TYPES[t] || t || 'File';
  // Shown as a thumbnail: the raster types the server serves inline (never SVG, which can carry script).
  const isImage = (t) => /^image\/(png|jpeg|gif|webp)$/.test(t || '');
  const atts = (m) => m.attachments || [];
  // A message as one line of text (list preview, announcements): its content, then its files.
  const msgText = (m) => {
    const a = atts(m), files = !a.length ? '' : a.length === 1 ? `[file: ${a[0].name}]` : `[${a.length} files]`;
    return [m.content, files].filter(Boolean).join(' ');
  };

  // ---- state ----
  let key = null;
  let sessions = new Map();   // id → session (as returned by /api/sessions, last_message kept fresh)
  let ignored = new Set();    // session ids outside the current workspace filter
  let filter = '';
  let openId = null;
  let shown = new Set();      // message ids shown in the open session
  let signalsAt = 0;          // the long-poll's signals_after
  const typingUntil = new Map(); // session id → when its "Visitor is typing…" expires (ms)
  let typingTimer = null;
  const seenSent = new Map(); // session id → the highest message id this tab reported as read
  const TYPING_EVERY = 2000, TYPING_TTL = 6000;
  let typingSentAt = 0, typingSid = null; // the agent's own typing: when and where `typing: true` was last sent
  let cursor = null;          // long-poll cursor; null until the first list load
  let liveGen = 0;            // bumped to stop the poll loop
  let pollCtrl = null;

  // ---- api ----
  // The response of a successful call (a FormData body goes as multipart, any other as JSON); else throws.
  async function call(path, opts = {}) {
    const k = key;
    const headers = { Authorization: 'Bearer ' + k };
    let body = opts.body;
    if (body && !(body instanceof FormData)) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(body); }
    const res = await fetch(path, { method: opts.method || 'GET', headers, cache: 'no-store', signal: opts.signal, body });
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      const err = new Error(data?.error?.message || (res.status === 413 ? opts.tooLarge || 'That message is too long.'
        : `Request failed (HTTP ${res.status}).`));
      err.status = res.status;
      if (res.status === 401 && k === key) signOut('That key was refused');
      throw err;
    }
    return res;
  }
  const api = async (path, opts) => (await (await call(path, opts)).json().catch(() => null)) || {};
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
    key = null; openId = null; cursor = null; filter = ''; signalsAt = 0;
    sessions = new Map(); ignored = new Set(); shown = new Set();
    typingUntil.clear(); seenSent.clear(); typingSid = null;
    leaveChat(); clearFiles();
    for (const id of ['sessions', 'messages', 'c-trusted', 'c-untrusted', 'announcer', 'list-error', 'view-error',
      'reply-error', 'status-error', 'view-meta', 'view-status', 'c-name', 'c-email', 'c-verified', 'csat-dist',
      'csat-summary', 'csat-scope', 'csat-error']) $(id).replaceChildren();
    renderTyping();
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
    if (openId && sessions.has(openId)) { renderContact(sessions.get(openId)); placeSeen(); }
    loadCsat();
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
      const preview = !m ? 'No messages yet' : isEvent(m) ? clip(eventText(m), 80)
        : (m.author === 'agent' ? (m.author_name || 'Agent') + ': ' : '') + clip(msgText(m), 80);
      const st = el('span', 'row status-row');
      st.append(statusBadge(s));
      if (s.rating) st.append(ratingText(s.rating, 'rating', 60));
      b.append(head,
        el('span', 'meta', `${wsLabel(s)} · ${fmtTime(m ? m.created_at : s.created_at)}`),
        st,
        el('span', 'preview', preview));
      b.addEventListener('click', () => openSession(s.id));
      const li = el('li');
      li.append(b);
      return li;
    }));
    refocus?.focus();
  }

  const resolved = (s) => s.status === 'resolved';
  const statusBadge = (s) => el('span', 'badge status ' + (resolved(s) ? 'resolved' : 'open'), resolved(s) ? 'Resolved' : 'Open');
  // "★4 Quick and friendly": the star is for the eye, "Rated 4 of 5" for screen readers.
  function ratingText(r, cls, max = 1000) {
    const e = el('span', cls);
    const star = el('span', 'stars', stars(r));
    star.setAttribute('aria-hidden', 'true');
    e.append(star, el('span', 'sr-only', `Rated ${r.score} of 5`));
    if (r.comment) e.append(' ', el('span', 'comment', clip(r.comment, max)));
    return e;
  }

  // ---- session view ----
  // The open chat's status bar: its status (and rating), and Resolve or Reopen.
  function renderStatus(s) {
    const p = $('view-status');
    p.replaceChildren(el('span', 'sr-only', 'Status: '), statusBadge(s));
    if (resolved(s) && s.resolved_at) p.append(' ', el('span', 'muted', 'since ' + fmtShort(s.resolved_at)));
    if (s.rating) p.append(' ', ratingText(s.rating, 'rating'));
    const wasFocused = document.activeElement === $('resolve') || document.activeElement === $('reopen');
    $('resolve').hidden = resolved(s);
    $('reopen').hidden = !resolved(s);
    if (wasFocused) $(resolved(s) ? 'reopen' : 'resolve').focus(); // the pressed button is gone: keep focus here
  }

  let statusBusy = false; // not `disabled`: disabling the focused button would drop keyboard focus to the page
  async function setStatus(action) {
    const id = openId, btn = $(action);
    if (!id || statusBusy) return;
    statusBusy = true;
    btn.setAttribute('aria-busy', 'true');
    say('status-error');
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: {} });
      const s = sessions.get(id);
      if (s && r.session) {
        const { last_message: m, ...rest } = r.session;
        Object.assign(s, rest);
        if (m) noteMessages([m]); // the event, before the long-poll brings it (deduped by id)
        else renderList();
        if (openId === id) renderStatus(s);
      }
    } catch (e) {
      if (openId === id) fail('status-error')(e);
    } finally {
      statusBusy = false;
      btn.removeAttribute('aria-busy');
    }
  }

  function renderContact(s) {
    const c = s.contact || {};
    say('view-h', contactLabel(s));
    say('view-meta', `${wsLabel(s)} · started ${fmtTime(s.created_at)}`);
    say('c-name', c.name || '—');
    say('c-email', c.email || '—');
    $('c-verified').replaceChildren(badge(s.verified));
    say('c-trusted', json(c.custom_data));
    say('c-untrusted', json(c.non_verified_custom_data));
    renderStatus(s);
  }

  async function openSession(id) {
    const s = sessions.get(id);
    if (!s) return;
    if (openId !== id) { stopTyping(); clearFiles(); } // files chosen for one visitor never go to another
    leaveChat();
    openId = id; shown = new Set();
    $('messages').replaceChildren();
    say('view-error'); say('reply-error'); say('status-error');
    renderTyping();
    $('view-body').hidden = false;
    renderContact(s); renderList();
    $('view-h').focus();
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/messages`);
      if (openId !== id) return;
      (r.messages || []).forEach(addMessage);
      placeSeen();
      scrollDown();
      reportSeen();
    } catch (e) {
      if (openId === id) fail('view-error')(e);
    }
  }

  // Insert a message in id order unless already shown: a text as a bubble, an event as a centred divider line.
  function addMessage(m) {
    if (shown.has(m.id)) return;
    shown.add(m.id);
    let li;
    if (isEvent(m)) {
      li = el('li', 'event');
      li.dataset.kind = m.kind;
      const time = el('time', null, fmtShort(m.created_at));
      time.dateTime = m.created_at || '';
      time.title = fmtTime(m.created_at);
      const p = el('p');
      p.append(el('span', 'event-text', eventText(m)), ' · ', time);
      li.append(p);
    } else {
      const greeting = m.kind === 'greeting';
      li = el('li', 'msg ' + (greeting ? 'greeting' : m.author === 'agent' ? 'agent' : 'visitor'));
      const head = el('p', 'msg-head');
      const time = el('time', null, fmtTime(m.created_at));
      time.dateTime = m.created_at || '';
      const who = greeting ? 'Greeting (shown by the widget)' : m.author === 'agent' ? m.author_name || 'Agent' : 'Visitor';
      head.append(el('span', 'who', who), ' · ', time);
      li.append(head);
      if (m.content || !atts(m).length) li.append(el('p', 'body', m.content));
      if (atts(m).length) li.append(attachmentList(atts(m)));
    }
    li.dataset.id = m.id;
    li.dataset.author = m.author;
    const next = [...$('messages').children].find((n) => n.dataset.id && Number(n.dataset.id) > m.id);
    $('messages').insertBefore(li, next || null);
  }

  // One "Seen" line under the agent's last message at or below the visitor's seen_by_visitor.
  function placeSeen() {
    $('seen-line')?.remove();
    const upTo = sessions.get(openId)?.seen_by_visitor;
    if (!upTo) return;
    const mine = [...$('messages').querySelectorAll('li.msg.agent')].filter((n) => Number(n.dataset.id) <= upTo).pop();
    if (!mine) return;
    const li = el('li', 'seen-line', 'Seen');
    li.id = 'seen-line';
    li.title = 'The visitor has seen this';
    mine.after(li);
  }

  // Tell the server what this agent has read: the newest visitor message shown, when the tab is visible.
  function reportSeen() {
    const id = openId, s = sessions.get(id);
    if (!id || !s || document.visibilityState !== 'visible' || $('view-body').hidden) return;
    const last = [...$('messages').querySelectorAll('li[data-author="visitor"]')].pop();
    const mid = last ? Number(last.dataset.id) : 0;
    if (!mid || mid <= Math.max(seenSent.get(id) || 0, s.seen_by_agent || 0)) return;
    seenSent.set(id, mid);
    api(`/api/sessions/${encodeURIComponent(id)}/seen`, { method: 'POST', body: { message_id: mid } })
      .then(() => { s.seen_by_agent = Math.max(s.seen_by_agent || 0, mid); })
      .catch(() => { if (seenSent.get(id) === mid) seenSent.delete(id); }); // try again on the next change
  }

  // The agent's typing: `typing: true` at most every 2 s while text is typed, `false` when cleared or sent.
  function postTyping(id, typing) {
    api(`/api/sessions/${encodeURIComponent(id)}/typing`, { method: 'POST', body: { typing } }).catch(() => {});
  }
  function onReplyInput() {
    const id = openId;
    if (!id) return;
    if (!$('reply').value.trim()) { stopTyping(); return; }
    const now = Date.now();
    if (typingSid === id && now - typingSentAt < TYPING_EVERY) return;
    if (typingSid && typingSid !== id) stopTyping();
    typingSid = id; typingSentAt = now;
    postTyping(id, true);
  }
  function stopTyping() {
    if (!typingSid) return;
    const id = typingSid;
    typingSid = null; typingSentAt = 0;
    if (key) postTyping(id, false);
  }

  // "Visitor is typing…" for the open chat, until `typing: false`, a visitor message, or 6 s without a refresh.
  function renderTyping() {
    clearTimeout(typingTimer);
    const until = openId ? typingUntil.get(openId) || 0 : 0, left = until - Date.now();
    const t = $('typing');
    if (left > 0) {
      if (t.hidden) { t.textContent = 'Visitor is typing…'; t.hidden = false; }
      typingTimer = setTimeout(renderTyping, left + 50);
    } else {
      if (openId) typingUntil.delete(openId);
      t.hidden = true; t.textContent = '';
    }
  }

  const atBottom = (l = $('messages')) => l.scrollHeight - l.scrollTop - l.clientHeight < 60;
  const scrollDown = (l = $('messages')) => { l.scrollTop = l.scrollHeight; };

  async function sendReply() {
    const ta = $('reply'), btn = $('send'), content = ta.value, id = openId;
    if (!id || btn.disabled) return;
    if (!content.trim() && !pending.length) { say('reply-error', 'Write a reply or attach a file first.'); return; }
    btn.disabled = true;
    say('reply-error');
    try {
      const files = pending.slice();
      for (const f of files) if (pending.includes(f)) await upload(id, f); // one at a time, in order
      if (openId !== id) return;
      const sent = files.filter((f) => pending.includes(f)), refused = sent.filter((f) => !f.att);
      if (refused.length) {
        say('reply-error', refused.length === 1
          ? `Not sent: ${refused[0].file.name} was refused (the reason is beside it). Remove it or try again.`
          : `Not sent: ${refused.length} files were refused (the reason is beside each). Remove them or try again.`);
        return;
      }
      if (!sent.length && !content.trim()) { say('reply-error', 'Write a reply or attach a file first.'); return; }
      const body = {};
      if (content.trim()) body.content = content;
      if (sent.length) { body.attachment_ids = sent.map((f) => f.att.id); body.client_id = draftId ||= newClientId(); }
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/messages`, { method: 'POST', body });
      if (ta.value === content) ta.value = '';
      for (const f of sent) dropFile(f);
      draftId = null;
      if (typingSid === id) stopTyping();
      if (r.message) noteMessages([r.message]);
      scrollDown();
      ta.focus();
    } catch (e) {
      if (openId === id) fail('reply-error')(e);
    } finally {
      btn.disabled = false;
    }
  }

  // The server's message, or what a failed fetch (no answer at all) means.
  const netMessage = (e) => (e.status ? e.message : 'The server could not be reached. Try again.');

  // ---- files: shown in messages ----
  // Every file of the open chat is fetched with the key (an <img src> cannot send it) and shown through a blob:
  // URL; leaving the chat revokes them all, and `chatGen` tells a late answer that its chat is gone.
  let chatGen = 0;
  const blobUrls = new Map(); // attachment id → Promise<blob: URL>, for the open chat
  function leaveChat() {
    chatGen++;
    for (const p of blobUrls.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
    blobUrls.clear();
    if ($('viewer').open) $('viewer').close();
    $('viewer-img').removeAttribute('src');
  }
  function fileUrl(id) {
    let p = blobUrls.get(id);
    if (!p) {
      const gen = chatGen;
      p = call(`/api/attachments/${encodeURIComponent(id)}`).then((r) => r.blob()).then((b) => {
        if (gen !== chatGen) throw Object.assign(new Error('The chat was left.'), { stale: true });
        return URL.createObjectURL(b);
      });
      blobUrls.set(id, p);
      p.catch(() => { if (blobUrls.get(id) === p) blobUrls.delete(id); }); // a failed fetch is tried again on the next click
    }
    return p;
  }
  // Save the file under its name: the bytes as served, through <a download>.
  async function download(a, errEl) {
    errEl.textContent = '';
    try {
      const link = el('a');
      link.href = await fileUrl(a.id);
      link.download = a.name || 'file';
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    } catch (e) {
      if (!e.stale && e.status !== 401) errEl.textContent = `Could not download ${a.name}: ${netMessage(e)}`;
    }
  }
  function attachmentList(list) {
    const ul = el('ul', 'atts');
    ul.setAttribute('aria-label', list.length === 1 ? 'Attachment' : `${list.length} attachments`);
    for (const a of list) {
      const li = el('li', 'att'), err = el('p', 'error att-error');
      li.append(isImage(a.type) ? thumb(a, err) : fileRow(a, err), err);
      ul.append(li);
    }
    return ul;
  }
  // A file as a row: its name, type and size; a click downloads it.
  function fileRow(a, err) {
    const b = el('button', 'att-file');
    b.type = 'button';
    b.title = 'Download ' + a.name;
    const icon = el('span', 'att-icon', '⤓');
    icon.setAttribute('aria-hidden', 'true');
    b.append(icon, el('span', 'sr-only', 'Download '), el('span', 'att-name', a.name),
      el('span', 'att-meta', ` ${typeLabel(a.type)} · ${fmtSize(a.size)}`));
    b.addEventListener('click', () => download(a, err));
    return b;
  }
  // An image as a thumbnail: a click opens it full size. If it cannot be shown, it becomes a file row.
  function thumb(a, err) {
    const b = el('button', 'att-thumb'), img = el('img'), gen = chatGen;
    b.type = 'button';
    b.title = `${a.name} (${fmtSize(a.size)}): open full size`;
    img.alt = a.name;
    b.append(el('span', 'sr-only', 'View image '), img);
    const fallback = (why) => { if (gen === chatGen && b.isConnected) { b.replaceWith(fileRow(a, err)); err.textContent = why; } };
    img.addEventListener('error', () => fallback('The preview could not be shown.'), { once: true });
    fileUrl(a.id).then((u) => { if (gen === chatGen) img.src = u; },
      (e) => { if (!e.stale && e.status !== 401) fallback(`The preview could not be loaded: ${netMessage(e)}`); });
    b.addEventListener('click', () => openViewer(a, b));
    return b;
  }
  let viewing = null, viewerFrom = null;
  async function openViewer(a, from) {
    const gen = chatGen;
    let url;
    try { url = await fileUrl(a.id); } catch { return; }
    if (gen !== chatGen) return;
    viewing = a; viewerFrom = from;
    say('viewer-h', a.name);
    say('viewer-error');
    $('viewer-img').alt = a.name;
    $('viewer-img').src = url;
    if (!$('viewer').open) $('viewer').showModal();
    $('viewer-close').focus();
  }

  // ---- files: to send ----
  let pending = [];   // { file, att, li, state, err, ctrl }, in the order chosen; `att` once uploaded
  let fileSeq = 0;
  let draftId = null; // the client_id of a reply with files, so a retried send is stored once
  const newClientId = () => 'c_' + [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const listShown = () => { $('attach-list').hidden = !pending.length; };
  function addFiles(files) {
    if (!openId || !files.length) return;
    for (const file of files) {
      const item = { file, att: null, ctrl: null, li: el('li', 'pending'), state: el('span', 'p-state'), err: el('p', 'error p-error') };
      const rm = el('button', 'p-remove', 'Remove');
      rm.type = 'button';
      rm.setAttribute('aria-label', 'Remove ' + file.name);
      item.err.id = `file-error-${++fileSeq}`;
      rm.setAttribute('aria-describedby', item.err.id); // the server's reason, heard on the Remove button
      rm.addEventListener('click', () => removeFile(item));
      const info = el('span', 'p-info');
      info.append(el('span', 'p-name', file.name), el('span', 'p-meta', ` ${fmtSize(file.size)}`), item.state);
      item.li.append(info, rm, item.err);
      pending.push(item);
      $('attach-list').append(item.li);
    }
    draftId = null;
    listShown();
    say('reply-error');
  }
  function dropFile(item) {
    const i = pending.indexOf(item);
    if (i < 0) return -1;
    item.ctrl?.abort();
    pending.splice(i, 1);
    item.li.remove();
    listShown();
    return i;
  }
  function removeFile(item) {
    const i = dropFile(item);
    if (i < 0) return;
    draftId = null;
    const next = pending[i] || pending[i - 1]; // keep keyboard focus in the list, else on Attach
    (next ? next.li.querySelector('.p-remove') : $('attach')).focus();
    if (!pending.some((f) => f.err.textContent)) say('reply-error');
  }
  function clearFiles() {
    for (const f of pending) f.ctrl?.abort();
    pending = []; draftId = null;
    $('attach-list').replaceChildren();
    listShown();
  }
  // Upload one file (once: an uploaded file keeps its id for a retried send); a refusal is shown beside it.
  async function upload(id, item) {
    if (item.att) return;
    const ctrl = item.ctrl = new AbortController();
    item.err.textContent = '';
    item.state.textContent = ' · uploading…';
    const body = new FormData();
    body.append('file', item.file, item.file.name);
    try {
      const r = await api(`/api/sessions/${encodeURIComponent(id)}/attachments`,
        { method: 'POST', body, signal: ctrl.signal, tooLarge: 'This file is too large.' });
      if (!r.attachment?.id) throw new Error('The server did not accept the file.');
      item.att = r.attachment;
      item.state.textContent = ' · uploaded';
    } catch (e) {
      item.state.textContent = '';
      if (!ctrl.signal.aborted && e.status !== 401) item.err.textContent = netMessage(e);
    } finally {
      if (item.ctrl === ctrl) item.ctrl = null;
    }
  }

  // ---- csat ----
  let csatGen = 0;
  async function loadCsat() {
    const gen = ++csatGen, f = filter;
    say('csat-scope', f ? `Workspace ${f}` : 'All workspaces'); // not in the heading: "Workspace" labels the filter
    try {
      const r = await api('/api/csat' + (f ? '?external_id=' + encodeURIComponent(f) : ''));
      if (gen !== csatGen) return;
      say('csat-error');
      const count = r.count || 0, dist = r.distribution || {};
      say('csat-summary', count ? `${count} rating${count === 1 ? '' : 's'} · average ${Number(r.average).toFixed(2)} / 5`
        : 'No ratings yet');
      $('csat-dist').replaceChildren(...[5, 4, 3, 2, 1].map((n) => {
        const c = dist[n] || 0, li = el('li');
        const bar = el('span', 'bar'), fill = el('span', 'fill');
        bar.setAttribute('aria-hidden', 'true');
        fill.style.width = count ? `${(100 * c) / count}%` : '0'; // CSSOM, allowed under style-src 'self'
        bar.append(fill);
        const label = el('span', 'dist-label'), seenAs = el('span', null, `${n} ★`);
        seenAs.setAttribute('aria-hidden', 'true');
        label.append(seenAs, el('span', 'sr-only', `${n} star${n === 1 ? '' : 's'}:`));
        li.append(label, bar, el('span', 'dist-count', String(c)));
        return li;
      }));
    } catch (e) {
      if (gen === csatGen) fail('csat-error')(e);
    }
  }
  let csatTimer = null;
  const refreshCsat = () => { clearTimeout(csatTimer); csatTimer = setTimeout(loadCsat, 300); };

  // ---- live updates ----
  // What an event changes in its session: resolved → resolved, no rating; reopened → open; rated → its rating.
  function applyEvent(s, m) {
    if (m.kind === 'resolved') Object.assign(s, { status: 'resolved', resolved_at: m.created_at, rating: null });
    else if (m.kind === 'reopened') Object.assign(s, { status: 'open', resolved_at: null, rating: null });
    else if (m.kind === 'rated') s.rating = { score: m.score, comment: m.content || null };
  }

  // Apply new messages: refresh list entries, append to the open session, announce visitor messages.
  function noteMessages(msgs) {
    const fresh = [], stick = atBottom();
    let unknown = false, rated = false;
    for (const m of msgs) {
      const s = sessions.get(m.session_id);
      if (s) {
        if (!s.last_message || m.id > s.last_message.id) {
          s.last_message = m; fresh.push(m);
          if (isEvent(m)) applyEvent(s, m);
        }
      } else if (!ignored.has(m.session_id)) unknown = true;
      if (m.kind === 'rated') rated = true;
      if (m.author === 'visitor' && !isEvent(m)) typingUntil.delete(m.session_id);
      if (m.session_id === openId) addMessage(m);
    }
    if (openId && msgs.some((m) => m.session_id === openId)) {
      const s = sessions.get(openId);
      if (s) renderStatus(s);
      placeSeen(); renderTyping(); reportSeen();
    }
    if (stick) scrollDown();
    renderList();
    if (rated) refreshCsat();
    return { fresh, unknown };
  }

  // Typing and seen signals from the visitor's side (our own side's are ignored).
  function noteSignals(signals) {
    for (const g of signals) {
      if (g.author !== 'visitor') {
        const s = sessions.get(g.session_id);
        if (g.kind === 'seen' && s && g.message_id) s.seen_by_agent = Math.max(s.seen_by_agent || 0, g.message_id);
        continue;
      }
      if (g.kind === 'typing') {
        if (g.typing) typingUntil.set(g.session_id, Date.now() + TYPING_TTL);
        else typingUntil.delete(g.session_id);
        if (g.session_id === openId) renderTyping();
      } else if (g.kind === 'seen') {
        const s = sessions.get(g.session_id);
        if (s && g.message_id > (s.seen_by_visitor || 0)) {
          s.seen_by_visitor = g.message_id;
          if (g.session_id === openId) placeSeen();
        }
      }
    }
  }

  function announce(msgs) {
    const v = msgs.filter((m) => m.author === 'visitor' && sessions.has(m.session_id));
    if (!v.length) return;
    say('announcer', v.length > 3 ? `${v.length} new visitor messages.`
      : v.map((m) => isEvent(m) ? `${contactLabel(sessions.get(m.session_id))}: ${clip(eventText(m), 140)}.`
        : `New message from ${contactLabel(sessions.get(m.session_id))}: ${clip(msgText(m), 140)}`).join(' '));
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
        const r = await api(`/api/updates?after=${cursor}&signals_after=${signalsAt}&wait=25`, { signal: ctrl.signal });
        if (gen !== liveGen) return;
        const msgs = r.messages || [], signals = r.signals || [];
        await applyUpdates(msgs);
        if (gen !== liveGen) return;
        noteSignals(signals);
        cursor = Number.isInteger(r.cursor) ? r.cursor : msgs.reduce((c, m) => Math.max(c, m.id), cursor);
        if (Number.isInteger(r.signals_at)) signalsAt = r.signals_at;
        delay = 1000;
        setLive('Live');
        if (!msgs.length && !signals.length && Date.now() - started < 1000) await sleep(1000); // never spin
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
    $('resolve').addEventListener('click', () => setStatus('resolve'));
    $('reopen').addEventListener('click', () => setStatus('reopen'));
    $('reply').addEventListener('input', onReplyInput);
    document.addEventListener('visibilitychange', reportSeen);
    $('reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); sendReply(); });
    $('attach').addEventListener('click', () => $('attach-input').click());
    $('attach-input').addEventListener('change', (ev) => { addFiles([...ev.target.files]); ev.target.value = ''; });
    $('reply').addEventListener('paste', (ev) => { // a pasted screenshot becomes a file to send
      const files = [...(ev.clipboardData?.files || [])];
      if (files.length) { ev.preventDefault(); addFiles(files); }
    });
    $('reply-form').addEventListener('dragover', (ev) => {
      if (ev.dataTransfer?.types.includes('Files')) ev.preventDefault();
    });
    $('reply-form').addEventListener('drop', (ev) => {
      const files = [...(ev.dataTransfer?.files || [])];
      if (files.length) { ev.preventDefault(); addFiles(files); }
    });
    $('viewer-close').addEventListener('click', () => $('viewer').close());
    $('viewer').addEventListener('click', (ev) => { if (ev.target === $('viewer')) $('viewer').close(); }); // the backdrop
    $('viewer').addEventListener('close', () => {
      if (viewerFrom?.isConnected) viewerFrom.focus();
      viewing = viewerFrom = null;
    });
    $('viewer-download').addEventListener('click', () => { if (viewing) download(viewing, $('viewer-error')); });
    $('reply').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendReply(); }
    });
    const k = sessionStorage.getItem(KEY);
    if (k) signIn(k);
  }

  init(); // the script is loaded with `defer`, so the DOM is ready
})();
