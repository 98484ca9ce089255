# scripts/env.sh — sourced by the other scripts: where the toolchain lives. Prints nothing.
# Override the cache root with WT_TOOLCHAIN_CACHE (default ~/.cache/webthreads).
export WT_EMSCRIPTEN_VERSION=3.1.69
export WT_TOOLCHAIN_CACHE=${WT_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/webthreads}
export WT_EMSCRIPTEN_HOME="$WT_TOOLCHAIN_CACHE/emscripten-$WT_EMSCRIPTEN_VERSION"
export WT_EMSCRIPTEN_ROOT="$WT_EMSCRIPTEN_HOME/usr/share/emscripten"
export WT_LLVM_ROOT=/usr/lib/llvm-19/bin
export EM_CONFIG="$WT_EMSCRIPTEN_HOME/emscripten.config"
export EMSDK_TOOLCHAIN_FILE="$WT_EMSCRIPTEN_ROOT/cmake/Modules/Platform/Emscripten.cmake"
case ":$PATH:" in *":$WT_EMSCRIPTEN_ROOT:"*) ;; *) export PATH="$WT_EMSCRIPTEN_ROOT:$PATH";; esac
# The second emscripten: 6.0.5 from Debian forky, in a debootstrapped forky root (its LLVM needs a newer
# glibc than bookworm's); scripts/em6 runs a command inside it. WT_EM6=0 leaves it out (bootstrap, test).
export WT_EM6_VERSION=6.0.5
export WT_EM6_HOME="$WT_TOOLCHAIN_CACHE/emscripten-$WT_EM6_VERSION"
export WT_EM6_ROOT="$WT_EM6_HOME/root"
export WT_EM6=${WT_EM6:-1}
