#!/usr/bin/env node
// js/pool_boot_gen.mjs's promises on a linked program (test/boot's wt_boot_test.js, copied):
//   - it writes <prog>.worker.js, patches the main JS's marker in place (same size, every other byte
//     unchanged) and the worker script's to "self:", and a second run gives the same files;
//   - the lazy functions are the big library's (wasm imports only), the boot's own functions stay;
//   - where it cannot apply — an ES module (EXPORT_ES6), no marker — it prints exactly one line, writes
//     no worker script and removes a stale one, and exits 0 (the build goes on, stock boot);
//   - bad usage exits 2 with a message naming the option.
//   node test/boot/gen_test.mjs GENERATOR PROG.js        CTest: node.boot.gen
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const [gen, prog] = process.argv.slice(2);
const fail = (m) => { console.log(`FAIL: ${m}`); process.exit(1); };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wt-boot-gen-'));
const run = (...a) => spawnSync(process.execPath, [gen, ...a], { encoding: 'utf8', env: { ...process.env, WT_LEAN_BOOT_VERBOSE: '1' } });
// The linked program as the linker wrote it: the marker back to its placeholder.
const linked = fs.readFileSync(prog, 'utf8').replace(/(["'])lean:[^"'\s]+( +)\1/, (m, q, pad) =>
  q + '__WT_BOOT_FILE__'.padEnd(m.length - 2, ' ') + q);
if (!linked.includes('__WT_BOOT_FILE__')) fail(`${prog} has no marker`);

const main = path.join(tmp, 'p.js'), worker = path.join(tmp, 'p.worker.js');
fs.writeFileSync(main, linked);
let r = run(main);
if (r.status !== 0) fail(`generator exited ${r.status}: ${r.stdout}${r.stderr}`);
const m1 = fs.readFileSync(main, 'utf8'), w1 = fs.readFileSync(worker, 'utf8');
if (m1.length !== linked.length) fail('the main JS changed size');
const diff = [...m1].findIndex((c, i) => c !== linked[i]), back = m1.replace(/(["'])lean:p\.worker\.js( +)\1/, (m, q) => q + '__WT_BOOT_FILE__'.padEnd(m.length - 2, ' ') + q);
if (diff < 0 || back !== linked) fail('the main JS was not patched exactly at its marker');
if (!/(["'])self:p\.worker\.js +\1/.test(w1)) fail("the worker script's marker is not self:p.worker.js");
if (w1.length * 3 > m1.length) fail(`the worker script is ${w1.length} bytes for a ${m1.length}-byte main JS`);
const lazy = Number(r.stdout.match(/: (\d+) of \d+ large functions lazy/)?.[1]);
if (!(lazy >= 4000)) fail(`only ${lazy} lazy functions (the 4,000 of the big library expected): ${r.stdout}`);
for (const eager of ['function createWasm(', 'function run(', 'function handleMessage(']) if (!w1.includes(eager)) fail(`${eager} was made lazy`);
if (w1.includes('_wt_big_17=(x)=>') || w1.includes('_wt_big_17=x=>')) fail('a big-library function kept its source');
r = run(main);
if (r.status !== 0 || fs.readFileSync(main, 'utf8') !== m1 || fs.readFileSync(worker, 'utf8') !== w1) fail('a second run changed the files');

// Where it cannot apply: one line, no worker script (a stale one removed), exit 0.
const fallback = (what, text, want) => {
  fs.writeFileSync(main, text);
  fs.writeFileSync(worker, 'stale');
  const x = run(main);
  const lines = (x.stdout + x.stderr).trim().split('\n').filter(Boolean);
  if (x.status !== 0) fail(`${what}: exit ${x.status}`);
  if (lines.length !== 1 || !want.test(lines[0]) || !/stock boot/.test(lines[0])) fail(`${what}: expected one line matching ${want}, got: ${lines.join(' | ')}`);
  if (fs.existsSync(worker)) fail(`${what}: the stale worker script is still there`);
};
fallback('an ES module', linked + '\nexport default Module;\n', /ES module \(EXPORT_ES6\)/);
fallback('no marker', linked.replace('__WT_BOOT_FILE__', '__WT_BOOT_XXXX__'), /no boot marker/);
r = run('--min-bytes', 'x', main);
if (r.status !== 2 || !/--min-bytes takes an integer/.test(r.stderr)) fail(`bad --min-bytes: exit ${r.status}: ${r.stderr}`);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`gen_test: worker script ${w1.length} bytes for ${m1.length}, ${lazy} lazy functions, marker in place, stable; fallbacks one line each`);
console.log('OK');
