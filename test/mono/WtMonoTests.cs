// The managed half of test/mono/mono_test.c (compiled with mcs at build time). Native.* are the C
// embedder's exported functions, reached by P/Invoke (DllImport "__Internal", the embedder is linked
// with -rdynamic).
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

public static class Native {
  [DllImport("__Internal")] public static extern int wtt_routed_call(int i);
  [DllImport("__Internal")] public static extern long wtt_handle(int i);
  [DllImport("__Internal")] public static extern int wtt_release(long handle);
  [DllImport("__Internal")] public static extern void wtt_gc_tick();
}

public class Proxy {
  readonly long h;
  public Proxy(long h) { this.h = h; }
  ~Proxy() { Native.wtt_release(h); }  // runs on Mono's finalizer thread
}

public static class Tests {
  // n cycles of new Thread(...).Start(); Join(), each body making one routed call. Returns the number
  // of bodies whose call did not come back with the right answer.
  public static int ThreadCycles(int n) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
      int k = i, got = -1;
      var t = new Thread(() => { got = Native.wtt_routed_call(k); });
      t.Start();
      t.Join();
      if (got != k + 1) bad++;
    }
    return bad;
  }

  // n threads created and joined, bodies empty (the bench: glue on vs off).
  public static int ThreadJoins(int n) {
    for (int i = 0; i < n; i++) {
      var t = new Thread(() => { });
      t.Start();
      t.Join();
    }
    return n;
  }

  static void MakeProxies(int n) {
    for (int i = 0; i < n; i++) new Proxy(Native.wtt_handle(i));
  }

  // n proxies, dropped at once; their finalizers release them from the finalizer thread.
  public static int ProxiesAndCollect(int n) {
    MakeProxies(n);
    for (int i = 0; i < 3; i++) {
      GC.Collect();
      GC.WaitForPendingFinalizers();
    }
    return 0;
  }

  // GC.Collect() in a loop for `ms` milliseconds; returns the number of collections.
  public static int CollectLoop(int ms) {
    var sw = Stopwatch.StartNew();
    int n = 0;
    while (sw.ElapsedMilliseconds < ms) {
      GC.Collect();
      n++;
      Native.wtt_gc_tick();
    }
    return n;
  }
}
