#!/usr/bin/env node
// js/pool_boot_gen.mjs — the lean Worker boot's generator (issue 17; run time: js/library_pool_boot.js).
//
//   node js/pool_boot_gen.mjs [--min-bytes N] [--acorn DIR] prog.js
//   node js/pool_boot_gen.mjs [--min-bytes N] [--acorn DIR] --link LINK-COMMAND...
//                                (a link launcher: runs the link, then the above on its `-o` output)
//
// Writes prog.worker.js beside a linked emscripten program prog.js and patches prog.js's boot marker
// (wtBoot.file) so that the pool's Workers load prog.worker.js instead of prog.js. Run it after every
// link (CMake: wt_lean_boot(target), cmake/lean_boot.cmake). Exit status 0 when it wrote the worker
// script or fell back (one line saying why: stock boot); 2 on bad usage or input it cannot read.
//
// Design. A Worker of an emscripten program runs the whole main JS: every wasm import (JS library
// function), ASM_CONSTS / EM_JS, the pthread runtime (handleMessage, PThread's worker side) and the
// Module hooks, so nothing can be dropped. What costs is V8 parsing and compiling the script's text in
// each Worker (Chromium never compiles a Worker's top-level script off-thread or from a code cache:
// ~135 ms of CPU per Worker for a 2 MB runtime JS). So prog.worker.js is prog.js with the *bodies* of
// its large top-level functions taken out of the code: each becomes a stub that compiles the original
// source on its first call, by a direct eval inside the script's own top-level scope, so the function
// closes over the same module-scope bindings as before (a browser Worker's classic script: the global
// scope; node's CommonJS module scope). The sources are kept in the worker script as one string
// literal, which V8 only scans (a few ms per MB, against tens for code); nothing is fetched at run time.
//   function f(a) {...}   (a top-level declaration, hoisted)  -> removed; `var f = $S(o, n)` at the top
//   var g = (a) => {...}  (a top-level var/let/const initializer) -> `var g = $S(o, n)` in place
// $S(o, n) returns a forwarding function; its first call evaluates `(<source o..o+n>)` and every call
// forwards (this, arguments) to the result. Statements, small functions, object literals (PThread,
// ASM_CONSTS) and everything nested stay as they are, so the realm runs the same code in the same
// order. Not stubbed (kept verbatim): functions below --min-bytes, functions whose own body uses
// `this`, `new.target` or `super` (and arrows using `arguments`: the stub's eval scope would answer
// them differently), and names declared as functions twice. What differs for a stubbed function: its
// `name` ('') and `length` (0), `toString()`, stack frames (eval code), and identity against the
// evaluated original (the stub is what every reference holds).
// The prefix of the generator's own names ($S, $L, the text) is chosen so that no identifier of the
// program starts with it. Where it cannot apply it writes no worker script, removes a stale one and
// leaves the marker: an ES module (EXPORT_ES6: emscripten creates those Workers itself), a program
// without the marker (not linked with libwebthreads.js), text acorn cannot parse.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const MARKER = '__WT_BOOT_FILE__'; // js/library_pool_boot.js: wtBoot.file, padded with spaces
const usage = 'usage: node js/pool_boot_gen.mjs [--min-bytes N] [--acorn DIR] (prog.js | --link LINK-COMMAND...)';
const args = process.argv.slice(2);
let minBytes = 256, acornDir = process.env.WT_ACORN || '', input = '';
while (args.length) {
  const a = args.shift();
  if (a === '--link') {
    // CMake's RULE_LAUNCH_LINK (cmake/lean_boot.cmake): the link command follows; it must succeed first.
    if (!args.length) die(usage);
    const r = spawnSync(args[0], args.slice(1), { stdio: 'inherit' });
    if (r.error) die(`cannot run the link command ${args[0]}: ${r.error.message}`);
    if (r.status !== 0) process.exit(r.status ?? 1);
    const o = args.lastIndexOf('-o');
    input = o >= 0 ? args[o + 1] : (args.find((x) => x.startsWith('-o') && x.length > 2) || '').slice(2);
    if (!input) die('--link: the link command has no -o output');
    if (!/\.m?js$/.test(input)) process.exit(0); // not a JS program (a side module, a .html is not one either)
    break;
  } else if (a === '--min-bytes') {
    minBytes = Number(args.shift());
    if (!Number.isInteger(minBytes) || minBytes < 0) die(`--min-bytes takes an integer >= 0 (bytes of source); ${usage}`);
  } else if (a === '--acorn') acornDir = args.shift() || '';
  else if (a.startsWith('-') || input) die(usage);
  else input = a;
}
if (!input) die(usage);

