// Completions (completion/): settle exactly once, every value kind, continuations on the thread named
// (never inline, only when it serves), waits that serve, bindings, threads leaving, sync over async,
// stats, and the races between settling and threads going, each run 10,000 times on the host (plain
// and TSan). Runs natively (plain, TSan, ASan) on the host backend and under node/Chromium. Tests wait
// for the event they expect; their deadlines only turn a hang into a failure with a message.
#include "webthreads/completion.h"

#include "proxying/internal.h"
#include "test/unit/test_threads.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>


extern "C" long wt_test_allocs_self(void);
extern "C" long wt_test_frees_self(void);
extern "C" int wt_test_fail_allocs_self(int n);

namespace {

using wtt::Event;
using wtt::kHang;
using wtt::Server;
using wtt::ServeUntil;
using wtt::Thread;

// Race iterations: 10,000 on the host (plain, TSan, ASan); wasm runs the same paths fewer times.
constexpr int kRaceIters = WT_TEST_SCALE(10000, 300);

wt_completion_stats CStats() {
  wt_completion_stats s;
  wt_completion_stats_get(&s);
  return s;
}

wt_completion *Make() {
  wt_completion *c = nullptr;
  if (wt_completion_create(&c) != 0 || !c) abort();
  return c;
}

wt_value U64(uint64_t v) {
  wt_value x{};
  x.kind = WT_VALUE_U64;
  x.u64 = v;
  return x;
}

int Nop(wt_call *, void *) { return 0; }

// Waits (yielding) until pred() holds, for a state another thread changes without waking us. The
// deadline only turns a hang into a failure.
bool WaitFor(const std::function<bool()> &pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    sched_yield();
  }
  return true;
}

// Joins the calling thread and runs what waits in its mailbox: a wait that returned because its
// completion settled may leave its wake-up record there (a no-op when it runs), which a test counting
// what wt_thread_poll runs must not see.
void DrainSelf() {
  if (wt_thread_join(nullptr) != 0) abort();
  while (wt_thread_poll() > 0) {}
}

// A continuation's record: which of fn / cancel ran, how often, on which thread, what fn saw.
struct Cont {
  std::atomic<int> ran{0}, canceled{0};
  std::atomic<pthread_t> on{};
  int status = 999;
  wt_result res{};
  wt_value value{};
  int runs() const { return ran.load() + canceled.load(); }
};

void ContFn(wt_completion *c, void *arg) {
  Cont *k = static_cast<Cont *>(arg);
  k->status = wt_completion_result_get(c, &k->res, &k->value);
  k->on.store(pthread_self());
  k->ran.fetch_add(1);
}

void ContCancel(void *arg) {
  Cont *k = static_cast<Cont *>(arg);
  k->on.store(pthread_self());
  k->canceled.fetch_add(1);
}

// A thread that joins, publishes its id, then runs the steps it is given (on itself) until told to
// finish: a registry thread that does NOT serve its mailbox unless a step says so.
class Idle {
 public:
  Idle()
      : th_([this] {
          wt_thread me;
          if (wt_thread_join(&me) != 0) abort();
          id_.store(me.bits);
          self_ = pthread_self();
          for (;;) {
            std::function<void()> step;
            {
              std::unique_lock<std::mutex> l(mu_);
              if (!cv_.wait_for(l, std::chrono::milliseconds(kHang), [&] { return quit_ || step_; })) abort();
              if (!step_) return;  // quit: the thread exits (leaves automatically)
              step = std::move(step_);
              step_ = nullptr;
            }
            step();
            {
              std::lock_guard<std::mutex> l(mu_);
              steps_done_++;
            }
            cv_.notify_all();
          }
        }) {
    while (id_.load() == 0) sched_yield();
  }
  ~Idle() { Exit(); }
  wt_thread id() const { return wt_thread{id_.load()}; }
  pthread_t thread() const { return self_; }
  // Runs fn on the thread and waits for it.
  void Run(std::function<void()> fn) {
    std::unique_lock<std::mutex> l(mu_);
    int target = steps_done_ + 1;
    step_ = std::move(fn);
    cv_.notify_all();
    if (!cv_.wait_for(l, std::chrono::milliseconds(kHang), [&] { return steps_done_ >= target; })) abort();
  }
  // The thread returns (and leaves at exit); waits for it.
  void Exit() {
    {
      std::lock_guard<std::mutex> l(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    th_.Join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> step_;
  int steps_done_ = 0;
  bool quit_ = false;
  std::atomic<uint64_t> id_{0};
  pthread_t self_{};
  Thread th_;  // last
};

// A short busy delay that varies with the iteration (and differs per racer: salt), so that the
// racers' relative timing sweeps across the window instead of the barrier's last arriver always
// going first.
inline void Jitter(int i, uint32_t salt) {
  uint32_t n = ((uint32_t(i) * 2654435761u + salt * 40503u) >> 7) % 96;
  for (volatile uint32_t k = 0; k < n * 4; k = k + 1) {}
}

// Lines up racing threads: each Arrive() returns once all n arrived. It spins a little (so racers
// that arrive close together leave together), then sleeps (so threads waiting through another's long
// setup do not eat the 2 cores). Aborts after the hang deadline.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void Arrive() {
    uint32_t gen = gen_.load();
    if (count_.fetch_add(1) + 1 == n_) {
      count_.store(0);
      gen_.fetch_add(1);
      if (sleepers_.load() > 0) {
        std::lock_guard<std::mutex> l(mu_);
        cv_.notify_all();
      }
      return;
    }
    auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(2000);
    for (int spins = 0;; spins++) {
      if (gen_.load() != gen) return;
      if (spins < 200) continue;
      sched_yield();
      if ((spins & 15) == 0 && std::chrono::steady_clock::now() > spin_until) break;
    }
    std::unique_lock<std::mutex> l(mu_);
    sleepers_.fetch_add(1);
    bool ok = cv_.wait_for(l, std::chrono::milliseconds(kHang), [&] { return gen_.load() != gen; });
    sleepers_.fetch_sub(1);
    if (!ok) {
      std::fprintf(stderr, "completion_test: barrier hang\n");
      abort();
    }
  }

 private:
  const int n_;
  std::atomic<int> count_{0}, sleepers_{0};
  std::atomic<uint32_t> gen_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

// ------------------------------------------------------------------ lifetime

TEST(Completion, CreateRetainReleaseReturnsLiveToItsValue) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = nullptr;
  ASSERT_EQ(wt_completion_create(&c), 0);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(CStats().live, s0.live + 1);
  EXPECT_EQ(CStats().created, s0.created + 1);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  wt_completion_retain(c);
  wt_completion_retain(c);
  wt_completion_release(c);
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live + 1) << "two retains, two releases: the creator's reference is left";
  EXPECT_EQ(CStats().freed, s0.freed);
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  wt_completion_release(c);
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.live, s0.live);
  EXPECT_EQ(s1.freed, s0.freed + 1);
  EXPECT_EQ(s1.canceled, s0.canceled) << "a settled completion is not canceled when freed";
  wt_completion_release(nullptr);  // ignored
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, LastReleaseOfAPendingCompletionCancelsIt) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  wt_completion_release(c);
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.live, s0.live);
  EXPECT_EQ(s1.freed, s0.freed + 1);
  EXPECT_EQ(s1.canceled, s0.canceled + 1) << "a pending completion whose last reference goes is canceled";
  // With a waiter's withdrawn node still on it (a wait that timed out), from another thread.
  c = Make();
  EXPECT_EQ(wt_completion_wait(c, 0), WT_ETIMEDOUT);
  Thread t([c] { wt_completion_release(c); });
  t.Join();
  EXPECT_EQ(CStats().live, s0.live);
  EXPECT_EQ(CStats().canceled, s0.canceled + 2);
}

TEST(Completion, SettledCompletionLivesUntilItsContinuationRan) {
  DrainSelf();
  // Once settled, a continuation on its way holds a reference: the last user reference going does not
  // free `c`; the continuation still sees the outcome and `c` is valid during it.
  wt_completion_stats s0 = CStats();
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  wt_completion *c = Make();
  Cont k;
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);
  wt_completion_retain(c);  // the settler's
  Thread t([c] {
    EXPECT_EQ(wt_completion_resolve(c, nullptr), 0);
    wt_completion_release(c);
  });
  t.Join();
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live + 1) << "the delivery's reference keeps it";
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(k.ran.load(), 1);
  EXPECT_EQ(k.status, 0);
  EXPECT_EQ(k.value.kind, WT_VALUE_NONE);
  EXPECT_EQ(CStats().live, s0.live) << "freed once the continuation returned";
}

// ------------------------------------------------------------------ settling, value kinds

TEST(Completion, ResolveWithU64F64NoneAndHandle) {
  struct Case {
    wt_value v;
    bool null_value;
  };
  wt_value f{};
  f.kind = WT_VALUE_F64;
  f.f64 = -2.5e300;
  wt_value h{};
  h.kind = WT_VALUE_HANDLE;
  h.u64 = 0x123456789abcdefull;
  wt_value none{};
  none.kind = WT_VALUE_NONE;
  Case cases[] = {{U64(0xfedcba9876543210ull), false}, {f, false}, {h, false}, {none, false}, {none, true}};
  for (const Case &cs : cases) {
    wt_completion *c = Make();
    ASSERT_EQ(wt_completion_resolve(c, cs.null_value ? nullptr : &cs.v), 0);
    wt_result res;
    std::memset(&res, 0x5a, sizeof res);
    wt_value out;
    std::memset(&out, 0x5a, sizeof out);
    EXPECT_EQ(wt_completion_result_get(c, &res, &out), 0);
    EXPECT_EQ(res.status, 0);
    EXPECT_STREQ(res.message, "");
    EXPECT_EQ(out.kind, cs.v.kind);
    if (cs.v.kind == WT_VALUE_U64 || cs.v.kind == WT_VALUE_HANDLE) { EXPECT_EQ(out.u64, cs.v.u64); }
    if (cs.v.kind == WT_VALUE_F64) { EXPECT_EQ(out.f64, cs.v.f64); }
    EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), 0) << "res and value may be NULL";
    EXPECT_EQ(wt_completion_wait(c, 0), 0) << "a settled completion's wait returns its outcome";
    wt_completion_release(c);
  }
}

TEST(Completion, ResolveCopiesBytes) {
  unsigned char buf[300];
  for (int i = 0; i < 300; i++) buf[i] = static_cast<unsigned char>(i * 7);
  unsigned char expect[300];
  std::memcpy(expect, buf, sizeof buf);
  wt_completion *c = Make();
  wt_value v{};
  v.kind = WT_VALUE_BYTES;
  v.data = buf;
  v.len = sizeof buf;
  ASSERT_EQ(wt_completion_resolve(c, &v), 0);
  std::memset(buf, 0xee, sizeof buf);  // the caller's buffer changed afterwards: does not matter
  v.data = nullptr;
  wt_value out{};
  ASSERT_EQ(wt_completion_result_get(c, nullptr, &out), 0);
  EXPECT_EQ(out.kind, WT_VALUE_BYTES);
  ASSERT_EQ(out.len, sizeof buf);
  ASSERT_NE(out.data, nullptr);
  EXPECT_NE(out.data, static_cast<const void *>(buf));
  EXPECT_EQ(std::memcmp(out.data, expect, sizeof expect), 0);
  // Empty bytes: data NULL with len 0 is allowed.
  wt_completion *e = Make();
  wt_value ev{};
  ev.kind = WT_VALUE_BYTES;
  ASSERT_EQ(wt_completion_resolve(e, &ev), 0);
  ASSERT_EQ(wt_completion_result_get(e, nullptr, &out), 0);
  EXPECT_EQ(out.kind, WT_VALUE_BYTES);
  EXPECT_EQ(out.len, 0u);
  wt_completion_release(e);
  wt_completion_release(c);
}

