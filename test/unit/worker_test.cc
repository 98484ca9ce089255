// Dedicated JS worker threads and the I/O thread (worker/): ids known at once, a worker's event loop
// kept after its start function, its refusals to block on itself, what its destroy cancels, its
// Worker terminated rather than reused (wasm), and the I/O thread: started once, refusing to block,
// running a UI-settled completion's continuation while a worker is blocked. Host (plain, TSan, ASan),
// node and Chromium. Every wait is for the event expected; deadlines only turn a hang into a failure.
#include "webthreads/worker.h"

#include "webthreads/completion.h"
#include "webthreads/handles.h"
#include "webthreads/pool.h"
#include "proxying/internal.h"
#include "test/unit/test_threads.h"
#include "worker/internal.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#endif

namespace {

using wtt::Event;
using wtt::kHang;
using wtt::Server;
using wtt::ServeUntil;
using wtt::RunOn;
using wtt::Thread;

int Nop(wt_call *, void *) { return 0; }

using wtt::WaitFor;


// A worker whose start function signals the test.
struct Started {
  Event ran;
  std::atomic<uint64_t> self{0};
  std::atomic<uint32_t> flags{99};
};
void RecordStart(void *p) {
  Started *s = static_cast<Started *>(p);
  s->self = wt_thread_self().bits;
  s->flags = wt__proxying_self_flags();
  s->ran.Set();
}

// Destroys `w` and waits until its id is stale (it has left the registry).
void DestroyAndWaitGone(wt_thread w) {
  ASSERT_EQ(wt_worker_destroy(w), 0);
  ASSERT_TRUE(WaitFor([&] { return wt_thread_check(w) == WT_ESTALE; })) << "the worker never left";
}

// ------------------------------------------------------------------ dedicated JS worker threads

// The id exists (live) as wt_worker_create returns; the start function runs on that thread, which
// has the LOOP role; calls made to it run there.
TEST(Worker, CreateGivesALiveIdAtOnceAndStartRunsOnIt) {
  Started s;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &s, &w), 0);
  EXPECT_EQ(wt_thread_check(w), 0);
  EXPECT_EQ(wt_worker_is_worker(w), 1);
  ASSERT_TRUE(s.ran.Wait());
  EXPECT_EQ(s.self.load(), w.bits) << "start runs on the worker";
  EXPECT_EQ(s.flags.load(), (uint32_t)WT__TF_LOOP);
  uint64_t ran_on = 0;
  ASSERT_EQ(RunOn(w, [&] { ran_on = wt_thread_self().bits; }), 0);
  EXPECT_EQ(ran_on, w.bits);
  DestroyAndWaitGone(w);
  EXPECT_EQ(wt_worker_is_worker(w), 0);
}

// A call posted before the thread could have started (right after create) queues and runs on it,
// after the start function.
TEST(Worker, CallsSentBeforeItStartsRunAfterTheStartFunction) {
  struct S {
    std::atomic<int> step{0};
    std::atomic<int> call_saw{-1};
    Event done;
  } s;
  wt_thread w;
  ASSERT_EQ(wt_worker_create([](void *p) { static_cast<S *>(p)->step = 1; }, nullptr, &s, &w), 0);
  ASSERT_EQ(wt_post(w, [](wt_call *, void *p) {
    S *s = static_cast<S *>(p);
    s->call_saw = s->step.load();
    s->done.Set();
    return 0;
  }, nullptr, &s), 0);
  ASSERT_TRUE(s.done.Wait());
  EXPECT_EQ(s.call_saw.load(), 1) << "the start function runs first";
  DestroyAndWaitGone(w);
}

