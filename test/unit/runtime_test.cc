// The runtime hooks (runtime/, webthreads/runtime.h) under a test runtime that behaves like Mono's
// cooperative suspend: each thread is DETACHED, RUNNING (GC-unsafe) or SAFE; entering a region from
// SAFE is a fatal error in Mono, so the fake counts it as a violation. Checked: every sleep of an
// attached, running thread is inside a region (another thread sees the blocked thread SAFE, and only
// then wakes it: without the hooks that wait cannot end), no region is ever entered twice (a thread
// already SAFE — a P/Invoke — is left alone), attach comes before the thread's first routed call, every
// enter has its leave, detach is last, a thread that exits attached is cleaned up and reported, the
// "may this thread block" query refuses each blocking entry point, and the I/O thread is attached.
// Host (plain, TSan, ASan), node and Chromium.
#include "webthreads/runtime.h"

#include "webthreads/completion.h"
#include "webthreads/proxying.h"
#include "webthreads/worker.h"
#include "test/unit/test_threads.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace {

using wtt::kHang;
using wtt::Server;
using wtt::Thread;
using wtt::WaitFor;

enum State { DETACHED = 0, RUNNING = 1, SAFE = 2 };

// One runtime thread as the fake runtime sees it. Observable from other threads.
struct RtThread {
  std::atomic<int> state{DETACHED};
  std::atomic<int> enters{0};
  std::mutex mu;
  std::vector<std::string> log;  // attach, enter, leave, call, detach, exiting (in order)
  void Log(const char *what) {
    std::lock_guard<std::mutex> l(mu);
    log.push_back(what);
  }
  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> l(mu);
    return log;
  }
};

thread_local RtThread *tl_rt = nullptr;
std::atomic<int> g_violations{0};  // enter while SAFE, leave with a wrong cookie, ...
std::atomic<int> g_exiting{0};
std::atomic<uint64_t> g_exiting_id{0};
std::atomic<int> g_attach_hook_calls{0};
thread_local bool tl_no_block = false;

void *FakeEnter(void *, void **sp) {
  RtThread *t = tl_rt;
  if (!t || t->state.load() == DETACHED) return nullptr;
  if (sp == nullptr) g_violations++;  // Mono aborts on NULL
  if (t->state.load() == SAFE) return nullptr;  // already safe (P/Invoke): nothing to enter
  t->Log("enter");
  t->enters++;
  t->state.store(SAFE);
  return t;
}
void FakeLeave(void *, void *cookie, void **) {
  RtThread *t = tl_rt;
  if (cookie != t || t->state.load() != SAFE) {
    g_violations++;
    return;
  }
  t->Log("leave");
  t->state.store(RUNNING);
}
int FakeMayBlock(void *) { return tl_no_block ? 0 : 1; }
int FakeAttachHook(void *) {
  g_attach_hook_calls++;
  return 0;
}
void FakeExiting(void *, wt_thread self) {
  if (tl_rt) tl_rt->Log("exiting");
  g_exiting_id = self.bits;
  g_exiting++;
}

const wt_runtime_hooks kFake = {nullptr, FakeEnter, FakeLeave, FakeMayBlock, FakeAttachHook, nullptr, FakeExiting};

// The runtime attaches the calling thread (what Mono's thread-start callback does in mono-glue/).
wt_thread Attach(RtThread *t) {
  tl_rt = t;
  t->state.store(RUNNING);
  t->Log("attach");
  wt_thread id{};
  EXPECT_EQ(wt_runtime_thread_attached(&id), 0);
  return id;
}
void Detach() {
  EXPECT_EQ(wt_runtime_thread_detached(), 0);
  tl_rt->Log("detach");
  tl_rt->state.store(DETACHED);
}

class Runtime : public ::testing::Test {
 protected:
  void SetUp() override {
    g_violations = 0;
    g_exiting = 0;
    wt_runtime_stats_get(&base_);
    ASSERT_EQ(wt_runtime_hooks_set(&kFake), 0);
  }
  void TearDown() override {
    EXPECT_EQ(g_violations.load(), 0) << "a region was entered twice or left unbalanced";
    wt_runtime_hooks_set(nullptr);
  }
  wt_runtime_stats base_{};
};