TEST(Completion, ResolveCopiesStringsNulTerminatedLenZeroMeansStrlen) {
  char s[] = "h\xc3\xa9llo, world";
  wt_completion *c = Make();
  wt_value v{};
  v.kind = WT_VALUE_STRING;
  v.data = s;
  v.len = 0;  // strlen
  ASSERT_EQ(wt_completion_resolve(c, &v), 0);
  std::memset(s, 'x', sizeof s - 1);
  wt_value out{};
  ASSERT_EQ(wt_completion_result_get(c, nullptr, &out), 0);
  EXPECT_EQ(out.kind, WT_VALUE_STRING);
  EXPECT_EQ(out.len, std::strlen("h\xc3\xa9llo, world"));
  EXPECT_NE(out.data, static_cast<const void *>(s));
  EXPECT_STREQ(static_cast<const char *>(out.data), "h\xc3\xa9llo, world");
  wt_completion_release(c);
  // An explicit len copies that many bytes and NUL-terminates after them.
  char t[] = "abcdefgh";
  c = Make();
  v.data = t;
  v.len = 3;
  ASSERT_EQ(wt_completion_resolve(c, &v), 0);
  ASSERT_EQ(wt_completion_result_get(c, nullptr, &out), 0);
  EXPECT_EQ(out.len, 3u);
  EXPECT_STREQ(static_cast<const char *>(out.data), "abc");
  wt_completion_release(c);
  // The empty string: data "" (len 0), and data NULL with len 0.
  for (const char *d : {"", static_cast<const char *>(nullptr)}) {
    c = Make();
    v.data = d;
    v.len = 0;
    ASSERT_EQ(wt_completion_resolve(c, &v), 0);
    ASSERT_EQ(wt_completion_result_get(c, nullptr, &out), 0);
    EXPECT_EQ(out.kind, WT_VALUE_STRING);
    EXPECT_EQ(out.len, 0u);
    ASSERT_NE(out.data, nullptr) << "STRING is NUL-terminated";
    EXPECT_STREQ(static_cast<const char *>(out.data), "");
    wt_completion_release(c);
  }
}

TEST(Completion, RejectCarriesStatusAndTruncatedMessage) {
  wt_completion *c = Make();
  ASSERT_EQ(wt_completion_reject(c, 4711, "the JS Promise was rejected"), 0);
  wt_result res;
  wt_value out;
  std::memset(&out, 0x5a, sizeof out);
  EXPECT_EQ(wt_completion_result_get(c, &res, &out), 4711);
  EXPECT_EQ(res.status, 4711);
  EXPECT_STREQ(res.message, "the JS Promise was rejected");
  EXPECT_EQ(wt_completion_wait(c, 0), 4711);
  wt_completion_release(c);

  std::string longmsg(500, 'm');
  longmsg[0] = 'A';
  c = Make();
  ASSERT_EQ(wt_completion_reject(c, WT_EAFFINITY, longmsg.c_str()), 0);
  EXPECT_EQ(wt_completion_result_get(c, &res, nullptr), WT_EAFFINITY);
  EXPECT_EQ(std::strlen(res.message), size_t(WT_CALL_MESSAGE_MAX - 1));
  EXPECT_EQ(std::string(res.message), longmsg.substr(0, WT_CALL_MESSAGE_MAX - 1));
  wt_completion_release(c);

  c = Make();
  ASSERT_EQ(wt_completion_reject(c, -77, nullptr), 0);
  std::memset(&res, 0x5a, sizeof res);
  EXPECT_EQ(wt_completion_result_get(c, &res, nullptr), -77);
  EXPECT_STREQ(res.message, "") << "NULL message: \"\"";
  wt_completion_release(c);
}

TEST(Completion, CancelSettlesWithECANCELED) {
  wt_completion *c = Make();
  ASSERT_EQ(wt_completion_cancel(c), 0);
  wt_result res;
  EXPECT_EQ(wt_completion_result_get(c, &res, nullptr), WT_ECANCELED);
  EXPECT_EQ(res.status, WT_ECANCELED);
  EXPECT_EQ(wt_completion_wait(c, 0), WT_ECANCELED);
  wt_completion_release(c);
}

TEST(Completion, EALREADY_ForEverySecondSettle) {
  enum { RESOLVE, REJECT, CANCEL };
  auto settle = [](wt_completion *c, int how) {
    wt_value v = U64(99);
    switch (how) {
    case RESOLVE: return wt_completion_resolve(c, &v);
    case REJECT: return wt_completion_reject(c, 5, "second");
    default: return wt_completion_cancel(c);
    }
  };
  const int expect[] = {0, 5, WT_ECANCELED};
  for (int first = 0; first < 3; first++) {
    for (int second = 0; second < 3; second++) {
      wt_completion *c = Make();
      wt_value v1 = U64(1);
      int r1 = first == RESOLVE ? wt_completion_resolve(c, &v1)
               : first == REJECT ? wt_completion_reject(c, 5, "first")
                                 : wt_completion_cancel(c);
      ASSERT_EQ(r1, 0);
      uint64_t refused0 = CStats().refused;
      EXPECT_EQ(settle(c, second), WT_EALREADY) << first << " then " << second;
      EXPECT_EQ(CStats().refused, refused0 + 1);
      // Nothing changed.
      wt_result res;
      wt_value out{};
      EXPECT_EQ(wt_completion_result_get(c, &res, &out), expect[first]);
      if (first == RESOLVE) {
        EXPECT_EQ(out.kind, WT_VALUE_U64);
        EXPECT_EQ(out.u64, 1u);
      }
      if (first == REJECT) { EXPECT_STREQ(res.message, "first"); }
      wt_completion_release(c);
    }
  }
  // A losing BYTES / STRING resolve copies nothing and leaves the winner's value.
  wt_completion *c = Make();
  ASSERT_EQ(wt_completion_cancel(c), 0);
  char buf[64] = "late";
  wt_value b{};
  b.kind = WT_VALUE_BYTES;
  b.data = buf;
  b.len = sizeof buf;
  long a0 = wt_test_allocs_self();
  EXPECT_EQ(wt_completion_resolve(c, &b), WT_EALREADY);
  b.kind = WT_VALUE_STRING;
  b.len = 0;
  EXPECT_EQ(wt_completion_resolve(c, &b), WT_EALREADY);
  if (a0 >= 0) { EXPECT_EQ(wt_test_allocs_self() - a0, 0) << "a losing resolve copies nothing"; }
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_ECANCELED);
  // Binding a settled completion is refused too.
  EXPECT_EQ(wt_completion_bind(c, WT_THREAD_NONE), WT_EALREADY);
  wt_completion_release(c);
}

TEST(Completion, EINVAL_ForBadArguments) {
  EXPECT_EQ(wt_completion_create(nullptr), WT_EINVAL);
  wt_value v = U64(1);
  EXPECT_EQ(wt_completion_resolve(nullptr, &v), WT_EINVAL);
  EXPECT_EQ(wt_completion_reject(nullptr, 5, "x"), WT_EINVAL);
  EXPECT_EQ(wt_completion_cancel(nullptr), WT_EINVAL);
  EXPECT_EQ(wt_completion_bind(nullptr, WT_THREAD_NONE), WT_EINVAL);
  EXPECT_EQ(wt_completion_then(nullptr, WT_THREAD_NONE, ContFn, nullptr, nullptr), WT_EINVAL);
  EXPECT_EQ(wt_completion_wait(nullptr, 0), WT_EINVAL);
  EXPECT_EQ(wt_await_sync(WT_THREAD_NONE, nullptr, nullptr, 0, nullptr), WT_EINVAL);
  wt_completion *out = reinterpret_cast<wt_completion *>(0x1);
  EXPECT_EQ(wt_await_sync(wt_thread_self(), nullptr, nullptr, 0, &out), WT_EINVAL);
  EXPECT_EQ(out, nullptr) << "*out is NULL on every return but 0 and a rejection";

  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  EXPECT_EQ(wt_completion_reject(c, 0, "status 0 is no rejection"), WT_EINVAL);
  wt_value bad{};
  bad.kind = static_cast<wt_value_kind>(42);
  EXPECT_EQ(wt_completion_resolve(c, &bad), WT_EINVAL);
  wt_value nd{};
  nd.kind = WT_VALUE_BYTES;
  nd.data = nullptr;
  nd.len = 3;
  EXPECT_EQ(wt_completion_resolve(c, &nd), WT_EINVAL);
  nd.kind = WT_VALUE_STRING;
  EXPECT_EQ(wt_completion_resolve(c, &nd), WT_EINVAL);
  EXPECT_EQ(wt_completion_then(c, WT_THREAD_NONE, nullptr, ContCancel, nullptr), WT_EINVAL);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING) << "nothing changed";
  EXPECT_EQ(CStats().resolved, s0.resolved);
  EXPECT_EQ(CStats().rejected, s0.rejected);
  EXPECT_EQ(wt_completion_resolve(c, &v), 0);
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, ResultGetWhilePendingWritesNothing) {
  wt_completion *c = Make();
  wt_result res, res0;
  std::memset(&res, 0x5a, sizeof res);
  res0 = res;
  wt_value out, out0;
  std::memset(&out, 0xa5, sizeof out);
  out0 = out;
  EXPECT_EQ(wt_completion_result_get(c, &res, &out), WT_COMPLETION_PENDING);
  EXPECT_EQ(std::memcmp(&res, &res0, sizeof res), 0);
  EXPECT_EQ(std::memcmp(&out, &out0, sizeof out), 0);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  wt_completion_release(c);
}

#ifndef __EMSCRIPTEN__
// Settling takes no allocation (but a BYTES / STRING copy) — also with continuations to deliver.
TEST(Completion, SettlingAllocatesNothingButTheValueCopy) {
  DrainSelf();
  if (wt_test_allocs_self() < 0) GTEST_SKIP() << "allocation counting is host-only";
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  Server other;
  for (int how = 0; how < 4; how++) {
    wt_completion *c = Make();
    Cont here, there;
    ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &here), 0);
    ASSERT_EQ(wt_completion_then(c, other.id(), ContFn, ContCancel, &there), 0);
    wt_value v = U64(3);
    char str[] = "copied";
    wt_value s{};
    s.kind = WT_VALUE_STRING;
    s.data = str;
    long a0 = wt_test_allocs_self();
    int r = how == 0 ? wt_completion_resolve(c, &v)
            : how == 1 ? wt_completion_reject(c, 9, "no")
            : how == 2 ? wt_completion_cancel(c)
                       : wt_completion_resolve(c, &s);
    long allocs = wt_test_allocs_self() - a0;
    ASSERT_EQ(r, 0);
    EXPECT_EQ(allocs, how == 3 ? 1 : 0) << "settle kind " << how;
    EXPECT_EQ(here.runs(), 0) << "not inline";
    EXPECT_EQ(wt_thread_poll(), 1);
    ASSERT_TRUE(WaitFor([&] { return there.runs() == 1; }));
    EXPECT_EQ(here.ran.load(), 1);
    EXPECT_EQ(there.ran.load(), 1);
    wt_completion_release(c);
  }
}
#endif

