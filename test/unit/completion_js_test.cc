// The JS halves of completions (js/library_completion.js, completion/js_exports.c): JS Promise ->
// completion (wtCompletion.fromPromise: value conversions, rejections, the owner thread leaving or
// exiting first), completion -> JS Promise (wtCompletion.toPromise: conversions back, rejections, the
// owner exiting), and sync over async JS (wt_await_js_sync: a worker waits for a fetch performed on the
// UI thread; refusals). wasm only (node and Chromium). The Promises live on workers that idle in their
// JS event loop (LoopThread) or on the UI thread, which idles in its event loop under PROXY_TO_PTHREAD.
// Tests wait for the event they expect; deadlines only turn a hang into a failure.
#ifdef __EMSCRIPTEN__
#include "webthreads/completion.h"
#include "webthreads/handles.h"

#include "proxying/internal.h"
#include "test/unit/test_threads.h"

#include <emscripten/emscripten.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

// Called from JS on a LoopThread (CompletionJs.LateSettleAfterTheThreadLeftIsANoOp).
static std::atomic<int> left_rc{-999};
static std::atomic<uint64_t> rejoined{0};
extern "C" EMSCRIPTEN_KEEPALIVE int wt_test_cjs_leave(void) { return left_rc = wt_thread_leave(); }
extern "C" EMSCRIPTEN_KEEPALIVE void wt_test_cjs_rejoin(void) {
  wt_thread t;
  if (wt_thread_join(&t) == 0) rejoined = t.bits;
}

