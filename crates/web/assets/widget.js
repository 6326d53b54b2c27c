/* kefu visitor chat widget. Vanilla JavaScript, no framework, no build step.
 *
 *   <script src="https://HOST/widget.js" data-channel="KEY" async></script>
 *
 * Optional attributes: data-user-id + data-user-hash (identified visitor), data-open="true",
 * data-lang="zh-CN|en", data-mode="page" (fills the viewport; used by the hosted page /chat/KEY).
 * Protocol: docs/realtime-protocol.md, "Visitor socket". Everything renders in an open Shadow DOM
 * so the host page's CSS cannot clash. User data is only ever put into the DOM with textContent
 * or as attributes checked by safeUrl(); innerHTML is used for constant icons only.
 *
 * Under Node (no `document`) the file only defines the pure helpers and exports them
 * (module.exports and globalThis.__kefuWidgetInternals) for widget.test.mjs. */
(function (G) {
  'use strict';

  // ------------------------------------------------------------------ pure helpers

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function escapeHtml(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }

  /** An absolute http(s) URL, or null. Relative URLs resolve against `base` when given. */
  function safeUrl(u, base) {
    if (typeof u !== 'string' || !u) return null;
    var x;
    try { x = base ? new URL(u, base) : new URL(u); } catch (e) { return null; }
    return x.protocol === 'http:' || x.protocol === 'https:' ? x.href : null;
  }

  // A URL ends at whitespace, quotes, angle brackets, CJK text or full-width punctuation.
  var URL_RE = /https?:\/\/[^\s<>"'`\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+/gi;
  var TRAIL_RE = /[.,;:!?)\]}*_~]+$/;

  /** Split text into [{type:'text', text}] and [{type:'link', href, text}] tokens. Only http(s)
   *  URLs become links; everything else (javascript:, data:, markup) stays plain text. */
  function linkify(text) {
    text = String(text == null ? '' : text);
    var out = [], last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var raw = m[0].replace(TRAIL_RE, ''), start = m.index, href = safeUrl(raw);
      if (start > last) out.push({ type: 'text', text: text.slice(last, start) });
      out.push(href ? { type: 'link', href: href, text: raw } : { type: 'text', text: raw });
      last = start + raw.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) out.push({ type: 'text', text: text.slice(last) });
    return out;
  }

  /** linkify() as an HTML string, everything escaped (for SDKs and tests; the widget itself
   *  builds DOM nodes from the tokens). */
  function linkifyHtml(text) {
    return linkify(text).map(function (t) {
      return t.type === 'link'
        ? '<a href="' + escapeHtml(t.href) + '" target="_blank" rel="noopener noreferrer nofollow">' + escapeHtml(t.text) + '</a>'
        : escapeHtml(t.text);
    }).join('');
  }

  var BACKOFF_MIN = 500, BACKOFF_MAX = 10000;
  /** Reconnect delay in ms for the n-th consecutive failure (0-based): 0.5 s doubling to a 10 s
   *  cap, jittered down by up to half, never below 0.5 s. `rand` in [0,1) for tests. */
  function backoff(attempt, rand) {
    var r = typeof rand === 'number' ? rand : Math.random();
    var cap = Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, Math.max(0, Math.floor(attempt) || 0)));
    return Math.round(Math.min(BACKOFF_MAX, Math.max(BACKOFF_MIN, cap * (0.5 + 0.5 * r))));
  }

  function uuid() {
    var c = G.crypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* insecure context: fall through */ }
    }
    var b = new Uint8Array(16), i, s = '';
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    for (i = 0; i < 16; i++) s += (b[i] + 0x100).toString(16).slice(1) + (i === 3 || i === 5 || i === 7 || i === 9 ? '-' : '');
    return s;
  }

  function formatSize(n) {
    n = +n;
    if (!(n >= 0)) return '';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  }

  // Timeline: the conversation events shown, ordered by (conversation, seq); the visitor's own
  // messages that are not stored yet (no seq) come last in sending order.
  //   seqs:  {conversation_id: highest seq seen}   (the exactly-once filter)
  //   convs: conversation ids in order of appearance
  //   read:  {conversation_id: seq the agent has read up to}
  function createTimeline(saved) {
    var tl = { seqs: {}, convs: [], read: {}, items: [], current: null, cstate: null };
    if (saved && typeof saved === 'object') {
      for (var k in tl) if (saved[k] != null) tl[k] = saved[k];
    }
    return tl;
  }

  function convIndex(tl, conv) {
    var i = tl.convs.indexOf(conv);
    if (i < 0) { tl.convs.push(conv); i = tl.convs.length - 1; }
    return i;
  }

  function findItem(tl, pred) {
    for (var i = 0; i < tl.items.length; i++) if (pred(tl.items[i])) return tl.items[i];
    return null;
  }

  /** (Re)insert an item at its place. */
  function place(tl, item) {
    var arr = tl.items, i = arr.indexOf(item);
    if (i >= 0) arr.splice(i, 1);
    if (item.seq == null) { arr.push(item); return; }
    var ci = convIndex(tl, item.conv);
    for (i = arr.length; i > 0; i--) {
      var p = arr[i - 1];
      if (p.seq == null) continue;
      var pi = convIndex(tl, p.conv);
      if (pi < ci || (pi === ci && p.seq < item.seq)) break;
    }
    arr.splice(i, 0, item);
  }

  function ownStatus(tl, item) {
    return item.seq != null && (tl.read[item.conv] || 0) >= item.seq ? 'read' : 'sent';
  }

  /** Merge a server `event` frame. Returns the timeline item, or null when the event was dropped
   *  (seq not greater than the last one seen in its conversation: a replay duplicate). An event
   *  carrying the client_id of a local message replaces that local message. */
  function mergeEvent(tl, ev) {
    if (!ev || ev.conversation_id == null || !(+ev.seq > 0)) return null;
    var conv = String(ev.conversation_id), seq = +ev.seq;
    if (seq <= (tl.seqs[conv] || 0)) return null;
    tl.seqs[conv] = seq;
    if (tl.current !== conv) { tl.current = conv; tl.cstate = 'open'; }
    var item = (ev.client_id && findItem(tl, function (x) { return x.client_id === ev.client_id; })) ||
      findItem(tl, function (x) { return x.conv === conv && x.seq === seq; }) ||
      { key: conv + ':' + seq };
    item.conv = conv;
    item.seq = seq;
    item.kind = ev.kind || 'message';
    item.sender = ev.sender || 'system';
    item.sender_name = ev.sender_name || '';
    item.body = ev.body || {};
    item.at = ev.at || item.at || null;
    if (ev.client_id) item.client_id = ev.client_id;
    if (item.sender === 'visitor') item.status = ownStatus(tl, item);
    place(tl, item);
    return item;
  }

  /** A local (not yet stored) message of the visitor. */
  function addLocal(tl, entry) {
    var item = findItem(tl, function (x) { return x.client_id === entry.client_id; });
    if (item) return item;
    item = {
      key: 'c:' + entry.client_id, client_id: entry.client_id, conv: null, seq: null, kind: 'message',
      sender: 'visitor', sender_name: '', body: entry.body, at: entry.at || Date.now(), status: 'pending'
    };
    tl.items.push(item);
    return item;
  }

  /** Apply an `ack` frame: the local message gets its seq and a tick. Does not move the
   *  exactly-once filter (earlier events may still be on their way). */
  function applyAck(tl, ack) {
    if (!ack || !ack.client_id) return null;
    var item = findItem(tl, function (x) { return x.client_id === ack.client_id; });
    if (!item) return null;
    if (item.seq == null && ack.conversation_id != null && +ack.seq > 0) {
      item.conv = String(ack.conversation_id);
      item.seq = +ack.seq;
      if (tl.current !== item.conv) { tl.current = item.conv; tl.cstate = 'open'; }
    }
    item.status = item.seq == null ? 'sent' : ownStatus(tl, item);
    place(tl, item);
    return item;
  }

  /** Apply a `read` frame (the agent read up to seq in the current conversation). */
  function markRead(tl, seq) {
    var conv = tl.current, changed = false;
    seq = +seq;
    if (conv == null || !(seq > (tl.read[conv] || 0))) return false;
    tl.read[conv] = seq;
    tl.items.forEach(function (x) {
      if (x.sender === 'visitor' && x.conv === conv && x.seq != null && x.seq <= seq && x.status !== 'read') {
        x.status = 'read';
        changed = true;
      }
    });
    return changed;
  }

  /** The outbox: messages sent but not acked yet. Everything in it is (re)sent after every
   *  (re)connection until its ack arrives; the server deduplicates by client_id. */
  function createOutbox(initial) {
    var list = Array.isArray(initial) ? initial.filter(function (e) { return e && e.client_id; }) : [];
    function remove(id) {
      for (var i = 0; i < list.length; i++) if (list[i].client_id === id) { list.splice(i, 1); return true; }
      return false;
    }
    return {
      add: function (body, id) {
        var e = { client_id: id || uuid(), body: body, at: Date.now() };
        list.push(e);
        return e;
      },
      ack: remove,
      drop: remove,
      has: function (id) { return list.some(function (e) { return e.client_id === id; }); },
      entries: function () { return list.slice(); },
      frames: function () {
        return list.map(function (e) { return { type: 'message', client_id: e.client_id, body: e.body }; });
      },
      /** Send every unacked message with send(frame); stops at the first failed send. */
      flush: function (send) {
        var n = 0, f = this.frames();
        for (var i = 0; i < f.length; i++) { if (send(f[i]) === false) break; n++; }
        return n;
      },
      get size() { return list.length; }
    };
  }

  var DICT = {
    'zh-CN': {
      title: '在线客服', online: '在线', offline: '离线 · 可留言', connecting: '正在连接…',
      reconnecting: '连接已断开，正在重新连接…', open: '打开在线客服', close: '最小化', end: '结束对话',
      endConfirm: '确认结束？', placeholder: '输入消息…', send: '发送', attach: '发送图片或文件',
      emoji: '表情', typing: '客服正在输入…', you: '我', agent: '客服', bot: '智能助手',
      queue: '您前面还有 {n} 位 · 预计等待 {m} 分钟', queueNoEta: '您前面还有 {n} 位',
      queueNext: '马上为您接通，您是下一位', queueNextEta: '您是下一位 · 预计等待 {m} 分钟',
      pending: '发送中', sent: '已送达', read: '已读', failed: '发送失败',
      ev_queued: '正在为您转接人工客服，请稍候', ev_assigned: '客服 {x} 为您服务', ev_assigned0: '客服已接入',
      ev_transferred: '对话已转接给 {x}', ev_transferred0: '对话已转接，请稍候', ev_closed: '对话已结束',
      ev_completed: '对话已完成，感谢您的咨询', ev_rated: '感谢您的评价', ev_rating_invited: '客服邀请您对本次服务进行评价',
      prechat: '开始咨询前，请留下您的信息', start: '开始咨询', required: '请填写：{x}',
      leave_nobody_online: '当前没有客服在线，请留言，我们会尽快联系您',
      leave_outside_hours: '现在是非工作时间，请留言，我们会尽快联系您',
      name: '姓名', phone: '电话', email: '邮箱', text: '留言内容', submit: '提交', cancel: '取消',
      leaveNeed: '请填写留言内容，并留下电话或邮箱', leaveThanks: '留言已提交，我们会尽快联系您',
      rate: '请为本次服务评价', comment: '其他意见（选填）', rateNeed: '请选择星级', rateThanks: '感谢您的评价！',
      star: '{n} 星', uploading: '正在上传 {x}…', tooBig: '文件不能超过 10 MB', tooLong: '消息不能超过 5000 字',
      noConn: '尚未连接，请稍候再试', uploadFail: '上传失败', unsupported: '[暂不支持的消息类型]', view: '查看详情',
      e_message_too_long: '消息太长了', e_identity_invalid: '身份校验失败，无法连接客服',
      e_channel_not_found: '客服渠道不存在', e_invalid_frame: '消息格式错误'
    },
    en: {
      title: 'Chat with us', online: 'Online', offline: 'Offline · leave a message', connecting: 'Connecting…',
      reconnecting: 'Connection lost, reconnecting…', open: 'Open chat', close: 'Minimize', end: 'End chat',
      endConfirm: 'End now?', placeholder: 'Type a message…', send: 'Send', attach: 'Send an image or file',
      emoji: 'Emoji', typing: 'The agent is typing…', you: 'You', agent: 'Agent', bot: 'Assistant',
      queue: '{n} ahead of you · about {m} min', queueNoEta: '{n} ahead of you',
      queueNext: 'You are next in line', queueNextEta: 'You are next · about {m} min',
      pending: 'Sending', sent: 'Delivered', read: 'Read', failed: 'Not sent',
      ev_queued: 'Connecting you to an agent, please wait', ev_assigned: '{x} is now serving you',
      ev_assigned0: 'An agent has joined', ev_transferred: 'You have been transferred to {x}',
      ev_transferred0: 'Transferring you, please wait', ev_closed: 'The conversation has ended',
      ev_completed: 'The conversation is complete. Thank you!', ev_rated: 'Thank you for your feedback',
      ev_rating_invited: 'Please rate this conversation',
      prechat: 'Before we start, please tell us about you', start: 'Start chat', required: 'Please fill in: {x}',
      leave_nobody_online: 'No agent is online right now. Leave a message and we will get back to you.',
      leave_outside_hours: 'We are outside business hours. Leave a message and we will get back to you.',
      name: 'Name', phone: 'Phone', email: 'Email', text: 'Message', submit: 'Submit', cancel: 'Cancel',
      leaveNeed: 'Please write a message and leave a phone number or email', leaveThanks: 'Thank you, we will get back to you soon',
      rate: 'How did we do?', comment: 'Anything else? (optional)', rateNeed: 'Please choose a star rating',
      rateThanks: 'Thank you for your feedback!', star: '{n} stars', uploading: 'Uploading {x}…',
      tooBig: 'Files must be 10 MB or smaller', tooLong: 'Messages are limited to 5,000 characters',
      noConn: 'Not connected yet, please try again in a moment', uploadFail: 'Upload failed',
      unsupported: '[Unsupported message]', view: 'Open',
      e_message_too_long: 'The message is too long', e_identity_invalid: 'Identity check failed, cannot connect',
      e_channel_not_found: 'This chat channel does not exist', e_invalid_frame: 'Invalid message'
    }
  };
  // Rating tags: the value sent is the canonical (Chinese) tag, the label is localized.
  var TAGS = {
    good: [['回复及时', 'Quick replies'], ['态度好', 'Friendly'], ['问题已解决', 'Problem solved'], ['专业', 'Knowledgeable']],
    bad: [['回复慢', 'Slow replies'], ['没解决问题', 'Problem not solved'], ['态度差', 'Unfriendly'], ['答非所问', 'Off-topic answers']]
  };

  function translator(lang) {
    var d = DICT[lang] || DICT.en;
    return function (k, vars) {
      var s = d[k] != null ? d[k] : (DICT.en[k] != null ? DICT.en[k] : k);
      if (vars) s = s.replace(/\{(\w+)\}/g, function (_, v) { return vars[v] != null ? vars[v] : ''; });
      return s;
    };
  }

  /** The text of a system event body ({event: queued|assigned|transferred|closed|completed|rated}). */
  function systemText(body, senderName, T) {
    body = body || {};
    var e = body.event, x;
    if (e === 'assigned') {
      x = body.agent_name || (body.agent && body.agent.name) || senderName;
      return x ? T('ev_assigned', { x: x }) : T('ev_assigned0');
    }
    if (e === 'transferred') {
      x = body.to_agent_name || body.to_group_name || body.agent_name || (body.agent && body.agent.name);
      return x ? T('ev_transferred', { x: x }) : T('ev_transferred0');
    }
    if (e === 'queued' || e === 'closed' || e === 'completed' || e === 'rated' || e === 'rating_invited') return T('ev_' + e);
    return body.text || e || '';
  }

  function charCount(s) { return Array.from(String(s)).length; }

  var internals = {
    escapeHtml: escapeHtml, safeUrl: safeUrl, linkify: linkify, linkifyHtml: linkifyHtml,
    backoff: backoff, uuid: uuid, formatSize: formatSize, createTimeline: createTimeline,
    mergeEvent: mergeEvent, addLocal: addLocal, applyAck: applyAck, markRead: markRead,
    createOutbox: createOutbox, translator: translator, systemText: systemText, DICT: DICT, TAGS: TAGS,
    charCount: charCount
  };

  if (typeof document === 'undefined' || !document || typeof document.createElement !== 'function') {
    G.__kefuWidgetInternals = internals;
    if (typeof module === 'object' && module && module.exports) module.exports = internals;
    return;
  }
  if (G.__kefuWidget) return; // included twice

  // ------------------------------------------------------------------ configuration

  var script = document.currentScript;
  if (!script || !script.getAttribute('data-channel')) script = document.querySelector('script[data-channel][src*="widget.js"]');
  if (!script) return;
  var KEY = script.getAttribute('data-channel') || '';
  var ORIGIN;
  try { ORIGIN = new URL(script.getAttribute('src') || '', location.href).origin; } catch (e) { ORIGIN = location.origin; }
  var WS_BASE = ORIGIN.replace(/^http/, 'ws');
  var USER_ID = script.getAttribute('data-user-id') || '';
  var USER_HASH = script.getAttribute('data-user-hash') || '';
  var MODE = script.getAttribute('data-mode') === 'page' ? 'page' : 'bubble';
  var LANG = script.getAttribute('data-lang') || '';
  LANG = /^zh/i.test(LANG) ? 'zh-CN' : /^en/i.test(LANG) ? 'en' : (/^zh/i.test(navigator.language || '') ? 'zh-CN' : 'en');
  var T = translator(LANG);
  var P = 'kefu:' + KEY + ':';
  var MAX_CHARS = 5000, MAX_FILE = 10 * 1024 * 1024, KEEP_ITEMS = 300;
  var FATAL = { identity_invalid: 1, channel_not_found: 1 };
  var EMOJI = ['😀', '😂', '😊', '😍', '😘', '😉', '😎', '🤔', '😅', '😭', '😡', '😱',
    '👍', '👎', '👏', '🙏', '💪', '🙌', '❤️', '🎉', '🔥', '✅', '❌', '🌹'];

  function store(kind) { try { return G[kind]; } catch (e) { return null; } }
  function sget(kind, k) { try { return store(kind).getItem(P + k); } catch (e) { return null; } }
  function sset(kind, k, v) {
    try { if (v == null) store(kind).removeItem(P + k); else store(kind).setItem(P + k, v); } catch (e) { /* quota, privacy mode */ }
  }
  function jget(kind, k) { try { return JSON.parse(sget(kind, k)); } catch (e) { return null; } }

  // ------------------------------------------------------------------ state

  var S = {
    open: MODE === 'page' || script.getAttribute('data-open') === 'true',
    token: sget('localStorage', 'token'),
    ws: null, connected: false, everConnected: false, attempt: 0, timer: null, fatal: false, sent: { conv: null, seq: 0 },
    channel: null, queue: null, offline: null, rating: null, stars: 0,
    prechat: false, prechatDone: sget('sessionStorage', 'prechat') === '1', leaveForm: false,
    control: [], lastTyping: 0, readSent: {}, unread: 0, saveT: null, endArm: null,
    seen: jget('localStorage', 'seen') || {}
  };
  var cached = jget('sessionStorage', 'timeline');
  var tl = createTimeline(cached && cached.token === S.token ? cached.tl : null);
  var outbox = createOutbox(jget('sessionStorage', 'outbox'));
  // Reconcile: unsent local messages exist exactly for the outbox entries.
  tl.items = tl.items.filter(function (x) { return x.seq != null || outbox.has(x.client_id); });
  outbox.entries().forEach(function (e) { addLocal(tl, e); });

  function saveSoon() {
    if (!S.saveT) S.saveT = setTimeout(save, 250);
  }
  function save() {
    clearTimeout(S.saveT);
    S.saveT = null;
    var t = {};
    for (var k in tl) t[k] = tl[k];
    t.items = tl.items.slice(-KEEP_ITEMS);
    sset('sessionStorage', 'timeline', JSON.stringify({ token: S.token, tl: t }));
    sset('sessionStorage', 'outbox', JSON.stringify(outbox.entries()));
    sset('localStorage', 'seen', JSON.stringify(S.seen));
  }

  function isOpenState(s) { return !!s && s !== 'closed' && s !== 'completed'; }
  function visible() { return S.open && document.visibilityState !== 'hidden'; }

  // ------------------------------------------------------------------ DOM

  function h(tag, props, kids) {
    var el = document.createElement(tag);
    if (props) {
      for (var k in props) {
        var v = props[k];
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : v);
      }
    }
    if (kids != null) {
      (Array.isArray(kids) ? kids : [kids]).forEach(function (c) {
        if (c != null && c !== false) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
      });
    }
    return el;
  }
  function icon(svg, props) { var s = h('span', props); s.innerHTML = svg; return s; } // constant markup only

  var SVG_CHAT = '<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.6 1.4 4.9 3.6 6.5L5 21.5l4-2.1c.9.2 1.9.3 3 .3 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>';
  var SVG_CLOCK = '<svg viewBox="0 0 16 16" width="12" height="12" fill="none" stroke="currentColor" stroke-width="1.6" aria-hidden="true"><circle cx="8" cy="8" r="6.2"/><path d="M8 4.5V8l2.4 1.6"/></svg>';
  var SVG_CLIP = '<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" aria-hidden="true"><path d="M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9"/></svg>';
  var SVG_FILE = '<svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z"/><path d="M14 3v5h5"/></svg>';
  var SVG_TICK = '<svg viewBox="0 0 16 16" width="12" height="12" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M3 8.5l3.2 3L13 4.5"/></svg>';

  var CSS = [
    ':host{all:initial!important}',
    '*{box-sizing:border-box}[hidden]{display:none!important}',
    '.w{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",Roboto,Arial,sans-serif;color:#1d2433;--p:#1f6feb;-webkit-font-smoothing:antialiased}',
    'button{font:inherit}',
    '.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--p);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center;padding:0}',
    '.launcher .ic{display:flex}.grp{display:flex;flex-direction:column;gap:8px}',
    '.badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#e5484d;color:#fff;font-size:12px;line-height:20px;text-align:center;font-weight:600}',
    '.panel{position:fixed;right:20px;bottom:88px;width:370px;height:min(620px,calc(100vh - 108px));background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000}',
    '.page .panel{top:0;bottom:0;right:auto;left:50%;transform:translateX(-50%);width:100%;max-width:760px;height:auto;border-radius:0;box-shadow:0 0 0 1px #dde2ea}',
    '@media (max-width:480px){.bubble .panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;border-radius:0}.open .launcher{display:none}textarea,input{font-size:16px!important}}',
    '.hd{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--p);color:#fff;flex:none}',
    '.ti{flex:1;min-width:0;display:flex;flex-direction:column;line-height:1.3}',
    '.ti strong{font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.ti small{opacity:.85;font-size:12px}',
    '.hb{background:transparent;border:1px solid rgba(255,255,255,.55);color:#fff;border-radius:6px;padding:2px 8px;font-size:12px;cursor:pointer;white-space:nowrap}',
    '.x{border:0;font-size:18px;line-height:1;padding:4px 6px}',
    '.msgs{flex:1;overflow-y:auto;padding:12px;background:#f4f6f9;display:flex;flex-direction:column;gap:10px;-webkit-overflow-scrolling:touch}',
    '.row{display:flex;flex-direction:column;align-items:flex-start;max-width:82%;align-self:flex-start}',
    '.me{align-self:flex-end;align-items:flex-end}',
    '.who{font-size:12px;color:#667085;margin:0 0 2px 2px}',
    '.bub{background:#fff;border:1px solid #dde2ea;border-radius:12px;border-top-left-radius:4px;padding:7px 11px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%}',
    '.me .bub{background:var(--p);border-color:var(--p);color:#fff;border-radius:12px;border-top-right-radius:4px}',
    '.bub a{color:var(--p)}.me .bub a{color:#fff;text-decoration:underline}',
    '.media{padding:3px}.media img{display:block;max-width:100%;max-height:260px;border-radius:9px}',
    '.file{display:flex;gap:8px;align-items:center;white-space:normal}.file small{opacity:.75;white-space:nowrap}',
    '.meta{font-size:11px;color:#98a2b3;margin-top:2px;display:flex;gap:4px;align-items:center}',
    '.st{display:inline-flex;align-items:center;gap:2px}.st-read{color:var(--p)}.st-failed{color:#c9302c}',
    '.sys{align-self:center;font-size:12px;color:#667085;background:#e9edf3;border-radius:10px;padding:2px 10px;text-align:center;max-width:90%}',
    '.btns{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}',
    '.btns button{border:1px solid var(--p);background:#fff;color:var(--p);border-radius:14px;padding:3px 12px;cursor:pointer}',
    '.btns button:disabled{opacity:.5;cursor:default}',
    '.card{padding:0;overflow:hidden;white-space:normal;width:260px}.card img{display:block;width:100%;max-height:150px;object-fit:cover}',
    '.card div{padding:8px 11px}.card p{margin:4px 0;color:#667085;font-size:13px}',
    '.typing,.queue,.notice{font-size:12px;padding:5px 14px;color:#667085;background:#fff;border-top:1px solid #eef1f5;flex:none}',
    '.queue{background:#fff4e0;color:#a15c00}.notice{background:#fdecea;color:#c9302c}.notice.info{background:#e8f0fe;color:#1858c4}',
    '.sheet{padding:12px 14px;border-top:1px solid #dde2ea;background:#fff;display:flex;flex-direction:column;gap:8px;max-height:75%;overflow-y:auto;flex:none}',
    '.sheet h3{margin:0;font-size:14px;font-weight:600}.sheet p{margin:0}',
    '.sheet label{display:flex;flex-direction:column;gap:2px;font-size:12px;color:#667085}',
    '.sheet input:not([type=checkbox]),.sheet textarea{width:100%;border:1px solid #dde2ea;border-radius:6px;padding:7px 9px;font:inherit;font-size:14px;color:#1d2433;background:#fff}',
    '.acts{display:flex;gap:8px;justify-content:flex-end}',
    '.pri{background:var(--p);color:#fff;border:0;border-radius:6px;padding:7px 16px;cursor:pointer}',
    '.sec{background:#fff;color:#1d2433;border:1px solid #dde2ea;border-radius:6px;padding:7px 14px;cursor:pointer}',
    '.err{color:#c9302c;font-size:12px}.ok{color:#13804b}',
    '.stars{display:flex;gap:2px}.star{font-size:28px;line-height:1;border:0;background:none;color:#d0d5dd;cursor:pointer;padding:0 2px}.star.on{color:#f5a623}',
    '.tags{display:flex;flex-wrap:wrap;gap:6px}',
    '.sheet .tag{flex-direction:row;align-items:center;gap:4px;border:1px solid #dde2ea;border-radius:14px;padding:2px 10px;color:#1d2433;cursor:pointer;font-size:13px}',
    '.composer{display:flex;align-items:flex-end;gap:4px;padding:8px 10px;border-top:1px solid #dde2ea;background:#fff;position:relative;flex:none}',
    '.composer textarea{flex:1;resize:none;border:1px solid #dde2ea;border-radius:8px;padding:8px 10px;font:inherit;line-height:20px;color:inherit;height:38px;max-height:120px;overflow-y:hidden;outline:none;background:#fff}',
    '.composer textarea:focus{border-color:var(--p)}',
    '.ib{border:0;background:none;font-size:20px;width:34px;height:38px;cursor:pointer;color:#667085;padding:0;flex:none;display:inline-flex;align-items:center;justify-content:center}.ic{display:inline-flex}',
    '.send{height:38px;flex:none}',
    '.emojis{position:absolute;bottom:54px;left:8px;background:#fff;border:1px solid #dde2ea;border-radius:8px;box-shadow:0 4px 14px rgba(0,0,0,.15);display:grid;grid-template-columns:repeat(8,1fr);gap:2px;padding:6px;z-index:1}',
    '.emojis button{border:0;background:none;font-size:20px;cursor:pointer;padding:3px;border-radius:4px}.emojis button:hover{background:#f4f6f9}',
    '.dot{display:inline-block;width:7px;height:7px;border-radius:50%;background:#32d583;margin-right:5px;vertical-align:1px}.dot.off{background:#d0d5dd}'
  ].join('\n');

  var host = h('kefu-widget');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // not subject to the host page's CSP for inline <style>
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(h('style', { text: CSS }));
  }

  var wrap = h('div', { class: 'w ' + MODE });
  var badge = h('span', { id: 'kefu-badge', class: 'badge', hidden: true });
  var launcher = h('button', { id: 'kefu-launcher', class: 'launcher', type: 'button', 'aria-label': T('open'), onclick: function () { if (S.open) closePanel(); else openPanel(); } },
    [icon(SVG_CHAT, { class: 'ic' }), badge]);
  if (MODE === 'page') launcher.hidden = true;

  var titleEl = h('strong', { id: 'kefu-title', text: T('title') });
  var statusEl = h('small', { id: 'kefu-status' });
  var endBtn = h('button', { id: 'kefu-end', class: 'hb', type: 'button', hidden: true, onclick: endChat }, T('end'));
  var closeBtn = h('button', { id: 'kefu-close', class: 'hb x', type: 'button', 'aria-label': T('close'), title: T('close'), onclick: closePanel }, '✕');
  if (MODE === 'page') closeBtn.hidden = true;
  var msgs = h('div', { id: 'kefu-messages', class: 'msgs', role: 'log', 'aria-live': 'polite' });
  var typingEl = h('div', { id: 'kefu-typing', class: 'typing', hidden: true }, T('typing'));
  var queueEl = h('div', { id: 'kefu-queue', class: 'queue', hidden: true, role: 'status' });
  var noticeEl = h('div', { id: 'kefu-notice', class: 'notice', hidden: true, role: 'alert' });

  // Pre-chat form (fields come from welcome.channel.prechat_fields)
  var preFields = h('div', { class: 'grp' });
  var preErr = h('p', { class: 'err', hidden: true });
  var prechatEl = h('form', { id: 'kefu-prechat', class: 'sheet', hidden: true, novalidate: true, onsubmit: submitPrechat }, [
    h('h3', { text: T('prechat') }), preFields, preErr,
    h('div', { class: 'acts' }, h('button', { id: 'kefu-prechat-submit', class: 'pri', type: 'submit' }, T('start')))
  ]);

  // Leave-message form (shown on `offline`)
  function field(id, label, type, tag) {
    var input = h(tag || 'input', { id: id, name: id.split('-').pop(), type: tag ? null : type, rows: tag ? 3 : null, maxlength: tag ? 2000 : 200 });
    return { label: h('label', null, [label, input]), input: input };
  }
  var lf = {
    name: field('kefu-leave-name', T('name'), 'text'), phone: field('kefu-leave-phone', T('phone'), 'tel'),
    email: field('kefu-leave-email', T('email'), 'email'), text: field('kefu-leave-text', T('text'), null, 'textarea')
  };
  var leaveTitle = h('h3');
  var leaveErr = h('p', { class: 'err', hidden: true });
  var leaveThanks = h('p', { id: 'kefu-leave-thanks', class: 'ok', hidden: true }, T('leaveThanks'));
  var leaveBody = h('div', { class: 'grp' }, [
    leaveTitle, lf.name.label, lf.phone.label, lf.email.label, lf.text.label, leaveErr,
    h('div', { class: 'acts' }, [
      h('button', { id: 'kefu-leave-cancel', class: 'sec', type: 'button', onclick: function () { hideLeave(); } }, T('cancel')),
      h('button', { id: 'kefu-leave-submit', class: 'pri', type: 'submit' }, T('submit'))
    ])
  ]);
  var leaveEl = h('form', { id: 'kefu-leave', class: 'sheet', hidden: true, novalidate: true, onsubmit: submitLeave }, [leaveBody, leaveThanks]);

  // Satisfaction form (shown on `rating_invite`)
  var stars = [];
  for (var si = 1; si <= 5; si++) {
    stars.push(h('button', { id: 'kefu-star-' + si, class: 'star', type: 'button', 'aria-pressed': 'false', 'aria-label': T('star', { n: si }), onclick: setStars.bind(null, si) }, '★'));
  }
  var tagsEl = h('div', { id: 'kefu-rate-tags', class: 'tags', hidden: true });
  var rateComment = h('textarea', { id: 'kefu-rate-comment', rows: 2, maxlength: 500, placeholder: T('comment') });
  var rateErr = h('p', { class: 'err', hidden: true });
  var rateBody = h('div', { class: 'grp' }, [
    h('h3', { text: T('rate') }), h('div', { class: 'stars' }, stars), tagsEl, rateComment, rateErr,
    h('div', { class: 'acts' }, [
      h('button', { id: 'kefu-rate-cancel', class: 'sec', type: 'button', onclick: function () { rateEl.hidden = true; } }, T('cancel')),
      h('button', { id: 'kefu-rate-submit', class: 'pri', type: 'submit' }, T('submit'))
    ])
  ]);
  var rateThanks = h('p', { id: 'kefu-rate-thanks', class: 'ok', hidden: true }, T('rateThanks'));
  var rateEl = h('form', { id: 'kefu-rate', class: 'sheet', hidden: true, novalidate: true, onsubmit: submitRate }, [rateBody, rateThanks]);

  // Composer
  var input = h('textarea', { id: 'kefu-input', rows: 1, placeholder: T('placeholder'), 'aria-label': T('placeholder'), maxlength: MAX_CHARS * 2 });
  var fileInput = h('input', { id: 'kefu-file', type: 'file', hidden: true, accept: 'image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,.csv,.zip' });
  var emojiPanel = h('div', { id: 'kefu-emoji-panel', class: 'emojis', hidden: true },
    EMOJI.map(function (em) { return h('button', { type: 'button', onclick: function () { insertEmoji(em); } }, em); }));
  var emojiBtn = h('button', { id: 'kefu-emoji', class: 'ib', type: 'button', title: T('emoji'), 'aria-label': T('emoji'), onclick: function () { emojiPanel.hidden = !emojiPanel.hidden; } }, '😊');
  var attachBtn = h('button', { id: 'kefu-attach', class: 'ib', type: 'button', title: T('attach'), 'aria-label': T('attach'), onclick: function () { fileInput.click(); } }, icon(SVG_CLIP, { class: 'ic' }));
  var sendBtn = h('button', { id: 'kefu-send', class: 'pri send', type: 'button', onclick: submitText }, T('send'));
  var composer = h('div', { id: 'kefu-composer', class: 'composer' }, [emojiPanel, emojiBtn, attachBtn, fileInput, input, sendBtn]);

  var panel = h('section', { id: 'kefu-panel', class: 'panel', role: 'dialog', 'aria-label': T('title'), hidden: true }, [
    h('header', { class: 'hd' }, [h('div', { class: 'ti' }, [titleEl, statusEl]), endBtn, closeBtn]),
    msgs, typingEl, queueEl, noticeEl, prechatEl, leaveEl, rateEl, composer
  ]);
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(wrap);

  // ------------------------------------------------------------------ rendering

  function fmtTime(at) {
    var d = new Date(at);
    if (isNaN(d)) return '';
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    var t = p(d.getHours()) + ':' + p(d.getMinutes());
    return new Date().toDateString() === d.toDateString() ? t : (d.getMonth() + 1) + '/' + d.getDate() + ' ' + t;
  }

  function textNodes(el, text) {
    linkify(text).forEach(function (t) {
      el.appendChild(t.type === 'link'
        ? h('a', { href: t.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, t.text)
        : document.createTextNode(t.text));
    });
    return el;
  }

  function renderBody(it) {
    var b = it.body || {}, url;
    switch (b.kind) {
      case 'text':
        return textNodes(h('div', { class: 'bub' }), b.text);
      case 'button':
        return h('div', { class: 'bub' }, String(b.label != null ? b.label : b.value || ''));
      case 'image':
        url = safeUrl(b.url, ORIGIN);
        if (url) {
          return h('div', { class: 'bub media' }, h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' },
            h('img', { src: url, alt: String(b.name || ''), loading: 'lazy', onload: function () { if (S.stick) scrollDown(); } })));
        }
        break;
      case 'file':
        url = safeUrl(b.url, ORIGIN);
        return h('div', { class: 'bub file' }, [icon(SVG_FILE, { class: 'ic' }),
          url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', download: String(b.name || '') }, String(b.name || url))
            : h('span', null, String(b.name || '')),
          b.size != null ? h('small', null, formatSize(b.size)) : null]);
      case 'buttons': {
        var bub = textNodes(h('div', { class: 'bub' }), b.text || '');
        var list = h('div', { class: 'btns' });
        (Array.isArray(b.buttons) ? b.buttons : []).forEach(function (x) {
          if (!x) return;
          list.appendChild(h('button', {
            type: 'button', disabled: !!it.answered,
            onclick: function () {
              it.answered = true;
              sendBody({ kind: 'button', value: x.value != null ? x.value : x.label, label: String(x.label != null ? x.label : x.value) });
            }
          }, String(x.label != null ? x.label : x.value)));
        });
        bub.appendChild(list);
        return bub;
      }
      case 'card': {
        url = safeUrl(b.url, ORIGIN);
        var img = safeUrl(b.image_url, ORIGIN);
        return h('div', { class: 'bub card' }, [
          img ? h('img', { src: img, alt: '', loading: 'lazy' }) : null,
          h('div', null, [
            b.title ? h('strong', null, String(b.title)) : null,
            b.description ? h('p', null, String(b.description)) : null,
            url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, T('view') + ' ›') : null
          ])
        ]);
      }
    }
    return b.text ? textNodes(h('div', { class: 'bub' }), b.text) : h('div', { class: 'bub' }, T('unsupported'));
  }

  function renderItem(it) {
    if (it.kind === 'system' || it.sender === 'system') {
      return h('div', { class: 'sys', 'data-seq': it.seq }, systemText(it.body, it.sender_name, T));
    }
    var mine = it.sender === 'visitor';
    return h('div', { class: 'row ' + (mine ? 'me' : 'them'), 'data-seq': it.seq, 'data-sender': it.sender }, [
      mine ? null : h('div', { class: 'who' }, it.sender_name || T(it.sender === 'bot' ? 'bot' : 'agent')),
      renderBody(it),
      h('div', { class: 'meta' }, [it.at ? fmtTime(it.at) : null, mine ? h('span', { class: 'st' }) : null])
    ]);
  }

  function paintStatus(el, status) {
    var st = el.querySelector('.st');
    if (!st || el.getAttribute('data-status') === status) return;
    el.setAttribute('data-status', status);
    st.className = 'st st-' + status;
    st.title = T(status);
    st.innerHTML = status === 'pending' ? SVG_CLOCK : status === 'failed' ? '!' : SVG_TICK; // constants
    if (status === 'read' || status === 'failed') st.appendChild(document.createTextNode(T(status)));
  }

  var nodes = {}; // item key -> {sig, el}
  function viewItems() {
    var g = S.channel && S.channel.greeting;
    var items = tl.items;
    // The server stores the greeting as a conversation's first event; show the
    // local copy only until there is a conversation, or it would appear twice.
    var stored = items.some(function (it) { return it.seq > 0; });
    return g && !stored ? [{ key: 'greeting', sender: 'bot', sender_name: S.channel.name || '', body: { kind: 'text', text: String(g) } }].concat(items) : items;
  }
  function scrollDown() { msgs.scrollTop = msgs.scrollHeight; }
  function syncMessages(force) {
    S.stick = force || msgs.scrollHeight - msgs.scrollTop - msgs.clientHeight < 80;
    var keep = {}, ref = msgs.firstChild;
    viewItems().forEach(function (it) {
      var n = nodes[it.key];
      var sig = it.seq + '|' + (it.answered ? 1 : 0) + '|' + (it.key === 'greeting' ? it.body.text + it.sender_name : '');
      if (!n || n.sig !== sig) {
        var el = renderItem(it);
        if (n && n.el.parentNode === msgs) {
          msgs.replaceChild(el, n.el);
          if (ref === n.el) ref = el;
        }
        n = nodes[it.key] = { sig: sig, el: el };
      }
      keep[it.key] = 1;
      if (it.sender === 'visitor') paintStatus(n.el, it.status || 'pending');
      if (n.el === ref) ref = ref.nextSibling;
      else msgs.insertBefore(n.el, ref);
    });
    while (ref) { var next = ref.nextSibling; msgs.removeChild(ref); ref = next; }
    for (var k in nodes) if (!keep[k]) delete nodes[k];
    if (S.stick) scrollDown();
  }

  function setStatus() {
    statusEl.textContent = '';
    if (!S.connected) {
      statusEl.textContent = S.everConnected ? T('reconnecting') : T('connecting');
    } else {
      var on = !S.channel || S.channel.online !== false;
      statusEl.appendChild(h('span', { class: on ? 'dot' : 'dot off' }));
      statusEl.appendChild(document.createTextNode(on ? T('online') : T('offline')));
    }
    endBtn.hidden = !(tl.current && isOpenState(tl.cstate));
  }

  function renderQueue() {
    var q = S.queue;
    var show = q && q.position != null;
    queueEl.hidden = !show;
    if (!show) return;
    var n = Math.max(0, +q.position || 0);
    var m = q.estimated_wait_ms != null && +q.estimated_wait_ms >= 0 ? Math.max(1, Math.ceil(q.estimated_wait_ms / 60000)) : null;
    queueEl.textContent = n === 0 ? T(m == null ? 'queueNext' : 'queueNextEta', { m: m }) : T(m == null ? 'queueNoEta' : 'queue', { n: n, m: m });
  }

  var noticeT = null;
  function notice(text, info, sticky) {
    clearTimeout(noticeT);
    noticeEl.hidden = !text;
    noticeEl.textContent = text || '';
    noticeEl.className = 'notice' + (info ? ' info' : '');
    if (text && !sticky) noticeT = setTimeout(function () { noticeEl.hidden = true; }, 6000);
  }

  function layout() {
    composer.hidden = !prechatEl.hidden || (!leaveEl.hidden && !leaveBody.hidden);
  }

  function updateBadge() {
    badge.hidden = !S.unread;
    badge.textContent = S.unread > 99 ? '99+' : String(S.unread);
    if (MODE === 'page') document.title = (S.unread ? '(' + S.unread + ') ' : '') + ((S.channel && S.channel.name) || T('title'));
  }

  // ------------------------------------------------------------------ panel

  function openPanel() {
    S.open = true;
    panel.hidden = false;
    wrap.classList.add('open');
    launcher.setAttribute('aria-expanded', 'true');
    syncMessages(true);
    markSeen();
    if (MODE !== 'page') { try { input.focus(); } catch (e) { /* ignore */ } }
  }
  function closePanel() {
    if (MODE === 'page') return;
    S.open = false;
    panel.hidden = true;
    emojiPanel.hidden = true;
    wrap.classList.remove('open');
    launcher.setAttribute('aria-expanded', 'false');
  }

  /** The visitor can see the messages: clear the badge and tell the server how far they read. */
  function markSeen() {
    if (!visible()) return;
    var conv = tl.current, seq = conv ? tl.seqs[conv] || 0 : 0;
    S.unread = 0;
    updateBadge();
    if (!conv || !seq) return;
    if (seq > (S.seen[conv] || 0)) { S.seen = {}; S.seen[conv] = seq; saveSoon(); }
    if (S.connected && seq > (S.readSent[conv] || 0) && raw({ type: 'read', seq: seq })) S.readSent[conv] = seq;
  }

  // ------------------------------------------------------------------ connection

  function raw(frame) {
    var ws = S.ws;
    if (!ws || ws.readyState !== 1) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }
  /** Frames that must reach the server once (start, rate, leave_message, close): queued while
   *  disconnected, sent after the next welcome. */
  function control(frame) {
    if (!(S.connected && raw(frame))) S.control.push(frame);
  }
  function flush() {
    var q = S.control;
    S.control = [];
    q.forEach(control);
    outbox.flush(raw);
  }

  function connect() {
    clearTimeout(S.timer);
    S.timer = null;
    if (S.fatal || S.ws) return;
    var conv = tl.current, last = conv && isOpenState(tl.cstate) ? tl.seqs[conv] || 0 : 0;
    S.sent = { conv: conv, seq: last };
    var q = '?channel=' + encodeURIComponent(KEY) + (S.token ? '&token=' + encodeURIComponent(S.token) : '') + '&last_seq=' + last;
    if (USER_ID) q += '&user_id=' + encodeURIComponent(USER_ID) + '&user_hash=' + encodeURIComponent(USER_HASH);
    var ws;
    try { ws = new WebSocket(WS_BASE + '/api/v1/visitor/ws' + q); } catch (e) { schedule(); return; }
    S.ws = ws;
    ws.onmessage = function (e) {
      if (S.ws !== ws) return;
      var f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f && typeof f === 'object') handle(f);
    };
    ws.onclose = function () {
      if (S.ws !== ws) return;
      S.ws = null;
      S.connected = false;
      setStatus();
      schedule();
    };
    ws.onerror = function () { try { ws.close(); } catch (x) { /* ignore */ } };
  }
  function schedule() {
    if (S.fatal || S.timer || S.ws) return;
    S.timer = setTimeout(connect, backoff(S.attempt++));
  }
  function reconnectNow() {
    if (S.ws || S.fatal) return;
    S.attempt = 0;
    connect();
  }

  function handle(f) {
    switch (f.type) {
      case 'welcome': onWelcome(f); break;
      case 'event': onEvent(f); break;
      case 'ack':
        outbox.ack(f.client_id);
        applyAck(tl, f);
        saveSoon();
        syncMessages();
        setStatus();
        break;
      case 'queue':
        S.queue = f;
        renderQueue();
        break;
      case 'typing':
        typingEl.hidden = false;
        clearTimeout(S.typingT);
        S.typingT = setTimeout(function () { typingEl.hidden = true; }, 5000);
        break;
      case 'read':
        if (markRead(tl, f.seq)) { saveSoon(); syncMessages(); }
        break;
      case 'rating_invite': showRate(f.conversation_id); break;
      case 'offline': showLeave(f.reason); break;
      case 'error': onError(f); break;
    }
  }

  function onWelcome(w) {
    if (w.visitor_token && w.visitor_token !== S.token) {
      if (S.token) { // a different visitor now: forget the old conversation, keep unsent text
        var ob = outbox.entries();
        tl = createTimeline();
        ob.forEach(function (e) { addLocal(tl, e); });
        S.seen = {};
        S.readSent = {};
      }
      S.token = w.visitor_token;
      sset('localStorage', 'token', S.token);
    }
    S.channel = w.channel || {};
    titleEl.textContent = S.channel.name || T('title');
    S.connected = true;
    S.everConnected = true;
    S.attempt = 0;
    var c = w.conversation;
    if (c && c.id != null) {
      var id = String(c.id);
      tl.current = id;
      tl.cstate = c.state || 'open';
      if (S.sent.seq > 0 && id !== String(S.sent.conv)) {
        // We resumed a different conversation than the server's open one: the server has replayed
        // after the wrong seq. Reconnect once asking for that conversation from the start.
        var old = S.ws;
        S.ws = null;
        S.connected = false;
        try { old.close(); } catch (e) { /* ignore */ }
        connect();
        return;
      }
    } else if (tl.current && isOpenState(tl.cstate)) {
      tl.cstate = 'closed';
    }
    var open = tl.current && isOpenState(tl.cstate);
    if (!open || (tl.cstate !== 'queued' && tl.cstate !== 'transferred')) S.queue = null;
    if (!open && !S.prechatDone && Array.isArray(S.channel.prechat_fields) && S.channel.prechat_fields.length) showPrechat(S.channel.prechat_fields);
    else prechatEl.hidden = true;
    layout();
    renderQueue();
    updateBadge();
    setStatus();
    flush();
    saveSoon();
    syncMessages();
    markSeen();
  }

  function onEvent(f) {
    var it = mergeEvent(tl, f);
    if (!it) return;
    if (it.kind === 'system' || it.sender === 'system') {
      var e = it.body && it.body.event;
      if (e === 'queued') tl.cstate = 'queued';
      else if (e === 'assigned') { tl.cstate = 'active'; S.queue = null; }
      else if (e === 'transferred') tl.cstate = 'transferred';
      else if (e === 'closed' || e === 'completed') { tl.cstate = e; S.queue = null; typingEl.hidden = true; }
      renderQueue();
      setStatus();
    } else if (it.sender !== 'visitor') {
      typingEl.hidden = true;
      if (!visible() && it.seq > (S.seen[it.conv] || 0)) { S.unread++; updateBadge(); }
    }
    if (it.client_id) outbox.ack(it.client_id); // our own message, stored
    if (!prechatEl.hidden && isOpenState(tl.cstate)) { prechatEl.hidden = true; layout(); }
    saveSoon();
    syncMessages(it.sender === 'visitor');
    markSeen();
  }

  function onError(f) {
    var code = f.code || '';
    var text = DICT[LANG]['e_' + code] ? T('e_' + code) : (f.message || code);
    if (f.client_id && outbox.drop(f.client_id)) { // the server refused that message for good
      var it = findItem(tl, function (x) { return x.client_id === f.client_id; });
      if (it) it.status = 'failed';
      saveSoon();
      syncMessages();
    }
    if (FATAL[code]) {
      S.fatal = true;
      notice(text, false, true);
      if (S.ws) { var ws = S.ws; S.ws = null; S.connected = false; try { ws.close(); } catch (e) { /* ignore */ } }
      setStatus();
      return;
    }
    notice(text);
  }

  // ------------------------------------------------------------------ actions

  function sendBody(body) {
    var e = outbox.add(body);
    addLocal(tl, e);
    leaveEl.hidden = leaveEl.hidden || leaveBody.hidden; // a thank-you note goes away
    layout();
    saveSoon();
    syncMessages(true);
    if (S.connected) raw({ type: 'message', client_id: e.client_id, body: body });
    return e.client_id;
  }

  function sendText(text) {
    text = String(text == null ? '' : text).replace(/^\s+|\s+$/g, '');
    if (!text) return null;
    if (charCount(text) > MAX_CHARS) { notice(T('tooLong')); return null; }
    return sendBody({ kind: 'text', text: text });
  }

  function submitText() {
    var v = input.value;
    if (!v.replace(/\s+/g, '')) return;
    if (charCount(v.trim()) > MAX_CHARS) { notice(T('tooLong')); return; }
    input.value = '';
    autosize();
    emojiPanel.hidden = true;
    sendText(v);
  }

  function autosize() {
    input.style.height = '';
    input.style.height = Math.min(120, Math.max(38, input.scrollHeight + 2)) + 'px';
    input.style.overflowY = input.scrollHeight > 118 ? 'auto' : 'hidden';
  }

  function insertEmoji(em) {
    var v = input.value, a = input.selectionStart == null ? v.length : input.selectionStart;
    var b = input.selectionEnd == null ? a : input.selectionEnd;
    input.value = v.slice(0, a) + em + v.slice(b);
    input.selectionStart = input.selectionEnd = a + em.length;
    emojiPanel.hidden = true;
    input.focus();
  }

  function upload(file) {
    if (!file) return;
    if (!S.token) { notice(T('noConn')); return; }
    if (file.size > MAX_FILE) { notice(T('tooBig')); return; }
    var fd = new FormData();
    fd.append('file', file, file.name || 'file');
    notice(T('uploading', { x: file.name || '' }), true, true);
    var url = ORIGIN + '/api/v1/visitor/attachments?channel=' + encodeURIComponent(KEY) + '&token=' + encodeURIComponent(S.token);
    fetch(url, { method: 'POST', body: fd, credentials: 'omit' }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (j) {
        if (!r.ok || !j) {
          var err = new Error((j && (j.message || j.code)) || T('uploadFail') + ' (' + r.status + ')');
          err.server = true;
          throw err;
        }
        return j;
      });
    }).then(function (a) {
      notice(null);
      var image = /^image\//i.test(a.content_type || '');
      sendBody({ kind: image ? 'image' : 'file', attachment_id: a.id, name: a.name || file.name, size: a.size != null ? a.size : file.size, url: a.url });
    }).catch(function (e) {
      notice(e && e.server ? e.message : T('uploadFail'));
    });
  }

  function endChat() {
    if (!S.endArm) {
      endBtn.textContent = T('endConfirm');
      S.endArm = setTimeout(function () { S.endArm = null; endBtn.textContent = T('end'); }, 3000);
      return;
    }
    clearTimeout(S.endArm);
    S.endArm = null;
    endBtn.textContent = T('end');
    control({ type: 'close' });
  }

  function showPrechat(fields) {
    preFields.textContent = '';
    fields.forEach(function (f) {
      if (!f || !f.name) return;
      var name = String(f.name);
      var type = /mail/i.test(name) ? 'email' : /phone|mobile|tel/i.test(name) ? 'tel' : 'text';
      var inp = h('input', { id: 'kefu-prechat-' + name.replace(/[^\w-]/g, '_'), name: name, type: type, maxlength: 200, required: !!f.required, 'data-label': String(f.label || name) });
      preFields.appendChild(h('label', null, [String(f.label || name) + (f.required ? ' *' : ''), inp]));
    });
    preErr.hidden = true;
    prechatEl.hidden = false;
    layout();
  }

  function submitPrechat(ev) {
    ev.preventDefault();
    var fields = {}, missing = [];
    Array.prototype.forEach.call(preFields.querySelectorAll('input'), function (inp) {
      var v = inp.value.trim();
      if (v) fields[inp.name] = v;
      else if (inp.hasAttribute('required')) missing.push(inp.getAttribute('data-label'));
    });
    if (missing.length) { preErr.textContent = T('required', { x: missing.join('、') }); preErr.hidden = false; return; }
    S.prechatDone = true;
    sset('sessionStorage', 'prechat', '1');
    prechatEl.hidden = true;
    layout();
    control({ type: 'start', fields: fields });
    try { input.focus(); } catch (e) { /* ignore */ }
  }

  function showLeave(reason) {
    S.offline = reason || 'nobody_online';
    leaveTitle.textContent = T(reason === 'outside_hours' ? 'leave_outside_hours' : 'leave_nobody_online');
    leaveBody.hidden = false;
    leaveThanks.hidden = true;
    leaveErr.hidden = true;
    leaveEl.hidden = false;
    layout();
    if (!visible()) { S.unread = Math.max(S.unread, 1); updateBadge(); }
  }
  function hideLeave() { leaveEl.hidden = true; layout(); }

  function submitLeave(ev) {
    ev.preventDefault();
    var v = {};
    for (var k in lf) v[k] = lf[k].input.value.trim();
    if (!v.text || !(v.phone || v.email)) { leaveErr.textContent = T('leaveNeed'); leaveErr.hidden = false; return; }
    control({ type: 'leave_message', name: v.name, phone: v.phone, email: v.email, text: v.text });
    lf.text.input.value = '';
    leaveBody.hidden = true;
    leaveThanks.hidden = false;
    layout();
  }

  function setStars(n) {
    var good = n >= 4, wasGood = S.stars >= 4;
    S.stars = n;
    stars.forEach(function (b, i) {
      b.classList.toggle('on', i < n);
      b.setAttribute('aria-pressed', i === n - 1 ? 'true' : 'false');
    });
    if (tagsEl.hidden || good !== wasGood) {
      tagsEl.textContent = '';
      (good ? TAGS.good : TAGS.bad).forEach(function (t) {
        tagsEl.appendChild(h('label', { class: 'tag' }, [h('input', { type: 'checkbox', value: t[0] }), LANG === 'en' ? t[1] : t[0]]));
      });
    }
    tagsEl.hidden = false;
    rateErr.hidden = true;
  }

  function showRate(conv) {
    S.rating = conv == null ? true : conv;
    S.stars = 0;
    setStars(0);
    tagsEl.hidden = true;
    rateComment.value = '';
    rateBody.hidden = false;
    rateThanks.hidden = true;
    rateEl.hidden = false;
    if (!visible()) { S.unread = Math.max(S.unread, 1); updateBadge(); }
    if (S.open) syncMessages(true);
  }

  function submitRate(ev) {
    ev.preventDefault();
    if (!S.stars) { rateErr.textContent = T('rateNeed'); rateErr.hidden = false; return; }
    var tags = Array.prototype.filter.call(tagsEl.querySelectorAll('input'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    control({ type: 'rate', stars: S.stars, tags: tags, comment: rateComment.value.trim() });
    S.rating = null;
    rateBody.hidden = true;
    rateThanks.hidden = false;
    setTimeout(function () { rateEl.hidden = true; }, 4000);
  }

  // ------------------------------------------------------------------ events

  input.addEventListener('input', function () {
    autosize();
    var now = Date.now();
    if (input.value.trim() && S.connected && now - S.lastTyping >= 2000 && raw({ type: 'typing' })) S.lastTyping = now;
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submitText(); }
  });
  input.addEventListener('paste', function (e) {
    var files = e.clipboardData && e.clipboardData.files;
    if (files && files.length) { e.preventDefault(); upload(files[0]); }
  });
  fileInput.addEventListener('change', function () {
    var f = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    upload(f);
  });
  msgs.addEventListener('click', function () { emojiPanel.hidden = true; });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { markSeen(); if (!S.ws) reconnectNow(); }
  });
  G.addEventListener('online', reconnectNow);
  G.addEventListener('pagehide', save);

  G.__kefuWidget = {
    /** A JSON snapshot for tests. */
    state: function () {
      return JSON.parse(JSON.stringify({
        channel: KEY, origin: ORIGIN, lang: LANG, mode: MODE, open: S.open, connected: S.connected,
        token: S.token, channelInfo: S.channel,
        conversation: tl.current ? { id: tl.current, state: tl.cstate, last_seq: tl.seqs[tl.current] || 0 } : null,
        messages: tl.items.map(function (x) {
          return { seq: x.seq, conversation_id: x.conv, sender: x.sender, sender_name: x.sender_name, kind: x.kind, body: x.body, client_id: x.client_id || null, status: x.status || null };
        }),
        outbox: outbox.entries().map(function (e) { return e.client_id; }),
        queue: S.queue, unread: S.unread, offline: S.offline, rating: S.rating, typing: !typingEl.hidden,
        prechat: !prechatEl.hidden, fatal: S.fatal, attempt: S.attempt
      }));
    },
    open: openPanel,
    close: closePanel,
    /** Send a text message as the visitor; returns its client_id (null if empty or too long). */
    send: sendText
  };

  function mount() {
    document.body.appendChild(host);
    if (S.open) openPanel();
    updateBadge();
    setStatus();
    syncMessages(true);
    connect();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})(typeof globalThis !== 'undefined' ? globalThis : this);
