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

