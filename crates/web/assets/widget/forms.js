  function showPrechat(fields) {
    preFields.textContent = '';
    fields.forEach(function (f) {
      if (!f || !f.name) return;
      var name = String(f.name);
      var type = /mail/i.test(name) ? 'email' : /phone|mobile|tel/i.test(name) ? 'tel' : 'text';
      var inp = h('input', { id: 'kefu-prechat-' + name.replace(/[^\w-]/g, '_'), name: name, type: type, maxlength: 200, required: !!f.required, 'data-label': String(f.label || name) });
      preFields.appendChild(h('label', null, [String(f.label || name) + (f.required ? ' *' : ''), inp]));
    });
    preErr.hidden = true;
    prechatEl.hidden = false;
    layout();
  }

  function submitPrechat(ev) {
    ev.preventDefault();
    var fields = {}, missing = [];
    Array.prototype.forEach.call(preFields.querySelectorAll('input'), function (inp) {
      var v = inp.value.trim();
      if (v) fields[inp.name] = v;
      else if (inp.hasAttribute('required')) missing.push(inp.getAttribute('data-label'));
    });
    if (missing.length) { preErr.textContent = T('required', { x: missing.join('、') }); preErr.hidden = false; return; }
    S.prechatDone = true;
    sset('sessionStorage', 'prechat', '1');
    prechatEl.hidden = true;
    layout();
    control({ type: 'start', fields: fields });
    try { input.focus(); } catch (e) { /* ignore */ }
  }

  function showLeave(reason) {
    S.offline = reason || 'nobody_online';
    leaveTitle.textContent = T(reason === 'outside_hours' ? 'leave_outside_hours' : 'leave_nobody_online');
    leaveBody.hidden = false;
    leaveThanks.hidden = true;
    leaveErr.hidden = true;
    leaveEl.hidden = false;
    layout();
    if (!visible()) { S.unread = Math.max(S.unread, 1); updateBadge(); }
  }
  function hideLeave() { leaveEl.hidden = true; layout(); }

  function submitLeave(ev) {
    ev.preventDefault();
    var v = {};
    for (var k in lf) v[k] = lf[k].input.value.trim();
    if (!v.text || !(v.phone || v.email)) { leaveErr.textContent = T('leaveNeed'); leaveErr.hidden = false; return; }
    control({ type: 'leave_message', name: v.name, phone: v.phone, email: v.email, text: v.text });
    lf.text.input.value = '';
    leaveBody.hidden = true;
    leaveThanks.hidden = false;
    layout();
  }