namespace {

using wtt::Event;
using wtt::kHang;
using wtt::RunOn;
using wtt::Thread;

wt_completion_stats CStats() {
  wt_completion_stats s;
  wt_completion_stats_get(&s);
  return s;
}

using wtt::WaitFor;


// Installs Module.wtTest.describe (a Promise outcome as text) and .record (writes it to a Rec, see
// below) in the calling realm. On Module, not globalThis: a reaction that runs after its thread exited
// finds the realm's added globals deleted (js/library_pool.js), Module's properties are kept.
void InstallDescribe() {
  EM_ASM({
    const t = Module['wtTest'] = {};
    t.describe = (v) => {
      if (v === undefined) return 'undefined';
      if (typeof v === 'bigint') return 'bigint:' + v;
      if (typeof v === 'number') return 'number:' + v;
      if (typeof v === 'string') return 'string:' + JSON.stringify(v);
      if (v instanceof Uint8Array)
        return 'u8:' + Array.from(v).join(',') + (v.buffer instanceof ArrayBuffer ? ':own' : ':shared');
      if (v && typeof v === 'object') return 'object:' + v.tag;
      return 'other:' + typeof v;
    };
    t.record = (rec, text) => {
      stringToUTF8(text, rec + 4, 252);
      Atomics.store(HEAP32, rec >> 2, 1);
    };
  });
}

// A settled Promise's outcome, written by JS (Module.wtTest.record) into shared memory.
struct Rec {
  std::atomic<int> done{0};
  char text[252];
};
static_assert(sizeof(Rec) == 256, "Module.wtTest.record writes text at offset 4");

// A worker that idles in its JS event loop (Promises settle there) until told to exit, with
// Module.wtTest's helpers installed.
struct LoopThread : wtt::LoopThread {
  LoopThread() : wtt::LoopThread(InstallDescribe) {}
};

// ------------------------------------------------------------------ JS Promise -> completion

// On `t`: fromPromise(<js expression>, c); returns fromPromise's code.
int FromPromiseOn(wt_thread t, wt_completion *c, const char *expr) {
  int rc = -999;
  EXPECT_EQ(RunOn(t, [&] {
    rc = EM_ASM_INT({ return wtCompletion.fromPromise(eval(UTF8ToString($0)), $1); }, expr, c);
  }), 0);
  return rc;
}

struct Settled {
  int status;
  wt_result res;
  wt_value v;
};

// Binds a new completion to the Promise `expr` on `t` and waits (here) until it settles.
Settled Settle(wt_thread t, const char *expr, wt_completion **keep = nullptr) {
  wt_completion *c;
  EXPECT_EQ(wt_completion_create(&c), 0);
  EXPECT_EQ(FromPromiseOn(t, c, expr), 0) << expr;
  Settled s{};
  wt_completion_wait(c, kHang);
  EXPECT_NE(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING) << expr;
  s.status = wt_completion_result_get(c, &s.res, &s.v);
  if (keep) *keep = c;  // the value's bytes live as long as c
  else wt_completion_release(c);
  return s;
}

TEST(CompletionJs, FromPromiseConvertsEachKind) {
  LoopThread l;
  wt_completion_stats before = CStats();
  struct Scalar { const char *expr; wt_value_kind kind; uint64_t u64; double f64; } scalars[] = {
    {"Promise.resolve(undefined)", WT_VALUE_NONE, 0, 0},
    {"Promise.resolve(null)", WT_VALUE_NONE, 0, 0},
    {"undefined", WT_VALUE_NONE, 0, 0},  // not a thenable: settles at the next microtask
    {"Promise.resolve(1.5)", WT_VALUE_F64, 0, 1.5},
    {"new Promise((r) => setTimeout(() => r(-(2 ** 60)), 5))", WT_VALUE_F64, 0, -1152921504606846976.0},
    {"Promise.resolve(2n ** 64n - 1n)", WT_VALUE_U64, UINT64_MAX, 0},
    {"Promise.resolve(-1n)", WT_VALUE_U64, UINT64_MAX, 0},
    {"Promise.resolve(1234567890123456789n)", WT_VALUE_U64, 1234567890123456789ull, 0},
    {"Promise.resolve(true)", WT_VALUE_U64, 1, 0},
    {"Promise.resolve(false)", WT_VALUE_U64, 0, 0},
  };
  for (const Scalar &e : scalars) {
    Settled s = Settle(l.tid(), e.expr);
    ASSERT_EQ(s.status, 0) << e.expr << ": " << s.res.message;
    EXPECT_EQ(s.v.kind, e.kind) << e.expr;
    if (e.kind == WT_VALUE_U64) EXPECT_EQ(s.v.u64, e.u64) << e.expr;
    if (e.kind == WT_VALUE_F64) EXPECT_EQ(s.v.f64, e.f64) << e.expr;
  }
  struct Data { const char *expr; wt_value_kind kind; std::string bytes; } datas[] = {
    {"Promise.resolve('h\\u00e9llo \\u2713 \\u{1F600}')", WT_VALUE_STRING, "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"},
    {"Promise.resolve('a\\u0000b')", WT_VALUE_STRING, std::string("a\0b", 3)},
    {"Promise.resolve('')", WT_VALUE_STRING, ""},
    {"Promise.resolve(new Uint8Array([0, 1, 127, 128, 255]))", WT_VALUE_BYTES, std::string("\0\1\x7f\x80\xff", 5)},
    {"Promise.resolve(new Uint8Array([9, 8, 7]).buffer)", WT_VALUE_BYTES, "\x09\x08\x07"},
    {"Promise.resolve(new DataView(new Uint8Array([1, 2, 3, 4, 5]).buffer, 1, 3))", WT_VALUE_BYTES, "\x02\x03\x04"},
    {"Promise.resolve(new Uint16Array([0x0201, 0x0403]).subarray(1))", WT_VALUE_BYTES, "\x03\x04"},
    {"Promise.resolve(new Uint8Array(new SharedArrayBuffer(2)))", WT_VALUE_BYTES, std::string("\0\0", 2)},
    {"Promise.resolve(new ArrayBuffer(0))", WT_VALUE_BYTES, ""},
  };
  for (const Data &e : datas) {
    wt_completion *c = nullptr;
    Settled s = Settle(l.tid(), e.expr, &c);
    ASSERT_EQ(s.status, 0) << e.expr << ": " << s.res.message;
    EXPECT_EQ(s.v.kind, e.kind) << e.expr;
    EXPECT_EQ(std::string(static_cast<const char *>(s.v.data), s.v.len), e.bytes) << e.expr;
    if (e.kind == WT_VALUE_STRING) EXPECT_EQ(static_cast<const char *>(s.v.data)[s.v.len], '\0');
    wt_completion_release(c);
  }
  // Objects and functions become handles of the owner thread, held by the managed side only.
  for (const char *expr : {"Promise.resolve({ tag: 'obj' })", "Promise.resolve(Object.assign(() => 1, { tag: 'fn' }))"}) {
    Settled s = Settle(l.tid(), expr);
    ASSERT_EQ(s.status, 0) << expr << ": " << s.res.message;
    ASSERT_EQ(s.v.kind, WT_VALUE_HANDLE) << expr;
    wt_handle h{s.v.u64};
    EXPECT_TRUE(wt_thread_equal(wt_handle_owner(h), l.tid()));
    int size_before = -1, tag_ok = -1, size_after = -1;
    ASSERT_EQ(RunOn(l.tid(), [&] {
      size_before = EM_ASM_INT({ return wtHandles.size(); });
      tag_ok = EM_ASM_INT({ const v = wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3])); return v.tag === 'obj' || v.tag === 'fn'; }, &s.v.u64);
    }), 0);
    EXPECT_EQ(tag_ok, 1);
    EXPECT_EQ(wt_handle_release(h), 0) << "the reader owns the managed side";
    ASSERT_EQ(RunOn(l.tid(), [&] { size_after = EM_ASM_INT({ return wtHandles.size(); }); }), 0);
    EXPECT_EQ(size_after, size_before - 1) << "released once, the entry is freed: the JS side let go already";
  }
  // A symbol cannot cross.
  Settled s = Settle(l.tid(), "Promise.resolve(Symbol('s'))");
  EXPECT_EQ(s.status, WT_EINVAL);
  EXPECT_NE(std::string(s.res.message).find("symbol"), std::string::npos) << s.res.message;
  int size = -1;
  ASSERT_EQ(RunOn(l.tid(), [&] { size = EM_ASM_INT({ return wtCompletion.size(); }); }), 0);
  EXPECT_EQ(size, 0) << "every settled Promise left the realm's table";
  EXPECT_EQ(CStats().live, before.live) << "every completion was freed (the JS side dropped its references)";
}

