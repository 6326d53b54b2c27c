// Tests for the pure parts of widget.js. Run: node --test crates/web/assets/widget.test.mjs
// widget.js is a classic script; without a `document` it only defines its helpers and puts them
// on globalThis.__kefuWidgetInternals. It is evaluated in this realm so arrays/objects compare
// with deepStrictEqual. The server serves the parts under widget/ concatenated in the order
// `WIDGET` in crates/web/src/assets.rs lists them; this reads that list and does the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';

const assetsRs = readFileSync(new URL('../src/assets.rs', import.meta.url), 'utf8');
const widgetList = assetsRs.slice(assetsRs.indexOf('pub const WIDGET'));
const parts = [...widgetList.slice(0, widgetList.indexOf(');')).matchAll(/include_str!\("\.\.\/assets\/(widget\/[\w]+\.js)"\)/g)].map((m) => m[1]);
assert.ok(parts.length > 5, 'the widget parts are listed in assets.rs');
const file = new URL('./widget.js', import.meta.url);
runInThisContext(parts.map((p) => readFileSync(new URL('./' + p, import.meta.url), 'utf8')).join(''), { filename: file.pathname });
const W = globalThis.__kefuWidgetInternals;

test('the file exposes its helpers and defines no widget without a document', () => {
  assert.ok(W, 'internals exported');
  for (const f of ['escapeHtml', 'linkify', 'linkifyHtml', 'backoff', 'mergeEvent', 'applyAck', 'markRead', 'createOutbox', 'uuid']) {
    assert.equal(typeof W[f], 'function', f);
  }
  assert.equal(globalThis.__kefuWidget, undefined);
});

