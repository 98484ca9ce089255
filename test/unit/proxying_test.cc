// Routing (proxying/): thread ids with generations, sync/async/post calls, nesting, cancellation on
// exit, timeouts, the UI thread's refusal to block. Runs natively (plain, TSan, ASan) on the host
// backend and under node/Chromium on the emscripten backend (there the suite's main is a worker and the
// UI thread is the real main runtime thread). Tests wait for the event they expect; their deadlines
// only turn a hang into a failure with a message.
#include "webthreads/proxying.h"

#include "proxying/internal.h"

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
// Iteration counts under wasm (Workers on 2 cores): the same code paths, fewer rounds.
#define WT_TEST_SCALE(host, wasm) (wasm)
#else
#define WT_TEST_SCALE(host, wasm) (host)
#endif

namespace {

constexpr int kHang = 60000;  // ms: only turns a hang into a failure

// A joinable thread with a chosen stack size (nested calls recurse).
class Thread {
 public:
  explicit Thread(std::function<void()> fn, size_t stack = 0) : fn_(std::move(fn)) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    if (stack) pthread_attr_setstacksize(&a, stack);
    int r = pthread_create(&t_, &a, &Thread::Run, this);
    pthread_attr_destroy(&a);
    if (r != 0) abort();
  }
  ~Thread() { Join(); }
  void Join() {
    if (!joined_) pthread_join(t_, nullptr);
    joined_ = true;
  }
  pthread_t native() const { return t_; }

 private:
  static void *Run(void *p) {
    static_cast<Thread *>(p)->fn_();
    return nullptr;
  }
  std::function<void()> fn_;
  pthread_t t_;
  bool joined_ = false;
};

// A one-shot event with a deadline.
class Event {
 public:
  void Set() {
    std::lock_guard<std::mutex> l(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait(int ms = kHang) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// A thread that joins the registry and serves its mailbox (its "event loop") until Stop().
class Server {
 public:
  explicit Server(size_t stack = 0)
      : th_(
            [this] {
              wt_thread id;
              if (wt_thread_join(&id) != 0) abort();
              id_.store(id.bits);
              self_ = pthread_self();
              ready_.Set();
              int r = wt_thread_serve([](void *p) { return static_cast<Server *>(p)->stop_.load() ? 1 : 0; },
                                      this, kHang);
              serve_rc_ = r;
            },
            stack) {
    if (!ready_.Wait()) abort();
  }
  ~Server() { Stop(); }
  wt_thread id() const { return wt_thread{id_.load()}; }
  pthread_t thread() const { return self_; }
  int Stop() {
    if (!stopped_) {
      stopped_ = true;
      EXPECT_EQ(wt_post(id(), [](wt_call *, void *p) { static_cast<Server *>(p)->stop_ = true; return 0; }, nullptr,
                        this),
                0);
      th_.Join();
    }
    return serve_rc_;
  }

 private:
  std::atomic<uint64_t> id_{0};
  std::atomic<bool> stop_{false};
  pthread_t self_{};
  Event ready_;
  bool stopped_ = false;
  int serve_rc_ = -999;
  Thread th_;  // last: starts after the fields above exist
};

// Serves the calling thread's mailbox until pred() or the hang deadline.
bool ServeUntil(const std::function<bool()> &pred) {
  auto fn = [](void *p) { return (*static_cast<const std::function<bool()> *>(p))() ? 1 : 0; };
  return wt_thread_serve(fn, const_cast<std::function<bool()> *>(&pred), kHang) == 0;
}

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
