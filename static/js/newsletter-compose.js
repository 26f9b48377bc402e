// Live preview of the compose page: posts the form to the preview endpoint while the
// coordinator types and shows the email's HTML and plain-text parts. Without JS, "Save and
// preview" does the same through a reload. The frame is made as tall as the mail it shows, so
// the whole of it (the footer too) is on the page; without JS the frame scrolls instead.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  var frame = document.getElementById("preview-html");
  var text = document.getElementById("preview-text");
  var status = document.getElementById("preview-status");
  if (!frame) { return; }

  function fit() {
    var doc;
    try { doc = frame.contentDocument; } catch (e) { return; }
    if (!doc || !doc.documentElement) { return; }
    var height = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    if (height > 0) { frame.style.height = (height + 2) + "px"; }
  }
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  fit();  // a saved issue's frame may have loaded before this script ran

  if (!form || !form.dataset.previewUrl) { return; }
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
        if (status) { status.textContent = "Live preview of what you typed, as your test copy would read: " + payload.reader + "."; }
      })
      .catch(function () { if (status) { status.textContent = "The live preview is unavailable; save to see it."; } });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();
