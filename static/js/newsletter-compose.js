// Live preview of the compose page: posts the form to the preview endpoint while the
// coordinator types and shows the email's HTML and plain-text parts. Without JS, "Save and
// preview" does the same through a reload.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  var frame = document.getElementById("preview-html");
  var text = document.getElementById("preview-text");
  var status = document.getElementById("preview-status");
  if (!form || !frame || !form.dataset.previewUrl) { return; }
  var timer = null;
  var running = 0;

  function refresh() {
    var data = new FormData(form);
    var ticket = ++running;
    fetch(form.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (payload) {
        if (ticket !== running) { return; }
        frame.removeAttribute("src");
        frame.srcdoc = payload.html;
        text.textContent = payload.text;
        if (status) { status.textContent = "Live preview of what you typed, as a recipient named Alex sees it."; }
      })
      .catch(function () { if (status) { status.textContent = "The live preview is unavailable; save to see it."; } });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
