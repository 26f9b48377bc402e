// Progressive enhancement: draws the district outlines where JavaScript runs.
// The page lists every district without it.
// The map opens on the whole state (IMCMap.create); a district's own page then fits its district
// once that one outline has arrived. Outlines arriving never move the statewide view.
(function () {
  var el = document.getElementById("district-map");
  if (!el || !window.IMCMap) return;
  var map = IMCMap.create(el);
  var only = Boolean(el.dataset.only);
  IMCMap.districts(el).forEach(function (n) {
    IMCMap.outline(el, n, { style: { weight: 2, fillOpacity: 0.15 } }, function (layer) {
      layer
        .bindTooltip("MA-" + n)
        .on("click", function () { window.location.href = "/districts/ma-" + n + "/"; })
        .addTo(map);
      if (only) map.fitTo(layer.getBounds());
    });
  });
})();
