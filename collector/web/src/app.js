// towerwatch analyst map. Plain ES module; Leaflet (global L) is loaded before it.
// Everything shown comes from the collector's own API; all text from the API is
// inserted as text (never as HTML).

const QUIET_S = 15 * 60; // a suspect not heard for this long is drawn faded
const REFRESH_MS = 20000; // sensors, cells and the full suspect list
const HISTORY_MAX_AGE_MS = 60000; // replay data older than this is fetched again
const HISTORY_LIMIT = 50000; // the API's maximum
const M_PER_DEG = 111320;

const state = {
  config: { tiles: null, tile_attribution: null, auth_required: false, region: '' },
  suspects: new Map(), // id -> Suspect
  sensors: [],
  cells: [],
  fresh: new Map(), // id -> time it arrived live (ms)
  selected: null,
  replayAt: null, // null = live, else ms since epoch
  history: null, // replay data: {windowH, fetchedAt, byId: Map id -> [{t, s}] oldest first, truncated, error}
  windowH: 6,
  filter: '',
  fitted: false,
  obsCache: new Map(), // id -> {at, list}
};

// ---- small helpers -----------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ms = (t) => (t ? Date.parse(t) : NaN);

function fmtTime(t) {
  const d = new Date(typeof t === 'number' ? t : ms(t));
  if (Number.isNaN(d.getTime())) return '—';
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function ago(t, now = Date.now()) {
  const v = typeof t === 'number' ? t : ms(t);
  if (Number.isNaN(v)) return 'never';
  let s = Math.round((now - v) / 1000);
  const future = s < 0;
  s = Math.abs(s);
  let txt;
  if (s < 45) txt = `${s} s`;
  else if (s < 3600) txt = `${Math.round(s / 60)} min`;
  else if (s < 86400) txt = `${(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
  else txt = `${(s / 86400).toFixed(1)} d`;
  return future ? `in ${txt}` : `${txt} ago`;
}

function scoreColor(score) {
  if (score >= 0.8) return '#ff4d4f';
  if (score >= 0.6) return '#ff9f1a';
  if (score >= 0.4) return '#ffd43b';
  return '#8fa8c8';
}

const STATE_COLORS = {
  online: '#3ddc84',
  offline: '#7d8896',
  radio_fault: '#ff9f1a',
  starting: '#5cb2ff',
  unknown: '#4a5563',
};
const STATE_NAMES = {
  online: 'online',
  offline: 'offline',
  radio_fault: 'radio fault',
  starting: 'starting',
  unknown: 'no status',
};

const RAT_NAMES = { lte: 'LTE', gsm: 'GSM', nr: 'NR' };
const ratName = (r) => RAT_NAMES[r] || String(r || '?').toUpperCase();

function plmn(c) {
  return c && c.mcc && c.mnc ? `${c.mcc}-${c.mnc}` : null;
}

/** Identity fields of a cell as [label, value] pairs, per RAT. */
function identity(rat, c) {
  c = c || {};
  const rows = [['RAT', ratName(rat)]];
  if (plmn(c)) rows.push(['PLMN', plmn(c)]);
  if (c.tac !== undefined) rows.push(['TAC', c.tac]);
  if (c.lac !== undefined) rows.push(['LAC', c.lac]);
  if (c.cell_identity !== undefined) {
    let v = String(c.cell_identity);
    if (rat === 'lte') v += `  (eNB ${Math.floor(c.cell_identity / 256)}, cell ${c.cell_identity % 256})`;
    rows.push([rat === 'nr' ? 'NCI' : rat === 'lte' ? 'ECI' : 'CI', v]);
  }
  if (c.earfcn !== undefined) rows.push(['EARFCN', c.earfcn]);
  if (c.arfcn !== undefined) rows.push(['ARFCN', c.arfcn]);
  if (c.nr_arfcn !== undefined) rows.push(['NR-ARFCN', c.nr_arfcn]);
  if (c.gscn !== undefined) rows.push(['GSCN', c.gscn]);
  if (c.pci !== undefined) rows.push(['PCI', c.pci]);
  if (c.bsic !== undefined) rows.push(['BSIC', `${c.bsic} (NCC ${c.bsic >> 3}, BCC ${c.bsic & 7})`]);
  if (c.ssb_index !== undefined) rows.push(['SSB index', c.ssb_index]);
  return rows;
}

/** A one-line name for a cell. */
function cellLabel(rat, c) {
  c = c || {};
  const area = c.tac ?? c.lac;
  if (plmn(c) && area !== undefined && c.cell_identity !== undefined) {
    return `${plmn(c)} · ${area} / ${c.cell_identity}`;
  }
  const ch = c.earfcn ?? c.arfcn ?? c.nr_arfcn ?? c.gscn;
  const phy = c.pci ?? c.bsic;
  return `ch ${ch ?? '?'} · ${c.bsic !== undefined ? 'BSIC' : 'PCI'} ${phy ?? '?'}`;
}

function channelLine(rat, c) {
  c = c || {};
  const parts = [];
  if (c.earfcn !== undefined) parts.push(`EARFCN ${c.earfcn}`);
  if (c.arfcn !== undefined) parts.push(`ARFCN ${c.arfcn}`);
  if (c.nr_arfcn !== undefined) parts.push(`NR-ARFCN ${c.nr_arfcn}`);
  if (c.pci !== undefined) parts.push(`PCI ${c.pci}`);
  if (c.bsic !== undefined) parts.push(`BSIC ${c.bsic}`);
  return parts.join(' · ');
}

// ---- API ------------------------------------------------------------------------

const TOKEN_KEY = 'towerwatch-api-token';
let tokenPrompt = null;

function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function takeTokenFromFragment() {
  const frag = new URLSearchParams(location.hash.slice(1));
  const t = frag.get('token');
  if (t) {
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
    } catch {
      /* storage disabled: the prompt will ask again */
    }
    history.replaceState(null, '', location.pathname + location.search);
  }
}

function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

function askToken(refused) {
  if (tokenPrompt) return tokenPrompt;
  tokenPrompt = new Promise((resolve) => {
    const dlg = $('token-dialog');
    $('token-error').hidden = !refused;
    const form = $('token-form');
    const done = (ev) => {
      ev.preventDefault();
      const v = $('token-input').value.trim();
      if (!v) return;
      try {
        sessionStorage.setItem(TOKEN_KEY, v);
      } catch {
        /* ignore */
      }
      form.removeEventListener('submit', done);
      dlg.close();
      tokenPrompt = null;
      resolve();
    };
    form.addEventListener('submit', done);
    dlg.addEventListener('cancel', (ev) => ev.preventDefault(), { once: true });
    dlg.showModal();
    $('token-input').focus();
  });
  return tokenPrompt;
}

async function api(path) {
  for (let attempt = 0; ; attempt++) {
    if (state.config.auth_required && !token()) await askToken(false);
    const r = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (r.status === 401 && attempt < 5) {
      try {
        sessionStorage.removeItem(TOKEN_KEY);
      } catch {
        /* ignore */
      }
      await askToken(true);
      continue;
    }
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }
}

// ---- map ------------------------------------------------------------------------

let map;
const layers = {};
let gridLabel;

function initMap() {
  map = L.map('map', { zoomControl: true, preferCanvas: false, worldCopyJump: true, attributionControl: true });
  map.attributionControl.setPrefix('<a href="assets/vendor/leaflet/LICENSE.txt" title="Leaflet licence">Leaflet</a>');
  // No view yet: the first data decides it (no tiles of the whole world are fetched for nothing).
  L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);

  const canvas = L.canvas({ padding: 0.3 });
  layers.grid = L.layerGroup();
  layers.hull = L.layerGroup();
  layers.cells = L.layerGroup();
  layers.sensors = L.layerGroup();
  layers.suspects = L.layerGroup();
  layers.canvas = canvas;

  const base = {};
  let tiles = null;
  if (state.config.tiles) {
    let attr = state.config.tile_attribution || '';
    if (!attr && /openstreetmap\.org/i.test(state.config.tiles)) attr = '© OpenStreetMap contributors';
    tiles = L.tileLayer(state.config.tiles, { maxZoom: 19, attribution: escapeHtml(attr), crossOrigin: false });
    base['Map tiles'] = tiles;
    base['Plain grid'] = L.layerGroup();
    tiles.addTo(map);
    map.getContainer().classList.add('tiles');
    map.on('baselayerchange', (e) => {
      map.getContainer().classList.toggle('tiles', e.layer === tiles);
      if (e.layer === tiles) map.removeLayer(layers.grid);
      else map.addLayer(layers.grid);
    });
  } else {
    layers.grid.addTo(map);
  }
  layers.hull.addTo(map);
  layers.cells.addTo(map);
  layers.sensors.addTo(map);
  layers.suspects.addTo(map);
  L.control
    .layers(Object.keys(base).length ? base : null, {
      Suspects: layers.suspects,
      Sensors: layers.sensors,
      'Known cells': layers.cells,
      'Sensor outline': layers.hull,
      Grid: layers.grid,
    }, { collapsed: window.innerWidth < 820 })
    .addTo(map);
  legend().addTo(map);

  gridLabel = L.control({ position: 'bottomleft' });
  gridLabel.onAdd = () => h('div', { class: 'grid-label', id: 'grid-label' });
  gridLabel.addTo(map);

  map.on('moveend zoomend overlayadd overlayremove baselayerchange', drawGrid);
  map.on('click', () => {});
  map.whenReady(drawGrid);
  new ResizeObserver(() => map.invalidateSize()).observe($('map'));
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function legend() {
  const c = L.control({ position: 'bottomright' });
  c.onAdd = () => {
    const sw = (color, cls = '') => h('span', { class: `sw ${cls}`, style: { background: color, borderColor: color } });
    const el = h(
      'details',
      { class: 'legend', open: window.innerWidth >= 820 },
      h('summary', {}, 'Legend'),
      h('div', {}, h('b', {}, 'Suspect score')),
      h('div', {}, sw('#ff4d4f'), '≥ 0.8'),
      h('div', {}, sw('#ff9f1a'), '0.6 – 0.8'),
      h('div', {}, sw('#ffd43b'), '0.4 – 0.6'),
      h('div', {}, sw('#8fa8c8'), '< 0.4'),
      h('div', {}, h('b', {}, 'Sensors')),
      ...['online', 'offline', 'radio_fault'].map((s) => h('div', {}, sw(STATE_COLORS[s], 'ring'), STATE_NAMES[s])),
      h('div', {}, sw('#6f8fb0', 'cell'), 'known cell'),
    );
    L.DomEvent.disableClickPropagation(el);
    return el;
  };
  return c;
}

/** A plain metric grid (no tiles needed); the step follows the zoom. */
function drawGrid() {
  if (!map) return;
  layers.grid.clearLayers();
  const b = map.getBounds();
  const lat0 = map.getCenter().lat;
  // Metres across the view from the pixel scale at the centre (a distance
  // between the view's edges would wrap around the globe when zoomed out).
  const size = map.getSize();
  const mid = size.y / 2;
  const perPx = map.distance(map.containerPointToLatLng([size.x / 2 - 50, mid]), map.containerPointToLatLng([size.x / 2 + 50, mid])) / 100;
  const widthM = Math.max(1, perPx * size.x);
  const raw = widthM / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) || 10 * p;
  const dLat = step / M_PER_DEG;
  const dLon = step / (M_PER_DEG * Math.max(0.05, Math.cos((lat0 * Math.PI) / 180)));
  const south = Math.max(-85, b.getSouth());
  const north = Math.min(85, b.getNorth());
  const style = { color: '#24384d', weight: 1, opacity: 0.9, interactive: false, renderer: layers.canvas };
  const major = { ...style, color: '#2f4a66' };
  let n = 0;
  for (let k = Math.floor(south / dLat); k * dLat <= north && n < 400; k++, n++) {
    layers.grid.addLayer(L.polyline([[k * dLat, b.getWest()], [k * dLat, b.getEast()]], k % 5 ? style : major));
  }
  for (let k = Math.floor(b.getWest() / dLon); k * dLon <= b.getEast() && n < 800; k++, n++) {
    layers.grid.addLayer(L.polyline([[south, k * dLon], [north, k * dLon]], k % 5 ? style : major));
  }
  const label = $('grid-label');
  if (label) {
    label.textContent = map.hasLayer(layers.grid) ? `grid ${step >= 1000 ? `${step / 1000} km` : `${step} m`}` : '';
  }
}

/** Convex hull (Andrew's monotone chain) of [lat, lon] points. */
function hull(points) {
  const pts = [...points].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (pts.length < 3) return pts;
  const cross = (o, a, b) => (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]);
  const lower = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper = [];
  for (const p of pts.reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** The 95 % error ellipse as a polygon of [lat, lon]. */
function ellipse(loc) {
  const e = loc.error_ellipse_m || {};
  const a = Math.max(1, Number(e.major) || 0);
  const b = Math.max(1, Number(e.minor) || 0);
  const br = ((Number(e.bearing_deg) || 0) * Math.PI) / 180;
  const cosLat = Math.max(0.05, Math.cos((loc.lat * Math.PI) / 180));
  const out = [];
  for (let i = 0; i < 64; i++) {
    const t = (i / 64) * 2 * Math.PI;
    const u = a * Math.cos(t);
    const v = b * Math.sin(t);
    // Major axis along the bearing (clockwise from north).
    const east = u * Math.sin(br) + v * Math.cos(br);
    const north = u * Math.cos(br) - v * Math.sin(br);
    out.push([loc.lat + north / M_PER_DEG, loc.lon + east / (M_PER_DEG * cosLat)]);
  }
  return out;
}

function sensorState(s) {
  return (s.status && s.status.state) || 'unknown';
}

function sensorLastSeen(s) {
  const t = [ms(s.last_observation), ms(s.status && s.status.time)].filter((v) => !Number.isNaN(v));
  return t.length ? Math.max(...t) : NaN;
}

function sensorPos(s) {
  const p = s.position || (s.status && s.status.position);
  return p && Number.isFinite(p.lat) && Number.isFinite(p.lon) ? p : null;
}

function drawSensors() {
  layers.sensors.clearLayers();
  layers.hull.clearLayers();
  const pts = [];
  for (const s of state.sensors) {
    const p = sensorPos(s);
    if (!p) continue;
    pts.push([p.lat, p.lon]);
    const st = sensorState(s);
    const m = L.circleMarker([p.lat, p.lon], {
      radius: 6,
      color: STATE_COLORS[st] || STATE_COLORS.unknown,
      weight: 2.5,
      fillColor: '#0e1318',
      fillOpacity: 0.9,
      className: `sensor-marker state-${st}`,
    });
    m.bindTooltip(() => {
      const seen = sensorLastSeen(s);
      const st2 = s.status || {};
      return h(
        'div',
        { class: 'tt' },
        h('b', {}, s.sensor_id),
        h('div', {}, `${STATE_NAMES[st] || st} · last seen ${ago(seen)}`),
        st2.detail ? h('div', {}, st2.detail) : null,
        st2.radio ? h('div', {}, st2.radio) : null,
        h('div', {}, `${s.observations ?? 0} observations`),
      );
    });
    m.on('add', () => {
      const el = m.getElement();
      if (el) el.dataset.sensorId = s.sensor_id;
    });
    layers.sensors.addLayer(m);
  }
  if (pts.length >= 2) {
    const ring = hull(pts);
    const shape = ring.length >= 3 ? L.polygon(ring) : L.polyline(ring);
    shape.setStyle({ color: '#5cb2ff', weight: 1.5, dashArray: '6 5', fillColor: '#5cb2ff', fillOpacity: 0.04, interactive: false });
    layers.hull.addLayer(shape);
  }
  renderSensorSummary();
}

function drawCells() {
  layers.cells.clearLayers();
  for (const c of state.cells) {
    if (!Number.isFinite(c.lat) || !Number.isFinite(c.lon)) continue;
    const m = L.circleMarker([c.lat, c.lon], {
      radius: 4,
      color: '#6f8fb0',
      weight: 1.5,
      fillColor: '#6f8fb0',
      fillOpacity: 0.35,
      renderer: layers.canvas,
    });
    m.bindTooltip(() =>
      h(
        'div',
        { class: 'tt' },
        h('b', {}, `${ratName(c.rat)} ${cellLabel(c.rat, c.cell)}`),
        h('div', {}, `known cell · ${c.source}${c.range_m ? ` · range ${Math.round(c.range_m)} m` : ''}`),
        channelLine(c.rat, c.cell) ? h('div', {}, channelLine(c.rat, c.cell)) : null,
        h('div', {}, `${c.samples ?? 0} samples${c.updated ? ` · updated ${ago(c.updated)}` : ''}`),
      ),
    );
    layers.cells.addLayer(m);
  }
}

// ---- time ---------------------------------------------------------------------

function refTime() {
  return state.replayAt ?? Date.now();
}

// The replay: each suspect's recorded revisions, fetched once per window
// (again when older than a minute), then picked per suspect at the slider time.
let historyLoad = null;
function historyReady() {
  const hs = state.history;
  return !!hs && hs.windowH === state.windowH;
}
function ensureHistory() {
  if (state.replayAt === null || historyLoad) return;
  if (historyReady() && Date.now() - state.history.fetchedAt < HISTORY_MAX_AGE_MS) return;
  const windowH = state.windowH;
  const since = new Date(Date.now() - windowH * 3600e3).toISOString();
  historyLoad = api(`api/v1/suspects/history?since=${encodeURIComponent(since)}&limit=${HISTORY_LIMIT}`)
    .then((r) => {
      const byId = new Map();
      for (const rev of (r && r.revisions) || []) {
        const s = rev && rev.suspect;
        const t = ms(rev && rev.at);
        if (!s || typeof s.id !== 'string' || typeof s.score !== 'number' || Number.isNaN(t)) continue;
        if (!byId.has(s.id)) byId.set(s.id, []);
        byId.get(s.id).push({ t, s });
      }
      for (const revs of byId.values()) revs.sort((a, b) => a.t - b.t);
      state.history = { windowH, fetchedAt: Date.now(), byId, truncated: !!r.truncated, error: null };
    })
    .catch((e) => {
      state.history = { windowH, fetchedAt: Date.now(), byId: new Map(), truncated: false, error: String(e.message || e) };
    })
    .finally(() => {
      historyLoad = null;
      updateTimeLabel();
      scheduleRender();
    });
}

/** The suspect as shown: live, or its latest revision at or before the slider time (or null). */
function shownSuspect(id) {
  if (state.replayAt === null) return state.suspects.get(id) || null;
  if (!historyReady()) return null;
  const revs = state.history.byId.get(id);
  if (!revs) return null;
  let lo = 0;
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (revs[mid].t <= state.replayAt) lo = mid + 1;
    else hi = mid;
  }
  return lo ? revs[lo - 1].s : null;
}

function visibleSuspects() {
  const f = state.filter;
  const out = [];
  const ids = state.replayAt === null ? state.suspects.keys() : historyReady() ? state.history.byId.keys() : [];
  for (const id of ids) {
    const s = shownSuspect(id);
    if (!s) continue; // no revision yet at the replay time
    if (f && !searchText(s).includes(f)) continue;
    out.push(s);
  }
  out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  return out;
}

function isQuiet(s) {
  return ms(s.last_seen) < refTime() - QUIET_S * 1000;
}

function searchText(s) {
  const c = s.cell || {};
  return [s.id, s.rat, ratName(s.rat), plmn(c), c.tac, c.lac, c.cell_identity, c.pci, c.earfcn, c.arfcn, ...(s.evidence || []).map((e) => `${e.kind} ${e.sensor_id || ''}`)]
    .filter((v) => v !== undefined && v !== null)
    .join(' ')
    .toLowerCase();
}

function updateTimeLabel() {
  const out = $('time-label');
  if (state.replayAt === null) {
    out.textContent = 'live';
    out.title = '';
    out.classList.remove('past');
    $('to-live').hidden = true;
  } else {
    out.textContent = `${fmtTime(state.replayAt)} (${ago(state.replayAt)})`;
    out.classList.add('past');
    const hs = historyReady() ? state.history : null;
    out.title = !hs ? 'loading the history…' : hs.error ? `history: ${hs.error}` : hs.truncated ? 'history truncated: only the oldest revisions of the window are shown' : '';
    $('to-live').hidden = false;
  }
}

function sliderChanged() {
  const v = Number($('slider').value);
  state.replayAt = v >= 1000 ? null : Date.now() - state.windowH * 3600e3 * (1 - v / 1000);
  ensureHistory();
  updateTimeLabel();
  scheduleRender();
}

let playing = null;
function play() {
  if (playing) {
    stopPlay();
    return;
  }
  const slider = $('slider');
  if (Number(slider.value) >= 1000) slider.value = 0;
  $('play').textContent = '❚❚';
  playing = setInterval(() => {
    const v = Math.min(1000, Number(slider.value) + 5);
    slider.value = v;
    sliderChanged();
    if (v >= 1000) stopPlay();
  }, 100);
}
function stopPlay() {
  clearInterval(playing);
  playing = null;
  $('play').textContent = '▶';
}

// ---- rendering -------------------------------------------------------------------

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  const list = visibleSuspects();
  renderList(list);
  drawSuspects(list);
  if (state.selected) {
    const s = shownSuspect(state.selected);
    if (s) renderPanel(s);
  }
}

function renderList(list) {
  const ol = $('suspects');
  const now = Date.now();
  const items = list.map((s) => {
    const c = s.cell || {};
    const kinds = [...new Set((s.evidence || []).map((e) => e.kind))];
    const li = h(
      'li',
      {
        tabindex: 0,
        class: [s.id === state.selected ? 'selected' : '', isQuiet(s) ? 'quiet' : '', (state.fresh.get(s.id) || 0) > now - 10000 ? 'fresh' : '']
          .filter(Boolean)
          .join(' '),
        dataset: { id: s.id },
        onclick: () => select(s.id, true),
        onkeydown: (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            select(s.id, true);
          }
        },
      },
      h('span', { class: 'score', style: { background: scoreColor(s.score) }, title: 'Score' }, s.score.toFixed(2)),
      h('span', { class: 's-title' }, h('span', { class: 'rat' }, ratName(s.rat)), cellLabel(s.rat, c)),
      h(
        'span',
        { class: 's-sub' },
        [channelLine(s.rat, c), `seen ${ago(s.last_seen, now)}`, s.location ? null : 'not located'].filter(Boolean).join(' · '),
      ),
      h('span', { class: 'tags' }, kinds.slice(0, 4).map((k) => h('span', { class: 'tag' }, k))),
    );
    return li;
  });
  ol.replaceChildren(...items);
  $('count').textContent = `${list.length}${list.length !== state.suspects.size ? ` of ${state.suspects.size}` : ''}`;
  $('empty').hidden = list.length > 0;
  $('empty').textContent = state.replayAt !== null && !historyReady()
    ? 'Loading the history…'
    : state.suspects.size
    ? 'No suspects match this time and filter.'
    : 'No suspects yet. The map centres on the sensors as soon as they report.';
}

function drawSuspects(list) {
  layers.suspects.clearLayers();
  // Lowest score first so the worst is drawn on top.
  for (const s of [...list].reverse()) {
    const loc = s.location;
    if (!loc || !Number.isFinite(loc.lat) || !Number.isFinite(loc.lon)) continue;
    const color = scoreColor(s.score);
    const sel = s.id === state.selected;
    const quiet = isQuiet(s);
    const el = L.polygon(ellipse(loc), {
      color,
      weight: sel ? 2.5 : 1.2,
      opacity: quiet ? 0.5 : 0.9,
      fillColor: color,
      fillOpacity: sel ? 0.18 : 0.1,
      dashArray: quiet ? '4 4' : null,
      className: 'suspect-ellipse',
    });
    el.on('click', () => select(s.id, false));
    const m = L.circleMarker([loc.lat, loc.lon], {
      radius: sel ? 10 : 8,
      color: sel ? '#ffffff' : '#0e1318',
      weight: sel ? 3 : 2,
      fillColor: color,
      fillOpacity: quiet ? 0.5 : 1,
      className: 'suspect-marker',
    });
    m.bindTooltip(() =>
      h(
        'div',
        { class: 'tt' },
        h('b', {}, `${ratName(s.rat)} ${cellLabel(s.rat, s.cell)}`),
        h('div', {}, `score ${s.score.toFixed(2)} · ±${Math.round(loc.error_ellipse_m?.major ?? 0)} m · ${loc.sensors_used} sensors`),
        h('div', {}, `last seen ${ago(s.last_seen)}`),
      ),
    );
    m.on('click', () => select(s.id, false));
    m.on('add', () => {
      const e = m.getElement();
      if (e) e.dataset.suspectId = s.id;
    });
    layers.suspects.addLayer(el);
    layers.suspects.addLayer(m);
  }
}

function renderSensorSummary() {
  const counts = {};
  for (const s of state.sensors) counts[sensorState(s)] = (counts[sensorState(s)] || 0) + 1;
  const box = $('sensors-summary');
  box.replaceChildren(
    h('span', {}, `${state.sensors.length} sensor${state.sensors.length === 1 ? '' : 's'}`),
    ...Object.entries(counts).map(([k, n]) =>
      h('span', { dataset: { state: k } }, h('span', { class: 'dot', style: { background: STATE_COLORS[k] || STATE_COLORS.unknown } }), `${n} ${STATE_NAMES[k] || k}`),
    ),
  );
}

// ---- selection and the panel ------------------------------------------------------

function select(id, fromList) {
  state.selected = id;
  const s = shownSuspect(id);
  if (!s) return;
  $('main').classList.add('with-panel');
  $('panel').hidden = false;
  render();
  if (s.location) {
    const b = L.latLngBounds(ellipse(s.location));
    if (fromList) map.flyToBounds(b.pad(1.2), { maxZoom: 17, duration: 0.6 });
  }
  const li = document.querySelector(`#suspects li[data-id="${CSS.escape(id)}"]`);
  if (li && !fromList) li.scrollIntoView({ block: 'nearest' });
  setTimeout(() => map.invalidateSize(), 50);
  loadObservations(id);
}

function closePanel() {
  state.selected = null;
  $('panel').hidden = true;
  $('main').classList.remove('with-panel');
  render();
  setTimeout(() => map.invalidateSize(), 50);
}

function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function renderPanel(s) {
  const c = s.cell || {};
  $('p-title').replaceChildren(h('span', { class: 'rat' }, ratName(s.rat)), cellLabel(s.rat, c));
  $('p-sub').textContent = `${s.id} · region ${s.region}`;
  const body = [];

  body.push(h('h3', {}, 'Score'));
  body.push(
    h('div', { class: 'scorebar' }, h('div', { style: { width: `${Math.round(s.score * 100)}%`, background: scoreColor(s.score) } })),
    h('div', { class: 'small muted' }, `${s.score.toFixed(2)} — how likely this station is rogue`),
  );

  body.push(h('h3', {}, 'Identity'));
  body.push(kv(identity(s.rat, c)));

  body.push(h('h3', {}, 'Seen'));
  body.push(
    kv([
      ['First', `${fmtTime(s.first_seen)} (${ago(s.first_seen)})`],
      ['Last', `${fmtTime(s.last_seen)} (${ago(s.last_seen)})`],
    ]),
  );

  body.push(h('h3', {}, 'Location'));
  if (s.location) {
    const l = s.location;
    const e = l.error_ellipse_m || {};
    body.push(
      kv([
        ['Position', `${l.lat.toFixed(6)}, ${l.lon.toFixed(6)}`],
        ['95 % ellipse', `${Math.round(e.major)} × ${Math.round(e.minor)} m, bearing ${Math.round(e.bearing_deg)}°`],
        ['Method', l.method],
        ['Sensors used', l.sensors_used],
      ]),
    );
  } else {
    body.push(h('p', { class: 'muted' }, `Not located${s.not_localizable ? `: ${s.not_localizable}` : ''}.`));
  }

  const ev = s.evidence || [];
  body.push(h('h3', {}, `Evidence (${ev.length})`));
  body.push(evidenceSummary(ev));
  body.push(
    h(
      'details',
      { class: 'obs', dataset: { key: 'all-evidence' } },
      h('summary', { class: 'small' }, `Every entry (${ev.length}), with its detail`),
      h(
      'table',
      { class: 'evidence evidence-all' },
      h('thead', {}, h('tr', {}, h('th', {}, 'What'), h('th', {}, 'Sensor'), h('th', {}, 'Detail'), h('th', {}, 'Weight'))),
      h(
        'tbody',
        {},
        (s.evidence || []).map((e) =>
          h(
            'tr',
            {},
            h('td', { class: 'kind' }, e.kind),
            h('td', {}, e.sensor_id || '—'),
            h('td', {}, e.detail, e.time ? h('div', { class: 'small muted' }, fmtTime(e.time)) : null),
            h('td', { class: 'num' }, e.weight !== undefined ? e.weight.toFixed(2) : '—'),
          ),
        ),
      ),
      ),
    ),
  );

  const powers = [...(s.powers || [])].sort((a, b) => b.power_dbm - a.power_dbm);
  body.push(h('h3', {}, `Power per sensor (${powers.length})`));
  if (powers.length) {
    const hi = powers[0].power_dbm;
    const lo = Math.min(hi - 1, powers[powers.length - 1].power_dbm);
    body.push(
      h(
        'table',
        { class: 'powers' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Sensor'), h('th', {}, 'dBm'), h('th', { style: { width: '35%' } }, ''), h('th', {}, 'When'))),
        h(
          'tbody',
          {},
          powers.map((p) =>
            h(
              'tr',
              {},
              h('td', {}, p.sensor_id),
              h('td', { class: 'num' }, p.power_dbm.toFixed(1)),
              h('td', {}, h('div', { class: 'pbar', style: { width: `${Math.max(3, ((p.power_dbm - lo) / (hi - lo)) * 100)}%` } })),
              h('td', { class: 'small muted' }, ago(p.time)),
            ),
          ),
        ),
      ),
    );
  } else {
    body.push(h('p', { class: 'muted' }, 'No power measurements.'));
  }

  body.push(h('h3', {}, 'System information (latest per sensor)'));
  const cached = state.obsCache.get(s.id);
  if (!cached) body.push(h('p', { class: 'muted' }, 'Loading…'));
  else if (cached.error) body.push(h('p', { class: 'error' }, cached.error));
  else body.push(observationsView(cached.list));

  const pbody = $('p-body');
  const scroll = pbody.scrollTop;
  const open = new Set([...pbody.querySelectorAll('details[open]')].map((d) => d.dataset.key));
  pbody.replaceChildren(...body);
  for (const d of pbody.querySelectorAll('details')) if (open.has(d.dataset.key)) d.open = true;
  pbody.scrollTop = scroll;
}

/** Evidence grouped by kind: what was seen, by which sensors, how much it weighs. */
function evidenceSummary(ev) {
  const groups = new Map();
  for (const e of ev) {
    const g = groups.get(e.kind) || { kind: e.kind, sensors: new Set(), weight: 0, detail: e.detail, latest: NaN };
    if (e.sensor_id) g.sensors.add(e.sensor_id);
    if (typeof e.weight === 'number') g.weight = Math.max(g.weight, e.weight);
    const t = ms(e.time);
    if (!(t <= g.latest)) {
      g.latest = t;
      g.detail = e.detail;
    }
    groups.set(e.kind, g);
  }
  const rows = [...groups.values()].sort((a, b) => b.weight - a.weight);
  return h(
    'table',
    { class: 'evidence evidence-summary' },
    h('thead', {}, h('tr', {}, h('th', {}, 'What'), h('th', {}, 'Seen by'), h('th', {}, 'Weight'))),
    h(
      'tbody',
      {},
      rows.map((g) => {
        const names = [...g.sensors].sort();
        return h(
          'tr',
          {},
          h('td', {}, h('div', { class: 'kind' }, g.kind), h('div', { class: 'small muted' }, g.detail)),
          h(
            'td',
            {},
            names.length ? h('div', {}, `${names.length} sensor${names.length === 1 ? '' : 's'}`) : h('div', { class: 'muted' }, 'collector'),
            names.length ? h('div', { class: 'small muted sensors-list' }, names.join(', ')) : null,
          ),
          h('td', { class: 'num' }, g.weight ? g.weight.toFixed(2) : '—'),
        );
      }),
    ),
  );
}

function observationsView(list) {
  if (!list.length) {
    return h('p', { class: 'muted' }, 'No stored observation of this cell in the hour before it was last seen.');
  }
  const latest = new Map();
  for (const o of list) latest.set(o.sensor_id, o); // oldest first: the last one wins
  const rows = [...latest.values()].sort((a, b) => ms(b.time) - ms(a.time));
  return h(
    'div',
    {},
    rows.map((o, i) => {
      const m = o.measurement || {};
      const power = m.rsrp_dbm ?? m.rxlev_dbm ?? m.ss_rsrp_dbm;
      const details = h(
        'details',
        { class: 'obs', dataset: { key: `${o.sensor_id}` }, open: i === 0 },
        h(
          'summary',
          {},
          h('b', {}, o.sensor_id),
          ` · ${fmtTime(o.time)}`,
          power !== undefined ? ` · ${Number(power).toFixed(1)} dBm` : '',
          (o.anomalies || []).length ? h('span', { class: 'anomaly' }, ` · ${o.anomalies.length} anomal${o.anomalies.length === 1 ? 'y' : 'ies'}`) : '',
        ),
        (o.anomalies || []).map((a) => h('div', { class: 'small anomaly' }, `${a.severity || ''} ${a.kind}: ${a.detail || ''}`)),
        h('pre', { class: 'si' }, o.system_info ? JSON.stringify(o.system_info, null, 2) : 'No system information decoded.'),
      );
      return details;
    }),
  );
}

async function loadObservations(id, force) {
  const c = state.obsCache.get(id);
  if (c && !force && Date.now() - c.at < 10000) return;
  try {
    const list = await api(`api/v1/suspects/${encodeURIComponent(id)}/observations?limit=100`);
    state.obsCache.set(id, { at: Date.now(), list: Array.isArray(list) ? list : [] });
  } catch (e) {
    state.obsCache.set(id, { at: Date.now(), error: String(e.message || e) });
  }
  const s = state.selected === id && shownSuspect(id);
  if (s) renderPanel(s);
}

// ---- export ------------------------------------------------------------------------

function viewSuspects() {
  const b = map.getBounds();
  return visibleSuspects().filter((s) => s.location && b.contains([s.location.lat, s.location.lon]));
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

function stamp() {
  return new Date(refTime()).toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function exportGeoJSON() {
  const features = viewSuspects().map((s) => ({
    type: 'Feature',
    id: s.id,
    geometry: { type: 'Point', coordinates: [s.location.lon, s.location.lat] },
    properties: {
      id: s.id,
      score: s.score,
      rat: s.rat,
      cell: s.cell,
      error_ellipse_m: s.location.error_ellipse_m,
      method: s.location.method,
      sensors_used: s.location.sensors_used,
      evidence: (s.evidence || []).map((e) => e.kind),
      first_seen: s.first_seen,
      last_seen: s.last_seen,
    },
  }));
  download(`towerwatch-suspects-${stamp()}.geojson`, 'application/geo+json', JSON.stringify({ type: 'FeatureCollection', features }, null, 1));
}

function csvCell(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(v);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // no formulas when opened in a spreadsheet
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function exportCSV() {
  const cols = ['id', 'score', 'rat', 'mcc', 'mnc', 'tac', 'lac', 'cell_identity', 'earfcn', 'arfcn', 'nr_arfcn', 'pci', 'bsic', 'lat', 'lon', 'ellipse_major_m', 'ellipse_minor_m', 'ellipse_bearing_deg', 'method', 'sensors_used', 'first_seen', 'last_seen', 'evidence'];
  const lines = [cols.join(',')];
  for (const s of viewSuspects()) {
    const c = s.cell || {};
    const l = s.location;
    const e = l.error_ellipse_m || {};
    lines.push(
      [s.id, s.score, s.rat, c.mcc, c.mnc, c.tac, c.lac, c.cell_identity, c.earfcn, c.arfcn, c.nr_arfcn, c.pci, c.bsic, l.lat, l.lon, e.major, e.minor, e.bearing_deg, l.method, l.sensors_used, s.first_seen, s.last_seen, [...new Set((s.evidence || []).map((x) => x.kind))].join(' ')]
        .map(csvCell)
        .join(','),
    );
  }
  download(`towerwatch-suspects-${stamp()}.csv`, 'text/csv', `${lines.join('\r\n')}\r\n`);
}

// ---- data ----------------------------------------------------------------------------

function fitOnce() {
  if (state.fitted) return;
  const pts = [];
  for (const s of state.sensors) {
    const p = sensorPos(s);
    if (p) pts.push([p.lat, p.lon]);
  }
  for (const s of state.suspects.values()) if (s.location) pts.push([s.location.lat, s.location.lon]);
  if (!pts.length) for (const c of state.cells) if (Number.isFinite(c.lat)) pts.push([c.lat, c.lon]);
  if (!pts.length) return;
  state.fitted = true;
  map.fitBounds(L.latLngBounds(pts).pad(0.15), { maxZoom: 16, animate: false });
}

async function loadAll() {
  const [suspects, sensors, cells] = await Promise.all([api('api/v1/suspects'), api('api/v1/sensors'), api('api/v1/cells')]);
  state.suspects = new Map(suspects.map((s) => [s.id, s]));
  state.sensors = sensors;
  state.cells = cells;
  drawSensors();
  drawCells();
  fitOnce();
  scheduleRender();
}

async function refreshLoop() {
  for (;;) {
    await sleep(REFRESH_MS);
    try {
      await loadAll();
    } catch {
      /* the live indicator shows the connection; try again later */
    }
  }
}

function setLive(kind, text) {
  const el = $('live');
  el.className = `live ${kind}`;
  el.textContent = text;
}

function onSuspectEvent(json) {
  let s;
  try {
    s = JSON.parse(json);
  } catch {
    return;
  }
  if (!s || typeof s.id !== 'string' || typeof s.score !== 'number') return;
  if (!state.suspects.has(s.id)) state.fresh.set(s.id, Date.now());
  state.suspects.set(s.id, s);
  if (state.selected === s.id) loadObservations(s.id);
  fitOnce();
  scheduleRender();
}

/** Server-sent events over fetch (so the bearer token can go in a header). */
async function eventLoop() {
  let delay = 1000;
  for (;;) {
    try {
      if (state.config.auth_required && !token()) await askToken(false);
      const r = await fetch('api/v1/events', { headers: { ...authHeaders(), Accept: 'text/event-stream' }, cache: 'no-store' });
      if (r.status === 401) {
        await askToken(true);
        continue;
      }
      if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
      setLive('on', 'live');
      delay = 1000;
      loadAll().catch(() => {}); // catch up on what happened while disconnected
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        if (buf.length > 8 << 20) buf = ''; // a broken stream must not eat memory
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (event === 'suspect' && data.length) onSuspectEvent(data.join('\n'));
        }
      }
    } catch {
      /* fall through to reconnect */
    }
    setLive('down', 'reconnecting…');
    await sleep(delay);
    delay = Math.min(15000, delay * 2);
  }
}

// ---- start -----------------------------------------------------------------------------

function bindControls() {
  $('slider').addEventListener('input', () => {
    stopPlay();
    sliderChanged();
  });
  $('window').addEventListener('change', () => {
    state.windowH = Number($('window').value) || 6;
    sliderChanged();
  });
  $('to-live').addEventListener('click', () => {
    stopPlay();
    $('slider').value = 1000;
    sliderChanged();
  });
  $('play').addEventListener('click', play);
  $('filter').addEventListener('input', () => {
    state.filter = $('filter').value.trim().toLowerCase();
    scheduleRender();
  });
  $('p-close').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.selected && !$('token-dialog').open) closePanel();
  });
  $('export-geojson').addEventListener('click', exportGeoJSON);
  $('export-csv').addEventListener('click', exportCSV);
  // Relative times and the replay clock move on.
  setInterval(() => {
    if (state.replayAt !== null) updateTimeLabel();
    scheduleRender();
  }, 30000);
}

async function main() {
  takeTokenFromFragment();
  try {
    const r = await fetch('api/v1/map-config', { cache: 'no-store' });
    if (r.ok) Object.assign(state.config, await r.json());
    performance.mark('towerwatch-config');
  } catch {
    /* defaults: no tiles, no token */
  }
  $('region').textContent = state.config.region || '';
  bindControls();
  initMap();
  updateTimeLabel();
  try {
    await loadAll();
  } catch {
    setLive('down', 'API unreachable');
  }
  if (!state.fitted) map.setView([20, 0], 2);
  performance.mark('towerwatch-data');
  document.body.dataset.ready = '1';
  eventLoop();
  refreshLoop();
}

main();
