// Handle tables and release (handles/): generations and refusals, two-sided ownership, release from any
// thread batched to the owner (also while it is blocked in a sync call or not serving at all), force
// dispose at exit, no allocation on the release path. Runs natively (plain, TSan, ASan) with C values
// standing in for JS values, and under node/Chromium, where the JS table is exercised too. Tests wait
// for the event they expect; deadlines only turn a hang into a failure.
#include "webthreads/handles.h"

#include "webthreads/completion.h"

#include "handles/internal.h"
#include "proxying/internal.h"
#include "test/unit/test_threads.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <memory>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#endif

extern "C" long wt_test_allocs_self(void);
extern "C" double wt__now_ms(void);  // common/wait.h (a C header)

namespace {

using wtt::Event;
using wtt::kHang;
using wtt::Server;
using wtt::ServeUntil;
using wtt::RunOn;
using wtt::Thread;

wt_handles_stats HStats() {
  wt_handles_stats s;
  wt_handles_stats_get(&s);
  return s;
}

// A C value standing in for a JS object: counts its frees and remembers the thread that freed it.
struct Obj {
  std::atomic<int> freed{0};
  std::atomic<pthread_t> freed_on{};
};

void FreeObj(void *p) {
  Obj *o = static_cast<Obj *>(p);
  o->freed_on.store(pthread_self());
  o->freed.fetch_add(1);
}

// Runs fn on a fresh joined thread and waits for it (so the thread's table is its own).
void OnThread(const std::function<void()> &fn) {
  Thread t([&] {
    ASSERT_EQ(wt_thread_join(nullptr), 0);
    fn();
    wt_thread_leave();
  });
  t.Join();
}

TEST(Handles, HandleBitsNameOwnerAndEntry) {
  OnThread([] {
    Obj o;
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    EXPECT_NE(h.bits, 0u);
    EXPECT_TRUE(wt_thread_equal(wt_handle_owner(h), wt_thread_self()));
    void *v = nullptr;
    EXPECT_EQ(wt_handle_get(h, &v), 0);
    EXPECT_EQ(v, &o);
    // Routing by the affinity of handle arguments: owners come from the bits alone.
    wt_thread owners[2] = {wt_handle_owner(h), WT_THREAD_NONE}, target;
    EXPECT_EQ(wt_thread_by_affinity(owners, 2, &target), 0);
    EXPECT_TRUE(wt_thread_equal(target, wt_thread_self()));
    EXPECT_TRUE(wt_thread_equal(wt_handle_owner(WT_HANDLE_NONE), WT_THREAD_NONE));
    EXPECT_EQ(wt_handle_release_local(h), 0);
    EXPECT_EQ(wt_handle_release(h), 0);
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(o.freed.load(), 1);
  });
}

TEST(Handles, EHANDLE_FORGED_ForZeroAndNeverIssuedBits) {
  OnThread([] {
    Obj o;
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    uint64_t before = HStats().forged;
    EXPECT_EQ(wt_handle_release(WT_HANDLE_NONE), WT_EHANDLE_FORGED);
    EXPECT_EQ(wt_handle_release(wt_handle{~0ull}), WT_EHANDLE_FORGED);
    EXPECT_EQ(wt_handle_release(wt_handle{h.bits + (1ull << 52)}), WT_EHANDLE_FORGED);  // a later use of the entry
    EXPECT_EQ(wt_handle_release(wt_handle{h.bits + (1000ull << 32)}), WT_EHANDLE_FORGED);  // never handed out
    EXPECT_EQ(wt_handle_release(wt_handle{h.bits + (1ull << 10)}), WT_EHANDLE_FORGED);  // owner gen not issued
    EXPECT_EQ(wt_handle_get(wt_handle{h.bits + (1000ull << 32)}, nullptr), WT_EHANDLE_FORGED);
    EXPECT_EQ(HStats().forged - before, 6u);
    EXPECT_EQ(o.freed.load(), 0);  // nothing of the real entry was touched
    EXPECT_EQ(wt_handle_get(h, nullptr), 0);
    EXPECT_EQ(wt_handle_release_local(h), 0);
    EXPECT_EQ(wt_handle_release(h), 0);
    wt_handles_apply();
    EXPECT_EQ(o.freed.load(), 1);
  });
}

TEST(Handles, EHANDLE_STALE_ForDoubleReleaseAndReusedEntry) {
  OnThread([] {
    Obj a, b;
    wt_handle ha, hb;
    ASSERT_EQ(wt_handle_register(&a, FreeObj, &ha), 0);
    ASSERT_EQ(wt_handle_release_local(ha), 0);
    EXPECT_EQ(wt_handle_release_local(ha), WT_EHANDLE_STALE);  // that side let go already
    uint64_t before = HStats().stale;
    ASSERT_EQ(wt_handle_release(ha), 0);
    EXPECT_EQ(wt_handle_release(ha), WT_EHANDLE_STALE);  // double, before it is applied
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(a.freed.load(), 1);
    EXPECT_EQ(wt_handle_release(ha), WT_EHANDLE_STALE);  // double, after it was freed
    // The index comes back with the next generation: the old handle never touches the new object.
    ASSERT_EQ(wt_handle_register(&b, FreeObj, &hb), 0);
    EXPECT_EQ(hb.bits & 0x000fffff00000000ull, ha.bits & 0x000fffff00000000ull) << "same entry index reused";
    EXPECT_NE(hb.bits, ha.bits);
    EXPECT_EQ(wt_handle_release(ha), WT_EHANDLE_STALE);
    EXPECT_EQ(wt_handle_release_local(ha), WT_EHANDLE_STALE);
    EXPECT_EQ(wt_handle_get(ha, nullptr), WT_EHANDLE_STALE);
    EXPECT_EQ(wt_handles_apply(), 0);
    EXPECT_EQ(b.freed.load(), 0);
    EXPECT_EQ(wt_handle_get(hb, nullptr), 0);
    EXPECT_EQ(HStats().stale - before, 5u);
    EXPECT_EQ(a.freed.load(), 1);  // never freed twice
    wt_handle_release_local(hb);
    wt_handle_release(hb);
    wt_handles_apply();
  });
}

TEST(Handles, TwoSidedManagedFirst) {
  OnThread([] {
    Obj o;
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    ASSERT_EQ(wt_handle_release(h), 0);
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(o.freed.load(), 0) << "the JS side still holds it";
    EXPECT_EQ(wt_handle_get(h, nullptr), 0) << "still readable by its owner";
    ASSERT_EQ(wt_handle_release_local(h), 0);
    EXPECT_EQ(o.freed.load(), 1);
    EXPECT_EQ(wt_handle_get(h, nullptr), WT_EHANDLE_STALE);
  });
}

TEST(Handles, TwoSidedLocalFirst) {
  OnThread([] {
    Obj o;
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    ASSERT_EQ(wt_handle_release_local(h), 0);
    EXPECT_EQ(o.freed.load(), 0) << "the managed side still holds it";
    ASSERT_EQ(wt_handle_release(h), 0);
    EXPECT_EQ(o.freed.load(), 0) << "applied on the owner when it serves, not in the release";
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(o.freed.load(), 1);
  });
}

TEST(Handles, TwoSidedLocalReleaseWhileManagedPending) {
  OnThread([] {
    Obj o;
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    ASSERT_EQ(wt_handle_release(h), 0);        // accepted, not applied yet
    ASSERT_EQ(wt_handle_release_local(h), 0);  // the batch frees it
    EXPECT_EQ(o.freed.load(), 0);
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(o.freed.load(), 1);
  });
}

TEST(Handles, ENOT_OWNER_ForLookupsOnAnotherThread) {
  Obj o;
  std::atomic<uint64_t> hb{0};
  Event made, checked;
  Thread owner([&] {
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    hb = h.bits;
    made.Set();
    ASSERT_TRUE(checked.Wait());
    wt_handle_release_local(h);
    wt_thread_leave();
  });
  ASSERT_TRUE(made.Wait());
  wt_handle h{hb.load()};
  EXPECT_EQ(wt_handle_get(h, nullptr), WT_ENOT_OWNER);
  EXPECT_EQ(wt_handle_release_local(h), WT_ENOT_OWNER);
  checked.Set();
  owner.Join();
  EXPECT_EQ(o.freed.load(), 1) << "force-disposed when its owner left";
}

TEST(Handles, EOWNER_GONE_AfterExitAndObjectsDisposedOnTheOwner) {
  Obj held, released_js;
  std::atomic<uint64_t> h1{0}, h2{0};
  pthread_t owner_thread{};
  uint64_t disposed0 = HStats().force_disposed;
  Thread owner([&] {
    wt_handle a, b;
    ASSERT_EQ(wt_handle_register(&held, FreeObj, &a), 0);
    ASSERT_EQ(wt_handle_register(&released_js, FreeObj, &b), 0);
    ASSERT_EQ(wt_handle_release_local(b), 0);
    h1 = a.bits;
    h2 = b.bits;
    owner_thread = pthread_self();
    // exits without leaving: the router's exit destructor leaves, and the table is disposed then
  });
  owner.Join();
  EXPECT_EQ(held.freed.load(), 1);
  EXPECT_EQ(released_js.freed.load(), 1);
  EXPECT_TRUE(pthread_equal(held.freed_on.load(), owner_thread)) << "disposed on the exiting owner";
  EXPECT_EQ(HStats().force_disposed - disposed0, 2u);
  uint64_t gone0 = HStats().owner_gone;
  EXPECT_EQ(wt_handle_release(wt_handle{h1.load()}), WT_EOWNER_GONE);
  EXPECT_EQ(wt_handle_release(wt_handle{h2.load()}), WT_EOWNER_GONE);
  EXPECT_EQ(wt_handle_get(wt_handle{h1.load()}, nullptr), WT_EOWNER_GONE);
  EXPECT_EQ(HStats().owner_gone - gone0, 3u);
  EXPECT_EQ(held.freed.load(), 1) << "never freed twice";
  // The slot's next thread gets a fresh table: the old handles never name its entries.
  Obj o;  // outlives the thread: its leave disposes of it
  OnThread([&] {
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    EXPECT_NE(wt_handle_release(wt_handle{h1.load()}), 0);
    EXPECT_EQ(wt_handle_get(h, nullptr), 0);
    EXPECT_EQ(o.freed.load(), 0);
  });
}

TEST(Handles, EHANDLES_FULL_AtTheTableBound) {
  OnThread([] {
    uint32_t max = wt__handles_max();
    std::vector<wt_handle> hs(max);
    for (uint32_t i = 0; i < max; i++) ASSERT_EQ(wt_handle_register(nullptr, nullptr, &hs[i]), 0) << i;
    wt_handle extra;
    EXPECT_EQ(wt_handle_register(nullptr, nullptr, &extra), WT_EHANDLES_FULL);
    EXPECT_NE(std::string(wt_strerror(WT_EHANDLES_FULL)).find("WT_HANDLES_MAX"), std::string::npos);
    // One freed entry makes room again.
    ASSERT_EQ(wt_handle_release_local(hs[7]), 0);
    ASSERT_EQ(wt_handle_release(hs[7]), 0);
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(wt_handle_register(nullptr, nullptr, &extra), 0);
    // (the thread's leave disposes the rest)
  });
}

TEST(Handles, IndexRetiredWhenItsGenerationWouldWrap) {
  OnThread([] {
    uint64_t retired0 = HStats().retired;
    wt_handle first{}, h{};
    std::vector<wt_handle> old;
    // With one entry in play, the FIFO free list hands the same index back every time.
    for (int i = 0; i < 4095; i++) {
      ASSERT_EQ(wt_handle_register(nullptr, nullptr, &h), 0);
      if (i == 0) first = h;
      EXPECT_EQ(h.bits & 0x000fffff00000000ull, first.bits & 0x000fffff00000000ull);
      if (i % 512 == 0) old.push_back(h);
      ASSERT_EQ(wt_handle_release_local(h), 0);
      ASSERT_EQ(wt_handle_release(h), 0);
      ASSERT_EQ(wt_handles_apply(), 1);
    }
    EXPECT_EQ(HStats().retired - retired0, 1u);
    ASSERT_EQ(wt_handle_register(nullptr, nullptr, &h), 0);
    EXPECT_NE(h.bits & 0x000fffff00000000ull, first.bits & 0x000fffff00000000ull) << "a retired index is never reused";
    for (wt_handle o : old) EXPECT_EQ(wt_handle_release(o), WT_EHANDLE_STALE);
  });
}

// Releases made while the owner does not serve are all kept (one bit per entry: nothing can fill up)
// and applied in one batch task when it serves: one mailbox task per batch, none per release.
TEST(Handles, OwnerNotServingLosesNothingAndBlocksNoProducer) {
  const int kN = WT_TEST_SCALE(200000, 20000), kProducers = 4;
  std::vector<wt_handle> hs(kN);
  std::unique_ptr<std::atomic<int>[]> hits(new std::atomic<int>[kN]);
  std::atomic<int> producers_done{0};
  std::atomic<long> bad{0};
  Event registered, released, served;
  uint64_t applied_at_registration = 0;
  static std::atomic<int> *g_hits;
  g_hits = hits.get();
  pthread_t owner_thread{};
  Thread owner([&] {
    owner_thread = pthread_self();
    for (int i = 0; i < kN; i++) {
      hits[i] = 0;
      ASSERT_EQ(wt_handle_register(reinterpret_cast<void *>(static_cast<uintptr_t>(i + 1)),
                                   [](void *p) { g_hits[reinterpret_cast<uintptr_t>(p) - 1].fetch_add(1); }, &hs[i]),
                0);
      ASSERT_EQ(wt_handle_release_local(hs[i]), 0);
    }
    applied_at_registration = HStats().applied;
    registered.Set();
    // Not serving: blocked outside the library until every producer has returned.
    ASSERT_TRUE(released.Wait()) << "a producer blocked or lost its way";
    wt_handles_stats s0 = HStats();
    EXPECT_EQ(s0.applied, applied_at_registration) << "nothing is applied before the owner serves";
    EXPECT_EQ(wt__proxying_pending_self(), 1) << "one batch task for all of them";
    int ran = wt_thread_poll();
    EXPECT_EQ(ran, 1);
    wt_handles_stats s1 = HStats();
    EXPECT_EQ(s1.applied - s0.applied, static_cast<uint64_t>(kN));
    EXPECT_EQ(s1.batches - s0.batches, 1u);
    served.Set();
    wt_thread_leave();
  });
  ASSERT_TRUE(registered.Wait());
  uint64_t applied0 = HStats().applied;
  {
    std::vector<std::unique_ptr<Thread>> ps;
    for (int p = 0; p < kProducers; p++) {
      ps.emplace_back(new Thread([&, p] {
        for (int i = p; i < kN; i += kProducers)
          if (wt_handle_release(hs[i]) != 0) bad++;
        if (producers_done.fetch_add(1) + 1 == kProducers) released.Set();
      }));
    }
  }
  EXPECT_EQ(bad.load(), 0);
  ASSERT_TRUE(served.Wait());
  owner.Join();
  EXPECT_GE(HStats().applied - applied0, static_cast<uint64_t>(kN));
  for (int i = 0; i < kN; i++) ASSERT_EQ(hits[i].load(), 1) << "entry " << i;
}

// The acceptance flood: 4 producers x N releases to 2 owners; owner A serves its event loop, owner B
// is blocked in wt_call_sync for the whole of each round (its target returns only once B has applied
// the round's releases: B applies them while it waits, or the test hangs and fails). Every release is
// applied exactly once, on its owner.
namespace flood {
constexpr int kProducers = 4;
std::atomic<int> *hits;          // per value: times freed
std::atomic<int> wrong_thread{0};
pthread_t owners[2];
std::atomic<int> freed_by[2];
int target;  // frees per owner per round
std::mutex mu;
std::condition_variable cv;
void Free(void *p) {
  uintptr_t v = reinterpret_cast<uintptr_t>(p) - 1;
  int o = static_cast<int>(v & 1);
  if (!pthread_equal(pthread_self(), owners[o])) wrong_thread++;
  hits[v].fetch_add(1);
  if (freed_by[o].fetch_add(1) + 1 == target) {
    std::lock_guard<std::mutex> l(mu);
    cv.notify_all();
  }
}
// B's sync-call target: returns once B has freed the round's objects (so B applied them while blocked).
int WaitForB(wt_call *, void *) {
  std::unique_lock<std::mutex> l(mu);
  return cv.wait_for(l, std::chrono::milliseconds(kHang), [] { return freed_by[1].load() >= target; }) ? 0 : 1;
}
}  // namespace flood

TEST(Handles, FloodFourProducersTwoOwnersOneBlockedInSyncCall) {
  using namespace flood;
  const int kPerProducer = WT_TEST_SCALE(1000000, 100000);
  const int kRound = WT_TEST_SCALE(125000, 25000);  // per owner per round
  const int kTotal = kPerProducer * kProducers;  // values: (round * kRound + i) * 2 + owner
  const int kRounds = kTotal / (2 * kRound);
  ASSERT_EQ(kRounds * 2 * kRound, kTotal);
  std::unique_ptr<std::atomic<int>[]> h(new std::atomic<int>[kTotal]);
  for (int i = 0; i < kTotal; i++) h[i] = 0;
  hits = h.get();
  wrong_thread = 0;
  std::vector<wt_handle> round_handles[2];
  round_handles[0].resize(kRound);
  round_handles[1].resize(kRound);
  std::atomic<int> round{-1}, registered{0}, released{0};
  std::atomic<long> refused{0};
  target = kRound;
  auto wait_until = [&](const std::function<bool()> &pred) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::milliseconds(kHang), pred);
  };
  auto bump = [&](std::atomic<int> &a) {
    std::lock_guard<std::mutex> l(mu);
    a++;
    cv.notify_all();
  };
  uint64_t applied0 = HStats().applied;
  Server helper(0, -1);  // B's sync-call target (no serve deadline: TSan rounds can take long): returns once B has applied (freed) the round's releases
  auto owner_fn = [&](int o) {
    owners[o] = pthread_self();
    ASSERT_EQ(wt_thread_join(nullptr), 0);
    for (int r = 0; r < kRounds; r++) {
      ASSERT_TRUE(wait_until([&] { return round.load() >= r; }));
      freed_by[o] = 0;
      for (int i = 0; i < kRound; i++) {
        uintptr_t v = ((static_cast<uintptr_t>(r) * kRound + i) << 1 | static_cast<uintptr_t>(o)) + 1;
        ASSERT_EQ(wt_handle_register(reinterpret_cast<void *>(v), Free, &round_handles[o][i]), 0);
        ASSERT_EQ(wt_handle_release_local(round_handles[o][i]), 0);
      }
      bump(registered);
      if (o == 1) {
        wt_result res;
        ASSERT_EQ(wt_call_sync(helper.id(), WaitForB, nullptr, -1, &res), 0)
            << "owner B did not apply its releases while blocked in wt_call_sync";
      } else {
        ASSERT_TRUE(ServeUntil([&] { return freed_by[0].load() >= target; }));
      }
      bump(released);  // this owner's round is applied
    }
    wt_thread_leave();
  };
  Thread a([&] { owner_fn(0); }), b([&] { owner_fn(1); });
  std::vector<std::unique_ptr<Thread>> ps;
  for (int p = 0; p < kProducers; p++) {
    ps.emplace_back(new Thread([&, p] {
      for (int r = 0; r < kRounds; r++) {
        ASSERT_TRUE(wait_until([&] { return registered.load() >= 2 * (r + 1) && round.load() >= r; }));
        // Each producer takes a contiguous quarter of each owner's round.
        int per = kRound / kProducers;
        for (int o = 0; o < 2; o++) {
          for (int i = p * per; i < (p + 1) * per; i++) {
            if (wt_handle_release(round_handles[o][i]) != 0) refused++;
          }
        }
        std::lock_guard<std::mutex> l(mu);
        cv.notify_all();
      }
    }));
  }
  ASSERT_EQ(kRound % kProducers, 0);
  for (int r = 0; r < kRounds; r++) {
    {
      std::lock_guard<std::mutex> l(mu);
      round = r;
      cv.notify_all();
    }
    ASSERT_TRUE(wait_until([&] { return released.load() >= 2 * (r + 1); })) << "round " << r;
  }
  for (auto &p : ps) p->Join();
  a.Join();
  b.Join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(wrong_thread.load(), 0) << "every release is applied on its owner";
  EXPECT_EQ(HStats().applied - applied0, static_cast<uint64_t>(kTotal));
  for (int i = 0; i < kTotal; i++) ASSERT_EQ(h[i].load(), 1) << "value " << i;
}

