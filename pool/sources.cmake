# The dynamic Web Worker pool: configuration, stats (portable C) and the wasm glue the JS service in
# js/library_pool.js calls. The service itself is JS (UI thread); see docs/pool.md.
target_sources(webthreads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pool.c
  ${CMAKE_CURRENT_LIST_DIR}/create.c)