#ifdef __EMSCRIPTEN__
// Browser: after its start function returns, the worker keeps its JS event loop: a setTimeout chain
// started there keeps bumping a counter in shared memory, a JS object made by start is still there
// for a later call, and that call runs on the worker.
TEST(Worker, KeepsItsJsEventLoopAfterTheStartFunctionReturns) {
  struct S {
    int32_t ticks = 0;  // bumped by the worker's timers (Atomics)
    int32_t at_return = -1;
    Event started;
  } s;
  wt_thread w;
  ASSERT_EQ(wt_worker_create([](void *p) {
    S *s = static_cast<S *>(p);
    EM_ASM({
      globalThis.wtWorkerTestObject = { madeBy: 'start' };
      var at = $0 >> 2;
      function tick() {
        Atomics.add(HEAP32, at, 1);
        Atomics.notify(HEAP32, at);
        if (Atomics.load(HEAP32, at) < 1000) setTimeout(tick, 1);
      }
      setTimeout(tick, 1);
    }, &s->ticks);
    s->at_return = __atomic_load_n(&s->ticks, __ATOMIC_SEQ_CST);
    s->started.Set();
  }, nullptr, &s, &w), 0);
  ASSERT_TRUE(s.started.Wait());
  EXPECT_EQ(s.at_return, 0) << "no timer can fire before start returns";
  const int N = 20;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
  for (int v; (v = __atomic_load_n(&s.ticks, __ATOMIC_SEQ_CST)) < N;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the worker's timers stopped at " << v;
    emscripten_futex_wait(&s.ticks, v, 100);
  }
  int has_object = -1;
  uint64_t ran_on = 0;
  ASSERT_EQ(RunOn(w, [&] {
    ran_on = wt_thread_self().bits;
    has_object = EM_ASM_INT({ return globalThis.wtWorkerTestObject && globalThis.wtWorkerTestObject.madeBy === 'start' ? 1 : 0; });
  }), 0);
  EXPECT_EQ(ran_on, w.bits);
  EXPECT_EQ(has_object, 1) << "the realm's JS objects live on between calls";
  DestroyAndWaitGone(w);
}
#else
// Host: after its start function returns, the worker goes on serving its mailbox (the stand-in for
// its event loop): calls sent later run on it.
TEST(Worker, KeepsServingAfterTheStartFunctionReturns) {
  Started s;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &s, &w), 0);
  ASSERT_TRUE(s.ran.Wait());
  for (int i = 0; i < 100; i++) {
    pthread_t on{};
    ASSERT_EQ(RunOn(w, [&] { on = pthread_self(); }), 0);
    EXPECT_FALSE(pthread_equal(on, pthread_self()));
  }
  std::atomic<int> done{0};
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(wt_call_async(w, Nop, nullptr, [](const wt_result *r, void *p) {
      if (r->status == 0) ++*static_cast<std::atomic<int> *>(p);
    }, &done), 0);
  ASSERT_TRUE(ServeUntil([&] { return done.load() == 100; }));
  DestroyAndWaitGone(w);
}
#endif

int StartNothing(wt_completion *, void *) { return 0; }

// A worker runs its own event loop: waiting there for what only that loop could deliver is refused
// with WT_EDEADLK at once — a completion bound to itself, one bound to no other thread,
// wt_await_sync targeting itself. Waiting for another live thread's completion is allowed.
TEST(Worker, RefusesToBlockOnItsOwnPromises) {
  Server other;
  Started s;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &s, &w), 0);
  struct R {
    int bound_self = -999, unbound = -999, await_self = -999, bound_other = -999, js_promise = -999;
  } r;
  wt_thread other_id = other.id();
  ASSERT_EQ(RunOn(w, [&] {
    wt_completion *c;
    ASSERT_EQ(wt_completion_create(&c), 0);
    ASSERT_EQ(wt_completion_bind(c, WT_THREAD_NONE), 0);
    r.bound_self = wt_completion_wait(c, kHang);
    wt_completion_release(c);
    ASSERT_EQ(wt_completion_create(&c), 0);
    r.unbound = wt_completion_wait(c, kHang);
    wt_completion_release(c);
    r.await_self = wt_await_sync(wt_thread_self(), StartNothing, nullptr, kHang, nullptr);
    ASSERT_EQ(wt_completion_create(&c), 0);
    ASSERT_EQ(wt_completion_bind(c, other_id), 0);
    r.bound_other = wt_completion_wait(c, 20);
    wt_completion_release(c);
#ifdef __EMSCRIPTEN__
    // Its own JS Promise (a timer of its own event loop would settle it): refused, not a hang.
    ASSERT_EQ(wt_completion_create(&c), 0);
    ASSERT_EQ(EM_ASM_INT({ return wtCompletion.fromPromise(new Promise((r) => setTimeout(r, 1)), $0); }, c), 0);
    r.js_promise = wt_completion_wait(c, kHang);
    wt_completion_release(c);
#endif
  }), 0);