// WT_ENOMEM: nothing is registered or changed (the record allocation fails).
TEST(Completion, ENOMEM_RegistersNothing) {
  DrainSelf();
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  Server other;
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  wt__proxying_fail_allocs(1);
  EXPECT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), WT_ENOMEM);
  wt__proxying_fail_allocs(1);
  EXPECT_EQ(wt_completion_bind(c, other.id()), WT_ENOMEM);
  wt__proxying_fail_allocs(1);
  EXPECT_EQ(wt_await_sync(other.id(), [](wt_completion *, void *) { return 0; }, nullptr, kHang, nullptr), WT_ENOMEM);
  wt__proxying_fail_allocs(0);
  EXPECT_EQ(CStats().live, s0.live + 1) << "the failed wt_await_sync freed its completion";
  // Nothing changed: the binding can still be made, and the other thread leaving cancels it.
  EXPECT_EQ(wt_completion_bind(c, other.id()), 0);
  other.Stop();
  EXPECT_EQ(wt_completion_wait(c, kHang), WT_ECANCELED);
  EXPECT_EQ(wt_thread_poll(), 0) << "the failed continuation must not run";
  EXPECT_EQ(k.runs(), 0);
  EXPECT_EQ(CStats().continuations_run, s0.continuations_run);
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled);
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live);

  // malloc itself failing (plain glibc builds): create, and a resolve that must copy (c stays pending).
  if (!wt_test_fail_allocs_self(0)) return;
  wt_completion *d = reinterpret_cast<wt_completion *>(0x1);
  wt_test_fail_allocs_self(1);
  int r = wt_completion_create(&d);
  wt_test_fail_allocs_self(0);
  EXPECT_EQ(r, WT_ENOMEM);
  EXPECT_EQ(CStats().created, s0.created + 2) << "only successful creates count";
  d = Make();
  char buf[] = "bytes";
  wt_value b{};
  b.kind = WT_VALUE_BYTES;
  b.data = buf;
  b.len = sizeof buf;
  wt_test_fail_allocs_self(1);
  r = wt_completion_resolve(d, &b);
  wt_test_fail_allocs_self(0);
  EXPECT_EQ(r, WT_ENOMEM);
  EXPECT_EQ(wt_completion_result_get(d, nullptr, nullptr), WT_COMPLETION_PENDING) << "c stays pending";
  EXPECT_EQ(wt_completion_resolve(d, &b), 0);
  wt_completion_release(d);
  // A wait's node (its only allocation: the settle wakes it directly, no mailbox record).
  d = Make();
  wt_test_fail_allocs_self(1);
  r = wt_completion_wait(d, 10);
  wt_test_fail_allocs_self(0);
  EXPECT_EQ(r, WT_ENOMEM);
  EXPECT_EQ(wt_completion_wait(d, 0), WT_ETIMEDOUT) << "nothing registered, still pending";
  wt_completion_release(d);
  EXPECT_EQ(CStats().live, s0.live);
}

// ------------------------------------------------------------------ continuations

TEST(Completion, ContinuationRunsOnTheNamedThreadOnlyWhenItPolls) {
  wt_completion_stats s0 = CStats();
  Idle t;
  wt_completion *c = Make();
  Cont k;
  ASSERT_EQ(wt_completion_then(c, t.id(), ContFn, ContCancel, &k), 0);
  wt_value v = U64(17);
  ASSERT_EQ(wt_completion_resolve(c, &v), 0);
  wt_completion_release(c);  // the continuation holds its own reference
  EXPECT_EQ(k.runs(), 0) << "not inline in resolve; T has not served its mailbox";
  t.Run([] {});  // T runs code but does not serve: still nothing
  EXPECT_EQ(k.runs(), 0);
  int polled = -1;
  t.Run([&] { polled = wt_thread_poll(); });
  EXPECT_EQ(polled, 1);
  EXPECT_EQ(k.ran.load(), 1);
  EXPECT_EQ(k.canceled.load(), 0);
  EXPECT_TRUE(pthread_equal(k.on.load(), t.thread()));
  EXPECT_EQ(k.status, 0);
  EXPECT_EQ(k.value.kind, WT_VALUE_U64);
  EXPECT_EQ(k.value.u64, 17u);
  t.Exit();
  EXPECT_EQ(k.runs(), 1) << "exactly once";
  EXPECT_EQ(CStats().continuations_run, s0.continuations_run + 1);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, ContinuationRunsOnAServingThread) {
  Server s;
  wt_completion *c = Make();
  struct K : Cont {
    Event done;
  } k;
  ASSERT_EQ(wt_completion_then(c, s.id(),
                               [](wt_completion *c, void *p) {
                                 ContFn(c, p);
                                 static_cast<K *>(p)->done.Set();
                               },
                               ContCancel, &k),
            0);
  ASSERT_EQ(wt_completion_reject(c, 321, "rejected"), 0);
  ASSERT_TRUE(k.done.Wait());
  EXPECT_TRUE(pthread_equal(k.on.load(), s.thread()));
  EXPECT_EQ(k.status, 321);
  EXPECT_STREQ(k.res.message, "rejected");
  EXPECT_EQ(k.value.kind, WT_VALUE_NONE);
  wt_completion_release(c);
}

TEST(Completion, ContinuationIsNeverInlineAlsoWhenRegisteredAfterSettle) {
  DrainSelf();
  wt_thread me;
  ASSERT_EQ(wt_thread_join(&me), 0);
  wt_completion *c = Make();
  Cont before, after;
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &before), 0);
  ASSERT_EQ(wt_completion_then(c, me, ContFn, ContCancel, &after), 0);
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  EXPECT_EQ(before.runs() + after.runs(), 0) << "not inline in resolve";
  Cont late;
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &late), 0);
  EXPECT_EQ(late.runs(), 0) << "registered after settle: still through the mailbox, not inline";
  wt_completion_release(c);
  EXPECT_EQ(wt_thread_poll(), 3);
  for (Cont *k : {&before, &after, &late}) {
    EXPECT_EQ(k->ran.load(), 1);
    EXPECT_EQ(k->canceled.load(), 0);
    EXPECT_TRUE(pthread_equal(k->on.load(), pthread_self()));
    EXPECT_EQ(k->status, 0);
  }
  EXPECT_EQ(wt_thread_poll(), 0) << "each exactly once";
}

TEST(Completion, ContinuationRegisteredAfterSettleRunsOnAnotherThread) {
  Server s;
  wt_completion *c = Make();
  ASSERT_EQ(wt_completion_cancel(c), 0);
  struct K : Cont {
    Event done;
  } k;
  ASSERT_EQ(wt_completion_then(c, s.id(),
                               [](wt_completion *c, void *p) {
                                 ContFn(c, p);
                                 static_cast<K *>(p)->done.Set();
                               },
                               ContCancel, &k),
            0);
  wt_completion_release(c);
  ASSERT_TRUE(k.done.Wait());
  EXPECT_EQ(k.status, WT_ECANCELED);
  EXPECT_TRUE(pthread_equal(k.on.load(), s.thread()));
}

TEST(Completion, ThenToAStaleOrUnknownThreadRegistersNothing) {
  wt_completion_stats s0 = CStats();
  std::atomic<uint64_t> gone{0};
  {
    Thread t([&] {
      wt_thread x;
      ASSERT_EQ(wt_thread_join(&x), 0);
      gone = x.bits;
    });
  }
  wt_completion *c = Make();
  Cont k;
  EXPECT_EQ(wt_completion_then(c, wt_thread{gone.load()}, ContFn, ContCancel, &k), WT_ESTALE);
  EXPECT_EQ(wt_completion_then(c, wt_thread{0xffffffffull}, ContFn, ContCancel, &k), WT_ENOENT);
  EXPECT_EQ(wt_completion_then(c, wt_thread{(0x3fffffull << 32) | 1}, ContFn, ContCancel, &k), WT_ENOENT);
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  EXPECT_EQ(wt_completion_then(c, wt_thread{gone.load()}, ContFn, ContCancel, &k), WT_ESTALE)
      << "also after settle";
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live) << "no reference was kept by the refused registrations";
  wt_thread_poll();
  EXPECT_EQ(k.runs(), 0) << "on error neither runs";
  EXPECT_EQ(CStats().continuations_run, s0.continuations_run);
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled);
}

TEST(Completion, RegisteringThreadLeavesBeforeSettleRunsCancelThere) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  std::atomic<int> leave_rc{-999};
  pthread_t tid{};
  {
    Thread t([&] {
      tid = pthread_self();
      ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);  // joins
      leave_rc = wt_thread_leave();
      EXPECT_EQ(k.canceled.load(), 1) << "cancel runs on the thread as it leaves";
    });
    t.Join();
  }
  EXPECT_EQ(leave_rc.load(), 0);
  EXPECT_EQ(k.ran.load(), 0);
  EXPECT_EQ(k.canceled.load(), 1);
  EXPECT_TRUE(pthread_equal(k.on.load(), tid));
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING)
      << "the continuation's thread leaving does not settle the completion";
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  wt_completion_release(c);
  EXPECT_EQ(k.runs(), 1);
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled + 1);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, RegisteringThreadExitsBeforeItsMailboxRanTheContinuation) {
  // Settled, the record is in T's mailbox; T exits without serving: cancel on T, as it leaves.
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  pthread_t tid{};
  {
    Thread t([&] {
      tid = pthread_self();
      ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);
      ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
      EXPECT_EQ(k.runs(), 0);
    });  // exits: automatic leave
  }
  EXPECT_EQ(k.ran.load(), 0);
  EXPECT_EQ(k.canceled.load(), 1);
  EXPECT_TRUE(pthread_equal(k.on.load(), tid));
  wt_completion_release(c);
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled + 1);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, ContinuationForAnotherThreadGoneAtSettleCancelsOnTheSettlingThread) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  {
    Idle t;
    ASSERT_EQ(wt_completion_then(c, t.id(), ContFn, ContCancel, &k), 0);
    t.Exit();
  }
  EXPECT_EQ(k.runs(), 0) << "still pending: nothing to cancel yet (the registering thread is alive)";
  Thread settler([&] {
    ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
    EXPECT_EQ(k.canceled.load(), 1) << "cancel runs during the settle";
    EXPECT_TRUE(pthread_equal(k.on.load(), pthread_self())) << "on the settling thread";
  });
  settler.Join();
  EXPECT_EQ(k.ran.load(), 0);
  EXPECT_EQ(k.canceled.load(), 1);
  wt_completion_release(c);
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled + 1);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, ContinuationForAnotherThreadThatLeavesAfterSettleCancelsThere) {
  // Settled, the record waits in T's mailbox; T leaves without serving: cancel runs on T, as it leaves.
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  Idle t;
  ASSERT_EQ(wt_completion_then(c, t.id(), ContFn, ContCancel, &k), 0);
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  wt_completion_release(c);
  EXPECT_EQ(k.runs(), 0);
  int leave_rc = -999;
  t.Run([&] { leave_rc = wt_thread_leave(); });
  EXPECT_EQ(leave_rc, 0);
  EXPECT_EQ(k.ran.load(), 0);
  EXPECT_EQ(k.canceled.load(), 1);
  EXPECT_TRUE(pthread_equal(k.on.load(), t.thread()));
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled + 1);
  EXPECT_EQ(CStats().live, s0.live);
}

