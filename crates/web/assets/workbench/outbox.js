  // ---- Sending -------------------------------------------------------------

  function transmit(m) {
    if (!S.connected) return; // the outbox is flushed after the next welcome
    send({ type: "message", conversation_id: m.conversation_id, client_id: m.client_id, body: m.body, private: m.private }, (err) => {
      if (!err) return;
      m.error = errText(err);
      saveOutbox();
      renderPending();
    });
  }
  function enqueue(body) {
    const c = cur();
    if (!isOpen(c)) return;
    const m = { client_id: uuid(), conversation_id: c.id, body, private: $("wb-note-toggle").checked };
    S.outbox.push(m);
    saveOutbox();
    transmit(m);
    renderPending();
    scrollDown();
  }
  function dropOutbox(clientId) {
    const before = S.outbox.length;
    S.outbox = S.outbox.filter((m) => m.client_id !== clientId);
    if (S.outbox.length !== before) { saveOutbox(); renderPending(); }
  }

