# Sources of the shared core (errors, the one blocking wait, helpers every module uses).
target_sources(webthreads PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/error.c
  ${CMAKE_CURRENT_LIST_DIR}/wait.c)
