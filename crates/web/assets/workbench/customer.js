  // ---- Customer side panel (弹屏) -----------------------------------------

  let customerReq = 0, customerId = null;
  async function loadCustomer(c) {
    const n = ++customerReq;
    customerId = c ? c.customer_id : null;
    // workbench_tickets.js lists this customer's tickets.
    app.dispatchEvent(new CustomEvent("kefu:customer", { detail: { customer_id: customerId, conversation_id: c ? c.id : null } }));
    $("wb-customer-form").hidden = $("wb-history-section").hidden = true;
    $("wb-customer-empty").textContent = T.customer_none;
    $("wb-customer-empty").hidden = false;
    if (!customerId) return;
    try {
      const d = await api("GET", "/api/v1/customers/" + encodeURIComponent(customerId));
      if (n !== customerReq) return; // the agent has moved on
      fillCustomer(d.customer || {});
      renderHistory(d.conversations || [], c.id);
    } catch (e) {
      if (n === customerReq) $("wb-customer-empty").textContent = T.customer_unavailable;
    }
  }
  const CUSTOMER_FIELDS = ["name", "phone", "email", "notes"];
  function fillCustomer(cu) {
    for (const k of CUSTOMER_FIELDS) $("wb-cust-" + k).value = cu[k] || "";
    $("wb-cust-tags").value = (cu.tags || []).join(", ");
    $("wb-cust-error").textContent = "";
    $("wb-customer-empty").hidden = true;
    $("wb-customer-form").hidden = false;
  }
  function renderHistory(list, currentId) {
    const ol = $("wb-history");
    ol.textContent = "";
    for (const k of list) {
      const li = ol.appendChild(el("li", k.id === currentId ? "wb-history-current" : ""));
      const head = li.appendChild(el("div", "wb-history-head", day(k.created_at) + " · " + t("state_" + k.state) + " "));
      if (k.id === currentId) head.appendChild(el("span", "badge badge-ok", T.current));
      if (k.summary) li.appendChild(el("p", null, k.summary));
      if ((k.tags || []).length) li.appendChild(el("div", "hint", k.tags.join(", ")));
    }
    if (!list.length) ol.appendChild(el("li", "muted", T.history_none));
    $("wb-history-section").hidden = false;
  }
  $("wb-customer-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!customerId) return;
    const id = customerId, patch = { tags: splitTags($("wb-cust-tags").value) };
    for (const k of CUSTOMER_FIELDS) patch[k] = $("wb-cust-" + k).value;
    try {
      const cu = (await api("PATCH", "/api/v1/customers/" + encodeURIComponent(id), patch)) || patch;
      if (id === customerId) fillCustomer(cu);
      // The list shows the customer's name: keep it in step.
      S.convs.forEach((c) => { if (c.customer_id === id && cu.name) c.visitor_name = cu.name; });
      renderList();
      renderActions();
      toast(T.customer_saved);
    } catch (e) { $("wb-cust-error").textContent = errText(e); }
  });

