# Debian's Mono 6.8 for the host-tree consumers (test/mono, test/stress/mono, test/docs, bench/mono):
# found once per configure. Gives the GLOBAL imported target PkgConfig::WT_MONO (pkg-config monosgen-2)
# and the cached WT_MCS (the C# compiler); a consumer checks `TARGET PkgConfig::WT_MONO AND WT_MCS` and
# otherwise says it is off (scripts/bootstrap installs both).
include_guard(GLOBAL)
find_package(PkgConfig)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(WT_MONO IMPORTED_TARGET GLOBAL monosgen-2)
endif()
find_program(WT_MCS mcs)
