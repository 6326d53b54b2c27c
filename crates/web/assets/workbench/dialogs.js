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

