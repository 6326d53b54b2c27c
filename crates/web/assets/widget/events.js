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