// An owner exits with 10,000 releases in flight: 4 producers release the first half while the owner
// does not serve (accepted, pending: the exit applies them), a quarter while it exits (each one
// applied, before or at the exit, or refused as owner gone) and the last quarter after it is gone. applied + dropped == sent, and every
// object is freed exactly once, on the owner.
TEST(Handles, OwnerExitsWithReleasesInFlight) {
  const int kN = 10000, kProducers = 4;
  std::vector<wt_handle> hs(kN);
  std::unique_ptr<std::atomic<int>[]> hits(new std::atomic<int>[kN]);
  static std::atomic<int> *g;
  static std::atomic<pthread_t> owner_thread;
  static std::atomic<int> wrong_thread;
  g = hits.get();
  wrong_thread = 0;
  for (int i = 0; i < kN; i++) hits[i] = 0;
  Event registered, go_exit;
  std::atomic<long> accepted{0}, gone{0}, other{0};
  wt_handles_stats s0 = HStats();
  Thread owner([&] {
    owner_thread = pthread_self();
    for (int i = 0; i < kN; i++) {
      ASSERT_EQ(wt_handle_register(reinterpret_cast<void *>(static_cast<uintptr_t>(i + 1)),
                                   [](void *p) {
                                     if (!pthread_equal(pthread_self(), owner_thread.load())) wrong_thread++;
                                     g[reinterpret_cast<uintptr_t>(p) - 1].fetch_add(1);
                                   },
                                   &hs[i]),
                0);
      if (i % 2) {
        ASSERT_EQ(wt_handle_release_local(hs[i]), 0);  // half held by JS too, half not
      }
    }
    registered.Set();
    ASSERT_TRUE(go_exit.Wait());
    // exits without serving: the first half is in flight (accepted, not applied)
  });
  ASSERT_TRUE(registered.Wait());
  auto release_range = [&](int from, int to) {
    std::vector<std::unique_ptr<Thread>> ps;
    for (int p = 0; p < kProducers; p++) {
      ps.emplace_back(new Thread([&, p, from, to] {
        for (int i = from + p; i < to; i += kProducers) {
          int r = wt_handle_release(hs[i]);
          (r == 0 ? accepted : r == WT_EOWNER_GONE ? gone : other)++;
        }
      }));
    }
    return ps;
  };
  release_range(0, kN / 2).clear();  // joined: all accepted, none applied
  EXPECT_EQ(accepted.load(), kN / 2);
  EXPECT_EQ(HStats().applied - s0.applied, 0u);
  {
    auto ps = release_range(kN / 2, kN * 3 / 4);
    go_exit.Set();  // the owner exits while these run
  }
  owner.Join();
  release_range(kN * 3 / 4, kN).clear();  // after the exit: every one refused as owner gone
  EXPECT_GE(gone.load(), kN / 4);
  wt_handles_stats s1 = HStats();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(accepted.load() + gone.load(), kN);
  EXPECT_EQ(s1.applied - s0.applied, static_cast<uint64_t>(accepted.load())) << "applied + dropped == sent";
  EXPECT_EQ(s1.owner_gone - s0.owner_gone, static_cast<uint64_t>(gone.load()));
  EXPECT_EQ(wrong_thread.load(), 0);
  for (int i = 0; i < kN; i++) ASSERT_EQ(hits[i].load(), 1) << "entry " << i;
  std::printf("[ info ] of %d releases: %ld applied (at least %d of them at exit), %ld owner gone\n", kN,
              accepted.load(), kN / 2, gone.load());
}

