// Pool configuration validation and the stats snapshot (portable parts of pool/pool.c).
#include "pool/pool_internal.h"
#include "webthreads/pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

int Check(wt_pool_config c, wt_pool_knob *knob = nullptr, wt_pool_config *out = nullptr) {
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

struct Bad { wt_pool_config cfg; int err; wt_pool_knob knob; };

TEST(Pool, EveryInvalidKnobGivesItsCode) {
  const Bad cases[] = {
      {{-2, 0, 0, 0}, WT_EPOOL_NEGATIVE, WT_POOL_KNOB_INITIAL},
      {{0, -5, 0, 0}, WT_EPOOL_NEGATIVE, WT_POOL_KNOB_SPARE},
      {{0, 0, -1, 0}, WT_EPOOL_NEGATIVE, WT_POOL_KNOB_MAX},
      {{0, 0, 0, -3}, WT_EPOOL_NEGATIVE, WT_POOL_KNOB_IDLE_TIMEOUT_MS},
      {{WT_POOL_LIMIT + 1, 0, 0, 0}, WT_EPOOL_TOO_LARGE, WT_POOL_KNOB_INITIAL},
      {{0, WT_POOL_LIMIT + 1, 0, 0}, WT_EPOOL_TOO_LARGE, WT_POOL_KNOB_SPARE},
      {{0, 0, 1000000, 0}, WT_EPOOL_TOO_LARGE, WT_POOL_KNOB_MAX},
      {{0, 0, 0, WT_POOL_IDLE_TIMEOUT_LIMIT_MS + 1}, WT_EPOOL_TIMEOUT_RANGE, WT_POOL_KNOB_IDLE_TIMEOUT_MS},
      {{0, 9, 8, 0}, WT_EPOOL_SPARE_GT_MAX, WT_POOL_KNOB_SPARE},
      {{0, 200, 0, 0}, WT_EPOOL_SPARE_GT_MAX, WT_POOL_KNOB_SPARE}, // against the default max
      {{9, 1, 8, 0}, WT_EPOOL_INITIAL_GT_MAX, WT_POOL_KNOB_INITIAL},
      {{0, 0, 3, 0}, WT_EPOOL_INITIAL_GT_MAX, WT_POOL_KNOB_INITIAL}, // default initial 4 > max 3
  };
  for (const Bad &b : cases) {
    wt_pool_knob knob = WT_POOL_KNOB_NONE;
    wt_pool_config untouched = {77, 77, 77, 77};
    EXPECT_EQ(Check(b.cfg, &knob, &untouched), b.err)
        << b.cfg.initial << " " << b.cfg.spare << " " << b.cfg.max << " " << b.cfg.idle_timeout_ms;
    EXPECT_EQ(knob, b.knob) << wt_pool_knob_name(knob);
    EXPECT_EQ(untouched.max, 77) << "rejected settings must not be written";
  }
}

TEST(Pool, ErrorMessagesNameTheKnob) {
  EXPECT_NE(std::string(wt_strerror(WT_EPOOL_SPARE_GT_MAX)).find("spare"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_EPOOL_INITIAL_GT_MAX)).find("initial"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_EPOOL_TOO_LARGE)).find("max"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_EPOOL_TIMEOUT_RANGE)).find("idle_timeout_ms"), std::string::npos);
  EXPECT_STREQ(wt_pool_knob_name(WT_POOL_KNOB_IDLE_TIMEOUT_MS), "idle_timeout_ms");
  EXPECT_STREQ(wt_pool_knob_name(WT_POOL_KNOB_NONE), "");
}

TEST(Pool, ConfigureRejectsBadSettingsAndKeepsTheOnesInForce) {
  wt_pool_config before, after;
  ASSERT_EQ(wt_pool_get_config(&before), WT_OK);
  wt_pool_config bad = {0, 9, 8, 0};
  EXPECT_EQ(wt_pool_configure(&bad), WT_EPOOL_SPARE_GT_MAX);
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
