/* Per-thread handle tables and GC-safe release from any thread (include/webthreads/handles.h).
 *
 * Design. Each registry slot (proxying/router.c) has one table, kept for the life of the process and
 * reused by every thread that takes the slot; nothing of it is ever freed, so a release that races
 * with its owner's exit reads memory that is still there. A table is a directory of chunks of
 * WT__HCHUNK entries; the owner allocates the directory and each chunk the first time it needs them
 * (register), before any handle in them exists. An entry's state is one 64-bit word:
 *     owner generation (bits 32..53) | entry generation (bits 8..19) | flags (bits 0..7)
 * and every transition is a compare-and-swap on it, so "which thread owns it, which use of the index
 * this is, who still holds it" is decided in one place, atomically, against the bits of the handle.
 *
 * Releasing (any thread) is: CAS the word from MANAGED to PENDING (the single point where a release is
 * accepted — a double or stale release fails it and is counted instead), mark the entry's group of 64
 * in its chunk's `groups` word and the chunk in the table's `dirty` bitmap (each read first and written
 * only when not marked yet: in a burst a release writes nothing but its entry), and post the owner's
 * batch task (router library task: static, merged while queued). The owner applies a batch by
 * exchanging the dirty words, then each dirty chunk's groups word, to zero and applying every PENDING
 * entry of the groups it got. A mark per group of existing entries cannot overflow; an entry applied
 * already (at exit, or by an earlier batch) is skipped. Ordering (all seq_cst): a poster does its CAS,
 * then reads or sets the marks, then the router's armed check; the owner disarms, then exchanges the
 * marks, then reads the words. A poster that finds a mark set or the task armed read it before the
 * owner's exchange or disarm, so its CAS is visible to the owner's scan that follows.
 *
 * Freeing needs both sides: MANAGED (released by wt_handle_release, applied via PENDING) and LOCAL
 * (the owner's side: JS, or wt_handle_release_local). Whichever is applied last frees the entry on the
 * owner: its generation goes up and the index joins the owner's FIFO free list (reuse spread over all
 * free indices); an index whose generation would wrap is retired for that thread's life instead.
 *
 * Owner exit (router leave hook, on the exiting thread): every word of this generation still LIVE is
 * CAS'd to DISPOSED. A release accepted before that (PENDING) counts as applied; one that arrives after
 * fails its CAS and counts as owner gone. The owner part (free list, high-water mark) is reset for the
 * slot's next thread; older words carry the old owner generation and never match its handles.
 *
 * Locks: none on any path; the owner part of a table is touched only by its owner thread.
 */
#include "webthreads/handles.h"

#include "webthreads/completion.h"

#include "common/pthread.h"
#include "handles/internal.h"
#include "proxying/internal.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifndef WT_HANDLES_MAX
#define WT_HANDLES_MAX 1048575u
#endif
#if WT_HANDLES_MAX > 1048575u || WT_HANDLES_MAX < 1u
#error "WT_HANDLES_MAX must be 1 .. 2^20-1 (handles carry the entry index in 20 bits)"
#endif

#define WT__HCHUNK_BITS 10
#define WT__HCHUNK (1u << WT__HCHUNK_BITS)
#define WT__HDIR ((WT_HANDLES_MAX + WT__HCHUNK - 1) / WT__HCHUNK)
#define WT__EGEN_MAX 4095u

enum { E_LIVE = 1, E_MANAGED = 2, E_LOCAL = 4, E_PENDING = 8, E_DISPOSED = 16, E_RETIRED = 32 };

#define W(ogen, egen, flags) (((uint64_t)(ogen) << 32) | ((uint64_t)(egen) << 8) | (uint64_t)(flags))
#define W_OGEN(w) ((uint32_t)((w) >> 32) & 0x3fffffu)
#define W_EGEN(w) ((uint32_t)((w) >> 8) & 0xfffu)
#define W_FLAGS(w) ((uint32_t)(w)&0xffu)

typedef struct hentry {
  _Atomic uint64_t word;
  void *value;
  wt_handle_free_fn free_fn;
  uint32_t next_free; /* owner: index + 1 of the next free entry (FIFO) */
  uint32_t js;        /* the value lives in the owner realm's JS table (browser) */
} hentry;

