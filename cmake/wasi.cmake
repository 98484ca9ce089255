# CMake toolchain file: wasm32-wasi (WASI preview 1) with Debian's parts of wasi-sdk — clang-19 and
# lld-19, the wasi-libc package (headers /usr/include/wasm32-wasi, libraries /usr/lib/wasm32-wasi),
# libclang-rt-19-dev-wasm32 (compiler builtins) and libc++/libc++abi-19-dev-wasm32 (built by Debian
# without threads, exceptions or filesystem). No threads: Debian ships no wasm32-wasip1-threads sysroot,
# so this is the single-threaded library (common/threads.h defines WT_SINGLE_THREADED). Programs are
# static WASI commands (crt1-command.o), run by test/wasi/run-wasi.mjs under node's built-in node:wasi.
# Used by the `wasi` preset (CMakePresets.json); see docs/wasi.md. WT_WASI_LLVM_ROOT / WT_WASI_SYSROOT
# override where LLVM 19 and the WASI sysroot live.
set(CMAKE_SYSTEM_NAME WASI) # cmake/Platform/WASI.cmake
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_LIST_DIR})

if(NOT WT_WASI_LLVM_ROOT)
  set(WT_WASI_LLVM_ROOT /usr/lib/llvm-19)
endif()
if(NOT WT_WASI_SYSROOT)
  set(WT_WASI_SYSROOT /usr) # Debian's multiarch layout: <sysroot>/{include,lib}/wasm32-wasi
endif()
# try_compile projects re-read this file: pass the two on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WT_WASI_LLVM_ROOT WT_WASI_SYSROOT)

set(CMAKE_C_COMPILER ${WT_WASI_LLVM_ROOT}/bin/clang)
set(CMAKE_CXX_COMPILER ${WT_WASI_LLVM_ROOT}/bin/clang++)
set(CMAKE_AR ${WT_WASI_LLVM_ROOT}/bin/llvm-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WT_WASI_LLVM_ROOT}/bin/llvm-ranlib CACHE FILEPATH "")
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_SYSROOT ${WT_WASI_SYSROOT})

# With --sysroot=/usr clang would also search /usr/include (the host's glibc headers: a host
# <pthread.h> would be found): only the WASI directories, libc++ before libc, then clang's own.
set(wt_wasi_inc ${WT_WASI_SYSROOT}/include/wasm32-wasi)
set(CMAKE_C_FLAGS_INIT "-nostdlibinc -isystem ${wt_wasi_inc}")
set(CMAKE_CXX_FLAGS_INIT "-nostdlibinc -isystem ${wt_wasi_inc}/c++/v1 -isystem ${wt_wasi_inc} -fno-exceptions")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")

set(CMAKE_FIND_ROOT_PATH ${WT_WASI_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