// A release to the thread itself is queued like any other and applied at its next serve.
TEST(Handles, ReleaseOnTheOwnerIsAppliedAtItsNextServe) {
  OnThread([] {
    Obj o;
    wt_handle h;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    ASSERT_EQ(wt_handle_release_local(h), 0);
    ASSERT_EQ(wt_handle_release(h), 0);
    EXPECT_EQ(o.freed.load(), 0);
    EXPECT_EQ(wt_thread_poll(), 1);
    EXPECT_EQ(o.freed.load(), 1);
  });
}

// The release path allocates nothing, not even the first release of a batch (host wake-up: a futex
// word). The control shows the counter seeing an allocation made the same way the library makes its.
TEST(Handles, ReleaseAllocatesNothing) {
  if (wt_test_allocs_self() < 0) GTEST_SKIP() << "allocation counting is host-only (bench/release counts wasm)";
  const int kN = 50000;
  std::vector<wt_handle> hs(kN);
  Server owner;  // serves: batches are applied while releases keep coming
  struct Reg {
    std::vector<wt_handle> *hs;
    long allocs;
  } reg{&hs, 0};
  wt_result res;
  ASSERT_EQ(wt_call_sync(owner.id(),
                         [](wt_call *, void *p) {
                           Reg *r = static_cast<Reg *>(p);
                           long a = wt_test_allocs_self();
                           for (wt_handle &h : *r->hs) {
                             if (wt_handle_register(nullptr, nullptr, &h) != 0) return 1;
                             wt_handle_release_local(h);
                           }
                           r->allocs = wt_test_allocs_self() - a;
                           return 0;
                         },
                         &reg, kHang, &res),
            0);
  long a0 = wt_test_allocs_self();
  for (wt_handle h : hs) ASSERT_EQ(wt_handle_release(h), 0);
  long a1 = wt_test_allocs_self();
  EXPECT_EQ(a1 - a0, 0) << "allocations on the release path";
  // Control: the counter sees this thread's allocations (through a volatile pointer: no elision).
  void *(*volatile do_malloc)(size_t) = malloc;
  long c0 = wt_test_allocs_self();
  void *p = do_malloc(64);
  EXPECT_EQ(wt_test_allocs_self() - c0, 1) << "the counter must see an allocation";
  free(p);
  std::printf("[ info ] allocations: %ld for %d releases (%ld while registering them)\n", a1 - a0, kN, reg.allocs);
}


