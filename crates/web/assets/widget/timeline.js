  // Timeline: the conversation events shown, ordered by (conversation, seq); the visitor's own
  // messages that are not stored yet (no seq) come last in sending order.
  //   seqs:  {conversation_id: highest seq seen}   (the exactly-once filter)
  //   convs: conversation ids in order of appearance
  //   read:  {conversation_id: seq the agent has read up to}
  function createTimeline(saved) {
    var tl = { seqs: {}, convs: [], read: {}, items: [], current: null, cstate: null };
    if (saved && typeof saved === 'object') {
      for (var k in tl) if (saved[k] != null) tl[k] = saved[k];
    }
    return tl;
  }

  function convIndex(tl, conv) {
    var i = tl.convs.indexOf(conv);
    if (i < 0) { tl.convs.push(conv); i = tl.convs.length - 1; }
    return i;
  }

  function findItem(tl, pred) {
    for (var i = 0; i < tl.items.length; i++) if (pred(tl.items[i])) return tl.items[i];
    return null;
  }

  /** (Re)insert an item at its place. */
  function place(tl, item) {
    var arr = tl.items, i = arr.indexOf(item);
    if (i >= 0) arr.splice(i, 1);
    if (item.seq == null) { arr.push(item); return; }
    var ci = convIndex(tl, item.conv);
    for (i = arr.length; i > 0; i--) {
      var p = arr[i - 1];
      if (p.seq == null) continue;
      var pi = convIndex(tl, p.conv);
      if (pi < ci || (pi === ci && p.seq < item.seq)) break;
    }
    arr.splice(i, 0, item);
  }

  function ownStatus(tl, item) {
    return item.seq != null && (tl.read[item.conv] || 0) >= item.seq ? 'read' : 'sent';
  }

  /** Merge a server `event` frame. Returns the timeline item, or null when the event was dropped
   *  (seq not greater than the last one seen in its conversation: a replay duplicate). An event
   *  carrying the client_id of a local message replaces that local message. */
  function mergeEvent(tl, ev) {
    if (!ev || ev.conversation_id == null || !(+ev.seq > 0)) return null;
    var conv = String(ev.conversation_id), seq = +ev.seq;
    if (seq <= (tl.seqs[conv] || 0)) return null;
    tl.seqs[conv] = seq;
    if (tl.current !== conv) { tl.current = conv; tl.cstate = 'open'; }
    var item = (ev.client_id && findItem(tl, function (x) { return x.client_id === ev.client_id; })) ||
      findItem(tl, function (x) { return x.conv === conv && x.seq === seq; }) ||
      { key: conv + ':' + seq };
    item.conv = conv;
    item.seq = seq;
    item.kind = ev.kind || 'message';
    item.sender = ev.sender || 'system';
    item.sender_name = ev.sender_name || '';
    item.body = ev.body || {};
    item.at = ev.at || item.at || null;
    if (ev.client_id) item.client_id = ev.client_id;
    if (item.sender === 'visitor') item.status = ownStatus(tl, item);
    place(tl, item);
    return item;
  }

  /** A local (not yet stored) message of the visitor. */
  function addLocal(tl, entry) {
    var item = findItem(tl, function (x) { return x.client_id === entry.client_id; });
    if (item) return item;
    item = {
      key: 'c:' + entry.client_id, client_id: entry.client_id, conv: null, seq: null, kind: 'message',
      sender: 'visitor', sender_name: '', body: entry.body, at: entry.at || Date.now(), status: 'pending'
    };
    tl.items.push(item);
    return item;
  }

  /** Apply an `ack` frame: the local message gets its seq and a tick. Does not move the
   *  exactly-once filter (earlier events may still be on their way). */
  function applyAck(tl, ack) {
    if (!ack || !ack.client_id) return null;
    var item = findItem(tl, function (x) { return x.client_id === ack.client_id; });
    if (!item) return null;
    if (item.seq == null && ack.conversation_id != null && +ack.seq > 0) {
      item.conv = String(ack.conversation_id);
      item.seq = +ack.seq;
      if (tl.current !== item.conv) { tl.current = item.conv; tl.cstate = 'open'; }
    }
    item.status = item.seq == null ? 'sent' : ownStatus(tl, item);
    place(tl, item);
    return item;
  }

  /** Apply a `read` frame (the agent read up to seq in the current conversation). */
  function markRead(tl, seq) {
    var conv = tl.current, changed = false;
    seq = +seq;
    if (conv == null || !(seq > (tl.read[conv] || 0))) return false;
    tl.read[conv] = seq;
    tl.items.forEach(function (x) {
      if (x.sender === 'visitor' && x.conv === conv && x.seq != null && x.seq <= seq && x.status !== 'read') {
        x.status = 'read';
        changed = true;
      }
    });
    return changed;
  }