#ifdef __EMSCRIPTEN__
  EXPECT_EQ(r.js_promise, WT_EDEADLK) << "its own JS Promise: only its own loop could settle it";
#endif
  EXPECT_EQ(r.bound_self, WT_EDEADLK);
  EXPECT_EQ(r.unbound, WT_EDEADLK) << "only its own loop could settle an unbound completion";
  EXPECT_EQ(r.await_self, WT_EDEADLK);
  EXPECT_EQ(r.bound_other, WT_ETIMEDOUT) << "another live thread may settle it: a real wait";
  DestroyAndWaitGone(w);
}

// Destroy: what is pending to the worker is canceled (sync WT_ECANCELED, async done WT_ECANCELED,
// post cancel), its continuations run their cancel path, completions bound to it are canceled, its
// handles are disposed; nothing sent after destroy runs; the id goes stale; destroy again is stale.
TEST(Worker, DestroyCancelsWhatItOwnsAndTheIdGoesStale) {
  struct S {
    Event hold_entered, hold_release;
    std::atomic<int> cont_ran{0}, cont_canceled{0}, handle_freed{0}, late_ran{0}, post_canceled{0};
    wt_completion *pending = nullptr, *bound = nullptr;
  };
  static S *sp;
  S s;
  sp = &s;
  ASSERT_EQ(wt_completion_create(&s.pending), 0);
  ASSERT_EQ(wt_completion_create(&s.bound), 0);
  wt_completion_stats cs0;
  wt_completion_stats_get(&cs0);
  Started st;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &st, &w), 0);
  ASSERT_TRUE(st.ran.Wait());
  ASSERT_EQ(RunOn(w, [&] {
    // A continuation on itself for a completion nobody settles; a completion it is to settle; a handle.
    ASSERT_EQ(wt_completion_then(s.pending, WT_THREAD_NONE,
                                 [](wt_completion *, void *) { sp->cont_ran++; },
                                 [](void *) { sp->cont_canceled++; }, nullptr), 0);
    ASSERT_EQ(wt_completion_bind(s.bound, WT_THREAD_NONE), 0);
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&s, [](void *) { sp->handle_freed++; }, &h), 0);
  }), 0);
  // Hold the worker busy so that what follows queues behind the destroy request.
  ASSERT_EQ(wt_post(w, [](wt_call *, void *) {
    sp->hold_entered.Set();
    EXPECT_TRUE(sp->hold_release.Wait());
    return 0;
  }, nullptr, nullptr), 0);
  ASSERT_TRUE(s.hold_entered.Wait());
  unsigned queued0 = wt__proxying_queued(w);  // the running post may still count until its drain ends
  ASSERT_EQ(wt_worker_destroy(w), 0);
  EXPECT_EQ(wt_worker_destroy(w), WT_ESTALE) << "destroyed already";
  EXPECT_EQ(wt_worker_is_worker(w), 0);
  std::atomic<int> async_status{-999}, sync_rc{-999};
  auto late = [](wt_call *, void *) { sp->late_ran++; return 0; };
  ASSERT_EQ(wt_call_async(w, late, nullptr, [](const wt_result *r, void *p) {
    *static_cast<std::atomic<int> *>(p) = r->status;
  }, &async_status), 0);
  ASSERT_EQ(wt_post(w, late, [](void *) { sp->post_canceled++; }, nullptr), 0);
  Thread sync_caller([&] { sync_rc = wt_call_sync(w, late, nullptr, kHang, nullptr); });
  ASSERT_TRUE(WaitFor([&] { return wt__proxying_queued(w) == queued0 + 3; }));
  s.hold_release.Set();
  sync_caller.Join();
  EXPECT_EQ(sync_rc.load(), WT_ECANCELED);
  ASSERT_TRUE(ServeUntil([&] { return async_status.load() != -999; }));
  EXPECT_EQ(async_status.load(), WT_ECANCELED);
  ASSERT_TRUE(WaitFor([&] { return s.post_canceled.load() == 1 && s.cont_canceled.load() == 1 && s.handle_freed.load() == 1; }));
  EXPECT_EQ(s.late_ran.load(), 0) << "nothing sent after destroy runs";
  EXPECT_EQ(s.cont_ran.load(), 0);
  EXPECT_EQ(wt_completion_wait(s.bound, kHang), WT_ECANCELED) << "a completion bound to the worker is canceled";
  wt_completion_stats cs1;
  wt_completion_stats_get(&cs1);
  EXPECT_GE(cs1.continuations_canceled - cs0.continuations_canceled, 1u);
  ASSERT_TRUE(WaitFor([&] { return wt_thread_check(w) == WT_ESTALE; }));
  EXPECT_EQ(wt_post(w, late, nullptr, nullptr), WT_ESTALE) << "gone: refused";
  EXPECT_EQ(wt_call_sync(w, late, nullptr, kHang, nullptr), WT_ESTALE);
  EXPECT_EQ(wt_worker_destroy(w), WT_ESTALE);
  EXPECT_EQ(s.late_ran.load(), 0);
  wt_completion_release(s.pending);
  wt_completion_release(s.bound);
}

