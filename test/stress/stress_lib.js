// The stress suite's JS half (test/stress/stress.c): a victim thread serves its mailbox inside its own
// JS frame, which catches the exception a routed call throws on purpose (e.wtStress) — as a runtime's
// own frame would — and restores the wasm stack pointer the exception left behind. Anything else
// (pthread_exit's 'unwind', exit, abort) goes on.
addToLibrary({
  stress_serve_guarded__deps: ['$stackSave', '$stackRestore', 'stress_victim_serve'],
  stress_serve_guarded: (v) => {
    var sp = stackSave();
    try {
      return _stress_victim_serve(v);
    } catch (e) {
      if (e && e.wtStress) { stackRestore(sp); return -1000; }
      throw e;
    }
  },
});