// A continuation does not keep its completion alive: the last reference going while it is pending
// cancels it, the continuation runs with WT_ECANCELED (c valid during it), then `c` is freed.
TEST(Completion, LastReleaseWithAContinuationWaitingCancelsItAndRunsTheContinuation) {
  DrainSelf();
  wt_completion_stats s0 = CStats();
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  struct K {
    int status = -999, ran = 0;
    uint64_t live_during = 0;
  } k;
  wt_completion *c = Make();
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, [](wt_completion *c, void *p) {
    K *k = static_cast<K *>(p);
    k->status = wt_completion_result_get(c, nullptr, nullptr);  // valid during fn (ASan: no UAF)
    k->live_during = CStats().live;
    k->ran++;
  }, [](void *) { ADD_FAILURE() << "cancel must not run: the thread is live"; }, &k), 0);
  wt_completion_release(c);  // the only reference: canceled now
  EXPECT_EQ(CStats().canceled, s0.canceled + 1);
  EXPECT_EQ(k.ran, 0) << "never inline";
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(k.ran, 1);
  EXPECT_EQ(k.status, WT_ECANCELED);
  EXPECT_EQ(k.live_during, s0.live + 1);
  EXPECT_EQ(CStats().live, s0.live) << "freed once the continuation returned";
}

// The same, when the continuation's thread exits before running it: its cancel runs there, on a
// completion that only the record's trip reference holds.
TEST(Completion, LastReleaseThenTheContinuationThreadExits) {
  wt_completion_stats s0 = CStats();
  Cont k;
  pthread_t tid{};
  {
    Thread t([&] {
      tid = pthread_self();
      wt_completion *c = Make();
      ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);
      wt_completion_release(c);  // canceled: the record is in this thread's mailbox
      EXPECT_EQ(CStats().live, s0.live + 1);
    });  // exits without serving
  }
  EXPECT_EQ(k.ran.load(), 0);
  EXPECT_EQ(k.canceled.load(), 1);
  EXPECT_TRUE(pthread_equal(k.on.load(), tid));
  EXPECT_EQ(CStats().live, s0.live);
  EXPECT_EQ(CStats().canceled, s0.canceled + 1);
}

// "a continuation registered for another thread whose thread is gone ...: its cancel function runs on
// the thread that settles or frees c": here nobody settles it, and the last release frees it.
TEST(Completion, ReleasedCompletionWithAContinuationForAGoneThreadIsFreed) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  {
    Idle t;
    ASSERT_EQ(wt_completion_then(c, t.id(), ContFn, ContCancel, &k), 0);
  }  // t left
  EXPECT_EQ(k.runs(), 0);
  wt_completion_release(c);  // nobody will settle it
  EXPECT_EQ(k.ran.load(), 0);
  EXPECT_EQ(k.canceled.load(), 1) << "its cancel runs on the thread that frees c";
  EXPECT_TRUE(pthread_equal(k.on.load(), pthread_self()));
  EXPECT_EQ(CStats().live, s0.live);
  EXPECT_EQ(CStats().canceled, s0.canceled + 1);
}

// A continuation registered (or a binding made) on a thread while it leaves, after the completion
// module's leave hook ran — here from an async call's `done`, which the router runs in its last pass,
// after every hook. then() returning 0 promises fn or cancel runs; bind() returning 0 promises `c`
// is canceled when that thread leaves; and nothing may be left behind.
TEST(Completion, RegisteredLateInALeaveStillRunsOrIsRefused) {
  wt_completion_stats s0 = CStats();
  Server other;
  struct L {
    wt_thread other;
    wt_completion *c1, *c2, *c3;
    Cont k2;
    int k1_canceled = 0, async_rc = -999, then_rc = -999, bind_rc = -999;
  } l;
  l.other = other.id();
  l.c1 = Make();
  l.c2 = Make();
  l.c3 = Make();
  {
    Thread t([&] {
      // c1's cancel runs in the completion leave hook; it makes an async call whose `done` the router
      // runs later in the same leave (WT_ECANCELED); that `done` registers on c2 and binds c3.
      ASSERT_EQ(wt_completion_then(l.c1, WT_THREAD_NONE, [](wt_completion *, void *) { ADD_FAILURE(); },
                                   [](void *p) {
                                     L *l = static_cast<L *>(p);
                                     l->k1_canceled++;
                                     l->async_rc = wt_call_async(l->other, [](wt_call *, void *) { return 0; }, l,
                                                                 [](const wt_result *, void *p) {
                                                                   L *l = static_cast<L *>(p);
                                                                   l->then_rc = wt_completion_then(
                                                                       l->c2, WT_THREAD_NONE, ContFn, ContCancel, &l->k2);
                                                                   l->bind_rc = wt_completion_bind(l->c3, WT_THREAD_NONE);
                                                                 },
                                                                 l);
                                   },
                                   &l),
                0);
    });  // exits: leaves
  }
  EXPECT_EQ(l.k1_canceled, 1);
  std::printf("[ info ] from the leave: async %d, then %d, bind %d\n", l.async_rc, l.then_rc, l.bind_rc);
  if (l.bind_rc == 0) {
    EXPECT_EQ(wt_completion_result_get(l.c3, nullptr, nullptr), WT_ECANCELED) << "bound to a thread that left";
  } else {
    EXPECT_EQ(l.bind_rc, WT_ESTALE);
  }
  if (l.then_rc == 0) {
    ASSERT_EQ(wt_completion_resolve(l.c2, nullptr), 0);
    EXPECT_EQ(l.k2.runs(), 1) << "then returned 0 on the leaving thread: fn or cancel must run";
  } else {
    EXPECT_EQ(l.then_rc, WT_ESTALE);
    EXPECT_EQ(l.k2.runs(), 0);
  }
  for (wt_completion *c : {l.c1, l.c2, l.c3}) {
    wt_completion_cancel(c);
    wt_completion_release(c);
  }
  other.Stop();
  EXPECT_EQ(CStats().live, s0.live) << "nothing left behind";
}

TEST(Completion, ContinuationCancelMayBeNull) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  {
    Thread t([&] {
      ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, nullptr, &k), 0);
    });
  }
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  wt_completion_release(c);
  EXPECT_EQ(k.runs(), 0);
  EXPECT_EQ(CStats().continuations_canceled, s0.continuations_canceled + 1) << "counted even without a cancel fn";
  EXPECT_EQ(CStats().live, s0.live);
}

// ------------------------------------------------------------------ waiting

TEST(Completion, WaitTimesOutAndLeavesItPending) {
  DrainSelf();
  wt_completion *c = Make();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wt_completion_wait(c, 30), WT_ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
  EXPECT_EQ(wt_completion_wait(c, 0), WT_ETIMEDOUT);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  wt_value v = U64(5);
  ASSERT_EQ(wt_completion_resolve(c, &v), 0) << "still pending: it can be settled";
  EXPECT_EQ(wt_completion_wait(c, 0), 0);
  EXPECT_EQ(wt_thread_poll(), 0) << "a withdrawn wait leaves nothing to run";
  wt_completion_release(c);
}

TEST(Completion, WaitServesTheMailboxWhileItWaits) {
  wt_thread me;
  ASSERT_EQ(wt_thread_join(&me), 0);
  wt_completion *c = Make();
  struct S {
    wt_thread waiter;
    wt_completion *c;
    std::atomic<pthread_t> ran_on{};
    int sync_rc = -999;
  } s{me, c};
  Thread other([&] {
    // A sync call to the waiting thread completes while it waits; only then is `c` resolved.
    s.sync_rc = wt_call_sync(s.waiter, [](wt_call *, void *p) {
      static_cast<S *>(p)->ran_on.store(pthread_self());
      return 0;
    }, &s, kHang, nullptr);
    wt_value v = U64(s.sync_rc == 0 ? 8 : 0);
    EXPECT_EQ(wt_completion_resolve(s.c, &v), 0);
  });
  wt_value out{};
  EXPECT_EQ(wt_completion_wait(c, kHang), 0);
  other.Join();
  EXPECT_EQ(s.sync_rc, 0);
  EXPECT_TRUE(pthread_equal(s.ran_on.load(), pthread_self()));
  EXPECT_EQ(wt_completion_result_get(c, nullptr, &out), 0);
  EXPECT_EQ(out.u64, 8u);
  wt_completion_release(c);
}

TEST(Completion, WaitRunsContinuationsForItsThread) {
  // A continuation registered on the waiting thread for another completion runs during the wait.
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  wt_completion *a = Make(), *b = Make();
  Cont k;
  ASSERT_EQ(wt_completion_then(a, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);
  Thread t([&] {
    ASSERT_EQ(wt_completion_resolve(a, nullptr), 0);
    // b is resolved only once the continuation ran (on the waiter, inside its wait).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kHang);
    while (k.ran.load() == 0 && std::chrono::steady_clock::now() < deadline) sched_yield();
    EXPECT_EQ(wt_completion_resolve(b, nullptr), 0);
  });
  EXPECT_EQ(wt_completion_wait(b, kHang), 0);
  t.Join();
  EXPECT_EQ(k.ran.load(), 1);
  EXPECT_TRUE(pthread_equal(k.on.load(), pthread_self()));
  wt_completion_release(a);
  wt_completion_release(b);
}

TEST(Completion, WaitersOnSeveralThreadsAllWake) {
  wt_completion *c = Make();
  const int n = 4;
  std::atomic<int> woke{0}, wrong{0};
  std::atomic<uint64_t> ids[n];
  std::vector<std::unique_ptr<Thread>> ts;
  for (int i = 0; i < n; i++) {
    ids[i] = 0;
    ts.emplace_back(new Thread([&, i] {
      wt_thread me;
      ASSERT_EQ(wt_thread_join(&me), 0);
      ids[i] = me.bits;
      int r = wt_completion_wait(c, kHang);
      if (r != 77) wrong++;
      woke++;
    }));
  }
  for (int i = 0; i < n; i++) {
    ASSERT_TRUE(WaitFor([&] { return ids[i].load() != 0; }));
    // A waiter serves only inside its wait: a call to it that completes proves it is blocked there.
    ASSERT_EQ(wt_call_sync(wt_thread{ids[i].load()}, Nop, nullptr, kHang, nullptr), 0);
  }
  EXPECT_EQ(woke.load(), 0);
  ASSERT_EQ(wt_completion_reject(c, 77, "all of you"), 0);
  ts.clear();
  EXPECT_EQ(woke.load(), n);
  EXPECT_EQ(wrong.load(), 0);
  wt_completion_release(c);
}

// A waiter whose thread exits from inside its wait (a call run by the wait calls pthread_exit): its
// node is canceled as it leaves; the completion still settles, runs its other continuations and is
// freed (ASan: no use of the gone waiter's node or stack).
TEST(Completion, WaiterThatExitsInsideItsWaitLeavesNothingBehind) {
  DrainSelf();
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);
  struct A {
    wt_completion *c;
    std::atomic<uint64_t> id{0};
  } a;
  a.c = c;
  wt_completion_retain(c);  // the waiter's: it never returns to release it; we release it for it
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, nullptr,
                           [](void *p) -> void * {
                             A *a = static_cast<A *>(p);
                             wt_thread me;
                             if (wt_thread_join(&me) != 0) abort();
                             a->id.store(me.bits);
                             wt_completion_wait(a->c, kHang);  // exits from inside
                             ADD_FAILURE() << "the wait returned";
                             return nullptr;
                           },
                           &a),
            0);
  ASSERT_TRUE(WaitFor([&] { return a.id.load() != 0; }));
  wt_result r;
  EXPECT_EQ(wt_call_sync(wt_thread{a.id.load()}, [](wt_call *, void *) -> int { pthread_exit(nullptr); }, nullptr,
                         kHang, &r),
            WT_ECANCELED);
  pthread_join(th, nullptr);
  EXPECT_EQ(wt_thread_check(wt_thread{a.id.load()}), WT_ESTALE);
  wt_value v = U64(3);
  EXPECT_EQ(wt_completion_resolve(c, &v), 0);
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(k.ran.load(), 1);
  EXPECT_EQ(k.status, 0);
  wt_completion_release(c);  // the gone waiter's
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live);
}