typedef struct hchunk {
  _Atomic uint64_t groups; /* bit g: entries [64g, 64g + 64) may hold an accepted release not applied yet */
  char pad[56];            /* producers mostly read `groups`; keep entries off its line */
  hentry e[WT__HCHUNK];
} hchunk;

typedef struct htable {
  /* read by every release (written rarely): its own cache lines */
  _Alignas(64) _Atomic(hchunk *_Atomic *) dir;  /* WT__HDIR chunk pointers; allocated once, kept */
  _Atomic uint64_t dirty[(WT__HDIR + 63) / 64]; /* chunks with marked groups */
  /* owner only (written on every free: kept off the lines above); valid while gen == its generation */
  _Alignas(64) uint32_t gen;
  uint32_t hwm;                  /* entries [0, hwm) were handed out in this generation */
  uint32_t free_head, free_tail; /* index + 1 */
  uint32_t live;
  uint32_t freed_unflushed; /* frees not yet added to the process counters (flush_stats) */
  char pad[64];
} htable;

static htable tables[WT_PROXYING_MAX_THREADS];
static _Atomic uint64_t st_registered, st_freed, st_applied, st_batches, st_stale, st_forged, st_owner_gone,
    st_force_disposed, st_retired, st_live;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void batch_task(uint32_t slot, uint32_t gen);
static void on_leave(uint32_t slot, uint32_t gen);
static void init_module(void) {
  wt__proxying_task_register(WT__TASK_HANDLES, batch_task);
  wt__proxying_on_leave(on_leave);
}

/* ------------------------------------------------------------------ decoding */

typedef struct hbits {
  uint32_t slot, ogen, idx, egen; /* slot and idx 0-based */
} hbits;

/* 0, or WT_EHANDLE_FORGED when the bits cannot be a handle of this build. Any thread. */
static int decode(wt_handle h, hbits *b) {
  uint32_t slot1 = (uint32_t)(h.bits & 0x3ffu), idx1 = (uint32_t)(h.bits >> 32) & 0xfffffu;
  b->ogen = (uint32_t)(h.bits >> 10) & 0x3fffffu;
  b->egen = (uint32_t)(h.bits >> 52);
  if (slot1 == 0 || slot1 > WT_PROXYING_MAX_THREADS || b->ogen == 0 || idx1 == 0 || idx1 > WT_HANDLES_MAX ||
      b->egen == 0)
    return WT_EHANDLE_FORGED;
  b->slot = slot1 - 1;
  b->idx = idx1 - 1;
  return 0;
}

static wt_handle encode(uint32_t slot, uint32_t ogen, uint32_t idx, uint32_t egen) {
  return (wt_handle){(uint64_t)(slot + 1) | ((uint64_t)ogen << 10) | ((uint64_t)(idx + 1) << 32) |
                     ((uint64_t)egen << 52)};
}

wt_thread wt_handle_owner(wt_handle h) {
  uint32_t slot1 = (uint32_t)(h.bits & 0x3ffu), ogen = (uint32_t)(h.bits >> 10) & 0x3fffffu;
  if (slot1 == 0) return WT_THREAD_NONE;
  return (wt_thread){((uint64_t)ogen << 32) | slot1};
}

/* Any thread: the entry of `b`, or NULL when its chunk was never allocated. */
static hentry *entry_of(const hbits *b, hchunk **chunk_out) {
  hchunk *_Atomic *dir = atomic_load(&tables[b->slot].dir);
  if (!dir) return NULL;
  hchunk *c = atomic_load(&dir[b->idx >> WT__HCHUNK_BITS]);
  if (!c) return NULL;
  if (chunk_out) *chunk_out = c;
  return &c->e[b->idx & (WT__HCHUNK - 1)];
}

