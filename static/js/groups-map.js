// Progressive enhancement: shows the groups of the current page on a map, with the district
// outlines. The list beside it is the page; without JavaScript nothing is lost.
(function () {
  var el = document.getElementById("groups-map");
  var dataEl = document.getElementById("groups-map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  var markers = JSON.parse(dataEl.textContent);
  el.hidden = false;
  var map = L.map(el, { scrollWheelZoom: false }).setView([42.1, -71.7], 8);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 14,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);
  var colours = ["#1d3557", "#457b9d", "#2a9d8f", "#e76f51", "#6a4c93", "#bc4749", "#386641", "#9c6644", "#264653"];
  var only = el.dataset.only;
  var numbers = only ? [parseInt(only.replace("ma-", ""), 10)] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
  numbers.forEach(function (n) {
    fetch(el.dataset.geoBase + "MA-" + n + ".geojson")
      .then(function (r) { return r.json(); })
      .then(function (data) {
        L.geoJSON(data, { style: { color: colours[n - 1], weight: 1, fillOpacity: 0.08 }, interactive: false })
          .addTo(map);
      });
  });
  var bounds = L.latLngBounds([]);
  markers.forEach(function (m) {
    var link = document.createElement("a");
    link.href = m.url;
    link.textContent = m.name;
    var popup = document.createElement("div");
    popup.appendChild(link);
    popup.appendChild(document.createElement("br"));
    popup.appendChild(document.createTextNode(m.town));
    L.circleMarker([m.lat, m.lon], { radius: 7, color: "#bc4749", fillOpacity: 0.8 }).bindPopup(popup).addTo(map);
    bounds.extend([m.lat, m.lon]);
  });
  if (markers.length) map.fitBounds(bounds.pad(0.3), { maxZoom: 11 });
})();
