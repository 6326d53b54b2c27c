// kefu workbench: the customer's tickets (工单) in the side panel, the
// "create ticket" link prefilled with the conversation, and ticket
// notifications pushed over the agent socket. workbench.js tells this script
// which customer is shown (`kefu:customer`) and forwards `notification`
// frames (`kefu:notification`). Text from people goes in via textContent only.
(() => {
  "use strict";
  const app = document.getElementById("wb-app");
  const section = document.getElementById("wb-tickets-section");
  if (!app || !section || section.dataset.enabled !== "true") return;
  const T = JSON.parse(section.dataset.strings || "{}");
  const list = document.getElementById("wb-tickets");
  const create = document.getElementById("wb-ticket-create");
  const alertEl = document.getElementById("wb-ticket-alert");
  const t = (key, vars) =>
    Object.keys(vars || {}).reduce((s, k) => s.split("{" + k + "}").join(String(vars[k])), T[key] || key);

  let req = 0;
  async function load(customerId, conversationId) {
    const n = ++req;
    list.textContent = "";
    create.hidden = !customerId;
    section.hidden = !customerId && alertEl.hidden;
    if (!customerId) return;
    const q = new URLSearchParams();
    if (conversationId) q.set("conversation_id", conversationId);
    q.set("customer_id", customerId);
    create.href = "/tickets/new?" + q.toString();
    try {
      const r = await fetch("/api/v1/customers/" + encodeURIComponent(customerId) + "/tickets", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (n !== req || !r.ok) return;
      const tickets = await r.json();
      for (const k of tickets) {
        const li = list.appendChild(document.createElement("li"));
        li.dataset.id = k.id;
        const a = li.appendChild(document.createElement("a"));
        a.href = "/tickets/" + encodeURIComponent(k.id);
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = "#" + k.number + " " + k.title;
        const meta = li.appendChild(document.createElement("span"));
        meta.className = "muted";
        meta.textContent = " · " + k.status + (k.assignee_name ? " · " + k.assignee_name : "");
      }
      if (!tickets.length) {
        const li = list.appendChild(document.createElement("li"));
        li.className = "muted";
        li.textContent = T.none || "";
      }
    } catch (e) { /* the panel stays empty; the rest of the workbench works */ }
  }

  app.addEventListener("kefu:customer", (ev) => load(ev.detail.customer_id, ev.detail.conversation_id));
  app.addEventListener("kefu:notification", (ev) => {
    const k = ev.detail.ticket || {};
    const n = ev.detail.notification || {};
    alertEl.textContent = "";
    const a = alertEl.appendChild(document.createElement("a"));
    a.href = "/tickets/" + encodeURIComponent(k.id || "");
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = n.kind === "ticket_assigned"
      ? t("assigned", { n: k.number, title: k.title || "" })
      : t("changed", { title: n.title || "" });
    alertEl.hidden = false;
    section.hidden = false;
  });
})();