// Waits until `t` is SAFE (sleeping inside a region), then returns 0. Without the hooks the blocked
// thread stays RUNNING and this fails: it is the test runtime's stand-in for a GC stop-the-world.
bool SeenSafe(RtThread *t) { return WaitFor([t] { return t->state.load() == SAFE; }, 20000); }

int Call(wt_call *, void *p) {
  RtThread *caller = static_cast<RtThread *>(p);
  return SeenSafe(caller) ? 0 : 7;
}

// Every enter has its leave, right after it; the first entry is attach; nothing follows detach.
void ExpectWellFormed(const std::vector<std::string> &log, bool detached) {
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "attach");
  for (size_t i = 0; i < log.size(); i++)
    if (log[i] == "enter") {
      EXPECT_TRUE(i + 1 < log.size() && log[i + 1] == "leave") << "enter at " << i;
    }
  if (detached) {
    EXPECT_EQ(log.back(), "detach");
  }
}

TEST_F(Runtime, SyncCallSleepsGcSafe) {
  Server target;
  RtThread rt;
  Thread th([&] {
    Attach(&rt);
    wt_result res;
    EXPECT_EQ(wt_call_sync(target.id(), Call, &rt, kHang, &res), 0) << "the target never saw the caller GC-safe";
    EXPECT_EQ(rt.state.load(), RUNNING);
    Detach();
  });
  th.Join();
  EXPECT_GE(rt.enters.load(), 1);
  ExpectWellFormed(rt.Log(), true);
  wt_runtime_stats st;
  wt_runtime_stats_get(&st);
  EXPECT_GE(st.gc_safe_entered - base_.gc_safe_entered, 1u);
  EXPECT_EQ(st.attached - base_.attached, 1u);
  EXPECT_EQ(st.detached - base_.detached, 1u);
  EXPECT_EQ(st.threads_attached, base_.threads_attached);
}

TEST_F(Runtime, ServeCompletionWaitAndAwaitSyncSleepGcSafe) {
  RtThread rt;
  std::atomic<uint64_t> id{0};
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  wt_completion *c = nullptr, *started = nullptr;
  ASSERT_EQ(wt_completion_create(&c), 0);
  std::atomic<wt_completion *> async_c{nullptr};
  Server target;
  Thread th([&] {
    wt_thread me = Attach(&rt);
    id = me.bits;
    phase = 1;  // wt_thread_serve: woken (by a post that sets `stop`) only once it was seen GC-safe
    EXPECT_EQ(wt_thread_serve([](void *p) { return static_cast<std::atomic<bool> *>(p)->load() ? 1 : 0; }, &stop,
                              kHang),
              0);
    phase = 2;  // wt_completion_wait: settled only once it was seen GC-safe
    EXPECT_EQ(wt_completion_wait(c, kHang), 0);
    phase = 3;  // wt_await_sync: the start function (on `target`) stores the completion; settled later
    wt_completion *out = nullptr;
    EXPECT_EQ(wt_await_sync(target.id(),
                            [](wt_completion *cc, void *p) {
                              static_cast<std::atomic<wt_completion *> *>(p)->store(cc);
                              return 0;
                            },
                            &async_c, kHang, &out),
              0);
    wt_completion_release(out);
    Detach();
  });
  ASSERT_TRUE(WaitFor([&] { return phase.load() == 1; }));
  ASSERT_TRUE(SeenSafe(&rt)) << "wt_thread_serve slept GC-unsafe";
  ASSERT_EQ(wt_post(wt_thread{id.load()},
                    [](wt_call *, void *p) {
                      static_cast<std::atomic<bool> *>(p)->store(true);
                      return 0;
                    },
                    nullptr, &stop),
            0);
  ASSERT_TRUE(WaitFor([&] { return phase.load() == 2; }));
  ASSERT_TRUE(SeenSafe(&rt)) << "wt_completion_wait slept GC-unsafe";
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  ASSERT_TRUE(WaitFor([&] { return phase.load() == 3 && async_c.load() != nullptr; }));
  ASSERT_TRUE(SeenSafe(&rt)) << "wt_await_sync slept GC-unsafe";
  started = async_c.load();
  ASSERT_EQ(wt_completion_resolve(started, nullptr), 0);
  th.Join();
  wt_completion_release(c);
  ExpectWellFormed(rt.Log(), true);
  EXPECT_GE(rt.enters.load(), 3);
}

