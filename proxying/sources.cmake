# proxying/: thread identity and thread-affine call routing. router.c is the shared logic; one backend
# per platform says how to wake an owner idle in its event loop.
set(WT_PROXYING_MAX_THREADS 256 CACHE STRING "Slots in the thread registry (threads joined at once)")
target_compile_definitions(webthreads PRIVATE WT_PROXYING_MAX_THREADS=${WT_PROXYING_MAX_THREADS})
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/router.c)
if(EMSCRIPTEN)
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_em.c
                                    ${CMAKE_CURRENT_LIST_DIR}/js_exports.c)
else()
  target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/backend_host.c)
endif()
