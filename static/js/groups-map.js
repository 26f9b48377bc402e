// Progressive enhancement: shows the groups of the current page on a map, with the district
// outlines. The list beside it is the page; without JavaScript nothing is lost.
(function () {
  var el = document.getElementById("groups-map");
  var dataEl = document.getElementById("groups-map-data");
  if (!el || !dataEl || !window.IMCMap) return;
  var markers = JSON.parse(dataEl.textContent);
  var map = IMCMap.create(el);
  IMCMap.districts(el).forEach(function (n) {
    IMCMap.outline(el, n, { style: { weight: 1, fillOpacity: 0.08 }, interactive: false }, function (layer) {
      layer.addTo(map);
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
