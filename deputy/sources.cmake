# deputy/: the program's main on a deputy thread (UI thread: event loop only), on top of proxying/
# (registry, UI role, serving) and worker/ (the I/O thread).
if(WT_SINGLE_THREADED)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/deputy_st.c) # no threads: WT_ENOTSUP
  return()
endif()
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/deputy.c)
if(NOT EMSCRIPTEN)
  # A main_fn that calls pthread_exit unwinds through deputy_host_main: its cleanup handler must run
  # under glibc's forced unwind (the C++-style pthread_cleanup_push).
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/deputy.c PROPERTIES COMPILE_OPTIONS -fexceptions)
endif()