TEST_F(Runtime, AThreadAlreadyGcSafeIsNotEnteredAgain) {
  // A P/Invoke under hybrid/coop suspend arrives GC-safe: entering again would abort Mono.
  Server target;
  RtThread rt;
  Thread th([&] {
    Attach(&rt);
    rt.state.store(SAFE);  // the runtime's own transition (the P/Invoke wrapper)
    wt_result res;
    EXPECT_EQ(wt_call_sync(target.id(), Call, &rt, kHang, &res), 0);
    EXPECT_EQ(rt.state.load(), SAFE);
    rt.state.store(RUNNING);
    Detach();
  });
  th.Join();
  EXPECT_EQ(rt.enters.load(), 0);
}

TEST_F(Runtime, AttachComesBeforeTheFirstRoutedCall) {
  Server target;
  RtThread rt;
  std::atomic<uint64_t> caller{0}, attached_id{0};
  std::atomic<int> caller_attached{-1};
  Thread th([&] {
    attached_id = Attach(&rt).bits;
    struct Ctx {
      std::atomic<uint64_t> *caller;
    } ctx{&caller};
    wt_result res;
    EXPECT_EQ(wt_call_sync(target.id(),
                           [](wt_call *call, void *p) {
                             static_cast<Ctx *>(p)->caller->store(wt_call_caller(call).bits);
                             return 0;
                           },
                           &ctx, kHang, &res),
              0);
    caller_attached = wt_runtime_thread_is_attached();
    Detach();
    EXPECT_EQ(wt_runtime_thread_is_attached(), 0);
  });
  th.Join();
  EXPECT_EQ(caller.load(), attached_id.load()) << "the call came from another registry id than the attach gave";
  EXPECT_EQ(caller_attached.load(), 1);
}

TEST_F(Runtime, AThreadThatExitsAttachedIsCleanedUp) {
  RtThread rt;
  std::atomic<uint64_t> id{0};
  wt_runtime_stats before;
  wt_runtime_stats_get(&before);
  Thread th([&] { id = Attach(&rt).bits; });  // exits without detaching
  th.Join();
  EXPECT_EQ(g_exiting.load(), 1);
  EXPECT_EQ(g_exiting_id.load(), id.load());
  EXPECT_EQ(wt_thread_check(wt_thread{id.load()}), WT_ESTALE) << "its registry slot was not given back";
  wt_runtime_stats st;
  wt_runtime_stats_get(&st);
  EXPECT_EQ(st.exited_attached - before.exited_attached, 1u);
  EXPECT_EQ(st.threads_attached, before.threads_attached);
  EXPECT_EQ(rt.Log().back(), "exiting");
}

TEST_F(Runtime, ManyThreadsAttachAndDetachBackToBaseline) {
  Server target;
  const int n = WT_TEST_SCALE(200, 40);
  std::vector<uint64_t> ids(n);
  for (int i = 0; i < n; i++) {
    RtThread rt;
    Thread th([&] {
      ids[i] = Attach(&rt).bits;
      EXPECT_EQ(wt_call_sync(target.id(), [](wt_call *, void *) { return 0; }, nullptr, kHang, nullptr), 0);
      if (i % 2) Detach();  // the others exit attached
    });
    th.Join();
  }
  wt_runtime_stats st;
  wt_runtime_stats_get(&st);
  EXPECT_EQ(st.attached - base_.attached, (uint64_t)n);
  EXPECT_EQ(st.detached - base_.detached, (uint64_t)n / 2);
  EXPECT_EQ(st.exited_attached - base_.exited_attached, (uint64_t)(n - n / 2));
  EXPECT_EQ(st.threads_attached, base_.threads_attached);
  // The registry is back to its baseline: every one of these threads' ids is stale (its slot given
  // back), whichever way it went. (threads_live is process-wide: other tests' threads may still leave.)
  for (int i = 0; i < n; i++) EXPECT_EQ(wt_thread_check(wt_thread{ids[i]}), WT_ESTALE) << "thread " << i;
}

