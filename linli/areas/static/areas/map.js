// Area maps: the boundary (边界) of an area drawn and edited on a Leaflet map with Leaflet-Geoman.
// No inline scripts (CSP 'self'): each map block carries its data in a JSON script element.
// Without JavaScript the page still works: the summary describes the boundary and the advanced
// section takes GeoJSON. The server validates whatever is posted (linli/areas/geometry.py).
"use strict";

(function () {
  const EARTH_RADIUS = 6378137; // metres, as linli/areas/geometry.py
  const DEFAULT_CENTRE = [39.99, 116.47];
  const OWN_STYLE = { color: "#b8322a", weight: 3, fillOpacity: 0.15 };
  const PARENT_STYLE = { color: "#444", weight: 2, dashArray: "6 6", fill: false, interactive: false, pmIgnore: true };
  const SIBLING_STYLE = { color: "#0b4fa3", weight: 1.5, fillOpacity: 0.05, interactive: false, pmIgnore: true };

  function interpolate(template, values) {
    return template.replace(/%\((\w+)\)[sd]/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function radians(degrees) {
    return (degrees * Math.PI) / 180;
  }

  function ringArea(ring) {
    let total = 0;
    for (let index = 0; index < ring.length - 1; index += 1) {
      const [lon1, lat1] = ring[index];
      const [lon2, lat2] = ring[index + 1];
      total += radians(lon2 - lon1) * (2 + Math.sin(radians(lat1)) + Math.sin(radians(lat2)));
    }
    return Math.abs((total * EARTH_RADIUS * EARTH_RADIUS) / 2);
  }

  function polygonsOf(geometry) {
    if (!geometry) {
      return [];
    }
    if (geometry.type === "Polygon") {
      return [geometry.coordinates];
    }
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates;
    }
    return [];
  }

  function formatArea(squareMetres, strings) {
    if (squareMetres < 100000) {
      const value = Math.round(squareMetres).toLocaleString("en-US");
      return interpolate(strings.squareMetres, { value: value });
    }
    const value = (squareMetres / 1e6).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return interpolate(strings.squareKilometres, { value: value });
  }

  // The same sentence as describe_geometry() on the server.
  function describe(geometry, strings) {
    if (!geometry) {
      return strings.none;
    }
    if (geometry.type === "Point") {
      return interpolate(strings.point, {
        longitude: geometry.coordinates[0].toFixed(6),
        latitude: geometry.coordinates[1].toFixed(6),
      });
    }
    const parts = polygonsOf(geometry);
    let points = 0;
    let area = 0;
    parts.forEach(function (polygon) {
      polygon.forEach(function (ring, index) {
        points += ring.length - 1;
        area += index === 0 ? ringArea(ring) : -ringArea(ring);
      });
    });
    return interpolate(strings.polygon, { parts: parts.length, points: points, area: formatArea(Math.max(area, 0), strings) });
  }

  function usable(geometry) {
    if (geometry && geometry.type === "Feature") {
      geometry = geometry.geometry;
    }
    if (!geometry || !Array.isArray(geometry.coordinates)) {
      return null;
    }
    if (["Point", "Polygon", "MultiPolygon"].indexOf(geometry.type) < 0) {
      return null;
    }
    return { type: geometry.type, coordinates: geometry.coordinates };
  }

  function toLatLngs(rings) {
    return rings.map(function (ring) {
      return ring.map(function (position) {
        return L.latLng(position[1], position[0]);
      });
    });
  }

  function referenceLayer(reference) {
    const geometry = reference.geometry;
    const style = reference.role === "parent" ? PARENT_STYLE : SIBLING_STYLE;
    if (geometry.type === "Point") {
      return L.circleMarker([geometry.coordinates[1], geometry.coordinates[0]], Object.assign({ radius: 4 }, style));
    }
    return L.featureGroup(
      polygonsOf(geometry).map(function (polygon) {
        return L.polygon(toLatLngs(polygon), style);
      }),
    );
  }

  function setUp(block) {
    const config = JSON.parse(block.querySelector("script[type='application/json']").textContent);
    const strings = config.strings;
    const container = block.querySelector(".area-map");
    const summary = block.querySelector("[data-map-summary]");
    const input = block.dataset.input ? document.getElementById(block.dataset.input) : null;
    container.hidden = false;

    const map = L.map(container, {
      minZoom: 3,
      maxZoom: 19,
      attributionControl: Boolean(config.tiles),
      zoomControl: false,
      zoomSnap: 0.5,
    });
    L.control.zoom({ zoomInTitle: strings.zoomIn, zoomOutTitle: strings.zoomOut }).addTo(map);
    if (config.tiles) {
      L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);

    const references = L.featureGroup().addTo(map);
    config.references.forEach(function (reference) {
      references.addLayer(referenceLayer(reference));
    });
    const own = L.featureGroup().addTo(map);

    let initial = config.geometry;
    if (input && input.value.trim()) {
      try {
        initial = usable(JSON.parse(input.value)) || initial;
      } catch (error) {
        // the server has put its error beside the field; show the saved boundary
      }
    }

    function show(geometry) {
      own.clearLayers();
      if (!geometry) {
        return;
      }
      if (geometry.type === "Point") {
        own.addLayer(
          L.marker([geometry.coordinates[1], geometry.coordinates[0]], { title: strings.location, alt: strings.location }),
        );
        return;
      }
      polygonsOf(geometry).forEach(function (polygon) {
        own.addLayer(L.polygon(toLatLngs(polygon), OWN_STYLE));
      });
    }

    function current() {
      const polygons = [];
      let point = null;
      own.eachLayer(function (layer) {
        if (layer instanceof L.Marker) {
          point = layer.toGeoJSON(7).geometry;
        } else if (layer instanceof L.Polygon) {
          const geometry = layer.toGeoJSON(7).geometry;
          if (geometry.type === "Polygon") {
            polygons.push(geometry.coordinates);
          } else {
            Array.prototype.push.apply(polygons, geometry.coordinates);
          }
        }
      });
      if (point) {
        return point;
      }
      if (polygons.length === 0) {
        return null;
      }
      return polygons.length === 1 ? { type: "Polygon", coordinates: polygons[0] } : { type: "MultiPolygon", coordinates: polygons };
    }

    function fit() {
      const bounds = own.getLayers().length ? own.getBounds() : references.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 });
      } else {
        map.setView(DEFAULT_CENTRE, 14);
      }
    }

    show(initial);
    summary.textContent = describe(initial, strings);
    fit();

    if (!config.editable || !map.pm) {
      return;
    }

    // --- editing -------------------------------------------------------------------------------
    const tools = block.querySelector("[data-map-tools]");
    const hint = block.querySelector("[data-map-hint]");
    const importText = block.dataset.importText ? document.getElementById(block.dataset.importText) : null;
    const importFile = block.dataset.importFile ? document.getElementById(block.dataset.importFile) : null;
    const importSection = importText ? importText.closest("details") : null;
    const importStatus = importSection ? importSection.querySelector("[data-import-status]") : null;
    const button = function (action) {
      return tools.querySelector("[data-map-action='" + action + "']");
    };
    tools.hidden = false;
    block.querySelector("[data-map-help]").hidden = false;

    map.pm.setLang(
      "linli",
      {
        tooltips: {
          firstVertex: strings.firstVertex,
          continueLine: strings.continueLine,
          finishPoly: strings.finishPoly,
          placeMarker: strings.placeMarker,
        },
      },
      "en",
    );
    map.pm.setGlobalOptions({
      layerGroup: own,
      allowSelfIntersection: false,
      snappable: true,
      templineStyle: { color: OWN_STYLE.color },
      hintlineStyle: { color: OWN_STYLE.color, dashArray: "4 4" },
      pathOptions: OWN_STYLE,
      markerStyle: { title: strings.location, alt: strings.location },
    });

    function write(fromMap) {
      const geometry = current();
      if (input) {
        input.value = geometry ? JSON.stringify(geometry) : "";
      }
      summary.textContent = describe(geometry, strings);
      if (fromMap) {
        // the map is now the truth: an older paste or file must not override it on saving
        if (importText) {
          importText.value = "";
        }
        if (importFile) {
          importFile.value = "";
        }
      }
    }

    function watch(layer) {
      layer.on("pm:edit pm:update pm:cut", function () {
        write(true);
      });
    }

    function setHint(text) {
      hint.textContent = text || "";
      hint.hidden = !text;
    }

    function setDrawing(drawing) {
      ["finish", "undo-point", "cancel"].forEach(function (action) {
        const element = button(action);
        if (element) {
          element.hidden = !drawing;
        }
      });
      ["draw", "point", "edit", "remove-part", "clear", "reset"].forEach(function (action) {
        const element = button(action);
        if (element) {
          element.disabled = drawing;
        }
      });
    }

    function setPressed(action, pressed) {
      const element = button(action);
      if (element) {
        element.setAttribute("aria-pressed", pressed ? "true" : "false");
      }
    }

    function stopModes() {
      if (map.pm.globalEditModeEnabled()) {
        map.pm.disableGlobalEditMode();
      }
      if (map.pm.globalRemovalModeEnabled()) {
        map.pm.disableGlobalRemovalMode();
      }
      setPressed("edit", false);
      setPressed("remove-part", false);
    }

    own.eachLayer(watch);

    map.on("pm:create", function (event) {
      const layer = event.layer;
      own.eachLayer(function (other) {
        // a location is one point; a boundary and a location do not mix
        if (other !== layer && (layer instanceof L.Marker || other instanceof L.Marker)) {
          own.removeLayer(other);
        }
      });
      watch(layer);
      write(true);
    });
    map.on("pm:remove", function () {
      write(true);
    });
    map.on("pm:drawstart", function (event) {
      setDrawing(true);
      setHint(event.shape === "Marker" ? strings.placeMarker : strings.firstVertex);
      if (event.workingLayer && event.shape === "Polygon") {
        event.workingLayer.on("pm:vertexadded", function () {
          const count = event.workingLayer.getLatLngs().length;
          setHint(count >= 3 ? strings.finishPoly : strings.continueLine);
        });
      }
    });
    map.on("pm:drawend", function () {
      setDrawing(false);
      setHint("");
    });

    tools.addEventListener("click", function (event) {
      const target = event.target.closest("[data-map-action]");
      if (!target) {
        return;
      }
      const action = target.dataset.mapAction;
      if (action === "draw") {
        stopModes();
        map.pm.enableDraw("Polygon");
      } else if (action === "point") {
        stopModes();
        map.pm.enableDraw("Marker");
      } else if (action === "finish") {
        const polygon = map.pm.Draw.Polygon;
        if (polygon.enabled() && polygon._layer.getLatLngs().length >= 3) {
          polygon._finishShape();
        }
      } else if (action === "undo-point") {
        if (map.pm.Draw.Polygon.enabled()) {
          map.pm.Draw.Polygon._removeLastVertex();
        }
      } else if (action === "cancel") {
        map.pm.disableDraw();
      } else if (action === "edit") {
        const on = !map.pm.globalEditModeEnabled();
        stopModes();
        if (on) {
          map.pm.enableGlobalEditMode();
        }
        setPressed("edit", on);
      } else if (action === "remove-part") {
        const on = !map.pm.globalRemovalModeEnabled();
        stopModes();
        if (on) {
          map.pm.enableGlobalRemovalMode();
        }
        setPressed("remove-part", on);
      } else if (action === "clear") {
        stopModes();
        own.clearLayers();
        write(true);
      } else if (action === "reset") {
        stopModes();
        show(config.geometry);
        own.eachLayer(watch);
        write(true);
        fit();
      }
    });

    // The advanced section: pasted or chosen GeoJSON goes onto the map as soon as it parses.
    function load(text) {
      if (!text.trim()) {
        importStatus.textContent = "";
        return;
      }
      let geometry;
      try {
        geometry = usable(JSON.parse(text));
      } catch (error) {
        importStatus.textContent = strings.badJson;
        return;
      }
      if (!geometry) {
        importStatus.textContent = strings.badGeometry;
        return;
      }
      try {
        stopModes();
        show(geometry);
      } catch (error) {
        show(null);
        importStatus.textContent = strings.badGeometry;
        return;
      }
      own.eachLayer(watch);
      write(false);
      fit();
      importStatus.textContent = strings.loaded;
    }

    if (importText && importStatus) {
      let pending = 0;
      importText.addEventListener("input", function () {
        window.clearTimeout(pending);
        pending = window.setTimeout(function () {
          load(importText.value);
        }, 400);
      });
    }
    if (importFile && importStatus) {
      importFile.addEventListener("change", function () {
        const file = importFile.files && importFile.files[0];
        if (!file) {
          return;
        }
        file.text().then(function (text) {
          load(text);
        });
      });
    }
  }

  function start() {
    if (typeof L === "undefined") {
      return;
    }
    // Corner handles are dragged with a pointer only: keep them (and the location pin) out of the
    // tab order instead of offering dozens of unnamed "buttons". Keyboard and screen-reader users
    // get the summary, the named tools and the GeoJSON import.
    L.Marker.mergeOptions({ keyboard: false });
    document.querySelectorAll("[data-area-map]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
