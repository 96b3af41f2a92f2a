// Carte des quartiers: the Leaflet map of the Carte page, drawn in the app's own page.
//
// A Streamlit custom component (st.components.v2, no iframe): Streamlit calls the default export with the
// map's data (``geodata.webmap.map_data`` as UTF-8 JSON bytes) at the first render and whenever the data
// changes, always with the same ``parentElement``; the map lives on that element between calls. Why not
// streamlit-folium: its iframe, its own bundle and the folium page cost about a second at each opening
// (issue #10, bench/RESULTS.md).
//
// Safety: every text from the data (names of quartiers and communes come from downloaded files) is put in
// the page with ``textContent`` only, never as HTML. The only URLs used are the app's own Leaflet files and
// the tile URL of the app's settings.

const LOADING = "__ecoqpvLeaflet";

/** Leaflet (window.L), loaded once per page from the app's own static folder (no CDN: works offline). */
function loadLeaflet(urls) {
  if (window.L && window.L.version) {
    return Promise.resolve(window.L);
  }
  if (!window[LOADING]) {
    window[LOADING] = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = new URL(urls.css, document.baseURI).href;
      document.head.appendChild(css);
      const script = document.createElement("script");
      script.src = new URL(urls.js, document.baseURI).href;
      script.onload = () => resolve(window.L);
      script.onerror = () => {
        window[LOADING] = null;
        reject(new Error("leaflet"));
      };
      document.head.appendChild(script);
    });
  }
  return window[LOADING];
}

/** Called by the page as it opens (app_pages/carte_map.preload_map), before the map's data is computed. */
export function preload(urls) {
  return loadLeaflet(urls).catch(() => undefined);
}

/** Tooltip of a quartier: a two-column table built from text nodes (``shared``: texts sent once). */
function tooltip(properties, fields, shared) {
  const table = document.createElement("table");
  for (const [key, label, isShared] of fields) {
    const value = isShared ? shared[properties[key]] : properties[key];
    if (value === undefined || value === null) {
      continue;
    }
    const row = table.insertRow();
    const head = document.createElement("th");
    head.scope = "row";
    head.textContent = label;
    row.appendChild(head);
    row.insertCell().textContent = String(value);
  }
  return table;
}

/** French controls, the wheel zoom only while the map has the focus, and a click that never scrolls the page. */
function setUp(L, map, data) {
  const texts = data.texts;
  const container = map.getContainer();
  container.style.background = "#ffffff";
  container.setAttribute("role", "region");
  container.setAttribute("aria-label", texts.aria_label);
  map.attributionControl.setPrefix("Leaflet"); // Leaflet's own prefix is a link with an English title
  L.control.zoom({ position: "topleft", zoomInTitle: texts.zoom_in, zoomOutTitle: texts.zoom_out }).addTo(map);
  L.control.scale({ position: "bottomleft", imperial: false }).addTo(map);
  if (map.keyboard) {
    // Leaflet 1.9 focuses the map on mousedown with a plain focus(), which scrolls the page when the map is
    // partly out of the window: the mouseup then lands elsewhere and the click is lost.
    map.keyboard.disable();
    map.keyboard._onMouseDown = function () {
      if (this._focused) {
        return;
      }
      this._map._container.focus({ preventScroll: true });
    };
    map.keyboard.enable();
  }
  const hint = L.control({ position: "topright" });
  hint.onAdd = () => {
    const div = L.DomUtil.create("div", "ecoqpv-astuce");
    div.textContent = texts.hint;
    return div;
  };
  hint.addTo(map);
  const wheelOn = () => {
    map.scrollWheelZoom.enable();
    hint.getContainer().style.display = "none";
  };
  const wheelOff = () => {
    map.scrollWheelZoom.disable();
    hint.getContainer().style.display = "";
  };
  map.on("focus click", wheelOn);
  map.on("blur", wheelOff);
  container.addEventListener("mouseleave", wheelOff);
  if (data.tiles) {
    const tiles = L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
    tiles.once("tileerror", () => map.hasLayer(tiles) && map.removeLayer(tiles)); // offline: white background
  }
}

/** The quartiers: class colour (thick outline in that colour below ``low_zoom``), tooltip, highlight, click. */
function quartiers(L, map, data, onClick) {
  const styleOf = (feature) => {
    const style = Object.assign({}, data.styles[feature.properties.style]);
    const zoom = map.getZoom();
    if (zoom < data.low_zoom) {
      style.color = style.fillColor;
      style.weight = zoom < data.low_zoom - 2 ? 6 : 4;
      style.opacity = 1;
    }
    return style;
  };
  const layer = L.geoJSON(data.qpv, {
    style: styleOf,
    onEachFeature: (feature, path) => {
      path.bindTooltip(() => tooltip(feature.properties, data.fields, data.texts_shared), { sticky: true, className: "ecoqpv-infobulle" });
      path.on("mouseover", () => {
        path.setStyle(data.highlight);
        path.bringToFront();
      });
      path.on("mouseout", () => layer.resetStyle(path));
      path.on("click", () => onClick(feature.properties.code_qp));
    },
  });
  map.on("zoomend", () => layer.setStyle(styleOf));
  return layer;
}

function draw(L, host, data, onClick) {
  let keep = null;
  const previous = host.ecoqpvMap;
  if (previous) {
    if (host.ecoqpvView === data.view && data.view) {
      keep = { center: previous.getCenter(), zoom: previous.getZoom() }; // same quartiers, another layer
    }
    previous.remove();
  }
  host.textContent = "";
  const map = L.map(host, { zoomControl: false, scrollWheelZoom: false, preferCanvas: false });
  host.ecoqpvMap = map;
  host.ecoqpvView = data.view;
  setUp(L, map, data);
  if (data.outlines) {
    L.geoJSON(data.outlines, { style: data.outline_style, interactive: false }).addTo(map);
  }
  if (keep) {
    map.setView(keep.center, keep.zoom, { animate: false });
  } else if (data.bounds) {
    map.fitBounds(data.bounds, { animate: false });
  } else {
    map.setView(data.center, 5, { animate: false });
  }
  quartiers(L, map, data, onClick).addTo(map);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  const parsed = JSON.parse(text);
  let host = parentElement.querySelector(".ecoqpv-carte");
  if (!host) {
    host = document.createElement("div");
    host.className = "ecoqpv-carte";
    parentElement.appendChild(host);
  }
  if (host.ecoqpvText === text) {
    return undefined; // the same map (a rerun after a click or another widget): keep it as the user left it
  }
  host.ecoqpvText = text;
  loadLeaflet(parsed.leaflet)
    .then((L) => {
      if (host.ecoqpvText === text) {
        draw(L, host, parsed, (code) => setTriggerValue("qpv", code));
      }
    })
    .catch(() => {
      host.ecoqpvText = null;
      const message = document.createElement("p");
      message.className = "ecoqpv-carte-erreur";
      message.setAttribute("role", "alert");
      message.textContent = parsed.texts.failed;
      host.replaceChildren(message);
    });
  return () => {
    if (host.ecoqpvMap) {
      host.ecoqpvMap.remove();
      host.ecoqpvMap = null;
    }
    host.ecoqpvText = null;
  };
}
