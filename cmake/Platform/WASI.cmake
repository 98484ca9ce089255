# CMake platform file for CMAKE_SYSTEM_NAME WASI (cmake/wasi.cmake puts cmake/ on CMAKE_MODULE_PATH;
# CMake 3.25 has none of its own). WASI preview 1 programs: static, no shared libraries, .wasm files.
set(WASI 1)
set(CMAKE_EXECUTABLE_SUFFIX .wasm)
set(CMAKE_STATIC_LIBRARY_PREFIX lib)
set(CMAKE_STATIC_LIBRARY_SUFFIX .a)
set(CMAKE_FIND_LIBRARY_PREFIXES lib)
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