#ifndef __EMSCRIPTEN__
// Values 0..kMax-1 whose free function counts its frees and throws (once) for the value `throw_at`.
namespace throwing {
constexpr int kMax = 200;
std::atomic<int> freed[kMax];
int throw_at;
bool thrown;
void Free(void *p) {
  int i = static_cast<int>(reinterpret_cast<uintptr_t>(p));
  freed[i]++;
  if (i == throw_at && !thrown) {
    thrown = true;
    throw i;
  }
}
// Registers n such values on the calling thread into hs.
void Register(std::vector<wt_handle> &hs, int n, int at) {
  throw_at = at;
  thrown = false;
  hs.resize(n);
  for (int i = 0; i < n; i++) {
    freed[i] = 0;
    ASSERT_EQ(wt_handle_register(reinterpret_cast<void *>(static_cast<uintptr_t>(i)), Free, &hs[i]), 0);
  }
}
}  // namespace throwing

// A free function that throws ends the batch pass; the releases the pass had not reached yet are
// applied at the next serve (the router posts the batch again after an unwind), none is lost and none
// is applied twice. (Host: C++ exceptions through the library, built with -fexceptions.)
TEST(Handles, FreeFunctionThatThrowsLosesNoRelease) {
  OnThread([] {
    constexpr int kN = 200;  // several groups of 64
    std::vector<wt_handle> hs;
    throwing::Register(hs, kN, 10);
    for (int i = 0; i < kN; i++) ASSERT_EQ(wt_handle_release_local(hs[i]), 0);
    for (int i = 0; i < kN; i++) ASSERT_EQ(wt_handle_release(hs[i]), 0);
    bool caught = false;
    try {
      wt_thread_poll();
    } catch (int) {
      caught = true;
    }
    ASSERT_TRUE(caught);
    EXPECT_EQ(wt__proxying_pending_self(), 1) << "the batch task was posted again";
    wt_thread_poll();
    for (int i = 0; i < kN; i++) ASSERT_EQ(throwing::freed[i].load(), 1) << "entry " << i;
  });
}

// A free function that throws while its owner leaves: the exception reaches the leave's caller, and
// calling wt_thread_leave again disposes of the rest (each entry exactly once).
TEST(Handles, FreeFunctionThatThrowsAtLeaveResumes) {
  constexpr int kN = 100;
  Thread t([] {
    std::vector<wt_handle> hs;
    throwing::Register(hs, kN, 30);
    bool caught = false;
    try {
      wt_thread_leave();
    } catch (int) {
      caught = true;
    }
    EXPECT_TRUE(caught);
    EXPECT_EQ(wt_thread_leave(), 0) << "the second leave finishes the job";
    EXPECT_EQ(wt_handle_release(hs[99]), WT_EOWNER_GONE);
  });
  t.Join();
  for (int i = 0; i < kN; i++) EXPECT_EQ(throwing::freed[i].load(), 1) << "entry " << i;
}
#endif


// ------------------------------------------------------------------ transfers (every tier: refusals)

