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

