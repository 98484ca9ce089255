// The single-threaded build's contract (WT_SINGLE_THREADED: emscripten without -pthread, the wasm-st
// tree, tests node-st.* and chromium-st.*; and wasm32-wasi, the wasi tree, tests wasi.*). One thread,
// the UI thread: calls to oneself run inline, every other id is refused with WT_ENOENT, the pool /
// workers / deputy return WT_ENOTSUP, handles and completions work on the one thread (what is queued to
// oneself runs at the next wt_thread_poll, or from the event loop under emscripten; WASI has none, so
// there it waits for the poll), and the one wait times out as nobody else can end it. Emscripten: no
// Worker, no SharedArrayBuffer, no cross-origin isolation.
#include "common/threads.h"
#include "proxying/internal.h"
#include "webthreads/completion.h"
#include "webthreads/deputy.h"
#include "webthreads/handles.h"
#include "webthreads/pool.h"
#include "webthreads/proxying.h"
#include "webthreads/worker.h"

#include <gtest/gtest.h>

#ifdef WT_SINGLE_THREADED
#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#endif

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

// common/wait.h (a C header: its _Atomic word is a std::atomic here, the same layout)
extern "C" double wt__now_ms(void);
extern "C" int wt__wait(std::atomic<uint32_t> *word, uint32_t expected, double deadline_ms, int spin_us);

namespace {

int ran;
int add_one(wt_call *, void *arg) {
  ++*static_cast<int *>(arg);
  return 0;
}
int fails(wt_call *call, void *) {
  wt_call_set_message(call, "no");
  return 7;
}
void done_count(const wt_result *res, void *arg) {
  EXPECT_EQ(res->status, 0);
  ++*static_cast<int *>(arg);
}

}  // namespace

#ifdef __EMSCRIPTEN__
TEST(SingleThread, NoSharedMemoryNoWorkerNoIsolation) {
  // The wasm memory is a plain ArrayBuffer; in a page, the page is not cross-origin isolated (the runner
  // serves it without COOP/COEP and fails the run if a Worker is constructed); no PThread runtime.
  int ok = EM_ASM_INT({
    if (typeof SharedArrayBuffer !== 'undefined' && HEAPU8.buffer instanceof SharedArrayBuffer) return 1;
    if (typeof PThread !== 'undefined') return 2;
    if (typeof window !== 'undefined' && globalThis.crossOriginIsolated !== false) return 3;
    return 0;
  });
  EXPECT_EQ(ok, 0);
}
#endif

TEST(SingleThread, TheOneThreadIsTheUiThread) {
  wt_thread self;
  ASSERT_EQ(wt_thread_join(&self), 0);
  EXPECT_TRUE(wt_thread_equal(self, wt_thread_ui()));
  EXPECT_TRUE(wt_thread_is_ui());
  EXPECT_EQ(wt_thread_check(self), 0);
  EXPECT_EQ(wt_thread_adopt_ui(), WT_ENOTSUP);
  EXPECT_EQ(wt_thread_leave(), WT_EINVAL);            // the UI thread never leaves
  EXPECT_EQ(wt_thread_serve(nullptr, nullptr, 0), WT_EWOULDBLOCK);  // nor blocks
}

TEST(SingleThread, CallToSelfRunsInline) {
  int n = 0;
  wt_result res;
  EXPECT_EQ(wt_call_sync(wt_thread_self(), add_one, &n, -1, &res), 0);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(wt_call_sync(wt_thread_ui(), fails, nullptr, -1, &res), WT_ECALL);
  EXPECT_EQ(res.fn_error, 7);
  EXPECT_STREQ(res.message, "no");
  EXPECT_EQ(wt_post(wt_thread_self(), add_one, nullptr, &n), 0);
  EXPECT_EQ(n, 2);  // a post to oneself runs inline too
}

TEST(SingleThread, AsyncToSelfCompletesAtThePoll) {
  int n = 0, done = 0;
  ASSERT_EQ(wt_call_async(wt_thread_self(), add_one, &n, done_count, &done), 0);
  EXPECT_EQ(n, 1);    // the function ran inline
  EXPECT_EQ(done, 0); // its completion is queued to oneself
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(done, 1);
}

TEST(SingleThread, OtherTargetsAreRefusedWithEnoent) {
  // No other thread is ever issued: every id but one's own is unknown.
  wt_thread self = wt_thread_self();
  wt_thread other = {self.bits + 1};                       // the next slot
  wt_thread later = {self.bits + (uint64_t{1} << 32)};     // a later generation of one's own slot
  int n = 0, done = 0;
  for (wt_thread t : {other, later, WT_THREAD_NONE}) {
    wt_result res;
    EXPECT_EQ(wt_thread_check(t), WT_ENOENT);
    EXPECT_EQ(wt_call_sync(t, add_one, &n, 1000, &res), WT_ENOENT);
    EXPECT_EQ(res.status, WT_ENOENT);
    EXPECT_EQ(wt_call_async(t, add_one, &n, done_count, &done), WT_ENOENT);
    EXPECT_EQ(wt_post(t, add_one, nullptr, &n), WT_ENOENT);
  }
  EXPECT_EQ(wt_thread_poll(), 0);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(done, 0);
}

