// Routing (proxying/): thread ids with generations, sync/async/post calls, nesting, cancellation on
// exit, timeouts, the UI thread's refusal to block. Runs natively (plain, TSan, ASan) on the host
// backend and under node/Chromium on the emscripten backend (there the suite's main is a worker and the
// UI thread is the real main runtime thread). Tests wait for the event they expect; their deadlines
// only turn a hang into a failure with a message.
#include "webthreads/proxying.h"

#include "proxying/internal.h"
#include "test/unit/test_threads.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
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
using wtt::Thread;

int RecordThread(wt_call *, void *arg) {
  *static_cast<pthread_t *>(arg) = pthread_self();
  return 0;
}

int Nop(wt_call *, void *) { return 0; }

wt_proxying_stats Stats() {
  wt_proxying_stats s;
  wt_proxying_stats_get(&s);
  return s;
}

// ------------------------------------------------------------------ identity

TEST(Proxying, JoinIsIdempotentAndLeaveMakesTheIdStale) {
  Thread t([] {
    wt_thread a, b, c;
    uint32_t live0 = Stats().threads_live;
    ASSERT_EQ(wt_thread_join(&a), 0);
    EXPECT_EQ(Stats().threads_live, live0 + 1);
    ASSERT_EQ(wt_thread_join(&b), 0);
    EXPECT_TRUE(wt_thread_equal(a, b));
    EXPECT_TRUE(wt_thread_equal(wt_thread_self(), a));
    EXPECT_EQ(wt_thread_check(a), 0);
    ASSERT_EQ(wt_thread_leave(), 0);
    EXPECT_EQ(Stats().threads_live, live0);
    EXPECT_TRUE(wt_thread_equal(wt_thread_self(), WT_THREAD_NONE));
    EXPECT_EQ(wt_thread_leave(), WT_ENOENT);
    EXPECT_EQ(wt_thread_check(a), WT_ESTALE);
    ASSERT_EQ(wt_thread_join(&c), 0);
    EXPECT_FALSE(wt_thread_equal(a, c)) << "a rejoined thread must get a new generation";
    EXPECT_EQ(wt_thread_check(a), WT_ESTALE);
    EXPECT_EQ(wt_thread_check(c), 0);
  });
}

TEST(Proxying, ThreadLeavesAutomaticallyAtExit) {
  std::atomic<uint64_t> id{0};
  { Thread t([&] { wt_thread x; ASSERT_EQ(wt_thread_join(&x), 0); id = x.bits; }); }
  EXPECT_EQ(wt_thread_check(wt_thread{id.load()}), WT_ESTALE);
}

TEST(Proxying, StaleIdRejectedAfterSlotReuse) {
  std::atomic<uint64_t> old_id{0};
  { Thread t([&] { wt_thread x; ASSERT_EQ(wt_thread_join(&x), 0); old_id = x.bits; }); }
  // Later threads may take the same slot: the old generation must stay stale for every call kind.
  Server s;
  wt_thread old{old_id.load()};
  if (wt__proxying_slot(old) == wt__proxying_slot(s.id())) {
    EXPECT_NE(old.bits >> 32, s.id().bits >> 32);
  }
  EXPECT_EQ(wt_call_sync(old, Nop, nullptr, -1, nullptr), WT_ESTALE);
  EXPECT_EQ(wt_call_async(old, Nop, nullptr, [](const wt_result *, void *) { FAIL(); }, nullptr), WT_ESTALE);
  EXPECT_EQ(wt_post(old, Nop, nullptr, nullptr), WT_ESTALE);
  EXPECT_EQ(wt_call_sync(s.id(), Nop, nullptr, -1, nullptr), 0);
}

TEST(Proxying, UnknownIdsFailWithENOENT) {
  const wt_thread bad[] = {WT_THREAD_NONE, wt_thread{0xffffffffull}, wt_thread{(1ull << 32) | 0x7fffffffull},
                           wt_thread{(0x3fffffffull << 32) | 1}};
  for (wt_thread t : bad) {
    EXPECT_EQ(wt_thread_check(t), WT_ENOENT) << t.bits;
    EXPECT_EQ(wt_call_sync(t, Nop, nullptr, -1, nullptr), WT_ENOENT);
    EXPECT_EQ(wt_call_async(t, Nop, nullptr, [](const wt_result *, void *) {}, nullptr), WT_ENOENT);
    EXPECT_EQ(wt_post(t, Nop, nullptr, nullptr), WT_ENOENT);
  }
}

TEST(Proxying, BadArgumentsGiveEINVAL) {
  Server s;
  wt_result r;
  EXPECT_EQ(wt_call_sync(s.id(), nullptr, nullptr, -1, &r), WT_EINVAL);
  EXPECT_EQ(r.status, WT_EINVAL);
  EXPECT_EQ(wt_call_async(s.id(), Nop, nullptr, nullptr, nullptr), WT_EINVAL);
  EXPECT_EQ(wt_call_async(s.id(), nullptr, nullptr, [](const wt_result *, void *) {}, nullptr), WT_EINVAL);
  EXPECT_EQ(wt_post(s.id(), nullptr, nullptr, nullptr), WT_EINVAL);
  wt_thread out;
  EXPECT_EQ(wt_thread_by_affinity(nullptr, 1, &out), WT_EINVAL);
  wt_thread none[2] = {WT_THREAD_NONE, WT_THREAD_NONE};
  EXPECT_EQ(wt_thread_by_affinity(none, 0, &out), WT_EINVAL);
  EXPECT_EQ(wt_thread_by_affinity(none, 2, &out), WT_EINVAL);
  EXPECT_EQ(wt_proxying_set_ui_policy(static_cast<wt_ui_policy>(7)), WT_EINVAL);
}

TEST(Proxying, OutOfMemoryGivesENOMEMAndQueuesNothing) {
  Server s;
  std::atomic<int> ran{0};
  auto count = [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; };
  wt__proxying_fail_allocs(1);
  EXPECT_EQ(wt_call_sync(s.id(), count, &ran, -1, nullptr), WT_ENOMEM);
  wt__proxying_fail_allocs(1);
  EXPECT_EQ(wt_call_async(s.id(), count, &ran, [](const wt_result *, void *) { FAIL() << "done must not run"; }, nullptr),
            WT_ENOMEM);
  wt__proxying_fail_allocs(1);
  EXPECT_EQ(wt_post(s.id(), count, nullptr, &ran), WT_ENOMEM);
  wt__proxying_fail_allocs(0);
  EXPECT_EQ(wt_call_sync(s.id(), count, &ran, -1, nullptr), 0);  // FIFO: nothing else was queued
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(wt_thread_poll(), 0);
}

TEST(Proxying, AffinityOwnersMustAgree) {
  Server a, b;
  wt_thread out;
  wt_thread same[] = {a.id(), WT_THREAD_NONE, a.id()};
  ASSERT_EQ(wt_thread_by_affinity(same, 3, &out), 0);
  EXPECT_TRUE(wt_thread_equal(out, a.id()));
  pthread_t ran{};
  EXPECT_EQ(wt_call_sync(out, RecordThread, &ran, -1, nullptr), 0);
  EXPECT_TRUE(pthread_equal(ran, a.thread()));
  wt_thread mixed[] = {a.id(), b.id()};
  EXPECT_EQ(wt_thread_by_affinity(mixed, 2, &out), WT_EAFFINITY);
}

// ------------------------------------------------------------------ sync calls

TEST(Proxying, SyncPingPong) {
  Server s;
  const int n = WT_TEST_SCALE(5000, 1000);
  int wrong = 0;
  for (int i = 0; i < n; i++) {
    pthread_t ran{};
    ASSERT_EQ(wt_call_sync(s.id(), RecordThread, &ran, -1, nullptr), 0);
    wrong += !pthread_equal(ran, s.thread());
  }
  EXPECT_EQ(wrong, 0);
}

TEST(Proxying, CallToSelfRunsInline) {
  wt_thread me;
  ASSERT_EQ(wt_thread_join(&me), 0);
  pthread_t ran{};
  EXPECT_EQ(wt_call_sync(me, RecordThread, &ran, -1, nullptr), 0);
  EXPECT_TRUE(pthread_equal(ran, pthread_self()));
  int posted = 0;
  EXPECT_EQ(wt_post(me, [](wt_call *, void *p) { ++*static_cast<int *>(p); return 0; }, nullptr, &posted), 0);
  EXPECT_EQ(posted, 1) << "a post to oneself runs inline";
  // Async to oneself: the function runs now, the completion from the mailbox (never re-entering).
  struct S { int ran = 0, done = 0; } st;
  EXPECT_EQ(wt_call_async(me, [](wt_call *, void *p) { static_cast<S *>(p)->ran++; return 0; }, &st,
                          [](const wt_result *r, void *p) { EXPECT_EQ(r->status, 0); static_cast<S *>(p)->done++; },
                          &st),
            0);
  EXPECT_EQ(st.ran, 1);
  EXPECT_EQ(st.done, 0);
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(st.done, 1);
}

