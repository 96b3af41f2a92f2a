// Carte des quartiers: the Leaflet map of the Carte page and the table under it, drawn in the app's own page.
//
// A Streamlit custom component (st.components.v2, no iframe): Streamlit calls the default export with the
// data (``geodata.carte_data.map_data`` or ``table_data`` as UTF-8 JSON bytes) at the first render and whenever
// the data changes, always with the same ``parentElement``; the map or the table lives on that element between
// calls. Why not streamlit-folium and st.dataframe: the iframe, its own bundle and the folium page cost about a
// second at each opening, and the data grid's own scripts, parsed at the same moment, delayed the map by a
// third of a second (issue #10, bench/RESULTS.md). The table is built once the map has started drawing.
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

/** « Limites communales »: a checkbox on the map shows or hides the outlines at once (no round trip to the
 * server); the choice is kept when the map is redrawn with another layer. */
function outlinesControl(L, map, host, outlines, texts) {
  if (host.ecoqpvOutlines !== false) {
    outlines.addTo(map);
  }
  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const box = L.DomUtil.create("label", "ecoqpv-limites");
    box.title = texts.outlines_help;
    const input = L.DomUtil.create("input", "", box);
    input.type = "checkbox";
    input.checked = host.ecoqpvOutlines !== false;
    box.appendChild(document.createTextNode(" " + texts.outlines));
    input.addEventListener("change", () => {
      host.ecoqpvOutlines = input.checked;
      if (input.checked) {
        outlines.addTo(map);
        outlines.bringToBack();
      } else {
        map.removeLayer(outlines);
      }
    });
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  control.addTo(map);
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
    outlinesControl(L, map, host, L.geoJSON(data.outlines, { style: data.outline_style, interactive: false }),
      data.texts);
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

const collator = new Intl.Collator("fr", { sensitivity: "base", numeric: true });

/** Rows of the table in the order of ``sort`` ({column, descending}); numbers sort as numbers, missing last. */
function sortedRows(data, texts, sort) {
  const order = data.rows.map((_, i) => i);
  if (!sort) {
    return order;
  }
  const numbers = data.numbers[String(sort.column)];
  const sign = sort.descending ? -1 : 1;
  order.sort((a, b) => {
    if (numbers) {
      const x = numbers[a];
      const y = numbers[b];
      if (x === null || y === null) {
        return x === y ? a - b : x === null ? 1 : -1; // missing last, whatever the direction
      }
      return sign * (x - y) || a - b;
    }
    return sign * collator.compare(texts[a][sort.column], texts[b][sort.column]) || a - b;
  });
  return order;
}

/** The table under the map: a real table (caption, column headers, sortable), scrolling inside its box. */
function drawTable(host, data, onOpen) {
  const words = data.texts;
  const texts = data.rows.map((row) => row.map((value, j) => (data.coded[j] ? data.shared[value] : value)));
  const box = document.createElement("div");
  box.className = "ecoqpv-tableau";
  box.tabIndex = 0; // a scrolling region is reachable with the keyboard
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", data.caption);
  box.style.maxHeight = data.max_height + "px";
  const table = document.createElement("table");
  table.createCaption().textContent = data.caption;
  const head = table.createTHead().insertRow();
  const body = table.createTBody();
  const rows = texts.map((row, i) => {
    const line = document.createElement("tr");
    row.forEach((text, j) => {
      const cell = line.insertCell();
      if (data.numbers[String(j)]) {
        cell.className = "ecoqpv-nombre";
      }
      if (data.link && data.link.column === j) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "ecoqpv-lien";
        button.title = words.open;
        button.textContent = text;
        button.addEventListener("click", () => onOpen(data.link.codes[i]));
        cell.appendChild(button);
      } else {
        cell.textContent = text;
      }
    });
    return line;
  });
  const headers = data.columns.map((label, j) => {
    const cell = document.createElement("th");
    cell.scope = "col";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    const mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.className = "ecoqpv-tri";
    button.appendChild(mark);
    button.title = words.sort + " " + label;
    button.addEventListener("click", () => {
      const current = host.ecoqpvSort || data.sort;
      host.ecoqpvSort = { column: j, descending: Boolean(current && current.column === j && !current.descending) };
      show();
    });
    cell.appendChild(button);
    head.appendChild(cell);
    return cell;
  });
  function show() {
    const chosen = host.ecoqpvSort || data.sort;
    const sort = chosen && chosen.column < data.columns.length ? chosen : null;
    headers.forEach((cell, j) => {
      const on = sort && sort.column === j;
      if (on) {
        cell.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
      } else {
        cell.removeAttribute("aria-sort");
      }
      cell.querySelector(".ecoqpv-tri").textContent = on ? (sort.descending ? " ▼" : " ▲") : "";
      cell.querySelector("button").title = words.sort + " " + data.columns[j] +
        (on ? " (" + (sort.descending ? words.descending : words.ascending) + ")" : "");
    });
    body.replaceChildren(...sortedRows(data, texts, sort).map((i) => rows[i]));
  }
  show();
  box.appendChild(table);
  host.replaceChildren(box);
}

/** The table is built once the map is drawn and painted (the map first: it is what the page opens on), or at
 * once without a map: after Leaflet has loaded (the map draws as soon as it has), then after the next paint. */
function afterMap() {
  const leaflet = window[LOADING] ? window[LOADING].catch(() => undefined) : Promise.resolve();
  const limit = new Promise((resolve) => setTimeout(resolve, 1500));
  const afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return Promise.race([leaflet, limit]).then(afterPaint);
}

function mountTable(parentElement, text, parsed, setTriggerValue) {
  let host = parentElement.querySelector(".ecoqpv-tableau-hote");
  if (!host) {
    host = document.createElement("div");
    host.className = "ecoqpv-tableau-hote";
    parentElement.appendChild(host);
  }
  if (host.ecoqpvText === text) {
    return undefined;
  }
  host.ecoqpvText = text;
  afterMap().then(() => {
    if (host.ecoqpvText === text) {
      drawTable(host, parsed, (code) => setTriggerValue("qpv", code));
    }
  });
  return () => {
    host.ecoqpvText = null;
  };
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const text = typeof data === "string" ? data : new TextDecoder().decode(data);
  const parsed = JSON.parse(text);
  if (parsed.kind === "tableau") {
    return mountTable(parentElement, text, parsed, setTriggerValue);
  }
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
