  // ---- Pick up (抢单): conversations waiting in my broadcast skill groups ----
  //
  // The server pushes the whole list (`pickups`) whenever it changes for me,
  // with a version: a list older than the one shown is dropped. One click
  // claims a conversation; the first claim wins and arrives as `assigned`,
  // a late one is refused (409 `already_taken`) and the list moves on.

  function onPickups(f, fresh) {
    if (!fresh && (f.version || 0) < S.pickupVersion) return;
    S.pickupVersion = f.version || 0;
    const before = new Set(S.pickups.map((p) => p.id));
    S.pickups = f.conversations || [];
    if (!fresh && S.pickups.some((p) => !before.has(p.id))) beep(); // something new to pick up
    renderPickups();
  }

  function renderPickups() {
    const ul = $("wb-pickup-list");
    ul.textContent = "";
    for (const p of S.pickups) {
      const li = ul.appendChild(el("li", "wb-item wb-pickup", null, { "data-pickup-item": p.id }));
      const top = li.appendChild(el("div", "wb-item-top"));
      top.appendChild(el("span", "wb-name", p.visitor_name || T.visitor));
      if (p.skill_group_name) top.appendChild(el("span", "badge badge-muted", p.skill_group_name));
      if (p.preview) li.appendChild(el("div", "wb-preview", p.preview));
      const meta = li.appendChild(el("div", "wb-item-meta"));
      if (p.waiting_since) meta.appendChild(el("span", "wb-wait")).dataset.since = p.waiting_since;
      const b = meta.appendChild(el("button", "btn btn-small btn-primary", T.pickup_take, { type: "button", "data-pickup": p.id }));
      b.disabled = S.claiming.has(p.id);
    }
    $("wb-pickup-empty").hidden = S.pickups.length > 0;
    $("wb-pickup-count").textContent = S.pickups.length ? String(S.pickups.length) : "";
    tick();
  }

  $("wb-pickup-list").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-pickup]");
    if (!b || b.disabled) return;
    const id = b.dataset.pickup;
    S.claiming.add(id);
    b.disabled = true;
    const sent = send({ type: "pickup", conversation_id: id }, (err) => {
      S.claiming.delete(id);
      if (err) {
        // Too late or not allowed: say so; the fresh list follows from the server.
        toast(err.code === "already_taken" ? T.pickup_taken : t("error", { msg: errText(err) }), true);
        S.pickups = S.pickups.filter((p) => p.id !== id || err.code !== "already_taken");
        return renderPickups();
      }
      S.pickups = S.pickups.filter((p) => p.id !== id);
      renderPickups();
      showTab("conversations");
      // Its `assigned` frame usually follows this answer: open it when it comes.
      if (S.convs.has(id)) select(id); else S.openOnAssign = id;
    });
    if (!sent) S.claiming.delete(id);
  });

