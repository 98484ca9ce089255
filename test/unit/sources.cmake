list(APPEND WT_UNIT_TEST_SOURCES unit/proxying_test.cc)