#ifndef __EMSCRIPTEN__
// A continuation that throws: the exception reaches the code that serves (here wt_thread_poll's
// caller), the continuation counted as run once, its reference dropped, the thread serves on.
TEST(Completion, ContinuationThatThrowsDropsItsReference) {
  DrainSelf();
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont after;
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, [](wt_completion *, void *) { throw std::runtime_error("boom"); },
                               ContCancel, nullptr),
            0);
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &after), 0);
  ASSERT_EQ(wt_completion_cancel(c), 0);
  wt_completion_release(c);  // only the deliveries hold it now
  bool caught = false;
  try {
    wt_thread_poll();
  } catch (const std::runtime_error &e) {
    caught = std::string(e.what()) == "boom";
  }
  EXPECT_TRUE(caught);
  while (after.runs() == 0 && wt_thread_poll() > 0) {}
  EXPECT_EQ(after.ran.load(), 1) << "the next continuation still runs";
  EXPECT_EQ(after.status, WT_ECANCELED);
  EXPECT_EQ(wt_thread_poll(), 0);
  EXPECT_EQ(CStats().continuations_run - s0.continuations_run, 2u);
  EXPECT_EQ(CStats().live, s0.live) << "the throwing continuation's reference was dropped";
}
#endif

#ifndef __EMSCRIPTEN__
TEST(Completion, EWOULDBLOCK_WaitOnTheUIThread) {
  wt_completion *c = Make();
  std::atomic<int> rc{-999}, rc_settled{-999};
  Thread ui([&] {
    ASSERT_EQ(wt_thread_adopt_ui(), 0);
    rc = wt_completion_wait(c, kHang);  // must be refused at once, not block
    wt_completion *d = Make();
    wt_completion_cancel(d);
    rc_settled = wt_completion_wait(d, kHang);
    wt_completion_release(d);
  });
  ui.Join();
  EXPECT_EQ(rc.load(), WT_EWOULDBLOCK);
  EXPECT_EQ(rc_settled.load(), WT_ECANCELED) << "a settled completion's outcome: no block needed";
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  wt_completion_release(c);
}
#endif

TEST(Completion, EWOULDBLOCK_WaitOnTheIOThread) {
  wt_completion *c = Make();
  std::atomic<int> rc{-999}, arc{-999};
  Server target;
  Thread io([&] {
    ASSERT_EQ(wt__proxying_self_flags_set(WT__TF_NOBLOCK), 0);
    rc = wt_completion_wait(c, kHang);
    arc = wt_await_sync(target.id(), [](wt_completion *c, void *) { return wt_completion_resolve(c, nullptr); },
                        nullptr, kHang, nullptr);
  });
  io.Join();
  EXPECT_EQ(rc.load(), WT_EWOULDBLOCK);
  EXPECT_EQ(arc.load(), WT_EWOULDBLOCK);
  wt_completion_release(c);
}

TEST(Completion, EDEADLK_WaitBoundToTheWaitingThread) {
  wt_completion *c = Make();
  Thread t([&] {
    ASSERT_EQ(wt_completion_bind(c, WT_THREAD_NONE), 0);  // joins
    EXPECT_EQ(wt_completion_wait(c, kHang), WT_EDEADLK);
    EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
    EXPECT_EQ(wt_completion_resolve(c, nullptr), 0);  // its own event loop settles it
  });
  t.Join();
  EXPECT_EQ(wt_completion_wait(c, 0), 0);
  wt_completion_release(c);
  // Bound from another thread (the binding record not yet run there): refused as well.
  c = Make();
  Idle s;
  ASSERT_EQ(wt_completion_bind(c, s.id()), 0);
  int rc = -999;
  s.Run([&] { rc = wt_completion_wait(c, kHang); });
  EXPECT_EQ(rc, WT_EDEADLK);
  ASSERT_EQ(wt_completion_cancel(c), 0);
  wt_completion_release(c);
}

TEST(Completion, EDEADLK_WaitOnAJsWorkerThreadForWhatNoOtherThreadSettles) {
  wt_completion *unbound = Make(), *bound_other = Make(), *bound_gone = Make();
  Server settler;
  ASSERT_EQ(wt_completion_bind(bound_other, settler.id()), 0);
  {
    Idle g;
    ASSERT_EQ(wt_completion_bind(bound_gone, g.id()), 0);
    g.Run([] { wt_thread_poll(); });  // the binding is made there, then the thread leaves: canceled
  }
  std::atomic<int> r1{-999}, r2{-999}, r3{-999};
  Thread js([&] {
    ASSERT_EQ(wt__proxying_self_flags_set(WT__TF_LOOP), 0);
    r1 = wt_completion_wait(unbound, kHang);
    r2 = wt_completion_wait(bound_gone, kHang);
    r3 = wt_completion_wait(bound_other, 0);  // bound to another live thread: a real wait
  });
  js.Join();
  EXPECT_EQ(r1.load(), WT_EDEADLK);
  EXPECT_EQ(r2.load(), WT_ECANCELED) << "settled already: its outcome";
  EXPECT_EQ(r3.load(), WT_ETIMEDOUT);
  for (wt_completion *c : {unbound, bound_other, bound_gone}) {
    wt_completion_cancel(c);
    wt_completion_release(c);
  }
}

// The wait bound: a thread with every library frame in use gets WT_EDEPTH (and `c` stays pending).
struct Deep {
  wt_thread self;
  wt_completion *c;
  int levels = 0;
  int wait_rc = -999;
};

int DeepRecurse(wt_call *, void *p) {
  Deep *d = static_cast<Deep *>(p);
  d->levels++;
  int r = wt_call_sync(d->self, DeepRecurse, d, kHang, nullptr);
  if (r == WT_EDEPTH && d->wait_rc == -999) d->wait_rc = wt_completion_wait(d->c, kHang);
  return r == WT_ECALL ? 0 : r;
}

TEST(Completion, EDEPTH_WaitAtTheNestingBound) {
  wt_completion *c = Make();
  Deep d{};
  d.c = c;
  d.wait_rc = -999;
  Thread t([&] {
    ASSERT_EQ(wt_thread_join(&d.self), 0);
    wt_call_sync(d.self, DeepRecurse, &d, kHang, nullptr);
  }, 1 << 20);
  t.Join();
  EXPECT_GT(d.levels, 4);
  EXPECT_EQ(d.wait_rc, WT_EDEPTH);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
  wt_completion_release(c);
}

// ------------------------------------------------------------------ bindings

TEST(Completion, BindErrors) {
  wt_completion *c = Make();
  std::atomic<uint64_t> gone{0};
  {
    Thread t([&] {
      wt_thread x;
      ASSERT_EQ(wt_thread_join(&x), 0);
      gone = x.bits;
    });
  }
  EXPECT_EQ(wt_completion_bind(c, wt_thread{gone.load()}), WT_ESTALE);
  EXPECT_EQ(wt_completion_bind(c, wt_thread{0xffffffffull}), WT_ENOENT);
  // Nothing changed: it can be bound now, once; a second binding is refused.
  Idle s;
  ASSERT_EQ(wt_completion_bind(c, s.id()), 0);
  EXPECT_EQ(wt_completion_bind(c, s.id()), WT_EALREADY);
  EXPECT_EQ(wt_completion_bind(c, WT_THREAD_NONE), WT_EALREADY);
  s.Exit();  // the binding took: its leaving cancels `c`
  EXPECT_EQ(wt_completion_wait(c, kHang), WT_ECANCELED);
  EXPECT_EQ(wt_completion_bind(c, WT_THREAD_NONE), WT_EALREADY) << "settled";
  wt_completion_release(c);
}

TEST(Completion, BoundThreadLeavingCancelsAfterTheBindingReachedIt) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Idle settler;
  ASSERT_EQ(wt_completion_bind(c, settler.id()), 0);
  settler.Run([] { EXPECT_EQ(wt_thread_poll(), 1) << "the binding record"; });
  std::atomic<int> wrc{-999};
  std::atomic<uint64_t> wid{0};
  Thread waiter([&] {  // a third thread waits
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    wid = me.bits;
    wrc = wt_completion_wait(c, kHang);
  });
  ASSERT_TRUE(WaitFor([&] { return wid.load() != 0; }));
  ASSERT_EQ(wt_call_sync(wt_thread{wid.load()}, Nop, nullptr, kHang, nullptr), 0) << "the waiter is in its wait";
  int leave_rc = -999;
  settler.Run([&] { leave_rc = wt_thread_leave(); });
  EXPECT_EQ(leave_rc, 0);
  waiter.Join();
  EXPECT_EQ(wrc.load(), WT_ECANCELED);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_ECANCELED);
  wt_completion_release(c);
  EXPECT_EQ(CStats().canceled, s0.canceled + 1);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, BoundThreadLeavingBeforeTheBindingReachedItCancels) {
  DrainSelf();
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  Cont k;
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  ASSERT_EQ(wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k), 0);
  {
    Idle settler;
    ASSERT_EQ(wt_completion_bind(c, settler.id()), 0);
  }  // exits without serving its mailbox
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_ECANCELED);
  EXPECT_EQ(wt_thread_poll(), 1);
  EXPECT_EQ(k.ran.load(), 1);
  EXPECT_EQ(k.status, WT_ECANCELED) << "its continuation runs with the cancellation";
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, BoundThreadThatSettlesKeepsItsOutcomeWhenItLeaves) {
  wt_completion_stats s0 = CStats();
  wt_completion *here = Make(), *elsewhere = Make();
  Idle settler;
  ASSERT_EQ(wt_completion_bind(here, settler.id()), 0);
  ASSERT_EQ(wt_completion_bind(elsewhere, settler.id()), 0);
  settler.Run([&] {
    EXPECT_EQ(wt_thread_poll(), 2);
    wt_value v = U64(1);
    EXPECT_EQ(wt_completion_resolve(here, &v), 0);  // settled on its settler
  });
  wt_value v = U64(2);
  ASSERT_EQ(wt_completion_resolve(elsewhere, &v), 0);  // settled by another thread
  settler.Exit();
  wt_value out{};
  EXPECT_EQ(wt_completion_result_get(here, nullptr, &out), 0);
  EXPECT_EQ(out.u64, 1u);
  EXPECT_EQ(wt_completion_result_get(elsewhere, nullptr, &out), 0);
  EXPECT_EQ(out.u64, 2u);
  EXPECT_EQ(CStats().canceled, s0.canceled);
  wt_completion_release(here);
  wt_completion_release(elsewhere);
  EXPECT_EQ(CStats().live, s0.live) << "the bound lists dropped their references";
}

TEST(Completion, ManyBoundCompletionsSettledElsewhereDoNotAccumulate) {
  // A settler thread bound to many completions that other threads settle: its list is swept, so the
  // completions are freed while it lives (not only when it leaves).
  wt_completion_stats s0 = CStats();
  Idle settler;
  const int n = 1000;
  for (int i = 0; i < n; i++) {
    wt_completion *c = Make();
    settler.Run([&] { ASSERT_EQ(wt_completion_bind(c, WT_THREAD_NONE), 0); });
    ASSERT_EQ(wt_completion_resolve(c, nullptr), 0);
    wt_completion_release(c);
  }
  EXPECT_LT(CStats().live, s0.live + 200) << "settled completions pile up on the settler's bound list";
  settler.Exit();
  EXPECT_EQ(CStats().live, s0.live);
  EXPECT_EQ(CStats().canceled, s0.canceled);
}

// ------------------------------------------------------------------ sync over async