test('escapeHtml escapes markup and quotes', () => {
  assert.equal(W.escapeHtml('<script>alert("x")</script>'), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  assert.equal(W.escapeHtml(`a & b ' c`), 'a &amp; b &#39; c');
  assert.equal(W.escapeHtml(null), '');
  assert.equal(W.escapeHtml(42), '42');
});

test('linkify turns http(s) URLs into links and leaves the rest as text', () => {
  const t = W.linkify('see https://example.com/a?b=1&c=2. ok');
  assert.deepEqual(t, [
    { type: 'text', text: 'see ' },
    { type: 'link', href: 'https://example.com/a?b=1&c=2', text: 'https://example.com/a?b=1&c=2' },
    { type: 'text', text: '. ok' },
  ]);
  assert.equal(
    W.linkifyHtml('see https://example.com/a?b=1&c=2.'),
    'see <a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">https://example.com/a?b=1&amp;c=2</a>.',
  );
  // Chinese text and full-width punctuation end a URL.
  const zh = W.linkify('请访问https://example.com/x，谢谢');
  assert.equal(zh[1].href, 'https://example.com/x');
  assert.equal(zh[2].text, '，谢谢');
  // A URL in parentheses does not swallow the closing one.
  assert.equal(W.linkify('(http://a.example/b)')[1].href, 'http://a.example/b');
  assert.deepEqual(W.linkify(''), []);
  assert.deepEqual(W.linkify('just text'), [{ type: 'text', text: 'just text' }]);
});

test('linkify never makes <script> or javascript:/data: URLs live', () => {
  const evil = [
    '<script>alert(1)</script>',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(document.cookie)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
    '<img src=x onerror=alert(1)>',
    'vbscript:msgbox(1)',
  ];
  for (const s of evil) {
    const html = W.linkifyHtml(s);
    assert.ok(!/<script|<img|<a /i.test(html), `no live markup for ${JSON.stringify(s)}: ${html}`);
    assert.ok(W.linkify(s).every((t) => t.type === 'text'), `no link for ${JSON.stringify(s)}`);
    // all text tokens together are the original text
    assert.equal(W.linkify(s).map((t) => t.text).join(''), s);
  }
  // A link cannot break out of its attribute or carry markup.
  const html = W.linkifyHtml('https://x.example/"onmouseover="alert(1) https://x.example/<script>alert(1)</script>');
  assert.ok(!html.includes('"onmouseover'), html);
  assert.ok(!html.includes('<script'), html);
  for (const t of W.linkify('https://x.example/"onmouseover="alert(1)')) {
    if (t.type === 'link') assert.ok(!t.href.includes('"'));
  }
});

test('safeUrl keeps http(s) only and resolves relative URLs against the origin', () => {
  assert.equal(W.safeUrl('/api/v1/attachments/1', 'https://kefu.example'), 'https://kefu.example/api/v1/attachments/1');
  assert.equal(W.safeUrl('https://cdn.example/a.png'), 'https://cdn.example/a.png');
  assert.equal(W.safeUrl('javascript:alert(1)', 'https://kefu.example'), null);
  assert.equal(W.safeUrl(' javascript:alert(1)', 'https://kefu.example'), null);
  assert.equal(W.safeUrl('java\nscript:alert(1)', 'https://kefu.example'), null);
  assert.equal(W.safeUrl('data:image/png;base64,AAAA', 'https://kefu.example'), null);
  assert.equal(W.safeUrl('/relative'), null);
  assert.equal(W.safeUrl(undefined), null);
  assert.equal(W.safeUrl({ toString: () => 'https://x' }), null);
});

const ev = (seq, extra = {}) => ({
  type: 'event', conversation_id: 7, seq, kind: 'message', sender: 'agent', sender_name: 'Alice',
  body: { kind: 'text', text: 'm' + seq }, at: 1700000000000 + seq, ...extra,
});
const seqs = (tl) => tl.items.map((x) => x.seq);

test('mergeEvent drops duplicates and replays (seq not greater than the last seen)', () => {
  const tl = W.createTimeline();
  assert.ok(W.mergeEvent(tl, ev(1)));
  assert.ok(W.mergeEvent(tl, ev(2)));
  assert.ok(W.mergeEvent(tl, ev(3)));
  // a reconnect replays from an older last_seq: all duplicates are dropped
  assert.equal(W.mergeEvent(tl, ev(2)), null);
  assert.equal(W.mergeEvent(tl, ev(3, { body: { kind: 'text', text: 'changed' } })), null);
  assert.equal(W.mergeEvent(tl, ev(1)), null);
  assert.ok(W.mergeEvent(tl, ev(4)));
  assert.deepEqual(seqs(tl), [1, 2, 3, 4]);
  assert.equal(tl.items[2].body.text, 'm3');
  assert.equal(tl.seqs['7'], 4);
  assert.equal(tl.current, '7');
  // malformed frames are ignored
  assert.equal(W.mergeEvent(tl, { type: 'event', seq: 9 }), null);
  assert.equal(W.mergeEvent(tl, ev(0)), null);
  assert.equal(W.mergeEvent(tl, ev('x')), null);
  assert.deepEqual(seqs(tl), [1, 2, 3, 4]);
});

test('own messages: pending at the end, placed by seq on ack, merged with their event, then read', () => {
  const tl = W.createTimeline();
  W.mergeEvent(tl, ev(1));
  W.mergeEvent(tl, ev(2));
  const mine = W.addLocal(tl, { client_id: 'c-1', body: { kind: 'text', text: 'hi' } });
  assert.equal(mine.status, 'pending');
  // an agent message stored before ours goes before our pending one
  W.mergeEvent(tl, ev(3));
  assert.deepEqual(seqs(tl), [1, 2, 3, null]);
  assert.equal(tl.items[3], mine);
  // ack: our message is seq 4
  W.applyAck(tl, { type: 'ack', client_id: 'c-1', conversation_id: 7, seq: 4 });
  assert.equal(mine.status, 'sent');
  assert.deepEqual(seqs(tl), [1, 2, 3, 4]);
  // the stored event for our own message replaces it rather than duplicating it
  const same = W.mergeEvent(tl, ev(4, { sender: 'visitor', sender_name: '', client_id: 'c-1', body: { kind: 'text', text: 'hi' } }));
  assert.equal(same, mine);
  assert.equal(tl.items.length, 4);
  assert.equal(mine.status, 'sent');
  W.mergeEvent(tl, ev(5));
  assert.equal(W.markRead(tl, 4), true);
  assert.equal(mine.status, 'read');
  assert.equal(W.markRead(tl, 3), false, 'read never goes backwards');
  assert.deepEqual(seqs(tl), [1, 2, 3, 4, 5]);
});

test('an ack does not move the exactly-once filter: earlier events still arrive, in order', () => {
  const tl = W.createTimeline();
  W.addLocal(tl, { client_id: 'c-9', body: { kind: 'text', text: 'first words' } });
  W.applyAck(tl, { type: 'ack', client_id: 'c-9', conversation_id: 'conv-a', seq: 3 });
  W.mergeEvent(tl, { ...ev(1), conversation_id: 'conv-a', kind: 'system', sender: 'system', body: { event: 'queued' } });
  W.mergeEvent(tl, { ...ev(2), conversation_id: 'conv-a', sender: 'bot' });
  assert.deepEqual(seqs(tl), [1, 2, 3]);
  assert.equal(tl.items[2].client_id, 'c-9');
  // the event for seq 3 without client_id still does not duplicate it
  W.mergeEvent(tl, { ...ev(3), conversation_id: 'conv-a', sender: 'visitor' });
  assert.equal(tl.items.length, 3);
  // an unknown ack is ignored
  assert.equal(W.applyAck(tl, { type: 'ack', client_id: 'nope', conversation_id: 'conv-a', seq: 9 }), null);
});

test('a new conversation starts its own sequence after the old one', () => {
  const tl = W.createTimeline();
  W.mergeEvent(tl, ev(1));
  W.mergeEvent(tl, ev(2));
  W.mergeEvent(tl, { ...ev(1), conversation_id: 8 });
  W.mergeEvent(tl, { ...ev(2), conversation_id: 8 });
  assert.deepEqual(tl.items.map((x) => x.conv + ':' + x.seq), ['7:1', '7:2', '8:1', '8:2']);
  assert.equal(tl.current, '8');
  // the timeline survives a JSON round trip (sessionStorage)
  const back = W.createTimeline(JSON.parse(JSON.stringify(tl)));
  assert.equal(W.mergeEvent(back, { ...ev(2), conversation_id: 8 }), null);
  assert.ok(W.mergeEvent(back, { ...ev(3), conversation_id: 8 }));
});

test('outbox re-sends unacked messages after every reconnect and forgets acked ones', () => {
  const ob = W.createOutbox();
  const a = ob.add({ kind: 'text', text: 'a' });
  const b = ob.add({ kind: 'text', text: 'b' });
  assert.notEqual(a.client_id, b.client_id);
  assert.equal(ob.size, 2);

  // disconnected: nothing goes out, nothing is lost
  assert.equal(ob.flush(() => false), 0);
  assert.equal(ob.size, 2);

  // reconnect #1: both, in order, with their client_ids
  let sent = [];
  assert.equal(ob.flush((f) => sent.push(f)), 2);
  assert.deepEqual(sent, [
    { type: 'message', client_id: a.client_id, body: { kind: 'text', text: 'a' } },
    { type: 'message', client_id: b.client_id, body: { kind: 'text', text: 'b' } },
  ]);

  // the socket drops before b is acked
  assert.equal(ob.ack(a.client_id), true);
  assert.equal(ob.ack(a.client_id), false, 'a duplicate ack is harmless');
  assert.equal(ob.ack('unknown'), false);

  // reconnect #2: only b again, same client_id (the server deduplicates by it)
  sent = [];
  ob.flush((f) => sent.push(f));
  assert.deepEqual(sent.map((f) => f.client_id), [b.client_id]);

  // survives a page reload via sessionStorage JSON
  const reloaded = W.createOutbox(JSON.parse(JSON.stringify(ob.entries())));
  assert.deepEqual(reloaded.frames().map((f) => f.client_id), [b.client_id]);
  reloaded.ack(b.client_id);
  sent = [];
  reloaded.flush((f) => sent.push(f));
  assert.deepEqual(sent, []);
  assert.equal(reloaded.size, 0);

  // a flush stops at the first failed send and keeps everything
  const ob2 = W.createOutbox();
  ob2.add({ kind: 'text', text: '1' });
  ob2.add({ kind: 'text', text: '2' });
  let n = 0;
  assert.equal(ob2.flush(() => (n++ === 0 ? true : false)), 1);
  assert.equal(ob2.size, 2);
});

test('backoff: 0.5 s doubling to 10 s, jittered, never outside [0.5 s, 10 s]', () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    for (const r of [0, 0.01, 0.25, 0.5, 0.75, 0.999999]) {
      const d = W.backoff(attempt, r);
      assert.ok(d >= 500 && d <= 10000, `attempt ${attempt} rand ${r}: ${d}`);
    }
    for (let i = 0; i < 20; i++) {
      const d = W.backoff(attempt);
      assert.ok(d >= 500 && d <= 10000);
    }
  }
  assert.equal(W.backoff(0, 0.999999), 500);
  assert.equal(W.backoff(1, 0.999999), 1000);
  assert.equal(W.backoff(3, 0.999999), 4000);
  assert.equal(W.backoff(4, 0), 4000, 'jitter takes off at most half');
  assert.equal(W.backoff(5, 0.999999), 10000, 'capped');
  assert.equal(W.backoff(1e6, 0.999999), 10000);
  assert.equal(W.backoff(NaN, 0.5), 500);
  assert.equal(W.backoff(-3, 0.5), 500);
  // jitter actually varies
  const spread = new Set(Array.from({ length: 50 }, () => W.backoff(6)));
  assert.ok(spread.size > 5);
});

