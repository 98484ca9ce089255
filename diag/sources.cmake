# diag/: snapshots for watchdogs and stuck runs (webthreads/diag.h): the registry's threads, the
# sleepers of the one wait, every module's counters, as structs or one text dump.
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/diag.c)
