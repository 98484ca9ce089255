// Pool configuration validation and the stats snapshot (portable parts of pool/pool.c).
#include "pool/pool_internal.h"
#include "webthreads/pool.h"
#include "webthreads/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

int Check(wt_pool_config c, wt_knob *knob = nullptr, wt_pool_config *out = nullptr) {
  return wt_pool_config_check(&c, out, knob);
}

TEST(Pool, ZeroMeansDefaults) {
  wt_pool_config r;
  ASSERT_EQ(Check({0, 0, 0, 0}, nullptr, &r), WT_OK);
  EXPECT_EQ(r.initial, WT_POOL_DEFAULT_INITIAL);
  EXPECT_EQ(r.spare, WT_POOL_DEFAULT_SPARE);
  EXPECT_EQ(r.max, WT_POOL_DEFAULT_MAX);
  EXPECT_EQ(r.idle_timeout_ms, WT_POOL_DEFAULT_IDLE_TIMEOUT_MS);
}

TEST(Pool, NoneMeansZeroOrNever) {
  wt_pool_config r;
  ASSERT_EQ(Check({WT_POOL_NONE, WT_POOL_NONE, 8, WT_POOL_NONE}, nullptr, &r), WT_OK);
  EXPECT_EQ(r.initial, 0);
  EXPECT_EQ(r.spare, 0);
  EXPECT_EQ(r.max, 8);
  EXPECT_EQ(r.idle_timeout_ms, WT_POOL_NONE);
}

TEST(Pool, NullConfigIsEinval) { EXPECT_EQ(wt_pool_config_check(nullptr, nullptr, nullptr), WT_EINVAL); }

struct Bad { wt_pool_config cfg; int err; wt_knob knob; };

// Every field outside the knob table's range, and every contradiction, is WT_ERANGE naming the knob
// (the table's ranges: pool.initial/spare 0..400, pool.max 1..400, pool.idle_timeout_ms -1..86400000;
// in the struct 0 is the default and WT_POOL_NONE none).
TEST(Pool, EveryInvalidKnobIsErangeNamingTheKnob) {
  const Bad cases[] = {
      {{-2, 0, 0, 0}, WT_ERANGE, WT_KNOB_POOL_INITIAL},
      {{0, -5, 0, 0}, WT_ERANGE, WT_KNOB_POOL_SPARE},
      {{0, 0, WT_POOL_NONE, 0}, WT_ERANGE, WT_KNOB_POOL_MAX}, // max has no "none"
      {{0, 0, -7, 0}, WT_ERANGE, WT_KNOB_POOL_MAX},
      {{0, 0, 0, -3}, WT_ERANGE, WT_KNOB_POOL_IDLE_TIMEOUT_MS},
      {{WT_POOL_LIMIT + 1, 0, 0, 0}, WT_ERANGE, WT_KNOB_POOL_INITIAL},
      {{0, WT_POOL_LIMIT + 1, 0, 0}, WT_ERANGE, WT_KNOB_POOL_SPARE},
      {{0, 0, 1000000, 0}, WT_ERANGE, WT_KNOB_POOL_MAX},
      {{0, 0, WT_POOL_LIMIT + 1, 0}, WT_ERANGE, WT_KNOB_POOL_MAX},
      {{0, 0, 0, WT_POOL_IDLE_TIMEOUT_LIMIT_MS + 1}, WT_ERANGE, WT_KNOB_POOL_IDLE_TIMEOUT_MS},
      {{0, 9, 8, 0}, WT_ERANGE, WT_KNOB_POOL_SPARE},
      {{0, 200, 0, 0}, WT_ERANGE, WT_KNOB_POOL_SPARE}, // against the default max
      {{9, 1, 8, 0}, WT_ERANGE, WT_KNOB_POOL_INITIAL},
      {{0, 0, 3, 0}, WT_ERANGE, WT_KNOB_POOL_INITIAL}, // default initial 4 > max 3
  };
  for (const Bad &b : cases) {
    wt_knob knob = WT_KNOB_NONE;
    wt_pool_config untouched = {77, 77, 77, 77};
    EXPECT_EQ(Check(b.cfg, &knob, &untouched), b.err)
        << b.cfg.initial << " " << b.cfg.spare << " " << b.cfg.max << " " << b.cfg.idle_timeout_ms;
    EXPECT_EQ(knob, b.knob) << (wt_knob_info_get(knob) ? wt_knob_info_get(knob)->name : "none");
    EXPECT_EQ(untouched.max, 77) << "rejected settings must not be written";
  }
}

