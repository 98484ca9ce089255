/* Diagnostics (webthreads/diag.h): the registry's threads, the one wait's sleepers, every module's
 * counters, as structs or one text dump.
 *
 * Nothing here keeps state: the registry is read by the router (wt__proxying_diag_threads), the
 * sleepers by the wait (wt__wait_sleepers), the counters by each module's own snapshot function; this
 * file joins them (a sleeper is matched to its registry entry by its OS thread) and formats them.
 * Every source reads atomics only, so the dump can run on a watchdog thread, the UI thread or from a
 * signal-like context while the threads it describes keep running. No allocation: the dump goes to
 * the caller's buffer; the working arrays are on the stack and bounded (WT__DIAG_THREADS threads and
 * as many sleepers, ~10 KiB; beyond that they are counted, not listed).
 */
#include "webthreads/diag.h"

#include "common/wait.h"
#include "webthreads/completion.h"
#include "webthreads/handles.h"
#include "webthreads/pool.h"
#include "webthreads/runtime.h"

#include <stdarg.h>
#include <stdio.h>

int wt__proxying_diag_threads(wt_diag_thread *out, int cap); /* proxying/router.c */

/* Threads and sleepers listed by one dump (the counts are always complete): ~10 KiB of stack. */
#define WT__DIAG_THREADS 128

const char *wt_wait_kind_name(wt_wait_kind kind) {
  switch (kind) {
#define WT__WAIT_KIND_NAME(name, text, detail) \
  case WT_WAIT_##name: return text;
    WT_WAIT_KIND_MAP(WT__WAIT_KIND_NAME)
#undef WT__WAIT_KIND_NAME
    default: return "?";
  }
}

double wt_diag_now_ms(void) { return wt__now_ms(); }

int wt_diag_threads(wt_diag_thread *out, int cap) { return wt__proxying_diag_threads(out, cap < 0 ? 0 : cap); }

int wt_diag_waits(wt_diag_wait *out, int cap) {
  if (cap < 0) cap = 0;
  int n = wt__wait_sleepers(out, cap);
  /* Name the sleepers that joined the registry. */
  wt_diag_thread t[WT__DIAG_THREADS];
  int nt = wt__proxying_diag_threads(t, WT__DIAG_THREADS);
  if (nt > WT__DIAG_THREADS) nt = WT__DIAG_THREADS;
  for (int i = 0; out && i < n && i < cap; i++)
    for (int j = 0; j < nt; j++)
      if (t[j].os_thread == out[i].os_thread) out[i].thread = t[j].id;
  return n;
}

/* snprintf into buf at *len, counting what did not fit. */
typedef struct out {
  char *buf;
  size_t n, len;
} out;

static void put(out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->n ? o->n - o->len : 0;
  int w = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (w > 0) o->len += (size_t)w;
}

static void put_wait(out *o, const wt_diag_wait *w, double now) {
  put(o, " asleep: %s", wt_wait_kind_name(w->kind));
  switch (w->kind) {
    case WT_WAIT_CALL: put(o, " to thread 0x%016llx", (unsigned long long)w->detail); break;
    case WT_WAIT_LEAVE: put(o, " (leaving thread 0x%016llx waits for its senders)", (unsigned long long)w->detail); break;
    case WT_WAIT_COMPLETION:
    case WT_WAIT_AWAIT: put(o, " c=0x%llx", (unsigned long long)w->detail); break;
    case WT_WAIT_WORKER: put(o, " (its new pthread 0x%llx)", (unsigned long long)w->detail); break;
    default: break;
  }
  put(o, " for %.0f ms", now - w->since_ms);
}

