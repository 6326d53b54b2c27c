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