TEST(SingleThread, PoolWorkerDeputyReturnEnotsup) {
  wt_pool_config cfg = {};
  struct wt_pool_stats st;
  EXPECT_EQ(wt_pool_configure(&cfg), WT_ENOTSUP);
  EXPECT_EQ(wt_pool_get_config(&cfg), WT_ENOTSUP);
  EXPECT_EQ(wt_pool_config_check(&cfg, nullptr, nullptr), WT_ENOTSUP);
  EXPECT_EQ(wt_pool_stats(&st), WT_ENOTSUP);
  wt_thread t = WT_THREAD_NONE;
  EXPECT_EQ(wt_worker_create([](void *) {}, nullptr, nullptr, &t), WT_ENOTSUP);
  EXPECT_EQ(wt_io_thread(&t), WT_ENOTSUP);
  EXPECT_EQ(wt_worker_destroy(wt_thread_self()), WT_ENOTSUP);
  EXPECT_EQ(wt_worker_is_worker(wt_thread_self()), 0);
  EXPECT_EQ(t.bits, WT_THREAD_NONE.bits);
  EXPECT_EQ(wt_deputy_main([](int, char **) { return 0; }, 0, nullptr, nullptr), WT_ENOTSUP);
  EXPECT_EQ(wt_deputy_thread().bits, WT_THREAD_NONE.bits);
}

TEST(SingleThread, HandleReleaseIsAppliedAtTheNextPoll) {
  static int freed;
  freed = 0;
  wt_handle h;
  ASSERT_EQ(wt_handle_register(&ran, [](void *v) {
    EXPECT_EQ(v, &ran);
    freed++;
  }, &h), 0);
  EXPECT_TRUE(wt_thread_equal(wt_handle_owner(h), wt_thread_self()));
  EXPECT_EQ(wt_handle_release_local(h), 0);  // the owner's side lets go first: the entry lives on
  EXPECT_EQ(freed, 0);
  EXPECT_EQ(wt_handle_release(h), 0);        // the managed side (a finalizer): queued to oneself
  EXPECT_EQ(freed, 0);
  EXPECT_GE(wt_thread_poll(), 1);            // applied on the one thread, at the next poll
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(wt_handle_get(h, nullptr), WT_EHANDLE_STALE);
  EXPECT_EQ(wt_handle_release(h), WT_EHANDLE_STALE);
}

TEST(SingleThread, CompletionContinuationRunsOnTheOneThread) {
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  static int seen;
  seen = 0;
  ASSERT_EQ(wt_completion_then(c, wt_thread_self(),
                               [](wt_completion *cc, void *) {
                                 wt_value v;
                                 wt_result r;
                                 EXPECT_EQ(wt_completion_result_get(cc, &r, &v), 0);
                                 seen = (int)v.u64;
                               },
                               nullptr, nullptr),
            0);
  EXPECT_EQ(wt_completion_wait(c, 0), WT_EWOULDBLOCK);  // the UI thread never blocks
  wt_value v = {};
  v.kind = WT_VALUE_U64;
  v.u64 = 42;
  EXPECT_EQ(wt_completion_resolve(c, &v), 0);
  EXPECT_EQ(seen, 0);  // continuations run from the mailbox, never inline
  EXPECT_GE(wt_thread_poll(), 1);
  EXPECT_EQ(seen, 42);
  wt_completion_release(c);
}

TEST(SingleThread, HandleRefusalsOnTheOneThread) {
  // Generations and two-sided ownership on the one thread: forged and stale handles are refused and
  // never touch the entry; a C value never moves (no other thread, no JS table).
  static int freed;
  freed = 0;
  wt_handle h;
  ASSERT_EQ(wt_handle_register(&ran, [](void *) { freed++; }, &h), 0);
  EXPECT_EQ(wt_handle_release(WT_HANDLE_NONE), WT_EHANDLE_FORGED);
  EXPECT_EQ(wt_handle_release(wt_handle{h.bits + (1000ull << 32)}), WT_EHANDLE_FORGED);  // never handed out
  void *v = nullptr;
  EXPECT_EQ(wt_handle_get(h, &v), 0);
  EXPECT_EQ(v, &ran);
  wt_completion *moved = nullptr;
  EXPECT_EQ(wt_handle_transfer(h, wt_thread_self(), &moved), WT_EINVAL);  // not to oneself
  EXPECT_EQ(wt_handle_transfer(h, wt_thread{wt_thread_self().bits + 1}, &moved), WT_ENOTSUP);  // C value
  EXPECT_EQ(moved, nullptr);
  EXPECT_EQ(wt_handle_get(h, nullptr), 0);  // still here
  EXPECT_EQ(wt_handle_release_local(h), 0);
  EXPECT_EQ(wt_handle_release_local(h), WT_EHANDLE_STALE);  // that side let go already
  EXPECT_EQ(wt_handle_release(h), 0);
  EXPECT_EQ(wt_handle_release(h), WT_EHANDLE_STALE);  // double, before it is applied
  EXPECT_EQ(freed, 0);
  EXPECT_EQ(wt_handles_apply(), 1);  // applied where the owner chooses, without a poll
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(wt_handle_release(h), WT_EHANDLE_STALE);  // double, after it was freed
  EXPECT_EQ(wt_handle_get(h, nullptr), WT_EHANDLE_STALE);
  EXPECT_EQ(wt_thread_poll(), 1);  // the batch task the release queued runs and finds nothing left
  EXPECT_EQ(freed, 1);
}

