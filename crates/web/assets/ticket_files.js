// Ticket forms: each attachment field has a file picker. Chosen files are
// uploaded to POST /api/v1/tickets/attachments (same limits as the chat:
// 10 MiB, images, PDF, Office, ZIP, text) and their ids are appended to the
// field's id list, which the server checks when the form is submitted.
(function () {
  "use strict";
  function csrf(form) {
    var i = form && form.querySelector('input[name="_csrf"]');
    return i ? i.value : "";
  }
  async function upload(picker) {
    var ids = document.getElementById(picker.dataset.uploadInto);
    var status = document.getElementById(picker.id.replace(/-file$/, "-status"));
    var form = picker.closest("form");
    var files = Array.prototype.slice.call(picker.files || []);
    for (var k = 0; k < files.length; k++) {
      var fd = new FormData();
      fd.append("file", files[k]);
      status.textContent = picker.dataset.uploading + " " + files[k].name;
      try {
        var r = await fetch("/api/v1/tickets/attachments", {
          method: "POST",
          body: fd,
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrf(form) },
        });
        var body = await r.json().catch(function () { return {}; });
        if (!r.ok) {
          status.textContent = files[k].name + ": " + (body.message || r.status);
          status.classList.add("field-error");
          continue;
        }
        var list = ids.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        list.push(body.id);
        ids.value = list.join(",");
        status.classList.remove("field-error");
        status.textContent = picker.dataset.uploaded + " " + body.name;
      } catch (e) {
        status.textContent = files[k].name + ": " + e;
        status.classList.add("field-error");
      }
    }
    picker.value = "";
  }
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && t.matches && t.matches("input[type=file][data-upload-into]")) upload(t);
  });
})();
