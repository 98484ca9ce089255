# proxying/: thread identity and thread-affine call routing. router.c is the shared logic; one backend
# per platform says how to wake an owner idle in its event loop.
set(WT_PROXYING_MAX_THREADS 256 CACHE STRING "Slots in the thread registry (threads joined at once)")
set(WT_PROXYING_MAX_DEPTH 64 CACHE STRING "Library frames (calls being run, waits) on one thread's stack")
set(WT_PROXYING_STACK_RESERVE 16384 CACHE STRING "Bytes of stack a thread keeps free before it serves nested calls")
set(WT_PROXYING_MAILBOX_MAX 262144 CACHE STRING "Calls waiting in one thread's mailbox at most (WT_EMAILBOX_FULL beyond)")
target_compile_definitions(webthreads PRIVATE
  WT_PROXYING_MAX_THREADS=${WT_PROXYING_MAX_THREADS}
  WT_PROXYING_MAX_DEPTH=${WT_PROXYING_MAX_DEPTH}
  WT_PROXYING_STACK_RESERVE=${WT_PROXYING_STACK_RESERVE}
  WT_PROXYING_MAILBOX_MAX=${WT_PROXYING_MAILBOX_MAX}u)
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/router.c)
if(WT_PLATFORM STREQUAL "wasi")
  # One thread and no event loop: what is queued to oneself runs at wt_thread_poll (backend_wasi.c).
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_wasi.c)
elseif(WT_SINGLE_THREADED)
  # One thread: calls to oneself inline, every other id refused by the registry (backend_st.c).
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_st.c)
elseif(EMSCRIPTEN)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_em.c
                                    ${CMAKE_CURRENT_LIST_DIR}/js_exports.c)
else()
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_host.c)
  # The user-code boundary's host guard is a C cleanup: it must run when a C++ exception or
  # pthread_exit's forced unwind passes through the router's frames.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/router.c PROPERTIES COMPILE_OPTIONS -fexceptions)
endif()
