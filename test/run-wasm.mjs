#!/usr/bin/env node
// Runs an emscripten program (prog.js + prog.wasm) to completion under node or headless Chromium,
// relays its output, and exits with its exit code. A program that does not finish in time is killed
// and reported as a probable deadlock, so a hung test fails with a message instead of hanging CTest.
//
//   node test/run-wasm.mjs [--env node|chromium] [--timeout SEC] [--config JSON] [--settle MS] [--no-coi] [--cpu]
//                          [--screenshot FILE.png] prog.js [args...]
//
// --config is the webthreads configuration object: Module.webthreads in the page, and the
// WEBTHREADS_CONFIG environment variable under node (js/library_webthreads.js reads either). Its JSON
// text goes through unchanged (not re-serialised), so a number such as 1e400 reaches the program as
// Infinity, as it would from a page or an environment variable.
// --screenshot (Chromium) saves a PNG of the page as the program left it, once it has finished: its
// first <canvas> if it has one, else the viewport.
// --cpu (Chromium; benchmarks) prints "RUNNER cpu_ms=<ms>" at the end: the CPU time (user + system) of
// the browser's whole process tree from just before the page is loaded until the program finished.
// --settle (Chromium; benchmarks) waits MS after the browser starts before loading the page: headless
// Chromium burns about a second of CPU just after launch, which would otherwise land in start-up timings.
// Both environments: a static server on 127.0.0.1 (port chosen by the OS) serves the program's folder
// with COOP/COEP headers (and single byte ranges: the lean boot's Workers read the main JS so), so a
// program can fetch its own files over http (node 20's fetch has no
// file://). Under node its address (ending in '/') is in the WT_TEST_BASE_URL environment variable; in
// Chromium it is the page's own origin (location.href), and the page must be crossOriginIsolated or
// the run fails. --no-coi (single-threaded programs, the wasm-st tree) serves everything WITHOUT the
// COOP/COEP headers instead: the page must then NOT be crossOriginIsolated, and a program that
// constructs a Worker fails the run. The page also gets window.__wt_memory() (see memoryProbe) for leak checks.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
let env = 'node', timeoutSec = 120, config = null, settleMs = 0, coi = true, screenshot = null, cpu = false;
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  if (opt === '--') break;
  if (opt === '--no-coi') { coi = false; continue; }
  if (opt === '--cpu') { cpu = true; continue; }
  const val = argv.shift();
  if (val === undefined) fail(`${opt} needs a value`);
  if (opt === '--env') env = val;
  else if (opt === '--timeout') timeoutSec = Number(val);
  else if (opt === '--config') { JSON.parse(val); config = val; } // passed on as written (1e400 stays Infinity)
  else if (opt === '--settle') settleMs = Number(val);
  else if (opt === '--screenshot') screenshot = path.resolve(val);
  else fail(`unknown option ${opt}`);
}
const prog = argv.shift();
if (!prog || !['node', 'chromium'].includes(env) || !(timeoutSec > 0) || !(settleMs >= 0)) {
  fail('usage: run-wasm.mjs [--env node|chromium] [--timeout SEC] [--config JSON] [--settle MS] [--no-coi] [--cpu] [--screenshot FILE.png] prog.js [args...]');
}
const progPath = path.resolve(prog);
const progArgs = argv;
if (!existsSync(progPath)) fail(`${progPath} does not exist (not built?)`);

function fail(msg) { console.error(`run-wasm: ${msg}`); process.exit(2); }
function timedOut(extra) {
  console.error(`run-wasm: TIMEOUT: ${path.basename(progPath)} ${progArgs.join(' ')} did not finish within ` +
                `${timeoutSec} s under ${env} (deadlock or hang?)${extra ? '\n' + extra : ''}`);
}

if (env === 'node') {
  await runNode();
} else {
  await runChromium();
}

