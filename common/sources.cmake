# Sources of the shared core (errors, helpers every module uses).
target_sources(webthreads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/error.c)
