// End-to-end: the real collector binary on loopback, fed over MQTT, looked at
// through headless Chromium (Debian's, driven by playwright-core).
//
// Needs: `cargo build -p towerwatch-collector` (or TOWERWATCH_COLLECTOR_BIN),
// and Chromium at /usr/bin/chromium (or CHROMIUM_PATH). Missing either is a
// failure, not a skip. Screenshots go to collector/web/test-output/.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const BIN = process.env.TOWERWATCH_COLLECTOR_BIN || path.join(repo, 'target/debug/towerwatch-collector');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OUT = path.resolve(here, '../test-output');

if (!fs.existsSync(BIN)) {
  throw new Error(`collector binary ${BIN} is missing: run \`cargo build -p towerwatch-collector\` first (or set TOWERWATCH_COLLECTOR_BIN)`);
}
if (!fs.existsSync(CHROMIUM)) {
  throw new Error(`Chromium ${CHROMIUM} is missing: \`apt-get install -y chromium\` (Debian), or set CHROMIUM_PATH`);
}
fs.mkdirSync(OUT, { recursive: true });

const cleanups = [];
after(async () => {
  for (const f of cleanups.reverse()) {
    try {
      await f();
    } catch {
      /* best effort */
    }
  }
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, f, timeoutMs = 20000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

async function getJson(port, p, token) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!r.ok) throw new Error(`${p}: ${r.status}`);
  return r.json();
}

/** Starts the collector; returns {http, mqtt, dir, stop}. */
async function startCollector(extraArgs = [], { importCells = true } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'towerwatch-web-e2e-'));
  const db = path.join(dir, 'db');
  if (importCells) {
    const csv = path.join(dir, 'cells.csv');
    fs.writeFileSync(
      csv,
      'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n' +
        'LTE,262,1,4021,100,0,13.4010,52.5205,800,50,1,1459813000,1700000000,-90\n' +
        'LTE,262,1,4021,101,0,13.4030,52.5190,800,50,1,1459813000,1700000000,-90\n',
    );
    const out = execFileSync(BIN, ['import-cells', '--data-dir', db, csv], { encoding: 'utf8' });
    assert.match(out, /imported 2 cells/);
  }
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const logPath = path.join(OUT, `collector-${httpPort}.log`);
  const log = fs.openSync(logPath, 'w');
  const child = spawn(
    BIN,
    ['run', '--data-dir', db, '--mqtt-listen', `127.0.0.1:${mqttPort}`, '--http-listen', `127.0.0.1:${httpPort}`, ...extraArgs],
    { stdio: ['ignore', log, log], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = `exit ${code ?? sig}`;
  });
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  await waitFor('collector /healthz', async () => {
    if (exited) throw new Error(`collector ${exited}; see ${logPath}`);
    const r = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    return r.status === 200;
  });
  return { http: httpPort, mqtt: mqttPort, dir, stop };
}

async function connectMqtt(port, id) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: id, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10000 });
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  cleanups.push(() => client.endAsync());
  return client;
}

// A 4 × 4 grid of sensors, 150 m apart, south-west corner at 52.52 N 13.40 E.
const ORIGIN = { lat: 52.52, lon: 13.4 };
const toGeo = ([e, n]) => ({
  lat: ORIGIN.lat + n / 111320,
  lon: ORIGIN.lon + e / (111320 * Math.cos((ORIGIN.lat * Math.PI) / 180)),
});
const SENSORS = Array.from({ length: 16 }, (_, i) => ({ id: `lamp-${String(i).padStart(2, '0')}`, enu: [(i % 4) * 150, Math.floor(i / 4) * 150] }));
const STATES = { 'lamp-14': 'radio_fault', 'lamp-15': 'offline' };

// Mean received power of a transmitter at `x` (ENU metres, 5 m above), the collector's model.
const meanDbm = (x, p0, s) => p0 - 35 * Math.log10(Math.sqrt((x[0] - s[0]) ** 2 + (x[1] - s[1]) ** 2 + 25));

