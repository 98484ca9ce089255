// Diagnostics (diag/, webthreads/diag.h): the dump a watchdog prints for a stuck run must say who
// exists, what each sleeper waits for (a sync call's target, a completion, ...), how deep each mailbox
// is, and the leak counters must come back to their baseline. Host (plain, TSan, ASan) and wasm.
#include "webthreads/diag.h"

#include "test/unit/test_threads.h"
#include "webthreads/completion.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <set>
#include <string>
#include <vector>

extern "C" void wtt_diag_sleep_until_woken(int kind, uint64_t detail); // diag_helper.c
extern "C" void wtt_diag_wake(void);

namespace {

using wtt::Event;
using wtt::Thread;
using wtt::WaitFor;

std::vector<wt_diag_wait> Waits() {
  std::vector<wt_diag_wait> w(WT_DIAG_WAITS_MAX);
  int n = wt_diag_waits(w.data(), (int)w.size());
  w.resize(n < (int)w.size() ? n : w.size());
  return w;
}

bool Sleeping(wt_wait_kind kind, uint64_t detail, wt_diag_wait *found = nullptr) {
  for (const wt_diag_wait &w : Waits())
    if (w.kind == kind && w.detail == detail) {
      if (found) *found = w;
      return true;
    }
  return false;
}

std::vector<wt_diag_thread> Threads() {
  std::vector<wt_diag_thread> t(1024);
  int n = wt_diag_threads(t.data(), (int)t.size());
  t.resize(n);
  return t;
}

std::string Dump() {
  std::vector<char> buf(1 << 16);
  size_t need = wt_diag_dump(buf.data(), buf.size());
  EXPECT_LT(need, buf.size());
  return buf.data();
}

std::string Hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%016llx", (unsigned long long)v);
  return b;
}

uint64_t RecordsInUse() {
  wt_proxying_stats s;
  wt_proxying_stats_get(&s);
  return s.records_in_use;
}

// A joined thread that does not serve (busy in its own code) holds a sync call in its mailbox: the
// caller sleeps in call_sync naming the target, the target shows mailbox=1.
TEST(Diag, ASyncCallersSleepNamesItsTargetAndTheMailboxShowsTheCall) {
  std::atomic<uint64_t> target{0};
  Event go, served;
  Thread owner([&] {
    wt_thread me;
    ASSERT_EQ(wt_thread_join(&me), 0);
    target = me.bits;
    ASSERT_TRUE(go.Wait());
    wt_thread_poll(); // runs the call
    served.Set();
    wt_thread_leave();
  });
  ASSERT_TRUE(WaitFor([&] { return target.load() != 0; }));
  uint64_t records0 = RecordsInUse();
  std::atomic<uint64_t> caller_os{0};
  Thread caller([&] {
    caller_os = (uint64_t)(uintptr_t)pthread_self();
    wt_result res;
    EXPECT_EQ(wt_call_sync(wt_thread{target}, [](wt_call *, void *) { return 0; }, nullptr, wtt::kHang, &res), 0);
    wt_thread_leave();
  });
  wt_diag_wait w{};
  ASSERT_TRUE(WaitFor([&] { return Sleeping(WT_WAIT_CALL, target, &w); })) << Dump();
  EXPECT_EQ((uint64_t)w.os_thread, caller_os.load());
  EXPECT_NE(w.thread.bits, 0u) << "the caller joined the registry: the sleeper must carry its id";
  EXPECT_LE(w.since_ms, wt_diag_now_ms());
  bool seen_target = false, seen_caller = false;
  for (const wt_diag_thread &t : Threads()) {
    if (t.id.bits == target) {
      seen_target = true;
      EXPECT_EQ(t.mailbox, 1u);
      EXPECT_EQ(t.waits, 0u) << "the owner is not inside a library wait";
    }
    if (t.id.bits == w.thread.bits) {
      seen_caller = true;
      EXPECT_EQ(t.waits, 1u);
    }
  }
  EXPECT_TRUE(seen_target && seen_caller);
  EXPECT_EQ(RecordsInUse(), records0 + 1) << "the queued call holds one record";
  std::string d = Dump();
  EXPECT_NE(d.find("call_sync to thread " + Hex(target)), std::string::npos) << d;
  EXPECT_NE(d.find("thread " + Hex(target) + " os="), std::string::npos) << d;
  EXPECT_NE(d.find("mailbox=1"), std::string::npos) << d;
  EXPECT_NE(d.find("proxying: threads_live="), std::string::npos) << d;
  EXPECT_NE(d.find("handles: live="), std::string::npos) << d;
  EXPECT_NE(d.find("completion: live="), std::string::npos) << d;
  go.Set();
  caller.Join();
  owner.Join();
  EXPECT_FALSE(Sleeping(WT_WAIT_CALL, target)) << "an answered caller is awake";
  EXPECT_EQ(RecordsInUse(), records0) << "the call's record went back";
}

