// The managed half of the real-Mono stress run (test/stress/mono/stress_mono.c has the design; it is
// compiled with mcs at build time). Everything that must be C# is here: the creator threads and their
// `new Thread(body).Start(); t.Join()` cycles, the bodies' P/Invokes into C, the proxies whose
// finalizers release webthreads handles from Mono's finalizer thread, the raw internal call that waits
// in webthreads GC-unsafe (as Mono's own runtime-native code does), the managed callback the service
// thread runs for routed calls, and the GC.Collect() loop. Every check is made in C (Native.*): this
// side only does what a C# program does and reports what it is doing.
//
// The entry class is named Tests so test/mono/mono_embed.h's invoke_int (static Tests.X(int) -> int)
// runs it unchanged.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

static class Native {
  [DllImport("__Internal")] public static extern int wtt_stress_next(int c);
  [DllImport("__Internal")] public static extern void wtt_stress_starting(int c, int i);
  [DllImport("__Internal")] public static extern void wtt_stress_joining(int c, int i);
  [DllImport("__Internal")] public static extern void wtt_stress_joined(int c, int i);
  [DllImport("__Internal")] public static extern int wtt_stress_body_enter(int c, int i);
  [DllImport("__Internal")] public static extern void wtt_stress_body_exit(int c, int i, int mix);
  [DllImport("__Internal")] public static extern void wtt_stress_sync(int c, int i, int mix);
  [DllImport("__Internal")] public static extern void wtt_stress_service(int c, int i, int mix);
  [DllImport("__Internal")] public static extern void wtt_stress_async(int c, int i, int mix);
  [DllImport("__Internal")] public static extern void wtt_stress_post(int c, int i);
  [DllImport("__Internal")] public static extern void wtt_stress_await(int c, int i, int mix);
  [DllImport("__Internal")] public static extern long wtt_stress_handle_server(int c, int i, int k);
  [DllImport("__Internal")] public static extern long wtt_stress_handle_here(int i, int slot);
  [DllImport("__Internal")] public static extern void wtt_stress_release(long h, int serial);
  [DllImport("__Internal")] public static extern int wtt_stress_running();
  [DllImport("__Internal")] public static extern void wtt_stress_gc_tick();
  [DllImport("__Internal")] public static extern int wtt_stress_gc_pause_ms();
  [DllImport("__Internal")] public static extern void wtt_stress_collector(int state);
  [DllImport("__Internal")] public static extern long wtt_stress_unreleased();
  [DllImport("__Internal")] public static extern long wtt_stress_releases();
  [DllImport("__Internal")] public static extern void wtt_stress_serve_managed(IntPtr callback);
}

// Registered by the embedder with mono_dangerous_add_raw_internal_call: runs GC-unsafe (no transition),
// like the runtime's own interop code, and makes a routed call to the managed service thread.
static class Raw {
  [MethodImpl(MethodImplOptions.InternalCall)] public static extern int Call(int c, int i, int mix);
}

public class Proxy {
  readonly long h;
  readonly int serial;
  public Proxy(long h, int serial) { this.h = h; this.serial = serial; }
  ~Proxy() { Native.wtt_stress_release(h, serial); } // Mono's finalizer thread
}

public static class Tests {
  // Mix bits: the same values as M_* in stress_mono.c (C decides them from the seed).
  const int M_RAW = 1 << 2, M_SERVICE = 1 << 3, M_ASYNC = 1 << 4, M_POST = 1 << 6, M_AWAIT = 1 << 7;
  const int M_PROXIES_SHIFT = 9, M_OWN = 1 << 11;
  const int SLOTS = 6; // handle serials per cycle: 0..2 server-owned, 3 body-owned, 4..5 service-owned

  delegate int ServiceCallback(int cycle, int slot);
  static readonly ServiceCallback serviceCb = OnService; // kept alive: C holds its function pointer
  static Thread service;