TEST(Proxying, FunctionErrorComesBackAsECALLWithMessage) {
  Server s;
  wt_result r;
  auto failing = [](wt_call *c, void *) {
    wt_call_set_message(c, "the JS object was disposed");
    return 42;
  };
  EXPECT_EQ(wt_call_sync(s.id(), failing, nullptr, -1, &r), WT_ECALL);
  EXPECT_EQ(r.status, WT_ECALL);
  EXPECT_EQ(r.fn_error, 42);
  EXPECT_STREQ(r.message, "the JS object was disposed");
  // A long message is truncated, never overflows.
  std::string big(500, 'x');
  auto longmsg = [](wt_call *c, void *p) { wt_call_set_message(c, static_cast<std::string *>(p)->c_str()); return 1; };
  EXPECT_EQ(wt_call_sync(s.id(), longmsg, &big, -1, &r), WT_ECALL);
  EXPECT_EQ(strlen(r.message), size_t(WT_CALL_MESSAGE_MAX - 1));
  // Success clears it.
  EXPECT_EQ(wt_call_sync(s.id(), Nop, nullptr, -1, &r), 0);
  EXPECT_EQ(r.status, 0);
  EXPECT_STREQ(r.message, "");
}

// A sync-calls B, B sync-calls A (and again): the waiting callers serve their mailboxes.
struct Nest {
  wt_thread a, b;
  pthread_t ta, tb;
  int depth = 0, max = 6, wrong = 0;
};
int Bounce(wt_call *c, void *p) {
  Nest *n = static_cast<Nest *>(p);
  bool on_a = pthread_equal(pthread_self(), n->ta);
  n->wrong += !(on_a ? true : pthread_equal(pthread_self(), n->tb));
  if (!wt_thread_equal(wt_call_caller(c), on_a ? n->b : n->a)) n->wrong++;
  if (++n->depth >= n->max) return 0;
  return wt_call_sync(on_a ? n->b : n->a, Bounce, p, kHang, nullptr);
}

TEST(Proxying, NestedSyncCallsABAComplete) {
  Server b;
  Nest n;
  ASSERT_EQ(wt_thread_join(&n.a), 0);
  n.ta = pthread_self();
  n.b = b.id();
  n.tb = b.thread();
  EXPECT_EQ(wt_call_sync(n.b, Bounce, &n, kHang, nullptr), 0);
  EXPECT_EQ(n.depth, n.max);
  EXPECT_EQ(n.wrong, 0);
}

// ------------------------------------------------------------------ timeouts

TEST(Proxying, SyncTimesOutAndAWithdrawnCallNeverRuns) {
  // The target is live but never serves until released.
  Event release, joined;
  std::atomic<uint64_t> id{0};
  std::atomic<int> ran{0};
  Thread t([&] {
    wt_thread x;
    ASSERT_EQ(wt_thread_join(&x), 0);
    id = x.bits;
    joined.Set();
    release.Wait();
    wt_thread_poll();  // the withdrawn call must not run here
  });
  ASSERT_TRUE(joined.Wait());
  wt_result r;
  EXPECT_EQ(wt_call_sync(wt_thread{id.load()}, [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; },
                         &ran, 30, &r),
            WT_ETIMEDOUT);
  EXPECT_EQ(r.status, WT_ETIMEDOUT);
  release.Set();
  t.Join();
  EXPECT_EQ(ran.load(), 0);
}

TEST(Proxying, SyncTimesOutWhileTheTargetIsBusyRunningIt) {
  Server s;
  struct Busy { Event started, release; std::atomic<int> finished{0}; };
  auto fn = [](wt_call *, void *p) {
    Busy *b = static_cast<Busy *>(p);
    b->started.Set();
    b->release.Wait();
    b->finished = 1;
    return 0;
  };
  // The call must be running when the timeout hits. If a loaded machine has not started it in time it
  // is withdrawn instead (and never runs): try again with a longer timeout.
  for (int timeout_ms = 50; timeout_ms <= 12800; timeout_ms *= 4) {
    auto *b = new Busy;  // must outlive the call, which finishes after the caller gave up
    ASSERT_EQ(wt_call_sync(s.id(), fn, b, timeout_ms, nullptr), WT_ETIMEDOUT);
    if (!b->started.Wait(5000)) {  // withdrawn: it will never run
      delete b;
      continue;
    }
    b->release.Set();
    EXPECT_EQ(wt_call_sync(s.id(), Nop, nullptr, -1, nullptr), 0);  // FIFO: the busy call finished first
    EXPECT_EQ(b->finished.load(), 1);
    delete b;
    return;
  }
  FAIL() << "the target never started the call before the caller's timeout";
}

TEST(Proxying, ServeTimesOut) {
  EXPECT_EQ(wt_thread_serve([](void *) { return 0; }, nullptr, 20), WT_ETIMEDOUT);
}

// ------------------------------------------------------------------ async calls

TEST(Proxying, AsyncCompletionRunsOnTheCallersThread) {
  Server s;
  struct St { pthread_t ran{}, done_on{}; int status = -1; bool done = false; } st;
  ASSERT_EQ(wt_call_async(s.id(), [](wt_call *, void *p) { static_cast<St *>(p)->ran = pthread_self(); return 7; }, &st,
                          [](const wt_result *r, void *p) {
                            St *st = static_cast<St *>(p);
                            st->done_on = pthread_self();
                            st->status = r->fn_error;
                            st->done = true;
                          },
                          &st),
            0);
  ASSERT_TRUE(ServeUntil([&] { return st.done; }));
  EXPECT_TRUE(pthread_equal(st.ran, s.thread()));
  EXPECT_TRUE(pthread_equal(st.done_on, pthread_self()));
  EXPECT_EQ(st.status, 7);
}

// 8 senders x N async calls to one target: none lost, FIFO per sender at the target and in the
// completions, every completion on its sender's thread.
struct Flow {
  int next_at_target[8] = {};
  std::atomic<int> out_of_order{0};
};
struct Sender {
  Flow *flow;
  int index;
  pthread_t self{};
  int completed = 0, next_done = 0, wrong_thread = 0, bad_order = 0, bad_status = 0;
};
struct AsyncArg {
  Sender *s;
  int seq;
};

TEST(Proxying, ManySendersAsyncNoneLostFifoCompletionsOnCaller) {
  Server target;
  const int kSenders = 8, kCalls = WT_TEST_SCALE(100000, 4000);
  Flow flow;
  std::vector<std::unique_ptr<Sender>> senders;
  std::vector<std::unique_ptr<AsyncArg[]>> args;
  for (int i = 0; i < kSenders; i++) {
    senders.emplace_back(new Sender{&flow, i});
    args.emplace_back(new AsyncArg[kCalls]);
  }
  auto at_target = [](wt_call *, void *p) {
    AsyncArg *a = static_cast<AsyncArg *>(p);
    int &next = a->s->flow->next_at_target[a->s->index];  // only the target thread touches it
    if (a->seq != next) a->s->flow->out_of_order++;
    next = a->seq + 1;
    return 0;
  };
  auto done = [](const wt_result *r, void *p) {
    AsyncArg *a = static_cast<AsyncArg *>(p);
    Sender *s = a->s;
    s->wrong_thread += !pthread_equal(pthread_self(), s->self);
    s->bad_order += a->seq != s->next_done;
    s->bad_status += r->status != 0;
    s->next_done = a->seq + 1;
    s->completed++;
  };
  {
    std::vector<std::unique_ptr<Thread>> threads;
    for (int i = 0; i < kSenders; i++) {
      threads.emplace_back(new Thread([&, i] {
        Sender *s = senders[i].get();
        s->self = pthread_self();
        for (int k = 0; k < kCalls; k++) {
          args[i][k] = AsyncArg{s, k};
          int r;
          // Backpressure: a full mailbox refuses the call (nothing queued); serve and retry.
          while ((r = wt_call_async(target.id(), at_target, &args[i][k], done, &args[i][k])) == WT_EMAILBOX_FULL) {
            wt_thread_poll();
            std::this_thread::yield();
          }
          ASSERT_EQ(r, 0);
          if ((k & 1023) == 1023) wt_thread_poll();  // run completions as they come
        }
        ASSERT_TRUE(ServeUntil([&] { return s->completed == kCalls; })) << "sender " << i << " got " << s->completed;
      }));
    }
  }
  for (auto &s : senders) {
    EXPECT_EQ(s->completed, kCalls);
    EXPECT_EQ(s->wrong_thread, 0);
    EXPECT_EQ(s->bad_order, 0);
    EXPECT_EQ(s->bad_status, 0);
  }
  for (int i = 0; i < kSenders; i++) EXPECT_EQ(flow.next_at_target[i], kCalls);
  EXPECT_EQ(flow.out_of_order.load(), 0);
}

// ------------------------------------------------------------------ target exit

// A target that never serves exits with N pending calls of each kind: every sync caller wakes with
// WT_ECANCELED, every async completion runs with WT_ECANCELED on its caller, every post is dropped
// (its cancel runs, the stats count it). Sync callers nest (a waiting caller serves its mailbox, whose
// posts make further sync calls), so N sync calls are pending from a few threads.
struct ExitCase {
  wt_thread target;
  std::atomic<int> sync_canceled{0}, sync_other{0}, started{0};
};
int NestedSyncToTarget(wt_call *, void *p) {
  ExitCase *e = static_cast<ExitCase *>(p);
  e->started++;
  int r = wt_call_sync(e->target, Nop, nullptr, kHang, nullptr);
  (r == WT_ECANCELED ? e->sync_canceled : e->sync_other)++;
  return 0;
}

