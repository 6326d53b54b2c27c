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

