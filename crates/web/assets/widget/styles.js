  // ------------------------------------------------------------------ DOM

  function h(tag, props, kids) {
    var el = document.createElement(tag);
    if (props) {
      for (var k in props) {
        var v = props[k];
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : v);
      }
    }
    if (kids != null) {
      (Array.isArray(kids) ? kids : [kids]).forEach(function (c) {
        if (c != null && c !== false) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
      });
    }
    return el;
  }
  function icon(svg, props) { var s = h('span', props); s.innerHTML = svg; return s; } // constant markup only

  var SVG_CHAT = '<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.6 1.4 4.9 3.6 6.5L5 21.5l4-2.1c.9.2 1.9.3 3 .3 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>';
  var SVG_CLOCK = '<svg viewBox="0 0 16 16" width="12" height="12" fill="none" stroke="currentColor" stroke-width="1.6" aria-hidden="true"><circle cx="8" cy="8" r="6.2"/><path d="M8 4.5V8l2.4 1.6"/></svg>';
  var SVG_CLIP = '<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" aria-hidden="true"><path d="M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9"/></svg>';
  var SVG_FILE = '<svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z"/><path d="M14 3v5h5"/></svg>';
  var SVG_TICK = '<svg viewBox="0 0 16 16" width="12" height="12" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M3 8.5l3.2 3L13 4.5"/></svg>';

  var CSS = [
    ':host{all:initial!important}',
    '*{box-sizing:border-box}[hidden]{display:none!important}',
    '.w{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",Roboto,Arial,sans-serif;color:#1d2433;--p:#1f6feb;-webkit-font-smoothing:antialiased}',
    'button{font:inherit}',
    '.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--p);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center;padding:0}',
    '.launcher .ic{display:flex}.grp{display:flex;flex-direction:column;gap:8px}',
    '.badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#e5484d;color:#fff;font-size:12px;line-height:20px;text-align:center;font-weight:600}',
    '.panel{position:fixed;right:20px;bottom:88px;width:370px;height:min(620px,calc(100vh - 108px));background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000}',
    '.page .panel{top:0;bottom:0;right:auto;left:50%;transform:translateX(-50%);width:100%;max-width:760px;height:auto;border-radius:0;box-shadow:0 0 0 1px #dde2ea}',
    '@media (max-width:480px){.bubble .panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;border-radius:0}.open .launcher{display:none}textarea,input{font-size:16px!important}}',
    '.hd{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--p);color:#fff;flex:none}',
    '.ti{flex:1;min-width:0;display:flex;flex-direction:column;line-height:1.3}',
    '.ti strong{font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.ti small{opacity:.85;font-size:12px}',
    '.hb{background:transparent;border:1px solid rgba(255,255,255,.55);color:#fff;border-radius:6px;padding:2px 8px;font-size:12px;cursor:pointer;white-space:nowrap}',
    '.x{border:0;font-size:18px;line-height:1;padding:4px 6px}',
    '.msgs{flex:1;overflow-y:auto;padding:12px;background:#f4f6f9;display:flex;flex-direction:column;gap:10px;-webkit-overflow-scrolling:touch}',
    '.row{display:flex;flex-direction:column;align-items:flex-start;max-width:82%;align-self:flex-start}',
    '.me{align-self:flex-end;align-items:flex-end}',
    '.who{font-size:12px;color:#667085;margin:0 0 2px 2px}',
    '.bub{background:#fff;border:1px solid #dde2ea;border-radius:12px;border-top-left-radius:4px;padding:7px 11px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%}',
    '.me .bub{background:var(--p);border-color:var(--p);color:#fff;border-radius:12px;border-top-right-radius:4px}',
    '.bub a{color:var(--p)}.me .bub a{color:#fff;text-decoration:underline}',
    '.media{padding:3px}.media img{display:block;max-width:100%;max-height:260px;border-radius:9px}',
    '.file{display:flex;gap:8px;align-items:center;white-space:normal}.file small{opacity:.75;white-space:nowrap}',
    '.meta{font-size:11px;color:#98a2b3;margin-top:2px;display:flex;gap:4px;align-items:center}',
    '.st{display:inline-flex;align-items:center;gap:2px}.st-read{color:var(--p)}.st-failed{color:#c9302c}',
    '.sys{align-self:center;font-size:12px;color:#667085;background:#e9edf3;border-radius:10px;padding:2px 10px;text-align:center;max-width:90%}',
    '.btns{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}',
    '.btns button{border:1px solid var(--p);background:#fff;color:var(--p);border-radius:14px;padding:3px 12px;cursor:pointer}',
    '.btns button:disabled{opacity:.5;cursor:default}',
    '.card{padding:0;overflow:hidden;white-space:normal;width:260px}.card img{display:block;width:100%;max-height:150px;object-fit:cover}',
    '.card div{padding:8px 11px}.card p{margin:4px 0;color:#667085;font-size:13px}',
    '.typing,.queue,.notice{font-size:12px;padding:5px 14px;color:#667085;background:#fff;border-top:1px solid #eef1f5;flex:none}',
    '.queue{background:#fff4e0;color:#a15c00}.notice{background:#fdecea;color:#c9302c}.notice.info{background:#e8f0fe;color:#1858c4}',
    '.sheet{padding:12px 14px;border-top:1px solid #dde2ea;background:#fff;display:flex;flex-direction:column;gap:8px;max-height:75%;overflow-y:auto;flex:none}',
    '.sheet h3{margin:0;font-size:14px;font-weight:600}.sheet p{margin:0}',
    '.sheet label{display:flex;flex-direction:column;gap:2px;font-size:12px;color:#667085}',
    '.sheet input:not([type=checkbox]),.sheet textarea{width:100%;border:1px solid #dde2ea;border-radius:6px;padding:7px 9px;font:inherit;font-size:14px;color:#1d2433;background:#fff}',
    '.acts{display:flex;gap:8px;justify-content:flex-end}',
    '.pri{background:var(--p);color:#fff;border:0;border-radius:6px;padding:7px 16px;cursor:pointer}',
    '.sec{background:#fff;color:#1d2433;border:1px solid #dde2ea;border-radius:6px;padding:7px 14px;cursor:pointer}',
    '.err{color:#c9302c;font-size:12px}.ok{color:#13804b}',
    '.stars{display:flex;gap:2px}.star{font-size:28px;line-height:1;border:0;background:none;color:#d0d5dd;cursor:pointer;padding:0 2px}.star.on{color:#f5a623}',
    '.tags{display:flex;flex-wrap:wrap;gap:6px}',
    '.sheet .tag{flex-direction:row;align-items:center;gap:4px;border:1px solid #dde2ea;border-radius:14px;padding:2px 10px;color:#1d2433;cursor:pointer;font-size:13px}',
    '.composer{display:flex;align-items:flex-end;gap:4px;padding:8px 10px;border-top:1px solid #dde2ea;background:#fff;position:relative;flex:none}',
    '.composer textarea{flex:1;resize:none;border:1px solid #dde2ea;border-radius:8px;padding:8px 10px;font:inherit;line-height:20px;color:inherit;height:38px;max-height:120px;overflow-y:hidden;outline:none;background:#fff}',
    '.composer textarea:focus{border-color:var(--p)}',
    '.ib{border:0;background:none;font-size:20px;width:34px;height:38px;cursor:pointer;color:#667085;padding:0;flex:none;display:inline-flex;align-items:center;justify-content:center}.ic{display:inline-flex}',
    '.send{height:38px;flex:none}',
    '.emojis{position:absolute;bottom:54px;left:8px;background:#fff;border:1px solid #dde2ea;border-radius:8px;box-shadow:0 4px 14px rgba(0,0,0,.15);display:grid;grid-template-columns:repeat(8,1fr);gap:2px;padding:6px;z-index:1}',
    '.emojis button{border:0;background:none;font-size:20px;cursor:pointer;padding:3px;border-radius:4px}.emojis button:hover{background:#f4f6f9}',
    '.dot{display:inline-block;width:7px;height:7px;border-radius:50%;background:#32d583;margin-right:5px;vertical-align:1px}.dot.off{background:#d0d5dd}'
  ].join('\n');