TEST(Proxying, TargetExitAccountsForEveryPendingCall) {
  // Nesting per caller stays within WT_PROXYING_MAX_DEPTH (two frames per level: wait + call).
  const int kCallers = WT_TEST_SCALE(40, 10), kDepth = WT_TEST_SCALE(25, 20), kN = kCallers * kDepth;
  const int kAsync = WT_TEST_SCALE(10000, 400), kPosts = WT_TEST_SCALE(10000, 400);
  ExitCase e;
  wt_proxying_stats before = Stats();
  Event target_joined, leave_now;
  std::atomic<int> seen_pending{0};
  Thread target([&] {
    ASSERT_EQ(wt_thread_join(&e.target), 0);
    target_joined.Set();
    // Never serves: waits until everything is queued, then exits (leaves at thread exit).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
    while (wt__proxying_pending_self() < kN + kAsync + kPosts && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    seen_pending = wt__proxying_pending_self();
  });
  ASSERT_TRUE(target_joined.Wait());

  // Sync: each caller queues kDepth-1 posts to itself... from here (it is not serving yet), then makes
  // the first sync call; each post runs inside the wait and makes one more, nested.
  std::vector<std::unique_ptr<Thread>> callers;
  std::vector<std::unique_ptr<Event>> caller_ready(kCallers);
  std::vector<std::atomic<uint64_t>> caller_ids(kCallers);
  Event go;
  for (int i = 0; i < kCallers; i++) {
    caller_ready[i].reset(new Event);
    callers.emplace_back(new Thread(
        [&, i] {
          wt_thread me;
          ASSERT_EQ(wt_thread_join(&me), 0);
          caller_ids[i] = me.bits;
          caller_ready[i]->Set();
          go.Wait();
          NestedSyncToTarget(nullptr, &e);
        },
        4u << 20));
  }
  for (int i = 0; i < kCallers; i++) {
    ASSERT_TRUE(caller_ready[i]->Wait());
    for (int k = 1; k < kDepth; k++) ASSERT_EQ(wt_post(wt_thread{caller_ids[i].load()}, NestedSyncToTarget, nullptr, &e), 0);
  }
  go.Set();

  // Async and posts from this thread.
  std::atomic<int> async_canceled{0}, async_other{0}, cancel_ran{0}, post_ran{0};
  struct Ctx { std::atomic<int> *canceled, *other; } actx{&async_canceled, &async_other};
  for (int k = 0; k < kAsync; k++) {
    ASSERT_EQ(wt_call_async(e.target, Nop, nullptr,
                            [](const wt_result *r, void *p) {
                              Ctx *c = static_cast<Ctx *>(p);
                              (r->status == WT_ECANCELED ? *c->canceled : *c->other)++;
                            },
                            &actx),
              0);
  }
  for (int k = 0; k < kPosts; k++) {
    struct PostCtx { std::atomic<int> *ran, *canceled; };
    static PostCtx pctx;
    pctx = PostCtx{&post_ran, &cancel_ran};
    ASSERT_EQ(wt_post(e.target, [](wt_call *, void *p) { ++*static_cast<PostCtx *>(p)->ran; return 0; },
                      [](void *p) { ++*static_cast<PostCtx *>(p)->canceled; }, &pctx),
              0);
  }
  target.Join();
  EXPECT_EQ(seen_pending.load(), kN + kAsync + kPosts) << "the target exited before everything was queued";
  for (auto &c : callers) c->Join();
  ASSERT_TRUE(ServeUntil([&] { return async_canceled + async_other == kAsync; }));
  EXPECT_EQ(e.started.load(), kN);
  EXPECT_EQ(e.sync_canceled.load(), kN);
  EXPECT_EQ(e.sync_other.load(), 0);
  EXPECT_EQ(async_canceled.load(), kAsync);
  EXPECT_EQ(async_other.load(), 0);
  EXPECT_EQ(cancel_ran.load(), kPosts);
  EXPECT_EQ(post_ran.load(), 0);
  wt_proxying_stats after = Stats();
  EXPECT_EQ(after.posts_dropped - before.posts_dropped, uint64_t(kPosts));
  EXPECT_EQ(after.calls_canceled - before.calls_canceled, uint64_t(kN + kAsync));
  // And the id is stale from now on.
  EXPECT_EQ(wt_call_sync(e.target, Nop, nullptr, -1, nullptr), WT_ESTALE);
  EXPECT_EQ(wt_post(e.target, Nop, nullptr, nullptr), WT_ESTALE);
}

TEST(Proxying, SyncCallerWakesWithECANCELEDWhenTargetLeaves) {
  Event joined, leave;
  std::atomic<uint64_t> id{0};
  Thread t([&] {
    wt_thread x;
    ASSERT_EQ(wt_thread_join(&x), 0);
    id = x.bits;
    joined.Set();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
    while (wt__proxying_pending_self() < 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(wt_thread_leave(), 0);  // explicit leave, thread keeps running
    leave.Wait();
  });
  ASSERT_TRUE(joined.Wait());
  wt_result r;
  EXPECT_EQ(wt_call_sync(wt_thread{id.load()}, Nop, nullptr, -1, &r), WT_ECANCELED);
  EXPECT_EQ(r.status, WT_ECANCELED);
  leave.Set();
}

// Senders race a target that leaves: every accepted async call completes exactly once (OK or
// WT_ECANCELED), every refused one fails at once with WT_ESTALE. Mostly a ThreadSanitizer workout.
TEST(Proxying, CallsRacingTargetExitAreAllAccountedFor) {
  const int kRounds = WT_TEST_SCALE(20, 4), kSenders = 3, kPer = WT_TEST_SCALE(2000, 300);
  for (int round = 0; round < kRounds; round++) {
    Event joined;
    std::atomic<uint64_t> id{0};
    Thread target([&] {
      wt_thread x;
      ASSERT_EQ(wt_thread_join(&x), 0);
      id = x.bits;
      joined.Set();
      for (int i = 0; i < 50 + round * 10; i++) wt_thread_poll();
    });
    ASSERT_TRUE(joined.Wait());
    std::vector<std::unique_ptr<Thread>> senders;
    std::atomic<int> total_ok{0};
    for (int s = 0; s < kSenders; s++) {
      senders.emplace_back(new Thread([&] {
        int accepted = 0, refused = 0, done = 0, bad = 0;
        std::pair<int *, int *> counters(&done, &bad);
        for (int k = 0; k < kPer; k++) {
          int r = wt_call_async(wt_thread{id.load()}, Nop, nullptr,
                                [](const wt_result *res, void *p) {
                                  auto *d = static_cast<std::pair<int *, int *> *>(p);
                                  (*d->first)++;
                                  if (res->status != 0 && res->status != WT_ECANCELED && res->status != WT_ESTALE) (*d->second)++;
                                },
                                &counters);
          if (r == 0) accepted++;
          else if (r == WT_ESTALE) refused++;
          else bad++;
        }
        EXPECT_TRUE(ServeUntil([&] { return done == accepted; })) << done << " of " << accepted;
        EXPECT_EQ(accepted + refused, kPer);
        EXPECT_EQ(bad, 0);
        total_ok += accepted;
      }));
    }
    for (auto &s : senders) s->Join();
    target.Join();
  }
}

TEST(Proxying, PendingCompletionsRunWhenTheCallerLeaves) {
  Server s;
  struct St { std::atomic<int> done{0}; pthread_t on{}; } st;
  Thread t([&] {
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    ASSERT_EQ(wt_call_async(s.id(), Nop, nullptr,
                            [](const wt_result *r, void *p) {
                              EXPECT_EQ(r->status, 0);
                              static_cast<St *>(p)->on = pthread_self();
                              static_cast<St *>(p)->done++;
                            },
                            &st),
              0);
    // Not serving: wait until the completion sits in this thread's mailbox, then leave.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
    while (wt__proxying_pending_self() < 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(st.done.load(), 0);
    ASSERT_EQ(wt_thread_leave(), 0);
    EXPECT_EQ(st.done.load(), 1) << "leaving runs the thread's own pending completions";
    EXPECT_TRUE(pthread_equal(st.on, pthread_self()));
  });
  t.Join();
  EXPECT_EQ(st.done.load(), 1);
}

// ------------------------------------------------------------------ the UI thread

#ifndef __EMSCRIPTEN__
TEST(Proxying, HostUIThreadRefusesSyncCallsUnlessSpinPolicy) {
  Server w;
  std::atomic<int> refused{-999}, spun{-999}, busy{-999}, from_worker{-999};
  Event ui_up, done;
  std::atomic<bool> quit{false};
  Thread ui([&] {
    ASSERT_EQ(wt_thread_adopt_ui(), 0);
    EXPECT_EQ(wt_thread_is_ui(), 1);
    refused = wt_call_sync(w.id(), Nop, nullptr, -1, nullptr);
    ASSERT_EQ(wt_proxying_set_ui_policy(WT_UI_POLICY_DANGEROUS_SPIN), 0);
    spun = wt_call_sync(w.id(), Nop, nullptr, -1, nullptr);
    ASSERT_EQ(wt_proxying_set_ui_policy(WT_UI_POLICY_REFUSE), 0);
    ui_up.Set();
    // The "event loop": serve until told to quit.
    EXPECT_EQ(wt_thread_serve([](void *p) { return static_cast<std::atomic<bool> *>(p)->load() ? 1 : 0; }, &quit, kHang), 0);
  });
  ASSERT_TRUE(ui_up.Wait());
  EXPECT_EQ(refused.load(), WT_EWOULDBLOCK);
  EXPECT_EQ(spun.load(), 0);
  Thread other([&] { busy = wt_thread_adopt_ui(); });
  other.Join();
  EXPECT_EQ(busy.load(), WT_EBUSY);
  pthread_t ran{};
  EXPECT_EQ(wt_call_sync(wt_thread_ui(), RecordThread, &ran, -1, nullptr), 0);
  EXPECT_TRUE(pthread_equal(ran, ui.native()));
  EXPECT_EQ(wt_thread_is_ui(), 0);
  EXPECT_EQ(wt_post(wt_thread_ui(), [](wt_call *, void *p) { *static_cast<std::atomic<bool> *>(p) = true; return 0; },
                    nullptr, &quit),
            0);
  ui.Join();
  EXPECT_TRUE(wt_thread_equal(wt_thread_ui(), WT_THREAD_NONE)) << "the UI thread left at exit";
}

TEST(Proxying, RegistryFullGivesEFULL) {
  // Fill every free slot with parked threads; one more join must fail with WT_EFULL.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> joined{0}, full{0};
  std::vector<std::unique_ptr<Thread>> ts;
  for (int i = 0; i < wt__proxying_max_threads() + 1; i++) {
    ts.emplace_back(new Thread([&] {
      int r = wt_thread_join(nullptr);
      if (r == WT_EFULL) full++;
      else if (r == 0) joined++;
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return release; });
    }, 64 << 10));
    if (full.load()) break;
  }
  // Wait until every started thread has tried to join.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
  while (joined + full < int(ts.size()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GE(full.load(), 1);
  EXPECT_LE(joined.load(), wt__proxying_max_threads());
  if (wt_thread_self().bits == 0) {
    EXPECT_EQ(wt_thread_join(nullptr), WT_EFULL);
  }
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  ts.clear();
  Server s;  // slots are free again
  EXPECT_EQ(wt_call_sync(s.id(), Nop, nullptr, -1, nullptr), 0);
}
#else
TEST(Proxying, AdoptUINotSupportedInBrowserBuilds) { EXPECT_EQ(wt_thread_adopt_ui(), WT_ENOTSUP); }

// Under PROXY_TO_PTHREAD the suite runs on a worker; the UI thread is the main runtime thread.
TEST(Proxying, UIThreadIsTheMainRuntimeThreadAndRefusesToBlock) {
  ASSERT_NE(wt_thread_ui().bits, 0u);
  EXPECT_EQ(wt_thread_check(wt_thread_ui()), 0);
  EXPECT_EQ(wt_thread_is_ui(), 0);
  struct R { wt_thread worker; int sync_rc = -999, serve_rc = -999, leave_rc = -999, is_ui = -1, is_main = -1; } r;
  ASSERT_EQ(wt_thread_join(&r.worker), 0);
  auto on_ui = [](wt_call *, void *p) {
    R *r = static_cast<R *>(p);
    r->is_ui = wt_thread_is_ui();
    r->is_main = emscripten_is_main_runtime_thread();
    r->sync_rc = wt_call_sync(r->worker, Nop, nullptr, 1000, nullptr);  // must be refused, not hang
    r->serve_rc = wt_thread_serve(nullptr, nullptr, 1000);
    r->leave_rc = wt_thread_leave();  // refused first: the UI thread never leaves
    return 0;
  };
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), on_ui, &r, kHang, nullptr), 0);
  EXPECT_EQ(r.is_ui, 1);
  EXPECT_EQ(r.is_main, 1);
  EXPECT_EQ(r.sync_rc, WT_EWOULDBLOCK);
  EXPECT_EQ(r.serve_rc, WT_EWOULDBLOCK);
  EXPECT_EQ(r.leave_rc, WT_EINVAL) << "the browser's UI thread never leaves";
  EXPECT_EQ(wt_thread_check(wt_thread_ui()), 0);
}