TEST(CompletionJs, FromPromiseRejectionCodesAndMessages) {
  LoopThread l;
  struct Case { const char *expr; int status; const char *message; } cases[] = {
    {"Promise.reject(new Error('boom'))", WT_ECALL, "Error: boom"},
    {"Promise.reject(Object.assign(new Error('slow'), { code: -4 }))", WT_ETIMEDOUT, "Error: slow"},
    {"Promise.reject({ code: -31, toString() { return 'dead' } })", WT_EDEADLK, "dead"},
    {"Promise.reject(Object.assign(new Error('app'), { code: 7 }))", WT_ECALL, "Error: app"},  // not a WT code
    {"Promise.reject(Object.assign(new Error('x'), { code: -999 }))", WT_ECALL, "Error: x"},  // unknown
    {"Promise.reject(Object.assign(new Error('x'), { code: -4.5 }))", WT_ECALL, "Error: x"},
    {"Promise.reject('just text')", WT_ECALL, "just text"},
    {"Promise.reject(undefined)", WT_ECALL, "undefined"},
    {"Promise.reject(Object.create(null))", WT_ECALL, "webthreads: the rejection reason could not be turned into a string"},
    {"new Promise((_, j) => setTimeout(() => j(new TypeError('later')), 5))", WT_ECALL, "TypeError: later"},
    {"({ then(_, j) { j(new RangeError('thenable')); } })", WT_ECALL, "RangeError: thenable"},
  };
  for (const Case &e : cases) {
    Settled s = Settle(l.tid(), e.expr);
    EXPECT_EQ(s.status, e.status) << e.expr;
    EXPECT_STREQ(s.res.message, e.message) << e.expr;
  }
  // A long message is cut at a character boundary to WT_CALL_MESSAGE_MAX - 1 bytes.
  Settled s = Settle(l.tid(), "Promise.reject('\\u00e9'.repeat(200))");
  EXPECT_EQ(s.status, WT_ECALL);
  std::string m = s.res.message;
  EXPECT_EQ(m.size(), 94u) << "47 two-byte characters fit in 95 bytes";
  std::string e47;
  for (int i = 0; i < 47; i++) e47 += "\xc3\xa9";
  EXPECT_EQ(m, e47);
}