/* Any thread: why the word `w` of b's entry does not accept b. Counted. */
static int refusal(const hbits *b, uint64_t w) {
  int r;
  wt_thread owner = {((uint64_t)b->ogen << 32) | (b->slot + 1)};
  int live = wt_thread_check(owner);
  if (live == WT_ENOENT) r = WT_EHANDLE_FORGED;         /* that generation of the slot never existed */
  else if (W_FLAGS(w) & E_DISPOSED && W_OGEN(w) == b->ogen) r = WT_EOWNER_GONE;
  else if (W_OGEN(w) != b->ogen) r = live == 0 ? WT_EHANDLE_FORGED : WT_EOWNER_GONE;
  else if (b->egen > W_EGEN(w)) r = WT_EHANDLE_FORGED;  /* that use of the index is yet to come */
  else r = WT_EHANDLE_STALE;                            /* freed since, or released twice */
  _Atomic uint64_t *ctr = r == WT_EHANDLE_FORGED ? &st_forged : r == WT_EOWNER_GONE ? &st_owner_gone : &st_stale;
  atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed);
  return r;
}

static int forged(void) {
  atomic_fetch_add_explicit(&st_forged, 1, memory_order_relaxed);
  return WT_EHANDLE_FORGED;
}

/* A handle whose owner left and whose slot was never given a table: forged or owner gone. */
static int no_entry(const hbits *b) {
  wt_thread owner = {((uint64_t)b->ogen << 32) | (b->slot + 1)};
  if (wt_thread_check(owner) == WT_ESTALE) {
    atomic_fetch_add_explicit(&st_owner_gone, 1, memory_order_relaxed);
    return WT_EOWNER_GONE;
  }
  return forged();
}

/* ------------------------------------------------------------------ owner side */

static inline hentry *entry_at(htable *t, uint32_t idx) {
  return &atomic_load_explicit(&t->dir, memory_order_relaxed)[idx >> WT__HCHUNK_BITS]->e[idx & (WT__HCHUNK - 1)];
}

/* Owner: its table, set up for its generation. NULL when it has not joined or is out of memory. */
static htable *own_table(uint32_t *slot_out, uint32_t *gen_out, int create) {
  uint32_t slot, gen;
  if (wt__proxying_self_slot(&slot, &gen) != 0) return NULL;
  htable *t = &tables[slot];
  if (!atomic_load(&t->dir)) {
    if (!create) return NULL;
    hchunk *_Atomic *dir = calloc(WT__HDIR, sizeof *dir);
    if (!dir) return NULL;
    atomic_store(&t->dir, dir);
  }
  if (t->gen != gen) { /* the slot's previous thread disposed everything when it left */
    t->gen = gen;
    t->hwm = t->free_head = t->free_tail = t->live = 0;
  }
  *slot_out = slot;
  *gen_out = gen;
  return t;
}

/* Owner: marks idx's group and chunk again (each read first). A pass takes the marks before it scans;
 * a free function that unwinds would end the pass with the rest of its group unscanned: marked again,
 * the next pass (the router posts the batch task again after an unwind; or the next release) scans it.
 * The marks of the groups after it are still set (taken one group at a time). */
static void remark(htable *t, uint32_t idx) {
  uint32_t ci = idx >> WT__HCHUNK_BITS;
  hchunk *c = atomic_load_explicit(&t->dir, memory_order_relaxed)[ci];
  uint64_t gbit = (uint64_t)1 << ((idx & (WT__HCHUNK - 1)) >> 6), cbit = (uint64_t)1 << (ci & 63);
  if (!(atomic_load(&c->groups) & gbit)) atomic_fetch_or(&c->groups, gbit);
  if (!(atomic_load(&t->dirty[ci >> 6]) & cbit)) atomic_fetch_or(&t->dirty[ci >> 6], cbit);
}

/* Owner: the word of a LIVE entry whose generation `egen` ended: retired, or free for reuse. */
static uint64_t ended_word(htable *t, uint32_t egen) {
  return egen >= WT__EGEN_MAX ? W(t->gen, egen, E_RETIRED) : W(t->gen, egen + 1, 0);
}

/* Owner: bookkeeping of an entry whose word was just set to ended_word(t, egen). */
static void recycle(htable *t, uint32_t idx, hentry *e, uint32_t egen) {
  if (egen >= WT__EGEN_MAX) {
    atomic_fetch_add_explicit(&st_retired, 1, memory_order_relaxed);
  } else {
    e->next_free = 0;
    if (t->free_tail) entry_at(t, t->free_tail - 1)->next_free = idx + 1;
    else t->free_head = idx + 1;
    t->free_tail = idx + 1;
  }
  t->live--;
  t->freed_unflushed++;
}

