# worker/: dedicated JS worker threads (own event loop, terminated not reused) and the I/O thread, on
# top of proxying/'s reserved slots, roles and leave hooks.
if(WT_SINGLE_THREADED)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/worker_st.c) # no threads: WT_ENOTSUP
  return()
endif()
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/worker.c)
if(NOT EMSCRIPTEN)
  # A destroyed worker exits (pthread_exit) from inside a post run by worker.c's serving loop: the
  # forced unwind passes through these frames.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/worker.c PROPERTIES COMPILE_OPTIONS -fexceptions)
endif()
