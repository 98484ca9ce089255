# mono-glue/: the runtime hooks over Mono's embedding API, a library of its own (libwebthreads_mono.a)
# so the core never links Mono. It declares the Mono functions it uses itself and needs no Mono
# headers to build; the embedder links Mono (pkg-config monosgen-2, -rdynamic).
add_library(webthreads_mono STATIC ${CMAKE_CURRENT_LIST_DIR}/glue.c)
target_link_libraries(webthreads_mono PUBLIC webthreads)
target_include_directories(webthreads_mono PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