TEST(Completion, AwaitSyncRunsStartOnTheTargetAndReturnsTheValue) {
  Server s;
  struct A {
    pthread_t ran_on{};
    int bound_deadlk = 0;
  } a;
  wt_completion *out = nullptr;
  int r = wt_await_sync(s.id(), [](wt_completion *c, void *p) {
    A *a = static_cast<A *>(p);
    a->ran_on = pthread_self();
    // `c` is already bound to this thread: waiting for it here would be a deadlock.
    a->bound_deadlk = wt_completion_wait(c, 0);
    char str[] = "from the target";
    wt_value v{};
    v.kind = WT_VALUE_STRING;
    v.data = str;
    return wt_completion_resolve(c, &v);
  }, &a, kHang, &out);
  ASSERT_EQ(r, 0);
  ASSERT_NE(out, nullptr);
  EXPECT_TRUE(pthread_equal(a.ran_on, s.thread()));
  EXPECT_EQ(a.bound_deadlk, WT_EDEADLK);
  wt_value v{};
  EXPECT_EQ(wt_completion_result_get(out, nullptr, &v), 0);
  EXPECT_STREQ(static_cast<const char *>(v.data), "from the target");
  wt_completion_release(out);
}

TEST(Completion, AwaitSyncSettledLaterByTheTargetsEventLoop) {
  // start only arranges the settle (a later post to itself, as a JS Promise would).
  wt_completion_stats s0 = CStats();
  Server s;
  wt_completion *out = nullptr;
  int r = wt_await_sync(s.id(), [](wt_completion *c, void *) {
    // A continuation of another (settled) completion, run later by this thread's mailbox, settles c.
    wt_completion *d = Make();
    wt_completion_resolve(d, nullptr);
    wt_completion_retain(c);
    int rc = wt_completion_then(d, WT_THREAD_NONE, [](wt_completion *, void *p) {
      wt_value v = U64(1234);
      wt_completion_resolve(static_cast<wt_completion *>(p), &v);
      wt_completion_release(static_cast<wt_completion *>(p));
    }, [](void *p) { wt_completion_release(static_cast<wt_completion *>(p)); }, c);
    wt_completion_release(d);
    return rc;
  }, nullptr, kHang, &out);
  EXPECT_EQ(r, 0);
  wt_value v{};
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(wt_completion_result_get(out, nullptr, &v), 0);
  EXPECT_EQ(v.u64, 1234u);
  wt_completion_release(out);
  // And with out NULL: no reference kept.
  r = wt_await_sync(s.id(), [](wt_completion *c, void *) { return wt_completion_resolve(c, nullptr); }, nullptr,
                    kHang, nullptr);
  EXPECT_EQ(r, 0);
  s.Stop();
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, AwaitSyncStartRejecting) {
  Server s;
  wt_completion *out = nullptr;
  int r = wt_await_sync(s.id(), [](wt_completion *, void *) { return int(WT_EAFFINITY); }, nullptr, kHang, &out);
  EXPECT_EQ(r, WT_EAFFINITY);
  ASSERT_NE(out, nullptr) << "a rejection gives the completion";
  wt_result res;
  EXPECT_EQ(wt_completion_result_get(out, &res, nullptr), WT_EAFFINITY);
  EXPECT_STREQ(res.message, std::string(wt_strerror(WT_EAFFINITY)).substr(0, WT_CALL_MESSAGE_MAX - 1).c_str());
  wt_completion_release(out);
  // An application code.
  r = wt_await_sync(s.id(), [](wt_completion *c, void *) { return wt_completion_reject(c, 555, "app"); }, nullptr,
                    kHang, &out);
  EXPECT_EQ(r, 555);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(wt_completion_result_get(out, &res, nullptr), 555);
  EXPECT_STREQ(res.message, "app");
  wt_completion_release(out);
}

TEST(Completion, AwaitSyncErrors) {
  wt_thread me;
  ASSERT_EQ(wt_thread_join(&me), 0);
  auto start = [](wt_completion *c, void *) { return wt_completion_resolve(c, nullptr); };
  wt_completion *out = reinterpret_cast<wt_completion *>(0x1);
  EXPECT_EQ(wt_await_sync(me, start, nullptr, kHang, &out), WT_EDEADLK);
  EXPECT_EQ(out, nullptr);
  std::atomic<uint64_t> gone{0};
  {
    Thread t([&] {
      wt_thread x;
      ASSERT_EQ(wt_thread_join(&x), 0);
      gone = x.bits;
    });
  }
  wt_completion_stats s0 = CStats();
  out = reinterpret_cast<wt_completion *>(0x1);
  EXPECT_EQ(wt_await_sync(wt_thread{gone.load()}, start, nullptr, kHang, &out), WT_ESTALE);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(wt_await_sync(wt_thread{0xffffffffull}, start, nullptr, kHang, &out), WT_ENOENT);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, AwaitSyncTimeoutCancelsTheCompletion) {
  Server s;
  wt_completion_stats s0 = CStats();
  struct T {
    std::atomic<wt_completion *> c{nullptr};
    Event started;
  } t;
  wt_completion *out = reinterpret_cast<wt_completion *>(0x1);
  int r = wt_await_sync(s.id(), [](wt_completion *c, void *p) {
    wt_completion_retain(c);
    static_cast<T *>(p)->c = c;  // never settles it
    static_cast<T *>(p)->started.Set();
    return 0;
  }, &t, 30, &out);
  EXPECT_EQ(r, WT_ETIMEDOUT);
  EXPECT_EQ(out, nullptr);
  // start ran (or runs) on the target; its completion is canceled, a late settle gets WT_EALREADY.
  ASSERT_TRUE(t.started.Wait());
  wt_completion *c = t.c.load();
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_ECANCELED);
  EXPECT_EQ(wt_completion_resolve(c, nullptr), WT_EALREADY);
  EXPECT_EQ(CStats().canceled, s0.canceled + 1);
  wt_completion_release(c);
  s.Stop();
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, AwaitSyncTimeoutBeforeStartRanNeverLeaks) {
  // The target never serves while we wait: the timeout cancels `c`; start runs later and its settle
  // is refused; nothing leaks.
  Idle s;
  wt_completion_stats s0 = CStats();
  struct St {
    std::atomic<int> started{0}, late{-999};
  } st;
  int r = wt_await_sync(s.id(), [](wt_completion *c, void *p) {
    St *st = static_cast<St *>(p);
    st->started.fetch_add(1);
    st->late.store(wt_completion_resolve(c, nullptr));
    return 0;
  }, &st, 20, nullptr);
  EXPECT_EQ(r, WT_ETIMEDOUT);
  EXPECT_EQ(st.started.load(), 0);
  s.Run([] { EXPECT_EQ(wt_thread_poll(), 1); });
  EXPECT_EQ(st.started.load(), 1);
  EXPECT_EQ(st.late.load(), WT_EALREADY);
  s.Exit();
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, AwaitSyncTargetLeavingGivesECANCELED) {
  wt_completion_stats s0 = CStats();
  // After start ran (the binding cancels it) ...
  {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> id{0};
    Thread target([&] {
      wt_thread x;
      ASSERT_EQ(wt_thread_join(&x), 0);
      id = x.bits;
      wt_thread_serve([](void *p) { return static_cast<std::atomic<bool> *>(p)->load() ? 1 : 0; }, &stop, kHang);
    });  // returns from serving after start, exits: leaves
    while (id.load() == 0) sched_yield();
    wt_completion *out = reinterpret_cast<wt_completion *>(0x1);
    int r = wt_await_sync(wt_thread{id.load()}, [](wt_completion *, void *p) {
      static_cast<std::atomic<bool> *>(p)->store(true);  // the target stops serving and exits
      return 0;
    }, &stop, kHang, &out);
    EXPECT_EQ(r, WT_ECANCELED);
    if (out && out != reinterpret_cast<wt_completion *>(0x1)) wt_completion_release(out);
  }
#ifndef __EMSCRIPTEN__  // wt__proxying_wait_notified: the host backend's stand-in for an idle event loop
  // ... and before start ran (the start record's cancel path cancels it).
  {
    std::atomic<int> started{0};
    std::atomic<uint64_t> id{0};
    Thread target([&] {
      wt_thread x;
      ASSERT_EQ(wt_thread_join(&x), 0);
      id = x.bits;
      // The stand-in for an idle event loop: wakes when the start record arrives, then leaves
      // without running it.
      EXPECT_EQ(wt__proxying_wait_notified(kHang), 0);
      EXPECT_EQ(wt_thread_leave(), 0);
    });
    while (id.load() == 0) sched_yield();
    wt_completion *out = nullptr;
    int r = wt_await_sync(wt_thread{id.load()}, [](wt_completion *, void *p) {
      static_cast<std::atomic<int> *>(p)->fetch_add(1);
      return 0;
    }, &started, kHang, &out);
    EXPECT_EQ(r, WT_ECANCELED);
    EXPECT_EQ(started.load(), 0);
    if (out) wt_completion_release(out);
  }
#endif
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, AwaitSyncServesTheCallersMailbox) {
  // start calls back into the waiting caller synchronously: the caller serves while it waits.
  Server s;
  struct A {
    wt_thread caller;
    std::atomic<pthread_t> on{};
  } a;
  ASSERT_EQ(wt_thread_join(&a.caller), 0);
  int r = wt_await_sync(s.id(), [](wt_completion *c, void *p) {
    A *a = static_cast<A *>(p);
    int rc = wt_call_sync(a->caller, [](wt_call *, void *p) {
      static_cast<A *>(p)->on.store(pthread_self());
      return 0;
    }, a, kHang, nullptr);
    wt_value v = U64(rc == 0 ? 1 : 0);
    return wt_completion_resolve(c, &v);
  }, &a, kHang, nullptr);
  EXPECT_EQ(r, 0);
  EXPECT_TRUE(pthread_equal(a.on.load(), pthread_self()));
}

#ifndef __EMSCRIPTEN__
TEST(Completion, AwaitSyncDefaultTargetIsTheUIThreadAndTheUIThreadIsRefused) {
  std::atomic<bool> quit{false};
  Event up;
  std::atomic<int> ui_rc{-999};
  Thread ui([&] {
    ASSERT_EQ(wt_thread_adopt_ui(), 0);
    ui_rc = wt_await_sync(wt_thread_self() /* anything */, [](wt_completion *, void *) { return 0; }, nullptr,
                          kHang, nullptr);
    up.Set();
    wt_thread_serve([](void *p) { return static_cast<std::atomic<bool> *>(p)->load() ? 1 : 0; }, &quit, kHang);
  });
  ASSERT_TRUE(up.Wait());
  EXPECT_EQ(ui_rc.load(), WT_EWOULDBLOCK);
  pthread_t on{};
  int r = wt_await_sync(WT_THREAD_NONE, [](wt_completion *c, void *p) {
    *static_cast<pthread_t *>(p) = pthread_self();
    return wt_completion_resolve(c, nullptr);
  }, &on, kHang, nullptr);
  EXPECT_EQ(r, 0);
  EXPECT_TRUE(pthread_equal(on, ui.native()));
  ASSERT_EQ(wt_post(wt_thread_ui(), [](wt_call *, void *p) { *static_cast<std::atomic<bool> *>(p) = true; return 0; },
                    nullptr, &quit),
            0);
  ui.Join();
}
#endif

// ------------------------------------------------------------------ stats

