// The build itself: the asan tier (test/CMakeLists.txt sets WT_TEST_EXPECT_ASSERTIONS there) must run
// the library's assertions, so misuse is caught in CI: it fails if that tree builds with NDEBUG again.
// Other tiers build with NDEBUG and skip.
#include "webthreads/proxying.h"

#include <gtest/gtest.h>

namespace {

#if defined(WT_TEST_EXPECT_ASSERTIONS)
TEST(Build, LibraryAssertionsRunInThisTree) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Misuse asserts with its reason (include/webthreads/proxying.h: `out` must not be NULL).
  EXPECT_DEATH(wt_proxying_stats_get(nullptr), "must not be NULL");
}
#else
TEST(Build, LibraryAssertionsRunInThisTree) { GTEST_SKIP() << "this tier builds with NDEBUG; the asan tier runs assertions"; }
#endif

}  // namespace
