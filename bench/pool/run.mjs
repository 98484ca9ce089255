#!/usr/bin/env node
// bench/pool/run.mjs — runs bench/pool's scenarios (see pool_bench.c) under node and headless Chromium,
// each (scenario, variant) in a fresh process or browser, variants alternating within each repetition,
// and prints the BENCH lines, one SUMMARY line per environment and finally the Chromium RESULT line:
//   RESULT main_vs_pool0=<x> spare_burst_start_ms=<ms> cold_burst64_vs_floor=<x> churn_p50_vs_pool4=<x>
//          idle_workers=<n> floor=<n> boot_ms=<ms> emscripten_boot_ms=<ms> churn_noreset_p50_vs_pool4=<x>
//          churn_p50_us=<us> churn_p99_us=<us> churn_parked_p50_us=<us> churn_parked_p99_us=<us>
//          churn_parked_p50_vs_pool4=<x>
// Figures are medians over repetitions; each ratio is the median of the ratios measured within one
// repetition (the two sides a few seconds apart), which the machine's drift affects far less.
// Usage (from the repository root, programs built in build/wasm):
//   node bench/pool/run.mjs [--env node,chromium] [--reps N] [--settle MS]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, process.env.WT_BENCH_TREE || 'build/wasm', 'bench'); // scripts/bench --emscripten: another tree
const runner = path.join(repo, 'test/run-wasm.mjs');

const opts = { env: 'node,chromium', reps: 3, settle: 1500 };
const argv = process.argv.slice(2);
while (argv.length) {
  const [k, v] = [argv.shift(), argv.shift()];
  if (!['--env', '--reps', '--settle'].includes(k) || v === undefined) {
    console.error('usage: run.mjs [--env node,chromium] [--reps N] [--settle MS]');
    process.exit(2);
  }
  opts[k.slice(2)] = k === '--env' ? v : Number(v);
}

// Variants: program and webthreads configuration (the webthreads program takes Module.webthreads).
const NONE = { initial: 0, spare: 0, idle_timeout_ms: -1 }; // nothing booted behind the bench's back (knob table: 0 = none)
const V = {
  wt: { prog: 'wt_bench_pool.js' },
  wtNoReset: { prog: 'wt_bench_pool.js', pool: { reset_globals: false } }, // no globals sweep at thread exit
  wtPark: { prog: 'wt_bench_pool.js', pool: { park: true } }, // parked Workers (off by default): creates without the UI thread
  wtParkNoReset: { prog: 'wt_bench_pool.js', pool: { park: true, reset_globals: false } }, // ... and no globals sweep
  wt64: { prog: 'wt_bench_pool.js', pool: { initial: 64 } },
  wtIdle: { prog: 'wt_bench_pool.js', pool: { idle_timeout_ms: 500 } },
  wtNone: { prog: 'wt_bench_pool.js', pool: NONE },
  em0: { prog: 'wt_bench_pool_em0.js' },
  em4: { prog: 'wt_bench_pool_em4.js' },
  em64: { prog: 'wt_bench_pool_em64.js' },
};