// fromPromise's refusals: NULL, a completion bound or settled already (nothing is taken).
TEST(CompletionJs, FromPromiseRefusals) {
  LoopThread l;
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  EXPECT_EQ(FromPromiseOn(l.tid(), nullptr, "Promise.resolve(1)"), WT_EINVAL);
  EXPECT_EQ(FromPromiseOn(l.tid(), c, "new Promise(() => {})"), 0);
  EXPECT_EQ(FromPromiseOn(l.tid(), c, "Promise.resolve(1)"), WT_EALREADY) << "bound already";
  wt_completion *d;
  ASSERT_EQ(wt_completion_create(&d), 0);
  ASSERT_EQ(wt_completion_cancel(d), 0);
  EXPECT_EQ(FromPromiseOn(l.tid(), d, "Promise.resolve(1)"), WT_EALREADY) << "settled already";
  int size = -1;
  ASSERT_EQ(RunOn(l.tid(), [&] { size = EM_ASM_INT({ return wtCompletion.size(); }); }), 0);
  EXPECT_EQ(size, 1) << "only the first binding is in the table";
  wt_completion_release(d);
  l.Exit();
  EXPECT_EQ(wt_completion_wait(c, kHang), WT_ECANCELED) << "its binding's thread exited";
  wt_completion_release(c);
}

// The Promise's thread exits before the Promise settles: the binding cancels the completion as the
// thread leaves, which wakes a worker blocked in wt_completion_wait; the realm drops its reference.
TEST(CompletionJs, BoundToAPromiseOfAnExitingThreadWakesItsWaiter) {
  wt_completion_stats before = CStats();
  LoopThread l;
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  ASSERT_EQ(FromPromiseOn(l.tid(), c, "new Promise(() => {})"), 0);
  std::atomic<int> waiting{0}, rc{-999};
  wt_result res{};
  Thread w([&] {
    waiting = 1;
    rc = wt_completion_wait(c, kHang);
    wt_completion_result_get(c, &res, nullptr);
  });
  ASSERT_TRUE(WaitFor([&] { return waiting.load() == 1; }));
  l.Exit();
  w.Join();
  EXPECT_EQ(rc.load(), WT_ECANCELED);
  EXPECT_NE(std::string(res.message).find("left"), std::string::npos) << res.message;
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, before.live) << "the exiting realm dropped the JS side's reference";
}

// The Promise's thread leaves (and stays alive); the Promise settles later: nothing changes — the
// completion stays canceled, no settle is attempted (none refused), the realm's table lets go of it.
TEST(CompletionJs, LateSettleAfterTheThreadLeftIsANoOp) {
  wt_completion_stats before = CStats();
  LoopThread l;
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  left_rc = -999;
  rejoined = 0;
  Rec rec;
  ASSERT_EQ(RunOn(l.tid(), [&] {
    EM_ASM({
      let resolve;
      if (wtCompletion.fromPromise(new Promise((r) => { resolve = r; }), $0) !== 0) throw new Error('not bound');
      // From the event loop, after this call returned: leave, then settle the Promise.
      setTimeout(() => {
        _wt_test_cjs_leave();
        resolve({ tag: 'late' });
        setTimeout(() => {
          Module['wtTest'].record($1, 'size:' + wtCompletion.size() + ' handles:' + wtHandles.size());
          _wt_test_cjs_rejoin();
        }, 0);
      }, 0);
    }, c, &rec);
  }), 0);
  ASSERT_TRUE(WaitFor([&] { return rec.done.load() == 1 && rejoined.load() != 0; }));
  EXPECT_EQ(left_rc.load(), 0);
  EXPECT_STREQ(rec.text, "size:0 handles:0") << "no handle was registered for a completion nobody will read";
  wt_result res;
  EXPECT_EQ(wt_completion_result_get(c, &res, nullptr), WT_ECANCELED) << res.message;
  EXPECT_EQ(CStats().refused, before.refused) << "the late settle was not attempted";
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, before.live);
  l.id = rejoined.load();  // its new id, to tell it to exit
}

