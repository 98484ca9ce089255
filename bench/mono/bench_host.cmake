# bench/mono (host build only: Debian's Mono 6.8). Target wt_bench_mono; run with bench/mono/run.
include(${PROJECT_SOURCE_DIR}/cmake/mono.cmake)
if(TARGET PkgConfig::WT_MONO AND WT_MCS)
  set(WT_BENCH_MONO_DLL ${CMAKE_CURRENT_BINARY_DIR}/bench/mono/WtMonoTests.dll)
  add_custom_command(OUTPUT ${WT_BENCH_MONO_DLL}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/bench/mono
    COMMAND ${WT_MCS} -nologo -target:library -out:${WT_BENCH_MONO_DLL} ${PROJECT_SOURCE_DIR}/test/mono/WtMonoTests.cs
    DEPENDS ${PROJECT_SOURCE_DIR}/test/mono/WtMonoTests.cs)
  add_custom_target(wt_bench_mono_dll DEPENDS ${WT_BENCH_MONO_DLL})
  add_executable(wt_bench_mono EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/mono_bench.c)
  set_target_properties(wt_bench_mono PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench/mono)
  target_link_libraries(wt_bench_mono PRIVATE webthreads_mono PkgConfig::WT_MONO)
  target_link_options(wt_bench_mono PRIVATE -rdynamic)
  target_include_directories(wt_bench_mono PRIVATE ${PROJECT_SOURCE_DIR}) # test/mono/mono_embed.h
  add_dependencies(wt_bench_mono wt_bench_mono_dll)
endif()
