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

