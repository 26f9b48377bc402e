// Progressive enhancement: draws the district outlines where JavaScript runs.
// The page lists every district without it.
(function () {
  var el = document.getElementById("district-map");
  if (!el || typeof L === "undefined") return;
  el.hidden = false;
  var map = L.map(el, { scrollWheelZoom: false }).setView([42.1, -71.7], 8);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 14,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);
  var colours = ["#1d3557", "#457b9d", "#2a9d8f", "#e76f51", "#6a4c93", "#bc4749", "#386641", "#9c6644", "#d17a00"];
  var only = el.dataset.only;
  var numbers = only ? [parseInt(only.replace("ma-", ""), 10)] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
  var bounds = L.latLngBounds([]);
  numbers.forEach(function (n) {
    fetch(el.dataset.geoBase + "MA-" + n + ".geojson")
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, { style: { color: colours[n - 1], weight: 2, fillOpacity: 0.15 } })
          .bindTooltip("MA-" + n)
          .on("click", function () { window.location.href = "/districts/ma-" + n + "/"; })
          .addTo(map);
        bounds.extend(layer.getBounds());
        map.fitBounds(bounds);
      });
  });
})();