// Every refusal of wt_handle_transfer that the C table decides leaves the entry as it was: still
// readable, still held by both sides. A C value never moves (WT_ENOTSUP: every value of the host build).
TEST(Handles, TransferRefusalsLeaveTheEntryWithItsOwner) {
  Server other;
  OnThread([&] {
    wt_handles_stats s0 = HStats();
    Obj o;
    wt_handle h, freed;
    ASSERT_EQ(wt_handle_register(&o, FreeObj, &h), 0);
    ASSERT_EQ(wt_handle_register(&o, nullptr, &freed), 0);
    ASSERT_EQ(wt_handle_release_local(freed), 0);
    ASSERT_EQ(wt_handle_release(freed), 0);
    ASSERT_EQ(wt_handles_apply(), 1);
    wt_completion *c = reinterpret_cast<wt_completion *>(1);
    EXPECT_EQ(wt_handle_transfer(h, other.id(), nullptr), WT_EINVAL) << "out NULL";
    EXPECT_EQ(wt_handle_transfer(h, WT_THREAD_NONE, &c), WT_EINVAL) << "no target";
    EXPECT_EQ(c, nullptr) << "*out is NULL on every error";
    EXPECT_EQ(HStats().transfers_failed - s0.transfers_failed, 0u) << "argument errors are not counted";
    EXPECT_EQ(wt_handle_transfer(h, wt_thread_self(), &c), WT_EINVAL) << "to oneself";
    EXPECT_EQ(wt_handle_transfer(h, other.id(), &c), WT_ENOTSUP) << "a C value";
    EXPECT_EQ(wt_handle_transfer(freed, other.id(), &c), WT_EHANDLE_STALE);
    EXPECT_EQ(wt_handle_transfer(wt_handle{h.bits + (1ull << 52)}, other.id(), &c), WT_EHANDLE_FORGED);
    int not_owner = -999;
    Thread t([&] {
      wt_completion *c2 = nullptr;
      not_owner = wt_handle_transfer(h, other.id(), &c2);
    });
    t.Join();
    EXPECT_EQ(not_owner, WT_ENOT_OWNER);
    EXPECT_EQ(c, nullptr);
    EXPECT_EQ(HStats().transfers_failed - s0.transfers_failed, 5u);
    EXPECT_EQ(HStats().transfers_sent - s0.transfers_sent, 0u);
    void *v = nullptr;
    EXPECT_EQ(wt_handle_get(h, &v), 0) << "the entry is still live";
    EXPECT_EQ(v, &o);
    EXPECT_EQ(wt_handle_release(h), 0) << "and still held by the managed side";
    EXPECT_EQ(wt_handle_release_local(h), 0) << "and by the owner's";
    EXPECT_EQ(wt_handles_apply(), 1);
    EXPECT_EQ(o.freed.load(), 1);
  });
}

#ifdef __EMSCRIPTEN__
// ------------------------------------------------------------------ the JS table (node, Chromium)

// On worker A (a serving Server), runs fn(arg) through a sync call and returns its status.
int OnServer(Server &s, wt_fn fn, void *arg) {
  wt_result res;
  return wt_call_sync(s.id(), fn, arg, kHang, &res) == 0 ? 0 : res.fn_error ? res.fn_error : res.status;
}

struct JsHandles {
  uint64_t h[3];
  int size;
  int codes[3];
};

int JsRegisterThree(wt_call *, void *p) {
  JsHandles *j = static_cast<JsHandles *>(p);
  EM_ASM({
    for (let i = 0; i < 3; i++) HEAP64[($0 >> 3) + i] = wtHandles.register({ tag: 'obj' + i });
  }, j->h);
  j->size = EM_ASM_INT({ return wtHandles.size(); });
  return 0;
}

// On A: size, and for each handle 0 when wtHandles.get(h) gives back its object, else the thrown code.
int JsInspect(wt_call *, void *p) {
  JsHandles *j = static_cast<JsHandles *>(p);
  j->size = EM_ASM_INT({ return wtHandles.size(); });
  for (int i = 0; i < 3; i++) {
    j->codes[i] = EM_ASM_INT({
      try {
        return wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3])).tag === 'obj' + $1 ? 0 : 1;
      } catch (e) {
        return e.code;
      }
    }, &j->h[i], i);
  }
  return 0;
}

int JsReleaseLocal(wt_call *, void *p) {
  uint64_t *h = static_cast<uint64_t *>(p);
  return EM_ASM_INT({ return -wtHandles.release(BigInt.asUintN(64, HEAP64[$0 >> 3])); }, h);
}

int ReleaseManaged(wt_call *, void *p) { return -wt_handle_release(wt_handle{*static_cast<uint64_t *>(p)}); }

TEST(HandlesJs, RegisteredOnWorkerReleasedFromAnotherWorkerAndTheUiThread) {
  Server a;
  JsHandles j{};
  ASSERT_EQ(OnServer(a, JsRegisterThree, &j), 0);
  ASSERT_EQ(j.size, 3);
  for (uint64_t h : j.h) EXPECT_TRUE(wt_thread_equal(wt_handle_owner(wt_handle{h}), a.id()));
  // Managed side: h0 from this worker (B), h1 from the UI thread (run there from its event loop).
  EXPECT_EQ(wt_handle_release(wt_handle{j.h[0]}), 0);
  wt_result res;
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), ReleaseManaged, &j.h[1], kHang, &res), 0) << res.fn_error;
  // Two-sided: A applied both (its batch ran before this call), but its JS side still holds them.
  ASSERT_EQ(OnServer(a, JsInspect, &j), 0);
  EXPECT_EQ(j.size, 3);
  EXPECT_EQ(j.codes[0], 0);
  EXPECT_EQ(j.codes[1], 0);
  EXPECT_EQ(j.codes[2], 0);
  // The JS side lets go: h0, h1 are dropped at once (their managed release was applied).
  EXPECT_EQ(OnServer(a, JsReleaseLocal, &j.h[0]), 0);
  EXPECT_EQ(OnServer(a, JsReleaseLocal, &j.h[1]), 0);
  // h2 the other way round: JS first, then the managed side from the UI thread.
  EXPECT_EQ(OnServer(a, JsReleaseLocal, &j.h[2]), 0);
  ASSERT_EQ(OnServer(a, JsInspect, &j), 0);
  EXPECT_EQ(j.size, 1) << "h2 is still held by the managed side";
  EXPECT_EQ(j.codes[0], WT_EHANDLE_STALE);
  EXPECT_EQ(j.codes[1], WT_EHANDLE_STALE);
  EXPECT_EQ(j.codes[2], 0);
  ASSERT_EQ(wt_call_sync(wt_thread_ui(), ReleaseManaged, &j.h[2], kHang, &res), 0) << res.fn_error;
  ASSERT_EQ(OnServer(a, JsInspect, &j), 0);
  EXPECT_EQ(j.size, 0);
  EXPECT_EQ(j.codes[2], WT_EHANDLE_STALE);
  // A second managed release of any of them is counted, never applied.
  uint64_t stale0 = HStats().stale;
  EXPECT_EQ(wt_handle_release(wt_handle{j.h[0]}), WT_EHANDLE_STALE);
  EXPECT_EQ(HStats().stale - stale0, 1u);
}

