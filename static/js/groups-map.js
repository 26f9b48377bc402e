// Progressive enhancement: shows every group the directory's filters match on a map, one marker
// per town (fetched from data-markers-url), with the district outlines. The list beside it is
// the page; without JavaScript nothing is lost. Names are set as text, never as markup.
(function () {
  var el = document.getElementById("groups-map");
  if (!el || !el.dataset.markersUrl || !window.IMCMap) return;
  // The first view is the whole state (or the one district the filters name), the same on every
  // load; the markers never move it, whichever arrives first.
  var map = IMCMap.create(el);
  var only = Boolean(el.dataset.only);
  IMCMap.districts(el).forEach(function (n) {
    IMCMap.outline(el, n, { style: { weight: 1, fillOpacity: 0.08 }, interactive: false }, function (layer) {
      layer.addTo(map);
      if (only) map.fitTo(layer.getBounds());
    });
  });

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function popup(t) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = t.town;
    box.appendChild(title);
    box.appendChild(document.createTextNode(" · " + t.count + (t.count === 1 ? " group" : " groups")));
    var list = document.createElement("ul");
    list.className = "list-unstyled mb-1 mt-1";
    t.groups.forEach(function (g) {
      var item = document.createElement("li");
      item.appendChild(link(g.url, g.name));
      list.appendChild(item);
    });
    box.appendChild(list);
    var more = t.count === 1 ? "the 1 group in " + t.town : "all " + t.count + " groups in " + t.town;
    var moreLink = link(t.more_url, more);
    moreLink.className = "groups-map-more";
    box.appendChild(moreLink);
    return box;
  }

  // Radius grows gently: 6px for one group, about 16px for 30, at most 22px.
  function radius(count) {
    return Math.min(22, 6 + 3 * Math.log2(count));
  }

  fetch(el.dataset.markersUrl, { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("map data: " + r.status);
      return r.json();
    })
    .then(function (data) {
      data.towns.forEach(function (t) {
        L.circleMarker([t.lat, t.lon], { radius: radius(t.count), color: "#bc4749", fillOpacity: 0.7, weight: 1 })
          .bindPopup(popup(t))
          .addTo(map);
      });
    })
    .catch(function () {
      // The markers are extra: the outlines and the list stay.
    });
})();
