  // ---- The socket ----------------------------------------------------------
  //
  // The server answers each frame in order with exactly one reply (`ack`,
  // `done`, `error` or `pong`), except `resume`, which answers only with
  // errors; a `ping` sent right after it marks where those end. So `pending`
  // is a queue, and an `error` belongs to the oldest unanswered frame.

  let ws = null, backoff = 1000, pending = [], heartbeat = null;

  // data-state is "online" only between a welcome and the socket closing.
  function setConn(state) {
    $("wb-connection").dataset.state = state === "online" ? "online" : "offline";
    $("wb-connection").textContent = t("connection_" + state);
  }
  function connect() {
    setConn("connecting");
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/agent/ws");
    ws.onmessage = (m) => {
      try { onFrame(JSON.parse(m.data)); } catch (e) { console.error("workbench frame", e); }
    };
    ws.onclose = () => {
      ws = null;
      S.connected = false;
      pending = [];
      clearInterval(heartbeat);
      setConn("offline");
      // Exponential backoff with jitter, so a restarted server is not stormed.
      setTimeout(connect, backoff * (0.75 + Math.random() / 2));
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  function send(frame, cb) {
    if (!ws || ws.readyState !== 1) { if (cb) cb({ message: T.offline_now }); return false; }
    ws.send(JSON.stringify(frame));
    pending.push({ type: frame.type, client_id: frame.client_id, conv: frame.conversation_id || "", cb });
    return true;
  }
  function settle(match) {
    const p = pending.splice(pending.findIndex(match) >>> 0, 1)[0]; // -1 >>> 0 is past the end: nothing
    if (p && p.cb) p.cb(null);
  }

  function onFrame(f) {
    const c = S.convs.get(f.conversation_id);
    switch (f.type) {
      case "welcome": return onWelcome(f);
      case "event": return onEvent(f);
      case "assigned": return onAssigned(f);
      case "pickups": return onPickups(f);
      case "ack":
        settle((p) => p.type === "message" && p.client_id === f.client_id);
        return dropOutbox(f.client_id);
      case "done": return settle((p) => p.type === f.request && p.conv === (f.conversation_id || ""));
      case "pong": return void pending.splice(0, pending.findIndex((p) => p.type === "ping") + 1);
      case "error": {
        const head = pending[0];
        if (head && head.type === "resume") return; // a conversation no longer ours
        if (head) pending.shift();
        return head && head.cb ? head.cb(f) : failed(f);
      }
      case "notification": // a ticket assigned or changed: workbench_tickets.js shows it
        return void app.dispatchEvent(new CustomEvent("kefu:notification", { detail: f }));
      case "conversation_removed":
        removeConv(f.conversation_id);
        return renderAll();
      case "typing":
        if (c && f.sender === "visitor") { c.typingUntil = Date.now() + 5000; tick(); }
        return;
      case "read":
        if (c && f.by === "visitor") { c.visitorReadSeq = Math.max(c.visitorReadSeq, f.seq || 0); if (c === cur()) renderMessages(); }
        return;
    }
  }

  function onWelcome(f) {
    S.connected = true;
    backoff = 1000;
    setConn("online");
    const mine = new Set();
    (f.conversations || []).forEach((s) => mine.add(upsert(s).id));
    // Taken away while we were offline; ended ones stay until dismissed.
    for (const c of Array.from(S.convs.values())) if (!mine.has(c.id) && !c.ended) removeConv(c.id);
    S.outbox = S.outbox.filter((m) => S.convs.has(m.conversation_id));
    saveOutbox();
    const resume = {};
    mine.forEach((id) => { resume[id] = S.convs.get(id).lastSeq; });
    send({ type: "resume", conversations: resume });
    send({ type: "ping" });
    S.outbox.forEach((m) => { if (!m.error) transmit(m); });
    // A ping every 25 s; one still unanswered at the next means a dead link.
    heartbeat = setInterval(() => {
      if (pending.some((p) => p.type === "ping")) { if (ws) ws.close(); } else send({ type: "ping" });
    }, 25000);
    refreshMyStatus();
    onPickups(f.pickups || { conversations: [] }, true);
    // After a reload the remembered conversation may be gone, or needs its panel.
    if (S.current && !S.convs.has(S.current)) select(null);
    else if (cur() && customerId !== cur().customer_id) loadCustomer(cur());
    renderAll();
  }

  function onAssigned(f) {
    const c = upsert(f.conversation);
    c.isNew = true;
    if (f.explanation) { c.explanation = f.explanation; store(sessionStorage, "why:" + c.id, f.explanation); }
    alertNewWork(c);
    renderAll();
    if (S.openOnAssign === c.id) { S.openOnAssign = null; select(c.id); } // just picked up
  }

  function onEvent(f) {
    const c = S.convs.get(f.conversation_id);
    if (!c || f.seq <= c.lastSeq) return; // not ours, or already had it
    if (f.seq > c.lastSeq + 1) backfill(c, c.lastSeq, f.seq);
    addEvent(c, f);
    c.lastSeq = f.seq;
    if (f.sender === "visitor") c.typingUntil = 0;
    if (f.client_id) dropOutbox(f.client_id);
    if (c === cur()) { appendMessage(c, f); markRead(c); }
    if (c === cur() && (f.sender === "visitor" || f.kind === "system")) refreshAssist();
    renderList();
    renderActions();
  }
  const STATE_OF = { queued: "queued", assigned: "active", transferred: "transferred", closed: "closed", completed: "completed" };
  function addEvent(c, e) {
    c.events.set(e.seq, e);
    const state = e.kind === "system" && STATE_OF[(e.body || {}).event];
    if (state) { c.state = state; c.ended = state === "closed" || state === "completed"; }
  }
  // A hole in the sequence (say a live event that raced the resume, or a
  // conversation coming back to us): fetch what is missing from the log.
  function backfill(c, after, before) {
    api("GET", `/api/v1/conversations/${encodeURIComponent(c.id)}/events?after=${after}&limit=1000`).then((list) => {
      (list || []).forEach((e) => { if (e.seq < before && !c.events.has(e.seq)) addEvent(c, e); });
      if (c === cur()) renderMessages();
      renderList();
    }).catch(() => setTimeout(() => { if (S.convs.has(c.id)) backfill(c, after, before); }, 3000));
  }

  function markRead(c) {
    if (!c || c !== cur() || document.visibilityState !== "visible" || c.readSeq >= c.lastSeq) return;
    c.readSeq = c.lastSeq;
    store(localStorage, "read:" + c.id, c.readSeq);
    if (isOpen(c)) send({ type: "read", conversation_id: c.id, seq: c.lastSeq });
    renderList();
  }