let failed = false;
function run(env, variant, args) {
  const v = V[variant];
  const a = [runner, '--env', env, '--timeout', '300'];
  if (env === 'chromium') a.push('--settle', String(opts.settle));
  if (v.pool) a.push('--config', JSON.stringify({ pool: v.pool }));
  a.push(path.join(bin, v.prog), ...args.map(String));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      if (code !== 0 || !line) {
        failed = true;
        console.log(`FAIL: ${env} ${variant} ${args.join(' ')} (exit ${code}):\n${out.trim()}`);
        return resolve(null);
      }
      console.log(line.replace(/ variant=\S+/, ` variant=${variant}`));
      resolve(Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')).map(([k, x]) => [k, isNaN(x) ? x : Number(x)])));
    });
  });
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function bench(env) {
  const r = {};
  const add = (key, res) => { (r[key] ??= []).push(res); };
  const get = (key, field) => median((r[key] ?? []).map((x) => x && x[field]));
  // Ratios are taken within a repetition (both sides measured minutes apart at most) and the median
  // of those is reported: the machine's speed drifts between repetitions more than the pools differ.
  const ratios = {};
  const addRatio = (key, a, b, field) => { if (a && b && b[field]) (ratios[key] ??= []).push(a[field] / b[field]); };
  for (let i = 0; i < opts.reps; i++) {
    for (const v of ['em0', 'wt64', 'em4', 'em64']) add(`startup.${v}`, await run(env, v, ['startup']));
    addRatio('main_vs_pool0', r['startup.wt64'].at(-1), r['startup.em0'].at(-1), 'main_ms');
    const b = await run(env, 'wtIdle', ['burst', 64]);
    add('burst.wtIdle', b);
    // The floor for the Workers this burst actually had to boot (64 minus its loaded spares).
    const f = await run(env, 'wtNone', ['floor', b ? b.missing : 60]);
    add('floor', f);
    if (b && f) (ratios.cold_burst64_vs_floor ??= []).push(b.burst_ms / f.floor_ms);
    for (const v of ['em4', 'em64']) add(`burst.${v}`, await run(env, v, ['burst', 64]));
  }
  for (const v of ['wt', 'em4']) add(`spare.${v}`, await run(env, v, ['spare', 20]));
  // Churn p50s move by ±30% from one process to the next here: more pairs, and the order alternates.
  for (let i = 0; i < Math.max(2 * opts.reps, 6); i++) {
    for (const v of i % 2 ? ['em4', 'wtParkNoReset', 'wtPark', 'wtNoReset', 'wt'] : ['wt', 'wtNoReset', 'wtPark', 'wtParkNoReset', 'em4'])
      add(`churn.${v}`, await run(env, v, ['churn', 3000]));
    addRatio('churn_p50_vs_pool4', r['churn.wt'].at(-1), r['churn.em4'].at(-1), 'p50_us');
    addRatio('churn_noreset_p50_vs_pool4', r['churn.wtNoReset'].at(-1), r['churn.em4'].at(-1), 'p50_us');
    addRatio('churn_p99_vs_pool4', r['churn.wt'].at(-1), r['churn.em4'].at(-1), 'p99_us');
    addRatio('churn_parked_p50_vs_pool4', r['churn.wtPark'].at(-1), r['churn.em4'].at(-1), 'p50_us');
    addRatio('churn_parked_p50_vs_unparked', r['churn.wtPark'].at(-1), r['churn.wt'].at(-1), 'p50_us');
    addRatio('churn_parked_p99_vs_unparked', r['churn.wtPark'].at(-1), r['churn.wt'].at(-1), 'p99_us');
    addRatio('churn_parked_noreset_p50_vs_pool4', r['churn.wtParkNoReset'].at(-1), r['churn.em4'].at(-1), 'p50_us');
  }
  for (const v of ['wtNone', 'em0']) add(`boot.${v}`, await run(env, v, ['boot', 8]));

  const s = {
    main_ms_wt64: get('startup.wt64', 'main_ms'), ready_ms_wt64: get('startup.wt64', 'ready_ms'),
    main_ms_em0: get('startup.em0', 'main_ms'), main_ms_em4: get('startup.em4', 'main_ms'),
    main_ms_em64: get('startup.em64', 'main_ms'),
    burst_ms_wt: get('burst.wtIdle', 'burst_ms'), burst_ms_em4: get('burst.em4', 'burst_ms'),
    burst_ms_em64: get('burst.em64', 'burst_ms'), floor_ms: get('floor', 'floor_ms'), floor_workers: get('floor', 'workers'),
    spare_round_max_p50_ms_wt: get('spare.wt', 'round_max_p50_ms'), spare_round_max_p50_ms_em4: get('spare.em4', 'round_max_p50_ms'),
    spare_start_max_ms_wt: get('spare.wt', 'start_max_ms'), spare_start_max_ms_em4: get('spare.em4', 'start_max_ms'),
    churn_p50_us_wt: get('churn.wt', 'p50_us'), churn_p50_us_em4: get('churn.em4', 'p50_us'),
    churn_p50_us_wtNoReset: get('churn.wtNoReset', 'p50_us'),
    churn_p50_us_wtPark: get('churn.wtPark', 'p50_us'), churn_p99_us_wtPark: get('churn.wtPark', 'p99_us'),
    churn_p50_us_wtParkNoReset: get('churn.wtParkNoReset', 'p50_us'), churn_p99_us_wtParkNoReset: get('churn.wtParkNoReset', 'p99_us'),
    churn_create_p50_us_wt: get('churn.wt', 'create_p50_us'), churn_create_p50_us_wtPark: get('churn.wtPark', 'create_p50_us'),
    churn_p99_us_wt: get('churn.wt', 'p99_us'), churn_p99_us_em4: get('churn.em4', 'p99_us'),
    churn_alive_wt: get('churn.wt', 'alive_after'), churn_alive_em4: get('churn.em4', 'alive_after'),
    idle_workers: get('burst.wtIdle', 'alive_2s'), idle_workers_em4: get('burst.em4', 'alive_2s'),
    floor: get('burst.wtIdle', 'floor'),
    boot_ms: get('boot.wtNone', 'boot_median_ms'), emscripten_boot_ms: get('boot.em0', 'boot_median_ms'),
  };
  for (const k of ['main_vs_pool0', 'cold_burst64_vs_floor', 'churn_p50_vs_pool4', 'churn_p99_vs_pool4',
                   'churn_noreset_p50_vs_pool4', 'churn_parked_p50_vs_pool4', 'churn_parked_p50_vs_unparked',
                   'churn_parked_p99_vs_unparked', 'churn_parked_noreset_p50_vs_pool4']) s[k] = median(ratios[k] ?? []);
  console.log(`SUMMARY env=${env} ` + Object.entries(s).map(([k, x]) => `${k}=${fmt(x, /_vs_/.test(k) ? 3 : 1)}`).join(' '));
  return s;
}

