# The dynamic Web Worker pool: configuration, stats (portable C) and the wasm glue the JS service in
# js/library_pool.js calls. The service itself is JS (UI thread); see docs/pool.md.
if(WT_SINGLE_THREADED)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/pool_st.c) # no Workers: WT_ENOTSUP
  return()
endif()
target_sources(webthreads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pool.c
  ${CMAKE_CURRENT_LIST_DIR}/create.c
  ${CMAKE_CURRENT_LIST_DIR}/park.c)
if(EMSCRIPTEN)
  # Ending a thread that never ran needs musl's and emscripten's internal headers: that file only.
  set(wt_em_lib ${EMSCRIPTEN_ROOT_PATH}/system/lib)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/pool_abandon.c)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/pool_abandon.c PROPERTIES
    INCLUDE_DIRECTORIES "${wt_em_lib}/libc/musl/src/internal;${wt_em_lib}/libc/musl/arch/emscripten;${wt_em_lib}/libc/musl/src/include;${wt_em_lib}/libc/musl/include;${wt_em_lib}/pthread"
    COMPILE_OPTIONS "-Wno-shift-op-parentheses;-Wno-bitwise-op-parentheses;-Wno-unused-parameter;-Wno-sign-compare")
endif()
