// kefu agent workbench (客服工作台). Vanilla JS over the agent socket
// (docs/realtime-protocol.md) and the REST API, with the page's own session.
//
// Shape: one state object `S`, render functions that redraw a region from it,
// and one socket whose frames update the state. Text that came from people
// reaches the DOM only through textContent, never innerHTML.
(() => {
  "use strict";

  const app = document.getElementById("wb-app");
  if (!app) return;
  const $ = (id) => document.getElementById(id);
  const T = JSON.parse(app.dataset.strings || "{}");
  const ME = app.dataset.me || "";

  // ---- Small helpers -------------------------------------------------------

  const t = (key, vars) =>
    Object.keys(vars || {}).reduce((s, k) => s.split("{" + k + "}").join(String(vars[k])), T[key] || key);
  // An element with a class, text (never parsed as HTML) and attributes.
  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  const pad = (n) => (n < 10 ? "0" : "") + n;
  const clock = (ms) => { const d = new Date(ms); return pad(d.getHours()) + ":" + pad(d.getMinutes()); };
  const day = (ms) => { const d = new Date(ms); return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); };
  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600);
    return (h ? h + ":" + pad(Math.floor(s / 60) % 60) : Math.floor(s / 60)) + ":" + pad(s % 60);
  }
  const size = (n) => (n > 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.ceil((n || 0) / 1024) + " KB");
  const uuid = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID()
    : "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12));
  const splitTags = (s) => s.split(/[,，、;；]/).map((x) => x.trim()).filter(Boolean);
  // Only links to this site or to http(s) pages; never javascript: and friends.
  const safeUrl = (u) => (typeof u === "string" && (/^\/(?!\/)/.test(u) || /^https?:\/\//i.test(u)) ? u : null);
  const csrf = () => (document.querySelector('input[name="_csrf"]') || {}).value || "";
  const errText = (e) => (e && (e.message || e.code)) || "?";
  // Small per-browser memory (read marks) and per-tab memory (outbox, current).
  function store(kind, k, v) {
    try {
      if (v === undefined) return JSON.parse(kind.getItem("kefu:wb:" + k) || "null");
      if (v === null) kind.removeItem("kefu:wb:" + k); else kind.setItem("kefu:wb:" + k, JSON.stringify(v));
    } catch (e) { return null; }
  }

  // JSON over fetch. Writes carry the session's CSRF token; failures become
  // Errors with the server's message.
  async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(path, opts);
    if (r.status === 401) { location.href = "/login?next=/workbench"; throw new Error("unauthenticated"); }
    const txt = await r.text();
    let data = null;
    try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
    if (!r.ok) throw new Error((data && data.message) || r.status + " " + r.statusText);
    return data;
  }

  let toastTimer;
  function toast(text, isError) {
    const box = $("wb-toast");
    box.textContent = text;
    box.className = "wb-toast" + (isError ? " wb-toast-error" : "");
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, isError ? 6000 : 3000);
  }
  const failed = (e) => toast(t("error", { msg: errText(e) }), true);

  // ---- State ---------------------------------------------------------------

  const S = {
    connected: false,
    convs: new Map(), // id -> conversation, see upsert()
    current: store(sessionStorage, "current"),
    // Messages typed but not yet acknowledged; re-sent after a reconnect (the
    // server deduplicates by client_id). Kept per tab across reloads.
    outbox: store(sessionStorage, "outbox") || [],
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

  // ---- Rendering: the conversation list ------------------------------------

  const convList = () => Array.from(S.convs.values()).sort((a, b) => lastActivity(b) - lastActivity(a));
  const baseTitle = document.title;
  function renderList() {
    const ul = $("wb-conversations"), list = convList();
    let total = 0;
    ul.textContent = "";
    for (const c of list) {
      const n = unread(c);
      total += n;
      const li = el("li", "wb-item" + (c === cur() ? " wb-current" : "") + (c.isNew ? " wb-new" : "") + (c.ended ? " wb-ended" : ""),
        null, { "data-conversation": c.id, tabindex: "0", role: "button" });
      const top = li.appendChild(el("div", "wb-item-top"));
      top.appendChild(el("span", "wb-name", c.visitor_name || T.visitor));
      if (c.isNew) top.appendChild(el("span", "badge badge-warn", T.new));
      top.appendChild(el("span", "wb-unread", String(n), { title: t("unread", { n }) })).hidden = n === 0;
      li.appendChild(el("div", "wb-preview", lastMessage(c)));
      const meta = li.appendChild(el("div", "wb-item-meta"));
      const since = c.ended ? null : waitingSince(c);
      if (since) meta.appendChild(el("span", "wb-wait")).dataset.since = since;
      if (c.ended) {
        meta.appendChild(el("span", "badge badge-muted", T.ended));
        meta.appendChild(el("button", "btn btn-small wb-dismiss", "×", { type: "button", title: T.dismiss, "data-dismiss": c.id }));
      }
      ul.appendChild(li);
    }
    $("wb-conversations-empty").hidden = list.length > 0;
    const open = list.filter((c) => !c.ended).length;
    $("wb-conversations-count").textContent = open ? String(open) : "";
    document.title = (total ? "(" + total + ") " : "") + baseTitle;
    tick();
  }

  // Every second: waiting times and the typing indicator move on their own.
  function tick() {
    const now = Date.now();
    document.querySelectorAll("#wb-conversations .wb-wait").forEach((w) => {
      const ms = now - Number(w.dataset.since);
      w.textContent = t("waiting", { t: duration(ms) });
      w.classList.toggle("wb-wait-long", ms > 60000);
    });
    const c = cur();
    $("wb-typing").hidden = !(c && c.typingUntil > Date.now());
  }

  // ---- Rendering: the chat -------------------------------------------------

  function select(id) {
    S.current = id;
    store(sessionStorage, "current", id);
    const c = cur();
    if (c) c.isNew = false;
    $("wb-why").open = false; // "why me" starts collapsed: background, not the work
    hideQuick();
    renderAll();
    loadCustomer(c);
    markRead(c);
    refreshAssist();
    if (isOpen(c)) input.focus();
  }
  function renderAll() { renderList(); renderChat(); }
  function renderActions() {
    const c = cur(), open = isOpen(c);
    for (const id of ["wb-transfer", "wb-invite-rating", "wb-end", "wb-send", "wb-attach", "wb-input"]) $(id).disabled = !open;
    $("wb-chat-title").textContent = c ? c.visitor_name || T.visitor : T.title;
    $("wb-chat-state").hidden = !c;
    if (c) $("wb-chat-state").textContent = t("state_" + c.state);
  }
  function renderChat() {
    renderActions();
    $("wb-placeholder").hidden = !!cur();
    renderMessages();
    renderPending();
    renderWhy();
  }
  function renderMessages() {
    const ol = $("wb-messages"), c = cur();
    ol.textContent = "";
    if (c) sortedEvents(c).forEach((e) => ol.appendChild(messageEl(c, e)));
    scrollDown();
  }
  function appendMessage(c, e) {
    const s = $("wb-scroll"), near = s.scrollHeight - s.scrollTop - s.clientHeight < 80;
    $("wb-messages").appendChild(messageEl(c, e));
    // Follow the conversation unless the agent scrolled up to read history.
    if (near || e.sender === "agent") scrollDown();
  }
  const scrollDown = () => { $("wb-scroll").scrollTop = $("wb-scroll").scrollHeight; };
  function messageEl(c, e) {
    const li = el("li", "wb-msg wb-from-" + e.sender + (e.private ? " wb-note" : ""));
    li.dataset.seq = e.seq;
    if (e.kind === "system") { li.appendChild(el("div", "wb-sys", bodyText(e) + " · " + clock(e.at))); return li; }
    const meta = li.appendChild(el("div", "wb-meta", (e.sender_name || T["sender_" + e.sender] || e.sender) + " · " + clock(e.at)));
    if (e.private) meta.appendChild(el("span", "wb-note-label", T.note_label));
    if (e.sender === "bot") meta.appendChild(el("span", "wb-bot-label", T.bot_label));
    if (e.sender === "agent" && !e.private && e.seq <= c.visitorReadSeq) meta.appendChild(el("span", "wb-readmark", T.read));
    li.appendChild(bubble(e.body || {}));
    return li;
  }
  const link = (text, url, cls) => el("a", cls, text, { href: url, target: "_blank", rel: "noopener" });
  function bubble(b) {
    const d = el("div", "wb-bubble"), url = safeUrl(b.url);
    if (b.kind === "image" && url && url[0] === "/") { // the CSP allows same-site images only
      d.classList.add("wb-bubble-media");
      d.appendChild(link(null, url)).appendChild(el("img", "wb-img", null, { src: url, alt: b.name || T.image }));
    } else if ((b.kind === "image" || b.kind === "file") && url) {
      d.appendChild(link((b.name || T.file) + (b.size ? " (" + size(b.size) + ")" : ""), url, "wb-file")).download = b.name || "";
    } else if (b.kind === "card") {
      d.appendChild(el("strong", null, b.title || ""));
      if (b.description) d.appendChild(el("p", null, b.description));
      if (url) d.appendChild(link(url, url));
    } else if (b.kind === "buttons") {
      d.appendChild(el("div", null, b.text || ""));
      const row = d.appendChild(el("div", "wb-buttons"));
      (b.buttons || []).forEach((x) => row.appendChild(el("span", "chip", x.label || x.value || "")));
    } else {
      d.textContent = bodyText({ kind: "message", body: b });
    }
    return d;
  }
  // Messages still in the outbox, under the stored ones, marked as sending.
  function renderPending() {
    const ol = $("wb-pending"), c = cur();
    ol.textContent = "";
    for (const m of S.outbox.filter((x) => c && x.conversation_id === c.id)) {
      const li = el("li", "wb-msg wb-from-agent wb-pending" + (m.private ? " wb-note" : "") + (m.error ? " wb-failed" : ""));
      const meta = li.appendChild(el("div", "wb-meta", m.error ? t("failed", { msg: m.error }) : T.sending));
      if (m.error) meta.appendChild(el("button", "btn btn-small", "×", { type: "button", title: T.dismiss, "data-drop-client": m.client_id }));
      li.appendChild(bubble(m.body));
      ol.appendChild(li);
    }
  }
  // "Why me": the routing explanation that came with the assignment.
  function renderWhy() {
    const c = cur(), x = c && c.explanation, body = $("wb-why-body");
    $("wb-why").hidden = !x;
    body.textContent = "";
    if (!x) return;
    // The server's one-line summary names agents by internal number, so the
    // candidates are listed instead, by name.
    if (x.strategy) body.appendChild(el("p", "hint", T.why_strategy + ": " + x.strategy));
    const ul = body.appendChild(el("ul", "wb-why-list"));
    for (const k of x.candidates || []) {
      const who = k.agent === ME ? app.dataset.myName : names.get(k.agent) || k.agent;
      ul.appendChild(el("li", k.eligible ? "" : "muted", who + " — " + (k.eligible ? T.why_eligible + " " + ((k.score && k.score.text) || "") : k.excluded && k.excluded.reason === "not_receiving" ? T.not_receiving : (k.excluded && k.excluded.text) || "")));
    }
  }
  // Candidates are user ids; their names come from the transfer targets.
  const names = new Map();
  $("wb-why").addEventListener("toggle", async () => {
    if (!$("wb-why").open || names.size) return;
    try { ((await api("GET", "/api/v1/transfer-targets")).agents || []).forEach((a) => names.set(a.id, a.name)); } catch (e) { return; }
    renderWhy();
  });

  // ---- Customer side panel (弹屏) -----------------------------------------

  let customerReq = 0, customerId = null;
  async function loadCustomer(c) {
    const n = ++customerReq;
    customerId = c ? c.customer_id : null;
    // workbench_tickets.js lists this customer's tickets.
    app.dispatchEvent(new CustomEvent("kefu:customer", { detail: { customer_id: customerId, conversation_id: c ? c.id : null } }));
    $("wb-customer-form").hidden = $("wb-history-section").hidden = true;
    $("wb-customer-empty").textContent = T.customer_none;
    $("wb-customer-empty").hidden = false;
    if (!customerId) return;
    try {
      const d = await api("GET", "/api/v1/customers/" + encodeURIComponent(customerId));
      if (n !== customerReq) return; // the agent has moved on
      fillCustomer(d.customer || {});
      renderHistory(d.conversations || [], c.id);
    } catch (e) {
      if (n === customerReq) $("wb-customer-empty").textContent = T.customer_unavailable;
    }
  }
  const CUSTOMER_FIELDS = ["name", "phone", "email", "notes"];
  function fillCustomer(cu) {
    for (const k of CUSTOMER_FIELDS) $("wb-cust-" + k).value = cu[k] || "";
    $("wb-cust-tags").value = (cu.tags || []).join(", ");
    $("wb-cust-error").textContent = "";
    $("wb-customer-empty").hidden = true;
    $("wb-customer-form").hidden = false;
  }
  function renderHistory(list, currentId) {
    const ol = $("wb-history");
    ol.textContent = "";
    for (const k of list) {
      const li = ol.appendChild(el("li", k.id === currentId ? "wb-history-current" : ""));
      const head = li.appendChild(el("div", "wb-history-head", day(k.created_at) + " · " + t("state_" + k.state) + " "));
      if (k.id === currentId) head.appendChild(el("span", "badge badge-ok", T.current));
      if (k.summary) li.appendChild(el("p", null, k.summary));
      if ((k.tags || []).length) li.appendChild(el("div", "hint", k.tags.join(", ")));
    }
    if (!list.length) ol.appendChild(el("li", "muted", T.history_none));
    $("wb-history-section").hidden = false;
  }
  $("wb-customer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!customerId) return;
    const id = customerId, patch = { tags: splitTags($("wb-cust-tags").value) };
    for (const k of CUSTOMER_FIELDS) patch[k] = $("wb-cust-" + k).value;
    try {
      const cu = (await api("PATCH", "/api/v1/customers/" + encodeURIComponent(id), patch)) || patch;
      if (id === customerId) fillCustomer(cu);
      // The list shows the customer's name: keep it in step.
      S.convs.forEach((c) => { if (c.customer_id === id && cu.name) c.visitor_name = cu.name; });
      renderList();
      renderActions();
      toast(T.customer_saved);
    } catch (e) { $("wb-cust-error").textContent = errText(e); }
  });

  // ---- Agent assist: the knowledge base's best answers for the visitor's last message

  const assist = { seq: 0, timer: 0, items: [] };
  function refreshAssist() {
    clearTimeout(assist.timer);
    assist.timer = setTimeout(loadAssist, 200);
  }
  async function loadAssist() {
    const c = cur(), n = ++assist.seq;
    if (!c || !isOpen(c) || c.state !== "active") { renderAssist(null); return; }
    try {
      const r = await api("GET", `/api/v1/conversations/${encodeURIComponent(c.id)}/assist`);
      if (n === assist.seq && cur() === c) renderAssist(r);
    } catch (e) { if (n === assist.seq) renderAssist(null); }
  }
  function renderAssist(r) {
    const ul = $("wb-assist-list");
    ul.textContent = "";
    assist.items = (r && r.suggestions) || [];
    $("wb-assist").hidden = !assist.items.length;
    assist.items.forEach((s, i) => {
      const text = (s.answer && s.answer.text) || "";
      const li = ul.appendChild(el("li", "wb-assist-item", null, { "data-index": i }));
      const words = li.appendChild(el("div", "wb-assist-words"));
      words.appendChild(el("strong", null, s.question));
      words.appendChild(el("span", "wb-assist-text", text));
      const send = li.appendChild(el("button", "btn btn-small btn-primary wb-assist-send", T.assist_send, { type: "button" }));
      const edit = li.appendChild(el("button", "btn btn-small wb-assist-edit", T.assist_edit, { type: "button" }));
      send.addEventListener("click", () => { if (text) enqueue({ kind: "text", text }); });
      edit.addEventListener("click", () => { input.value = text; input.focus(); });
    });
  }

  // ---- Composer ------------------------------------------------------------

  const input = $("wb-input");
  let lastTyping = 0;
  function submitComposer() {
    const text = input.value.trim();
    if (!text || !isOpen(cur())) return;
    enqueue({ kind: "text", text });
    input.value = "";
    hideQuick();
  }
  input.addEventListener("keydown", (ev) => {
    if (ev.isComposing || ev.keyCode === 229) return; // an IME (拼音) is still composing
    if (!$("wb-quick").hidden && quickKey(ev)) return;
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); submitComposer(); }
  });
  input.addEventListener("input", () => {
    quickSearch();
    const c = cur();
    // Typing reaches the visitor, so never for internal notes; at most every 3 s.
    if (isOpen(c) && !$("wb-note-toggle").checked && input.value && Date.now() - lastTyping > 3000) {
      lastTyping = Date.now();
      send({ type: "typing", conversation_id: c.id });
    }
  });
  $("wb-send").addEventListener("click", submitComposer);
  $("wb-note-toggle").addEventListener("change", (ev) => {
    $("wb-composer").classList.toggle("wb-composer-note", ev.target.checked);
    input.placeholder = ev.target.checked ? T.note_placeholder : T.input_placeholder;
    input.focus();
  });

  // Quick replies: "/" at the very start of the composer searches them.
  const quick = { timer: null, items: [], index: 0, seq: 0 };
  function quickSearch() {
    if (input.value[0] !== "/") return hideQuick();
    const q = input.value.slice(1).split("\n")[0], n = ++quick.seq;
    clearTimeout(quick.timer);
    quick.timer = setTimeout(async () => {
      try {
        const list = await api("GET", "/api/v1/quick-replies?q=" + encodeURIComponent(q));
        if (n !== quick.seq || input.value[0] !== "/") return; // a newer search, or no longer searching
        quick.items = (list || []).slice(0, 8);
        quick.index = 0;
        renderQuick();
      } catch (e) { hideQuick(); }
    }, 150);
  }
  function renderQuick() {
    const ul = $("wb-quick");
    ul.textContent = "";
    quick.items.forEach((r, i) => {
      const li = ul.appendChild(el("li", "wb-quick-item", null, { role: "option", "aria-selected": i === quick.index, "data-index": i }));
      li.appendChild(el("strong", null, r.title));
      li.appendChild(el("span", "wb-quick-text", r.text));
    });
    if (!quick.items.length) ul.appendChild(el("li", "muted", T.quick_none));
    ul.hidden = false;
  }
  function hideQuick() { $("wb-quick").hidden = true; quick.items = []; quick.seq++; }
  function chooseQuick(i) {
    const r = quick.items[i], nl = input.value.indexOf("\n");
    if (!r) return;
    input.value = r.text + (nl >= 0 ? input.value.slice(nl) : "");
    hideQuick();
    input.focus();
  }
  function quickKey(ev) {
    const n = quick.items.length;
    if (ev.key === "Escape") hideQuick();
    else if (n && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) {
      quick.index = (quick.index + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
      renderQuick();
    } else if (n && (ev.key === "Enter" || ev.key === "Tab")) chooseQuick(quick.index);
    else return false;
    ev.preventDefault();
    return true;
  }
  $("wb-quick").addEventListener("mousedown", (ev) => {
    const li = ev.target.closest("[data-index]");
    if (li) { ev.preventDefault(); chooseQuick(Number(li.dataset.index)); }
  });

  // Attachments: upload first, then send a message pointing at the upload.
  $("wb-attach").addEventListener("click", () => $("wb-file").click());
  $("wb-file").addEventListener("change", async (ev) => {
    const file = ev.target.files && ev.target.files[0];
    ev.target.value = "";
    if (!file) return;
    const fd = new FormData();
    fd.append("file", file);
    try {
      const a = await api("POST", "/api/v1/attachments", fd);
      const kind = /^image\//.test(a.content_type || "") ? "image" : "file";
      enqueue({ kind, attachment_id: a.id, name: a.name, size: a.size, url: a.url });
    } catch (e) { toast(t("upload_failed", { msg: errText(e) }), true); }
  });

  // ---- Dialogs: transfer and end -------------------------------------------

  const dialogError = (id, err) => { $(id).textContent = err ? errText(err) : ""; };
  function fillSelect(sel, items) {
    while (sel.options.length > 1) sel.remove(1);
    for (const o of items) sel.appendChild(el("option", null, o.label, { value: o.value })).disabled = !!o.disabled;
  }
  $("wb-transfer").addEventListener("click", async () => {
    dialogError("wb-transfer-error");
    $("wb-transfer-note").value = "";
    $("wb-transfer-dialog").showModal();
    try {
      const d = await api("GET", "/api/v1/transfer-targets");
      fillSelect($("wb-transfer-group"), (d.groups || []).map((g) => ({ value: g.id, label: g.name })));
      // A colleague who is not receiving or is full would refuse: shown, not choosable.
      fillSelect($("wb-transfer-agent"), (d.agents || []).filter((a) => a.id !== ME).map((a) => ({
        value: a.id, disabled: !a.receiving || (a.limit != null && a.load >= a.limit),
        label: a.name + " (" + a.load + "/" + a.limit + ")" + (a.receiving ? "" : " · " + T.not_receiving),
      })));
    } catch (e) { dialogError("wb-transfer-error", e); }
  });
  // A group or an agent, never both.
  $("wb-transfer-group").addEventListener("change", (ev) => { if (ev.target.value) $("wb-transfer-agent").value = ""; });
  $("wb-transfer-agent").addEventListener("change", (ev) => { if (ev.target.value) $("wb-transfer-group").value = ""; });
  $("wb-transfer-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const c = cur(), g = $("wb-transfer-group").value, a = $("wb-transfer-agent").value;
    if (!c) return;
    if (!g === !a) return dialogError("wb-transfer-error", { message: T.transfer_pick_one });
    const frame = { type: "transfer", conversation_id: c.id, note: $("wb-transfer-note").value };
    if (a) frame.to_agent_id = a; else frame.to_group_id = g;
    send(frame, (err) => {
      if (err) return dialogError("wb-transfer-error", err);
      $("wb-transfer-dialog").close();
      toast(T.done_transfer);
    });
  });

  $("wb-end").addEventListener("click", () => {
    dialogError("wb-end-error");
    $("wb-end-resolved").checked = true;
    $("wb-end-summary").value = $("wb-end-tags").value = "";
    $("wb-end-dialog").showModal();
  });
  $("wb-end-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const c = cur();
    if (!c) return;
    send({ type: "close", conversation_id: c.id, resolved: $("wb-end-resolved").checked,
      summary: $("wb-end-summary").value, tags: splitTags($("wb-end-tags").value) }, (err) => {
      if (err) return dialogError("wb-end-error", err);
      $("wb-end-dialog").close();
      toast(T.done_close);
    });
  });

  $("wb-invite-rating").addEventListener("click", () => {
    const c = cur();
    if (c) send({ type: "invite_rating", conversation_id: c.id }, (err) => (err ? failed(err) : toast(T.done_invite)));
  });

  document.querySelectorAll(".wb-dialog [data-close]").forEach((b) => b.addEventListener("click", () => b.closest("dialog").close()));

  // ---- Left column: clicks, tabs, offline messages (留言) ------------------

  $("wb-conversations").addEventListener("click", (ev) => {
    const x = ev.target.closest("[data-dismiss]"), li = ev.target.closest("[data-conversation]");
    if (x) { removeConv(x.dataset.dismiss); renderAll(); } else if (li) select(li.dataset.conversation);
  });
  $("wb-conversations").addEventListener("keydown", (ev) => {
    const li = ev.target.closest("[data-conversation]");
    if (li && ev.target === li && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); select(li.dataset.conversation); }
  });
  $("wb-pending").addEventListener("click", (ev) => {
    const x = ev.target.closest("[data-drop-client]");
    if (x) dropOutbox(x.dataset.dropClient);
  });

  function showTab(offline) {
    $("wb-conversations-tab").setAttribute("aria-selected", String(!offline));
    $("wb-offline-tab").setAttribute("aria-selected", String(offline));
    $("wb-conversations-pane").hidden = offline;
    $("wb-offline-pane").hidden = !offline;
    if (offline) loadOffline();
  }
  $("wb-conversations-tab").addEventListener("click", () => showTab(false));
  $("wb-offline-tab").addEventListener("click", () => showTab(true));

  async function loadOffline() {
    let list;
    try { list = (await api("GET", "/api/v1/offline-messages?unhandled=true")) || []; } catch (e) { return failed(e); }
    const ul = $("wb-offline-list");
    ul.textContent = "";
    for (const m of list) {
      const li = ul.appendChild(el("li", "wb-item wb-offline", null, { "data-offline": m.id }));
      const top = li.appendChild(el("div", "wb-item-top"));
      top.appendChild(el("span", "wb-name", m.name || T.visitor));
      top.appendChild(el("span", "hint", day(m.created_at) + " " + clock(m.created_at)));
      const contact = [m.phone, m.email].filter(Boolean).join(" · ");
      if (contact) li.appendChild(el("div", "hint", contact));
      li.appendChild(el("p", "wb-offline-text", m.text));
      li.appendChild(el("button", "btn btn-small", T.mark_handled, { type: "button", "data-handled": m.id }));
    }
    $("wb-offline-empty").hidden = list.length > 0;
    $("wb-offline-count").textContent = list.length ? String(list.length) : "";
  }
  $("wb-offline-list").addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-handled]");
    if (!b) return;
    b.disabled = true;
    try {
      await api("POST", "/api/v1/offline-messages/" + encodeURIComponent(b.dataset.handled) + "/handled");
      loadOffline();
    } catch (e) { b.disabled = false; failed(e); }
  });

  // ---- Header: reception status, notifications, new-work alert -------------

  const statusSel = $("wb-status");
  function showStatus(id) {
    if (!id) return;
    const unset = statusSel.querySelector('option[value=""]');
    if (unset) unset.remove();
    statusSel.value = statusSel.dataset.current = id;
  }
  // The options come with the page; refreshed here with the current status
  // (a team lead may have forced it while we were away).
  async function refreshMyStatus() {
    try {
      const list = (await api("GET", "/api/v1/reception-statuses")) || [];
      const keep = statusSel.value;
      Array.from(statusSel.options).forEach((o) => { if (o.value) o.remove(); });
      list.forEach((s) => statusSel.appendChild(el("option", null, s.name, { value: s.id })));
      statusSel.value = keep;
      const me = await api("GET", "/api/v1/me");
      showStatus(me && me.user && me.user.status_id);
    } catch (e) { /* the server-rendered options stay */ }
  }
  statusSel.addEventListener("change", () => {
    const id = statusSel.value, prev = statusSel.dataset.current || "";
    const done = (err) => {
      if (err) { statusSel.value = prev; failed(err); } else { showStatus(id); toast(T.done_status); }
    };
    // Over the socket it takes effect in routing at once; REST when offline.
    if (S.connected) send({ type: "status", status_id: id }, done);
    else api("PUT", "/api/v1/users/" + encodeURIComponent(ME) + "/status", { status_id: id }).then(() => done(), done);
  });

  const notifyBtn = $("wb-notify");
  const notifyButton = () => { notifyBtn.hidden = !("Notification" in window) || Notification.permission !== "default"; };
  // Asked only when the agent clicks, never on load.
  notifyBtn.addEventListener("click", () => Notification.requestPermission().then(notifyButton, notifyButton));

  // The AudioContext is made on the first click or key so the browser's
  // autoplay rules let it sound later, when work arrives without a gesture.
  let audio = null;
  function unlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    if (audio && audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);
  function beep() {
    try {
      unlockAudio();
      [660, 880].forEach((hz, i) => { // two short rising tones
        const at = audio.currentTime + i * 0.18, o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = hz;
        g.gain.setValueAtTime(0.0001, at);
        g.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
        o.connect(g);
        g.connect(audio.destination);
        o.start(at);
        o.stop(at + 0.17);
      });
    } catch (e) { /* no sound is better than a broken page */ }
  }
  function alertNewWork(c) {
    beep();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return; // they can see it
    const n = new Notification(t("new_work", { name: c.visitor_name || T.visitor }), { body: T.new_work_body, tag: c.id });
    n.onclick = () => { window.focus(); select(c.id); n.close(); };
  }

  document.addEventListener("visibilitychange", () => markRead(cur()));

  // ---- Test hook and start -------------------------------------------------

  window.__kefuWorkbench = {
    state() {
      const c = cur();
      return {
        connected: S.connected,
        conversations: convList().map((k) => ({ id: k.id, unread: unread(k), state: k.state })),
        current: S.current,
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
