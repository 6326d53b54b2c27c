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

  // Tabs: "conversations", "pickup" (抢单) or "offline" (留言).
  function showTab(name) {
    for (const k of ["conversations", "pickup", "offline"]) {
      $("wb-" + k + "-tab").setAttribute("aria-selected", String(k === name));
      $("wb-" + k + "-pane").hidden = k !== name;
    }
    if (name === "offline") loadOffline();
  }
  for (const k of ["conversations", "pickup", "offline"]) $("wb-" + k + "-tab").addEventListener("click", () => showTab(k));

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

