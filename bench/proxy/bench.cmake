# bench/proxy: call routing vs emscripten_proxy_sync/async on a custom queue, and the floors.
add_executable(wt_bench_proxy ${CMAKE_CURRENT_LIST_DIR}/proxy_bench.c)
target_link_libraries(wt_bench_proxy PRIVATE webthreads)
target_compile_options(wt_bench_proxy PRIVATE -O2)
target_link_options(wt_bench_proxy PRIVATE -O2 ${WT_BENCH_LINK_FLAGS})