// Serves the program's folder (and `page` at /, when given) on 127.0.0.1; resolves to the server and
// its origin. onMissingScript(url): the program asked for a .js/.wasm that does not exist.
async function serveFolder(page, onMissingScript) {
  const root = path.dirname(progPath);
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
                  '.html': 'text/html', '.json': 'application/json', '.data': 'application/octet-stream',
                  '.txt': 'text/plain; charset=utf-8' };
  const server = createServer(async (req, res) => {
    const headers = coi ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
                            'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store' }
                        : { 'Cache-Control': 'no-store' };
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (url === '/favicon.ico') { res.writeHead(204, headers); res.end(); return; }
    if (url === '/' && page) { res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }); res.end(page); return; }
    const file = path.join(root, path.normalize(url));
    if (!file.startsWith(root + path.sep)) { res.writeHead(403, headers); res.end(); return; }
    try {
      const body = await readFile(file);
      const type = { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes' };
      // Single byte ranges (the lean boot's worker script reads function sources from the main JS so).
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (range && +range[1] <= +range[2] && +range[1] < body.length) {
        const a = +range[1], b = Math.min(+range[2], body.length - 1);
        res.writeHead(206, { ...headers, ...type, 'Content-Range': `bytes ${a}-${b}/${body.length}` });
        res.end(body.subarray(a, b + 1));
        return;
      }
      res.writeHead(200, { ...headers, ...type });
      res.end(body);
    } catch {
      res.writeHead(404, headers); res.end('not found');
      if (/\.(m?js|wasm)$/.test(file)) onMissingScript?.(url);
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

async function runNode() {
  const { server, origin } = await serveFolder(null, null);
  const childEnv = { ...process.env, WT_TEST_BASE_URL: origin + '/' };
  if (config) childEnv.WEBTHREADS_CONFIG = config;
  const child = spawn(process.execPath, [progPath, ...progArgs], { stdio: 'inherit', env: childEnv });
  const timer = setTimeout(() => { timedOut(); child.kill('SIGKILL'); process.exitCode = 124; }, timeoutSec * 1000);
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    server.close();
    if (process.exitCode === 124) return;
    if (signal) console.error(`run-wasm: ${path.basename(progPath)} killed by ${signal}`);
    process.exitCode = signal ? 1 : code;
  });
}