let seq = 0;
function observation(sensor, cell, dbm, extra = {}) {
  seq += 1;
  return {
    schema: 1,
    sensor_id: sensor.id,
    seq,
    time: new Date().toISOString(),
    position: { ...toGeo(sensor.enu), alt_m: 6, source: 'static' },
    rat: 'lte',
    center_freq_hz: 806000000,
    cell,
    measurement: { rsrp_dbm: Math.round(dbm * 10) / 10, rsrq_db: -10.5, sinr_db: 12 },
    ...extra,
  };
}

const lteCell = (tac, ci, pci) => ({ earfcn: 6300, pci, mcc: '262', mnc: '01', tac, cell_identity: ci });
const rogueInfo = (tac, ci) => ({
  system_info: {
    mib: { nof_prb: 25, antenna_ports: 1, sfn: 512, phich_duration: 'normal', phich_resource: 'one' },
    sib1: { plmns: ['26201'], tac, cell_identity: ci, cell_barred: false, q_rx_lev_min_dbm: -140, freq_band_indicator: 20 },
    sib3: { cell_reselection_priority: 7 },
    raw: { sib1: '6840a01234abcdef' },
  },
  anomalies: [{ kind: 'downgrade_priority', severity: 'high', detail: 'GERAN priority 7 above serving LTE priority 5' }],
});

async function publish(client, topic, payload, retain = false) {
  await client.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });
}

async function feedSensors(client) {
  for (const s of SENSORS) {
    await publish(
      client,
      `towerwatch/v1/default/sensors/${s.id}/status`,
      {
        schema: 1,
        sensor_id: s.id,
        state: STATES[s.id] || 'online',
        time: new Date().toISOString(),
        position: { ...toGeo(s.enu), source: 'static' },
        version: '0.1.0',
        radio: 'hackrf 0000000000000000',
        ...(STATES[s.id] === 'radio_fault' ? { detail: 'radio missing; reopening' } : {}),
      },
      true,
    );
  }
}

/** Every sensor hears the two known cells and a rogue at `truth` (ENU metres). */
async function feedRogue(client, { tac, ci, pci, truth }) {
  for (const s of SENSORS) {
    const topic = `towerwatch/v1/default/sensors/${s.id}/observations`;
    await publish(client, topic, observation(s, lteCell(4021, 100, 1), -85));
    await publish(client, topic, observation(s, lteCell(4021, 101, 2), -88));
    await publish(client, topic, observation(s, lteCell(tac, ci, pci), meanDbm(truth, -20, s.enu), rogueInfo(tac, ci)));
  }
}

async function waitLocated(c, ci, token) {
  return waitFor(`suspect ${ci} located`, async () => {
    const all = await getJson(c.http, '/api/v1/suspects', token);
    return all.find((s) => s.cell.cell_identity === ci && s.location && s.location.sensors_used >= 16);
  });
}

async function browser() {
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // playwright-core gives every launch a fresh, temporary --user-data-dir itself.
  });
  cleanups.push(() => b.close());
  return b;
}