function die(msg) { console.error(`pool_boot_gen: ${msg}`); process.exit(2); }
function fallBack(why, out) {
  // One line: the build goes on, the program's Workers boot from the main JS (stock boot).
  try { fs.unlinkSync(out); } catch {}
  console.log(`webthreads: lean boot: ${path.basename(input)}: ${why}; its Workers boot from the main JS (stock boot)`);
  process.exit(0);
}

let acorn;
{
  const tries = [acornDir, 'acorn'].filter(Boolean);
  const req = createRequire(import.meta.url);
  for (const t of tries) { try { acorn = req(t); break; } catch {} }
  if (!acorn) die(`acorn not found (tried ${tries.join(', ')}; pass --acorn DIR or WT_ACORN: emscripten ships it in its node_modules)`);
}

let src;
try { src = fs.readFileSync(input, 'utf8'); } catch (e) { die(`cannot read ${input}: ${e.message}`); }
const out = input.replace(/\.m?js$/, '') + '.worker.js';
const workerName = path.basename(out);

// The marker: one string literal holding MARKER (not yet patched) or a patched value, padded.
const markerRe = /(["'])(__WT_BOOT_FILE__|lean:[^"'\s]+|self:[^"'\s]+)( {16,})\1/g;
const marks = [...src.matchAll(markerRe)];
if (marks.length !== 1) fallBack(marks.length ? `${marks.length} boot markers (expected one)` :
                                 'no boot marker (not linked with libwebthreads.js?)', out);
const mark = marks[0], width = mark[0].length - 2;
function markerValue(v) {
  if (v.length + 16 > width) die(`the worker script's name ${workerName} is longer than the marker (${width} bytes)`);
  return mark[1] + v.padEnd(width, ' ') + mark[1];
}
if (workerName.includes("'") || workerName.includes('"') || workerName.includes('\\'))
  fallBack(`the worker script's name ${workerName} has quotes or backslashes`, out);

let ast;
try {
  ast = acorn.parse(src, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: false });
} catch (e) {
  if (/import|export/.test(e.message) || /\bimport\.meta\b/.test(src))
    fallBack('an ES module (EXPORT_ES6): emscripten creates its Workers', out);
  fallBack(`acorn cannot parse it as a script (${e.message})`, out);
}

// Every identifier name of the program, to pick a prefix none of them starts with.
const names = new Set();
function walk(node, fn) {
  if (!node || typeof node.type !== 'string') return;
  if (fn(node) === false) return;
  for (const k in node) {
    const v = node[k];
    if (k === 'type' || k === 'start' || k === 'end' || !v || typeof v !== 'object') continue;
    if (Array.isArray(v)) { for (const x of v) if (x && typeof x.type === 'string') walk(x, fn); }
    else if (typeof v.type === 'string') walk(v, fn);
  }
}
walk(ast, (n) => { if (n.type === 'Identifier' || n.type === 'PrivateIdentifier') names.add(n.name); });
let P = '$wtLb';
for (let i = 0; [...names].some((x) => x.startsWith(P)); i++) P = `$wtLb${i}_`;