TEST(Completion, StatsCountEachOutcome) {
  DrainSelf();
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  wt_completion_stats s0 = CStats();
  wt_completion *a = Make(), *b = Make(), *c = Make(), *d = Make(), *e = Make();
  Cont ka, kb;
  ASSERT_EQ(wt_completion_then(a, WT_THREAD_NONE, ContFn, ContCancel, &ka), 0);
  {
    Thread t([&] { ASSERT_EQ(wt_completion_then(b, WT_THREAD_NONE, ContFn, ContCancel, &kb), 0); });
  }  // its thread left: kb canceled
  EXPECT_EQ(wt_completion_resolve(a, nullptr), 0);
  EXPECT_EQ(wt_completion_reject(b, 3, "x"), 0);
  EXPECT_EQ(wt_completion_reject(c, WT_ECANCELED, "as a cancel"), 0);
  EXPECT_EQ(wt_completion_cancel(d), 0);
  EXPECT_EQ(wt_completion_cancel(a), WT_EALREADY);
  EXPECT_EQ(wt_completion_resolve(b, nullptr), WT_EALREADY);
  EXPECT_EQ(wt_thread_poll(), 1);
  wt_completion_release(e);  // pending: canceled
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.created - s0.created, 5u);
  EXPECT_EQ(s1.freed - s0.freed, 1u);
  EXPECT_EQ(s1.live - s0.live, 4u);
  EXPECT_EQ(s1.resolved - s0.resolved, 1u);
  EXPECT_EQ(s1.rejected - s0.rejected, 1u) << "WT_ECANCELED rejections count as canceled";
  EXPECT_EQ(s1.canceled - s0.canceled, 3u);
  EXPECT_EQ(s1.refused - s0.refused, 2u);
  EXPECT_EQ(s1.continuations_run - s0.continuations_run, 1u);
  EXPECT_EQ(s1.continuations_canceled - s0.continuations_canceled, 1u);
  for (wt_completion *x : {a, b, c, d}) wt_completion_release(x);
  EXPECT_EQ(CStats().live, s0.live);
  EXPECT_EQ(CStats().freed - s0.freed, 5u);
}

// A snapshot taken while other threads create and free completions: it is not atomic (live may count
// a completion created during the snapshot), but it never counts more frees than creates, so live
// never goes below zero (wrapping to ~2^64): the order of the two loads matters.
TEST(Completion, StatsLiveIsConsistentWhileOthersChurn) {
  wt_completion_stats s0 = CStats();
  std::atomic<bool> stop{false};
  std::atomic<long> cycles{0};
  Thread churn([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      wt_completion *c = Make();
      wt_completion_release(c);
      cycles.fetch_add(1, std::memory_order_relaxed);
    }
  });
  ASSERT_TRUE(WaitFor([&] { return cycles.load() > 0; }));
  // Read while the other thread churns: until it did enough cycles (or a bad read, or 3 s).
  const long want = WT_TEST_SCALE(1000000, 20000);
  const uint64_t sane = s0.live + 1000000;  // far above anything in flight, far below a wrap
  uint64_t worst = 0;
  long reads = 0, more_freed = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (cycles.load() < want && worst <= sane && (reads & 1023 || std::chrono::steady_clock::now() < until)) {
    wt_completion_stats s = CStats();
    if (s.live > worst) worst = s.live;
    more_freed += s.freed > s.created;
    reads++;
  }
  stop = true;
  churn.Join();
  EXPECT_LE(worst, sane) << "live = created - freed read out of order: " << worst << " (" << reads << " reads, "
                         << cycles.load() << " cycles)";
  EXPECT_EQ(more_freed, 0) << "snapshots with freed > created";
}

// wt_await_sync's timeout racing the target's settle: every return follows the contract (ETIMEDOUT:
// *out NULL and `c` canceled; 0: the value and *out).
TEST(Completion, AwaitSyncTimeoutRacingTheSettle) {
  // The caller waits 0 ms; start settles at t0 + a delay that sweeps 0..16 us across the iterations
  // (t0: when the caller called), so the settles land around the moment the caller's wait gives up.
  struct Shot {
    std::chrono::steady_clock::time_point at;
  };
  const int n = kRaceIters;
  std::vector<Shot> shots(n);  // outlives every start (the server is stopped first)
  Server s;
  wt_completion_stats s0 = CStats();
  int timeouts = 0, ok = 0, bad = 0;
  std::string first;
  for (int i = 0; i < n; i++) {
    shots[i].at = std::chrono::steady_clock::now() + std::chrono::nanoseconds(250 * (i % 64));
    wt_completion *out = nullptr;
    int r = wt_await_sync(s.id(), [](wt_completion *c, void *p) {
      auto at = static_cast<Shot *>(p)->at;
      while (std::chrono::steady_clock::now() < at) {}
      wt_value v = U64(42);
      wt_completion_resolve(c, &v);
      return 0;
    }, &shots[i], 0, &out);
    wt_value v{};
    if (r == WT_ETIMEDOUT && out == nullptr) {
      timeouts++;
    } else if (r == 0 && out && wt_completion_result_get(out, nullptr, &v) == 0 && v.u64 == 42) {
      ok++;
    } else if (bad++ == 0) {
      first = "iteration " + std::to_string(i) + ": rc " + std::to_string(r) + " out " + (out ? "set" : "NULL") +
              (out ? " outcome " + std::to_string(wt_completion_result_get(out, nullptr, nullptr)) : "");
    }
    if (out) wt_completion_release(out);
  }
  EXPECT_EQ(bad, 0) << first << " (" << bad << " bad of " << n << ")";
  s.Stop();
  EXPECT_EQ(CStats().live, s0.live);
  std::printf("[ race ] await_sync: %d timed out, %d resolved\n", timeouts, ok);
}

#ifndef __EMSCRIPTEN__
TEST(Completion, EFULL_WhenTheCallingThreadCannotJoin) {
  // Fill every free registry slot with parked threads; a thread that has not joined then gets WT_EFULL
  // from every call that must join it.
  Server target;
  wt_completion *c = Make();
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> joined{0}, full{0};
  std::vector<std::unique_ptr<Thread>> ts;
  for (int i = 0; i < wt__proxying_max_threads() + 1 && full.load() == 0; i++) {
    ts.emplace_back(new Thread([&] {
      int r = wt_thread_join(nullptr);
      (r == WT_EFULL ? full : joined)++;
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return release; });
    }, 64 << 10));
    ASSERT_TRUE(WaitFor([&] { return joined.load() + full.load() == int(ts.size()); }));
  }
  ASSERT_GE(full.load(), 1);
  struct R {
    int then = -999, bind = -999, wait = -999, await = -999;
  } r;
  Thread outsider([&] {
    Cont k;
    r.then = wt_completion_then(c, WT_THREAD_NONE, ContFn, ContCancel, &k);
    r.bind = wt_completion_bind(c, WT_THREAD_NONE);
    r.wait = wt_completion_wait(c, 0);
    r.await = wt_await_sync(target.id(), [](wt_completion *c, void *) { return wt_completion_resolve(c, nullptr); },
                            nullptr, kHang, nullptr);
  });
  outsider.Join();
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  ts.clear();
  EXPECT_EQ(r.then, WT_EFULL);
  EXPECT_EQ(r.bind, WT_EFULL);
  EXPECT_EQ(r.wait, WT_EFULL);
  EXPECT_EQ(r.await, WT_EFULL);
  EXPECT_EQ(wt_completion_result_get(c, nullptr, nullptr), WT_COMPLETION_PENDING);
  wt_completion_release(c);
}
#endif

// ------------------------------------------------------------------ waiter timeouts

TEST(Completion, ShortWaitTimeoutsDoNotGrowMemory) {
  wt_completion_stats s0 = CStats();
  wt_completion *c = Make();
  const int n = WT_TEST_SCALE(4000, 1000);
  struct R {
    long net_mid = 0, net_end = 0;
    int timeouts = 0, final_rc = -999;
    uint64_t final_value = 0;
  } r;
  Event looped, resolved;
  Thread w([&] {
    ASSERT_EQ(wt_thread_join(nullptr), 0);
    long a0 = 0, f0 = 0;
    for (int i = 0; i < n; i++) {
      if (i == n / 4) {  // warmed up: caches filled
        a0 = wt_test_allocs_self();
        f0 = wt_test_frees_self();
      }
      if (i == n / 2) r.net_mid = (wt_test_allocs_self() - a0) - (wt_test_frees_self() - f0);
      r.timeouts += wt_completion_wait(c, i % 8 == 0 ? 1 : 0) == WT_ETIMEDOUT;
    }
    r.net_end = (wt_test_allocs_self() - a0) - (wt_test_frees_self() - f0);
    looped.Set();
    r.final_rc = wt_completion_wait(c, kHang);
    wt_value v{};
    wt_completion_result_get(c, nullptr, &v);
    r.final_value = v.u64;
  });
  ASSERT_TRUE(looped.Wait());
  wt_value v = U64(0xabcdef);
  ASSERT_EQ(wt_completion_resolve(c, &v), 0);
  w.Join();
  EXPECT_EQ(r.timeouts, n);
  EXPECT_EQ(r.final_rc, 0);
  EXPECT_EQ(r.final_value, 0xabcdefu);
  if (wt_test_allocs_self() >= 0) {
    // Without pruning each timed-out wait would leave its node (and record) behind: ~n/2 net blocks.
    EXPECT_LT(r.net_end, 64) << "net heap blocks kept by " << 3 * n / 4 << " timed-out waits";
    EXPECT_LT(r.net_end - r.net_mid, 40) << "still growing";
  }
  EXPECT_EQ(CStats().live, s0.live + 1);
  wt_completion_release(c);
  EXPECT_EQ(CStats().live, s0.live);
}

TEST(Completion, WaitTimeoutRacingSettle) {
  DrainSelf();
  // A waiter loops with 0 ms timeouts while another thread settles: its last wait sees the value.
  const int n = kRaceIters / 5;
  wt_completion_stats s0 = CStats();
  Barrier go(2);
  wt_completion *cur = nullptr;
  int bad = 0;
  Thread settler([&] {
    for (int i = 0; i < n; i++) {
      go.Arrive();
      wt_value v = U64(i);
      if (i & 1) sched_yield();
      if (wt_completion_resolve(cur, &v) != 0) abort();
      go.Arrive();
    }
  });
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  for (int i = 0; i < n; i++) {
    cur = Make();
    go.Arrive();
    int r;
    while ((r = wt_completion_wait(cur, 0)) == WT_ETIMEDOUT) {}
    wt_value v{};
    if (r != 0 || wt_completion_result_get(cur, nullptr, &v) != 0 || v.u64 != uint64_t(i)) bad++;
    go.Arrive();
    wt_completion_release(cur);
    wt_thread_poll();  // a node dispatched after its wait returned: its record runs here
  }
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(CStats().live, s0.live);
  EXPECT_EQ(wt_thread_poll(), 0);
}

// ------------------------------------------------------------------ races (exactly one outcome)

