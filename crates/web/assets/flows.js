// /admin/flows: a JSON editor that validates through the API and lists every
// problem with its place, and a test console that runs the flow step by step
// (POST /api/v1/flows/{id}/test, passing the returned state back). No inline
// script (CSP); translated strings come in data-strings of #flows-root.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("flows-root");
  if (!root || root.dataset.bound) return;
  root.dataset.bound = "1";
  const T = JSON.parse(root.dataset.strings || "{}");
  const csrf = () => (document.querySelector('input[name="_csrf"]') || {}).value || "";
  const fill = (s, vars) => (s || "").replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ""));
  let current = null; // the flow being edited (id) or null for a new one
  let state = null; // the test console's state

  async function call(method, url, body) {
    const opts = { method, credentials: "same-origin", headers: {} };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(url, opts);
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const e = new Error((data && data.message) || r.statusText);
      e.data = data;
      throw e;
    }
    return data;
  }

  function status(text) { $("flow-status").textContent = text || ""; }

  function showErrors(list) {
    const ul = $("flow-errors");
    ul.textContent = "";
    ul.hidden = !list || !list.length;
    (list || []).forEach((e) => {
      const li = document.createElement("li");
      li.textContent = (e.field ? e.field + ": " : "") + e.message + (e.code ? " (" + e.code + ")" : "");
      ul.appendChild(li);
    });
  }

  function problems(err) {
    const d = err.data && err.data.details;
    if (d && Array.isArray(d.errors)) return d.errors;
    return [{ field: (d && d.field) || "", message: err.message }];
  }

  function definition() {
    try {
      return JSON.parse($("flow-json").value);
    } catch (e) {
      showErrors([{ field: "definition", code: "invalid_json", message: fill(T.bad_json, { msg: e.message }) }]);
      return undefined;
    }
  }

  // The API's JSON objects come back with sorted keys; show the graph the way
  // people write it: triggers, start, nodes; each node's id and type first.
  function ordered(def) {
    const first = (o, keys) => {
      const out = {};
      keys.forEach((k) => { if (k in o) out[k] = o[k]; });
      Object.keys(o).forEach((k) => { if (!(k in out)) out[k] = o[k]; });
      return out;
    };
    const d = first(def || {}, ["triggers", "start", "nodes"]);
    if (Array.isArray(d.nodes)) d.nodes = d.nodes.map((n) => first(n, ["id", "type", "slot", "prompt", "text", "method", "url"]));
    return d;
  }

  function open(flow) {
    current = flow ? flow.id : null;
    $("flow-editor").hidden = false;
    $("flow-name").value = flow ? flow.name : "";
    $("flow-enabled").checked = flow ? flow.enabled : true;
    const def = flow ? flow.definition : JSON.parse($("flow-example").content.textContent);
    $("flow-json").value = JSON.stringify(ordered(def), null, 2);
    $("flow-delete").hidden = !flow;
    showErrors([]);
    status("");
    resetConsole();
    $("flow-name").focus();
  }

  document.querySelectorAll("button[data-edit]").forEach((b) => {
    b.addEventListener("click", async () => {
      try {
        open(await call("GET", "/api/v1/flows/" + b.dataset.edit));
      } catch (e) {
        status(fill(T.failed, { msg: e.message }));
      }
    });
  });
  $("flow-new").addEventListener("click", () => open(null));

  $("flow-validate").addEventListener("click", async () => {
    const def = definition();
    if (def === undefined) return;
    try {
      await call("POST", "/api/v1/flows/validate", { definition: def });
      showErrors([]);
      status(T.valid);
    } catch (e) {
      showErrors(problems(e));
      status(fill(T.invalid, { n: problems(e).length }));
    }
  });

  $("flow-save").addEventListener("click", async () => {
    const def = definition();
    if (def === undefined) return;
    const body = { name: $("flow-name").value, definition: def, enabled: $("flow-enabled").checked };
    try {
      const f = current
        ? await call("PUT", "/api/v1/flows/" + current, body)
        : await call("POST", "/api/v1/flows", body);
      showErrors([]);
      const isNew = !current;
      current = f.id;
      $("flow-delete").hidden = false;
      status(T.saved);
      if (isNew) window.location.reload();
    } catch (e) {
      showErrors(problems(e));
      status(fill(T.failed, { msg: e.message }));
    }
  });

  $("flow-delete").addEventListener("click", async () => {
    if (!current || !window.confirm(T.confirm_delete)) return;
    try {
      await call("DELETE", "/api/v1/flows/" + current);
      window.location.reload();
    } catch (e) {
      status(fill(T.failed, { msg: e.message }));
    }
  });

  // ---- test console ----
  function line(cls, text) {
    const li = document.createElement("li");
    li.className = cls;
    li.textContent = text;
    $("flow-transcript").appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function resetConsole() {
    state = null;
    $("flow-transcript").textContent = "";
    $("flow-test-state").textContent = "";
  }

  function show(step) {
    (step.http || []).forEach((c) => {
      const r = c.result || {};
      const outcome = r.type === "response" ? "HTTP " + r.status : fill(T.http_failed, { msg: r.reason || "" });
      line("http", c.request.method + " " + c.request.url + " → " + outcome);
    });
    (step.replies || []).forEach((r) => {
      if (r.type === "handoff") {
        if (r.text) line("bot", r.text);
        line("handoff", fill(T.handoff, { slots: JSON.stringify(r.slots) }));
      } else {
        line("bot", r.text);
      }
    });
    state = step.finished ? null : step.state;
    $("flow-test-state").textContent = JSON.stringify(step.state, null, 2);
    if (step.finished) line("end", T.finished);
  }

  async function step(text) {
    if (!current) {
      line("end", T.save_first);
      return;
    }
    const def = definition();
    if (def === undefined) return;
    const body = { definition: def };
    if (state) {
      body.state = state;
      body.text = text;
    }
    try {
      show(await call("POST", "/api/v1/flows/" + current + "/test", body));
    } catch (e) {
      line("end", fill(T.failed, { msg: e.message }));
      if (e.data && e.data.details && Array.isArray(e.data.details.errors)) showErrors(e.data.details.errors);
    }
  }

  $("flow-test-start").addEventListener("click", () => {
    resetConsole();
    step();
  });
  $("flow-test-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("flow-test-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (!state) {
      line("end", T.start_first);
      return;
    }
    line("me", text);
    step(text);
  });
})();