// Opt-in dangerous policy: the UI thread spin-waits (serving its mailbox). The worker that called it is
// itself waiting in wt_call_sync, so it serves the UI's nested call: worker -> UI -> worker completes.
TEST(Proxying, UISpinPolicyAllowsNestedSyncFromTheUIThread) {
  struct R { wt_thread worker; int rc = -999; int ran_on_worker = 0; } r;
  ASSERT_EQ(wt_thread_join(&r.worker), 0);
  auto on_ui = [](wt_call *, void *p) {
    R *r = static_cast<R *>(p);
    wt_proxying_set_ui_policy(WT_UI_POLICY_DANGEROUS_SPIN);
    r->rc = wt_call_sync(r->worker, [](wt_call *, void *p) {
      static_cast<R *>(p)->ran_on_worker = !emscripten_is_main_runtime_thread();
      return 0;
    }, r, 5000, nullptr);
    wt_proxying_set_ui_policy(WT_UI_POLICY_REFUSE);
    return 0;
  };
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), on_ui, &r, kHang, nullptr), 0);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.ran_on_worker, 1);
}

// A worker sets document.title through a sync call to the UI thread and reads it back (node: a
// stand-in global on the main thread's realm).
TEST(Proxying, WorkerSetsDocumentTitleThroughTheUIThread) {
  struct T { char in[64]; char out[64]; int has_document = -1; } t;
  snprintf(t.in, sizeof t.in, "webthreads %d", 1234);
  auto set_title = [](wt_call *c, void *p) {
    T *t = static_cast<T *>(p);
    if (!emscripten_is_main_runtime_thread()) { wt_call_set_message(c, "not on the UI thread"); return 1; }
    t->has_document = EM_ASM_INT({
      var doc = typeof document !== 'undefined' ? document : (globalThis.__wtFakeDocument || (globalThis.__wtFakeDocument = {title: ""}));
      doc.title = UTF8ToString($0);
      return typeof document !== 'undefined' ? 1 : 0;
    }, t->in);
    return 0;
  };
  auto get_title = [](wt_call *, void *p) {
    T *t = static_cast<T *>(p);
    EM_ASM({
      var doc = typeof document !== 'undefined' ? document : globalThis.__wtFakeDocument;
      stringToUTF8(doc.title, $0, 64);
    }, t->out);
    return 0;
  };
  wt_result r;
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), set_title, &t, kHang, &r), 0) << r.message;
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), get_title, &t, kHang, &r), 0);
  EXPECT_STREQ(t.out, t.in);
  bool node = EM_ASM_INT({ return ENVIRONMENT_IS_NODE ? 1 : 0; });
  EXPECT_EQ(t.has_document, node ? 0 : 1);
}

TEST(Proxying, UISyncPingPongAndAsyncFromWorker) {
  const int n = 500;
  int wrong = 0;
  for (int i = 0; i < n; i++) {
    int on_main = 0;
    ASSERT_EQ(wt_call_sync(wt_thread_ui(), [](wt_call *, void *p) { *static_cast<int *>(p) = emscripten_is_main_runtime_thread(); return 0; },
                           &on_main, kHang, nullptr),
              0);
    wrong += !on_main;
  }
  EXPECT_EQ(wrong, 0);
  int done = 0;
  for (int i = 0; i < n; i++)
    ASSERT_EQ(wt_call_async(wt_thread_ui(), Nop, nullptr, [](const wt_result *, void *p) { ++*static_cast<int *>(p); }, &done), 0);
  ASSERT_TRUE(ServeUntil([&] { return done == n; }));
}
#endif

}  // namespace

#ifdef __EMSCRIPTEN__
namespace {
// The JS side: wtProxying.callAsync from a worker's JS runs the C function on the UI thread and settles
// back on the worker.
TEST(Proxying, JsCallAsyncSettlesOnTheCallingThread) {
  static std::atomic<int> ran_on_main{0};
  struct Out { int status = -999, fn_error = -999, settled = 0, settled_on_caller = 0; char msg[64] = ""; } out;
  auto fn = [](wt_call *c, void *) {
    ran_on_main = emscripten_is_main_runtime_thread() ? 1 : 2;
    wt_call_set_message(c, "from the UI thread");
    return 5;
  };
  wt_fn fp = fn;
  pthread_t me = pthread_self();
  EM_ASM({
    var out = $1;
    var me = $2;
    // The Promise's reactions need a return to this worker's event loop, which a GoogleTest body never
    // makes; onSettle runs at the completion itself.
    wtProxying.callAsync(wtProxying.ui(), $0, 0, function(r) {
      HEAP32[(out >> 2) + 0] = r.status;
      HEAP32[(out >> 2) + 1] = r.fnError;
      stringToUTF8(r.message, out + 16, 64);
      HEAP32[(out >> 2) + 3] = _pthread_self() == me ? 1 : 0;
      Atomics.store(HEAP32, (out >> 2) + 2, 1);
    });
  }, fp, &out, me);
  ASSERT_TRUE(ServeUntil([&] { return __atomic_load_n(&out.settled, __ATOMIC_SEQ_CST) == 1; }));
  EXPECT_EQ(ran_on_main.load(), 1);
  EXPECT_EQ(out.status, WT_ECALL);
  EXPECT_EQ(out.fn_error, 5);
  EXPECT_STREQ(out.msg, "from the UI thread");
  EXPECT_EQ(out.settled_on_caller, 1);
  int unknown = EM_ASM_INT({ return wtProxying.check(0n); });
  EXPECT_EQ(unknown, WT_ENOENT);
}
}  // namespace
#endif