// wt_completion_wait and wt_await_sync name the completion they wait for.
TEST(Diag, ACompletionWaitNamesTheCompletion) {
  wt_completion *c = nullptr;
  ASSERT_EQ(wt_completion_create(&c), 0);
  Thread waiter([&] {
    EXPECT_EQ(wt_completion_wait(c, wtt::kHang), 0);
    wt_thread_leave();
  });
  ASSERT_TRUE(WaitFor([&] { return Sleeping(WT_WAIT_COMPLETION, (uint64_t)(uintptr_t)c); })) << Dump();
  char hex[32];
  snprintf(hex, sizeof hex, "c=0x%llx", (unsigned long long)(uintptr_t)c);
  EXPECT_NE(Dump().find(std::string("completion ") + hex), std::string::npos) << Dump();
  wt_value v = {};
  ASSERT_EQ(wt_completion_resolve(c, &v), 0);
  waiter.Join();
  EXPECT_FALSE(Sleeping(WT_WAIT_COMPLETION, (uint64_t)(uintptr_t)c));
  wt_completion_release(c);
}

// A thread that never joined the registry is listed among the sleepers with WT_THREAD_NONE, with the
// reason its wait gave.
TEST(Diag, ASleeperOutsideTheRegistryIsListedWithItsReason) {
  Thread plain([] { wtt_diag_sleep_until_woken(WT_WAIT_WORKER, 0x1234); });
  wt_diag_wait w{};
  ASSERT_TRUE(WaitFor([&] { return Sleeping(WT_WAIT_WORKER, 0x1234, &w); })) << Dump();
  EXPECT_EQ(w.thread.bits, WT_THREAD_NONE.bits);
  EXPECT_NE(Dump().find("not joined: os="), std::string::npos) << Dump();
  EXPECT_NE(Dump().find("worker (its new pthread 0x1234)"), std::string::npos) << Dump();
  wtt_diag_wake();
  plain.Join();
  EXPECT_FALSE(Sleeping(WT_WAIT_WORKER, 0x1234));
}

// Call records of every kind come back: the leak counter returns to its baseline.
TEST(Diag, RecordsInUseReturnsToItsBaselineAfterEveryKindOfCall) {
  wtt::Server srv;
  uint64_t records0 = RecordsInUse();
  static std::atomic<int> done;
  done = 0;
  const int n = WT_TEST_SCALE(300, 100);
  for (int i = 0; i < n; i++) {
    ASSERT_EQ(wt_call_sync(srv.id(), [](wt_call *, void *) { return 0; }, nullptr, wtt::kHang, nullptr), 0);
    ASSERT_EQ(wt_call_async(srv.id(), [](wt_call *, void *) { return 0; }, nullptr,
                            [](const wt_result *, void *) { done++; }, nullptr),
              0);
    ASSERT_EQ(wt_post(srv.id(), [](wt_call *, void *) { return 0; }, nullptr, nullptr), 0);
  }
  ASSERT_TRUE(wtt::ServeUntil([&] { return done.load() == n; }));
  ASSERT_TRUE(WaitFor([&] { return RecordsInUse() == records0; }))
      << "records in use " << RecordsInUse() << " vs " << records0 << " before";
}

TEST(Diag, DumpIsCutLikeSnprintfAndKindsHaveNames) {
  char small[16];
  memset(small, 'x', sizeof small);
  size_t need = wt_diag_dump(small, sizeof small);
  EXPECT_GT(need, sizeof small);
  EXPECT_EQ(strlen(small), sizeof small - 1);
  EXPECT_GT(wt_diag_dump(nullptr, 0), sizeof small); // n 0: the length only
  std::set<std::string> names;
  for (int k = 0; k < WT_WAIT_KIND_COUNT; k++) EXPECT_TRUE(names.insert(wt_wait_kind_name((wt_wait_kind)k)).second);
  EXPECT_STREQ(wt_wait_kind_name(WT_WAIT_CALL), "call_sync");
  EXPECT_STREQ(wt_wait_kind_name((wt_wait_kind)999), "?");
}

}  // namespace