// Destroy while the worker is inside a library wait (a sync call to a thread that does not answer):
// the thread ends there; the wait never returns to its code.
TEST(Worker, DestroyEndsAWorkerBlockedInALibraryWait) {
  struct S {
    Event waiting, release;
    std::atomic<int> returned{0};
  };
  static S *sp;
  S s;
  sp = &s;
  Server slow;
  Started st;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &st, &w), 0);
  ASSERT_TRUE(st.ran.Wait());
  wt_thread slow_id = slow.id();
  static wt_thread slow_s;
  slow_s = slow_id;
  ASSERT_EQ(wt_post(w, [](wt_call *, void *) {
    wt_call_sync(slow_s, [](wt_call *, void *) {
      sp->waiting.Set();
      EXPECT_TRUE(sp->release.Wait());
      return 0;
    }, nullptr, kHang, nullptr);
    sp->returned++;  // never: the thread exits inside the wait
    return 0;
  }, nullptr, nullptr), 0);
  ASSERT_TRUE(s.waiting.Wait());
  ASSERT_EQ(wt_worker_destroy(w), 0);
  ASSERT_TRUE(WaitFor([&] { return wt_thread_check(w) == WT_ESTALE; }));
  s.release.Set();
  EXPECT_EQ(wt_call_sync(slow_id, Nop, nullptr, kHang, nullptr), 0) << "the slow server goes on";
  EXPECT_EQ(s.returned.load(), 0);
}

// Exactly one of start and cancel runs, whether destroy comes before the worker started or after.
TEST(Worker, ExactlyOneOfStartAndCancelRuns) {
  const int n = 8;
  static std::atomic<int> starts, cancels;
  starts = 0;
  cancels = 0;
  for (int i = 0; i < n; i++) {
    wt_thread w;
    ASSERT_EQ(wt_worker_create([](void *) { starts++; }, [](void *) { cancels++; }, nullptr, &w), 0);
    ASSERT_EQ(wt_worker_destroy(w), 0);
  }
  ASSERT_TRUE(WaitFor([&] { return starts.load() + cancels.load() == n; }));
  EXPECT_EQ(starts.load() + cancels.load(), n);
}