test('uuid: RFC 4122 v4 shape, also without crypto.randomUUID (insecure contexts)', () => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(W.uuid(), re);
  const desc = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  const real = globalThis.crypto;
  Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: (b) => real.getRandomValues(b) }, configurable: true });
  try {
    const ids = new Set(Array.from({ length: 100 }, () => W.uuid()));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, re);
  } finally {
    Object.defineProperty(globalThis, 'crypto', desc);
  }
});

test('system events and the queue line in both languages', () => {
  const zh = W.translator('zh-CN');
  const en = W.translator('en');
  assert.equal(W.systemText({ event: 'assigned', agent_name: '小王' }, '', zh), '客服 小王 为您服务');
  assert.equal(W.systemText({ event: 'assigned', agent_name: 'Alice' }, '', en), 'Alice is now serving you');
  assert.equal(W.systemText({ event: 'assigned' }, 'Bob', en), 'Bob is now serving you');
  assert.equal(W.systemText({ event: 'transferred', to_agent_name: '小李' }, '', zh), '对话已转接给 小李');
  assert.equal(W.systemText({ event: 'closed' }, '', zh), '对话已结束');
  assert.equal(W.systemText({ event: 'rating_invited' }, '', en), 'Please rate this conversation');
  assert.equal(W.systemText({ event: 'transferred', to_agent_id: 'u1' }, '', zh), '对话已转接，请稍候');
  assert.equal(W.systemText({ event: 'completed' }, '', en), 'The conversation is complete. Thank you!');
  assert.equal(zh('queue', { n: 3, m: 5 }), '您前面还有 3 位 · 预计等待 5 分钟');
  assert.equal(en('queue', { n: 3, m: 5 }), '3 ahead of you · about 5 min');
  // every key exists in both languages
  assert.deepEqual(Object.keys(W.DICT['zh-CN']).sort(), Object.keys(W.DICT.en).sort());
  assert.equal(W.formatSize(2048), '2.0 KB');
  assert.equal(W.formatSize(3 * 1048576), '3.0 MB');
  assert.equal(W.charCount('😀😀'), 2, 'emoji count as one character each');
});
