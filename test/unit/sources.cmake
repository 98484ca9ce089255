# Unit-test sources added by modules (one line per module test file).
list(APPEND WT_UNIT_TEST_SOURCES unit/pool_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/proxying_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/build_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/handles_test.cc unit/alloc_count.c)
list(APPEND WT_UNIT_TEST_SOURCES unit/completion_test.cc)
# completion/'s JS halves (wasm only; its fetch test reads completion_fixture.txt from the program's folder,
# which test/run-wasm.mjs serves over http under node and Chromium).
list(APPEND WT_UNIT_TEST_SOURCES unit/completion_js_test.cc)
configure_file(${CMAKE_CURRENT_LIST_DIR}/completion_fixture.txt ${CMAKE_CURRENT_BINARY_DIR}/completion_fixture.txt COPYONLY)
list(APPEND WT_UNIT_TEST_SOURCES unit/worker_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/runtime_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/deputy_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/config_test.cc)
list(APPEND WT_UNIT_TEST_SOURCES unit/diag_test.cc unit/diag_helper.c)
