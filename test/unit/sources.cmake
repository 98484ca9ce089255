# Unit-test sources added by modules (one line per module test file).
list(APPEND WT_UNIT_TEST_SOURCES unit/pool_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/proxying_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/build_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/handles_test.cc unit/alloc_count.c)
list(APPEND WT_UNIT_TEST_SOURCES unit/completion_test.cc)