TEST(HandlesJs, ForceDisposedWhenTheOwnerLeavesOrExits) {
  std::atomic<uint64_t> left_h{0}, exited_h{0};
  std::atomic<int> size_after_leave{-1}, len_after_leave{-1};
  uint64_t disposed0 = HStats().force_disposed;
  Thread t1([&] {
    uint64_t h = 0;
    EM_ASM({ HEAP64[$0 >> 3] = wtHandles.register({ tag: 'held' }); }, &h);
    left_h = h;
    ASSERT_EQ(wt_thread_leave(), 0);
    size_after_leave = EM_ASM_INT({ return wtHandles.size(); });
    len_after_leave = EM_ASM_INT({ return wtHandles.values.length; });
  });
  t1.Join();
  EXPECT_EQ(size_after_leave.load(), 0) << "the realm's table is emptied on the leaving thread";
  EXPECT_EQ(len_after_leave.load(), 0);
  Thread t2([&] {
    uint64_t h = 0;
    EM_ASM({ HEAP64[$0 >> 3] = wtHandles.register({ tag: 'held at exit' }); }, &h);
    exited_h = h;
  });
  t2.Join();
  EXPECT_EQ(HStats().force_disposed - disposed0, 2u);
  uint64_t gone0 = HStats().owner_gone;
  EXPECT_EQ(wt_handle_release(wt_handle{left_h.load()}), WT_EOWNER_GONE);
  EXPECT_EQ(wt_handle_release(wt_handle{exited_h.load()}), WT_EOWNER_GONE);
  EXPECT_EQ(HStats().owner_gone - gone0, 2u);
}

// ------------------------------------------------------------------ transfers (node, Chromium)

wt_completion_stats CStats() {
  wt_completion_stats s;
  wt_completion_stats_get(&s);
  return s;
}

using wtt::WaitFor;

using wtt::LoopThread;

// On the calling thread: registers an ArrayBuffer of 16 bytes (i * 7), kept also in globalThis.wtTestBuf.
uint64_t RegisterTestBuffer() {
  uint64_t h = 0;
  EM_ASM({
    const b = new ArrayBuffer(16);
    new Uint8Array(b).forEach((_, i, u) => { u[i] = i * 7; });
    globalThis.wtTestBuf = b;
    HEAP64[$0 >> 3] = wtHandles.register(b);
  }, &h);
  return h;
}

// On the calling thread: 1 when h's value is an ArrayBuffer holding RegisterTestBuffer's bytes.
int HoldsTestBytes(uint64_t h) {
  return EM_ASM_INT({
    const b = wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3]));
    if (!(b instanceof ArrayBuffer) || b.byteLength !== 16) return 0;
    return new Uint8Array(b).every((x, i) => x === i * 7) ? 1 : 0;
  }, &h);
}

int TestBufferLength() { return EM_ASM_INT({ return globalThis.wtTestBuf ? wtTestBuf.byteLength : -1; }); }

// Waits for c and returns the new handle (0 when it did not resolve with one).
uint64_t AwaitHandle(wt_completion *c) {
  EXPECT_EQ(wt_completion_wait(c, kHang), 0);
  wt_value v{};
  if (wt_completion_result_get(c, nullptr, &v) != 0 || v.kind != WT_VALUE_HANDLE) return 0;
  return v.u64;
}

// Both sides let go of h (owned by t): the managed release is applied before the JS side's (the batch
// task is ahead of the sync call in t's mailbox), so the JS side's frees the entry at once.
void ReleaseBoth(wt_thread t, uint64_t h) {
  EXPECT_EQ(wt_handle_release(wt_handle{h}), 0);
  int rc = -999;
  EXPECT_EQ(RunOn(t, [&] { rc = EM_ASM_INT({ return wtHandles.release(BigInt.asUintN(64, HEAP64[$0 >> 3])); }, &h); }), 0);
  EXPECT_EQ(rc, 0);
}

// An ArrayBuffer moves from worker A's table to worker B's: zero copy (A's ArrayBuffer is detached),
// bytes intact, A's handle stale at once (a later managed release is refused and counted), the
// completion resolves with B's handle. Then on through the UI thread: A -> UI -> B.
TEST(HandlesJs, TransferMovesAnArrayBufferBetweenWorkersAndThroughTheUiThread) {
  wt_handles_stats s0 = HStats();
  wt_completion_stats c0 = CStats();
  {
    LoopThread a, b;
    uint64_t h = 0;
    wt_completion *c = nullptr;
    int rc = -999, len = -2, get = -999;
    ASSERT_EQ(RunOn(a.tid(), [&] {
      h = RegisterTestBuffer();
      rc = wt_handle_transfer(wt_handle{h}, b.tid(), &c);
      len = TestBufferLength();
      get = wt_handle_get(wt_handle{h}, nullptr);
      EM_ASM({ delete globalThis.wtTestBuf; });
    }), 0);
    ASSERT_EQ(rc, 0);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(len, 0) << "A's ArrayBuffer is detached: it was transferred, not copied";
    EXPECT_EQ(get, WT_EHANDLE_STALE) << "the old handle is stale as soon as the transfer was sent";
    uint64_t stale0 = HStats().stale;
    EXPECT_EQ(wt_handle_release(wt_handle{h}), WT_EHANDLE_STALE) << "the managed side's release is refused";
    EXPECT_EQ(HStats().stale - stale0, 1u);
    uint64_t hb = AwaitHandle(c);
    wt_completion_release(c);
    ASSERT_NE(hb, 0u);
    EXPECT_TRUE(wt_thread_equal(wt_handle_owner(wt_handle{hb}), b.tid()));
    int holds = 0;
    ASSERT_EQ(RunOn(b.tid(), [&] { holds = HoldsTestBytes(hb); }), 0);
    EXPECT_EQ(holds, 1) << "B's value is the ArrayBuffer with its bytes";

    // A -> the UI thread -> B.
    ASSERT_EQ(RunOn(a.tid(), [&] {
      h = RegisterTestBuffer();
      rc = wt_handle_transfer(wt_handle{h}, wt_thread_ui(), &c);
      len = TestBufferLength();
      EM_ASM({ delete globalThis.wtTestBuf; });
    }), 0);
    ASSERT_EQ(rc, 0);
    EXPECT_EQ(len, 0);
    uint64_t hu = AwaitHandle(c);
    wt_completion_release(c);
    EXPECT_TRUE(wt_thread_equal(wt_handle_owner(wt_handle{hu}), wt_thread_ui()));
    uint64_t hb2 = 0;
    ASSERT_EQ(RunOn(wt_thread_ui(), [&] {
      holds = HoldsTestBytes(hu);
      rc = wt_handle_transfer(wt_handle{hu}, b.tid(), &c);
      get = wt_handle_get(wt_handle{hu}, nullptr);
    }), 0);
    EXPECT_EQ(holds, 1) << "the UI thread's value";
    ASSERT_EQ(rc, 0) << "the UI thread as the source";
    EXPECT_EQ(get, WT_EHANDLE_STALE);
    hb2 = AwaitHandle(c);
    wt_completion_release(c);
    ASSERT_EQ(RunOn(b.tid(), [&] { holds = HoldsTestBytes(hb2); }), 0);
    EXPECT_EQ(holds, 1);

    wt_handles_stats s1 = HStats();
    EXPECT_EQ(s1.transfers_sent - s0.transfers_sent, 3u);
    EXPECT_EQ(s1.transfers_received - s0.transfers_received, 3u);
    EXPECT_EQ(s1.transfers_dropped - s0.transfers_dropped, 0u);
    EXPECT_EQ(s1.transfers_failed - s0.transfers_failed, 0u);
    EXPECT_EQ(s1.live - s0.live, 2u) << "B holds two values, nobody else any";
    ReleaseBoth(b.tid(), hb);
    ReleaseBoth(b.tid(), hb2);
    EXPECT_EQ(HStats().live, s0.live);
  }
  EXPECT_EQ(CStats().live, c0.live) << "every completion freed (its binding's reference included)";
}

