# config/: the knob table, strict parsing and runtimeconfig-style properties (webthreads/config.h).
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/config.c)