size_t wt_diag_dump(char *buf, size_t n) {
  out o = {buf, n, 0};
  if (n) buf[0] = 0;
  double now = wt__now_ms();
  wt_diag_thread t[WT__DIAG_THREADS];
  wt_diag_wait w[WT__DIAG_THREADS];
  int nt = wt__proxying_diag_threads(t, WT__DIAG_THREADS);
  int nw = wt__wait_sleepers(w, WT__DIAG_THREADS);
  int lt = nt < WT__DIAG_THREADS ? nt : WT__DIAG_THREADS, lw = nw < WT__DIAG_THREADS ? nw : WT__DIAG_THREADS;
  unsigned char matched[WT__DIAG_THREADS] = {0};
  put(&o, "webthreads diag at %.1f ms: %d threads joined, %d asleep in the library\n", now, nt, nw);
  for (int i = 0; i < lt; i++) {
    put(&o, "  thread 0x%016llx os=0x%llx%s%s mailbox=%u waits=%u", (unsigned long long)t[i].id.bits,
        (unsigned long long)t[i].os_thread, t[i].is_ui ? " UI" : "", t[i].leaving ? " leaving" : "", t[i].mailbox,
        t[i].waits);
    for (int j = 0; j < lw; j++)
      if (!matched[j] && w[j].os_thread == t[i].os_thread && t[i].os_thread > 1) {
        matched[j] = 1;
        put_wait(&o, &w[j], now);
        break;
      }
    put(&o, "\n");
  }
  if (nt > lt) put(&o, "  ... %d more threads not listed\n", nt - lt);
  if (nw > lw) put(&o, "  ... %d more sleepers not listed\n", nw - lw);
  for (int j = 0; j < lw; j++)
    if (!matched[j]) {
      put(&o, "  not joined: os=0x%llx", (unsigned long long)w[j].os_thread);
      put_wait(&o, &w[j], now);
      put(&o, "\n");
    }
  if (wt_diag_untracked_waits()) put(&o, "  (%llu sleeps found the table full and are not listed)\n", (unsigned long long)wt_diag_untracked_waits());

  wt_proxying_stats ps;
  wt_proxying_stats_get(&ps);
  put(&o, "  proxying: threads_live=%u records_in_use=%llu calls_canceled=%llu calls_unwound=%llu posts_dropped=%llu "
          "completions_dropped=%llu wakeups_failed=%llu mailbox_full=%llu\n",
      ps.threads_live, (unsigned long long)ps.records_in_use, (unsigned long long)ps.calls_canceled,
      (unsigned long long)ps.calls_unwound, (unsigned long long)ps.posts_dropped,
      (unsigned long long)ps.completions_dropped, (unsigned long long)ps.wakeups_failed,
      (unsigned long long)ps.mailbox_full);
  wt_handles_stats hs;
  wt_handles_stats_get(&hs);
  put(&o, "  handles: live=%llu registered=%llu freed=%llu applied=%llu batches=%llu stale=%llu forged=%llu "
          "owner_gone=%llu force_disposed=%llu transfers sent=%llu received=%llu dropped=%llu failed=%llu\n",
      (unsigned long long)hs.live, (unsigned long long)hs.registered, (unsigned long long)hs.freed,
      (unsigned long long)hs.applied, (unsigned long long)hs.batches, (unsigned long long)hs.stale,
      (unsigned long long)hs.forged, (unsigned long long)hs.owner_gone, (unsigned long long)hs.force_disposed,
      (unsigned long long)hs.transfers_sent, (unsigned long long)hs.transfers_received,
      (unsigned long long)hs.transfers_dropped, (unsigned long long)hs.transfers_failed);
  wt_completion_stats cs;
  wt_completion_stats_get(&cs);
  put(&o, "  completion: live=%llu created=%llu freed=%llu resolved=%llu rejected=%llu canceled=%llu refused=%llu "
          "continuations run=%llu canceled=%llu\n",
      (unsigned long long)cs.live, (unsigned long long)cs.created, (unsigned long long)cs.freed,
      (unsigned long long)cs.resolved, (unsigned long long)cs.rejected, (unsigned long long)cs.canceled,
      (unsigned long long)cs.refused, (unsigned long long)cs.continuations_run,
      (unsigned long long)cs.continuations_canceled);
  wt_runtime_stats rs;
  wt_runtime_stats_get(&rs);
  put(&o, "  runtime: threads_attached=%u attached=%llu detached=%llu exited_attached=%llu gc_safe entered=%llu "
          "skipped=%llu waits_refused=%llu\n",
      rs.threads_attached, (unsigned long long)rs.attached, (unsigned long long)rs.detached,
      (unsigned long long)rs.exited_attached, (unsigned long long)rs.gc_safe_entered,
      (unsigned long long)rs.gc_safe_skipped, (unsigned long long)rs.waits_refused);
  struct wt_pool_stats pl;
  if (wt_pool_stats(&pl) == WT_OK)
    put(&o, "  pool: total=%d spare=%d loading=%d running=%d peak=%d created=%llu retired=%llu boot_failed=%llu "
            "refused=%llu dirty=%llu\n",
        pl.total, pl.spare, pl.loading, pl.running, pl.peak, pl.created, pl.retired, pl.boot_failed, pl.refused,
        pl.dirty);
  return o.len;
}