// A MessagePort moves from A to B and still works there: B posts through it, A's other end receives.
TEST(HandlesJs, TransferMovesAMessagePortThatStillWorks) {
  LoopThread a, b;
  std::atomic<int> got{0};
  uint64_t h = 0;
  wt_completion *c = nullptr;
  int rc = -999;
  uint64_t bid = b.tid().bits;
  ASSERT_EQ(RunOn(a.tid(), [&] {
    EM_ASM({
      const ch = new MessageChannel();
      globalThis.wtTestPort = ch.port1;
      ch.port1.onmessage = (e) => { if (e.data === 'through the moved port') Atomics.store(HEAP32, $1 >> 2, 1); };
      const h = HEAP64[$0 >> 3] = wtHandles.register(ch.port2);
      // From JS (wtHandles.transfer): to oneself throws with the code, nothing moves; to B it gives
      // the completion.
      try { wtHandles.transfer(h, wtProxying.self()); } catch (e) { HEAP32[$3 >> 2] = e.code; }
      HEAPU32[$2 >> 2] = wtHandles.transfer(h, BigInt.asUintN(64, HEAP64[$4 >> 3]));
    }, &h, &got, &c, &rc, &bid);
  }), 0);
  EXPECT_EQ(rc, WT_EINVAL) << "wtHandles.transfer to oneself";
  ASSERT_NE(c, nullptr);
  uint64_t hb = AwaitHandle(c);
  wt_completion_release(c);
  ASSERT_NE(hb, 0u);
  int is_port = 0;
  ASSERT_EQ(RunOn(b.tid(), [&] {
    is_port = EM_ASM_INT({
      const p = wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3]));
      if (typeof p.postMessage !== 'function') return 0;
      p.postMessage('through the moved port');
      return 1;
    }, &hb);
  }), 0);
  EXPECT_EQ(is_port, 1);
  EXPECT_TRUE(WaitFor([&] { return got.load() == 1; })) << "A's end of the channel got B's message";
  ASSERT_EQ(RunOn(a.tid(), [] { EM_ASM({ wtTestPort.close(); delete globalThis.wtTestPort; }); }), 0);
  ASSERT_EQ(RunOn(b.tid(), [&] { EM_ASM({ wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3])).close(); }, &hb); }), 0);
  ReleaseBoth(b.tid(), hb);
}

// Values postMessage refuses to transfer (a plain object, an ArrayBuffer detached already) fail with
// WT_ENOT_TRANSFERABLE and stay with their owner: the handle is valid, the value readable.
TEST(HandlesJs, TransferOfANonTransferableValueFailsAndKeepsIt) {
  LoopThread a, b;
  wt_handles_stats s0 = HStats();
  uint64_t h[2] = {0, 0};
  int rc[2] = {-999, -999}, kept[2] = {0, 0};
  wt_completion *c[2] = {reinterpret_cast<wt_completion *>(1), reinterpret_cast<wt_completion *>(1)};
  ASSERT_EQ(RunOn(a.tid(), [&] {
    EM_ASM({
      HEAP64[$0 >> 3] = wtHandles.register({ tag: 'plain' });
      const d = new ArrayBuffer(8);
      new MessageChannel().port1.postMessage(d, [d]); // detaches d
      HEAP64[($0 >> 3) + 1] = wtHandles.register(d);
    }, h);
    for (int i = 0; i < 2; i++) rc[i] = wt_handle_transfer(wt_handle{h[i]}, b.tid(), &c[i]);
    for (int i = 0; i < 2; i++)
      kept[i] = EM_ASM_INT({
        try {
          const v = wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3]));
          return ($1 == 0 ? v.tag === 'plain' : v instanceof ArrayBuffer) ? 1 : 0;
        } catch (e) {
          return e.code;
        }
      }, &h[i], i);
  }), 0);
  for (int i = 0; i < 2; i++) {
    EXPECT_EQ(rc[i], WT_ENOT_TRANSFERABLE) << i;
    EXPECT_EQ(c[i], nullptr) << i;
    EXPECT_EQ(kept[i], 1) << i << ": the value stays with its owner, its handle valid";
  }
  wt_handles_stats s1 = HStats();
  EXPECT_EQ(s1.transfers_failed - s0.transfers_failed, 2u);
  EXPECT_EQ(s1.transfers_sent - s0.transfers_sent, 0u);
  for (uint64_t x : h) ReleaseBoth(a.tid(), x);
}

// A target that is gone (WT_ESTALE) or was never issued (WT_ENOENT), the owner itself (WT_EINVAL),
// a C value (WT_ENOTSUP) and a caller that is not the owner (WT_ENOT_OWNER): nothing sent, the
// ArrayBuffer still attached and its handle valid.
TEST(HandlesJs, TransferToAGoneOrUnknownTargetFailsAndKeepsTheObject) {
  LoopThread a;
  wt_thread gone;
  {
    LoopThread g;
    gone = g.tid();
  }
  ASSERT_EQ(wt_thread_check(gone), WT_ESTALE);
  wt_thread unknown{a.tid().bits + (1000000ull << 32)};
  ASSERT_EQ(wt_thread_check(unknown), WT_ENOENT);
  wt_handles_stats s0 = HStats();
  uint64_t h = 0;
  int rc[4] = {-999, -999, -999, -999}, len = -2, get = -999, holds = 0;
  wt_completion *c = nullptr;
  ASSERT_EQ(RunOn(a.tid(), [&] {
    h = RegisterTestBuffer();
    rc[0] = wt_handle_transfer(wt_handle{h}, gone, &c);
    rc[1] = wt_handle_transfer(wt_handle{h}, unknown, &c);
    rc[2] = wt_handle_transfer(wt_handle{h}, wt_thread_self(), &c);
    static int cval;
    wt_handle hc;
    ASSERT_EQ(wt_handle_register(&cval, nullptr, &hc), 0);
    rc[3] = wt_handle_transfer(hc, wt_thread_ui(), &c);
    wt_handle_release(hc);
    wt_handle_release_local(hc);
    len = TestBufferLength();
    get = wt_handle_get(wt_handle{h}, nullptr);
    holds = HoldsTestBytes(h);
  }), 0);
  EXPECT_EQ(rc[0], WT_ESTALE);
  EXPECT_EQ(rc[1], WT_ENOENT);
  EXPECT_EQ(rc[2], WT_EINVAL);
  EXPECT_EQ(rc[3], WT_ENOTSUP);
  EXPECT_EQ(wt_handle_transfer(wt_handle{h}, wt_thread_ui(), &c), WT_ENOT_OWNER);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(len, 16) << "not detached";
  EXPECT_EQ(get, 0);
  EXPECT_EQ(holds, 1);
  EXPECT_EQ(HStats().transfers_failed - s0.transfers_failed, 5u);
  EXPECT_EQ(HStats().transfers_sent - s0.transfers_sent, 0u);
  ASSERT_EQ(RunOn(a.tid(), [] { EM_ASM({ delete globalThis.wtTestBuf; }); }), 0);
  ReleaseBoth(a.tid(), h);
}

