#!/usr/bin/env node
// scripts/api-doc.mjs — docs/api.md from the public headers (include/webthreads/*.h), and the check that
// keeps the two together. Node only, no dependencies.
//
//   node scripts/api-doc.mjs            writes docs/api.md
//   node scripts/api-doc.mjs --check    regenerates it in memory; exits 1 naming the header and the
//                                       declaration that differ (and the command to run)
//   ... --lib build/host/libwebthreads.a [--lib ...] [--nm nm]
//                                       also: every wt_ function a library exports is declared in a
//                                       header, and every declared one is exported (CTest host.docs.api)
//
// Either way it fails when a public wt_ function has no contract comment: a /* ... */ block ending on
// the line right above its declaration (the style of every header: style.md, rule 5). What it reads:
//   - per header, in file order (the order of HEADERS below): the file comment (its first paragraph
//     introduces the module), section comments (/* ---- name */: headings), declarations in order —
//     functions (static inline ones too), typedefs, structs, enums and #defines (WT_..., not WT__),
//     each with the comment right above it; #defines on consecutive lines share one comment;
//   - the X-macro lists (X(...) entries, columns named by the comment above: /* X(name, value, ...) */)
//     as tables, with the enum constants they generate;
//   - #if conditions around a declaration (include guards and __cplusplus aside): shown in the doc, and
//     such a function may be missing from the host library (built only there);
//   - per function, what its comment says about the calling thread, blocking and allocating, quoted
//     into the module's table ("—" where the comment does not say).
// Anything it does not understand (a directive inside a declaration, an unterminated comment) is an
// error naming the file and line, so a new header style cannot be misread in silence.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INCLUDE = 'include/webthreads';
const OUT = 'docs/api.md';
const REGEN = 'node scripts/api-doc.mjs';

// Module order: layers bottom-up (README "Folders"), the Mono glue last. A header not listed here is an
// error: add it (the order is the doc's).
const HEADERS = ['error.h', 'config.h', 'proxying.h', 'handles.h', 'completion.h', 'worker.h', 'deputy.h',
  'pool.h', 'runtime.h', 'mono_glue.h', 'diag.h'];
// Design notes in docs/ for modules whose doc is not docs/<header>.md.
const DOC_OF = { 'mono_glue.h': 'runtime.md' };
// The library that defines a header's functions (for the doc; the symbol check takes every --lib).
const LIB_OF = { 'mono_glue.h': 'libwebthreads_mono.a' };

class ParseError extends Error {}

// ------------------------------------------------------------------ scanning

