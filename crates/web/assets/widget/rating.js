  function setStars(n) {
    var good = n >= 4, wasGood = S.stars >= 4;
    S.stars = n;
    stars.forEach(function (b, i) {
      b.classList.toggle('on', i < n);
      b.setAttribute('aria-pressed', i === n - 1 ? 'true' : 'false');
    });
    if (tagsEl.hidden || good !== wasGood) {
      tagsEl.textContent = '';
      (good ? TAGS.good : TAGS.bad).forEach(function (t) {
        tagsEl.appendChild(h('label', { class: 'tag' }, [h('input', { type: 'checkbox', value: t[0] }), LANG === 'en' ? t[1] : t[0]]));
      });
    }
    tagsEl.hidden = false;
    rateErr.hidden = true;
  }

  function showRate(conv) {
    S.rating = conv == null ? true : conv;
    S.stars = 0;
    setStars(0);
    tagsEl.hidden = true;
    rateComment.value = '';
    rateBody.hidden = false;
    rateThanks.hidden = true;
    rateEl.hidden = false;
    if (!visible()) { S.unread = Math.max(S.unread, 1); updateBadge(); }
    if (S.open) syncMessages(true);
  }

  function submitRate(ev) {
    ev.preventDefault();
    if (!S.stars) { rateErr.textContent = T('rateNeed'); rateErr.hidden = false; return; }
    var tags = Array.prototype.filter.call(tagsEl.querySelectorAll('input'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    control({ type: 'rate', stars: S.stars, tags: tags, comment: rateComment.value.trim() });
    S.rating = null;
    rateBody.hidden = true;
    rateThanks.hidden = false;
    setTimeout(function () { rateEl.hidden = true; }, 4000);
  }

