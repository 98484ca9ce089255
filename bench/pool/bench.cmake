# bench/pool: the webthreads pool ("wt") against stock emscripten pools of 0, 4 and 64 Workers; the same
# program (pool_bench.c) in every variant, run by bench/pool/run.
set(wt_bench_pool_flags ${WT_BENCH_LINK_FLAGS})
list(FILTER wt_bench_pool_flags EXCLUDE REGEX "^-sPTHREAD_POOL_SIZE=")
set(wt_bench_pool_lib ${CMAKE_CURRENT_LIST_DIR}/bench_pool_lib.js)
function(wt_bench_pool_variant target variant pool_size)
  add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/pool_bench.c)
  target_compile_definitions(${target} PRIVATE BENCH_VARIANT="${variant}" BENCH_POOL_SIZE=${pool_size})
  target_compile_options(${target} PRIVATE -O2)
  target_link_options(${target} PRIVATE -O2 ${wt_bench_pool_flags} -sPTHREAD_POOL_SIZE=${pool_size}
                      "SHELL:--js-library ${wt_bench_pool_lib}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${wt_bench_pool_lib})
endfunction()
wt_bench_pool_variant(wt_bench_pool wt 0)
target_link_libraries(wt_bench_pool PRIVATE webthreads)
target_compile_definitions(wt_bench_pool PRIVATE WT_BENCH_WEBTHREADS)
foreach(n 0 4 64)
  wt_bench_pool_variant(wt_bench_pool_em${n} em${n} ${n})
endforeach()