async function runChromium() {
  const { chromium } = await import('playwright-core');
  const page = `<!doctype html><meta charset="utf-8"><title>webthreads test</title>
<script>
var Module = {
  arguments: ${JSON.stringify(progArgs)},
  webthreads: ${config ?? 'undefined'},
  onExit: (code) => __wt_done({ code }),
  onAbort: (what) => __wt_done({ abort: String(what) }),
};
${coi ? `if (!self.crossOriginIsolated) __wt_done({ error: 'page is not crossOriginIsolated (COOP/COEP headers missing)' });`
      : `if (self.crossOriginIsolated !== false) __wt_done({ error: 'page is crossOriginIsolated although --no-coi serves it without COOP/COEP' });
self.Worker = function () { __wt_done({ error: 'the program constructed a Worker (--no-coi: single-threaded programs must not)' }); throw new Error('no Worker here'); };`}
</script>
<script src="${encodeURIComponent(path.basename(progPath))}"></script>`;
  let finish;
  const { server, origin } = await serveFolder(page, (url) =>
    finish?.({ error: `the page asked for ${url}, which does not exist` }));
  const browser = await chromium.launch({
    executablePath: process.env.WT_CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const done = new Promise((r) => { finish = r; });
  const timer = setTimeout(() => finish({ timeout: true }), timeoutSec * 1000);
  try {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.exposeFunction('__wt_done', (r) => finish(r));
    // Attached on first use only: a CDP session in every Worker costs boot time (benchmarks).
    let memory;
    await p.exposeFunction('__wt_memory', async () => (memory ??= await memoryProbe(ctx, p))());
    p.on('console', (m) => (m.type() === 'error' || m.type() === 'warning' ? process.stderr : process.stdout)
      .write(m.text() + '\n'));
    p.on('pageerror', (e) => finish({ error: `uncaught exception in page: ${e.stack ?? e}` }));
    p.on('crash', () => finish({ error: 'the page crashed' }));
    if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
    const cpu0 = cpu ? treeCpuMs(process.pid) : 0;
    await p.goto(origin + '/');
    const r = await done;
    if (cpu) console.log(`RUNNER cpu_ms=${(treeCpuMs(process.pid) - cpu0).toFixed(0)}`);
    // The page's first canvas if it has one (what the program drew), else the viewport.
    if (screenshot && !r.timeout) {
      const canvas = await p.$('canvas');
      await (canvas ?? p).screenshot({ path: screenshot }).catch((e) => console.error(`run-wasm: screenshot failed: ${e.message}`));
    }
    if (r.timeout) { timedOut(); process.exitCode = 124; }
    else if (r.error) { console.error(`run-wasm: ${r.error}`); process.exitCode = 1; }
    else if (r.abort !== undefined) { console.error(`run-wasm: program aborted: ${r.abort}`); process.exitCode = 1; }
    else process.exitCode = r.code;
  } finally {
    clearTimeout(timer);
    await browser.close().catch(() => {});
    server.close();
  }
}

// Memory of a page and all its dedicated Workers (pthreads), for leak checks: window.__wt_memory()
// resolves to bytes, or -1 (with a message) if a realm could not be measured. It sums, over the page
// and every Worker, the V8 heap in use right after a forced full GC in that realm
// (HeapProfiler.collectGarbage, then Runtime.getHeapUsage). Why not the renderer's RSS/PSS from
// /proc: over 9,000 create/join cycles (pool.churn) it moved by 0..+12 MB with the pool's fix and by
// ~+6 MB with stock emscripten's leaking mailbox code (a few runs), so it cannot tell them apart; the
// V8 heap after GC moved by +0.05 MB and +0.75 MB, each within 0.01 MB over 5 runs (the leak's JS
// part: pending Atomics.waitAsync promises and their reactions). Workers are reached through a second
// CDP session on the page that auto-attaches to them (non-flat mode: their messages go through
// Target.sendMessageToTarget on this session). A Worker blocked in a wait does not answer (the
// protocol runs in its event loop), so measure while the program's threads are idle; each realm
// gets 10 s.
async function memoryProbe(ctx, page) {
  const cdp = await ctx.newCDPSession(page);
  const workers = new Map(), pending = new Map(); // sessionId -> title; message id -> call
  let nextId = 1;
  cdp.on('Target.attachedToTarget', ({ sessionId, targetInfo }) => {
    if (targetInfo.type === 'worker') workers.set(sessionId, targetInfo.title);
  });
  cdp.on('Target.detachedFromTarget', ({ sessionId }) => {
    workers.delete(sessionId);
    // A Worker terminated mid-measurement holds no memory any more.
    for (const [id, c] of pending) if (c.sessionId === sessionId) { pending.delete(id); c.resolve(null); }
  });
  cdp.on('Target.receivedMessageFromTarget', ({ message }) => {
    const m = JSON.parse(message), c = pending.get(m.id);
    if (!c) return;
    pending.delete(m.id);
    if (m.error) c.reject(new Error(m.error.message)); else c.resolve(m.result);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const inWorker = (sessionId) => (method) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { sessionId, resolve, reject });
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) })
      .catch(reject);
  });
  const realm = (name, send) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} did not answer within 10 s (blocked in a wait?)`)), 10000);
    send('HeapProfiler.collectGarbage').then((r) => r && send('Runtime.getHeapUsage'))
      .then((u) => { clearTimeout(t); resolve(u?.usedSize ?? 0); }, (e) => { clearTimeout(t); reject(e); });
  });
  return async () => {
    try {
      const sizes = await Promise.all([realm('the page', (m) => cdp.send(m)),
                                       ...[...workers].map(([s, title]) => realm(`Worker ${title}`, inWorker(s)))]);
      return sizes.reduce((a, b) => a + b, 0);
    } catch (e) {
      console.error(`run-wasm: memory measurement failed: ${e.message}`);
      return -1;
    }
  };
}

// CPU time (user + system, ms) of the descendants of process `root` alive now, `root` itself left out
// (/proc; clock ticks of 10 ms). For --cpu, root is this runner: its descendants are the browser's
// processes, which all live until it is closed; the runner's own work (serving files) is not counted.
function treeCpuMs(root) {
  const stat = new Map(); // pid -> [ppid, ticks]
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').pop().split(' ');
      stat.set(Number(d), [Number(f[1]), Number(f[11]) + Number(f[12])]); // ppid, utime + stime
    } catch {}
  }
  let ticks = 0;
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, [ppid]] of stat) if (!tree.has(pid) && tree.has(ppid)) { tree.add(pid); grew = true; }
  }
  for (const pid of tree) if (pid !== root) ticks += stat.get(pid)?.[1] ?? 0;
  return ticks * 10;
}