// Refusals: bad arguments and ids that are not dedicated JS worker threads.
TEST(Worker, RefusalsAndErrorCodes) {
  EXPECT_EQ(wt_worker_create(nullptr, nullptr, nullptr, nullptr), WT_EINVAL);
  EXPECT_EQ(wt_io_thread(nullptr), WT_EINVAL);
  EXPECT_EQ(wt_worker_destroy(WT_THREAD_NONE), WT_ENOENT);
  EXPECT_EQ(wt_worker_destroy(wt_thread{(0x3fffffull << 32) | 1}), WT_ENOENT) << "never issued";
  wt_thread me;
  ASSERT_EQ(wt_thread_join(&me), 0);
  EXPECT_EQ(wt_worker_destroy(me), WT_EINVAL) << "a joined thread is not a worker";
  EXPECT_EQ(wt_worker_is_worker(me), 0);
  wt_thread io;
  ASSERT_EQ(wt_io_thread(&io), 0);
  EXPECT_EQ(wt_worker_destroy(io), WT_EINVAL) << "the I/O thread is never destroyed";
  EXPECT_EQ(wt_thread_check(io), 0);
#ifdef __EMSCRIPTEN__
  EXPECT_EQ(wt_worker_destroy(wt_thread_ui()), WT_EINVAL);
#endif
  // A worker that exits by itself: destroy then finds it gone.
  Started st;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &st, &w), 0);
  ASSERT_TRUE(st.ran.Wait());
  ASSERT_EQ(wt_post(w, [](wt_call *, void *) { pthread_exit(nullptr); return 0; }, nullptr, nullptr), 0);
  ASSERT_TRUE(WaitFor([&] { return wt_thread_check(w) == WT_ESTALE; }));
  EXPECT_EQ(wt_worker_destroy(w), WT_ESTALE);
}

#ifdef __EMSCRIPTEN__
// Browser: a destroyed worker's Worker is terminated, not handed back to the pool (its realm belongs
// to user JS): the pool counts it dirty and retired.
TEST(Worker, DestroyedWorkersWorkerIsTerminatedNotReused) {
  struct wt_pool_stats before, now;
  ASSERT_EQ(wt_pool_stats(&before), 0);
  Started st;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &st, &w), 0);
  ASSERT_TRUE(st.ran.Wait());
  DestroyAndWaitGone(w);
  ASSERT_TRUE(WaitFor([&] {
    wt_pool_stats(&now);
    return now.dirty >= before.dirty + 1 && now.retired >= before.retired + 1;
  })) << "dirty " << before.dirty << " -> " << now.dirty << ", retired " << before.retired << " -> " << now.retired;
}

// Browser: the UI thread creates a worker (its id at once, no wait) and destroys it.
TEST(Worker, CreateAndDestroyFromTheUIThread) {
  struct S {
    Started st;
    int create_rc = -999, destroy_rc = -999;
    wt_thread w{};
  } s;
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), [](wt_call *, void *p) {
    S *s = static_cast<S *>(p);
    s->create_rc = wt_worker_create(RecordStart, nullptr, &s->st, &s->w);
    return 0;
  }, &s, kHang, nullptr), 0);
  ASSERT_EQ(s.create_rc, 0);
  ASSERT_TRUE(s.st.ran.Wait());
  EXPECT_EQ(s.st.self.load(), s.w.bits);
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), [](wt_call *, void *p) {
    S *s = static_cast<S *>(p);
    s->destroy_rc = wt_worker_destroy(s->w);
    return 0;
  }, &s, kHang, nullptr), 0);
  EXPECT_EQ(s.destroy_rc, 0);
  ASSERT_TRUE(WaitFor([&] { return wt_thread_check(s.w) == WT_ESTALE; }));
}
#endif

