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