// One header as a list of items in source order: comments, preprocessor lines, and code (a declaration
// up to its `;`, or a static inline definition up to its `}`), each with its 1-based lines.
function scan(file, src) {
  const lineAt = [];
  for (let i = 0, l = 1; i <= src.length; i++) { lineAt.push(l); if (src[i] === '\n') l++; }
  const items = [];
  const conds = []; // stack of {kind: 'guard' | 'cplusplus' | 'cond', text}
  const where = (i) => `${file}:${lineAt[i]}`;
  const condText = () => conds.filter((c) => c.kind === 'cond').map((c) => c.text).join(' && ');
  const skipping = () => conds.some((c) => c.kind === 'cplusplus');
  let code = null; // {start, depth, paren, body, text}
  let i = 0;
  const atLineStart = (k) => { let j = k - 1; while (j >= 0 && (src[j] === ' ' || src[j] === '\t')) j--; return j < 0 || src[j] === '\n'; };
  const endCode = (end) => {
    if (!skipping()) {
      items.push({ kind: 'code', raw: src.slice(code.start, end).replace(/[ \t]+$/gm, ''), text: code.text.replace(/\s+/g, ' ').trim(),
        line: lineAt[code.start], endLine: lineAt[end - 1], cond: condText() });
    }
    code = null;
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new ParseError(`${where(i)}: unterminated comment`);
      if (code) { code.text += ' '; i = end + 2; continue; }
      let j = i - 1; while (j >= 0 && (src[j] === ' ' || src[j] === '\t')) j--;
      const trailing = j >= 0 && src[j] !== '\n'; // code before it on its line: a field's or value's comment
      if (!skipping()) items.push({ kind: 'comment', raw: src.slice(i, end + 2), line: lineAt[i], endLine: lineAt[end + 1], trailing });
      i = end + 2;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      throw new ParseError(`${where(i)}: // comment in a public header (C89-style /* */ only, so it can be read here)`);
    }
    if (c === '#' && atLineStart(i)) {
      let end = i;
      for (;;) { end = src.indexOf('\n', end); if (end < 0) { end = src.length; break; } if (src[end - 1] === '\\') { end++; continue; } break; }
      const raw = src.slice(i, end);
      const text = raw.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();
      const m = /^#\s*(\w+)\s*(.*)$/.exec(text);
      const dir = m ? m[1] : '';
      const arg = m ? m[2] : '';
      if (['if', 'ifdef', 'ifndef', 'elif', 'else', 'endif'].includes(dir)) {
        if (code) throw new ParseError(`${where(i)}: #${dir} inside a declaration (not supported: put the whole declaration under the condition)`);
        if (dir === 'ifndef' && conds.length === 0 && items.every((x) => x.kind === 'comment')) conds.push({ kind: 'guard', text: arg });
        else if (/^(ifdef\s+__cplusplus|if\s+defined\s*\(?\s*__cplusplus\s*\)?)$/.test(`${dir} ${arg}`)) conds.push({ kind: 'cplusplus' });
        else if (dir === 'ifdef') conds.push({ kind: 'cond', text: `defined(${arg})` });
        else if (dir === 'ifndef') conds.push({ kind: 'cond', text: `!defined(${arg})` });
        else if (dir === 'if') conds.push({ kind: 'cond', text: arg });
        else if (dir === 'endif') { if (!conds.length) throw new ParseError(`${where(i)}: #endif without #if`); conds.pop(); }
        else {
          const top = conds[conds.length - 1];
          if (!top || top.kind !== 'cond') throw new ParseError(`${where(i)}: #${dir} of a guard or __cplusplus block (not supported)`);
          top.text = dir === 'else' ? `!(${top.text})` : arg;
        }
      } else if (code) {
        code.text += ' '; // #define / #undef inside an enum body (an X-macro expansion): part of its raw text
      } else if (!skipping()) {
        items.push({ kind: 'pp', dir, arg, raw, line: lineAt[i], endLine: lineAt[Math.max(i, end - 1)], cond: condText() });
      }
      i = end;
      continue;
    }
    if (/\s/.test(c)) { if (code) code.text += c; i++; continue; }
    if (skipping()) { i++; continue; }
    if (!code) code = { start: i, depth: 0, paren: 0, body: false, text: '' };
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      code.text += src.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    code.text += c;
    if (c === '(') code.paren++;
    else if (c === ')') code.paren--;
    else if (c === '{') {
      if (code.depth === 0 && /^extern\s*"C"\s*\{$/.test(code.text.trim())) { code = null; i++; continue; }
      if (code.depth === 0 && /\)\s*\{$/.test(code.text)) code.body = true;
      code.depth++;
    } else if (c === '}') {
      code.depth--;
      if (code.depth < 0) throw new ParseError(`${where(i)}: unbalanced '}'`);
      if (code.depth === 0 && code.body) { i++; endCode(i); continue; }
    } else if (c === ';' && code.depth === 0 && code.paren === 0) { i++; endCode(i); continue; }
    i++;
  }
  if (code) throw new ParseError(`${where(code.start)}: declaration without its ';'`);
  if (conds.some((x) => x.kind !== 'guard')) throw new ParseError(`${file}: #if without #endif`);
  return items;
}

// The text of a /* */ comment as lines, the leading " * " of each taken off; indentation kept.
function commentLines(raw) {
  const lines = raw.replace(/^\/\*+/, '').replace(/\*+\/$/, '').split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  if (raw.includes('\n')) {
    // First line: text right after "/*" ("/* Creates ..."); the others: what follows " * ".
    lines[0] = lines[0].replace(/^ /, '');
  } else lines[0] = lines[0].trim();
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  return lines.map((l) => l.replace(/\s+$/, ''));
}

// ------------------------------------------------------------------ declarations

