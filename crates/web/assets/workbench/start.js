  // ---- Test hook and start -------------------------------------------------

  window.__kefuWorkbench = {
    state() {
      const c = cur();
      return {
        connected: S.connected,
        conversations: convList().map((k) => ({ id: k.id, unread: unread(k), state: k.state })),
        current: S.current,
        pickups: S.pickups.map((p) => p.id),
        messages: c ? sortedEvents(c).map((e) => ({ seq: e.seq, sender: e.sender, text: bodyText(e) })) : [],
      };
    },
  };

  notifyButton();
  renderAll();
  loadOffline();
  setInterval(tick, 1000);
  setInterval(loadOffline, 60000);
  connect();
})();