/* Owner: frees a LIVE entry whose both sides let go; `w` is its word now (checked by the caller). */
static void free_entry(htable *t, uint32_t idx, hentry *e, uint64_t w) {
  uint32_t egen = W_EGEN(w);
  void *value = e->value;
  wt_handle_free_fn fn = e->free_fn;
  uint32_t js = e->js;
  e->value = NULL;
  e->free_fn = NULL;
  atomic_store(&e->word, ended_word(t, egen));
  recycle(t, idx, e, egen);
  if (js) wt__handles_backend_drop(idx);
  if (fn) {
    remark(t, idx); /* if fn unwinds, the pass's unscanned rest of this group is found again */
    fn(value);
  }
}

/* Owner: adds the frees counted in the table to the process counters (one update per pass). */
static void flush_stats(htable *t) {
  uint32_t n = t->freed_unflushed;
  if (!n) return;
  t->freed_unflushed = 0;
  atomic_fetch_sub_explicit(&st_live, n, memory_order_relaxed);
  atomic_fetch_add_explicit(&st_freed, n, memory_order_relaxed);
}

int wt_handle_register(void *value, wt_handle_free_fn free_fn, wt_handle *out) {
  return wt__handle_register_ex(value, free_fn, 0, out);
}

int wt__handle_register_ex(void *value, wt_handle_free_fn free_fn, int js, wt_handle *out) {
  if (!out) return WT_EINVAL;
  pthread_once(&init_once, init_module);
  int r = wt_thread_join(NULL);
  if (r) return r;
  uint32_t slot, gen;
  htable *t = own_table(&slot, &gen, 1);
  if (!t) return WT_ENOMEM;
  uint32_t idx, egen;
  if (t->free_head) {
    idx = t->free_head - 1;
    hentry *e = entry_at(t, idx);
    t->free_head = e->next_free;
    if (!t->free_head) t->free_tail = 0;
    egen = W_EGEN(atomic_load(&e->word));
  } else {
    if (t->hwm >= WT_HANDLES_MAX) return WT_EHANDLES_FULL;
    idx = t->hwm;
    hchunk *_Atomic *dir = atomic_load(&t->dir);
    uint32_t ci = idx >> WT__HCHUNK_BITS;
    if (!atomic_load(&dir[ci])) {
      hchunk *c = calloc(1, sizeof *c);
      if (!c) return WT_ENOMEM;
      atomic_store(&dir[ci], c); /* published before any handle in it exists */
    }
    t->hwm++;
    egen = 1;
  }
  hentry *e = entry_at(t, idx);
  e->value = value;
  e->free_fn = free_fn;
  e->js = (uint32_t)js;
  atomic_store(&e->word, W(gen, egen, E_LIVE | E_MANAGED | E_LOCAL));
  t->live++;
  atomic_fetch_add_explicit(&st_live, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&st_registered, 1, memory_order_relaxed);
  *out = encode(slot, gen, idx, egen);
  return 0;
}

/* Owner: checks that `h` is one of its own live entries. 0 (and *e_out, *w_out) or an error. */
static int own_entry(wt_handle h, htable **t_out, hbits *b, hentry **e_out, uint64_t *w_out) {
  if (decode(h, b)) return forged();
  uint32_t slot, gen;
  if (wt__proxying_self_slot(&slot, &gen) != 0 || slot != b->slot || gen != b->ogen) {
    wt_thread owner = wt_handle_owner(h);
    int c = wt_thread_check(owner);
    if (c == WT_ENOENT) return forged();
    if (c == WT_ESTALE) {
      atomic_fetch_add_explicit(&st_owner_gone, 1, memory_order_relaxed);
      return WT_EOWNER_GONE;
    }
    return WT_ENOT_OWNER;
  }
  htable *t = &tables[slot];
  hentry *e = entry_of(b, NULL);
  if (!e || t->gen != gen || b->idx >= t->hwm) return forged();
  uint64_t w = atomic_load(&e->word);
  if (W_OGEN(w) != b->ogen || W_EGEN(w) != b->egen || !(W_FLAGS(w) & E_LIVE)) return refusal(b, w);
  *t_out = t;
  *e_out = e;
  *w_out = w;
  return 0;
}