// ------------------------------------------------------------------ the I/O thread

// Concurrent first calls start exactly one I/O thread; every caller gets its id.
TEST(IoThread, StartedOnceFromRacingThreads) {
  const int n = 6;
  std::atomic<int> go{0}, ready{0};
  std::vector<uint64_t> ids(n, 0);
  std::vector<int> rcs(n, -999);
  {
    std::vector<std::unique_ptr<Thread>> ts;
    for (int i = 0; i < n; i++)
      ts.emplace_back(new Thread([&, i] {
        ready++;
        while (go.load() == 0) {
        }
        wt_thread t;
        rcs[i] = wt_io_thread(&t);
        ids[i] = t.bits;
      }));
    ASSERT_TRUE(WaitFor([&] { return ready.load() == n; }));
    go = 1;
  }
  for (int i = 0; i < n; i++) {
    EXPECT_EQ(rcs[i], 0);
    EXPECT_EQ(ids[i], ids[0]);
  }
  EXPECT_EQ(wt__worker_io_starts(), 1u) << "exactly one I/O thread";
  wt_thread again;
  ASSERT_EQ(wt_io_thread(&again), 0);
  EXPECT_EQ(again.bits, ids[0]) << "the same id afterwards";
  uint64_t ran_on = 0;
  uint32_t flags = 99;
  ASSERT_EQ(RunOn(again, [&] { ran_on = wt_thread_self().bits; flags = wt__proxying_self_flags(); }), 0);
  EXPECT_EQ(ran_on, again.bits);
  EXPECT_EQ(flags, (uint32_t)WT__TF_NOBLOCK);
}

// The I/O thread never blocks: its sync calls, serve, completion waits and sync-over-async are refused
// with WT_EWOULDBLOCK.
TEST(IoThread, RefusesEveryBlockingWait) {
  Server other;
  wt_thread io, other_id = other.id();
  ASSERT_EQ(wt_io_thread(&io), 0);
  struct R {
    int sync = -999, serve = -999, wait = -999, await = -999;
  } r;
  ASSERT_EQ(RunOn(io, [&] {
    r.sync = wt_call_sync(other_id, Nop, nullptr, kHang, nullptr);
    r.serve = wt_thread_serve(nullptr, nullptr, kHang);
    wt_completion *c;
    ASSERT_EQ(wt_completion_create(&c), 0);
    r.wait = wt_completion_wait(c, kHang);
    wt_completion_release(c);
    r.await = wt_await_sync(other_id, StartNothing, nullptr, kHang, nullptr);
  }), 0);
  EXPECT_EQ(r.sync, WT_EWOULDBLOCK);
  EXPECT_EQ(r.serve, WT_EWOULDBLOCK);
  EXPECT_EQ(r.wait, WT_EWOULDBLOCK);
  EXPECT_EQ(r.await, WT_EWOULDBLOCK);
}

#ifndef __EMSCRIPTEN__
// Host: a thread that adopts the UI role and serves its mailbox (the browser's UI event loop).
class UiThread {
 public:
  UiThread()
      : th_([this] {
          if (wt_thread_adopt_ui() != 0) abort();
          id_ = wt_thread_self().bits;
          ready_.Set();
          ServeUntil([this] { return stop_.load(); });
          wt_thread_leave();
        }) {
    if (!ready_.Wait()) abort();
  }
  ~UiThread() {
    wt_post(id(), [](wt_call *, void *p) { static_cast<UiThread *>(p)->stop_ = true; return 0; }, nullptr, this);
    th_.Join();
  }
  wt_thread id() const { return wt_thread{id_.load()}; }

 private:
  std::atomic<uint64_t> id_{0};
  std::atomic<bool> stop_{false};
  Event ready_;
  Thread th_;
};
#endif