TEST(SingleThread, CompletionSettlesOnceAndEveryContinuationGoesThroughTheMailbox) {
  static int status;
  static std::string message;
  auto record = [](wt_completion *cc, void *) {
    wt_result r;
    status = wt_completion_result_get(cc, &r, nullptr);
    message = r.message;
  };
  wt_completion *c;
  ASSERT_EQ(wt_completion_create(&c), 0);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  EXPECT_EQ(wt_completion_reject(c, 0, "no status"), WT_EINVAL);
  EXPECT_EQ(wt_completion_reject(c, 42, "boom"), 0);
  EXPECT_EQ(wt_completion_resolve(c, nullptr), WT_EALREADY);
  EXPECT_EQ(wt_completion_cancel(c), WT_EALREADY);
  status = 0;
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, record, nullptr, nullptr), 0);  // settled already
  EXPECT_EQ(status, 0);  // still not inline
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(status, 42);
  EXPECT_EQ(message, "boom");
  wt_completion_release(c);

  // The last reference of a pending completion cancels it: its continuation runs with WT_ECANCELED.
  ASSERT_EQ(wt_completion_create(&c), 0);
  status = 0;
  ASSERT_EQ(wt_completion_then(c, wt_thread_self(), record, nullptr, nullptr), 0);
  wt_completion_release(c);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(status, WT_ECANCELED);
  EXPECT_EQ(wt_thread_poll(), 0);
}

TEST(SingleThread, AWaitNobodyCanEndTimesOutAtItsDeadline) {
  // common/wait.c: nobody else can change the word, so the one wait ends at its deadline (emscripten:
  // a busy wait; WASI: nanosleep), and a word that differs already returns at once.
  std::atomic<uint32_t> word{1};
  EXPECT_EQ(wt__wait(&word, 0, -1, 0), 0);  // changed already: no wait, even without a deadline
  double start = wt__now_ms();
  EXPECT_EQ(wt__wait(&word, 1, start + 20, 30), WT_ETIMEDOUT);
  EXPECT_GE(wt__now_ms() - start, 20.0);
  EXPECT_EQ(wt__wait(&word, 1, start, 0), WT_ETIMEDOUT);  // a deadline in the past: at once
}

#ifdef __wasi__
TEST(SingleThread, QueuedWorkWaitsForThePollWithoutAnEventLoop) {
  // WASI has no event loop: a completion queued to oneself is announced (the slot's idle wake-up, which
  // wt__proxying_wait_notified sees) and then stays in the mailbox, through the program's other work,
  // until the program polls.
  int n = 0, done = 0;
  while (wt__proxying_wait_notified(0) == 0) {  // forget wake-ups of earlier tests
  }
  ASSERT_EQ(wt_call_async(wt_thread_self(), add_one, &n, done_count, &done), 0);
  EXPECT_EQ(wt__proxying_wait_notified(0), 0);  // the router asked the backend to wake the thread
  EXPECT_EQ(wt__proxying_pending_self(), 1);
  wt_result res;
  EXPECT_EQ(wt_call_sync(wt_thread_self(), add_one, &n, -1, &res), 0);  // other work: still queued
  EXPECT_EQ(n, 2);
  EXPECT_EQ(done, 0);
  EXPECT_EQ(wt__proxying_pending_self(), 1);
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(done, 1);
  EXPECT_EQ(wt__proxying_pending_self(), 0);
  EXPECT_EQ(wt_thread_poll(), 0);
}
#endif

#ifdef __EMSCRIPTEN__
TEST(SingleThread, QueuedWorkRunsFromTheEventLoopWithoutAPoll) {
  // A completion queued to oneself and never polled for runs from the event loop (the backend's 0 ms
  // timer). gtest runs every test inside one synchronous main(): a later timer checks once it has run,
  // and ends the program with status 1 if the completion did not run first.
  static int done;
  done = 0;
  static int n;
  ASSERT_EQ(wt_call_async(wt_thread_self(), add_one, &n, done_count, &done), 0);
  EXPECT_EQ(done, 0);
  emscripten_set_timeout(
      [](void *) {
        if (done != 1) {
          std::fprintf(stderr, "FAIL: the event loop did not run the completion queued to oneself\n");
          std::exit(1);
        }
        std::printf("SingleThread: the event loop ran the completion queued to oneself\n");
      },
      5, nullptr);
}
#endif

#else
TEST(SingleThread, ThreadedBuild) { GTEST_SKIP() << "the single-threaded contract is tested in the wasm-st and wasi trees"; }
#endif