// ------------------------------------------------------------------ completion -> JS Promise

// On `t`: toPromise(c), its outcome recorded in *rec (Module.wtTest.describe / 'error:<code>:<message>').
void ToPromiseOn(wt_thread t, wt_completion *c, Rec *rec) {
  ASSERT_EQ(RunOn(t, [&] {
    EM_ASM({
      const t = Module['wtTest'];
      wtCompletion.toPromise($0).then((v) => t.record($1, t.describe(v)),
                                      (e) => t.record($1, 'error:' + e.code + ':' + e.message));
    }, c, rec);
  }), 0);
}

std::string Await(Rec &rec) {
  EXPECT_TRUE(WaitFor([&] { return rec.done.load() == 1; }));
  return rec.text;
}

TEST(CompletionJs, ToPromiseConvertsEachKind) {
  LoopThread l;
  wt_completion_stats before = CStats();
  auto round_trip = [&](const wt_value *v) {
    wt_completion *c;
    EXPECT_EQ(wt_completion_create(&c), 0);
    Rec rec;
    ToPromiseOn(l.tid(), c, &rec);
    EXPECT_EQ(rec.done.load(), 0) << "pending until c settles";
    EXPECT_EQ(wt_completion_resolve(c, v), 0);  // here, on another thread than the Promise's
    wt_completion_release(c);                     // the continuation holds its own reference
    return Await(rec);
  };
  wt_value none{}, u64{}, f64{}, str{}, bytes{}, empty{};
  none.kind = WT_VALUE_NONE;
  EXPECT_EQ(round_trip(&none), "undefined");
  EXPECT_EQ(round_trip(nullptr), "undefined");
  u64.kind = WT_VALUE_U64;
  u64.u64 = UINT64_MAX;
  EXPECT_EQ(round_trip(&u64), "bigint:18446744073709551615");
  f64.kind = WT_VALUE_F64;
  f64.f64 = -0.125;
  EXPECT_EQ(round_trip(&f64), "number:-0.125");
  str.kind = WT_VALUE_STRING;
  static const char text[] = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 a\0b";
  str.data = text;
  str.len = sizeof text - 1;
  EXPECT_EQ(round_trip(&str), "string:\"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 a\\u0000b\"");
  bytes.kind = WT_VALUE_BYTES;
  bytes.data = "\0\1\x7f\x80\xff";
  bytes.len = 5;
  EXPECT_EQ(round_trip(&bytes), "u8:0,1,127,128,255:own") << "a copy in a non-shared buffer";
  empty.kind = WT_VALUE_BYTES;
  EXPECT_EQ(round_trip(&empty), "u8::own");
  // A handle of the Promise's thread comes back as its object; another thread's as a BigInt.
  uint64_t own = 0;
  ASSERT_EQ(RunOn(l.tid(), [&] { EM_ASM({ HEAP64[$0 >> 3] = wtHandles.register({ tag: 'mine' }); }, &own); }), 0);
  wt_value hv{};
  hv.kind = WT_VALUE_HANDLE;
  hv.u64 = own;
  EXPECT_EQ(round_trip(&hv), "object:mine");
  int x = 0;
  wt_handle other;
  ASSERT_EQ(wt_handle_register(&x, nullptr, &other), 0);
  hv.u64 = other.bits;
  EXPECT_EQ(round_trip(&hv), "bigint:" + std::to_string(other.bits));
  EXPECT_EQ(wt_handle_release_local(other), 0);
  EXPECT_EQ(wt_handle_release(other), 0);
  // A handle of this thread that is not live any more rejects with its code.
  ASSERT_EQ(RunOn(l.tid(), [&] {
    EM_ASM({ const h = BigInt.asUintN(64, HEAP64[$0 >> 3]); wtHandles.release(h); wtHandles.releaseManaged(h); }, &own);
  }), 0);
  hv.u64 = own;
  std::string stale = round_trip(&hv);
  EXPECT_EQ(stale.rfind("error:" + std::to_string(WT_EHANDLE_STALE) + ":", 0), 0u) << stale;
  EXPECT_EQ(CStats().live, before.live);
}