function classify(text) {
  if (/^static\s+inline\b/.test(text)) {
    const m = /\b(\w+)\s*\([^()]*\)\s*\{/.exec(text);
    return { what: 'function', name: m && m[1], inline: true };
  }
  if (/^typedef\b/.test(text)) {
    let m = /\(\s*\*\s*(\w+)\s*\)\s*\(/.exec(text); // typedef int (*wt_fn)(...)
    if (m) return { what: 'type', name: m[1], sort: 'function pointer' };
    m = /(\w+)\s*;$/.exec(text);
    const sort = /^typedef\s+enum\b/.test(text) ? 'enum' : /^typedef\s+struct\b[^{]*\{/.test(text) ? 'struct'
      : /^typedef\s+struct\b/.test(text) ? 'opaque struct' : 'typedef';
    return { what: 'type', name: m && m[1], sort };
  }
  if (/^(struct|enum|union)\s+\w+\s*\{/.test(text)) {
    const m = /^(struct|enum|union)\s+(\w+)/.exec(text);
    return { what: 'type', name: `${m[1]} ${m[2]}`, sort: m[1] };
  }
  // A function declaration: the name right before the parameter list, the first '(' at depth 0.
  const m = /^([^()]*?)\b(\w+)\s*\(/.exec(text);
  if (m && /\)\s*;$/.test(text)) return { what: 'function', name: m[2], inline: false };
  return { what: 'other', name: null };
}

function parseHeader(file) {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const items = scan(file, src);
  const out = { file, name: basename(file), intro: [], title: '', entries: [] };
  const first = items[0];
  if (first && first.kind === 'comment' && first.line === 1) {
    const lines = commentLines(first.raw);
    out.title = lines[0].replace(/^webthreads\s+[—-]+\s*/, '').replace(/\.$/, '');
    const rest = lines.slice(1);
    while (rest.length && !rest[0].trim()) rest.shift();
    // The first paragraph; one that ends with ':' takes the next one (its list) too.
    const para = [];
    for (const l of rest) {
      if (!l.trim()) { if (para.length && !para[para.length - 1].endsWith(':')) break; if (para.length) para.push(''); continue; }
      para.push(l);
    }
    out.intro = para;
  }
  let prev = null; // the previous item that was not skipped
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (it === first && out.title) { prev = it; continue; }
    // The comment right above: ends on the line before, not trailing code, not a section marker.
    const above = prev && prev.kind === 'comment' && !prev.trailing && prev.endLine === it.line - 1 && !prev.section ? prev : null;
    if (it.kind === 'comment') {
      const lines = commentLines(it.raw);
      const sm = /^-{8,}\s*(.*)$/.exec(lines[0] || '');
      if (sm && !it.trailing) {
        it.section = true;
        out.entries.push({ kind: 'section', title: sm[1].trim(), body: lines.slice(1), line: it.line });
      }
      prev = it;
      continue;
    }
    if (it.kind === 'pp') {
      if (it.dir === 'define') {
        const m = /^(\w+)(\(([^)]*)\))?\s*(.*)$/.exec(it.arg);
        const name = m[1];
        if (/^WT_/.test(name) && !/^WT__/.test(name)) {
          const last = out.entries[out.entries.length - 1];
          const entry = { kind: 'macro', name, params: m[3], raw: it.raw, body: m[4], line: it.line, cond: it.cond };
          if (!above && last && last.kind === 'macros' && prev && prev.kind === 'pp' && prev.endLine === it.line - 1) {
            last.macros.push(entry); // a #define right below another one shares its comment
          } else {
            out.entries.push({ kind: 'macros', macros: [entry], comment: above ? commentLines(above.raw) : null, line: it.line, cond: it.cond });
          }
        }
      }
      prev = it;
      continue;
    }
    // code
    const cl = classify(it.text);
    if (cl.what === 'other' || !cl.name) {
      throw new ParseError(`${file}:${it.line}: cannot tell what this declaration is: ${it.text.slice(0, 80)}`);
    }
    out.entries.push({ kind: cl.what, name: cl.name, sort: cl.sort, inline: cl.inline, raw: it.raw, text: it.text,
      line: it.line, cond: it.cond, comment: above ? commentLines(above.raw) : null });
    prev = it;
  }
  // X-macro lists: their entries, columns and the enum constants they generate.
  for (const e of out.entries) {
    if (e.kind !== 'macros') continue;
    for (const m of e.macros) {
      if (m.params !== 'X') continue;
      const cols = e.comment && /^X\(([^)]*)\)/.exec(e.comment.join(' '));
      m.columns = cols ? splitTop(cols[1]).map((s) => s.trim()) : null;
      m.rows = [];
      const body = m.raw.replace(/\\\n/g, ' ');
      const re = /\bX\(/g;
      let mm;
      while ((mm = re.exec(body))) {
        let d = 1, j = mm.index + 2;
        for (; j < body.length && d; j++) {
          if (body[j] === '"') { j++; while (body[j] !== '"') j += body[j] === '\\' ? 2 : 1; continue; }
          if (body[j] === '(') d++; else if (body[j] === ')') d--;
        }
        m.rows.push(splitTop(body.slice(mm.index + 2, j - 1)).map(cValue));
        re.lastIndex = j;
      }
      // typedef enum ... { #define WT__X_ENUM(name, ...) WT_PREFIX_##name ... WT_..._MAP(WT__X_ENUM) }
      const en = out.entries.find((x) => x.kind === 'type' && x.sort === 'enum' && x.raw.includes(`${m.name}(`));
      if (en) {
        const d = /#\s*define\s+\w+\(([^)]*)\)\s*(\w*?)##(\w+)/.exec(en.raw);
        if (d) {
          const params = splitTop(d[1]).map((s) => s.trim());
          m.enumName = en.name;
          m.enumPrefix = d[2];
          m.enumColumn = params.indexOf(d[3]);
        }
      }
    }
  }
  return out;
}

// Splits a macro argument list at its top-level commas (not inside parentheses or strings).
function splitTop(s) {
  const out = [];
  let d = 0, cur = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (c === '"') { let k = j + 1; while (s[k] !== '"') k += s[k] === '\\' ? 2 : 1; cur += s.slice(j, k + 1); j = k; continue; }
    if (c === '(') d++; else if (c === ')') d--;
    if (c === ',' && d === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x, k, a) => x !== '' || k < a.length - 1);
}

// A macro argument as written: adjacent string literals joined, or the token itself.
function cValue(tok) {
  const t = tok.trim();
  if (t.startsWith('"')) {
    let s = '';
    const re = /"((?:[^"\\]|\\.)*)"/g;
    let m;
    while ((m = re.exec(t))) s += m[1].replace(/\\(.)/g, '$1');
    return { str: s };
  }
  return { tok: t.replace(/\s+/g, ' ') };
}

