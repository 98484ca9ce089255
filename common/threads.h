/* Internal: which kind of build this is.
 *
 * WT_SINGLE_THREADED is defined (1) in an emscripten build without -pthread (the `wasm-st` preset,
 * CMake option WT_THREADS=OFF): one thread, no Worker, no SharedArrayBuffer. The modules then build as
 * follows (the contract is in each public header; docs/single-threaded.md has the table):
 *   proxying/  router.c as in every build, over proxying/backend_st.c: calls to oneself run inline,
 *              every other id is refused by the registry (WT_ENOENT / WT_ESTALE), idle wake-ups are a
 *              0 ms timer on the one event loop;
 *   handles/, completion/, runtime/, common/  the same C, on the one thread (no JS bridges);
 *   pool/, worker/, deputy/  *_st.c stubs: every call returns WT_ENOTSUP.
 * Everywhere else (host, threaded wasm) it is not defined and nothing changes. Select on this macro
 * only; sources.cmake files pick the *_st.c files with the CMake variable WT_SINGLE_THREADED. */
#ifndef WT_COMMON_THREADS_H
#define WT_COMMON_THREADS_H

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define WT_SINGLE_THREADED 1
#endif

#endif