/** A page that records console errors, page errors and failed requests. */
async function newPage(b, opts) {
  const ctx = await b.newContext({ acceptDownloads: true, ...opts });
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Leaflet cancels tiles that left the view (ERR_ABORTED); anything else is a problem.
    if (/\/\d+\/\d+\/\d+\.png$/.test(r.url()) && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return { page, ctx, problems };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
}

const BAD_FIRST = { tac: 9999, ci: 77, pci: 301, truth: [230, 280] };
const BAD_LIVE = { tac: 9998, ci: 78, pci: 302, truth: [80, 60] };

test('the analyst map shows the real engine\'s suspects, their evidence and live arrivals', async () => {
  const c = await startCollector();
  const client = await connectMqtt(c.mqtt, 'e2e-feeder');
  await feedSensors(client);
  await feedRogue(client, BAD_FIRST);
  const first = await waitLocated(c, BAD_FIRST.ci);
  assert.ok(first.score > 0.5, `score ${first.score}`);

  const b = await browser();
  const { page, problems } = await newPage(b, { viewport: { width: 1280, height: 800 } });
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${c.http}/`);
  await page.locator('#suspects li').first().waitFor();
  const toList = Date.now() - t0;
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
  const data = await page.evaluate(() => performance.getEntriesByName('towerwatch-data')[0]?.startTime);
  console.log(`desktop: load event ${Math.round(nav.loadEventEnd)} ms, data drawn ${Math.round(data)} ms after navigation start (list seen by the test after ${toList} ms)`);
  assert.ok(nav.loadEventEnd < 1000, `page load took ${nav.loadEventEnd} ms`);
  assert.ok(data < 1000, `first data drawn after ${data} ms`);

  // In the list, highest score first, and on the map.
  const li = page.locator(`#suspects li[data-id="${first.id}"]`);
  await li.waitFor();
  assert.match(await li.innerText(), /262-01 · 9999 \/ 77/);
  await page.locator(`path.suspect-marker[data-suspect-id="${first.id}"]`).waitFor();
  assert.equal(await page.locator('path.suspect-ellipse').count(), 1);
  await waitFor('16 sensors on the map', async () => (await page.locator('path.sensor-marker').count()) === 16);
  assert.equal(await page.locator('path.sensor-marker.state-radio_fault').count(), 1);
  assert.equal(await page.locator('path.sensor-marker.state-offline').count(), 1);
  assert.match(await page.locator('#sensors-summary').innerText(), /16 sensors[\s\S]*14 online[\s\S]*1 radio fault[\s\S]*1 offline/);
  await waitFor('live indicator', async () => (await page.locator('#live').innerText()) === 'live');
  assert.match(await page.locator('#grid-label').innerText(), /grid \d+ (m|km)/);
  await shot(page, 'desktop-list');

  // Clicking it opens its evidence.
  await li.click();
  const panel = page.locator('#panel');
  await panel.waitFor({ state: 'visible' });
  const evidence = await page.locator('#panel table.evidence-summary').innerText();
  assert.match(evidence, /unknown_cell/);
  assert.match(evidence, /lamp-\d\d/, 'evidence names the sensors that saw it');
  assert.equal(await page.locator('#panel table.powers tbody tr').count(), 16);
  await page.locator('#panel pre.si').first().waitFor();
  assert.match(await page.locator('#panel pre.si').first().innerText(), /"sib1"[\s\S]*"tac": 9999/);
  assert.match(await panel.innerText(), /First[\s\S]*Last/);
  await page.waitForTimeout(800); // the fly-to animation
  await shot(page, 'desktop-panel');
  assert.match(await page.locator('#panel div.anomaly').first().innerText(), /downgrade_priority/);
  await page.locator('#panel pre.si').first().scrollIntoViewIfNeeded();
  await shot(page, 'desktop-panel-system-info');

  // Clicking the marker on the map selects it too.
  await page.locator('#p-close').click();
  await panel.waitFor({ state: 'hidden' });
  await page.locator(`path.suspect-marker[data-suspect-id="${first.id}"]`).click();
  await panel.waitFor({ state: 'visible' });
  assert.match(await page.locator('#p-title').innerText(), /9999 \/ 77/);

  // A new rogue appears live, without a reload.
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  await feedRogue(client, BAD_LIVE);
  const second = await waitLocated(c, BAD_LIVE.ci);
  const li2 = page.locator(`#suspects li[data-id="${second.id}"]`);
  await li2.waitFor({ timeout: 15000 });
  // Marked as arriving from the event stream (the periodic refresh does not mark).
  assert.match(await li2.getAttribute('class'), /\bfresh\b/);
  await page.locator(`path.suspect-marker[data-suspect-id="${second.id}"]`).waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload happened');
  assert.equal(await page.locator('#suspects li').count(), 2);
  await shot(page, 'desktop-live');

  // The time slider: six hours ago nothing was there yet; back to live, both are.
  await page.locator('#slider').fill('0');
  await waitFor('empty list in the past', async () => (await page.locator('#suspects li').count()) === 0);
  // Once the history is loaded (the list is empty while it loads, too).
  await waitFor('the history loaded', async () => /No suspects match/.test(await page.locator('#empty').innerText()));
  assert.equal(await page.locator('#suspects li').count(), 0);
  assert.match(await page.locator('#time-label').innerText(), /ago/);
  await page.locator('#to-live').click();
  await waitFor('list back at live', async () => (await page.locator('#suspects li').count()) === 2);

  // Export what is in view (zoomed out enough to hold both).
  await page.locator('#p-close').click();
  await page.locator('.leaflet-control-zoom-out').click();
  await page.waitForTimeout(400);
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
  const csv = fs.readFileSync(await csvDl.path(), 'utf8').trim().split(/\r\n/);
  assert.match(csv[0], /^id,score,rat,mcc,mnc,tac/);
  assert.ok(csv.some((l) => l.startsWith(`${first.id},`)), csv.join('\n'));
  const [gjDl] = await Promise.all([page.waitForEvent('download'), page.locator('#export-geojson').click()]);
  const gj = JSON.parse(fs.readFileSync(await gjDl.path(), 'utf8'));
  assert.equal(gj.type, 'FeatureCollection');
  assert.equal(gj.features.length, csv.length - 1);
  assert.ok(gj.features.some((f) => f.id === first.id && f.geometry.type === 'Point'));

  // Nothing outside loopback was asked for.
  assert.deepEqual(problems, [], problems.join('\n'));

  // A phone.
  const phone = await newPage(b, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.page.goto(`http://127.0.0.1:${c.http}/`);
  await phone.page.locator('#suspects li').nth(1).waitFor();
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow} px wider than the phone`);
  const mapBox = await phone.page.locator('#map').boundingBox();
  assert.ok(mapBox.height > 300 && mapBox.width >= 380, JSON.stringify(mapBox));
  await shot(phone.page, 'phone-list');
  await phone.page.locator(`#suspects li[data-id="${first.id}"]`).tap();
  await phone.page.locator('#panel').waitFor({ state: 'visible' });
  const pbox = await phone.page.locator('#panel').boundingBox();
  assert.ok(pbox.width >= 389 && pbox.height >= 800, `panel covers the phone: ${JSON.stringify(pbox)}`);
  assert.match(await phone.page.locator('#panel table.evidence-summary').innerText(), /unknown_cell/);
  await phone.page.waitForTimeout(300);
  await shot(phone.page, 'phone-panel');
  await phone.page.locator('#p-close').tap();
  await phone.page.locator('#panel').waitFor({ state: 'hidden' });
  assert.deepEqual(phone.problems, [], phone.problems.join('\n'));
});

test('the time slider replays each suspect as it was: earlier, lower score; live restores the latest', async () => {
  const c = await startCollector();
  const client = await connectMqtt(c.mqtt, 'e2e-replay');
  await feedSensors(client);
  // First one sensor hears an unknown cell (a lower score, not locatable);
  // later all of them, with a downgrade anomaly (higher, located).
  const rogue = { tac: 9997, ci: 79, pci: 303, truth: [230, 280] };
  const s0 = SENSORS[0];
  await publish(client, `towerwatch/v1/default/sensors/${s0.id}/observations`, observation(s0, lteCell(rogue.tac, rogue.ci, rogue.pci), -70));
  const low = await waitFor('the first suspect', async () => (await getJson(c.http, '/api/v1/suspects')).find((s) => s.cell.cell_identity === rogue.ci));
  assert.ok(low.score < 0.8 && !low.location, JSON.stringify(low));
  await sleep(9000); // several slider steps apart (1 h window: 3.6 s a step)
  await feedRogue(client, rogue);
  const high = await waitLocated(c, rogue.ci);
  assert.ok(high.score >= 0.8, `score ${high.score}`);
  // The recorded revisions: the last one at the low score, then the first higher one.
  const hist = await getJson(c.http, '/api/v1/suspects/history?limit=50000');
  assert.equal(hist.truncated, false);
  const mine = hist.revisions.filter((r) => r.suspect.id === low.id);
  const i = mine.findIndex((r) => r.suspect.score > low.score);
  assert.ok(i > 0, `a revision before the rise: ${JSON.stringify(mine.map((r) => [r.at, r.suspect.score]))}`);
  const before = mine[i - 1];
  assert.equal(before.suspect.score, low.score);
  const T = (Date.parse(before.at) + Date.parse(mine[i].at)) / 2;
  assert.ok(Date.parse(mine[i].at) - Date.parse(before.at) > 8000, JSON.stringify(mine.map((r) => [r.at, r.suspect.score])));
  const lowText = low.score.toFixed(2);

  const b = await browser();
  const { page, problems } = await newPage(b, { viewport: { width: 1280, height: 800 } });
  await page.goto(`http://127.0.0.1:${c.http}/`);
  const li = page.locator(`#suspects li[data-id="${low.id}"]`);
  const badge = li.locator('.score');
  const marker = page.locator(`path.suspect-marker[data-suspect-id="${low.id}"]`);
  await li.waitFor();
  await marker.waitFor();
  const latest = async () => (await getJson(c.http, `/api/v1/suspects/${low.id}`)).score.toFixed(2);
  await waitFor('the latest score live', async () => (await badge.innerText()) === (await latest()));
  const liveColour = await badge.evaluate((e) => e.style.background);
  const liveFill = await marker.getAttribute('fill');

  // Back to between the two revisions: the earlier, lower score, its colour, no location yet.
  await page.locator('#window').selectOption('1');
  const v = await page.evaluate((t) => Math.round(1000 * (1 - (Date.now() - t) / 3600e3)), T);
  assert.ok(v > 0 && v < 1000, `slider ${v}`);
  await page.locator('#slider').fill(String(v));
  await waitFor('the earlier score in the past', async () => (await badge.innerText()) === lowText);
  assert.notEqual(await badge.evaluate((e) => e.style.background), liveColour, 'coloured by the earlier score');
  assert.equal(await marker.count(), 0, 'not located yet at that time');
  assert.match(await li.innerText(), /not located/);
  assert.match(await page.locator('#time-label').innerText(), /ago/);
  await shot(page, 'replay-past');

  // Before its first revision it is not there at all.
  await page.locator('#slider').fill('0');
  await waitFor('nothing an hour ago', async () => (await page.locator('#suspects li').count()) === 0);

  // Live restores the latest.
  await page.locator('#to-live').click();
  await waitFor('the latest score again', async () => (await badge.innerText()) === (await latest()));
  assert.notEqual(await badge.innerText(), lowText);
  assert.equal(await badge.evaluate((e) => e.style.background), liveColour);
  await marker.waitFor();
  assert.equal(await marker.getAttribute('fill'), liveFill);
  assert.equal(await page.locator('#time-label').innerText(), 'live');
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('with an API token and a tile server: the page asks for the token, then shows tiles and data', async () => {
  // A stand-in tile server on loopback: every tile is the same small PNG.
  const png = fs.readFileSync(path.join(here, '../node_modules/leaflet/dist/images/layers.png'));
  let tiles = 0;
  const tileServer = http.createServer((req, res) => {
    if (/^\/\d+\/\d+\/\d+\.png$/.test(req.url)) {
      tiles += 1;
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => tileServer.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => tileServer.close(r)));
  const tilePort = tileServer.address().port;

  const c = await startCollector(['--api-token', 's3cret', '--tiles', `http://127.0.0.1:${tilePort}/{z}/{x}/{y}.png`, '--tile-attribution', '© test <tiles>']);
  const client = await connectMqtt(c.mqtt, 'e2e-feeder-2');
  await feedSensors(client);
  await feedRogue(client, BAD_FIRST);
  await waitLocated(c, BAD_FIRST.ci, 's3cret');

  const b = await browser();
  const { page, problems } = await newPage(b, { viewport: { width: 1280, height: 800 } });
  await page.goto(`http://127.0.0.1:${c.http}/`);
  await page.locator('#token-dialog').waitFor({ state: 'visible' });
  await page.locator('#token-input').fill('s3cret');
  await page.locator('#token-form button[type=submit]').click();
  await page.locator('#suspects li').first().waitFor();
  await waitFor('live indicator', async () => (await page.locator('#live').innerText()) === 'live');
  await waitFor('tiles from the configured server', async () => tiles > 0 && (await page.locator('img.leaflet-tile-loaded').count()) > 0);
  assert.match(await page.locator('.leaflet-control-attribution').innerText(), /© test <tiles>/);
  await shot(page, 'desktop-tiles-token');

  // With the token in the fragment: no prompt, and the token leaves the address bar.
  const second = await newPage(b, { viewport: { width: 1280, height: 800 } });
  await second.page.goto(`http://127.0.0.1:${c.http}/#token=s3cret`);
  await second.page.locator('#suspects li').first().waitFor();
  assert.equal(await second.page.locator('#token-dialog').isVisible(), false);
  assert.equal(new URL(second.page.url()).hash, '');
  assert.deepEqual([...problems, ...second.problems], [], [...problems, ...second.problems].join('\n'));
});
