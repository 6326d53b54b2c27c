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
    document.querySelectorAll("#wb-conversations .wb-wait, #wb-pickup-list .wb-wait").forEach((w) => {
      const ms = now - Number(w.dataset.since);
      w.textContent = t("waiting", { t: duration(ms) });
      w.classList.toggle("wb-wait-long", ms > 60000);
    });
    const c = cur();
    $("wb-typing").hidden = !(c && c.typingUntil > Date.now());
  }

