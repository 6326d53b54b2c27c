// /customers: claim pool customers, and import a CSV with a progress bar.
// The page has no inline script (CSP); translated strings come in
// data-strings of #crm-root.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("crm-root");
  if (!root || root.dataset.bound) return;
  root.dataset.bound = "1";
  const T = JSON.parse(root.dataset.strings || "{}");
  const csrf = () => (document.querySelector('input[name="_csrf"]') || {}).value || "";
  const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ""));

  async function call(method, url, body, type) {
    const opts = { method, credentials: "same-origin", headers: {} };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = type || "application/json";
      opts.body = body;
    }
    const r = await fetch(url, opts);
    const data = await r.json().catch(() => null);
    if (!r.ok) throw new Error((data && data.message) || r.statusText);
    return data;
  }

  document.querySelectorAll("button[data-claim]").forEach((b) => {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        await call("POST", "/api/v1/customers/" + encodeURIComponent(b.dataset.claim) + "/claim");
        location.reload();
      } catch (e) {
        b.disabled = false;
        const err = $("crm-pool-error");
        err.textContent = fill(T.claim_failed || "{msg}", { msg: e.message });
        err.hidden = false;
      }
    });
  });

  const form = $("crm-import-form");
  if (!form) return;
  const bar = $("crm-import-progress");
  const status = $("crm-import-status");
  const report = $("crm-import-report");
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function show(imp) {
    bar.hidden = false;
    bar.max = Math.max(imp.total, 1);
    bar.value = imp.processed;
    status.textContent = fill(imp.status === "running" ? T.import_running : T.import_done, imp);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("crm-import-file").files[0];
    if (!file) return;
    const start = $("crm-import-start");
    start.disabled = true;
    report.hidden = true;
    try {
      const text = await file.text();
      const tpl = encodeURIComponent($("crm-import-template").value);
      let imp = await call("POST", "/api/v1/customer-imports?background=true&template_id=" + tpl, text, "text/csv");
      show(imp);
      while (imp.status === "running") {
        await sleep(500);
        imp = await call("GET", "/api/v1/customer-imports/" + encodeURIComponent(imp.id));
        show(imp);
      }
      if (imp.status === "failed") status.textContent = fill(T.import_failed, { msg: imp.error || "" });
      if (imp.duplicates + imp.errors > 0) {
        report.href = "/api/v1/customer-imports/" + encodeURIComponent(imp.id) + "?format=csv";
        report.hidden = false;
      }
    } catch (e) {
      status.textContent = fill(T.import_failed, { msg: e.message });
    } finally {
      start.disabled = false;
    }
  });
})();
