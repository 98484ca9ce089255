// Configuration knobs (config/, webthreads/config.h): strict parsing of every bad value, properties
// applied all or nothing (the settings in force stay on any error, the report names key and value as
// given), knobs not given follow the given ones, contradictions between given knobs, warnings for
// unknown webthreads.* keys and for MaxThreads that cannot fit the pool, and (host) a runtimeconfig.json
// read with a real JSON library (cJSON) and applied. Host (plain, TSan, ASan), node and Chromium.
#include "webthreads/config.h"

#include "webthreads/pool.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>


#ifdef WT_TEST_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

namespace {

int64_t Get(wt_knob k) {
  int64_t v = -12345;
  EXPECT_EQ(wt_config_get(k, &v), 0);
  return v;
}

struct Snapshot {
  int64_t v[WT_KNOB_COUNT];
  Snapshot() {
    for (int k = 1; k < WT_KNOB_COUNT; k++) v[k] = Get((wt_knob)k);
  }
  bool operator==(const Snapshot &o) const {
    for (int k = 1; k < WT_KNOB_COUNT; k++)
      if (v[k] != o.v[k]) return false;
    return true;
  }
};

int Apply(std::vector<std::pair<std::string, std::string>> kv, wt_config_report *rep) {
  std::vector<const char *> keys, values;
  for (auto &p : kv) {
    keys.push_back(p.first.c_str());
    values.push_back(p.second.c_str());
  }
  return wt_config_apply_properties(kv.size(), keys.data(), values.data(), rep);
}

class Config : public ::testing::Test {
 protected:
  // Every test leaves the pool as the suite found it (Chromium runs the whole suite in one page).
  void SetUp() override {
    ASSERT_EQ(wt_pool_get_config(&saved_), 0);
    // Resolved settings say "none" with 0, which wt_pool_configure reads as "default".
    if (saved_.initial == 0) saved_.initial = WT_POOL_NONE;
    if (saved_.spare == 0) saved_.spare = WT_POOL_NONE;
  }
  void TearDown() override { EXPECT_EQ(wt_pool_configure(&saved_), 0); }
  wt_pool_config saved_{};
};

TEST(ConfigTable, EveryKnobHasNamesTypeAndADefaultInRange) {
  for (int k = 1; k < WT_KNOB_COUNT; k++) {
    const wt_knob_info *i = wt_knob_info_get((wt_knob)k);
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(i->id, k);
    EXPECT_STRNE(i->name, "");
    EXPECT_STRNE(i->property, "");
    EXPECT_STRNE(i->js, "");
    EXPECT_LE(i->min, i->dflt) << i->name;
    EXPECT_LE(i->dflt, i->max) << i->name;
    EXPECT_EQ(wt_knob_find(i->property), k);
    EXPECT_EQ(wt_knob_find(i->name), k);
  }
  EXPECT_EQ(wt_knob_info_get(WT_KNOB_NONE), nullptr);
  EXPECT_EQ(wt_knob_info_get(WT_KNOB_COUNT), nullptr);
  EXPECT_EQ(wt_knob_find("System.Threading.ThreadPool.MaxThreads"), WT_KNOB_THREADPOOL_MAX);
  EXPECT_EQ(wt_knob_find("System.Threading.ThreadPool.MinThreads"), WT_KNOB_THREADPOOL_MIN);
  EXPECT_EQ(wt_knob_find("nope"), WT_KNOB_NONE);
}

TEST(ConfigParse, StrictIntegers) {
  int64_t v = 77;
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_MAX, "64", &v), 0);
  EXPECT_EQ(v, 64);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_MAX, "400", &v), 0);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_IDLE_TIMEOUT_MS, "-1", &v), 0);
  EXPECT_EQ(v, -1);
  const char *invalid[] = {"", " ", " 4", "4 ", "+4", "0x10", "1e3", "4.0", "4.", "abc", "4abc", "-", "--4",
                           "-4" /* max takes no negatives */, "inf", "Infinity", "NaN", "nan", "1,000"};
  for (const char *s : invalid) {
    v = 77;
    EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_MAX, s, &v), WT_EINVAL) << '"' << s << '"';
    EXPECT_EQ(v, 77) << "a refused value was written: \"" << s << '"';
  }
  const char *range[] = {"0", "401", "18446744073709551616", "9223372036854775808", "99999999999999999999999"};
  for (const char *s : range) EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_MAX, s, &v), WT_ERANGE) << '"' << s << '"';
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_IDLE_TIMEOUT_MS, "-2", &v), WT_ERANGE);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_IDLE_TIMEOUT_MS, "-9223372036854775809", &v), WT_ERANGE);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_IDLE_TIMEOUT_MS, "86400001", &v), WT_ERANGE);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_MAX, nullptr, &v), WT_EINVAL);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_NONE, "1", &v), WT_EINVAL);
}

