// test/boot's JS helpers (--js-library of wt_boot_test).
addToLibrary({
  // Any thread: 1 if this realm runs the lean worker script (js/library_pool_boot.js), else 0.
  wt_test_boot_lean_realm__deps: ['$wtBoot'],
  wt_test_boot_lean_realm: () => (wtBoot.isLeanRealm() ? 1 : 0),
});