const envs = opts.env.split(',');
const results = {};
for (const env of envs) {
  console.log(`-- ${env}`);
  results[env] = await bench(env);
}
const c = results.chromium;
if (c) {
  console.log(`RESULT main_vs_pool0=${fmt(c.main_vs_pool0, 3)} spare_burst_start_ms=${fmt(c.spare_round_max_p50_ms_wt, 3)} ` +
              `cold_burst64_vs_floor=${fmt(c.cold_burst64_vs_floor, 3)} churn_p50_vs_pool4=${fmt(c.churn_p50_vs_pool4, 3)} ` +
              `idle_workers=${fmt(c.idle_workers, 0)} floor=${fmt(c.floor, 0)} boot_ms=${fmt(c.boot_ms, 1)} ` +
              `emscripten_boot_ms=${fmt(c.emscripten_boot_ms, 1)} ` +
              `churn_noreset_p50_vs_pool4=${fmt(c.churn_noreset_p50_vs_pool4, 3)} ` +
              `churn_p50_us=${fmt(c.churn_p50_us_wt, 1)} churn_p99_us=${fmt(c.churn_p99_us_wt, 1)} ` +
              `churn_parked_p50_us=${fmt(c.churn_p50_us_wtPark, 1)} churn_parked_p99_us=${fmt(c.churn_p99_us_wtPark, 1)} ` +
              `churn_parked_p50_vs_pool4=${fmt(c.churn_parked_p50_vs_pool4, 3)}`);
}
if (failed) { console.log('bench/pool: some runs failed (see FAIL above)'); process.exitCode = 1; }