// Does fn's own body (not nested non-arrow functions) use this / new.target / super (/ arguments)?
function ownScopeUses(fn, arrow) {
  let bad = false;
  const visit = (n) => {
    if (bad) return false;
    if (n !== fn && (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration')) return false;
    if (n.type === 'ThisExpression' || n.type === 'Super' || n.type === 'MetaProperty' ||
        (arrow && n.type === 'Identifier' && n.name === 'arguments')) { bad = true; return false; }
  };
  walk(fn.body, visit);
  for (const p of fn.params) walk(p, visit);
  return bad;
}

const declCount = new Map();
for (const s of ast.body) if (s.type === 'FunctionDeclaration') declCount.set(s.id.name, (declCount.get(s.id.name) || 0) + 1);

let text = '';             // the stubbed functions' sources, one after the other
const hoisted = [];        // `name=$S(o,n)` for removed declarations
const edits = [];          // [start, end, replacement] in src
let stubbed = 0, stubbedBytes = 0;
const stub = (fnNode) => {
  const s = src.slice(fnNode.start, fnNode.end), o = text.length;
  text += s;
  stubbed++; stubbedBytes += s.length;
  return `${P}S(${o},${s.length})`;
};
for (const s of ast.body) {
  if (s.type === 'FunctionDeclaration') {
    if (s.end - s.start < minBytes || declCount.get(s.id.name) !== 1 || ownScopeUses(s, false)) continue;
    hoisted.push(`${s.id.name}=${stub(s)}`);
    edits.push([s.start, s.end, '']);
  } else if (s.type === 'VariableDeclaration') {
    for (const d of s.declarations) {
      const f = d.init;
      if (!f || d.id.type !== 'Identifier' || (f.type !== 'FunctionExpression' && f.type !== 'ArrowFunctionExpression')) continue;
      if (f.end - f.start < minBytes || ownScopeUses(f, f.type === 'ArrowFunctionExpression')) continue;
      edits.push([f.start, f.end, stub(f)]);
    }
  }
}

// Where the prologue goes: after a hashbang and the directive prologue ("use strict"), which must stay first.
let at = 0;
if (src.startsWith('#!')) at = src.indexOf('\n') + 1;
for (const s of ast.body) { if (s.type === 'ExpressionStatement' && s.directive !== undefined) at = s.end; else break; }
edits.push([mark.index, mark.index + mark[0].length, markerValue('self:' + workerName)]);
edits.sort((a, b) => a[0] - b[0]);

const quote = (t) => "'" + t.replace(/[\\'\n\r\u2028\u2029]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r',
                                                                         '\u2028': '\\u2028', '\u2029': '\\u2029' })[c]) + "'";
// $L evaluates inside the script's top-level scope (a direct eval): the source sees the same bindings
// as it did in place; its own parameters have the generator's prefix, which no program name has.
const prologue =
  `var ${P}T=${quote(text)};` +
  `function ${P}S(o,n){var f;return function(){return(f||(f=${P}L(o,n))).apply(this,arguments)}}` +
  `function ${P}L(${P}o,${P}n){return eval('('+${P}T.substr(${P}o,${P}n)+')')}` +
  (hoisted.length ? `var ${hoisted.join(',')};` : '');

let w = src.slice(0, at) + (at ? '\n' : '') + prologue + '\n';
let pos = at;
for (const [s, e, r] of edits) { w += src.slice(pos, s) + r; pos = e; }
w += src.slice(pos);

// The worker script must parse as what it replaces does (a script).
try { acorn.parse(w, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true }); }
catch (e) { die(`internal error: the generated ${workerName} does not parse (${e.message})`); }

fs.writeFileSync(out, w);
const main = src.slice(0, mark.index) + markerValue('lean:' + workerName) + src.slice(mark.index + mark[0].length);
fs.writeFileSync(input, main);
if (process.env.WT_LEAN_BOOT_VERBOSE)
  console.log(`pool_boot_gen: ${workerName}: ${stubbed} functions (${stubbedBytes} bytes) stubbed; ` +
              `${src.length} -> ${w.length} bytes, ${w.length - text.length} of code`);
