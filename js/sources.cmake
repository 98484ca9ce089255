# JS library pieces, in link order. Each file is an emscripten --js-library fragment.
set(WT_JS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/library_emscripten.js
  ${CMAKE_CURRENT_LIST_DIR}/library_webthreads.js
  ${CMAKE_CURRENT_LIST_DIR}/library_webthreads_proxying.js
  ${CMAKE_CURRENT_LIST_DIR}/library_handles.js
  ${CMAKE_CURRENT_LIST_DIR}/library_pool.js
  ${CMAKE_CURRENT_LIST_DIR}/library_pool_boot.js
  ${CMAKE_CURRENT_LIST_DIR}/library_pool_create.js
  ${CMAKE_CURRENT_LIST_DIR}/library_pool_park.js
  ${CMAKE_CURRENT_LIST_DIR}/library_completion.js
  ${CMAKE_CURRENT_LIST_DIR}/library_worker.js)
