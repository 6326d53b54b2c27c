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

