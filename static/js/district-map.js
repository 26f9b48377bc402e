// Progressive enhancement: draws the district outlines where JavaScript runs.
// The page lists every district without it.
(function () {
  var el = document.getElementById("district-map");
  if (!el || !window.IMCMap) return;
  var map = IMCMap.create(el);
  var bounds = L.latLngBounds([]);
  IMCMap.districts(el).forEach(function (n) {
    IMCMap.outline(el, n, { style: { weight: 2, fillOpacity: 0.15 } }, function (layer) {
      layer
        .bindTooltip("MA-" + n)
        .on("click", function () { window.location.href = "/districts/ma-" + n + "/"; })
        .addTo(map);
      bounds.extend(layer.getBounds());
      map.fitBounds(bounds);
    });
  });
})();