TEST(ConfigParse, StrictBooleans) {
  int64_t v = 7;
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_RESET_GLOBALS, "true", &v), 0);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_RESET_GLOBALS, "false", &v), 0);
  EXPECT_EQ(v, 0);
  for (const char *s : {"", "1", "0", "TRUE", "True", "yes", " true", "true "})
    EXPECT_EQ(wt_knob_parse(WT_KNOB_POOL_RESET_GLOBALS, s, &v), WT_EINVAL) << '"' << s << '"';
}

TEST_F(Config, EveryBadValueThroughPropertiesLeavesTheSettingsInForce) {
  const char *keys[] = {"System.Threading.ThreadPool.MaxThreads", "webthreads.pool.max", "webthreads.pool.initial"};
  const char *bad[] = {"", " 4", "4 ", "+4", "0x10", "1e3", "abc", "4abc", "-4", "18446744073709551616", "inf", "401"};
  Snapshot before;
  for (const char *key : keys) {
    for (const char *value : bad) {
      wt_config_report rep;
      int r = Apply({{"webthreads.pool.spare", "1"}, {key, value}}, &rep);
      EXPECT_TRUE(r == WT_EINVAL || r == WT_ERANGE) << key << "=" << value << " gave " << r;
      EXPECT_EQ(rep.status, r);
      EXPECT_EQ(rep.knob, wt_knob_find(key));
      EXPECT_STREQ(rep.key, key);
      EXPECT_STREQ(rep.value, value);
      std::string m = rep.message;
      EXPECT_NE(m.find(key), std::string::npos) << m;
      EXPECT_NE(m.find(std::string("\"") + value + "\""), std::string::npos) << m;
      EXPECT_NE(m.find("nothing applied"), std::string::npos) << m;
      EXPECT_TRUE(Snapshot() == before) << "a refused set changed the settings (the good spare=1 before it too)";
    }
  }
}

TEST_F(Config, KnobsNotGivenFollowTheGivenOnes) {
  // {"pool":{"max":2}}: the default initial (4) and spare (2) follow max down instead of rejecting it.
  wt_config_report rep;
  ASSERT_EQ(Apply({{"webthreads.pool.max", "2"}}, &rep), 0) << rep.message;
  EXPECT_EQ(Get(WT_KNOB_POOL_MAX), 2);
  EXPECT_LE(Get(WT_KNOB_POOL_INITIAL), 2);
  EXPECT_LE(Get(WT_KNOB_POOL_SPARE), 2);
  ASSERT_EQ(Apply({{"webthreads.pool.max", "128"}, {"webthreads.pool.initial", "4"}, {"webthreads.pool.spare", "3"}},
                  &rep),
            0)
      << rep.message;
  EXPECT_EQ(Get(WT_KNOB_POOL_SPARE), 3);
  EXPECT_EQ(Get(WT_KNOB_POOL_INITIAL), 4);
  // Zero means zero here (not "default"): no Workers at start-up.
  ASSERT_EQ(Apply({{"webthreads.pool.initial", "0"}}, &rep), 0) << rep.message;
  EXPECT_EQ(Get(WT_KNOB_POOL_INITIAL), 0);
  ASSERT_EQ(Apply({{"webthreads.pool.idle_timeout_ms", "-1"}}, &rep), 0) << rep.message;
  EXPECT_EQ(Get(WT_KNOB_POOL_IDLE_TIMEOUT_MS), -1);
}

TEST_F(Config, GivenKnobsThatContradictAreRefused) {
  Snapshot before;
  wt_config_report rep;
  EXPECT_EQ(Apply({{"webthreads.pool.initial", "10"}, {"webthreads.pool.max", "5"}}, &rep), WT_ERANGE);
  EXPECT_EQ(rep.knob, WT_KNOB_POOL_INITIAL);
  EXPECT_NE(std::string(rep.message).find("webthreads.pool.max=5"), std::string::npos) << rep.message;
  EXPECT_EQ(Apply({{"System.Threading.ThreadPool.MinThreads", "10"}, {"System.Threading.ThreadPool.MaxThreads", "5"}},
                  &rep),
            WT_ERANGE);
  EXPECT_EQ(rep.knob, WT_KNOB_THREADPOOL_MIN);
  EXPECT_STREQ(rep.value, "10");
  EXPECT_TRUE(Snapshot() == before);
}

TEST_F(Config, WarnsWhenMaxThreadsCannotFitThePool) {
  wt_config_report rep;
  ASSERT_EQ(Apply({{"webthreads.pool.max", "64"}, {"System.Threading.ThreadPool.MaxThreads", "40"}}, &rep), 0);
  EXPECT_EQ(rep.warnings, 0);
  ASSERT_EQ(Apply({{"System.Threading.ThreadPool.MaxThreads", "60"}}, &rep), 0);  // 60 + 6 > 64
  EXPECT_EQ(rep.warnings, 1);
  EXPECT_EQ(Get(WT_KNOB_THREADPOOL_MAX), 60) << "a warning is not an error: the value applies";
  ASSERT_EQ(Apply({{"System.Threading.ThreadPool.MaxThreads", "0"}}, &rep), 0);
}

