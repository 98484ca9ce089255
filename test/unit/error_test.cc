#include "webthreads/error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

namespace {

struct Entry { int value; const char *name; const char *msg; };
const Entry kAll[] = {
#define WT_TEST_ENTRY(name, value, msg) {WT_##name, #name, msg},
    WT_ERRNO_MAP(WT_TEST_ENTRY)
#undef WT_TEST_ENTRY
};

TEST(Error, OkIsZeroAndEveryErrorIsNegative) {
  EXPECT_EQ(WT_OK, 0);
  for (const Entry &e : kAll) {
    if (std::strcmp(e.name, "OK") != 0) {
      EXPECT_LT(e.value, 0) << e.name;
    }
  }
}

TEST(Error, ValuesAreUnique) {
  std::set<int> seen;
  for (const Entry &e : kAll) EXPECT_TRUE(seen.insert(e.value).second) << "duplicate value for " << e.name;
}

TEST(Error, NamesRoundTrip) {
  for (const Entry &e : kAll) EXPECT_STREQ(wt_err_name(e.value), e.name);
  EXPECT_STREQ(wt_err_name(WT_EAGAIN), "EAGAIN");
}

TEST(Error, MessagesAreDistinctAndNonEmpty) {
  std::set<std::string> seen;
  for (const Entry &e : kAll) {
    const char *m = wt_strerror(e.value);
    ASSERT_NE(m, nullptr);
    EXPECT_GT(std::strlen(m), 5u) << e.name;
    EXPECT_TRUE(seen.insert(m).second) << "duplicate message for " << e.name;
  }
}

TEST(Error, CapacityMessageNamesTheKnob) {
  EXPECT_NE(std::string(wt_strerror(WT_EAGAIN)).find("max"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_ETIMEDOUT)).find("timeout_ms"), std::string::npos);
}

TEST(Error, MessagesNameWhatReturnsThemAndTheKnob) {
  // WT_EBUSY comes from wt_thread_adopt_ui (the pool reconfigures live): its message must say so.
  EXPECT_NE(std::string(wt_strerror(WT_EBUSY)).find("wt_thread_adopt_ui"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_EDEPTH)).find("WT_PROXYING_MAX_DEPTH"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_EMAILBOX_FULL)).find("WT_PROXYING_MAILBOX_MAX"), std::string::npos);
  EXPECT_NE(std::string(wt_strerror(WT_EINCALL)).find("wt_thread_leave"), std::string::npos);
}

// error.h is the lowest layer: its messages name knobs by their table name (docs/config.md), never
// a module's struct field or a JS path.
TEST(Error, MessagesNameKnobsNotFieldsOrJsPaths) {
  for (const Entry &e : kAll) {
    std::string m = wt_strerror(e.value);
    for (const char *bad : {"wt_pool_config", "webthreads.pool", "Module.", "JS "})
      EXPECT_EQ(m.find(bad), std::string::npos) << e.name << " names \"" << bad << "\": " << m;
  }
  EXPECT_NE(std::string(wt_strerror(WT_EAGAIN)).find("pool.max"), std::string::npos);
}

// -16..-21 were the pool's own WT_EPOOL_* codes (now WT_ERANGE plus the knob): never reused.
TEST(Error, RetiredValuesStayRetired) {
  for (int v = -21; v <= -16; v++) {
    EXPECT_STREQ(wt_err_name(v), "UNKNOWN") << v;
    EXPECT_STREQ(wt_strerror(v), "unknown webthreads error") << v;
  }
}

TEST(Error, UnknownCodes) {
  EXPECT_STREQ(wt_strerror(12345), "unknown webthreads error");
  EXPECT_STREQ(wt_strerror(-9999), "unknown webthreads error");
  EXPECT_STREQ(wt_err_name(-9999), "UNKNOWN");
}

}  // namespace
