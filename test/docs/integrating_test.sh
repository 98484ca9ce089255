#!/usr/bin/env bash
# Runs the commands of docs/integrating.md exactly as the page writes them, so the page cannot drift.
#
#   test/docs/integrating_test.sh SUITE [DOC]      SUITE: emscripten | mono; DOC: the page (default:
#                                                  docs/integrating.md of this checkout)
#
# The page marks what a suite runs and what it must print with HTML comments, each directly before a
# fenced block:
#   <!-- integrating-test: SUITE -->          the next ```sh block is a step (steps run in page order)
#   <!-- integrating-test: SUITE output -->   the next ```text block is what the steps print (in order)
# The steps are joined into one script, run by `bash -euo pipefail` in a new, empty temporary directory
# with WT_SRC set to this source tree (the page's name for "your webthreads checkout"). The suite passes
# when the script exits 0 and every line of every output block appears as a whole line of its output,
# in page order (the build's own lines may come in between). Before running anything it checks the
# page's excerpts of source files (<!-- integrating-excerpt: PATH -->, see below).
# Set up here, not by the page: for emscripten `source scripts/env.sh` (emcc on PATH, which the page's
# "Before you start" asks of the reader), and CMAKE_BUILD_PARALLEL_LEVEL=2 when unset (the page's
# `cmake --build` takes it; the page says so).
# WT_DOCS_TIMEOUT (seconds, default 900) bounds the script; the directory is removed after a pass and
# kept (its path printed) after a failure. Registered in CTest as node.docs.integrating (wasm tier) and
# host.docs.integrating_mono (host tier), label docs (test/docs/CMakeLists.txt).
set -euo pipefail

suite=${1:?usage: integrating_test.sh emscripten|mono [DOC]}
here=$(cd "$(dirname "$0")" && pwd)
WT_SRC=$(cd "$here/../.." && pwd)
doc=${2:-$WT_SRC/docs/integrating.md}
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$doc" ] || fail "no page $doc"

work=$(mktemp -d "${TMPDIR:-/tmp}/wt-docs-$suite.XXXXXX")
script=$work/.steps.sh expect=$work/.expected log=$work/.log
# The script and the files the check uses live in the work directory too; the steps start in an empty
# subdirectory of it.
mkdir "$work/run"

# Extract the marked blocks: a marker line, optional blank lines, then the fence (```sh for steps,
# ```text for output). A marker not followed by the right fence is an error (a typo must not silently
# drop a step).
awk -v suite="$suite" -v script="$script" -v expect="$expect" '
  function bad(msg) { printf "FAIL: %s:%d: %s\n", FILENAME, NR, msg; failed = 1; exit 1 }
  {
    if (inblock) {
      if ($0 ~ /^```[ \t]*$/) { inblock = 0; next }
      print > (kind == "steps" ? script : expect)
      next
    }
    if (want != "") {
      if ($0 ~ /^[ \t]*$/) next
      fence = (want == "steps") ? "sh" : "text"
      if ($0 !~ ("^```" fence "[ \t]*$")) bad("marker of line " markline " is not followed by a ```" fence " block")
      kind = want; want = ""; inblock = 1
      if (kind == "steps") { steps++; printf "\n# --- step %d (%s:%d)\n", steps, FILENAME, NR > script }
      else outputs++
      next
    }
    if (match($0, /^<!-- integrating-test: [a-z0-9-]+( output)? -->[ \t]*$/)) {
      split($0, f, /[ \t]+/)
      if (f[3] != suite) next
      want = (f[4] == "output") ? "output" : "steps"; markline = NR
    }
  }
  END {
    if (failed) exit 1
    if (inblock) bad("a marked block is not closed")
    if (want != "") bad("marker of line " markline " is the last line")
    if (steps == 0) bad("no block marked <!-- integrating-test: " suite " -->")
    if (outputs == 0) bad("no block marked <!-- integrating-test: " suite " output -->")
    printf "%d steps, %d output blocks\n", steps, outputs
  }' "$doc" || { rm -rf "$work"; exit 1; }
touch "$script" "$expect"

# Excerpts of source files: <!-- integrating-excerpt: PATH --> before a fenced block. Every line of the
# block but blank lines and elisions ("// ..." or "# ...") must be a line of $WT_SRC/PATH, in order.
awk -v src="$WT_SRC" '
  function bad(msg) { printf "FAIL: %s:%d: %s\n", FILENAME, NR, msg; failed = 1; exit 1 }
  function check(   n, l, i, k) {
    n = 0
    while ((getline l < (src "/" path)) > 0) file[++n] = l
    close(src "/" path)
    if (n == 0) bad("excerpt of " path ": no such file (or empty)")
    i = 0
    for (k = 1; k <= m; k++) {
      for (i++; i <= n && file[i] != ex[k]; i++) {}
      if (i > n) bad("excerpt of " path ": line \"" ex[k] "\" is not in the file (in this order)")
    }
    excerpts++
  }
  {
    if (inblock) {
      if ($0 ~ /^```[ \t]*$/) { inblock = 0; check(); next }
      if ($0 !~ /^[ \t]*$/ && $0 !~ /^[ \t]*(\/\/|#) \.\.\.[ \t]*$/) ex[++m] = $0
      next
    }
    if (path != "" && !started) {
      if ($0 ~ /^[ \t]*$/) next
      if ($0 !~ /^```[a-z]+[ \t]*$/) bad("excerpt marker not followed by a fenced block")
      started = 1; inblock = 1; m = 0
      next
    }
    if (match($0, /^<!-- integrating-excerpt: [^ ]+ -->[ \t]*$/)) {
      split($0, f, /[ \t]+/); path = f[3]; started = 0
    } else if (started) path = ""
  }
  END { if (!failed) printf "%d excerpts match their files\n", excerpts }' "$doc" || { rm -rf "$work"; exit 1; }

if [ "$suite" = emscripten ]; then
  # shellcheck source=../../scripts/env.sh
  source "$WT_SRC/scripts/env.sh"
fi
export WT_SRC
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

echo "== running the $suite steps of $doc in $work/run"
t0=$(date +%s)
set +e
(cd "$work/run" && timeout --kill-after=10 "${WT_DOCS_TIMEOUT:-900}" bash -euo pipefail "$script") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
echo "== steps finished in $(( $(date +%s) - t0 )) s, exit status $rc"

keep() { echo "kept for inspection: $work"; exit 1; }
[ "$rc" = 124 ] && { echo "FAIL: the steps did not finish within ${WT_DOCS_TIMEOUT:-900} s"; keep; }
[ "$rc" = 0 ] || { echo "FAIL: the steps exited with status $rc"; keep; }

# Every expected line, in order, as a whole line of the log.
awk -v logfile="$log" '
  BEGIN { n = 0; while ((getline l < logfile) > 0) lines[++n] = l; at = 0 }
  /^$/ { next }
  {
    for (i = at + 1; i <= n && lines[i] != $0; i++) {}
    if (i > n) {
      printf "FAIL: the page says the steps print\n  %s\nbut that line is not in their output", $0
      printf " (searched from line %d of %s)\n", at + 1, logfile
      bad = 1; exit
    }
    at = i
  }
  END { exit bad }' "$expect" || keep
echo "PASS docs/integrating.md $suite: $(grep -cv '^$' "$expect") expected lines seen"
rm -rf "$work"