  [MethodImpl(MethodImplOptions.NoInlining)]
  static void MakeProxies(int c, int i, int mix) {
    int n = (mix >> M_PROXIES_SHIFT) & 3;
    for (int k = 0; k < n; k++) new Proxy(Native.wtt_stress_handle_server(c, i, k), i * SLOTS + k);
    if ((mix & M_OWN) != 0) new Proxy(Native.wtt_stress_handle_here(i, 3), i * SLOTS + 3);
  }

  static void Body(int c, int i) {
    int mix = Native.wtt_stress_body_enter(c, i);
    Native.wtt_stress_sync(c, i, mix);
    if ((mix & M_RAW) != 0) Raw.Call(c, i, mix);
    if ((mix & M_SERVICE) != 0) Native.wtt_stress_service(c, i, mix);
    if ((mix & M_ASYNC) != 0) Native.wtt_stress_async(c, i, mix);
    if ((mix & M_POST) != 0) Native.wtt_stress_post(c, i);
    if ((mix & M_AWAIT) != 0) Native.wtt_stress_await(c, i, mix);
    MakeProxies(c, i, mix);
    Native.wtt_stress_body_exit(c, i, mix);
  }

  static void Creator(int c) {
    int i;
    while ((i = Native.wtt_stress_next(c)) >= 0) {
      int cc = c, ii = i;
      var t = new Thread(() => Body(cc, ii));
      Native.wtt_stress_starting(c, i);
      t.Start();
      Native.wtt_stress_joining(c, i);
      t.Join();
      Native.wtt_stress_joined(c, i);
    }
  }

  // GC.Collect() in a loop; --gc-pause-ms paces it (a pause between collections, not a wait for
  // anything: 0 collects back to back).
  static void Collector() {
    int pause = Native.wtt_stress_gc_pause_ms();
    while (Native.wtt_stress_running() != 0) {
      Native.wtt_stress_collector(1);
      GC.Collect();
      Native.wtt_stress_collector(0);
      Native.wtt_stress_gc_tick();
      if (pause > 0) Thread.Sleep(pause);
    }
    Native.wtt_stress_collector(2);
  }

  // One phase: `creators` C# creator threads take cycles until C says the phase is over, with a C#
  // thread calling GC.Collect() in a loop alongside until the creators are done.
  public static int Phase(int creators) {
    var col = new Thread(Collector);
    col.Start();
    var ts = new Thread[creators];
    for (int c = 0; c < creators; c++) {
      int cc = c;
      ts[c] = new Thread(() => Creator(cc));
      ts[c].Start();
    }
    foreach (var t in ts) t.Join();
    col.Join(); // C ended `running` when the last cycle was joined
    return 0;
  }

  // Collects until every proxy was finalized (0), or until three full collections in a row finalized
  // nothing new (1: C reports what is missing).
  public static int Drain(int maxRounds) {
    long last = -1;
    int idle = 0;
    for (int n = 0; n < maxRounds && idle < 3; n++) {
      GC.Collect();
      GC.WaitForPendingFinalizers();
      Native.wtt_stress_gc_tick();
      if (Native.wtt_stress_unreleased() == 0) return 0;
      long now = Native.wtt_stress_releases();
      idle = now == last ? idle + 1 : 0;
      last = now;
    }
    return 1;
  }

  // Runs on the managed service thread, called from C (a reverse P/Invoke) for each routed call it
  // serves: managed work, an allocation, and sometimes a proxy of a handle owned by this thread.
  static int OnService(int cycle, int slot) {
    var garbage = new byte[64 + (cycle & 255)];
    garbage[0] = (byte)cycle;
    if (slot >= 0) MakeServiceProxy(cycle, slot);
    return (cycle ^ 0x5a5a) + garbage.Length - garbage.Length;
  }

  [MethodImpl(MethodImplOptions.NoInlining)]
  static void MakeServiceProxy(int cycle, int slot) {
    new Proxy(Native.wtt_stress_handle_here(cycle, slot), cycle * SLOTS + slot);
  }

  public static int StartService(int unused) {
    IntPtr cb = Marshal.GetFunctionPointerForDelegate(serviceCb);
    service = new Thread(() => Native.wtt_stress_serve_managed(cb));
    service.Start();
    return 0;
  }

  public static int JoinService(int unused) {
    service.Join();
    return 0;
  }
}
