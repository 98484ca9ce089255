# deputy/: the program's main on a deputy thread (UI thread: event loop only), on top of proxying/
# (registry, UI role, serving) and worker/ (the I/O thread).
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/deputy.c)
