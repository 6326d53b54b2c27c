  // ------------------------------------------------------------------ actions

  function sendBody(body) {
    var e = outbox.add(body);
    addLocal(tl, e);
    leaveEl.hidden = leaveEl.hidden || leaveBody.hidden; // a thank-you note goes away
    layout();
    saveSoon();
    syncMessages(true);
    if (S.connected) raw({ type: 'message', client_id: e.client_id, body: body });
    return e.client_id;
  }

  function sendText(text) {
    text = String(text == null ? '' : text).replace(/^\s+|\s+$/g, '');
    if (!text) return null;
    if (charCount(text) > MAX_CHARS) { notice(T('tooLong')); return null; }
    return sendBody({ kind: 'text', text: text });
  }

  function submitText() {
    var v = input.value;
    if (!v.replace(/\s+/g, '')) return;
    if (charCount(v.trim()) > MAX_CHARS) { notice(T('tooLong')); return; }
    input.value = '';
    autosize();
    emojiPanel.hidden = true;
    sendText(v);
  }

  function autosize() {
    input.style.height = '';
    input.style.height = Math.min(120, Math.max(38, input.scrollHeight + 2)) + 'px';
    input.style.overflowY = input.scrollHeight > 118 ? 'auto' : 'hidden';
  }

  function insertEmoji(em) {
    var v = input.value, a = input.selectionStart == null ? v.length : input.selectionStart;
    var b = input.selectionEnd == null ? a : input.selectionEnd;
    input.value = v.slice(0, a) + em + v.slice(b);
    input.selectionStart = input.selectionEnd = a + em.length;
    emojiPanel.hidden = true;
    input.focus();
  }

  function upload(file) {
    if (!file) return;
    if (!S.token) { notice(T('noConn')); return; }
    if (file.size > MAX_FILE) { notice(T('tooBig')); return; }
    var fd = new FormData();
    fd.append('file', file, file.name || 'file');
    notice(T('uploading', { x: file.name || '' }), true, true);
    var url = ORIGIN + '/api/v1/visitor/attachments?channel=' + encodeURIComponent(KEY) + '&token=' + encodeURIComponent(S.token);
    fetch(url, { method: 'POST', body: fd, credentials: 'omit' }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (j) {
        if (!r.ok || !j) {
          var err = new Error((j && (j.message || j.code)) || T('uploadFail') + ' (' + r.status + ')');
          err.server = true;
          throw err;
        }
        return j;
      });
    }).then(function (a) {
      notice(null);
      var image = /^image\//i.test(a.content_type || '');
      sendBody({ kind: image ? 'image' : 'file', attachment_id: a.id, name: a.name || file.name, size: a.size != null ? a.size : file.size, url: a.url });
    }).catch(function (e) {
      notice(e && e.server ? e.message : T('uploadFail'));
    });
  }

  function endChat() {
    if (!S.endArm) {
      endBtn.textContent = T('endConfirm');
      S.endArm = setTimeout(function () { S.endArm = null; endBtn.textContent = T('end'); }, 3000);
      return;
    }
    clearTimeout(S.endArm);
    S.endArm = null;
    endBtn.textContent = T('end');
    control({ type: 'close' });
  }