TEST(CompletionJs, ToPromiseRejections) {
  LoopThread l;
  auto rejected = [&](const std::function<void(wt_completion *)> &settle) {
    wt_completion *c;
    EXPECT_EQ(wt_completion_create(&c), 0);
    Rec rec;
    ToPromiseOn(l.tid(), c, &rec);
    settle(c);
    wt_completion_release(c);
    return Await(rec);
  };
  EXPECT_EQ(rejected([](wt_completion *c) { wt_completion_reject(c, WT_ETIMEDOUT, "slow"); }), "error:-4:slow");
  EXPECT_EQ(rejected([](wt_completion *c) { wt_completion_reject(c, 42, "app says no"); }), "error:42:app says no");
  EXPECT_EQ(rejected([](wt_completion *c) { wt_completion_reject(c, WT_ECALL, ""); }),
            std::string("error:-13:") + wt_strerror(WT_ECALL)) << "no message: wt_strerror's";
  EXPECT_EQ(rejected([](wt_completion *c) { wt_completion_cancel(c); }), "error:-5:canceled");
  // Settled before toPromise: still through the continuation, never inline.
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  ASSERT_EQ(wt_completion_reject(c, WT_EDEADLK, "before"), 0);
  Rec rec;
  ToPromiseOn(l.tid(), c, &rec);
  EXPECT_EQ(Await(rec), "error:-31:before");
  wt_completion_release(c);
  // No completion.
  Rec none;
  ToPromiseOn(l.tid(), nullptr, &none);
  EXPECT_EQ(Await(none), "error:-1:webthreads: toPromise needs a completion (code -1)");
}

// The Promise's thread exits before the completion settles: the Promise is rejected with
// WT_ECANCELED there (the continuation's cancel path, as it leaves), seen here through shared memory;
// settling the completion afterwards runs nothing on the gone thread.
TEST(CompletionJs, ToPromiseOfAnExitingThreadIsRejected) {
  wt_completion_stats before = CStats();
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  Rec rec;
  {
    LoopThread l;
    ToPromiseOn(l.tid(), c, &rec);
    EXPECT_EQ(rec.done.load(), 0);
    l.Exit();
  }
  EXPECT_EQ(Await(rec), "error:-5:webthreads: canceled: this thread left before the completion settled");
  EXPECT_EQ(CStats().continuations_canceled - before.continuations_canceled, 1u);
  EXPECT_EQ(wt_completion_resolve(c, nullptr), 0) << "c itself was not settled by the exit";
  EXPECT_EQ(CStats().continuations_run, before.continuations_run) << "nothing ran for the gone thread";
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, before.live);
}

// ------------------------------------------------------------------ wt_await_js_sync

