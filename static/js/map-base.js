// What every map of the portal shares: the base map, the district colours and the outlines.
// Loaded before district-map.js and groups-map.js, after Leaflet.
(function () {
  if (typeof L === "undefined") return;
  var COLOURS = ["#1d3557", "#457b9d", "#2a9d8f", "#e76f51", "#6a4c93", "#bc4749", "#386641", "#9c6644", "#d17a00"];
  // The box around the nine outlines in static/geo/ (south, west; north, east): Mount Washington
  // and the New York line in the west, Nantucket and Monomoy in the south and east.
  // tests/districts/test_outlines.py checks that it holds every outline.
  var STATE_BOUNDS = [[41.239, -73.508], [42.887, -69.928]];
  var FIT = { padding: [8, 8], animate: false };

  window.IMCMap = {
    STATE_BOUNDS: STATE_BOUNDS,
    // Shows the element and returns a Leaflet map over the whole state with OpenStreetMap tiles.
    // The first view is fitted once the element has its size, without animation, so it is the
    // same on every load; until someone moves the map, a change of the element's size fits it
    // again (fitTo changes what is fitted, e.g. one district once its outline has arrived).
    create: function (el) {
      el.hidden = false;
      var map = L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
      var target = L.latLngBounds(STATE_BOUNDS);
      var fitting = false;
      var touched = false;
      function fit() {
        if (touched) return;
        fitting = true;
        map.invalidateSize({ pan: false });
        map.fitBounds(target, FIT);
        fitting = false;
      }
      map.on("dragstart", function () { touched = true; });
      map.on("zoomstart", function () { if (!fitting) touched = true; });
      fit();
      if (typeof ResizeObserver !== "undefined") {
        var width = el.clientWidth;
        var height = el.clientHeight;
        new ResizeObserver(function () {
          if (el.clientWidth === width && el.clientHeight === height) return;
          width = el.clientWidth;
          height = el.clientHeight;
          fit();
        }).observe(el);
      }
      map.fitTo = function (bounds) {
        target = L.latLngBounds(bounds);
        fit();
      };
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
    // Every outline path carries the classes imc-outline and imc-outline-ma-N.
    outline: function (el, n, style, onLayer) {
      fetch(el.dataset.geoBase + "MA-" + n + ".geojson")
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var options = {
            style: Object.assign({ color: COLOURS[n - 1], className: "imc-outline imc-outline-ma-" + n }, style.style),
          };
          if (style.interactive === false) options.interactive = false;
          onLayer(L.geoJSON(data, options));
        });
    },
  };
})();