// ------------------------------------------------------------------ contract clauses (the tables)

// Sentences, then clauses (';'), then atoms (', ' and ': '), at parenthesis depth 0.
function contractAtoms(lines) {
  const text = lines.map((l) => l.trim().replace(/^- /, '')).join(' ').replace(/\s+/g, ' ').trim();
  const sentences = [];
  let d = 0, cur = [], atom = '';
  const pushAtom = (sep) => { if (atom.trim()) cur.push({ text: atom.trim(), sep }); atom = ''; };
  const pushClause = () => { pushAtom(''); if (cur.length) sentences[sentences.length - 1].push(cur); cur = []; };
  sentences.push([]);
  for (let j = 0; j < text.length; j++) {
    const c = text[j];
    if (c === '(') d++; else if (c === ')') d = Math.max(0, d - 1);
    if (d === 0 && c === ';') { pushClause(); continue; }
    if (d === 0 && c === '.' && (j + 1 === text.length || (text[j + 1] === ' ' && /[A-Z`'"(]/.test(text[j + 2] || '')))
        && !/(e\.g|i\.e|etc|\.\.)$/.test(text.slice(0, j))) {
      pushClause(); sentences.push([]); continue;
    }
    if (d === 0 && (c === ',' || c === ':') && text[j + 1] === ' ') { pushAtom(`${c} `); j++; continue; }
    atom += c;
  }
  pushClause();
  return sentences.filter((s) => s.length);
}

// An atom that states the calling thread: "Any thread", "Owner thread only", "Calling thread" (then ": a
// worker", ...), "Not on the UI thread"; a sentence about a thread ("The calling thread leaves ...") is not.
const THREAD_RE = /^(?:(?:any|calling|owner(?: \(calling\))?|target) thread(?: only| mono knows| at start-up\b.*| \(.*\))?|not on the ui thread|same thread rules as \w+)$/i;
const BLOCK_RE = /^(?:never blocks|blocks\b|does not block|lock-free|never waits|may wait\b|returns at once|pure bit work|a worker caller blocks)/i;
const ALLOC_RE = /^(?:never (?:blocks or )?allocates|allocates\b|does not allocate|no allocation|allocates nothing|pure bit work|binding another thread allocates|a wait that does not find .* allocates)/i;

// What a function's comment says about its calling thread, blocking and allocating: the atoms that
// state it, quoted with what qualifies them (up to the next statement); "—" where it says nothing.
function contractCells(lines) {
  const cell = { thread: '—', blocks: '—', allocates: '—' };
  if (!lines) return cell;
  const sentences = contractAtoms(lines);
  const stated = (a) => THREAD_RE.test(a.text) || BLOCK_RE.test(a.text) || ALLOC_RE.test(a.text);
  // Atom k and the atoms after it in its clause, up to the next statement. short: a parenthesis longer
  // than 40 characters becomes "(…)" (the text below the table has it).
  const quote = (clause, k, short = false) => {
    let t = '';
    for (let a = k; a < clause.length; a++) {
      if (a > k && stated(clause[a])) break;
      t += clause[a].text + clause[a].sep;
    }
    t = t.replace(/[,:]\s*$/, '');
    return short ? shortParens(t) : t;
  };
  let threadSentence = -1;
  outer: for (let s = 0; s < sentences.length; s++) {
    for (const clause of sentences[s]) {
      const k = clause.findIndex((a) => THREAD_RE.test(a.text));
      if (k < 0) continue;
      cell.thread = quote(clause, k);
      threadSentence = s;
      break outer;
    }
  }
  // Blocking / allocating: in the calling thread's sentence first, else the first sentence that says it.
  const find = (re) => {
    const order = threadSentence >= 0 ? [threadSentence, ...sentences.keys()] : [...sentences.keys()];
    for (const s of order) {
      const hits = [];
      for (const clause of sentences[s]) clause.forEach((a, k) => { if (re.test(a.text)) hits.push(quote(clause, k, true)); });
      if (hits.length) return [...new Set(hits)].join(', ');
    }
    return '—';
  };
  cell.blocks = find(BLOCK_RE);
  cell.allocates = find(ALLOC_RE);
  return cell;
}

// Each top-level parenthesis of more than 40 characters as "(…)".
function shortParens(t) {
  let out = '', d = 0, start = -1;
  for (let j = 0; j < t.length; j++) {
    const c = t[j];
    if (c === '(' && d++ === 0) start = j;
    else if (c === ')' && d > 0 && --d === 0) {
      out += j - start - 1 > 40 ? '(…)' : t.slice(start, j + 1);
      continue;
    }
    if (d === 0) out += c;
  }
  return d ? out + t.slice(start) : out;
}

// ------------------------------------------------------------------ markdown

// Comment text as markdown: identifiers (wt_x, wt_x(), wt_x(h), WT_X, WT_E..., WT_X_*, *out, res->message)
// in code spans, the rest escaped where markdown would read it; spans the comment has already are kept.
// An emphasis the comment means (*deputy*) stays one.
const IDENT = /(?<![\w*])\*[a-z][a-z -]*[a-z]\*(?![\w*])|\b(?:wt_|WT_)[A-Za-z0-9_]*(?:\(\)|\(\*?[a-z]{1,6}\)(?:->\w+)?|\.\.\.|\*)?|\*[a-z_]\w*(?:->\w+)?(?![\w(*])|\b[a-z_]\w*->\w+/g;
function escapeText(t) {
  return t.replace(/[\\*~|]|<(?=[A-Za-z/!?])/g, (c) => '\\' + c)
    .replace(/(^|[^A-Za-z0-9\\])_/g, '$1\\_').replace(/([^\\])_(?=[^A-Za-z0-9]|$)/g, '$1\\_');
}
function inline(text) {
  return text.split(/(`[^`]*`)/).map((seg, k) => {
    if (k % 2) return seg;
    let out = '', last = 0;
    for (const m of seg.matchAll(IDENT)) {
      out += escapeText(seg.slice(last, m.index)) + (/^\*[a-z].*\*$/.test(m[0]) ? m[0] : '`' + m[0] + '`');
      last = m.index + m[0].length;
    }
    return out + escapeText(seg.slice(last));
  }).join('');
}

// Words to lines of at most WRAP columns (a longer word or code span gets a line of its own), broken only
// at spaces outside code spans; `first` / `rest` prefix the first / later lines.
const WRAP = 105;
function wrap(text, first = '', rest = '') {
  const words = [];
  let cur = '', code = false;
  for (const ch of text) {
    if (ch === '`') code = !code;
    if (ch === ' ' && !code) { if (cur) words.push(cur); cur = ''; } else cur += ch;
  }
  if (cur) words.push(cur);
  const lines = [];
  let line = first, empty = true;
  for (const w of words) {
    // Never start a line with what would begin a list, quote, heading or setext underline there.
    const risky = /^(?:[-+*>#=|]|\d+[.)](?:\s|$))/.test(w);
    if (!empty && !risky && line.length + 1 + w.length > WRAP) { lines.push(line); line = rest + w; }
    else line += (empty ? '' : ' ') + w;
    empty = false;
  }
  lines.push(line);
  return lines;
}

// Comment lines as markdown blocks: paragraphs, and list items (a line indented, or starting with "- ";
// lines indented deeper continue it).
function blocks(lines) {
  const out = [];
  let cur = null;
  for (const l of lines) {
    if (!l.trim()) { cur = null; continue; }
    const indent = l.length - l.trimStart().length;
    const t = l.trim();
    const dash = /^- /.test(t);
    if (cur && cur.kind === 'item' && indent > cur.indent && !dash) { cur.text.push(t); continue; }
    if (dash || indent > 0) { cur = { kind: 'item', indent, text: [dash ? t.slice(2) : t] }; out.push(cur); continue; }
    if (cur && cur.kind === 'para') { cur.text.push(t); continue; }
    cur = { kind: 'para', text: [t] };
    out.push(cur);
  }
  const md = [];
  for (let k = 0; k < out.length; k++) {
    const b = out[k];
    const text = inline(b.text.join(' '));
    if (b.kind === 'item') md.push(...wrap(text, '- ', '  '));
    else md.push(...wrap(text.replace(/^(\d+)([.)])/, '$1\\$2').replace(/^([-+=>#])/, '\\$1')));
    const next = out[k + 1];
    if (next && !(b.kind === 'item' && next.kind === 'item')) md.push('');
  }
  return md;
}

const cellText = (s) => inline(s).replace(/\n/g, ' ');
const slug = (h) => h.toLowerCase().replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, '').replace(/ /g, '-');
const fence = (raw) => ['```c', raw.replace(/\s+$/, ''), '```'];

function condNote(cond) {
  return cond ? [...wrap(`Declared only when \`${cond}\` (other builds do not have it).`), ''] : [];
}

// ------------------------------------------------------------------ the document

function render(headers) {
  const sections = []; // {key, source, lines}: the units the check compares
  const doc = [];
  const add = (key, source, lines) => { sections.push({ key, source, lines }); };
  const nFn = headers.reduce((n, h) => n + h.entries.filter((e) => e.kind === 'function').length, 0);
  add('intro', `${INCLUDE}/*.h`, [
    '# API reference',
    '',
    '<!-- Generated by scripts/api-doc.mjs from include/webthreads/*.h: do not edit by hand. -->',
    '',
    `Every public declaration of webthreads (${nFn} functions in ${headers.length} headers), with its contract comment`,
    'as the header states it: which thread may call it, whether it blocks or allocates, who owns what, what it',
    'returns. This file is generated from `include/webthreads/*.h` by `scripts/api-doc.mjs`; after changing a',
    'header, regenerate it:',
    '',
    '```sh',
    `${REGEN}           # rewrites docs/api.md`,
    `${REGEN} --check   # fails if docs/api.md is out of date or a public function has no contract comment`,
    '```',
    '',
    'The host tier\'s CTest `host.docs.api` (label `docs`) runs the check, and also that every `wt_` function',
    '`libwebthreads.a` / `libwebthreads_mono.a` export is declared and documented here, and every declared',
    'one is exported (declarations under an `#if` only in the builds that have them). Per module: a table',
    'quoting what each comment says about the calling thread, blocking and allocating ("—": the comment does',
    'not say; the full contract is the text below it), then the declarations in header order. Design notes',
    'are in the module docs linked from each section; error codes are in `error.h` below.',
    '',
    '| header | module |',
    '|---|---|',
    ...headers.map((h) => `| [\`${h.name}\`](#${slug(`${h.name} — ${h.title}`)}) | ${inline(h.title)} |`),
    '',
  ]);
  for (const h of headers) {
    const mod = [];
    mod.push(`## ${h.name} — ${inline(h.title)}`, '');
    const doc = DOC_OF[h.name] || h.name.replace(/\.h$/, '.md');
    const refs = [`header [\`${h.file}\`](../${h.file})`];
    if (existsSync(join(ROOT, 'docs', doc))) refs.push(`design: [\`docs/${doc}\`](${doc})`);
    refs.push(`library: \`${LIB_OF[h.name] || 'libwebthreads.a'}\``);
    mod.push(`${refs.join(' · ')}`, '');
    if (h.intro.length) mod.push(...blocks(h.intro), '');
    const fns = h.entries.filter((e) => e.kind === 'function');
    if (fns.length) {
      mod.push('| function | calling thread | blocks? | allocates? |', '|---|---|---|---|');
      for (const f of fns) {
        const c = contractCells(f.comment);
        mod.push(`| [\`${f.name}\`](#${slug(f.name)}) | ${cellText(c.thread)} | ${cellText(c.blocks)} | ${cellText(c.allocates)} |`);
      }
      mod.push('');
    }
    add(h.name, h.file, mod);
    for (const e of h.entries) {
      const src = `${h.file}:${e.line}`;
      if (e.kind === 'section') {
        const body = e.body.length ? [...blocks(e.body), ''] : [];
        add(`${h.name} › ${e.title}`, src, [`### ${inline(e.title)}`, '', ...body]);
      } else if (e.kind === 'function' || e.kind === 'type') {
        const what = e.kind === 'type' ? ` (${e.sort})` : e.inline ? ' (static inline)' : '';
        const lines = [`#### ${e.name}${what}`, '', ...fence(e.raw), '', ...condNote(e.cond)];
        if (e.comment) lines.push(...blocks(e.comment), '');
        add(`${h.name} › ${e.name}`, src, lines);
      } else if (e.kind === 'macros') {
        const names = e.macros.map((m) => m.name);
        const lines = [`#### ${names.join(', ')}`, '', ...condNote(e.cond)];
        const xs = e.macros.filter((m) => m.rows);
        const plain = e.macros.filter((m) => !m.rows);
        if (plain.length) lines.push(...fence(plain.map((m) => m.raw.replace(/\s*\/\*[\s\S]*?\*\/\s*$/, '')).join('\n')), '');
        if (e.comment) {
          const own = xs.length && e.comment.length === 1 && /^X\(/.test(e.comment[0]) ? [] : e.comment;
          if (own.length) lines.push(...blocks(own), '');
        }
        for (const m of xs) lines.push(...xTable(m), '');
        add(`${h.name} › ${names.join(', ')}`, src, lines);
      }
    }
  }
  const text = sections.map((s) => s.lines.join('\n').replace(/\n+$/, '')).join('\n\n') + '\n';
  return { text, sections };
}

// An X-macro list as a table: one row per X(...), its columns as the comment above names them.
function xTable(m) {
  const cols = m.columns || m.rows[0].map((_, k) => `arg ${k + 1}`);
  const lines = [...wrap(`The list \`${m.name}(X)\`, one \`X(${cols.join(', ')})\` per entry` +
    (m.enumName ? `; \`${m.enumName}\` has one constant per entry, \`${m.enumPrefix}\` + its ${cols[m.enumColumn]}:` : ':')), ''];
  lines.push(`| ${cols.map(inline).join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`);
  for (const r of m.rows) {
    const cells = r.map((v, k) => {
      if (v.str !== undefined) return cellText(v.str);
      const t = k === m.enumColumn ? `${m.enumPrefix}${v.tok}` : v.tok;
      return `\`${t}\``;
    });
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

// ------------------------------------------------------------------ checks

function undocumented(headers) {
  const out = [];
  for (const h of headers) {
    for (const e of h.entries) {
      if (e.kind === 'function' && !e.comment) out.push(`${h.file}:${e.line}: ${e.name} has no contract comment`);
    }
  }
  return out;
}

// A second, plain look at the headers: every "type name(" at the start of a line outside comments and
// directives. If the scanner missed a declaration (or read two as one), the two lists differ.
function plainScan(headers) {
  const problems = [];
  for (const h of headers) {
    const src = readFileSync(join(ROOT, h.file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
      .replace(/^\s*#.*(?:\\\n.*)*$/gm, '');
    const plain = new Set();
    for (const m of src.matchAll(/^[A-Za-z_][\w \t*]*?[\s*](wt_[a-z]\w*)\s*\(/gm)) plain.add(m[1]);
    const parsed = new Set(h.entries.filter((e) => e.kind === 'function').map((e) => e.name));
    for (const n of plain) if (!parsed.has(n)) problems.push(`${h.file}: ${n} looks like a declaration but was not parsed (scripts/api-doc.mjs misread the header)`);
    for (const n of parsed) if (!plain.has(n)) problems.push(`${h.file}: ${n} was parsed as a function but no line declares it (scripts/api-doc.mjs misread the header)`);
  }
  return problems;
}

// Every wt_ function the libraries export (wt__ internals aside) is declared; every declared one that is
// not static inline nor under an #if is exported.
function symbolCheck(headers, libs, nm) {
  const problems = [];
  const exported = new Map(); // name -> library
  for (const lib of libs) {
    let out;
    try {
      out = execFileSync(nm, ['-g', '--defined-only', lib], { encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch (e) {
      problems.push(`cannot list the symbols of ${lib} with ${nm}: ${e.message.split('\n')[0]} (build the library first: cmake --build build/host)`);
      continue;
    }
    for (const m of out.matchAll(/^\S*\s+[TW]\s+_?(wt_[a-z]\w*)$/gm)) exported.set(m[1], basename(lib));
  }
  if (problems.length) return problems;
  if (!exported.size) return [`no wt_ function found in ${libs.join(', ')}: wrong library, or nm output not understood`];
  const declared = new Map();
  for (const h of headers) for (const e of h.entries) if (e.kind === 'function') declared.set(e.name, { h, e });
  for (const [name, lib] of [...exported].sort()) {
    if (!declared.has(name)) {
      problems.push(`${lib} exports ${name}, which no public header declares: declare it (with its contract comment) in ${INCLUDE}/, or make it static / wt__-prefixed`);
    } else if (declared.get(name).e.inline) {
      problems.push(`${lib} exports ${name}, which ${declared.get(name).h.file} defines static inline`);
    }
  }
  for (const [name, { h, e }] of declared) {
    if (e.inline || e.cond || exported.has(name)) continue;
    problems.push(`${h.file}:${e.line}: ${name} is declared, but no library given defines it (${libs.map((l) => basename(l)).join(', ')}): ` +
      'remove the declaration, or put it under the #if of the builds that have it');
  }
  return problems;
}

// Which units differ between the file and what the headers give now.
function diffSections(current, sections) {
  const have = new Map();
  let key = 'intro', buf = [];
  const flush = () => { have.set(key, buf.join('\n').replace(/\n+$/, '')); buf = []; };
  const keys = new Map(sections.map((s) => [s.lines[0], s.key]));
  for (const line of current.split('\n')) {
    if (/^#{2,4} /.test(line) && keys.has(line)) { flush(); key = keys.get(line); }
    else if (/^#{2,4} /.test(line)) { flush(); key = line.replace(/^#+ /, ''); }
    buf.push(line);
  }
  flush();
  const out = [];
  for (const s of sections) {
    const want = s.lines.join('\n').replace(/\n+$/, '');
    if (!have.has(s.key)) out.push(`${s.key} (${s.source}): missing from ${OUT}`);
    else if (have.get(s.key) !== want) out.push(`${s.key} (${s.source}): differs`);
  }
  const known = new Set(sections.map((s) => s.key));
  for (const k of have.keys()) if (!known.has(k)) out.push(`${k}: in ${OUT}, gone from the headers`);
  return out;
}

// ------------------------------------------------------------------ main

function main(argv) {
  const args = { check: false, libs: [], nm: 'nm' };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--check') args.check = true;
    else if (a === '--lib') args.libs.push(argv[++k]);
    else if (a === '--nm') args.nm = argv[++k];
    else if (a === '-h' || a === '--help') { console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 10).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')); return 0; }
    else { console.error(`api-doc: unknown argument ${a} (see --help)`); return 2; }
  }
  const fail = (what, list) => {
    console.error(`api-doc: ${what}:`);
    for (const p of list) console.error(`  ${p}`);
    return 1;
  };
  let headers;
  try {
    const present = readdirH();
    const unknown = present.filter((h) => !HEADERS.includes(h));
    const gone = HEADERS.filter((h) => !present.includes(h));
    if (unknown.length || gone.length) {
      return fail('the header list in scripts/api-doc.mjs (HEADERS) does not match include/webthreads/', [
        ...unknown.map((h) => `${INCLUDE}/${h}: not in HEADERS (add it where its module belongs in the doc's order)`),
        ...gone.map((h) => `${h}: in HEADERS, but ${INCLUDE}/${h} does not exist`)]);
    }
    headers = HEADERS.map((h) => parseHeader(`${INCLUDE}/${h}`));
  } catch (e) {
    if (e instanceof ParseError) return fail('cannot read the headers', [e.message]);
    throw e;
  }
  // Every problem is reported, not only the first kind found.
  let bad = 0;
  const group = (what, list) => { if (list.length) bad = fail(what, list); };
  group('scripts/api-doc.mjs misread a header (fix the script, or write the declaration the way the others are)', plainScan(headers));
  group('every public wt_ function needs a contract comment right above its declaration (calling thread, ' +
    'blocks or not, allocates or not, ownership, return value: style.md rule 5)', undocumented(headers));
  if (args.libs.length) group('the headers and the libraries disagree', symbolCheck(headers, args.libs, args.nm));
  const n = headers.reduce((k, h) => k + h.entries.filter((e) => e.kind === 'function').length, 0);
  const { text, sections } = render(headers);
  const outPath = join(ROOT, OUT);
  if (!args.check) {
    if (bad) { console.error(`api-doc: ${OUT} not written`); return bad; }
    writeFileSync(outPath, text);
    console.log(`api-doc: wrote ${OUT} (${n} functions, ${headers.length} headers)`);
    return 0;
  }
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
  if (current === null) {
    group(`${OUT} does not exist`, [`run: ${REGEN}`]);
  } else if (current !== text) {
    const diffs = diffSections(current, sections);
    if (!diffs.length) diffs.push('(whitespace or ordering only)');
    const shown = diffs.slice(0, 20);
    if (diffs.length > shown.length) shown.push(`... and ${diffs.length - shown.length} more`);
    group(`${OUT} is out of date with the headers; run \`${REGEN}\` and commit ${OUT}. What differs`, shown);
  }
  if (bad) return bad;
  console.log(`api-doc: ${OUT} is up to date (${n} functions, ${headers.length} headers${args.libs.length ? `; every exported wt_ function of ${args.libs.map((l) => basename(l)).join(', ')} declared and documented` : ''})`);
  return 0;
}

// The headers present, sorted (for a stable message).
function readdirH() {
  return readdirSync(join(ROOT, INCLUDE)).filter((f) => f.endsWith('.h')).sort();
}

process.exitCode = main(process.argv.slice(2));
