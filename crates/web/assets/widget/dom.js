  var host = h('kefu-widget');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // not subject to the host page's CSP for inline <style>
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(h('style', { text: CSS }));
  }

  var wrap = h('div', { class: 'w ' + MODE });
  var badge = h('span', { id: 'kefu-badge', class: 'badge', hidden: true });
  var launcher = h('button', { id: 'kefu-launcher', class: 'launcher', type: 'button', 'aria-label': T('open'), onclick: function () { if (S.open) closePanel(); else openPanel(); } },
    [icon(SVG_CHAT, { class: 'ic' }), badge]);
  if (MODE === 'page') launcher.hidden = true;

  var titleEl = h('strong', { id: 'kefu-title', text: T('title') });
  var statusEl = h('small', { id: 'kefu-status' });
  var endBtn = h('button', { id: 'kefu-end', class: 'hb', type: 'button', hidden: true, onclick: endChat }, T('end'));
  var closeBtn = h('button', { id: 'kefu-close', class: 'hb x', type: 'button', 'aria-label': T('close'), title: T('close'), onclick: closePanel }, '✕');
  if (MODE === 'page') closeBtn.hidden = true;
  var msgs = h('div', { id: 'kefu-messages', class: 'msgs', role: 'log', 'aria-live': 'polite' });
  var typingEl = h('div', { id: 'kefu-typing', class: 'typing', hidden: true }, T('typing'));
  var queueEl = h('div', { id: 'kefu-queue', class: 'queue', hidden: true, role: 'status' });
  var noticeEl = h('div', { id: 'kefu-notice', class: 'notice', hidden: true, role: 'alert' });

  // Pre-chat form (fields come from welcome.channel.prechat_fields)
  var preFields = h('div', { class: 'grp' });
  var preErr = h('p', { class: 'err', hidden: true });
  var prechatEl = h('form', { id: 'kefu-prechat', class: 'sheet', hidden: true, novalidate: true, onsubmit: submitPrechat }, [
    h('h3', { text: T('prechat') }), preFields, preErr,
    h('div', { class: 'acts' }, h('button', { id: 'kefu-prechat-submit', class: 'pri', type: 'submit' }, T('start')))
  ]);

  // Leave-message form (shown on `offline`)
  function field(id, label, type, tag) {
    var input = h(tag || 'input', { id: id, name: id.split('-').pop(), type: tag ? null : type, rows: tag ? 3 : null, maxlength: tag ? 2000 : 200 });
    return { label: h('label', null, [label, input]), input: input };
  }
  var lf = {
    name: field('kefu-leave-name', T('name'), 'text'), phone: field('kefu-leave-phone', T('phone'), 'tel'),
    email: field('kefu-leave-email', T('email'), 'email'), text: field('kefu-leave-text', T('text'), null, 'textarea')
  };
  var leaveTitle = h('h3');
  var leaveErr = h('p', { class: 'err', hidden: true });
  var leaveThanks = h('p', { id: 'kefu-leave-thanks', class: 'ok', hidden: true }, T('leaveThanks'));
  var leaveBody = h('div', { class: 'grp' }, [
    leaveTitle, lf.name.label, lf.phone.label, lf.email.label, lf.text.label, leaveErr,
    h('div', { class: 'acts' }, [
      h('button', { id: 'kefu-leave-cancel', class: 'sec', type: 'button', onclick: function () { hideLeave(); } }, T('cancel')),
      h('button', { id: 'kefu-leave-submit', class: 'pri', type: 'submit' }, T('submit'))
    ])
  ]);
  var leaveEl = h('form', { id: 'kefu-leave', class: 'sheet', hidden: true, novalidate: true, onsubmit: submitLeave }, [leaveBody, leaveThanks]);

  // Satisfaction form (shown on `rating_invite`)
  var stars = [];
  for (var si = 1; si <= 5; si++) {
    stars.push(h('button', { id: 'kefu-star-' + si, class: 'star', type: 'button', 'aria-pressed': 'false', 'aria-label': T('star', { n: si }), onclick: setStars.bind(null, si) }, '★'));
  }
  var tagsEl = h('div', { id: 'kefu-rate-tags', class: 'tags', hidden: true });
  var rateComment = h('textarea', { id: 'kefu-rate-comment', rows: 2, maxlength: 500, placeholder: T('comment') });
  var rateErr = h('p', { class: 'err', hidden: true });
  var rateBody = h('div', { class: 'grp' }, [
    h('h3', { text: T('rate') }), h('div', { class: 'stars' }, stars), tagsEl, rateComment, rateErr,
    h('div', { class: 'acts' }, [
      h('button', { id: 'kefu-rate-cancel', class: 'sec', type: 'button', onclick: function () { rateEl.hidden = true; } }, T('cancel')),
      h('button', { id: 'kefu-rate-submit', class: 'pri', type: 'submit' }, T('submit'))
    ])
  ]);
  var rateThanks = h('p', { id: 'kefu-rate-thanks', class: 'ok', hidden: true }, T('rateThanks'));
  var rateEl = h('form', { id: 'kefu-rate', class: 'sheet', hidden: true, novalidate: true, onsubmit: submitRate }, [rateBody, rateThanks]);

  // Composer
  var input = h('textarea', { id: 'kefu-input', rows: 1, placeholder: T('placeholder'), 'aria-label': T('placeholder'), maxlength: MAX_CHARS * 2 });
  var fileInput = h('input', { id: 'kefu-file', type: 'file', hidden: true, accept: 'image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,.csv,.zip' });
  var emojiPanel = h('div', { id: 'kefu-emoji-panel', class: 'emojis', hidden: true },
    EMOJI.map(function (em) { return h('button', { type: 'button', onclick: function () { insertEmoji(em); } }, em); }));
  var emojiBtn = h('button', { id: 'kefu-emoji', class: 'ib', type: 'button', title: T('emoji'), 'aria-label': T('emoji'), onclick: function () { emojiPanel.hidden = !emojiPanel.hidden; } }, '😊');
  var attachBtn = h('button', { id: 'kefu-attach', class: 'ib', type: 'button', title: T('attach'), 'aria-label': T('attach'), onclick: function () { fileInput.click(); } }, icon(SVG_CLIP, { class: 'ic' }));
  var sendBtn = h('button', { id: 'kefu-send', class: 'pri send', type: 'button', onclick: submitText }, T('send'));
  var composer = h('div', { id: 'kefu-composer', class: 'composer' }, [emojiPanel, emojiBtn, attachBtn, fileInput, input, sendBtn]);

  var panel = h('section', { id: 'kefu-panel', class: 'panel', role: 'dialog', 'aria-label': T('title'), hidden: true }, [
    h('header', { class: 'hd' }, [h('div', { class: 'ti' }, [titleEl, statusEl]), endBtn, closeBtn]),
    msgs, typingEl, queueEl, noticeEl, prechatEl, leaveEl, rateEl, composer
  ]);
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(wrap);

