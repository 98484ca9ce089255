#!/usr/bin/env node
// js/pool_boot_gen.mjs — the lean Worker boot's generator (issue 17; run time: js/library_pool_boot.js).
//
//   node js/pool_boot_gen.mjs [--min-bytes N] [--inline] [--acorn DIR] prog.js
//   node js/pool_boot_gen.mjs [--min-bytes N] [--inline] [--acorn DIR] --link LINK-COMMAND...
//                                (a link launcher: runs the link, then the above on its `-o` output)
//
// Writes prog.worker.js beside a linked emscripten program prog.js and patches prog.js's boot marker
// (wtBoot.file, in place, same width) so that the pool's Workers load prog.worker.js instead of prog.js.
// Run it after every link (CMake: wt_lean_boot(target), cmake/lean_boot.cmake) and deploy both files
// from the same build. Exit status 0 when it wrote the worker script or fell back (one line saying why:
// stock boot); 2 on bad usage or input it cannot read. --min-bytes: the smallest function made lazy
// (256); --inline: keep the lazy functions' sources in the worker script (one string literal) instead
// of reading them from the main JS (for servers that cannot serve the main JS to Workers; it saves far
// less in Chromium, where a Worker's cost follows its script's bytes: docs/benchmarks.md, Worker boot).
//
// Design. A Worker of an emscripten program runs the whole main JS: every wasm import (JS library
// function), ASM_CONSTS / EM_JS, the pthread runtime (handleMessage, PThread's worker side) and the
// Module hooks, so nothing can be dropped. What costs is the script's bytes: fetching, decoding and
// V8's parse and compile in each Worker (Chromium never compiles a Worker's top-level script off-thread
// or from a code cache). So prog.worker.js is prog.js without the *text* of its large lazy functions:
//   - lazy: a top-level function (declaration, or a var/let/const initialiser) of at least --min-bytes
//     that the boot cannot reach: referenced, from the code that runs anyway (every other top-level
//     statement, transitively every function it references), only as a property value of an object
//     literal or an array element — the import tables (wasmImports, proxiedFunctionTable), i.e. the JS
//     library functions wasm calls, which is where a managed runtime's bulk is. A function passed as a
//     callback or called counts as reached (eager) and stays as it is;
//   - a lazy function becomes a stub: `function f(a) {...}` (hoisted) is removed and `var f = $S(k)`
//     put at the top; `var g = (a) => {...}` becomes `var g = $S(k)` in place. $S(k)'s first call reads
//     source k — a byte range of the main JS, which the marker patch leaves in place — and evaluates it
//     with a direct eval inside the script's own top-level scope, so the function closes over the same
//     module-scope bindings as before (a browser Worker's classic script: the global scope; node's
//     CommonJS module scope); every call forwards (this, arguments). Reading: under node the file
//     beside the worker script; in a browser Worker a synchronous byte-range request to the main JS
//     (its URL after '#wtmain=' in the worker script's URL, put there by the pool), in 64 KB chunks
//     cached per realm, or the whole file once from a server that ignores Range. The main JS's size is
//     checked: one from another build is refused with an error naming both files.
// Everything else — statements, small and eager functions, object literals (PThread, ASM_CONSTS), all
// nested code — stays as it is, so the realm runs the same code in the same order. Not stubbed (kept
// verbatim): functions whose own body uses `this`, `new.target` or `super` (and arrows using
// `arguments`: the stub's eval scope would answer them differently), names declared twice. What differs
// for a stubbed function: its `name` ('') and `length` (0), `toString()`, stack frames (eval code), and
// identity against the evaluated original (the stub is what every reference holds).
// The prefix of the generator's own names ($S, $L, $X, $R) is chosen so that no identifier of the
// program starts with it. Where it cannot apply it writes no worker script, removes a stale one and
// leaves the marker, with one line: an ES module (EXPORT_ES6: emscripten creates those Workers itself),
// a program without exactly one marker (not linked with libwebthreads.js), a shell without a top-level
// locateFile / _scriptName (MODULARIZE), text acorn cannot parse.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const MARKER = '__WT_BOOT_FILE__'; // js/library_pool_boot.js: wtBoot.file, padded with spaces
const usage = 'usage: node js/pool_boot_gen.mjs [--min-bytes N] [--inline] [--acorn DIR] (prog.js | --link LINK-COMMAND...)';
const args = process.argv.slice(2);
let minBytes = 256, acornDir = process.env.WT_ACORN || '', input = '', inline = false;
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
  else if (a === '--inline') inline = true;
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
  const tries = [acornDir, 'acorn', '/usr/share/nodejs/acorn'].filter(Boolean); // the last: Debian's node-acorn
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
// (ASCII only: the patch must keep every byte of the main JS at its offset.)
if (/[^\x20-\x7e]|["'\\]/.test(workerName))
  fallBack(`the worker script's name ${workerName} is not plain ASCII without quotes or backslashes`, out);

let ast;
try {
  ast = acorn.parse(src, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: false });
} catch (e) {
  if (/import|export/.test(e.message) || /\bimport\.meta\b/.test(src))
    fallBack('an ES module (EXPORT_ES6): emscripten creates its Workers', out);
  fallBack(`acorn cannot parse it as a script (${e.message})`, out);
}

// The shell pieces the run-time side uses (js/library_emscripten.js: wtEm.leanBootMissing checks them
// again at start-up): a top-level locateFile function and a _scriptName variable.
{
  const top = new Set();
  for (const s of ast.body) {
    if (s.type === 'FunctionDeclaration') top.add(s.id.name);
    if (s.type === 'VariableDeclaration') for (const d of s.declarations) if (d.id.type === 'Identifier') top.add(d.id.name);
  }
  for (const n of ['locateFile', '_scriptName'])
    if (!top.has(n)) fallBack(`the shell defines no top-level ${n} (MODULARIZE? the lean boot needs it)`, out);
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

// Candidates: large top-level functions of a shape a stub can stand in for.
const cand = new Map(); // name -> function node (declaration, or a declarator's init)
for (const s of ast.body) {
  if (s.type === 'FunctionDeclaration') {
    if (s.end - s.start >= minBytes && declCount.get(s.id.name) === 1 && !ownScopeUses(s, false)) cand.set(s.id.name, s);
  } else if (s.type === 'VariableDeclaration') {
    for (const d of s.declarations) {
      const f = d.init;
      if (!f || d.id.type !== 'Identifier' || (f.type !== 'FunctionExpression' && f.type !== 'ArrowFunctionExpression')) continue;
      if (f.end - f.start >= minBytes && !declCount.has(d.id.name) && !cand.has(d.id.name) &&
          !ownScopeUses(f, f.type === 'ArrowFunctionExpression')) cand.set(d.id.name, f);
    }
  }
}
// Which candidates the boot may call (eager: kept as they are). Reachable from the code that runs
// anyway — every top-level statement but the candidates themselves, and every eager function — through
// any reference except a property value of an object literal or an element of an array literal: those
// are the import tables (wasmImports, proxiedFunctionTable), whose functions wasm calls on threads. A
// callback passed on (receiveInstance, addOnInit(fn)) counts as reachable. The others are lazy.
const eager = new Set(), todo = [];
const candNode = new Set(cand.values());
function scan(root) {
  const visit = (n, parent, key) => {
    if (n !== root && candNode.has(n)) return; // a candidate's own body: scanned once it is eager
    if (n.type === 'Identifier' && cand.has(n.name) && !eager.has(n.name)) {
      const inTable = (parent?.type === 'Property' && key === 'value' && !parent.method) || parent?.type === 'ArrayExpression';
      const notRef = (parent?.type === 'Property' && key === 'key' && !parent.computed) ||
                     (parent?.type === 'MemberExpression' && key === 'property' && !parent.computed) ||
                     (parent?.type === 'FunctionDeclaration' && key === 'id');
      if (!inTable && !notRef) { eager.add(n.name); todo.push(cand.get(n.name)); }
    }
    for (const k in n) {
      const v = n[k];
      if (k === 'type' || !v || typeof v !== 'object') continue;
      if (Array.isArray(v)) { for (const x of v) if (x && typeof x.type === 'string') visit(x, n, k); }
      else if (typeof v.type === 'string') visit(v, n, k);
    }
  };
  visit(root, null, '');
}
for (const s of ast.body) {
  if (s.type === 'FunctionDeclaration' && cand.get(s.id.name) === s) continue;
  if (s.type === 'VariableDeclaration') {
    for (const d of s.declarations) if (!(d.init && cand.get(d.id.name) === d.init)) scan(d);
    continue;
  }
  scan(s);
}
while (todo.length) scan(todo.pop());

// The lazy functions become stubs $S(k); source k is bytes R[2k] .. R[2k] + R[2k+1] of the main JS as
// written (the marker patch keeps every byte in place), or with --inline characters of the text T.
const enc = new TextEncoder();
const byteAt = (() => { // character offset -> byte offset in src (UTF-8)
  const ascii = !/[^\x00-\x7f]/.test(src);
  return ascii ? (i) => i : (i) => enc.encode(src.slice(0, i)).length;
})();
let text = '';
const R = [], hoisted = [], edits = []; // hoisted: `name=$S(k)` for removed declarations; edits: [start, end, replacement]
let stubbedBytes = 0;
const stub = (f) => {
  const k = R.length / 2, body = src.slice(f.start, f.end);
  if (inline) { R.push(text.length, body.length); text += body; }
  else { const b = byteAt(f.start); R.push(b, byteAt(f.end) - b); }
  stubbedBytes += body.length;
  return `${P}S(${k})`;
};
for (const s of ast.body) {
  if (s.type === 'FunctionDeclaration') {
    if (cand.get(s.id.name) !== s || eager.has(s.id.name)) continue;
    hoisted.push(`${s.id.name}=${stub(s)}`);
    edits.push([s.start, s.end, '']);
  } else if (s.type === 'VariableDeclaration') {
    for (const d of s.declarations)
      if (d.init && cand.get(d.id.name) === d.init && !eager.has(d.id.name)) edits.push([d.init.start, d.init.end, stub(d.init)]);
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
const mainName = path.basename(input), mainBytes = Buffer.byteLength(src);
// $X(k): the source of function k. Inline: a slice of T. Otherwise read from the main JS on first use,
// in 64 KB chunks cached per realm: under node from the file beside this script; in a browser Worker
// with a synchronous byte-range request to the main script (its URL after '#' in this script's URL,
// put there by the pool; else beside this script), which works with servers that ignore Range too (the
// whole file, once). A main JS of another size than the one this script was made from is refused.
const loader = inline ? `var ${P}X=(k)=>${P}T.substr(${P}R[2*k],${P}R[2*k+1]);` :
`var ${P}X=(()=>{var C=65536,M=${JSON.stringify(mainName)},N=${mainBytes},got=new Map(),fd,url;` +
`function fail(w){throw new Error('webthreads: lean boot: '+w+' ('+M+' must be the file ${workerName} was generated from: deploy both from one build)')}` +
`function read(a,b){` + // bytes [a, b) of the main JS, as a Uint8Array
  `if(typeof process=='object'&&typeof require=='function'&&process.versions&&process.versions.node){` +
    `var fs=require('fs');if(fd===undefined){fd=fs.openSync(require('path').join(__dirname,M),'r');if(fs.fstatSync(fd).size!=N)fail(M+' has '+fs.fstatSync(fd).size+' bytes, not '+N)}` +
    `var buf=new Uint8Array(b-a);fs.readSync(fd,buf,0,b-a,a);return buf}` +
  `if(!url){var h=self.location.hash.match(/[#&]wtmain=([^&]*)/);url=h?decodeURIComponent(h[1]):new URL(M,self.location.href).href}` +
  `var x=new XMLHttpRequest;x.open('GET',url,false);x.responseType='arraybuffer';x.setRequestHeader('Range','bytes='+a+'-'+(b-1));x.send();` +
  `var r=new Uint8Array(x.response||new ArrayBuffer(0));` +
  `if(x.status==206){var t=/\\/(\\d+)$/.exec(x.getResponseHeader('Content-Range')||'');if(!t||+t[1]!=N||r.length!=b-a)fail(url+' answered bytes '+a+'-'+(b-1)+' with '+(x.getResponseHeader('Content-Range')||'no Content-Range'));return r}` +
  `if(x.status==200){if(r.length!=N)fail(url+' has '+r.length+' bytes, not '+N);for(var c=0;c*C<N;c++)got.set(c,r.subarray(c*C,Math.min(N,(c+1)*C)));return r.subarray(a,b)}` +
  `fail('GET '+url+' answered '+x.status)}` +
`return(k)=>{var o=${P}R[2*k],n=${P}R[2*k+1],c0=Math.floor(o/C),c1=Math.floor((o+n-1)/C),c,m=-1;` +
  `for(c=c0;c<=c1;c++)if(!got.has(c)){if(m<0)m=c;}else if(m>=0){load(m,c);m=-1}if(m>=0)load(m,c1+1);` +
  `function load(p,q){var b=read(p*C,Math.min(N,q*C));if(got.has(p))return;for(var i=p;i<q;i++)got.set(i,b.subarray((i-p)*C,Math.min(b.length,(i-p+1)*C)))}` +
  `var out=new Uint8Array(n),w=0;for(c=c0;c<=c1;c++){var s=got.get(c),lo=Math.max(o,c*C)-c*C,hi=Math.min(o+n,(c+1)*C)-c*C;out.set(s.subarray(lo,hi),w);w+=hi-lo}` +
  `return new TextDecoder().decode(out)}})();`;
// $L evaluates inside the script's top-level scope (a direct eval): the source sees the same bindings
// as it did in place; its own parameter has the generator's prefix, which no program name has.
const prologue =
  (inline ? `var ${P}T=${quote(text)};` : '') + `var ${P}R=[${R.join(',')}];` + loader +
  `function ${P}S(k){var f;return function(){return(f||(f=${P}L(k))).apply(this,arguments)}}` +
  `function ${P}L(${P}k){var ${P}s=${P}X(${P}k);try{return eval('('+${P}s+')')}catch(e){` +
    `throw new Error('webthreads: lean boot: function source '+${P}k+' does not evaluate ('+e+'): '+${P}s.slice(0,60))}}` +
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
  console.log(`pool_boot_gen: ${workerName}: ${R.length / 2} of ${cand.size} large functions lazy (${stubbedBytes} bytes), ` +
              `${eager.size} eager; ${src.length} -> ${w.length} bytes${inline ? `, ${w.length - text.length} of code` : ''}`);
