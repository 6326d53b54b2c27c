  // ---- State ---------------------------------------------------------------

  const S = {
    connected: false,
    convs: new Map(), // id -> conversation, see upsert()
    current: store(sessionStorage, "current"),
    // Messages typed but not yet acknowledged; re-sent after a reconnect (the
    // server deduplicates by client_id). Kept per tab across reloads.
    outbox: store(sessionStorage, "outbox") || [],
    // 抢单: what I may pick up now (pickup.js), the list's version, claims in flight.
    pickups: [],
    pickupVersion: -1,
    claiming: new Set(),
    openOnAssign: null,
  };
  const cur = () => (S.current && S.convs.get(S.current)) || null;
  const isOpen = (c) => !!c && !c.ended && (c.state === "active" || c.state === "bot");
  const saveOutbox = () => store(sessionStorage, "outbox", S.outbox);

  function upsert(s) {
    let c = S.convs.get(s.id);
    if (!c) {
      c = { id: s.id, events: new Map(), lastSeq: 0, isNew: false, visitorReadSeq: 0, typingUntil: 0,
        readSeq: store(localStorage, "read:" + s.id) || 0, explanation: store(sessionStorage, "why:" + s.id) };
      S.convs.set(c.id, c);
    }
    c.state = s.state || c.state;
    c.visitor_name = s.visitor_name || c.visitor_name || "";
    c.customer_id = s.customer_id || c.customer_id;
    c.created_at = s.created_at || c.created_at || Date.now();
    c.assigned_at = s.assigned_at || c.assigned_at;
    c.ended = c.state === "closed" || c.state === "completed";
    return c;
  }
  function removeConv(id) {
    S.convs.delete(id);
    store(localStorage, "read:" + id, null);
    store(sessionStorage, "why:" + id, null);
    if (S.current === id) select(null);
  }
  const sortedEvents = (c) => Array.from(c.events.values()).sort((a, b) => a.seq - b.seq);
  const unread = (c) => sortedEvents(c).filter((e) => e.seq > c.readSeq && e.sender === "visitor" && e.kind === "message").length;
  // Since the visitor's first message that no agent has answered yet.
  function waitingSince(c) {
    let since = null;
    for (const e of sortedEvents(c)) {
      if (e.kind !== "message") continue;
      if (e.sender === "visitor") { if (since === null) since = e.at; } else if (e.sender === "agent" && !e.private) since = null;
    }
    return since;
  }
  const lastActivity = (c) => sortedEvents(c).reduce((m, e) => Math.max(m, e.at), c.assigned_at || c.created_at || 0);
  function lastMessage(c) {
    const e = sortedEvents(c).filter((x) => x.kind === "message").pop();
    return e ? (e.private ? "[" + T.note_label + "] " : "") + bodyText(e) : "";
  }

  function systemText(b) {
    switch (b.event) {
      case "queued": return b.handoff ? t("sys_handoff", { reason: T["handoff_" + b.handoff.reason] || b.handoff.reason || "" }) : T.sys_queued;
      case "assigned": return t("sys_assigned", { agent: b.agent_name || "" });
      case "transferred": return T.sys_transferred + (b.note ? " · " + t("sys_note", { note: b.note }) : "");
      case "closed": return b.reason === "visitor_left" ? T.sys_visitor_left : T.sys_closed;
      case "completed": return T.sys_completed;
      case "rated": return t("sys_rated", { stars: b.stars || "?" });
      case "rating_invited": return T.sys_rating_invited;
      case "flow_handoff": return t("sys_flow_handoff", {
        slots: Object.entries(b.slots || {}).map(([k, v]) => k + "=" + v).join(", "),
      });
      default: return t("sys_other", { event: b.event || "?" });
    }
  }
  function bodyText(e) {
    const b = e.body || {};
    if (e.kind === "system") return systemText(b);
    switch (b.kind) {
      case "image": return "[" + T.image + "] " + (b.name || "");
      case "file": return "[" + T.file + "] " + (b.name || "");
      case "card": return b.title || "";
      case "button": return b.label || b.value || "";
      default: return b.text || ""; // text, buttons
    }
  }