// The limits are the knob table's: the largest values it allows pass, and the defaults are its defaults.
TEST(Pool, LimitsAndDefaultsAreTheKnobTables) {
  const wt_knob knobs[] = {WT_KNOB_POOL_INITIAL, WT_KNOB_POOL_SPARE, WT_KNOB_POOL_MAX, WT_KNOB_POOL_IDLE_TIMEOUT_MS};
  int64_t top[4], dflt[4];
  for (int i = 0; i < 4; i++) {
    top[i] = wt_knob_info_get(knobs[i])->max;
    dflt[i] = wt_knob_info_get(knobs[i])->dflt;
  }
  wt_pool_config r, d;
  EXPECT_EQ(Check({(int)top[0], (int)top[1], (int)top[2], (int)top[3]}, nullptr, &r), WT_OK);
  EXPECT_EQ(r.max, top[2]);
  EXPECT_EQ(r.idle_timeout_ms, top[3]);
  ASSERT_EQ(Check({0, 0, 0, 0}, nullptr, &d), WT_OK);
  EXPECT_EQ(d.initial, dflt[0]);
  EXPECT_EQ(d.spare, dflt[1]);
  EXPECT_EQ(d.max, dflt[2]);
  EXPECT_EQ(d.idle_timeout_ms, dflt[3]);
}

