#!/usr/bin/env node
// bench/boot/run.mjs — Worker boot cost (issue 17): per-Worker boot CPU and time to main with 64
// pre-warmed Workers, for a small program and one with a ~2 MB JS library (test/boot/gen_big_lib.mjs:
// 400 functions, a managed runtime's size), on webthreads with the lean boot (wt), webthreads booting
// from the main JS (wtmain) and stock emscripten (em, PTHREAD_POOL_SIZE=64: main waits for them), and
// the floor: Workers that only receive the module and the memory and instantiate it, from a Blob
// (blob) and from a file served like the program (http).
// Per-Worker CPU = (CPU of a run with 64 Workers - CPU of the same program with none) / 64, both runs
// in the same repetition: in Chromium the browser's whole process tree (run-wasm --cpu: page, Workers,
// browser and network processes), under node the process (its Workers are its threads). Prints BENCH
// lines, one SUMMARY line per environment and finally the Chromium RESULT line:
//   RESULT boot_ms_small=<x> boot_ms_2mb=<x> emscripten_boot_ms_2mb=<x> floor_ms=<x>
// (floor_ms: the Blob floor of the 2 MB program's module.) Figures are medians over repetitions.
// Usage (from the repository root, programs built in build/wasm):
//   node bench/boot/run.mjs [--env node,chromium] [--reps N] [--settle MS] [--workers N]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, process.env.WT_BENCH_TREE || 'build/wasm', 'bench');
const runner = path.join(repo, 'test/run-wasm.mjs');
const opts = { env: 'node,chromium', reps: 3, settle: 1500, workers: 64 };
const argv = process.argv.slice(2);
while (argv.length) {
  const [k, v] = [argv.shift(), argv.shift()];
  if (!['--env', '--reps', '--settle', '--workers'].includes(k) || v === undefined) {
    console.error('usage: run.mjs [--env node,chromium] [--reps N] [--settle MS] [--workers N]');
    process.exit(2);
  }
  opts[k.slice(2)] = k === '--env' ? v : Number(v);
}

let failed = false;
// One run: program, scenario, N; returns the BENCH fields plus cpu (ms, see above).
function run(env, prog, scenario, n) {
  const a = [runner, '--env', env, '--timeout', '300'];
  if (env === 'chromium') a.push('--settle', String(opts.settle), '--cpu');
  if (prog.startsWith('wt_bench_boot_wt')) a.push('--config', JSON.stringify({ pool: { initial: n, spare: 0, idle_timeout_ms: -1 } }));
  a.push(path.join(bin, prog + '.js'), scenario, String(n));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      const cpu = out.match(/^RUNNER cpu_ms=(\d+)/m);
      if (code !== 0 || !line || (env === 'chromium' && !cpu)) {
        failed = true;
        console.log(`FAIL: ${env} ${prog} ${scenario} ${n} (exit ${code}):\n${out.trim()}`);
        return resolve(null);
      }
      const r = Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')).map(([k, x]) => [k, isNaN(x) ? x : Number(x)]));
      r.cpu = env === 'chromium' ? Number(cpu[1]) : r.cpu_ms;
      console.log(`${line} cpu=${r.cpu}`);
      resolve(r);
    });
  });
}
const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function bench(env) {
  const N = opts.workers, per = {}, mainMs = {}, loadedMs = {}, bootMean = {};
  const cases = [];
  for (const size of ['small', '2mb']) {
    for (const v of ['wt', 'wtmain', 'em']) cases.push([`${v}_${size}`, `wt_bench_boot_${v}_${size}`, 'prewarm']);
    cases.push([`blob_${size}`, `wt_bench_boot_em_${size}`, 'blob'], [`http_${size}`, `wt_bench_boot_em_${size}`, 'floor_http']);
  }
  for (let i = 0; i < opts.reps; i++) {
    // Alternate the order between repetitions: the machine drifts.
    for (const [key, prog, scenario] of i % 2 ? [...cases].reverse() : cases) {
      const base = await run(env, prog, scenario, 0), full = await run(env, prog, scenario, N);
      if (!base || !full) continue;
      (per[key] ??= []).push((full.cpu - base.cpu) / N);
      (loadedMs[key] ??= []).push(full.loaded_ms);
      if (full.main_ms !== undefined) (mainMs[key] ??= []).push(full.main_ms);
      if (full.boot_mean_ms >= 0) (bootMean[key] ??= []).push(full.boot_mean_ms);
      if (key.startsWith('wt_') && full.boot_lean !== N) {
        failed = true;
        console.log(`FAIL: ${env} ${key}: ${full.boot_lean} of ${N} Workers booted lean (boot_main=${full.boot_main})`);
      }
    }
  }
  const s = {};
  for (const key of Object.keys(per)) {
    s[`cpu_per_worker_ms_${key}`] = median(per[key]);
    s[`loaded_ms_${key}`] = median(loadedMs[key]);
    if (mainMs[key]) s[`main_ms_${key}`] = median(mainMs[key]);
    if (bootMean[key]) s[`boot_mean_ms_${key}`] = median(bootMean[key]);
  }
  console.log(`SUMMARY env=${env} workers=${N} ` + Object.entries(s).map(([k, x]) => `${k}=${fmt(x)}`).join(' '));
  return s;
}

const results = {};
for (const env of opts.env.split(',')) {
  console.log(`-- ${env}`);
  results[env] = await bench(env);
}
const c = results.chromium;
if (c) {
  console.log(`RESULT boot_ms_small=${fmt(c.cpu_per_worker_ms_wt_small)} boot_ms_2mb=${fmt(c.cpu_per_worker_ms_wt_2mb)} ` +
              `emscripten_boot_ms_2mb=${fmt(c.cpu_per_worker_ms_em_2mb)} floor_ms=${fmt(c.cpu_per_worker_ms_blob_2mb)}`);
}
if (failed) { console.log('bench/boot: some runs failed (see FAIL above)'); process.exitCode = 1; }