// (a) resolve vs cancel from two threads, with a continuation on the main thread.
TEST(Completion, RaceResolveVsCancel) {
  DrainSelf();
  ASSERT_EQ(wt_thread_join(nullptr), 0);
  wt_completion_stats s0 = CStats();
  const int n = kRaceIters;
  Barrier go(3), done(3);
  wt_completion *cur = nullptr;
  int rres = 0, rcan = 0;
  std::atomic<int> loser_pending{0};
  Thread resolver([&] {
    for (int i = 0; i < n; i++) {
      go.Arrive();
      wt_value v = U64(i);
      Jitter(i, 1);
      rres = wt_completion_resolve(cur, &v);
      if (rres == WT_EALREADY && wt_completion_result_get(cur, nullptr, nullptr) == WT_COMPLETION_PENDING) loser_pending++;
      done.Arrive();
    }
  });
  Thread canceler([&] {
    for (int i = 0; i < n; i++) {
      go.Arrive();
      Jitter(i, 2);
      rcan = wt_completion_cancel(cur);
      if (rcan == WT_EALREADY && wt_completion_result_get(cur, nullptr, nullptr) == WT_COMPLETION_PENDING) loser_pending++;
      done.Arrive();
    }
  });
  int bad = 0, resolved = 0;
  std::string first;
  for (int i = 0; i < n; i++) {
    cur = Make();
    Cont k;
    if (wt_completion_then(cur, WT_THREAD_NONE, ContFn, ContCancel, &k) != 0) bad++;
    go.Arrive();
    done.Arrive();
    int polled = wt_thread_poll();
    wt_value v{};
    int out = wt_completion_result_get(cur, nullptr, &v);
    bool ok = polled == 1 && k.ran.load() == 1 && k.canceled.load() == 0 &&
              ((rres == 0 && rcan == WT_EALREADY && out == 0 && v.kind == WT_VALUE_U64 && v.u64 == uint64_t(i) &&
                k.status == 0 && k.value.u64 == uint64_t(i)) ||
               (rcan == 0 && rres == WT_EALREADY && out == WT_ECANCELED && k.status == WT_ECANCELED));
    resolved += rres == 0;
    if (!ok && bad++ == 0)
      first = "iteration " + std::to_string(i) + ": resolve " + std::to_string(rres) + " cancel " +
              std::to_string(rcan) + " outcome " + std::to_string(out) + " polled " + std::to_string(polled) +
              " fn " + std::to_string(k.ran.load()) + " cancel " + std::to_string(k.canceled.load());
    wt_completion_release(cur);
  }
  EXPECT_EQ(bad, 0) << first;
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.live, s0.live);
  EXPECT_EQ(s1.resolved - s0.resolved, uint64_t(resolved));
  EXPECT_EQ(s1.canceled - s0.canceled, uint64_t(n - resolved));
  EXPECT_EQ(s1.refused - s0.refused, uint64_t(n));
  EXPECT_EQ(s1.continuations_run - s0.continuations_run, uint64_t(n));
  EXPECT_EQ(s1.continuations_canceled - s0.continuations_canceled, 0u);
  std::printf("[ race ] resolve won %d of %d; a loser read PENDING after WT_EALREADY %d times\n", resolved, n,
              loser_pending.load());
}

// (b) resolve vs the bound thread's exit, with a third thread blocked in wt_completion_wait.
TEST(Completion, RaceResolveVsBoundThreadExit) {
  DrainSelf();
  wt_completion_stats s0 = CStats();
  const int n = kRaceIters;
  Barrier in(2), go(3), done(3);
  wt_completion *cur = nullptr;
  int rres = 0, wrc = 0;
  std::atomic<uint64_t> waiter_id{0};
  Thread resolver([&] {
    for (int i = 0; i < n; i++) {
      go.Arrive();
      wt_value v = U64(i);
      if (i % 3 == 1) sched_yield();
      Jitter(i, 3);
      rres = wt_completion_resolve(cur, &v);
      done.Arrive();
    }
  });
  Thread waiter([&] {
    wt_thread me;
    if (wt_thread_join(&me) != 0) abort();
    waiter_id = me.bits;
    for (int i = 0; i < n; i++) {
      in.Arrive();
      wrc = wt_completion_wait(cur, kHang);
      done.Arrive();
    }
  });
  while (waiter_id.load() == 0) sched_yield();
  int bad = 0, resolved = 0, held = 0, held_first = -1;
  std::string first;
  for (int i = 0; i < n; i++) {
    cur = Make();
    int brc = -999;
    // Every other iteration the binding is made from here, through a record the owner may never serve
    // (its cancel path then cancels `cur`) or serves just before it exits.
    const bool from_here = i & 1;
    std::atomic<uint64_t> owner_id{0};
    std::unique_ptr<Thread> owner(new Thread([&] {
      if (from_here) {
        wt_thread me;
        if (wt_thread_join(&me) != 0) abort();
        owner_id = me.bits;
      } else {
        brc = wt_completion_bind(cur, WT_THREAD_NONE);  // joins; bound to this thread
      }
      go.Arrive();
      if (i % 3 == 2) sched_yield();
      Jitter(i, 4);
      if (i % 4 == 3) wt_thread_poll();
    }));  // returns: leaves at exit, canceling `cur` if it is pending
    if (from_here) {
      if (!WaitFor([&] { return owner_id.load() != 0; })) abort();
      brc = wt_completion_bind(cur, wt_thread{owner_id.load()});
    }
    Cont k;  // and a continuation here, which must see the same outcome
    int trc = wt_completion_then(cur, WT_THREAD_NONE, ContFn, ContCancel, &k);
    in.Arrive();
    // The waiter is inside its wait once a call to it runs (it serves only there).
    int probe = wt_call_sync(wt_thread{waiter_id.load()}, Nop, nullptr, kHang, nullptr);
    go.Arrive();
    owner->Join();
    done.Arrive();
    wt_value v{};
    int out = wt_completion_result_get(cur, nullptr, &v);
    int polled = wt_thread_poll();
    bool ok = brc == 0 && probe == 0 && trc == 0 && polled == 1 && k.ran.load() == 1 && k.canceled.load() == 0 &&
              k.status == out &&
              ((rres == 0 && out == 0 && wrc == 0 && v.u64 == uint64_t(i)) ||
               (rres == WT_EALREADY && out == WT_ECANCELED && wrc == WT_ECANCELED));
    resolved += rres == 0;
    if (!ok && bad++ == 0)
      first = "iteration " + std::to_string(i) + ": bind " + std::to_string(brc) + " probe " +
              std::to_string(probe) + " resolve " + std::to_string(rres) + " outcome " + std::to_string(out) +
              " wait " + std::to_string(wrc) + " then " + std::to_string(trc) + " polled " + std::to_string(polled) +
              " fn " + std::to_string(k.ran.load()) + " saw " + std::to_string(k.status);
    wt_completion_release(cur);
    // Everyone is done with `cur` (the owner exited, the resolver and the waiter returned): nothing may
    // keep it alive — not the waiter's wake-up record still queued to the waiter (it serves only in
    // its next wait).
    if (CStats().live != s0.live && held++ == 0) held_first = i;
  }
  EXPECT_EQ(bad, 0) << first;
  EXPECT_EQ(held, 0) << "iterations whose completion outlived every reference (first: " << held_first << ")";
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.resolved - s0.resolved, uint64_t(resolved));
  EXPECT_EQ(s1.canceled - s0.canceled, uint64_t(n - resolved));
  EXPECT_EQ(s1.continuations_run - s0.continuations_run, uint64_t(n));
  EXPECT_EQ(s1.continuations_canceled - s0.continuations_canceled, 0u);
  std::printf("[ race ] resolve won %d of %d\n", resolved, n);
}

// (c) cancel vs the exit of a thread that registered a continuation on itself.
TEST(Completion, RaceCancelVsContinuationThreadExit) {
  wt_completion_stats s0 = CStats();
  const int n = kRaceIters;
  Barrier go(3), done(2);
  wt_completion *cur = nullptr;
  int rcan = 0;
  Thread canceler([&] {
    for (int i = 0; i < n; i++) {
      go.Arrive();
      if (i % 3 == 1) sched_yield();
      Jitter(i, 5);
      rcan = wt_completion_cancel(cur);
      done.Arrive();
    }
  });
  int bad = 0, ran = 0;
  std::string first;
  for (int i = 0; i < n; i++) {
    cur = Make();
    Cont k;
    int trc = -999;
    std::unique_ptr<Thread> w(new Thread([&] {
      trc = wt_completion_then(cur, WT_THREAD_NONE, ContFn, ContCancel, &k);  // joins
      go.Arrive();
      Jitter(i, 6);
      if (i & 1) {  // the continuation may run here, if the cancel came first
        for (int y = 0; y < i % 7; y++) sched_yield();
        wt_thread_poll();
      }
    }));  // exits: leaves
    go.Arrive();
    w->Join();
    done.Arrive();
    bool ok = trc == 0 && rcan == 0 && k.runs() == 1 && pthread_equal(k.on.load(), w->native()) &&
              (k.canceled.load() == 1 || k.status == WT_ECANCELED) &&
              wt_completion_result_get(cur, nullptr, nullptr) == WT_ECANCELED;
    ran += k.ran.load();
    if (!ok && bad++ == 0)
      first = "iteration " + std::to_string(i) + ": then " + std::to_string(trc) + " cancel " + std::to_string(rcan) +
              " fn " + std::to_string(k.ran.load()) + " cancel fn " + std::to_string(k.canceled.load());
    wt_completion_release(cur);
  }
  EXPECT_EQ(bad, 0) << first;
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.live, s0.live);
  EXPECT_EQ((s1.continuations_run - s0.continuations_run) + (s1.continuations_canceled - s0.continuations_canceled),
            uint64_t(n));
  EXPECT_EQ(s1.continuations_run - s0.continuations_run, uint64_t(ran));
  std::printf("[ race ] continuation ran %d of %d (else its cancel)\n", ran, n);
}

// (d) resolve vs wt_thread_leave of the thread a continuation is registered on (itself).
TEST(Completion, RaceContinuationVsItsThreadLeaving) {
  wt_completion_stats s0 = CStats();
  const int n = kRaceIters;
  Barrier ready(3), go(3), done(3);
  wt_completion *cur = nullptr;
  Cont *k = nullptr;
  int rres = 0, trc = 0, lrc = 0;
  pthread_t tthread{};
  Thread t([&] {
    tthread = pthread_self();
    for (int i = 0; i < n; i++) {
      ready.Arrive();
      trc = wt_completion_then(cur, WT_THREAD_NONE, ContFn, ContCancel, k);  // joins (a new generation)
      go.Arrive();
      Jitter(i, 7);
      if (i & 1) wt_thread_poll();
      lrc = wt_thread_leave();
      done.Arrive();
    }
  });
  Thread resolver([&] {
    for (int i = 0; i < n; i++) {
      ready.Arrive();
      go.Arrive();
      if (i % 3 == 1) sched_yield();
      Jitter(i, 8);
      wt_value v = U64(i);
      rres = wt_completion_resolve(cur, &v);
      done.Arrive();
    }
  });
  int bad = 0, ran = 0;
  std::string first;
  for (int i = 0; i < n; i++) {
    cur = Make();
    Cont kk;
    k = &kk;
    ready.Arrive();
    go.Arrive();
    done.Arrive();
    bool ok = trc == 0 && rres == 0 && lrc == 0 && kk.runs() == 1 && pthread_equal(kk.on.load(), tthread) &&
              (kk.canceled.load() == 1 || (kk.status == 0 && kk.value.u64 == uint64_t(i)));
    ran += kk.ran.load();
    if (!ok && bad++ == 0)
      first = "iteration " + std::to_string(i) + ": then " + std::to_string(trc) + " resolve " + std::to_string(rres) +
              " leave " + std::to_string(lrc) + " fn " + std::to_string(kk.ran.load()) + " cancel fn " +
              std::to_string(kk.canceled.load());
    wt_completion_release(cur);
  }
  EXPECT_EQ(bad, 0) << first;
  wt_completion_stats s1 = CStats();
  EXPECT_EQ(s1.live, s0.live);
  EXPECT_EQ((s1.continuations_run - s0.continuations_run) + (s1.continuations_canceled - s0.continuations_canceled),
            uint64_t(n));
  std::printf("[ race ] continuation ran %d of %d (else its cancel)\n", ran, n);
}

}  // namespace
