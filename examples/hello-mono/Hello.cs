// The managed half of hello-mono (host.c): Main starts 4 threads; each one calls into the embedder,
// which makes a sync call to the UI thread through webthreads. Exit status: the number of threads
// whose call failed.
using System;
using System.Runtime.InteropServices;
using System.Threading;

static class Native {
  // host.c: 0, or a webthreads error (-1: the thread was not attached to webthreads).
  [DllImport("__Internal")] public static extern int hello_ui_add(int n);
}

public static class Hello {
  public static int Main(string[] args) {
    const int N = 4;
    var threads = new Thread[N];
    var rc = new int[N];
    for (int i = 0; i < N; i++) {
      int k = i;
      threads[i] = new Thread(() => { rc[k] = Native.hello_ui_add(k + 1); });
      threads[i].Start();
    }
    int failed = 0;
    for (int i = 0; i < N; i++) {
      threads[i].Join();
      if (rc[i] != 0) {
        Console.WriteLine("FAIL: thread " + i + ": hello_ui_add returned " + rc[i]);
        failed++;
      }
    }
    return failed;
  }
}
