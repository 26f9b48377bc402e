// What every map of the portal shares: the base map, the district colours and the outlines.
// Loaded before district-map.js and groups-map.js, after Leaflet.
(function () {
  if (typeof L === "undefined") return;
  var COLOURS = ["#1d3557", "#457b9d", "#2a9d8f", "#e76f51", "#6a4c93", "#bc4749", "#386641", "#9c6644", "#d17a00"];

  window.IMCMap = {
    // Shows the element and returns a Leaflet map over Massachusetts with OpenStreetMap tiles.
    create: function (el) {
      el.hidden = false;
      var map = L.map(el, { scrollWheelZoom: false }).setView([42.1, -71.7], 8);
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 14,
        attribution: "&copy; OpenStreetMap contributors",
      }).addTo(map);
      return map;
    },
    // The districts to outline: the one in data-only ("ma-3"), or all nine.
    districts: function (el) {
      var only = el.dataset.only;
      return only ? [parseInt(only.replace("ma-", ""), 10)] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
    },
    // Fetches district n's outline from data-geo-base and hands a styled layer to onLayer.
    outline: function (el, n, style, onLayer) {
      fetch(el.dataset.geoBase + "MA-" + n + ".geojson")
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var options = { style: Object.assign({ color: COLOURS[n - 1] }, style.style) };
          if (style.interactive === false) options.interactive = false;
          onLayer(L.geoJSON(data, options));
        });
    },
  };
})();
