#!/usr/bin/env node
// Runs a WASI preview-1 command (prog.wasm, the `wasi` tree) to completion under node's built-in
// node:wasi and exits with its exit code, so CTest sees a failed assertion (gtest's main returns 1) as a
// failed test. The program runs on a worker thread: WASI calls are synchronous, so the main thread keeps
// a timer, and a program that does not finish in time is terminated and reported as a probable hang.
//
//   node --no-warnings test/wasi/run-wasi.mjs [--timeout SEC] [--dir HOST[:GUEST]]... [--] prog.wasm [args...]
//
// The program gets its arguments (argv[0] is the file's name), the environment variables whose names
// start with GTEST_ or WT_ (nothing else of the host's), stdin/stdout/stderr, and no file system unless
// --dir preopens HOST as GUEST (default: the same path). A trap (abort(), unreachable, out of bounds)
// is reported and exits 134; the runner's own errors and the timeout print a line starting with
// "run-wasi:" (test/CMakeLists.txt fails a test whose output has one) and exit 2 / 124.
// (--no-warnings: node 20 prints an ExperimentalWarning for node:wasi.)
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

if (isMainThread) {
  const argv = process.argv.slice(2);
  let timeoutSec = 120;
  const preopens = {};
  const fail = (msg) => { console.error(`run-wasi: ${msg}`); process.exit(2); };
  while (argv.length && argv[0].startsWith('--')) {
    const opt = argv.shift();
    if (opt === '--') break;
    const val = argv.shift();
    if (val === undefined) fail(`${opt} needs a value`);
    if (opt === '--timeout') timeoutSec = Number(val);
    else if (opt === '--dir') {
      const [host, guest] = val.split(':');
      preopens[guest || host] = path.resolve(host);
    } else fail(`unknown option ${opt}`);
  }
  const prog = argv.shift();
  if (!prog || !(timeoutSec > 0)) fail('usage: run-wasi.mjs [--timeout SEC] [--dir HOST[:GUEST]]... [--] prog.wasm [args...]');
  const progPath = path.resolve(prog);
  if (!existsSync(progPath)) fail(`${progPath} does not exist (not built?)`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(GTEST_|WT_)/.test(k)));
  const args = [path.basename(progPath), ...argv];

  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { progPath, args, env, preopens },
    stdout: false, stderr: false, // the program writes to fds 1 and 2 itself (node:wasi: fs.writeSync)
  });
  let settled = false;
  const timer = setTimeout(() => {
    settled = true;
    console.error(`run-wasi: TIMEOUT: ${args.join(' ')} did not finish within ${timeoutSec} s under node:wasi (hang?)`);
    worker.terminate().finally(() => process.exit(124));
  }, timeoutSec * 1000);
  worker.on('message', (m) => {
    settled = true;
    clearTimeout(timer);
    if (m.trap) console.error(`run-wasi: ${args[0]} trapped: ${m.trap}`);
    process.exitCode = m.code;
  });
  worker.on('error', (e) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    console.error(`run-wasi: ${e && e.stack || e}`);
    process.exitCode = 2;
  });
  worker.on('exit', () => {
    if (settled) return;
    clearTimeout(timer);
    console.error('run-wasi: the worker ended without an exit code');
    process.exitCode = 2;
  });
} else {
  const { WASI } = await import('node:wasi');
  const { progPath, args, env, preopens } = workerData;
  const wasi = new WASI({ version: 'preview1', args, env, preopens, returnOnExit: true });
  let code, trap;
  try {
    const module = await WebAssembly.compile(readFileSync(progPath));
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    code = wasi.start(instance); // main's return value, or exit()'s status (proc_exit)
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e; // not loadable: the main thread's 'error'
    trap = e.stack;
    code = 134;
  }
  parentPort.postMessage({ code, trap });
}