// The target leaves while the value is in flight: the completion is canceled, the value dropped, and
// nothing stays behind (handles and completions live back to their baseline). Two targets: one that
// never serves (the record is still in its mailbox when it leaves: the router's cancel path), one that
// serves its mailbox but never returns to its event loop (the record waits for the value: the leave
// hook). Both get the value only after their thread has gone.
TEST(HandlesJs, TargetExitsMidFlightCancelsAndLeaksNothing) {
  wt_handles_stats s0 = HStats();
  wt_completion_stats c0 = CStats();
  {
    LoopThread a;
    for (int kind = 0; kind < 2; kind++) {
      Event joined, go;
      std::atomic<uint64_t> tid{0};
      std::unique_ptr<Server> server;
      std::unique_ptr<Thread> idle;
      if (kind == 0) {
        idle.reset(new Thread([&] {
          wt_thread me;
          ASSERT_EQ(wt_thread_join(&me), 0);
          tid = me.bits;
          joined.Set();
          go.Wait();
          EXPECT_EQ(wt_thread_leave(), 0);
        }));
        ASSERT_TRUE(joined.Wait());
      } else {
        server.reset(new Server());
        tid = server->id().bits;
      }
      wt_thread to{tid.load()};
      wt_completion *c = nullptr;
      int rc = -999;
      uint64_t h = 0;
      ASSERT_EQ(RunOn(a.tid(), [&] {
        h = RegisterTestBuffer();
        rc = wt_handle_transfer(wt_handle{h}, to, &c);
        EM_ASM({ delete globalThis.wtTestBuf; });
      }), 0);
      ASSERT_EQ(rc, 0) << kind;
      if (kind == 0) {
        go.Set();
        idle->Join();
      } else {
        // The record has reached the server (it serves), the value has not (no event loop).
        ASSERT_EQ(wt_call_sync(to, [](wt_call *, void *) { return 0; }, nullptr, kHang, nullptr), 0);
        server->Stop();
      }
      EXPECT_EQ(wt_completion_wait(c, kHang), WT_ECANCELED) << kind;
      wt_completion_release(c);
      EXPECT_EQ(wt_handle_release(wt_handle{h}), WT_EHANDLE_STALE) << kind;
    }
  }
  wt_handles_stats s1 = HStats();
  EXPECT_EQ(s1.transfers_sent - s0.transfers_sent, 2u);
  EXPECT_EQ(s1.transfers_dropped - s0.transfers_dropped, 2u);
  EXPECT_EQ(s1.transfers_received - s0.transfers_received, 0u);
  EXPECT_EQ(s1.live, s0.live) << "no entry left anywhere";
  EXPECT_EQ(CStats().live, c0.live) << "every completion freed";
}

// A managed release accepted just before the transfer (pending on the owner) is counted as applied
// by the transfer; the owner's later batch finds nothing to do; nothing is freed twice, and the new
// handle on B is a fresh entry held by both sides.
TEST(HandlesJs, TransferAfterAnAcceptedReleaseFreesNothingTwice) {
  LoopThread a, b;
  wt_handles_stats s0 = HStats();
  uint64_t h = 0;
  wt_completion *c = nullptr;
  int rel = -999, rc = -999;
  ASSERT_EQ(RunOn(a.tid(), [&] {
    h = RegisterTestBuffer();
    rel = wt_handle_release(wt_handle{h});  // on the owner: queued, applied at its next serve
    rc = wt_handle_transfer(wt_handle{h}, b.tid(), &c);
    EM_ASM({ delete globalThis.wtTestBuf; });
  }), 0);
  ASSERT_EQ(rel, 0);
  ASSERT_EQ(rc, 0);
  uint64_t hb = AwaitHandle(c);
  wt_completion_release(c);
  ASSERT_EQ(RunOn(a.tid(), [] {}), 0);  // A served its batch task (queued before this call)
  wt_handles_stats s1 = HStats();
  EXPECT_EQ(s1.applied - s0.applied, 1u) << "the accepted release counts as applied, once";
  EXPECT_EQ(s1.freed - s0.freed, 1u) << "A's entry, once";
  EXPECT_EQ(s1.stale - s0.stale, 0u);
  int holds = 0;
  ASSERT_EQ(RunOn(b.tid(), [&] { holds = HoldsTestBytes(hb); }), 0);
  EXPECT_EQ(holds, 1);
  ReleaseBoth(b.tid(), hb);
  EXPECT_EQ(HStats().live, s0.live);
}

// Values keep moving between two workers, each hop a transfer from the current owner: records and
// values meet on the target in whichever order they come; the bytes survive every hop.
TEST(HandlesJs, TransferBackAndForthKeepsTheBytes) {
  wt_handles_stats s0 = HStats();
  wt_completion_stats c0 = CStats();
  {
    LoopThread a, b;
    const int kHops = 200;
    uint64_t h = 0;
    ASSERT_EQ(RunOn(a.tid(), [&] {
      h = RegisterTestBuffer();
      EM_ASM({ delete globalThis.wtTestBuf; });
    }), 0);
    for (int i = 0; i < kHops; i++) {
      wt_thread from = (i & 1) ? b.tid() : a.tid(), to = (i & 1) ? a.tid() : b.tid();
      wt_completion *c = nullptr;
      int rc = -999;
      ASSERT_EQ(RunOn(from, [&] { rc = wt_handle_transfer(wt_handle{h}, to, &c); }), 0);
      ASSERT_EQ(rc, 0) << "hop " << i;
      h = AwaitHandle(c);
      wt_completion_release(c);
      ASSERT_TRUE(wt_thread_equal(wt_handle_owner(wt_handle{h}), to)) << "hop " << i;
    }
    wt_thread last = (kHops & 1) ? b.tid() : a.tid();
    int holds = 0;
    ASSERT_EQ(RunOn(last, [&] { holds = HoldsTestBytes(h); }), 0);
    EXPECT_EQ(holds, 1);
    ReleaseBoth(last, h);
    wt_handles_stats s1 = HStats();
    EXPECT_EQ(s1.transfers_sent - s0.transfers_sent, (uint64_t)kHops);
    EXPECT_EQ(s1.transfers_received - s0.transfers_received, (uint64_t)kHops);
    EXPECT_EQ(s1.live, s0.live);
  }
  EXPECT_EQ(CStats().live, c0.live);
}

// Where the browser has OffscreenCanvas (Chromium), one moves from A to B and B can draw on it.
TEST(HandlesJs, TransferMovesAnOffscreenCanvasWhereTheBrowserHasIt) {
  if (!EM_ASM_INT({ return typeof OffscreenCanvas === 'function' ? 1 : 0; }))
    GTEST_SKIP() << "no OffscreenCanvas here (node)";
  LoopThread a, b;
  uint64_t h = 0;
  wt_completion *c = nullptr;
  int rc = -999, ok = 0;
  ASSERT_EQ(RunOn(a.tid(), [&] {
    EM_ASM({ HEAP64[$0 >> 3] = wtHandles.register(new OffscreenCanvas(3, 5)); }, &h);
    rc = wt_handle_transfer(wt_handle{h}, b.tid(), &c);
  }), 0);
  ASSERT_EQ(rc, 0);
  uint64_t hb = AwaitHandle(c);
  wt_completion_release(c);
  ASSERT_EQ(RunOn(b.tid(), [&] {
    ok = EM_ASM_INT({
      const cv = wtHandles.get(BigInt.asUintN(64, HEAP64[$0 >> 3]));
      if (!(cv instanceof OffscreenCanvas) || cv.width !== 3 || cv.height !== 5) return 0;
      const g = cv.getContext('2d');
      g.fillStyle = '#ff0000';
      g.fillRect(0, 0, 3, 5);
      return g.getImageData(1, 1, 1, 1).data[0] === 255 ? 1 : 0;
    }, &hb);
  }), 0);
  EXPECT_EQ(ok, 1);
  ReleaseBoth(b.tid(), hb);
}
#endif

}  // namespace
