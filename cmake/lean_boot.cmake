# The lean Worker boot (docs/pool.md, "Lean Worker boot"; js/pool_boot_gen.mjs, js/library_pool_boot.js).
#
#   wt_lean_boot(target)        each link of `target` (an emscripten -pthread program linking
#                               libwebthreads.js) also writes <prog>.worker.js beside <prog>.js and patches
#                               <prog>.js so that the pool's Workers load it. Works from any directory:
#                               it is the target's link launcher (RULE_LAUNCH_LINK, Ninja and Makefiles),
#                               which runs the link and then js/pool_boot_gen.mjs on its output
#   wt_lean_boot_all(dir)       wt_lean_boot on every executable under `dir` (recursively) that links
#                               webthreads, unless its target property WT_LEAN_BOOT is OFF: this tree's
#                               tests, benchmarks and demo (configure with WT_LEAN_BOOT=OFF: none)
# acorn: the repository's node_modules (scripts/bootstrap), else emscripten's own, else Debian's node-acorn.
find_program(WT_NODE node REQUIRED)
get_filename_component(WT_LEAN_BOOT_GEN ${CMAKE_CURRENT_LIST_DIR}/../js/pool_boot_gen.mjs ABSOLUTE)
set(WT_LEAN_BOOT_ACORN "")
foreach(d ${CMAKE_CURRENT_LIST_DIR}/../node_modules/acorn ${EMSCRIPTEN_ROOT_PATH}/node_modules/acorn /usr/share/nodejs/acorn)
  if(NOT WT_LEAN_BOOT_ACORN AND EXISTS ${d}/package.json)
    get_filename_component(WT_LEAN_BOOT_ACORN ${d} ABSOLUTE)
  endif()
endforeach()

function(wt_lean_boot target)
  get_target_property(launcher ${target} RULE_LAUNCH_LINK)
  if(launcher)
    if(NOT launcher MATCHES "pool_boot_gen")
      message(FATAL_ERROR "wt_lean_boot(${target}): the target already has a link launcher (RULE_LAUNCH_LINK: ${launcher})")
    endif()
    return()
  endif()
  set(acorn)
  if(WT_LEAN_BOOT_ACORN)
    set(acorn "--acorn ${WT_LEAN_BOOT_ACORN}")
  endif()
  set_target_properties(${target} PROPERTIES RULE_LAUNCH_LINK "${WT_NODE} ${WT_LEAN_BOOT_GEN} ${acorn} --link")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${WT_LEAN_BOOT_GEN})
  set_property(TARGET ${target} APPEND PROPERTY ADDITIONAL_CLEAN_FILES
    $<TARGET_FILE_DIR:${target}>/$<TARGET_FILE_BASE_NAME:${target}>.worker.js)
endfunction()

function(wt_lean_boot_all dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(NOT type STREQUAL "EXECUTABLE")
      continue()
    endif()
    get_target_property(off ${t} WT_LEAN_BOOT)
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(NOT "${off}" STREQUAL "OFF" AND libs AND "webthreads" IN_LIST libs)
      wt_lean_boot(${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(d ${subdirs})
    wt_lean_boot_all(${d})
  endforeach()
endfunction()
