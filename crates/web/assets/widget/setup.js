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

