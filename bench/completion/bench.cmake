# bench/completion: JS Promise settling on the UI thread -> a blocked waiter / a continuation on an idle
# worker, against the Atomics.wait / Atomics.waitAsync ping-pong floors of the same run.
add_executable(wt_bench_completion ${CMAKE_CURRENT_LIST_DIR}/completion_bench.c)
target_link_libraries(wt_bench_completion PRIVATE webthreads)
target_compile_options(wt_bench_completion PRIVATE -O2)
target_link_options(wt_bench_completion PRIVATE -O2 ${WT_BENCH_LINK_FLAGS})