// wt_pool_configure's refusal is one line in the knob table's format: the field as written, its
// value as given, the code, what it takes, the knob's name.
TEST(Pool, ConfigureRefusalLineNamesFieldValueAndKnob) {
  struct Line { wt_pool_config cfg; const char *want[3]; };
  const Line lines[] = {
      {{0, 0, 1000, 0}, {"wt_pool_config.max=\"1000\": WT_ERANGE", "1..400", "knob pool.max"}},
      {{0, 9, 8, 0}, {"wt_pool_config.spare=\"9\": WT_ERANGE: above", "wt_pool_config.max=8", "knob pool.spare"}},
      {{0, 0, 3, 0}, {"wt_pool_config.initial=\"0\": WT_ERANGE", "its default 4 is above wt_pool_config.max=3", "knob pool.initial"}},
      {{0, 0, 0, -9}, {"wt_pool_config.idle_timeout_ms=\"-9\"", "never retire", "knob pool.idle_timeout_ms"}},
  };
  for (const Line &l : lines) {
    testing::internal::CaptureStderr();
    wt_pool_config c = l.cfg;
    EXPECT_EQ(wt_pool_configure(&c), WT_ERANGE);
    std::string err = testing::internal::GetCapturedStderr();
    for (const char *w : l.want) EXPECT_NE(err.find(w), std::string::npos) << "missing \"" << w << "\" in: " << err;
    EXPECT_NE(err.find("nothing applied, the settings in force stay"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  }
}

TEST(Pool, ConfigureRejectsBadSettingsAndKeepsTheOnesInForce) {
  wt_pool_config before, after;
  ASSERT_EQ(wt_pool_get_config(&before), WT_OK);
  wt_pool_config bad = {0, 9, 8, 0};
  EXPECT_EQ(wt_pool_configure(&bad), WT_ERANGE);
  EXPECT_EQ(wt_pool_configure(nullptr), WT_EINVAL);
  ASSERT_EQ(wt_pool_get_config(&after), WT_OK);
  EXPECT_EQ(after.spare, before.spare);
  EXPECT_EQ(after.max, before.max);
}

#ifdef __EMSCRIPTEN__
TEST(Pool, ConfigureAfterStartAppliesLive) {
  // The unit suite runs with -sPROXY_TO_PTHREAD: main() is itself a pool thread, so the pool has
  // started; wt_pool_configure works at any time from any thread. The settings are restored after.
  wt_pool_config before, got;
  ASSERT_EQ(wt_pool_get_config(&before), WT_OK);
  wt_pool_config ok = {2, 1, 16, 500};
  EXPECT_EQ(wt_pool_configure(&ok), WT_OK);
  ASSERT_EQ(wt_pool_get_config(&got), WT_OK);
  EXPECT_EQ(got.initial, 2);
  EXPECT_EQ(got.spare, 1);
  EXPECT_EQ(got.max, 16);
  EXPECT_EQ(got.idle_timeout_ms, 500);
  if (before.initial == 0) before.initial = WT_POOL_NONE; // resolved "none" back to the input form
  if (before.spare == 0) before.spare = WT_POOL_NONE;
  EXPECT_EQ(wt_pool_configure(&before), WT_OK);
}

// From a worker, wt_pool_configure waits in the library's one wait (a routed sync call), not in
// emscripten's sync proxy: a runtime that says the thread may not block gets WT_EWOULDBLOCK, and
// nothing changes; allowed again, the same call applies.
static thread_local bool tl_pool_no_block;
static int PoolMayBlock(void *) { return tl_pool_no_block ? 0 : 1; }
static void *PoolEnter(void *, void **) { return nullptr; }
static void PoolLeave(void *, void *, void **) {}
static const wt_runtime_hooks kPoolHooks = {nullptr, PoolEnter, PoolLeave, PoolMayBlock, nullptr, nullptr, nullptr};
TEST(Pool, ConfigureFromAWorkerWaitsInTheLibrarysWait) {
  wt_pool_config before, got;
  ASSERT_EQ(wt_pool_get_config(&before), WT_OK);
  ASSERT_EQ(wt_runtime_hooks_set(&kPoolHooks), WT_OK);
  wt_pool_config ok = before;
  ok.idle_timeout_ms = before.idle_timeout_ms + 1;
  tl_pool_no_block = true;
  EXPECT_EQ(wt_pool_configure(&ok), WT_EWOULDBLOCK) << "a worker's configure did not ask the runtime";
  tl_pool_no_block = false;
  ASSERT_EQ(wt_pool_get_config(&got), WT_OK);
  EXPECT_EQ(got.idle_timeout_ms, before.idle_timeout_ms) << "a refused configure changed the pool";
  EXPECT_EQ(wt_pool_configure(&ok), WT_OK);
  ASSERT_EQ(wt_pool_get_config(&got), WT_OK);
  EXPECT_EQ(got.idle_timeout_ms, ok.idle_timeout_ms);
  EXPECT_EQ(wt_runtime_hooks_set(nullptr), WT_OK);
  if (before.initial == 0) before.initial = WT_POOL_NONE;
  if (before.spare == 0) before.spare = WT_POOL_NONE;
  EXPECT_EQ(wt_pool_configure(&before), WT_OK);
}
#else
TEST(Pool, StatsSnapshotsAreConsistent) {
  // One writer publishes (created, retired, total) triples with total == created - retired; readers on
  // other threads must never see a mix of two publications.
  std::atomic<bool> stop{false};
  std::atomic<long> seen{0}, torn{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; r++) {
    readers.emplace_back([&] {
      bool first = true;
      while (!stop.load()) {
        struct wt_pool_stats s;
        ASSERT_EQ(wt_pool_stats(&s), WT_OK);
        if (s.created - s.retired != (unsigned long long)s.total) torn++;
        seen++;
        if (first) ready++, first = false;
      }
    });
  }
  // The writer starts once every reader is reading (on a loaded machine, under ASan, the 200,000
  // publications could otherwise all happen before any reader ran).
  while (ready.load() < 3) std::this_thread::yield();
  struct wt_pool_stats w = {};
  for (int i = 1; i <= 200000; i++) {
    w.created = (unsigned long long)i * 3;
    w.retired = (unsigned long long)i * 2;
    w.total = i;
    w.peak = i;
    w.boot_failed = (unsigned long long)i;
    w.refused = (unsigned long long)i * 5;
    wt__pool_publish(&w, nullptr);
  }
  stop = true;
  for (auto &t : readers) t.join();
  EXPECT_EQ(torn.load(), 0) << "of " << seen.load() << " snapshots";
  EXPECT_GT(seen.load(), 0);
  struct wt_pool_stats last;
  wt_pool_stats(&last);
  EXPECT_EQ(last.total, 200000);
  EXPECT_EQ(last.boot_failed, 200000u);
  EXPECT_EQ(last.refused, 1000000u);
  EXPECT_EQ(wt_pool_stats(nullptr), WT_EINVAL);
}
#endif

}  // namespace