TEST_F(Config, UnknownWebthreadsKeysWarnForeignKeysAreIgnored) {
  wt_config_report rep;
  ASSERT_EQ(Apply({{"webthreads.pool.maxx", "3"}, {"System.GC.Server", "true"}, {"Foo", "bar baz"}}, &rep), 0);
  EXPECT_EQ(rep.warnings, 1);
}

TEST_F(Config, NullArraysAndKeysAreRefused) {
  wt_config_report rep;
  EXPECT_EQ(wt_config_apply_properties(1, nullptr, nullptr, &rep), WT_EINVAL);
  const char *k[] = {nullptr};
  const char *v[] = {"1"};
  EXPECT_EQ(wt_config_apply_properties(1, k, v, &rep), WT_EINVAL);
  EXPECT_EQ(wt_config_apply_properties(0, nullptr, nullptr, &rep), 0);
  int64_t out;
  EXPECT_EQ(wt_config_get(WT_KNOB_NONE, &out), WT_EINVAL);
  EXPECT_EQ(wt_config_get(WT_KNOB_POOL_MAX, nullptr), WT_EINVAL);
}

#ifdef WT_TEST_DOCS_CONFIG
// docs/config.md lists every knob of the table: one row with its name, runtimeconfig key, JS path,
// default and range, so the documentation cannot fall behind the table.
TEST(ConfigDocs, EveryKnobHasARowWithItsKeysDefaultAndRange) {
  std::ifstream f(WT_TEST_DOCS_CONFIG);
  ASSERT_TRUE(f) << "cannot open " << WT_TEST_DOCS_CONFIG;
  std::vector<std::string> rows;
  for (std::string line; std::getline(f, line);)
    if (line.rfind("| `", 0) == 0) rows.push_back(line);
  for (int k = 1; k < WT_KNOB_COUNT; k++) {
    const wt_knob_info *i = wt_knob_info_get((wt_knob)k);
    std::string row;
    for (const std::string &r : rows)
      if (r.rfind(std::string("| `") + i->name + "` |", 0) == 0) row = r;
    ASSERT_FALSE(row.empty()) << "docs/config.md has no row for knob " << i->name;
    std::vector<std::string> cells;
    for (size_t a = 1, b; (b = row.find(" |", a)) != std::string::npos; a = b + 2) cells.push_back(row.substr(a + 1, b - a - 1));
    ASSERT_GE(cells.size(), 7u) << row;
    EXPECT_EQ(cells[1], std::string("`") + i->property + "`") << row;
    EXPECT_EQ(cells[2], std::string("`") + i->js + "`") << row;
    std::string dflt = i->type == WT_KNOB_BOOL ? (i->dflt ? "true" : "false") : std::to_string(i->dflt);
    EXPECT_EQ(cells[5].rfind(dflt, 0), 0u) << "default of " << i->name << ": " << row;
    std::string range = i->type == WT_KNOB_BOOL ? "true/false" : std::to_string(i->min) + ".." + std::to_string(i->max);
    EXPECT_EQ(cells[6], range) << "range of " << i->name << ": " << row;
  }
}
#endif

#ifdef WT_TEST_HAVE_CJSON
// A runtimeconfig.json as the .NET host writes it, read with cJSON; configProperties become the
// key/value strings a runtime hands the VM at init (numbers as written, booleans true/false).
TEST_F(Config, RuntimeconfigJsonIsApplied) {
  std::ifstream f(WT_TEST_RUNTIMECONFIG);
  ASSERT_TRUE(f) << "cannot open " << WT_TEST_RUNTIMECONFIG;
  std::stringstream ss;
  ss << f.rdbuf();
  cJSON *root = cJSON_Parse(ss.str().c_str());
  ASSERT_NE(root, nullptr);
  cJSON *props = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "runtimeOptions"),
                                                  "configProperties");
  ASSERT_TRUE(cJSON_IsObject(props));
  std::vector<std::pair<std::string, std::string>> kv;
  for (cJSON *it = props->child; it; it = it->next) {
    std::string value;
    if (cJSON_IsString(it)) value = it->valuestring;
    else if (cJSON_IsBool(it)) value = cJSON_IsTrue(it) ? "true" : "false";
    else {
      char *p = cJSON_PrintUnformatted(it);
      value = p;
      cJSON_free(p);
    }
    kv.emplace_back(it->string, value);
  }
  cJSON_Delete(root);
  wt_config_report rep;
  ASSERT_EQ(Apply(kv, &rep), 0) << rep.message;
  EXPECT_EQ(Get(WT_KNOB_THREADPOOL_MIN), 2);
  EXPECT_EQ(Get(WT_KNOB_THREADPOOL_MAX), 24);
  EXPECT_EQ(Get(WT_KNOB_POOL_MAX), 40);
  EXPECT_EQ(Get(WT_KNOB_POOL_SPARE), 3);
  EXPECT_EQ(rep.warnings, 0);
  Apply({{"System.Threading.ThreadPool.MinThreads", "0"}, {"System.Threading.ThreadPool.MaxThreads", "0"}}, &rep);
}
#endif

}  // namespace
