#!/usr/bin/env node
// The demo's report (scripts/demo): reads the two variants' logs (DEMO_RESULT / DEMO_UI JSON lines of
// examples/mandel/mandel.c), prints the side-by-side summary table, and writes OUT/report.html — one
// file that opens from disk without network: the numbers, the same table, charts drawn by Chart.js
// (npm chart.js, pinned in package-lock.json, inlined) and the app's screenshots next to it — then a
// PNG screenshot of the report itself (headless Chromium via playwright-core).
//
//   node examples/mandel/report.mjs OUT_DIR webthreads.log emscripten.log [app-webthreads.png app-emscripten.png]
//
// The terminal table and the report's table are made by the same function from the same values, so
// their numbers cannot differ. Exit status 1 when a log has no DEMO_RESULT.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const require = createRequire(path.join(repo, 'package.json'));
const [outDir, wLog, eLog, wPng, ePng] = process.argv.slice(2);
if (!outDir || !wLog || !eLog) {
  console.error('usage: report.mjs OUT_DIR webthreads.log emscripten.log [app-webthreads.png app-emscripten.png]');
  process.exit(2);
}

function read(f) {
  const t = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  const j = (k) => {
    const m = t.match(new RegExp('^' + k + ' (\\{.*\\})$', 'm'));
    return m ? JSON.parse(m[1]) : null;
  };
  return { result: j('DEMO_RESULT'), ui: j('DEMO_UI') || {}, ok: /^DEMO ok$/m.test(t) };
}
const v = { webthreads: read(wLog), emscripten: read(eLog) };
const missing = Object.entries(v).filter(([, r]) => !r.result).map(([k]) => k);

const peak = (ui) => (ui.workers?.length ? Math.max(...ui.workers.map(([, n]) => n)) : undefined);
const end = (ui) => (ui.workers?.length ? ui.workers[ui.workers.length - 1][1] : undefined);
const rows = [
  ['time to main (ms from page start)', (r) => r.ui.main_ms],
  ['time to first frame (ms from page start)', (r) => r.ui.first_frame_ms],
  ['UI event-loop gap, start to last frame, max (ms)', (r) => r.ui.ui_gap_max_ms],
  ['UI event-loop gaps > 50 ms', (r) => r.ui.ui_gaps_over_50ms],
  ['UI long tasks (> 50 ms of work in one task)', (r) => (Array.isArray(r.ui.long_tasks) ? r.ui.long_tasks.length : undefined)],
  ['thread start, mean (ms)', (r) => r.result?.thread_start_mean_ms],
  ['thread start, max (ms)', (r) => r.result?.thread_start_max_ms],
  ['Workers alive, peak', (r) => peak(r.ui)],
  ['Workers alive at the end', (r) => end(r.ui)],
  ['animation (frames/s)', (r) => r.result?.anim_fps],
  ['speed-up vs 1 thread', (r) => r.result?.speedup],
  ['sync calls to the UI thread (/s)', (r) => r.result?.sync_calls_per_s],
  ['JS objects released from another thread', (r) => (r.result?.releases >= 0 ? r.result.releases : 'not possible')],
  ['release rate from another thread (/s)', (r) => (r.result?.releases_per_s >= 0 ? r.result.releases_per_s : 'not possible')],
  ['Promise step: fetch on the UI thread, at start-up (ms)', (r) => r.result?.fetch_ms],
  ['Promise step again, warm page (ms)', (r) => r.result?.fetch_warm_ms],
  ['threads started', (r) => r.result?.threads_started],
];
const table = rows.map(([name, f]) => [name, f(v.webthreads) ?? 'n/a', f(v.emscripten) ?? 'n/a']);

const pad = (s, n) => String(s).padEnd(n - 1) + ' ';
const w = v.webthreads.result || {};
console.log(`== summary (${w.threads ?? '?'} threads, ${w.frames ?? '?'} frames)`);
const w0 = Math.max(...table.map(([n]) => n.length)) + 2;
console.log(pad('', w0) + pad('webthreads', 20) + 'stock emscripten');
for (const [name, a, b] of table) console.log(pad(name, w0) + pad(a, 20) + b);

