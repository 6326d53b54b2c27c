// 未匹配问题: review what the bot could not answer. Groups come from
// GET /api/v1/bot/unmatched; each question can be attached to an item as a similar
// phrasing, made into a new item, or dismissed. Text reaches the DOM through
// textContent only.
(() => {
  "use strict";
  const app = document.getElementById("um-app");
  if (!app) return;
  const T = JSON.parse(app.dataset.strings || "{}");
  const manage = app.dataset.manage === "true";
  const $ = (id) => document.getElementById(id);
  const csrf = () => (document.querySelector('input[name="_csrf"]') || {}).value || "";
  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(path, opts);
    const txt = await r.text();
    let data = null;
    try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
    if (!r.ok) throw new Error((data && data.message) || r.status + " " + r.statusText);
    return data;
  }
  const when = (ms) => new Date(ms).toLocaleString();
  let items = [], categories = [];

  function options(sel, list, label) {
    sel.appendChild(el("option", null, label, { value: "" }));
    list.forEach((x) => sel.appendChild(el("option", null, x.label, { value: x.id })));
  }

  function questionRow(q) {
    const li = el("li", "um-question", null, { "data-id": q.id });
    const head = li.appendChild(el("div", "um-q-head"));
    head.appendChild(el("span", "um-q-text", q.text));
    head.appendChild(el("span", "badge badge-muted", T["reason_" + q.reason] || q.reason));
    head.appendChild(el("small", "muted", when(q.created_at)));
    if (!manage) return li;
    const acts = li.appendChild(el("div", "um-actions row-form"));
    const pick = acts.appendChild(el("select", "um-item", null, { "aria-label": T.attach_to }));
    options(pick, items.map((i) => ({ id: i.id, label: i.question })), T.choose_item);
    const attach = acts.appendChild(el("button", "btn btn-small btn-primary um-attach", T.attach, { type: "button" }));
    const create = acts.appendChild(el("button", "btn btn-small um-create", T.create, { type: "button" }));
    const dismiss = acts.appendChild(el("button", "btn btn-small btn-ghost um-dismiss", T.dismiss, { type: "button" }));
    const err = li.appendChild(el("span", "field-error", "", { role: "alert" }));
    const form = li.appendChild(el("form", "um-create-form stack", null));
    form.hidden = true;
    const cat = form.appendChild(el("select", "um-category", null, { "aria-label": T.category }));
    options(cat, categories.map((c) => ({ id: c.id, label: c.name })), T.choose_category);
    const question = form.appendChild(el("input", "um-new-question", null, { "aria-label": T.question, maxlength: "500" }));
    question.value = q.text;
    const answer = form.appendChild(el("textarea", "um-new-answer", null, { rows: "3", "aria-label": T.answer, placeholder: T.answer }));
    form.appendChild(el("button", "btn btn-small btn-primary um-create-submit", T.create_submit, { type: "submit" }));
    const done = (msg) => { li.classList.add("um-done"); acts.hidden = true; form.hidden = true; err.textContent = ""; li.appendChild(el("span", "um-result", msg)); };
    const fail = (e) => { err.textContent = e.message; };
    attach.addEventListener("click", async () => {
      if (!pick.value) { err.textContent = T.choose_item; return; }
      try { await api("POST", `/api/v1/bot/unmatched/${q.id}/attach`, { item_id: pick.value }); done(T.attached); } catch (e) { fail(e); }
    });
    create.addEventListener("click", () => { form.hidden = !form.hidden; });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { category_id: cat.value, question: question.value.trim() === q.text ? null : question.value, answer: { text: answer.value } };
      try { await api("POST", `/api/v1/bot/unmatched/${q.id}/create`, body); done(T.created); } catch (e) { fail(e); }
    });
    dismiss.addEventListener("click", async () => {
      try { await api("POST", `/api/v1/bot/unmatched/${q.id}/dismiss`); done(T.dismissed); } catch (e) { fail(e); }
    });
    return li;
  }

  async function load() {
    const box = $("um-groups");
    try {
      const [groups, its, cats] = await Promise.all([
        api("GET", "/api/v1/bot/unmatched"),
        api("GET", "/api/v1/knowledge/items").catch(() => []),
        api("GET", "/api/v1/knowledge/categories").catch(() => []),
      ]);
      items = its || [];
      categories = cats || [];
      box.textContent = "";
      $("um-empty").hidden = (groups || []).length > 0;
      (groups || []).forEach((g, i) => {
        const sec = box.appendChild(el("section", "card um-group", null, { id: "um-group-" + i }));
        const h = sec.appendChild(el("h2", null, g.representative));
        h.appendChild(el("span", "badge", String(g.count)));
        const ul = sec.appendChild(el("ul", "um-questions"));
        g.questions.forEach((q) => ul.appendChild(questionRow(q)));
      });
    } catch (e) {
      box.textContent = "";
      box.appendChild(el("p", "field-error", e.message, { role: "alert" }));
    }
  }
  load();
})();
