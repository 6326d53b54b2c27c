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