// Defines the test's async JS functions on the calling thread.
void DefineTestFunctions() {
  EM_ASM({
    const base = () => {
      const b = ENVIRONMENT_IS_NODE ? process.env['WT_TEST_BASE_URL'] : location.href;
      if (!b) throw new Error('no base URL: run under test/run-wasm.mjs (it serves the program folder)');
      return b;
    };
    const get = async (name) => {
      const r = await fetch(new URL(name, base()));
      if (!r.ok) throw new Error(`HTTP ${r.status} for ${name}`);
      return r;
    };
    wtCompletion.define('wtTestFetchText', async (name) => (await get(name)).text());
    wtCompletion.define('wtTestFetchBytes', async (name) => (await get(name)).arrayBuffer());
    wtCompletion.define('wtTestArg', async (a) => a === null ? 'null' : 'str:' + a);
    wtCompletion.define('wtTestReject', async (a) => { throw Object.assign(new Error(a), { code: -4 }); });
    wtCompletion.define('wtTestThrow', (a) => { throw new TypeError('sync ' + a); });
    wtCompletion.define('wtTestPlain', (a) => 41.5);
    wtCompletion.define('wtTestNever', () => new Promise(() => {}));
  });
}

// The fixture test/unit/completion_fixture.txt, as served from the program's folder.
const char kFixture[] =
    "webthreads completion fixture: fetched on the UI thread, awaited by a worker.\n"
    "UTF-8: h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xce\xb1\xce\xb2\xce\xb3\n"
    "ASCII: !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n";

TEST(CompletionJs, AwaitJsSyncFetchesAFileOnTheUiThread) {
  ASSERT_EQ(RunOn(wt_thread_ui(), DefineTestFunctions), 0);
  wt_completion *c = nullptr;
  wt_value v;
  wt_result res;
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestFetchText", "completion_fixture.txt", kHang, &c), 0);
  ASSERT_EQ(wt_completion_result_get(c, &res, &v), 0) << res.message;
  ASSERT_EQ(v.kind, WT_VALUE_STRING);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), v.len), std::string(kFixture));
  wt_completion_release(c);
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestFetchBytes", "completion_fixture.txt", kHang, &c), 0);
  ASSERT_EQ(wt_completion_result_get(c, &res, &v), 0) << res.message;
  ASSERT_EQ(v.kind, WT_VALUE_BYTES);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), v.len), std::string(kFixture));
  wt_completion_release(c);
  // A missing file: the function's rejection (WT_ECALL, its message).
  EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestFetchText", "no-such-file.txt", kHang, &c), WT_ECALL);
  ASSERT_NE(c, nullptr);
  wt_completion_result_get(c, &res, nullptr);
  EXPECT_STREQ(res.message, "Error: HTTP 404 for no-such-file.txt");
  wt_completion_release(c);
  // The bytes of the program's own .wasm arrive whole (a large binary body): its magic and size.
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestFetchBytes", "wt_unit_tests.wasm", kHang, &c), 0);
  ASSERT_EQ(wt_completion_result_get(c, &res, &v), 0) << res.message;
  EXPECT_GT(v.len, 100000u);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), 4), std::string("\0asm", 4));
  wt_completion_release(c);
}

