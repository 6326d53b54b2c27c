// kefu console helpers. Kept tiny and dependency-free; pages work without it.
(function () {
  "use strict";

  // The server writes times in UTC (it does not know the reader's zone);
  // show them in the browser's local time instead.
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function localTimes(root) {
    var els = (root || document).querySelectorAll("time[datetime]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.dataset.local) continue;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) continue;
      el.title = el.textContent;
      el.textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
        " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
      el.dataset.local = "1";
    }
  }

  // "Copy" buttons next to one-time secrets.
  function copyButtons(root) {
    var btns = (root || document).querySelectorAll("[data-copy]");
    for (var i = 0; i < btns.length; i++) {
      var b = btns[i];
      if (b.dataset.bound) continue;
      b.dataset.bound = "1";
      b.hidden = false;
      b.addEventListener("click", function (ev) {
        var src = document.getElementById(ev.currentTarget.getAttribute("data-copy"));
        if (src && navigator.clipboard) {
          navigator.clipboard.writeText(src.textContent.trim());
          ev.currentTarget.classList.add("copied");
        }
      });
    }
  }

  function init(root) { localTimes(root); copyButtons(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.target); });
})();
