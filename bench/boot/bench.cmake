# bench/boot: Worker boot cost, small program and one with a ~2 MB JS library (issue 17): webthreads
# with the lean boot, webthreads booting from the main JS (WT_LEAN_BOOT OFF on the target) and stock
# emscripten (PTHREAD_POOL_SIZE from the program's arguments), run by bench/boot/run.
set(wt_bench_boot_flags ${WT_BENCH_LINK_FLAGS})
list(FILTER wt_bench_boot_flags EXCLUDE REGEX "^-sPTHREAD_POOL_SIZE=")
set(wt_bench_boot_dir ${CMAKE_CURRENT_LIST_DIR})
set(wt_bench_boot_big ${CMAKE_CURRENT_BINARY_DIR}/boot_big)
add_custom_command(OUTPUT ${wt_bench_boot_big}/big_lib.js ${wt_bench_boot_big}/big_lib.c
  COMMAND ${WT_NODE} ${PROJECT_SOURCE_DIR}/test/boot/gen_big_lib.mjs ${wt_bench_boot_big} 400 13
  DEPENDS ${PROJECT_SOURCE_DIR}/test/boot/gen_big_lib.mjs
  COMMENT "Generating bench/boot's big JS library" VERBATIM)
add_custom_target(wt_bench_boot_big_lib DEPENDS ${wt_bench_boot_big}/big_lib.js ${wt_bench_boot_big}/big_lib.c)
find_program(WT_NODE node REQUIRED)
configure_file(${CMAKE_CURRENT_LIST_DIR}/floor_worker.js ${CMAKE_CURRENT_BINARY_DIR}/floor_worker.js COPYONLY)
function(wt_bench_boot_variant target variant big)
  set(srcs ${wt_bench_boot_dir}/boot_bench.c)
  set(libs "SHELL:--js-library ${wt_bench_boot_dir}/boot_bench_lib.js"
           "SHELL:--js-library ${PROJECT_SOURCE_DIR}/bench/pool/bench_pool_lib.js")
  if(big)
    list(APPEND srcs ${wt_bench_boot_big}/big_lib.c)
    list(APPEND libs "SHELL:--js-library ${wt_bench_boot_big}/big_lib.js")
  endif()
  add_executable(${target} ${srcs})
  if(big)
    add_dependencies(${target} wt_bench_boot_big_lib)
    target_compile_definitions(${target} PRIVATE WT_BENCH_BIG)
  endif()
  target_compile_definitions(${target} PRIVATE BENCH_VARIANT="${variant}")
  target_compile_options(${target} PRIVATE -O2)
  target_link_options(${target} PRIVATE -O2 ${wt_bench_boot_flags} ${libs})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${wt_bench_boot_dir}/boot_bench_lib.js
               ${PROJECT_SOURCE_DIR}/bench/pool/bench_pool_lib.js)
  if(variant MATCHES "^wt")
    target_link_libraries(${target} PRIVATE webthreads)
    target_compile_definitions(${target} PRIVATE WT_BENCH_WEBTHREADS)
  else()
    target_link_options(${target} PRIVATE -sPTHREAD_POOL_SIZE=wtBenchWorkers
                        "SHELL:--pre-js ${wt_bench_boot_dir}/workers_pre.js")
  endif()
  if(variant MATCHES "^wtmain")
    set_target_properties(${target} PROPERTIES WT_LEAN_BOOT OFF) # cmake/lean_boot.cmake leaves it alone
  endif()
endfunction()
foreach(size small 2mb)
  set(big OFF)
  if(size STREQUAL "2mb")
    set(big ON)
  endif()
  wt_bench_boot_variant(wt_bench_boot_wt_${size} wt_${size} ${big})
  wt_bench_boot_variant(wt_bench_boot_wtmain_${size} wtmain_${size} ${big})
  wt_bench_boot_variant(wt_bench_boot_em_${size} em_${size} ${big})
endforeach()
