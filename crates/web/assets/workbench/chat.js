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