int wt_handle_get(wt_handle h, void **value) {
  htable *t;
  hbits b;
  hentry *e;
  uint64_t w;
  int r = own_entry(h, &t, &b, &e, &w);
  if (r) return r;
  if (value) *value = e->value;
  return 0;
}

int wt_handle_release_local(wt_handle h) {
  htable *t;
  hbits b;
  hentry *e;
  uint64_t w;
  int r = own_entry(h, &t, &b, &e, &w);
  if (r) return r;
  for (;;) {
    if (!(W_FLAGS(w) & E_LOCAL)) {
      atomic_fetch_add_explicit(&st_stale, 1, memory_order_relaxed);
      return WT_EHANDLE_STALE;
    }
    uint64_t nw = w & ~(uint64_t)E_LOCAL;
    if (atomic_compare_exchange_weak(&e->word, &w, nw)) {
      w = nw;
      break;
    }
    if (W_OGEN(w) != b.ogen || W_EGEN(w) != b.egen || !(W_FLAGS(w) & E_LIVE)) return refusal(&b, w);
  }
  /* Both sides gone and the managed release applied: free now. A PENDING one is freed by its batch. */
  if (!(W_FLAGS(w) & (E_MANAGED | E_PENDING))) {
    free_entry(t, b.idx, e, w);
    flush_stats(t);
  }
  return 0;
}

/* Owner: applies entry idx's pending release, if it has one of this generation. 1 when applied.
 * A PENDING word has MANAGED clear, so no poster's CAS can succeed on it: only its owner writes it,
 * and a plain store will do. */
static int apply_one(htable *t, uint32_t idx) {
  hentry *e = entry_at(t, idx);
  uint64_t w = atomic_load_explicit(&e->word, memory_order_acquire);
  if (W_OGEN(w) != t->gen || (W_FLAGS(w) & (E_PENDING | E_LIVE)) != (E_PENDING | E_LIVE)) return 0;
  uint64_t nw = w & ~(uint64_t)E_PENDING;
  if (W_FLAGS(nw) & E_LOCAL) atomic_store_explicit(&e->word, nw, memory_order_release);
  else free_entry(t, idx, e, nw);
  return 1;
}

/* Owner: one pass over the dirty chunks. Returns the number applied. */
static int apply_pending(htable *t) {
  hchunk *_Atomic *dir = atomic_load(&t->dir);
  if (!dir) return 0;
  int n = 0;
  /* A snapshot: marks made meanwhile (new releases, remarks) are the next pass's, so a flood cannot
   * keep the owner in one pass. Marks are cleared one chunk and one group at a time, just before its
   * scan, so a free function that unwinds leaves every mark not scanned yet in place (see remark). */
  for (uint32_t k = 0; k < (WT__HDIR + 63) / 64; k++) {
    uint64_t chunks = atomic_load(&t->dirty[k]);
    while (chunks) {
      uint64_t cbit = chunks & (~chunks + 1);
      chunks &= chunks - 1;
      atomic_fetch_and(&t->dirty[k], ~cbit);
      uint32_t ci = k * 64 + (uint32_t)__builtin_ctzll(cbit);
      hchunk *c = atomic_load(&dir[ci]);
      uint64_t g = atomic_load(&c->groups);
      while (g) {
        uint64_t gbit = g & (~g + 1);
        g &= g - 1;
        atomic_fetch_and(&c->groups, ~gbit);
        uint32_t first = ci * WT__HCHUNK + (uint32_t)__builtin_ctzll(gbit) * 64;
        for (uint32_t idx = first; idx < first + 64 && idx < t->hwm; idx++) n += apply_one(t, idx);
      }
    }
  }
  if (n) atomic_fetch_add_explicit(&st_applied, (uint64_t)n, memory_order_relaxed);
  flush_stats(t);
  return n;
}

int wt_handles_apply(void) {
  uint32_t slot, gen;
  htable *t = own_table(&slot, &gen, 0);
  return t ? apply_pending(t) : 0;
}

