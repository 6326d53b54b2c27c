  // ------------------------------------------------------------------ rendering

  function fmtTime(at) {
    var d = new Date(at);
    if (isNaN(d)) return '';
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    var t = p(d.getHours()) + ':' + p(d.getMinutes());
    return new Date().toDateString() === d.toDateString() ? t : (d.getMonth() + 1) + '/' + d.getDate() + ' ' + t;
  }

  function textNodes(el, text) {
    linkify(text).forEach(function (t) {
      el.appendChild(t.type === 'link'
        ? h('a', { href: t.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, t.text)
        : document.createTextNode(t.text));
    });
    return el;
  }

  function renderBody(it) {
    var b = it.body || {}, url;
    switch (b.kind) {
      case 'text':
        return textNodes(h('div', { class: 'bub' }), b.text);
      case 'button':
        return h('div', { class: 'bub' }, String(b.label != null ? b.label : b.value || ''));
      case 'image':
        url = safeUrl(b.url, ORIGIN);
        if (url) {
          return h('div', { class: 'bub media' }, h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' },
            h('img', { src: url, alt: String(b.name || ''), loading: 'lazy', onload: function () { if (S.stick) scrollDown(); } })));
        }
        break;
      case 'file':
        url = safeUrl(b.url, ORIGIN);
        return h('div', { class: 'bub file' }, [icon(SVG_FILE, { class: 'ic' }),
          url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', download: String(b.name || '') }, String(b.name || url))
            : h('span', null, String(b.name || '')),
          b.size != null ? h('small', null, formatSize(b.size)) : null]);
      case 'buttons': {
        var bub = textNodes(h('div', { class: 'bub' }), b.text || '');
        var list = h('div', { class: 'btns' });
        (Array.isArray(b.buttons) ? b.buttons : []).forEach(function (x) {
          if (!x) return;
          list.appendChild(h('button', {
            type: 'button', disabled: !!it.answered,
            onclick: function () {
              it.answered = true;
              sendBody({ kind: 'button', value: x.value != null ? x.value : x.label, label: String(x.label != null ? x.label : x.value) });
            }
          }, String(x.label != null ? x.label : x.value)));
        });
        bub.appendChild(list);
        return bub;
      }
      case 'card': {
        url = safeUrl(b.url, ORIGIN);
        var img = safeUrl(b.image_url, ORIGIN);
        return h('div', { class: 'bub card' }, [
          img ? h('img', { src: img, alt: '', loading: 'lazy' }) : null,
          h('div', null, [
            b.title ? h('strong', null, String(b.title)) : null,
            b.description ? h('p', null, String(b.description)) : null,
            url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, T('view') + ' ›') : null
          ])
        ]);
      }
    }
    return b.text ? textNodes(h('div', { class: 'bub' }), b.text) : h('div', { class: 'bub' }, T('unsupported'));
  }

  function renderItem(it) {
    if (it.kind === 'system' || it.sender === 'system') {
      return h('div', { class: 'sys', 'data-seq': it.seq }, systemText(it.body, it.sender_name, T));
    }
    var mine = it.sender === 'visitor';
    return h('div', { class: 'row ' + (mine ? 'me' : 'them'), 'data-seq': it.seq, 'data-sender': it.sender }, [
      mine ? null : h('div', { class: 'who' }, it.sender_name || T(it.sender === 'bot' ? 'bot' : 'agent')),
      renderBody(it),
      h('div', { class: 'meta' }, [it.at ? fmtTime(it.at) : null, mine ? h('span', { class: 'st' }) : null])
    ]);
  }

  function paintStatus(el, status) {
    var st = el.querySelector('.st');
    if (!st || el.getAttribute('data-status') === status) return;
    el.setAttribute('data-status', status);
    st.className = 'st st-' + status;
    st.title = T(status);
    st.innerHTML = status === 'pending' ? SVG_CLOCK : status === 'failed' ? '!' : SVG_TICK; // constants
    if (status === 'read' || status === 'failed') st.appendChild(document.createTextNode(T(status)));
  }

  var nodes = {}; // item key -> {sig, el}
  function viewItems() {
    var g = S.channel && S.channel.greeting;
    var items = tl.items;
    // The server stores the greeting as a conversation's first event; show the
    // local copy only until there is a conversation, or it would appear twice.
    var stored = items.some(function (it) { return it.seq > 0; });
    return g && !stored ? [{ key: 'greeting', sender: 'bot', sender_name: S.channel.name || '', body: { kind: 'text', text: String(g) } }].concat(items) : items;
  }
  function scrollDown() { msgs.scrollTop = msgs.scrollHeight; }
  function syncMessages(force) {
    S.stick = force || msgs.scrollHeight - msgs.scrollTop - msgs.clientHeight < 80;
    var keep = {}, ref = msgs.firstChild;
    viewItems().forEach(function (it) {
      var n = nodes[it.key];
      var sig = it.seq + '|' + (it.answered ? 1 : 0) + '|' + (it.key === 'greeting' ? it.body.text + it.sender_name : '');
      if (!n || n.sig !== sig) {
        var el = renderItem(it);
        if (n && n.el.parentNode === msgs) {
          msgs.replaceChild(el, n.el);
          if (ref === n.el) ref = el;
        }
        n = nodes[it.key] = { sig: sig, el: el };
      }
      keep[it.key] = 1;
      if (it.sender === 'visitor') paintStatus(n.el, it.status || 'pending');
      if (n.el === ref) ref = ref.nextSibling;
      else msgs.insertBefore(n.el, ref);
    });
    while (ref) { var next = ref.nextSibling; msgs.removeChild(ref); ref = next; }
    for (var k in nodes) if (!keep[k]) delete nodes[k];
    if (S.stick) scrollDown();
  }

  function setStatus() {
    statusEl.textContent = '';
    if (!S.connected) {
      statusEl.textContent = S.everConnected ? T('reconnecting') : T('connecting');
    } else {
      var on = !S.channel || S.channel.online !== false;
      statusEl.appendChild(h('span', { class: on ? 'dot' : 'dot off' }));
      statusEl.appendChild(document.createTextNode(on ? T('online') : T('offline')));
    }
    endBtn.hidden = !(tl.current && isOpenState(tl.cstate));
  }

  function renderQueue() {
    var q = S.queue;
    var show = q && q.position != null;
    queueEl.hidden = !show;
    if (!show) return;
    var n = Math.max(0, +q.position || 0);
    var m = q.estimated_wait_ms != null && +q.estimated_wait_ms >= 0 ? Math.max(1, Math.ceil(q.estimated_wait_ms / 60000)) : null;
    queueEl.textContent = n === 0 ? T(m == null ? 'queueNext' : 'queueNextEta', { m: m }) : T(m == null ? 'queueNoEta' : 'queue', { n: n, m: m });
  }

  var noticeT = null;
  function notice(text, info, sticky) {
    clearTimeout(noticeT);
    noticeEl.hidden = !text;
    noticeEl.textContent = text || '';
    noticeEl.className = 'notice' + (info ? ' info' : '');
    if (text && !sticky) noticeT = setTimeout(function () { noticeEl.hidden = true; }, 6000);
  }

  function layout() {
    composer.hidden = !prechatEl.hidden || (!leaveEl.hidden && !leaveBody.hidden);
  }

  function updateBadge() {
    badge.hidden = !S.unread;
    badge.textContent = S.unread > 99 ? '99+' : String(S.unread);
    if (MODE === 'page') document.title = (S.unread ? '(' + S.unread + ') ' : '') + ((S.channel && S.channel.name) || T('title'));
  }

