// kefu live monitor (监控) for team leads. Draws GET /api/v1/monitor; redraws
// whenever the agent socket says something changed (`monitor_changed` after
// `subscribe_monitor`), and every 10 s in case the socket is down or a change
// went unannounced. Text from people reaches the DOM only via textContent.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const root = $("mon-totals");
  if (!root) return;
  const T = JSON.parse(root.dataset.strings || "{}");
  const CAN_FORCE = root.dataset.force === "true";

  const t = (key, vars) =>
    Object.keys(vars || {}).reduce((s, k) => s.split("{" + k + "}").join(String(vars[k])), T[key] || key);
  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  const pad = (n) => (n < 10 ? "0" : "") + n;
  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600);
    return (h ? h + ":" + pad(Math.floor(s / 60) % 60) : Math.floor(s / 60)) + ":" + pad(s % 60);
  }
  const csrf = () => (document.querySelector('input[name="_csrf"]') || {}).value || "";

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") { headers["X-CSRF-Token"] = csrf(); headers["Content-Type"] = "application/json"; }
    const r = await fetch(path, { method, headers, credentials: "same-origin", body: body && JSON.stringify(body) });
    if (r.status === 401) { location.href = "/login?next=/monitor"; throw new Error("unauthenticated"); }
    const data = await r.json().catch(() => null);
    if (!r.ok) throw new Error((data && data.message) || r.status + " " + r.statusText);
    return data;
  }
  function banner(id, text) {
    $(id).textContent = text || "";
    $(id).hidden = !text;
  }

  // ---- Drawing ---------------------------------------------------------------

  let statuses = []; // for the "force status" selects
  let last = null; // the snapshot on screen
  let held = null; // a snapshot that arrived while a select was open

  function draw(snap) {
    // Redrawing would close a select the lead is using; wait for them.
    if (document.activeElement && document.activeElement.closest("#mon-groups select")) { held = snap; return; }
    held = null;
    last = snap;
    const groups = snap.groups || [];
    const receiving = new Set();
    let queued = 0;
    const box = $("mon-groups");
    box.textContent = "";
    for (const g of groups) {
      queued += g.queue_length || 0;
      (g.agents || []).forEach((a) => { if (a.can_receive) receiving.add(a.id); });
      box.appendChild(groupCard(g, snap.fetchedAt));
    }
    $("mon-open").textContent = snap.open_conversations != null ? snap.open_conversations : "—";
    $("mon-queued").textContent = queued;
    $("mon-receiving").textContent = receiving.size;
    $("mon-no-groups").hidden = groups.length > 0;
    const now = new Date(snap.fetchedAt);
    $("mon-updated").dateTime = now.toISOString();
    $("mon-updated").textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    tick();
  }

  function groupCard(g, fetchedAt) {
    const group = g.group || {};
    const card = el("section", "card mon-group", null, { "data-group": group.id });
    // Something queued with nobody able to take it is the alarm.
    const anyone = (g.agents || []).some((a) => a.can_receive && a.load < a.limit);
    if (g.queue_length) card.classList.add(anyone ? "mon-busy" : "mon-alarm");
    card.appendChild(el("h2", null, group.name || ""));
    const figures = card.appendChild(el("div", "mon-figures"));
    const q = figures.appendChild(el("div", "stat"));
    q.appendChild(el("span", "stat-value mon-queue-length", String(g.queue_length || 0)));
    q.appendChild(el("span", "stat-label", T.queue_length));
    const w = figures.appendChild(el("div", "stat"));
    const wait = w.appendChild(el("span", "stat-value mon-longest-wait", "—"));
    // The server measured the wait at its own clock; count on from when we fetched.
    if (g.longest_wait_ms != null) wait.dataset.since = fetchedAt - g.longest_wait_ms;
    w.appendChild(el("span", "stat-label", T.longest_wait));

    const agents = g.agents || [];
    if (!agents.length) { card.appendChild(el("p", "muted", T.no_agents)); return card; }
    const table = card.appendChild(el("table", "mon-agents"));
    const head = table.appendChild(el("thead")).appendChild(el("tr"));
    [T.agent, T.status, T.load].concat(CAN_FORCE ? [T.force_status] : []).forEach((h) => head.appendChild(el("th", null, h)));
    const body = table.appendChild(el("tbody"));
    for (const a of agents) {
      const tr = body.appendChild(el("tr", null, null, { "data-agent": a.id }));
      tr.appendChild(el("td", null, a.name));
      const st = tr.appendChild(el("td"));
      st.appendChild(el("span", "dot " + (a.can_receive ? "dot-ok" : "dot-off"), null, { "aria-hidden": "true" }));
      st.appendChild(document.createTextNode(" " + (a.status || T.status_unset)));
      const load = tr.appendChild(el("td", "nowrap"));
      // Green up to half the limit, then amber; a full agent's bar turns red.
      const max = Math.max(1, a.limit || 0);
      const m = load.appendChild(el("meter", null, null, { min: 0, max, value: a.load || 0, low: max / 2, high: max - 0.5, optimum: 0 }));
      m.title = a.load + "/" + a.limit;
      load.appendChild(document.createTextNode(a.load + "/" + a.limit));
      if (CAN_FORCE) tr.appendChild(el("td")).appendChild(statusSelect(a));
    }
    return card;
  }

  // The snapshot names the agent's status but not its id, so the current
  // option is found by name.
  function statusSelect(a) {
    const sel = el("select", "mon-force", null, { "data-user": a.id, "data-name": a.name, "aria-label": T.force_status + ": " + a.name });
    const current = statuses.find((s) => s.name === a.status);
    if (!current) sel.appendChild(el("option", null, T.status_unset, { value: "" })).disabled = true;
    for (const s of statuses) sel.appendChild(el("option", null, s.name, { value: s.id }));
    sel.value = current ? current.id : "";
    sel.dataset.current = sel.value;
    return sel;
  }

  // Every second the longest waits move on by themselves.
  function tick() {
    const now = Date.now();
    document.querySelectorAll("#mon-groups .mon-longest-wait[data-since]").forEach((w) => {
      w.textContent = duration(now - Number(w.dataset.since));
    });
  }

  // ---- Refreshing ----------------------------------------------------------

  let inflight = false, again = false;
  async function refresh() {
    // One request at a time; a burst of changes becomes one more request.
    if (inflight) { again = true; return; }
    inflight = true;
    try {
      if (!statuses.length) statuses = (await api("GET", "/api/v1/reception-statuses")) || [];
      const snap = await api("GET", "/api/v1/monitor");
      snap.fetchedAt = Date.now();
      banner("mon-error", "");
      draw(snap);
    } catch (e) {
      banner("mon-error", t("error", { msg: e.message }));
    } finally {
      inflight = false;
      if (again) { again = false; refresh(); }
    }
  }

  $("mon-groups").addEventListener("change", async (ev) => {
    const sel = ev.target.closest("select.mon-force");
    if (!sel || !sel.value) return;
    try {
      await api("PUT", "/api/v1/users/" + encodeURIComponent(sel.dataset.user) + "/status", { status_id: sel.value });
      banner("mon-notice", t("status_changed", { name: sel.dataset.name }));
      setTimeout(() => banner("mon-notice", ""), 4000);
    } catch (e) {
      sel.value = sel.dataset.current;
      banner("mon-error", t("error", { msg: e.message }));
    }
    sel.blur();
    refresh();
  });
  // A snapshot held back while a select was open is drawn once it closes.
  $("mon-groups").addEventListener("focusout", () => setTimeout(() => { if (held) draw(held); }, 0));

  // ---- The socket: a nudge on every change ---------------------------------

  let backoff = 1000;
  function live(on) {
    $("mon-connection").dataset.state = on ? "online" : "offline";
    $("mon-connection").textContent = on ? T.live : T.polling;
  }
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/agent/ws");
    ws.onmessage = (m) => {
      let f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.type === "welcome") {
        backoff = 1000;
        ws.send(JSON.stringify({ type: "subscribe_monitor" }));
      } else if (f.type === "done" && f.request === "subscribe_monitor") {
        live(true);
        refresh(); // anything that changed while we were not listening
      } else if (f.type === "monitor_changed" || f.type === "offline_message") {
        refresh();
      } else if (f.type === "error") {
        live(false); // e.g. a server without subscribe_monitor: polling still works
      }
    };
    ws.onclose = () => {
      live(false);
      setTimeout(connect, backoff * (0.75 + Math.random() / 2));
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  window.__kefuMonitor = { snapshot: () => last, refresh };
  refresh();
  setInterval(refresh, 10000);
  setInterval(tick, 1000);
  connect();
})();