/* The owner's batch task (router library task), run when it serves its mailbox. */
static void batch_task(uint32_t slot, uint32_t gen) {
  htable *t = &tables[slot];
  if (t->gen != gen) { /* posted for an earlier thread of the slot: it disposed everything */
    wt__proxying_task_done(WT__TASK_HANDLES);
    return;
  }
  atomic_fetch_add_explicit(&st_batches, 1, memory_order_relaxed);
  apply_pending(t); /* releases arriving meanwhile merge into this run: no wake-up */
  wt__proxying_task_done(WT__TASK_HANDLES);
  apply_pending(t); /* what they published before the line above */
}

static void xfer_leave(void);

/* Router leave hook, on the leaving owner: force-dispose whatever it still has. */
static void on_leave(uint32_t slot, uint32_t gen) {
  xfer_leave(); /* transfers on their way here: dropped, their completions canceled */
  htable *t = &tables[slot];
  if (!atomic_load(&t->dir) || t->gen != gen) return;
  flush_stats(t); /* a pass a free function unwound out of */
  uint64_t applied = 0, disposed = 0;
  int any_js = 0;
  for (uint32_t idx = 0; idx < t->hwm; idx++) {
    hentry *e = entry_at(t, idx);
    uint64_t w = atomic_load(&e->word);
    while (W_OGEN(w) == gen && (W_FLAGS(w) & E_LIVE)) {
      if (!atomic_compare_exchange_weak(&e->word, &w, W(gen, W_EGEN(w), E_DISPOSED))) continue;
      if (W_FLAGS(w) & E_PENDING) applied++;
      if (W_FLAGS(w) & (E_LOCAL | E_MANAGED)) disposed++;
      else atomic_fetch_add_explicit(&st_freed, 1, memory_order_relaxed); /* both had let go */
      void *value = e->value;
      wt_handle_free_fn fn = e->free_fn;
      any_js |= (int)e->js;
      e->value = NULL;
      e->free_fn = NULL;
      t->live--;
      atomic_fetch_sub_explicit(&st_live, 1, memory_order_relaxed);
      if (fn) fn(value);
      break;
    }
  }
  if (applied) atomic_fetch_add_explicit(&st_applied, applied, memory_order_relaxed);
  if (disposed) atomic_fetch_add_explicit(&st_force_disposed, disposed, memory_order_relaxed);
  t->gen = 0;
  t->hwm = t->free_head = t->free_tail = t->live = 0;
  if (any_js) wt__handles_backend_reset();
}

/* ------------------------------------------------------------------ any thread */

int wt_handle_release(wt_handle h) {
  hbits b;
  if (decode(h, &b)) return forged();
  hchunk *c;
  hentry *e = entry_of(&b, &c);
  if (!e) return no_entry(&b);
  uint64_t w = atomic_load(&e->word);
  for (;;) {
    if (W_OGEN(w) != b.ogen || W_EGEN(w) != b.egen || (W_FLAGS(w) & (E_LIVE | E_MANAGED)) != (E_LIVE | E_MANAGED))
      return refusal(&b, w);
    if (atomic_compare_exchange_weak(&e->word, &w, (w & ~(uint64_t)E_MANAGED) | E_PENDING)) break;
  }
  uint32_t ci = b.idx >> WT__HCHUNK_BITS;
  uint64_t gbit = (uint64_t)1 << ((b.idx & (WT__HCHUNK - 1)) >> 6);
  /* Read first: in a burst, the group is marked already (the owner clears it when it takes it). */
  if (!(atomic_load(&c->groups) & gbit)) atomic_fetch_or(&c->groups, gbit);
  htable *t = &tables[b.slot];
  uint64_t cbit = (uint64_t)1 << (ci & 63);
  if (!(atomic_load(&t->dirty[ci >> 6]) & cbit)) atomic_fetch_or(&t->dirty[ci >> 6], cbit);
  /* The owner may have left since the CAS: its exit applied this release (PENDING) already. */
  wt__proxying_task_post(wt_handle_owner(h), WT__TASK_HANDLES);
  return 0;
}

