#!/usr/bin/env node
// The demo report's promise: the numbers in build/demo/report.html are the numbers of the terminal
// summary scripts/demo prints. Runs examples/mandel/report.mjs on two recorded runs of the app (the
// fixtures beside this file: a webthreads and a stock log from scripts/demo in Chromium) into a temporary
// directory, then compares the summary table it printed with the report's table, cell by cell, and both
// with the values in the logs' DEMO_RESULT / DEMO_UI lines.
//
//   node test/demo/report_test.mjs        (CTest: host.demo.report)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const fail = (m) => { console.log(`FAIL: ${m}`); process.exit(1); };
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wt-demo-report-'));
const logs = ['webthreads', 'emscripten'].map((v) => path.join(here, `${v}.fixture.log`));
let stdout;
try {
  stdout = execFileSync('node', [path.join(repo, 'examples/mandel/report.mjs'), out, ...logs], { encoding: 'utf8' });
} catch (e) {
  fail(`report.mjs exited ${e.status}:\n${e.stdout}${e.stderr}`);
}

// The terminal table: a header line with the two column titles, then one row per line until "report:".
const lines = stdout.split('\n');
const h = lines.findIndex((l) => l.includes('webthreads') && l.includes('stock emscripten') && !l.startsWith('=='));
if (h < 0) fail(`no summary header in the output:\n${stdout}`);
const c1 = lines[h].indexOf('webthreads'), c2 = lines[h].indexOf('stock emscripten');
const term = [];
for (const l of lines.slice(h + 1)) {
  if (!l.trim() || l.startsWith('report')) break;
  term.push([l.slice(0, c1).trim(), l.slice(c1, c2).trim(), l.slice(c2).trim()]);
}

// The report's table (#summary), unescaped.
const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
const t = html.match(/<table id="summary">([\s\S]*?)<\/table>/);
if (!t) fail('report.html has no <table id="summary">');
const unesc = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const rep = [...t[1].matchAll(/<tr><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => m.slice(1).map(unesc));

if (term.length < 10) fail(`the terminal table has ${term.length} rows:\n${stdout}`);
if (rep.length !== term.length) fail(`the report's table has ${rep.length} rows, the terminal's ${term.length}`);
for (let i = 0; i < term.length; i++)
  for (let j = 0; j < 3; j++)
    if (term[i][j] !== rep[i][j]) fail(`row ${i + 1} ("${term[i][0]}"), column ${j}: terminal "${term[i][j]}", report "${rep[i][j]}"`);

// Both against the logs themselves (so two tables that agree on wrong numbers fail too).
const json = (f, k) => JSON.parse(fs.readFileSync(f, 'utf8').match(new RegExp(`^${k} (\\{.*\\})$`, 'm'))[1]);
const row = (name) => term.find(([n]) => n === name) ?? fail(`no row "${name}"`);
for (const [col, f] of [[1, logs[0]], [2, logs[1]]]) {
  const r = json(f, 'DEMO_RESULT'), ui = json(f, 'DEMO_UI');
  const want = [
    ['time to first frame (ms from page start)', ui.first_frame_ms],
    ['sync calls to the UI thread (/s)', r.sync_calls_per_s],
    ['threads started', r.threads_started],
    ['speed-up vs 1 thread', r.speedup],
    ['Workers alive at the end', ui.workers.at(-1)[1]],
  ];
  for (const [name, v] of want)
    if (row(name)[col] !== String(v)) fail(`"${name}" (${col === 1 ? 'webthreads' : 'stock'}): table "${row(name)[col]}", log ${v}`);
}
fs.rmSync(out, { recursive: true, force: true });
console.log(`report_test: ${term.length} rows, terminal and report.html agree with each other and with the logs`);
console.log('OK');
