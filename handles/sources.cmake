# handles/: per-thread handle tables, GC-safe release from any thread, batched to the owner. handles.c is
# the shared logic (on top of proxying/'s library tasks); one backend per platform says how the owner
# realm's JS table is told.
set(WT_HANDLES_MAX 1048575 CACHE STRING "Live handles per thread at most (1 .. 2^20-1)")
target_compile_definitions(webthreads PRIVATE WT_HANDLES_MAX=${WT_HANDLES_MAX}u)
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/handles.c)
if(EMSCRIPTEN AND NOT WT_SINGLE_THREADED)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_em.c)
else()
  # Host, and the single-threaded builds (wasm-st, wasi): C-valued handles only (the JS table, wtHandles, is part of
  # the threaded JS library).
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_host.c)
endif()
if(WT_PLATFORM STREQUAL "host")
  # Free functions run inside the batch pass: an exception thrown by one must unwind through it.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/handles.c PROPERTIES COMPILE_OPTIONS -fexceptions)
endif()