fs.mkdirSync(outDir, { recursive: true });
// chart.js exports only its modules; its UMD bundle sits beside the main entry (dist/).
const chartJs = fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
const copyPng = (src, name) => {
  if (!src || !fs.existsSync(src)) return null;
  if (path.resolve(src) !== path.resolve(outDir, name)) fs.copyFileSync(src, path.join(outDir, name));
  return name;
};
const shots = { webthreads: copyPng(wPng, 'app-webthreads.png'), emscripten: copyPng(ePng, 'app-emscripten.png') };
const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
const data = { table, webthreads: v.webthreads, emscripten: v.emscripten };
const html = `<!doctype html><meta charset="utf-8"><title>webthreads demo report</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; max-width: 1100px; color: #222 }
table { border-collapse: collapse; margin: 12px 0 } td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right }
td:first-child, th:first-child { text-align: left } .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 24px }
.shots img { width: 480px; border: 1px solid #ccc; margin-right: 16px }
</style>
<h1>webthreads vs stock emscripten: the Mandelbrot demo</h1>
<p>${esc(w.threads ?? '?')} worker threads per frame, ${esc(w.frames ?? '?')} animated frames; written ${esc(new Date().toISOString())}
by <code>scripts/demo</code>. Both variants are built from <code>examples/mandel/mandel.c</code>; the stock one uses
<code>-sPROXY_TO_PTHREAD -sPTHREAD_POOL_SIZE=8</code> and emscripten's own proxying.
Status: webthreads ${v.webthreads.ok ? 'ok' : 'FAILED'}, stock ${v.emscripten.ok ? 'ok' : 'FAILED'}.</p>
<table id="summary"><tr><th></th><th>webthreads</th><th>stock emscripten</th></tr>
${table.map(([n, a, b]) => `<tr><td>${esc(n)}</td><td>${esc(a)}</td><td>${esc(b)}</td></tr>`).join('\n')}
</table>
<div class="charts">
  <div><h3>Workers alive over time</h3><canvas id="workers"></canvas></div>
  <div><h3>UI thread and thread start (ms, lower is better)</h3><canvas id="latency"></canvas></div>
</div>
<div class="shots"><h3>The app's page after the run</h3>
${['webthreads', 'emscripten'].map((k) => shots[k] ? `<img src="${shots[k]}" alt="${k}">` : '').join('')}
</div>
<script>${chartJs}</script>
<script>
const data = ${JSON.stringify(data)};
const series = (k) => (data[k].ui.workers || []).map(([x, y]) => ({ x, y }));
new Chart(document.getElementById('workers'), {
  type: 'line',
  data: { datasets: [
    { label: 'webthreads', data: series('webthreads'), stepped: true, borderColor: '#1b7f3b', pointRadius: 0 },
    { label: 'stock emscripten', data: series('emscripten'), stepped: true, borderColor: '#b03030', pointRadius: 0 } ] },
  options: { animation: false, scales: { x: { type: 'linear', title: { display: true, text: 'ms since page start' } },
                                         y: { beginAtZero: true, title: { display: true, text: 'Workers' } } } },
});
const pick = (k) => [data[k].ui.first_frame_ms, data[k].ui.ui_gap_max_ms, data[k].result?.thread_start_mean_ms, data[k].result?.thread_start_max_ms];
new Chart(document.getElementById('latency'), {
  type: 'bar',
  data: { labels: ['first frame', 'UI gap max', 'thread start mean', 'thread start max'],
          datasets: [ { label: 'webthreads', data: pick('webthreads'), backgroundColor: '#1b7f3b' },
                      { label: 'stock emscripten', data: pick('emscripten'), backgroundColor: '#b03030' } ] },
  options: { animation: false },
});
document.body.dataset.ready = '1';
</script>
`;
const reportPath = path.join(outDir, 'report.html');
fs.writeFileSync(reportPath, html);

// A screenshot of the report itself, from disk (file://: no server, no network).
let reportPng = null, chartPng = null;
try {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.WT_CHROMIUM ?? '/usr/bin/chromium', headless: true,
                                          args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
  await page.goto('file://' + path.resolve(reportPath));
  await page.waitForSelector('body[data-ready="1"]', { timeout: 10000 });
  reportPng = path.join(outDir, 'report.png');
  await page.screenshot({ path: reportPng, fullPage: true });
  // The Workers-alive chart alone (README embeds it).
  chartPng = path.join(outDir, 'chart-workers.png');
  await page.locator('#workers').locator('..').screenshot({ path: chartPng });
  await browser.close();
} catch (e) {
  console.error(`report: screenshot of the report failed: ${e.message}`);
}
console.log(`report: ${path.resolve(reportPath)}`);
if (reportPng) console.log(`report screenshot: ${path.resolve(reportPng)}`);
if (chartPng) console.log(`chart (Workers alive): ${path.resolve(chartPng)}`);
for (const k of ['webthreads', 'emscripten']) if (shots[k]) console.log(`app screenshot (${k}): ${path.resolve(outDir, shots[k])}`);
if (missing.length) {
  console.error(`report: no DEMO_RESULT from ${missing.join(', ')}`);
  process.exit(1);
}