/* ------------------------------------------------------------------ transfers
 *
 * The value travels by postMessage (JS: js/library_handles.js), its record by the router: a prepared
 * post (allocated by the sender, so delivering it cannot fail; the router runs its cancel path on the
 * target as it leaves). Both go to the target, in either order, and meet there: the first to arrive
 * waits for the other (the value in the realm's `arrived` map, the record on the thread's waiting
 * list); the second registers the value and resolves the completion. A record is therefore always in
 * exactly one place — the target's mailbox (cancel path), its waiting list (leave hook), or done —
 * so it is freed exactly once, and a value that lands where no live record can meet it (the UI
 * thread's relay after the target's Worker went, a realm whose thread exited, a thread of a later
 * generation) is simply dropped there. */

typedef struct xrec {
  struct xrec *next; /* on the target's waiting list (target only) */
  wt_completion *c;  /* the record's reference */
  uint64_t id;       /* tags the value's message */
} xrec;

static _Atomic uint64_t st_xfer_sent, st_xfer_received, st_xfer_failed, st_xfer_dropped;
static _Atomic uint64_t xfer_next_id = 1;
static _Thread_local xrec *tl_waiting; /* records whose value has not arrived yet */
static _Thread_local int tl_xfer_seen; /* this thread was the target of a transfer: reset its realm's map */

static int xfer_failed(int r) {
  atomic_fetch_add_explicit(&st_xfer_failed, 1, memory_order_relaxed);
  return r;
}

/* Any thread: a transfer that will not be received. */
static void xfer_drop(xrec *x) {
  wt_completion_cancel(x->c);
  wt_completion_release(x->c);
  free(x);
  atomic_fetch_add_explicit(&st_xfer_dropped, 1, memory_order_relaxed);
}

/* Target: record and value are both here. Registers the value, resolves the completion. */
static void xfer_complete(xrec *x) {
  wt_handle h;
  int r = WT_ECANCELED;
  if (wt_completion_result_get(x->c, NULL, NULL) == WT_COMPLETION_PENDING)
    r = wt__handle_register_ex(NULL, NULL, 1, &h);
  if (r) {
    wt__handles_backend_xfer_forget(x->id);
    if (r != WT_ECANCELED) wt_completion_reject(x->c, r, "transfer: the target could not register the value");
    xfer_drop(x);
    return;
  }
  hbits b = {0};
  decode(h, &b); /* a handle just issued: always decodes */
  wt__handles_backend_xfer_place(x->id, b.idx);
  wt_value v = {.kind = WT_VALUE_HANDLE, .u64 = h.bits};
  if (wt_completion_resolve(x->c, &v) != 0) { /* canceled by its holder meanwhile: nobody gets h */
    htable *t = &tables[b.slot];
    hentry *e = entry_of(&b, NULL);
    free_entry(t, b.idx, e, atomic_load(&e->word)); /* nobody else knows h: no race on its word */
    flush_stats(t);
    xfer_drop(x);
    return;
  }
  wt_completion_release(x->c);
  free(x);
  atomic_fetch_add_explicit(&st_xfer_received, 1, memory_order_relaxed);
}

/* Target: the record arrived (prepared post, through the user-code boundary). */
static int xfer_arrive_run(wt_call *call, void *arg) {
  (void)call;
  xrec *x = arg;
  tl_xfer_seen = 1;
  if (wt__handles_backend_xfer_has(x->id)) {
    xfer_complete(x);
  } else {
    x->next = tl_waiting;
    tl_waiting = x;
  }
  return 0;
}

/* Target (leaving), or the slot's later owner: the record never ran. */
static void xfer_arrive_cancel(void *arg) { xfer_drop(arg); }

int wt__handles_xfer_arrived(wt_thread to, uint64_t id) {
  if (!wt_thread_equal(wt_thread_self(), to)) return 0;
  tl_xfer_seen = 1;
  for (xrec **pp = &tl_waiting; *pp; pp = &(*pp)->next) {
    if ((*pp)->id != id) continue;
    xrec *x = *pp;
    *pp = x->next;
    xfer_complete(x);
    return 1;
  }
  return 1; /* its record is still in the mailbox: xfer_arrive_run meets it */
}

/* Leave hook part (on the leaving thread): records still waiting for their value are dropped, and
 * values waiting for their record (their record was canceled by the router just before). */