TEST(CompletionJs, AwaitJsSyncOutcomes) {
  ASSERT_EQ(RunOn(wt_thread_ui(), DefineTestFunctions), 0);
  wt_completion *c = nullptr;
  wt_value v;
  wt_result res;
  // The argument (or null), a plain value, a rejection with a WT code, a synchronous throw.
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestArg", "x\xc3\xa9", kHang, &c), 0);
  wt_completion_result_get(c, &res, &v);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), v.len), "str:x\xc3\xa9");
  wt_completion_release(c);
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestArg", nullptr, kHang, &c), 0);
  wt_completion_result_get(c, &res, &v);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), v.len), "null");
  wt_completion_release(c);
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestPlain", nullptr, kHang, &c), 0);
  wt_completion_result_get(c, &res, &v);
  EXPECT_EQ(v.kind, WT_VALUE_F64);
  EXPECT_EQ(v.f64, 41.5);
  wt_completion_release(c);
  EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestReject", "too slow", kHang, &c), WT_ETIMEDOUT);
  ASSERT_NE(c, nullptr) << "a rejection hands the completion out (its message)";
  wt_completion_result_get(c, &res, nullptr);
  EXPECT_STREQ(res.message, "Error: too slow");
  wt_completion_release(c);
  EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestThrow", "now", kHang, &c), WT_ECALL);
  wt_completion_result_get(c, &res, nullptr);
  EXPECT_STREQ(res.message, "TypeError: sync now");
  wt_completion_release(c);
  // Not defined there (also not an inherited property name).
  for (const char *name : {"wtTestMissing", "toString", "__proto__"}) {
    EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, name, nullptr, kHang, &c), WT_EINVAL) << name;
    ASSERT_NE(c, nullptr);
    wt_completion_result_get(c, &res, nullptr);
    EXPECT_NE(std::string(res.message).find(std::string("'") + name + "'"), std::string::npos) << res.message;
    wt_completion_release(c);
  }
  // Timed out: canceled, nothing handed out; the function's late result is ignored.
  wt_completion_stats before = CStats();
  c = reinterpret_cast<wt_completion *>(1);
  EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestNever", nullptr, 50, &c), WT_ETIMEDOUT);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(CStats().canceled - before.canceled, 1u);
  // Module.webthreads.async on the main runtime thread.
  ASSERT_EQ(RunOn(wt_thread_ui(), [] {
    EM_ASM({
      Module['webthreads'] = Module['webthreads'] || {};
      Module['webthreads']['async'] = { wtTestFromConfig: async (a) => 'config:' + a };
    });
  }), 0);
  ASSERT_EQ(wt_await_js_sync(WT_THREAD_NONE, "wtTestFromConfig", "ok", kHang, &c), 0);
  wt_completion_result_get(c, &res, &v);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), v.len), "config:ok");
  wt_completion_release(c);
  // A worker target (its own realm's definitions).
  LoopThread l;
  ASSERT_EQ(RunOn(l.tid(), DefineTestFunctions), 0);
  ASSERT_EQ(wt_await_js_sync(l.tid(), "wtTestArg", "w", kHang, &c), 0);
  wt_completion_result_get(c, &res, &v);
  EXPECT_EQ(std::string(static_cast<const char *>(v.data), v.len), "str:w");
  wt_completion_release(c);
}

TEST(CompletionJs, AwaitJsSyncRefusals) {
  wt_completion *c = reinterpret_cast<wt_completion *>(1);
  // On the UI thread: refused at once.
  std::atomic<int> on_ui{-999};
  ASSERT_EQ(RunOn(wt_thread_ui(), [&] {
    wt_completion *u = reinterpret_cast<wt_completion *>(1);
    on_ui = wt_await_js_sync(WT_THREAD_NONE, "wtTestArg", nullptr, kHang, &u);
    if (u) on_ui = -1000;
  }), 0);
  EXPECT_EQ(on_ui.load(), WT_EWOULDBLOCK);
  // Itself as the target: only its own event loop could run it.
  EXPECT_EQ(wt_await_js_sync(wt_thread_self(), "wtTestArg", nullptr, kHang, &c), WT_EDEADLK);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, nullptr, nullptr, kHang, &c), WT_EINVAL);
  EXPECT_EQ(wt_await_js_sync(WT_THREAD_NONE, "", nullptr, kHang, &c), WT_EINVAL);
  // A gone target, a never-issued one.
  wt_thread gone;
  {
    LoopThread l;
    gone = l.tid();
  }
  EXPECT_EQ(wt_await_js_sync(gone, "wtTestArg", nullptr, kHang, &c), WT_ESTALE);
  EXPECT_EQ(wt_await_js_sync(wt_thread{(1ull << 32) | 200}, "wtTestArg", nullptr, kHang, &c), WT_ENOENT);
  // The I/O thread (never blocks).
  std::atomic<int> on_io{-999};
  Thread io([&] {
    ASSERT_EQ(wt__proxying_self_flags_set(WT__TF_NOBLOCK), 0);
    on_io = wt_await_js_sync(WT_THREAD_NONE, "wtTestArg", nullptr, kHang, nullptr);
  });
  io.Join();
  EXPECT_EQ(on_io.load(), WT_EWOULDBLOCK);
}

}  // namespace
#endif
