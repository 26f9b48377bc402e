// The check-in page without reloading: a tap posts the row's own form in the background and
// turns its button. Without JS (or when the request fails) the form posts as usual.
(function () {
  "use strict";
  var count = document.getElementById("checkin-count");

  function turn(form, data) {
    var input = form.querySelector("input[name=attended]");
    var button = form.querySelector("button");
    // The visible words start the button's name; the person's name follows, for screen readers.
    var name = button.getAttribute("data-name");
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = data.attended ? ": " + name + " is checked in, tap to undo" : " " + name;
    input.value = data.attended ? "0" : "1";
    button.className = "btn checkin-button " + (data.attended ? "btn-success" : "btn-outline-primary");
    button.textContent = data.attended ? "\u2713 Here" : "Check in";
    button.appendChild(hidden);
    if (count) { count.textContent = data.came + " of " + data.expected; }
  }

  document.querySelectorAll("form.checkin-mark").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" }
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) { button.disabled = false; turn(form, data); })
        .catch(function () { form.submit(); });
    });
  });
})();