TEST_F(Runtime, MayBlockRefusesEveryBlockingEntryPoint) {
  Server target;
  RtThread rt;
  Thread th([&] {
    Attach(&rt);
    tl_no_block = true;
    wt_runtime_stats a;
    wt_runtime_stats_get(&a);
    EXPECT_EQ(wt_call_sync(target.id(), [](wt_call *, void *) { return 0; }, nullptr, kHang, nullptr),
              WT_EWOULDBLOCK);
    EXPECT_EQ(wt_thread_serve(nullptr, nullptr, 0), WT_EWOULDBLOCK);
    wt_completion *c;
    ASSERT_EQ(wt_completion_create(&c), 0);
    EXPECT_EQ(wt_completion_wait(c, kHang), WT_EWOULDBLOCK);
    wt_completion_release(c);
    EXPECT_EQ(wt_await_sync(target.id(), [](wt_completion *, void *) { return 0; }, nullptr, kHang, nullptr),
              WT_EWOULDBLOCK);
    // Not blocking is still allowed: posts and async calls.
    EXPECT_EQ(wt_post(target.id(), [](wt_call *, void *) { return 0; }, nullptr, nullptr), 0);
    wt_runtime_stats b;
    wt_runtime_stats_get(&b);
    EXPECT_GE(b.waits_refused - a.waits_refused, 4u);
    tl_no_block = false;
    Detach();
  });
  th.Join();
  EXPECT_EQ(rt.enters.load(), 0);
}

TEST_F(Runtime, ErrorCodes) {
  wt_runtime_hooks half = {nullptr, FakeEnter, nullptr, nullptr, nullptr, nullptr, nullptr};
  EXPECT_EQ(wt_runtime_hooks_set(&half), WT_EINVAL);
  EXPECT_EQ(wt_runtime_hooks_get(), &kFake) << "a refused table replaced the installed one";
  RtThread rt;
  Server target;
  Thread th([&] {
    EXPECT_EQ(wt_runtime_thread_detached(), WT_ENOENT);
    Attach(&rt);
    EXPECT_EQ(wt_runtime_thread_attached(nullptr), WT_EBUSY);
    // Detach from inside a call: refused, nothing changes.
    int in_call = 0;
    EXPECT_EQ(wt_call_sync(wt_thread_self(),
                           [](wt_call *, void *p) {
                             *static_cast<int *>(p) = wt_runtime_thread_detached();
                             return 0;
                           },
                           &in_call, kHang, nullptr),
              0);
    EXPECT_EQ(in_call, WT_EINCALL);
    EXPECT_EQ(wt_runtime_thread_is_attached(), 1);
    Detach();
  });
  th.Join();
}

TEST_F(Runtime, TheIoThreadIsAttachedWhenItStarts) {
  // The I/O thread starts once per process: only observable if this test starts it.
  int before = g_attach_hook_calls.load();
  wt_thread io;
  ASSERT_EQ(wt_io_thread(&io), 0);
  // Wait for the I/O thread to run its start (it calls the attach hook before serving anything): a call
  // to it is answered only after that.
  std::atomic<int> seen{-1};
  ASSERT_EQ(wt_call_async(io, [](wt_call *, void *) { return 0; }, nullptr,
                          [](const wt_result *, void *p) { static_cast<std::atomic<int> *>(p)->store(1); }, &seen),
            0);
  ASSERT_TRUE(wtt::ServeUntil([&] { return seen.load() == 1; }));
  if (g_attach_hook_calls.load() == before) GTEST_SKIP() << "the I/O thread was started by an earlier test";
  EXPECT_EQ(g_attach_hook_calls.load(), before + 1);
}

}  // namespace
