#!/bin/sh
# test/emscripten/check_test.sh WORKDIR LIBA LIBJS NODE EMCC...: the emscripten-internals check
# (js/library_emscripten.js) with this tree's emscripten. Links test/emscripten/em_check.c three ways:
#   control      as any program: runs, prints EMCHECK ok (the check passes a right emscripten);
#   break_link   with break_link.js first (PThread.getNewWorker renamed): the link fails, and its
#                output holds exactly one line "webthreads: emscripten <this version>: PThread.getNewWorker ...";
#   break_start  with break_start.js (returnWorkerToPool deleted at start-up): links, then fails
#                at start-up under node with "webthreads: emscripten <this version>: PThread.returnWorkerToPool
#                is not a function at start-up", and prints no EMCHECK ok.
# EMCC is the compiler command (the em6 tree passes scripts/em6 and its emcc). Prints CHECK ok.
set -u
work=$1; liba=$2; libjs=$3; node=$4; shift 4
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cp "$here/em_check.c" "$here/break_link.js" "$here/break_start.js" "$liba" . && cp "$libjs" libwebthreads.js || exit 1
ver=$("$@" --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)
[ -n "$ver" ] || fail "cannot read the emscripten version from: $* --version"
flags="-O1 -pthread -sWASM_BIGINT -sEXIT_RUNTIME -sENVIRONMENT=node"

"$@" $flags --js-library libwebthreads.js em_check.c libwebthreads.a -o control.js >control.log 2>&1 \
  || { cat control.log; fail "the control program did not link"; }
out=$(timeout 60 "$node" control.js 2>&1) || fail "the control program failed: $out"
case "$out" in *"EMCHECK ok"*) ;; *) fail "the control program printed no EMCHECK ok: $out";; esac
echo "control: linked and ran (emscripten $ver)"

if "$@" $flags --js-library break_link.js --js-library libwebthreads.js em_check.c libwebthreads.a -o link.js >link.log 2>&1; then
  cat link.log; fail "break_link: the link succeeded with PThread.getNewWorker renamed"
fi
n=$(grep -c "webthreads: emscripten $ver: PThread.getNewWorker is missing" link.log)
[ "$n" = 1 ] || { cat link.log; fail "break_link: expected one line naming emscripten $ver and PThread.getNewWorker, found $n"; }
echo "break_link: $(grep "webthreads: emscripten" link.log)"

"$@" $flags --js-library break_start.js --js-library libwebthreads.js em_check.c libwebthreads.a -o start.js >start.log 2>&1 \
  || { cat start.log; fail "break_start: the link failed (the break is a run-time one)"; }
timeout 60 "$node" start.js >start.out 2>&1 && fail "break_start: the program exited 0: $(cat start.out)"
grep -q "EMCHECK ok" start.out && fail "break_start: the program ran its thread anyway"
grep -q "webthreads: emscripten $ver: PThread.returnWorkerToPool is not a function at start-up" start.out \
  || { tail -c 3000 start.out; fail "break_start: no line naming emscripten $ver and PThread.returnWorkerToPool"; }
echo "break_start: $(grep -o "webthreads: emscripten $ver: [^\"]*" start.out | head -n1)"
echo "CHECK ok"
