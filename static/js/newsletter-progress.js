// Updates the progress numbers and bar of a send every two seconds from the JSON endpoint.
// Without JS the page shows the same numbers as of its loading.
(function () {
  "use strict";
  var box = document.getElementById("newsletter-progress");
  if (!box || !box.dataset.url) { return; }
  var fields = ["sent", "failed", "skipped", "remaining", "total"];

  function show(data) {
    fields.forEach(function (name) {
      var el = document.getElementById("progress-" + name);
      if (el) { el.textContent = data[name]; }
    });
    var bar = document.getElementById("progress-bar");
    var fill = document.getElementById("progress-fill");
    bar.setAttribute("aria-valuenow", data.percent);
    fill.style.width = data.percent + "%";
    fill.textContent = data.percent + "%";
    var state = document.getElementById("newsletter-state");
    if (state) { state.textContent = data.status_label; }
    return data.status === "sending" || data.status === "paused";
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) { if (show(data)) { setTimeout(poll, 2000); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