// The reason for the I/O thread: worker W is blocked in a sync call to B, whose function waits for
// c2; c1 is settled on the UI thread, and c1's continuation — registered on the I/O thread — resolves
// c2. It runs although W (and B) are blocked, and everything completes.
TEST(IoThread, UISettledContinuationRunsThereWhileAWorkerIsBlocked) {
#ifndef __EMSCRIPTEN__
  UiThread ui_thread;
  wt_thread ui = ui_thread.id();
#else
  wt_thread ui = wt_thread_ui();
#endif
  struct S {
    wt_completion *c1 = nullptr, *c2 = nullptr;
    wt_thread b{}, io{};
    std::atomic<int> b_waiting{0}, b_wait_rc{-999}, w_sync_rc{-999}, settled_on_ui{-1};
    std::atomic<uint64_t> cont_ran_on{0};
  } s;
  ASSERT_EQ(wt_completion_create(&s.c1), 0);
  ASSERT_EQ(wt_completion_create(&s.c2), 0);
  ASSERT_EQ(wt_io_thread(&s.io), 0);
  Server b;
  s.b = b.id();
  ASSERT_EQ(wt_completion_then(s.c1, s.io, [](wt_completion *c1, void *p) {
    S *s = static_cast<S *>(p);
    s->cont_ran_on = wt_thread_self().bits;
    wt_value v;
    if (wt_completion_result_get(c1, nullptr, &v) == 0) {
      wt_value out = {};
      out.kind = WT_VALUE_U64;
      out.u64 = v.u64 + 1;
      wt_completion_resolve(s->c2, &out);
    }
  }, nullptr, &s), 0);
  Started st;
  wt_thread w;
  ASSERT_EQ(wt_worker_create(RecordStart, nullptr, &st, &w), 0);
  ASSERT_EQ(wt_post(w, [](wt_call *, void *p) {  // W: blocks in a sync call to B
    S *s = static_cast<S *>(p);
    s->w_sync_rc = wt_call_sync(s->b, [](wt_call *, void *p) {  // B: waits for c2
      S *s = static_cast<S *>(p);
      s->b_waiting = 1;
      s->b_wait_rc = wt_completion_wait(s->c2, kHang);
      return 0;
    }, s, kHang, nullptr);
    return 0;
  }, nullptr, &s), 0);
  ASSERT_TRUE(WaitFor([&] { return s.b_waiting.load() == 1; }));
  ASSERT_EQ(wt_post(ui, [](wt_call *, void *p) {  // the UI thread settles c1: a Promise's outcome
    S *s = static_cast<S *>(p);
    s->settled_on_ui = wt_thread_is_ui();
#ifdef __EMSCRIPTEN__
    // A real JS Promise of the UI thread, settled later from its event loop (a timer), bound to c1.
    int rc = EM_ASM_INT({ return wtCompletion.fromPromise(new Promise((r) => setTimeout(() => r(41n), 1)), $0); },
                        s->c1);
    if (rc != 0) s->settled_on_ui = rc;
#else
    wt_value v = {};
    v.kind = WT_VALUE_U64;
    v.u64 = 41;
    wt_completion_resolve(s->c1, &v);
#endif
    return 0;
  }, nullptr, &s), 0);
  ASSERT_TRUE(WaitFor([&] { return s.w_sync_rc.load() != -999; }));
  EXPECT_EQ(s.settled_on_ui.load(), 1);
  EXPECT_EQ(s.cont_ran_on.load(), s.io.bits) << "the continuation runs on the I/O thread";
  EXPECT_EQ(s.b_wait_rc.load(), 0);
  EXPECT_EQ(s.w_sync_rc.load(), 0);
  wt_value v;
  EXPECT_EQ(wt_completion_result_get(s.c2, nullptr, &v), 0);
  EXPECT_EQ(v.u64, 42u);
  DestroyAndWaitGone(w);
  wt_completion_release(s.c1);
  wt_completion_release(s.c2);
}

}  // namespace
