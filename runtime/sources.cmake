# runtime/: the hooks table a managed runtime fills (webthreads/runtime.h); mono-glue/ is one filler.
target_sources(webthreads PRIVATE ${CMAKE_CURRENT_LIST_DIR}/runtime.c)
