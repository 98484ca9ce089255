# completion/: completions settled once and delivered across threads (continuations, waits, sync over
# async), on top of proxying/'s prepared posts and leave hooks.
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/completion.c)
if(WT_PLATFORM STREQUAL "host")
  # Continuations run inside completion.c's frames: a C++ exception thrown by one must unwind through
  # them (their cleanups drop the node's references).
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/completion.c PROPERTIES COMPILE_OPTIONS -fexceptions)
endif()
if(EMSCRIPTEN AND NOT WT_SINGLE_THREADED)
  # The JS side (js/library_completion.js, `wtCompletion`): Promises <-> completions, wt_await_js_sync.
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/js_exports.c)
endif()