// ------------------------------------------------------------------ the user-code boundary
// Each test names the hardening item it covers; every one failed on the code before the boundary.

namespace {

struct SelfState {
  uint32_t depth = 99, serving = 99;
};
SelfState StateOfSelf() {
  SelfState s;
  wt__proxying_self_state(&s.depth, &s.serving);
  return s;
}

// A thread that joins the registry, then runs body(its id) (which may wait for the test); the
// constructor returns once it has joined.
class Joined {
 public:
  explicit Joined(std::function<void(wt_thread)> body)
      : body_(std::move(body)), th_([this] {
          wt_thread me;
          if (wt_thread_join(&me) != 0) abort();
          id_ = me.bits;
          ready_.Set();
          body_(me);
        }) {
    if (!ready_.Wait()) abort();
  }
  wt_thread id() const { return wt_thread{id_.load()}; }
  void Join() { th_.Join(); }

 private:
  std::function<void(wt_thread)> body_;
  std::atomic<uint64_t> id_{0};
  Event ready_;
  Thread th_;  // last: starts after the fields above exist
};

using wtt::WaitFor;

// Waits (bounded) until the calling thread's mailbox holds at least n items.
bool WaitPendingSelf(int n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
  while (wt__proxying_pending_self() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Item 1: wt_thread_leave from inside a completion, a call's function, a post's cancel, or serve's
// `until` is refused with WT_EINCALL; the thread stays joined and usable, its counters intact.
TEST(ProxyingBoundary, LeaveWithUserCodeOnTheStackIsRefused) {
  Server s;
  Thread t([&] {
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    uint32_t live = Stats().threads_live;
    struct R { std::atomic<int> in_done{-999}, done_ran{0}; } r;
    ASSERT_EQ(wt_call_async(s.id(), Nop, nullptr,
                            [](const wt_result *, void *p) {
                              static_cast<R *>(p)->in_done = wt_thread_leave();
                              static_cast<R *>(p)->done_ran++;
                            },
                            &r),
              0);
    ASSERT_TRUE(ServeUntil([&] { return r.done_ran.load() == 1; }));
    EXPECT_EQ(r.in_done.load(), WT_EINCALL) << "leave from inside a completion";
    EXPECT_EQ(wt_thread_check(me), 0);
    EXPECT_TRUE(wt_thread_equal(wt_thread_self(), me));
    EXPECT_EQ(Stats().threads_live, live);
    // From a function this thread runs (a call to itself runs inline, a post from elsewhere in a drain).
    int in_fn = -999;
    ASSERT_EQ(wt_call_sync(me, [](wt_call *, void *p) { *static_cast<int *>(p) = wt_thread_leave(); return 0; },
                           &in_fn, kHang, nullptr),
              0);
    EXPECT_EQ(in_fn, WT_EINCALL);
    std::atomic<int> in_post{-999};
    ASSERT_EQ(wt_call_sync(s.id(), [](wt_call *c, void *p) {
                return wt_post(wt_call_caller(c), [](wt_call *, void *p) {
                  *static_cast<std::atomic<int> *>(p) = wt_thread_leave();
                  return 0;
                }, nullptr, p);
              }, &in_post, kHang, nullptr),
              0);
    ASSERT_TRUE(ServeUntil([&] { return in_post.load() != -999; }));
    EXPECT_EQ(in_post.load(), WT_EINCALL);
    // From serve's `until` predicate.
    int in_until = -999;
    EXPECT_EQ(wt_thread_serve([](void *p) { *static_cast<int *>(p) = wt_thread_leave(); return 1; }, &in_until, kHang), 0);
    EXPECT_EQ(in_until, WT_EINCALL);
    SelfState st = StateOfSelf();
    EXPECT_EQ(st.depth, 0u);
    EXPECT_EQ(st.serving, 0u);
    // Still a working thread: it gets calls and leaves for real at the end.
    EXPECT_EQ(wt_call_sync(s.id(), Nop, nullptr, kHang, nullptr), 0);
    EXPECT_EQ(wt_thread_leave(), 0);
    EXPECT_EQ(Stats().threads_live, live - 1);
  });
  t.Join();
  EXPECT_EQ(wt_call_sync(s.id(), Nop, nullptr, kHang, nullptr), 0);
}

// The cancel path of a post is user code too: leave refuses from there as well. The post is dropped
// by the target's leave, which runs cancel on the leaving target.
TEST(ProxyingBoundary, LeaveFromACancelFunctionIsRefused) {
  Event queued;
  std::atomic<int> in_cancel{-999};
  Joined target([&](wt_thread) {
    ASSERT_TRUE(queued.Wait());
    EXPECT_EQ(wt_thread_leave(), 0);  // drops the post: its cancel runs here and tries to leave
  });
  static std::atomic<int> *out;
  out = &in_cancel;
  ASSERT_EQ(wt_post(target.id(), Nop, [](void *) { *out = wt_thread_leave(); }, nullptr), 0);
  queued.Set();
  target.Join();
  EXPECT_EQ(in_cancel.load(), WT_EINCALL);
}

// Item 2: a completion run by leave() itself calls wt_thread_leave(): refused; the outer leave
// finishes once, threads_live drops by exactly one, a thread that claims the slot afterwards keeps
// its own id.
TEST(ProxyingBoundary, NestedLeaveFromACompletionRunByLeaveIsRefused) {
  Server s;
  std::atomic<int> inner{-999}, outer{-999};
  std::atomic<uint64_t> old_id{0};
  uint32_t live_before = 0, live_after = 0;
  Thread t([&] {
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    old_id = me.bits;
    live_before = Stats().threads_live;
    ASSERT_EQ(wt_call_async(s.id(), Nop, nullptr,
                            [](const wt_result *, void *p) { *static_cast<std::atomic<int> *>(p) = wt_thread_leave(); },
                            &inner),
              0);
    ASSERT_TRUE(WaitPendingSelf(1)) << "the completion never arrived";
    outer = wt_thread_leave();
    live_after = Stats().threads_live;
  });
  t.Join();
  EXPECT_EQ(inner.load(), WT_EINCALL);
  EXPECT_EQ(outer.load(), 0);
  EXPECT_EQ(live_after, live_before - 1);
  EXPECT_EQ(wt_thread_check(wt_thread{old_id.load()}), WT_ESTALE);
  // Threads that join now (one may take the freed slot) each get a distinct, live id.
  Server a, b;
  EXPECT_FALSE(wt_thread_equal(a.id(), b.id()));
  EXPECT_EQ(wt_thread_check(a.id()), 0);
  EXPECT_EQ(wt_thread_check(b.id()), 0);
  EXPECT_EQ(wt_call_sync(a.id(), Nop, nullptr, kHang, nullptr), 0);
  EXPECT_EQ(wt_call_sync(b.id(), Nop, nullptr, kHang, nullptr), 0);
}

// Item 3: pthread_exit inside a called function: the sync caller gets WT_ECANCELED (not a timeout),
// an async caller's completion runs with WT_ECANCELED, the stats count the unwound calls.
int ExitThread(wt_call *, void *) {
  pthread_exit(nullptr);
  return 0;
}

TEST(ProxyingBoundary, PthreadExitInsideAFunctionAnswersItsCallers) {
  wt_proxying_stats before = Stats();
  for (int kind = 0; kind < 2; kind++) {
    Event joined;
    std::atomic<uint64_t> id{0};
    pthread_t th;
    struct Arg { Event *joined; std::atomic<uint64_t> *id; } arg{&joined, &id};
    ASSERT_EQ(pthread_create(&th, nullptr,
                             [](void *p) -> void * {
                               Arg *a = static_cast<Arg *>(p);
                               wt_thread me;
                               if (wt_thread_join(&me) != 0) abort();
                               a->id->store(me.bits);
                               a->joined->Set();
                               wt_thread_serve(nullptr, nullptr, kHang);  // exits from inside
                               return nullptr;
                             },
                             &arg),
              0);
    ASSERT_TRUE(joined.Wait());
    wt_thread target{id.load()};
    if (kind == 0) {
      wt_result r;
      EXPECT_EQ(wt_call_sync(target, ExitThread, nullptr, kHang, &r), WT_ECANCELED) << r.message;
      EXPECT_NE(std::string(r.message).find("exited"), std::string::npos) << r.message;
    } else {
      std::atomic<int> status{-999};
      ASSERT_EQ(wt_call_async(target, ExitThread, nullptr,
                              [](const wt_result *r, void *p) { *static_cast<std::atomic<int> *>(p) = r->status; },
                              &status),
                0);
      ASSERT_TRUE(ServeUntil([&] { return status.load() != -999; }));
      EXPECT_EQ(status.load(), WT_ECANCELED);
    }
    pthread_join(th, nullptr);
    EXPECT_EQ(wt_thread_check(target), WT_ESTALE);
  }
  EXPECT_EQ(Stats().calls_unwound - before.calls_unwound, 2u);
}

#ifndef __EMSCRIPTEN__
// Item 3 (host: the wasm suite builds without C++ exceptions): a function that throws. The exception
// reaches the target's own catch; the caller gets WT_ECANCELED; the target's frames and `serving` are
// restored, so it keeps serving and may leave.
TEST(ProxyingBoundary, ExceptionThroughAFunctionAnswersItsCallerAndRestoresTheTarget) {
  Event caught;
  std::atomic<bool> stop{false};
  SelfState after_catch;
  Joined target([&](wt_thread) {
    try {
      wt_thread_serve(nullptr, nullptr, kHang);
      ADD_FAILURE() << "serve returned instead of unwinding";
    } catch (const std::runtime_error &) {
      after_catch = StateOfSelf();
      caught.Set();
    }
    ServeUntil([&] { return stop.load(); });
    EXPECT_EQ(wt_thread_leave(), 0);
  });
  wt_thread t = target.id();
  wt_result r;
  EXPECT_EQ(wt_call_sync(t, [](wt_call *, void *) -> int { throw std::runtime_error("boom"); }, nullptr, kHang, &r),
            WT_ECANCELED);
  ASSERT_TRUE(caught.Wait());
  EXPECT_EQ(after_catch.depth, 0u);
  EXPECT_EQ(after_catch.serving, 0u);
  // Nested: the exception leaves a function that runs inside the target's own sync wait. The target's
  // wait is abandoned too; both records are answered.
  Server other;
  struct N { wt_thread other; } n{other.id()};
  std::atomic<int> nested_status{-999};
  struct Ctx { wt_thread me; std::atomic<int> *st; } c{WT_THREAD_NONE, &nested_status};  // outlives both threads
  Thread nested_target([&] {
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    c.me = me;
    try {
      // Waits for `other`, which calls back into us with a function that throws.
      wt_call_sync(n.other, [](wt_call *, void *p) {
        Ctx *c = static_cast<Ctx *>(p);
        wt_result rr;
        *c->st = wt_call_sync(c->me, [](wt_call *, void *) -> int { throw std::runtime_error("nested"); }, nullptr,
                              kHang, &rr);
        return 0;
      }, &c, kHang, nullptr);
    } catch (const std::runtime_error &) {
    }
    SelfState st = StateOfSelf();
    EXPECT_EQ(st.depth, 0u);
    EXPECT_EQ(st.serving, 0u);
  });
  nested_target.Join();
  // The inline call to itself unwound with its caller: no one was waiting for it. `other`'s call to
  // us is answered when the exception leaves our wait (our abandoned wait withdraws nothing it needs).
  ASSERT_TRUE(WaitFor([&] { return nested_status.load() != -999; }));
  EXPECT_EQ(nested_status.load(), WT_ECANCELED);
  stop = true;
  EXPECT_EQ(wt_post(t, Nop, nullptr, nullptr), 0);
  target.Join();
}
#endif

// Item 4: a sync caller whose own mailbox is flooded with posts returns as soon as its answer is in,
// while the flood is still going (before: only after the flood stopped).
TEST(ProxyingBoundary, SyncCallerReturnsWhileItsMailboxIsFlooded) {
  Server target;
  std::atomic<bool> caller_returned{false}, flood_on{false};
  std::atomic<int> flood_timed_out{0};
  Joined caller([&](wt_thread) {
    while (!flood_on.load()) std::this_thread::yield();
    // Let the flood get ahead of this thread before it starts to wait.
    ASSERT_TRUE(WaitPendingSelf(200));
    EXPECT_EQ(wt_call_sync(target.id(), Nop, nullptr, kHang, nullptr), 0);
    caller_returned = true;
  });
  Thread flooder([&] {
    wt_thread to = caller.id();
    auto slow = [](wt_call *, void *) {  // ~20 µs each: the caller cannot empty its mailbox
      auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
      while (std::chrono::steady_clock::now() < end) {
      }
      return 0;
    };
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    flood_on = true;
    while (!caller_returned.load()) {
      if (std::chrono::steady_clock::now() > limit) {
        flood_timed_out = 1;
        break;
      }
      int r = wt_post(to, slow, nullptr, nullptr);
      if (r == WT_EMAILBOX_FULL) std::this_thread::yield();
      else if (r != 0) break;
    }
  });
  flooder.Join();
  caller.Join();
  EXPECT_TRUE(caller_returned.load());
  EXPECT_EQ(flood_timed_out.load(), 0) << "the caller only returned once the flood stopped";
}

// Item 4: mailboxes are bounded. A thread that does not serve accepts WT_PROXYING_MAILBOX_MAX calls,
// then refuses with WT_EMAILBOX_FULL (nothing queued, counted); once it serves, calls are accepted again.
TEST(ProxyingBoundary, FullMailboxRefusesWithEMAILBOX_FULL) {
  Event full, served;
  std::atomic<int> ran{0};
  Joined t([&](wt_thread) {
    ASSERT_TRUE(full.Wait());
    int n = 0;
    for (int r; (r = wt_thread_poll()) > 0;) n += r;
    EXPECT_EQ(n, (int)wt__proxying_mailbox_max());
    served.Set();
    ServeUntil([&] { return ran.load() == (int)wt__proxying_mailbox_max() + 1; });
  });
  wt_thread to = t.id();
  const unsigned max = wt__proxying_mailbox_max();
  auto count = [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; };
  uint64_t full_before = Stats().mailbox_full;
  for (unsigned i = 0; i < max; i++) ASSERT_EQ(wt_post(to, count, nullptr, &ran), 0) << i;
  EXPECT_EQ(wt_post(to, count, nullptr, &ran), WT_EMAILBOX_FULL);
  EXPECT_EQ(wt_call_async(to, count, &ran, [](const wt_result *, void *) { ADD_FAILURE() << "refused: no done"; }, nullptr),
            WT_EMAILBOX_FULL);
  EXPECT_EQ(wt_call_sync(to, count, &ran, kHang, nullptr), WT_EMAILBOX_FULL);
  EXPECT_EQ(Stats().mailbox_full - full_before, 3u);
  full.Set();
  ASSERT_TRUE(served.Wait());
  EXPECT_EQ(wt_post(to, count, nullptr, &ran), 0) << "served: room again";
  t.Join();
  EXPECT_EQ(ran.load(), (int)max + 1);
}

// Item 6: an async call whose caller leaves before its completion arrives. The caller runs `done`
// itself, on its own thread, with WT_ECANCELED, exactly once; a call not started yet is withdrawn
// and never runs; one already running finishes and its completion is dropped (not run twice).
TEST(ProxyingBoundary, AsyncCallerThatLeavesFirstRunsDoneWithECANCELED) {
  Event release_target, started, finish;
  std::atomic<int> fn_ran{0};
  Joined target([&](wt_thread) {
    ASSERT_TRUE(release_target.Wait());
    while (fn_ran.load() < 1) {
      if (wt_thread_poll() < 0) break;
      std::this_thread::yield();
    }
    ServeUntil([&] { return true; });
  });
  wt_thread t = target.id();
  struct Done { std::atomic<int> runs{0}, status{-999}; pthread_t on{}; char msg[WT_CALL_MESSAGE_MAX] = ""; };
  Done withdrawn, discarded;
  auto record = [](const wt_result *r, void *p) {
    Done *d = static_cast<Done *>(p);
    d->status = r->status;
    d->on = pthread_self();
    snprintf(d->msg, sizeof d->msg, "%s", r->message);
    d->runs++;
  };
  uint64_t dropped_before = Stats().completions_dropped;
  // 1. Withdrawn: the target does not serve until the caller has left.
  pthread_t caller_thread{};
  {
    Thread caller([&] {
      caller_thread = pthread_self();
      ASSERT_EQ(wt_call_async(t, [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; }, &fn_ran,
                              record, &withdrawn),
                0);
      EXPECT_EQ(wt_thread_leave(), 0);
      EXPECT_EQ(withdrawn.runs.load(), 1) << "done ran during leave";
    });
  }
  EXPECT_EQ(withdrawn.status.load(), WT_ECANCELED);
  EXPECT_TRUE(pthread_equal(withdrawn.on, caller_thread));
  EXPECT_NE(std::string(withdrawn.msg).find("never runs"), std::string::npos) << withdrawn.msg;
  // 2. Running when the caller leaves: the function blocks until the caller is gone.
  struct Slow { Event *started, *finish; std::atomic<int> *ran; } slow{&started, &finish, &fn_ran};
  {
    Thread caller([&] {
      ASSERT_EQ(wt_call_async(t, [](wt_call *, void *p) {
                  Slow *s = static_cast<Slow *>(p);
                  s->started->Set();
                  s->finish->Wait();
                  ++*s->ran;
                  return 0;
                }, &slow, record, &discarded),
                0);
      release_target.Set();
      ASSERT_TRUE(started.Wait());
      EXPECT_EQ(wt_thread_leave(), 0);
      EXPECT_EQ(discarded.runs.load(), 1);
    });
  }
  finish.Set();
  target.Join();  // served the slow call; its completion found the caller gone
  EXPECT_EQ(fn_ran.load(), 1) << "the withdrawn call must never run; the running one finishes";
  EXPECT_EQ(discarded.runs.load(), 1) << "done runs exactly once";
  EXPECT_EQ(discarded.status.load(), WT_ECANCELED);
  EXPECT_NE(std::string(discarded.msg).find("discarded"), std::string::npos) << discarded.msg;
  EXPECT_EQ(Stats().completions_dropped - dropped_before, 1u);
}

// Item 8: nesting is bounded. A ping-pong of nested sync calls between two threads with small stacks,
// and a recursion of calls to oneself, end with WT_EDEPTH instead of overflowing the stack; afterwards
// both threads are back at depth 0 and keep working.
int PingPong(wt_call *, void *p);
struct Pong { wt_thread a, b; std::atomic<int> deepest{0}; };
struct Level { Pong *pg; int n; };
int PingPong(wt_call *, void *p) {
  Level *l = static_cast<Level *>(p);
  if (l->n > l->pg->deepest) l->pg->deepest = l->n;
  Level next{l->pg, l->n + 1};
  wt_thread other = wt_thread_equal(wt_thread_self(), l->pg->a) ? l->pg->b : l->pg->a;
  wt_result r;
  int rc = wt_call_sync(other, PingPong, &next, kHang, &r);
  if (rc == WT_ECALL) return r.fn_error;  // pass the innermost error up
  return rc;
}
int SelfRecursion(wt_call *, void *p) {
  ++*static_cast<int *>(p);
  wt_result r;
  int rc = wt_call_sync(wt_thread_self(), SelfRecursion, p, kHang, &r);
  return rc == WT_ECALL ? r.fn_error : rc;
}

TEST(ProxyingBoundary, DeepNestingGivesEDEPTHNotAStackOverflow) {
  const size_t kStack = 256 << 10;
  Server a(kStack), b(kStack);
  Pong pg;
  pg.a = a.id();
  pg.b = b.id();
  Level first{&pg, 1};
  wt_result r;
  EXPECT_EQ(wt_call_sync(a.id(), PingPong, &first, kHang, &r), WT_ECALL);
  EXPECT_EQ(r.fn_error, WT_EDEPTH) << "deepest level " << pg.deepest.load();
  EXPECT_GT(pg.deepest.load(), 4);
  EXPECT_LE(pg.deepest.load(), wt__proxying_max_depth());
  int levels = 0;
  EXPECT_EQ(wt_call_sync(a.id(), SelfRecursion, &levels, kHang, &r), WT_ECALL);
  EXPECT_EQ(r.fn_error, WT_EDEPTH) << levels << " levels";
  EXPECT_LE(levels, wt__proxying_max_depth());
  for (Server *s : {&a, &b}) {
    SelfState st;
    ASSERT_EQ(wt_call_sync(s->id(), [](wt_call *, void *p) { *static_cast<SelfState *>(p) = StateOfSelf(); return 0; },
                           &st, kHang, nullptr),
              0);
    EXPECT_EQ(st.depth, 2u) << "the serve frame and this call's frame only";
    EXPECT_EQ(st.serving, 1u);
  }
}

#ifndef __EMSCRIPTEN__
// Item 7 (host backend, whose idle wake-ups are observable): a wake-up that fails is retried by the
// next send to the same thread, and by a sync caller waiting for it; each failure is counted.
TEST(ProxyingBoundary, FailedWakeUpIsRetried) {
  std::atomic<int> ran{0};
  std::atomic<bool> stop{false};
  Joined idle([&](wt_thread) {  // an "event loop": runs its mailbox only when woken through the backend
    while (!stop.load()) {
      if (wt__proxying_wait_notified(kHang) != 0) break;
      wt_thread_poll();
    }
  });
  wt_thread t = idle.id();
  auto count = [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; };
  uint64_t failed_before = Stats().wakeups_failed;
  wt__proxying_fail_wakes(1);
  ASSERT_EQ(wt_post(t, count, nullptr, &ran), 0);  // its wake-up is lost
  EXPECT_EQ(Stats().wakeups_failed - failed_before, 1u);
  ASSERT_EQ(wt_post(t, count, nullptr, &ran), 0);  // not first of its batch: retries the wake-up
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
  while (ran.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(ran.load(), 2) << "the second send did not retry the failed wake-up";
  // A sync caller whose call's wake-up failed retries it while it waits.
  wt__proxying_fail_wakes(1);
  EXPECT_EQ(wt_call_sync(t, count, &ran, 20000, nullptr), 0);
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(Stats().wakeups_failed - failed_before, 2u);
  stop = true;
  EXPECT_EQ(wt_post(t, Nop, nullptr, nullptr), 0);
  idle.Join();
}
#endif

}  // namespace

#ifdef __EMSCRIPTEN__
namespace {

using wtt::LoopThread;

int UnwindToEventLoop(wt_call *, void *) {
  emscripten_unwind_to_js_event_loop();
  return 0;
}

// Item 3 (browser): emscripten_unwind_to_js_event_loop() inside a function. From the event loop: the
// caller gets WT_ECANCELED and the thread keeps serving (its task queue is not left marked busy).
// Nested, inside the target's own sync wait: the inner call, the target's wait and the outer call are
// all answered.
TEST(ProxyingBoundary, JsUnwindInsideAFunctionAnswersItsCallers) {
  LoopThread e;
  wt_proxying_stats before = Stats();
  wt_result r;
  EXPECT_EQ(wt_call_sync(e.tid(), UnwindToEventLoop, nullptr, kHang, &r), WT_ECANCELED) << r.message;
  EXPECT_EQ(wt_call_sync(e.tid(), Nop, nullptr, kHang, nullptr), 0) << "the thread must keep serving";
  Server s;
  struct Ctx { wt_thread e, s; std::atomic<int> inner{-999}; } c{e.tid(), s.id()};
  auto outer = [](wt_call *, void *p) {  // on e: waits for s, which calls back into e
    Ctx *c = static_cast<Ctx *>(p);
    wt_call_sync(c->s, [](wt_call *, void *p) {
      Ctx *c = static_cast<Ctx *>(p);
      c->inner = wt_call_sync(c->e, UnwindToEventLoop, nullptr, kHang, nullptr);
      return 0;
    }, c, kHang, nullptr);
    ADD_FAILURE() << "the unwind must not return here";
    return 0;
  };
  EXPECT_EQ(wt_call_sync(e.tid(), outer, &c, kHang, &r), WT_ECANCELED) << r.message;
  ASSERT_TRUE(WaitFor([&] { return c.inner.load() != -999; }));
  EXPECT_EQ(c.inner.load(), WT_ECANCELED);
  SelfState st;
  ASSERT_EQ(wt_call_sync(e.tid(), [](wt_call *, void *p) { *static_cast<SelfState *>(p) = StateOfSelf(); return 0; },
                         &st, kHang, nullptr),
            0);
  EXPECT_EQ(st.depth, 2u) << "the event-loop drain and this call only";
  EXPECT_EQ(st.serving, 0u);
  EXPECT_EQ(Stats().calls_unwound - before.calls_unwound, 3u);
  e.Exit();
  EXPECT_EQ(wt_thread_check(e.tid()), WT_ESTALE);
}

// Item 6 (JS): a wtProxying.callAsync whose thread leaves before the completion settles with
// WT_ECANCELED on that thread, and nothing stays in the realm's pending map.
TEST(ProxyingBoundary, JsCallAsyncSettlesWhenItsThreadLeaves) {
  Event release;
  std::atomic<int> fn_ran{0};
  Joined target([&](wt_thread) {
    ASSERT_TRUE(release.Wait());
    wt_thread_poll();
  });
  struct Out { int status = -999, settled = 0, pending_after = -1; } out;
  static std::atomic<int> *ran;
  ran = &fn_ran;
  wt_fn fp = [](wt_call *, void *) { ++*ran; return 0; };
  Thread caller([&] {
    EM_ASM({
      var out = $2;
      wtProxying.callAsync(BigInt($0) | (BigInt($1) << 32n), $3, 0, function(r) {
        HEAP32[out >> 2] = r.status;
        Atomics.store(HEAP32, (out >> 2) + 1, 1);
      });
    }, (uint32_t)(target.id().bits & 0xffffffffu), (uint32_t)(target.id().bits >> 32), &out, fp);
    EXPECT_EQ(wt_thread_leave(), 0);
    out.pending_after = EM_ASM_INT({ return Object.keys(wtProxying.pending).length; });
  });
  caller.Join();
  release.Set();
  target.Join();
  EXPECT_EQ(out.settled, 1);
  EXPECT_EQ(out.status, WT_ECANCELED);
  EXPECT_EQ(out.pending_after, 0);
  EXPECT_EQ(fn_ran.load(), 0) << "withdrawn: it never runs";
}

}  // namespace
#endif

// ------------------------------------------------------------------ reserved slots
// A thread whose id exists before it runs (worker/: the UI thread gets a new worker's id at once):
// reserve, attach, unreserve (proxying/internal.h).

namespace {

struct Order {
  std::mutex mu;
  std::vector<int> seen;
  std::atomic<int> n{0};
  pthread_t ran_on{};
};
struct Tagged {
  Order *o;
  int tag;
};
int RecordOrder(wt_call *, void *p) {
  Tagged *t = static_cast<Tagged *>(p);
  {
    std::lock_guard<std::mutex> l(t->o->mu);
    t->o->seen.push_back(t->tag);
    t->o->ran_on = pthread_self();
  }
  t->o->n++;
  return 0;
}

// Posts and calls to a reserved id queue (it is live), and run in order on the thread that attaches.
TEST(ProxyingReserve, ItemsQueueUntilTheThreadAttachesAndRunThereInOrder) {
  wt_thread id;
  ASSERT_EQ(wt__proxying_reserve(&id), 0);
  EXPECT_EQ(wt_thread_check(id), 0) << "a reserved id is live";
  uint64_t wake_failures0 = Stats().wakeups_failed;
  Order o;
  std::vector<Tagged> tags;
  for (int i = 0; i < 8; i++) tags.push_back({&o, i});
  for (int i = 0; i < 8; i++) ASSERT_EQ(wt_post(id, RecordOrder, nullptr, &tags[i]), 0);
  std::atomic<int> done_status{-999};
  ASSERT_EQ(wt_call_async(id, Nop, nullptr,
                          [](const wt_result *r, void *p) { *static_cast<std::atomic<int> *>(p) = r->status; },
                          &done_status),
            0);
  std::atomic<int> sync_rc{-999};
  Thread caller([&] {
    sync_rc = wt_call_sync(id, [](wt_call *, void *p) { static_cast<Order *>(p)->n++; return 0; }, &o, kHang, nullptr);
  });
  std::atomic<uint64_t> self_bits{0};
  pthread_t attached{};
  Event stop;
  std::atomic<int> attach_rc{-999};
  Thread owner([&] {
    attached = pthread_self();
    attach_rc = wt__proxying_attach(id);
    if (attach_rc != 0) return;
    self_bits = wt_thread_self().bits;
    ServeUntil([&] { return o.n.load() == 9; });  // 8 posts and the sync call (the async one: Nop)
    ASSERT_TRUE(stop.Wait());
    wt_thread_leave();
  });
  caller.Join();
  EXPECT_EQ(sync_rc.load(), 0);
  ASSERT_TRUE(ServeUntil([&] { return done_status.load() != -999; }));
  EXPECT_EQ(done_status.load(), 0);
  stop.Set();
  owner.Join();
  EXPECT_EQ(attach_rc.load(), 0);
  EXPECT_EQ(self_bits.load(), id.bits) << "the attached thread has the reserved id";
  EXPECT_TRUE(pthread_equal(o.ran_on, attached));
  EXPECT_EQ(o.seen, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(wt_thread_check(id), WT_ESTALE);
  EXPECT_EQ(Stats().wakeups_failed, wake_failures0) << "no wake-up is sent to a slot with no thread";
}

// Attach refuses what it cannot own, and unreserve refuses a slot a thread owns.
TEST(ProxyingReserve, AttachAndUnreserveRefusals) {
  wt_thread id;
  ASSERT_EQ(wt__proxying_reserve(&id), 0);
  std::atomic<int> joined_rc{-999}, second_rc{-999}, unreserve_rc{-999};
  Event attached, stop;
  Thread owner([&] {
    if (wt__proxying_attach(id) != 0) abort();
    attached.Set();
    ASSERT_TRUE(stop.Wait());
    wt_thread_leave();
  });
  ASSERT_TRUE(attached.Wait());
  Thread other([&] {
    second_rc = wt__proxying_attach(id);  // attached already
    unreserve_rc = wt__proxying_unreserve(id);
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    joined_rc = wt__proxying_attach(id);  // the calling thread has joined
  });
  other.Join();
  EXPECT_EQ(second_rc.load(), WT_EBUSY);
  EXPECT_EQ(unreserve_rc.load(), WT_EBUSY);
  EXPECT_EQ(joined_rc.load(), WT_EBUSY);
  // A joined thread's id is not a reservation.
  Server s;
  Thread t([&] { EXPECT_EQ(wt__proxying_attach(s.id()), WT_EBUSY); });
  t.Join();
  stop.Set();
  owner.Join();
  Thread late([&] {
    EXPECT_EQ(wt__proxying_attach(id), WT_ESTALE);
    EXPECT_EQ(wt__proxying_attach(WT_THREAD_NONE), WT_ENOENT);
  });
  late.Join();
  EXPECT_EQ(wt__proxying_unreserve(id), WT_ESTALE);
}

// The thread could not be started: unreserve answers what queued, on the calling thread — sync
// callers WT_ECANCELED, async completions WT_ECANCELED, posts' cancel functions — and the id is stale.
TEST(ProxyingReserve, UnreserveAnswersWhatQueued) {
  wt_thread id;
  ASSERT_EQ(wt__proxying_reserve(&id), 0);
  static pthread_t cancel_ran_on;
  static std::atomic<int> cancels;
  cancels = 0;
  ASSERT_EQ(wt_post(id, Nop, [](void *) { cancel_ran_on = pthread_self(); cancels++; }, nullptr), 0);
  std::atomic<int> async_status{-999}, sync_rc{-999};
  Event async_queued;
  Thread async_caller([&] {
    ASSERT_EQ(wt_call_async(id, Nop, nullptr,
                            [](const wt_result *r, void *p) { *static_cast<std::atomic<int> *>(p) = r->status; },
                            &async_status),
              0);
    async_queued.Set();
    ServeUntil([&] { return async_status.load() != -999; });
  });
  Thread sync_caller([&] { sync_rc = wt_call_sync(id, Nop, nullptr, kHang, nullptr); });
  ASSERT_TRUE(async_queued.Wait());
  // The sync call is queued once the mailbox counts three calls.
  ASSERT_TRUE(WaitFor([&] { return wt__proxying_queued(id) == 3; }));
  wt_proxying_stats before = Stats();
  EXPECT_EQ(wt__proxying_unreserve(id), 0);
  EXPECT_EQ(cancels.load(), 1);
  EXPECT_TRUE(pthread_equal(cancel_ran_on, pthread_self())) << "cancel runs on the unreserving thread";
  sync_caller.Join();
  async_caller.Join();
  EXPECT_EQ(sync_rc.load(), WT_ECANCELED);
  EXPECT_EQ(async_status.load(), WT_ECANCELED);
  EXPECT_EQ(Stats().posts_dropped - before.posts_dropped, 1u);
  EXPECT_EQ(wt_thread_check(id), WT_ESTALE);
  EXPECT_EQ(wt_post(id, Nop, nullptr, nullptr), WT_ESTALE);
  EXPECT_EQ(wt__proxying_unreserve(id), WT_ESTALE) << "twice";
}

}  // namespace

#ifndef __EMSCRIPTEN__
namespace {

// Host backend: a thread that attaches and then only waits in its event loop (wt__proxying_wait_notified,
// the stand-in for an idle JS event loop: nothing but a backend wake-up ends it) is woken for an item
// that queued before it attached.
TEST(ProxyingReserve, AttachWakesItselfForWhatQueuedBefore) {
  wt_thread id;
  ASSERT_EQ(wt__proxying_reserve(&id), 0);
  std::atomic<int> ran{0};
  ASSERT_EQ(wt_post(id, [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; }, nullptr, &ran), 0);
  std::atomic<int> woke{-999};
  Thread owner([&] {
    ASSERT_EQ(wt__proxying_attach(id), 0);
    woke = wt__proxying_wait_notified(10000);
    wt_thread_poll();
    wt_thread_leave();
  });
  owner.Join();
  EXPECT_EQ(woke.load(), 0) << "the attach must announce what queued before it";
  EXPECT_EQ(ran.load(), 1);
}

// The Dekker pair: a sender pushes the first item just as the new thread attaches. Whichever order,
// the owner is woken (it only waits for backend wake-ups), every round.
TEST(ProxyingReserve, FirstPushRacingTheAttachIsNeverLost) {
  const int rounds = 300;
  int lost = 0;
  for (int i = 0; i < rounds; i++) {
    wt_thread id;
    ASSERT_EQ(wt__proxying_reserve(&id), 0);
    std::atomic<int> go{0}, ran{0};
    Thread owner([&] {
      while (go.load() == 0) {
      }
      ASSERT_EQ(wt__proxying_attach(id), 0);
      while (ran.load() == 0) {
        if (wt__proxying_wait_notified(5000) != 0) break;
        wt_thread_poll();
      }
      wt_thread_leave();
    });
    Thread sender([&] {
      while (go.load() == 0) {
      }
      EXPECT_EQ(wt_post(id, [](wt_call *, void *p) { ++*static_cast<std::atomic<int> *>(p); return 0; }, nullptr, &ran), 0);
    });
    go = 1;
    sender.Join();
    owner.Join();
    lost += ran.load() == 0;
  }
  EXPECT_EQ(lost, 0);
}

}  // namespace
#endif
