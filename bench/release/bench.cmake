# bench/release: wt_handle_release against one wt_post / emscripten_proxy_async per release. The same
# program is built for the host by bench/release/run (cc against a host libwebthreads.a).
add_executable(wt_bench_release ${CMAKE_CURRENT_LIST_DIR}/release_bench.c)
target_link_libraries(wt_bench_release PRIVATE webthreads)
target_compile_options(wt_bench_release PRIVATE -O2)
target_link_options(wt_bench_release PRIVATE -O2 ${WT_BENCH_LINK_FLAGS})
