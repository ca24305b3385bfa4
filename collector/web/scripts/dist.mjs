// Writes dist/: the served layout (index.html, app.js, app.css, favicon.svg,
// vendor/leaflet/…), for building the collector on a machine without npm:
// TOWERWATCH_WEB_DIST=/path/to/dist cargo build -p towerwatch-collector
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(web, 'dist');
const leaflet = path.join(web, 'node_modules/leaflet');
if (!fs.existsSync(path.join(leaflet, 'dist/leaflet.js'))) {
  throw new Error('node_modules/leaflet is missing: run `npm ci` first');
}
fs.rmSync(dist, { recursive: true, force: true });
fs.cpSync(path.join(web, 'src'), dist, { recursive: true });
const vendor = path.join(dist, 'vendor/leaflet');
fs.mkdirSync(vendor, { recursive: true });
fs.copyFileSync(path.join(leaflet, 'dist/leaflet.js'), path.join(vendor, 'leaflet.js'));
fs.copyFileSync(path.join(leaflet, 'dist/leaflet.css'), path.join(vendor, 'leaflet.css'));
fs.copyFileSync(path.join(leaflet, 'LICENSE'), path.join(vendor, 'LICENSE.txt'));
fs.cpSync(path.join(leaflet, 'dist/images'), path.join(vendor, 'images'), { recursive: true });
console.log(`wrote ${dist}`);
