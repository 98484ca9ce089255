// WASI toolchain probe run by scripts/bootstrap: Debian's clang-19 for wasm32-wasi with wasi-libc,
// libc++/libc++abi (no exceptions, no threads) and the wasm32 builtins, run by test/wasi/run-wasi.mjs
// under node:wasi. Prints "wasi probe ok" and exits 3 when its argument and a clock reached it.
#include <cstdio>
#include <ctime>
#include <string>

int main(int argc, char **argv) {
  timespec t;
  if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) return 1;
  std::string arg = argc > 1 ? argv[1] : "";
  if (arg != "probe") return 2;
  std::printf("wasi %s ok\n", arg.c_str());
  return 3;
}