static void xfer_leave(void) {
  while (tl_waiting) {
    xrec *x = tl_waiting;
    tl_waiting = x->next;
    xfer_drop(x);
  }
  if (tl_xfer_seen) {
    tl_xfer_seen = 0;
    wt__handles_backend_xfer_reset();
  }
}

/* Owner: the entry of a value that was sent ends now (its old handle is stale). Releases may race
 * (MANAGED -> PENDING, by CAS): one accepted before counts as applied. */
static void xfer_detach(htable *t, uint32_t idx, hentry *e) {
  uint64_t w = atomic_load(&e->word);
  while (!atomic_compare_exchange_weak(&e->word, &w, ended_word(t, W_EGEN(w)))) {
  }
  if (W_FLAGS(w) & E_PENDING) atomic_fetch_add_explicit(&st_applied, 1, memory_order_relaxed);
  e->value = NULL;
  e->free_fn = NULL;
  recycle(t, idx, e, W_EGEN(w));
  wt__handles_backend_drop(idx);
  flush_stats(t);
}

int wt_handle_transfer(wt_handle h, wt_thread to, wt_completion **out) {
  if (!out) return WT_EINVAL;
  *out = NULL;
  if (to.bits == 0) return WT_EINVAL;
  pthread_once(&init_once, init_module);
  htable *t;
  hbits b;
  hentry *e;
  uint64_t w;
  int r = own_entry(h, &t, &b, &e, &w);
  if (r) return xfer_failed(r);
  if (wt_thread_equal(to, wt_thread_self())) return xfer_failed(WT_EINVAL);
  if (!e->js) return xfer_failed(WT_ENOTSUP);
  r = wt_thread_check(to);
  if (r) return xfer_failed(r);
  wt_completion *c;
  if (wt_completion_create(&c) != 0) return xfer_failed(WT_ENOMEM);
  xrec *x = calloc(1, sizeof *x);
  wt__prepared *p = NULL;
  if (!x || wt__proxying_prepare(xfer_arrive_run, xfer_arrive_cancel, x, &p) != 0) {
    free(x);
    wt_completion_release(c);
    return xfer_failed(WT_ENOMEM);
  }
  wt_completion_retain(c); /* the record's */
  x->c = c;
  x->id = atomic_fetch_add(&xfer_next_id, 1);
  r = wt__handles_backend_xfer_post(b.idx, to, x->id);
  if (r) { /* nothing was sent: the value is still here, h still valid */
    wt__proxying_discard_prepared(p);
    wt_completion_release(c);
    free(x);
    wt_completion_release(c);
    return xfer_failed(r);
  }
  xfer_detach(t, b.idx, e);
  atomic_fetch_add_explicit(&st_xfer_sent, 1, memory_order_relaxed);
  (void)wt_completion_bind(c, to); /* its leave cancels c (so does the record's cancel path) */
  if (wt__proxying_send_prepared(to, p) != 0) { /* `to` left just now: the value is dropped where it lands */
    wt__proxying_discard_prepared(p);
    xfer_drop(x);
  }
  *out = c;
  return 0;
}

void wt_handles_stats_get(wt_handles_stats *out) {
  assert(out && "wt_handles_stats_get: out must not be NULL");
  out->registered = atomic_load(&st_registered);
  out->freed = atomic_load(&st_freed);
  out->applied = atomic_load(&st_applied);
  out->batches = atomic_load(&st_batches);
  out->stale = atomic_load(&st_stale);
  out->forged = atomic_load(&st_forged);
  out->owner_gone = atomic_load(&st_owner_gone);
  out->force_disposed = atomic_load(&st_force_disposed);
  out->retired = atomic_load(&st_retired);
  out->live = atomic_load(&st_live);
  out->transfers_sent = atomic_load(&st_xfer_sent);
  out->transfers_received = atomic_load(&st_xfer_received);
  out->transfers_failed = atomic_load(&st_xfer_failed);
  out->transfers_dropped = atomic_load(&st_xfer_dropped);
}

/* Test hooks (handles/internal.h). */
uint32_t wt__handles_max(void) { return WT_HANDLES_MAX; }
