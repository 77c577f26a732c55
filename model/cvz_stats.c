/* cvz_stats.c - the statistics of a trace (cvz_stats.h): one computation for `conviz report`
 * and the viewer's statistics panel.
 *
 * DESIGN: everything is derived from the model's arrays (spans, holds, wakes), never from the
 * file.  Three passes:
 *   1. threads: clip each span to the range; state/reason times, CPU time, migrations, and the
 *      boundaries of RUNNING spans, radix-sorted and swept for the parallelism histogram;
 *   2. objects: one walk over each object's holds (waits, holds, counts, owner changes,
 *      waiters) with per-thread scratch arrays reset through a "touched" list, so the cost is
 *      linear in the holds;
 *   3. deadlocks: one time-ordered sweep (radix-sorted) over request/acquire/release of
 *      lock-like objects and pthread_join waits keeps who holds what and who waits for what.
 *      A wait that closes a cycle in the wait-for graph is an actual deadlock (perf's
 *      builtin-lock.c keeps the same per-thread state); every request made while holding
 *      other locks adds an edge to the lock-order graph (as Helgrind and TSan do).  Its
 *      cycles, searched inside strongly connected components and shortest first, are
 *      potential deadlocks when distinct threads can take each step and no gate lock
 *      protects them all.
 * Requests still pending when the trace ends are not holds in the model; they are recovered
 * from each thread's last BLOCKED span (add_pending_waits).
 */
#include "cvz_stats.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CYCLE_LEN  16
#define CYCLE_STEP_CAP 2000000 /* DFS steps before giving up on enumerating order cycles */

/* ---- small helpers ------------------------------------------------------------------------ */

static cvz_ns clip_len(cvz_ns a, cvz_ns b, cvz_ns from, cvz_ns to)
{
    if (a < from) a = from;
    if (b > to) b = to;
    return b > a ? b - a : 0;
}

/* Totals over many threads or holds (never negative) may overlap in time: in a broken or
 * hostile trace spanning centuries they would overflow.  They stop at the largest value. */
static void add_sat(cvz_ns *total, cvz_ns v)
{
    if (__builtin_add_overflow(*total, v, total)) *total = INT64_MAX;
}

static void *xcalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

/* A growable array of fixed-size items. */
struct vec {
    void *items;
    size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *items = realloc(v->items, cap * v->size);
        if (!items) return NULL;
        v->items = items;
        v->cap = cap;
    }
    void *slot = (char *)v->items + v->n * v->size;
    memset(slot, 0, v->size);
    v->n++;
    return slot;
}

/* Open-addressing map from a 64-bit key to a size_t value (the index of an entry elsewhere). */
struct map {
    uint64_t *keys;
    size_t *vals;
    size_t cap, n;
};

#define MAP_EMPTY UINT64_MAX

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static bool map_grow(struct map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = malloc(cap * sizeof(*keys));
    size_t *vals = malloc(cap * sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; i < cap; i++)
        keys[i] = MAP_EMPTY;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == MAP_EMPTY) continue;
        size_t j = hash64(m->keys[i]) & (cap - 1);
        while (keys[j] != MAP_EMPTY)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return true;
}

/* Returns the value slot for `key`; *fresh tells whether it was just inserted. */
static size_t *map_slot(struct map *m, uint64_t key, bool *fresh)
{
    if ((m->n + 1) * 2 > m->cap && !map_grow(m)) return NULL;
    size_t j = hash64(key) & (m->cap - 1);
    while (m->keys[j] != MAP_EMPTY && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    *fresh = m->keys[j] == MAP_EMPTY;
    if (*fresh) {
        m->keys[j] = key;
        m->n++;
    }
    return &m->vals[j];
}

static size_t *map_find(const struct map *m, uint64_t key)
{
    if (!m->cap) return NULL;
    size_t j = hash64(key) & (m->cap - 1);
    while (m->keys[j] != MAP_EMPTY) {
        if (m->keys[j] == key) return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

static void map_free(struct map *m)
{
    free(m->keys);
    free(m->vals);
}

/* LSD radix sort of 64-bit keys, 11 bits a pass, only as many passes as the largest key
 * needs: the parallelism sweep sorts millions of span boundaries and qsort is the slow part. */
static bool radix_sort_u64(uint64_t *keys, size_t n)
{
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (keys[i] > max) max = keys[i];
    uint64_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
    if (!tmp) return false;
    uint64_t *src = keys, *dst = tmp;
    for (unsigned shift = 0; shift < 64 && (max >> shift) != 0; shift += 11) {
        size_t count[2048 + 1] = {0};
        for (size_t i = 0; i < n; i++)
            count[((src[i] >> shift) & 2047) + 1]++;
        for (size_t d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 2047]++] = src[i];
        uint64_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != keys) memcpy(keys, src, n * sizeof(*keys));
    free(tmp);
    return true;
}

static int rank_cmp(const void *a, const void *b)
{
    const struct cvz_stats_rank *x = a, *y = b;
    if (x->wait_ns != y->wait_ns) return x->wait_ns < y->wait_ns ? 1 : -1;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Is this object taken and released like a lock (and so part of deadlock analysis)? */
static bool lock_like(const struct cvz_object *o)
{
    return o->kind == CVZ_OBJ_MUTEX || o->kind == CVZ_OBJ_RWLOCK || o->kind == CVZ_OBJ_SPIN;
}

/* When a hold's wait ends: the acquisition, or the end of the trace for a request still
 * pending when the recording stopped. */
static cvz_ns wait_end(const struct cvz_trace *t, const struct cvz_hold *h)
{
    return h->t_acq >= 0 ? h->t_acq : t->t_max;
}

static bool hold_waited(const struct cvz_hold *h)
{
    return h->t_acq < 0 || h->t_acq > h->t_req;
}

/* ---- public: filter ----------------------------------------------------------------------- */

void cvz_stats_filter_init(struct cvz_stats_filter *filter)
{
    memset(filter, 0, sizeof(*filter));
    filter->from = INT64_MIN;
    filter->to = INT64_MAX;
}

/* ---- pass 1: threads, parallelism, CPUs ----------------------------------------------------- */

struct ctx {
    const struct cvz_trace *t;
    struct cvz_stats *s;
    cvz_ns from, to;
    size_t top;
    bool *thread_in;      /* per trace thread: passes pid/tid/object filters */
    bool *obj_in;         /* per trace object: passes the object filter */
    int32_t *thread_slot; /* trace thread index -> index in s->threads, or -1 */
    /* Per object: its holds, plus the requests still pending when the trace ended (see
     * add_pending_waits); points at the model's array unless pending waits were added. */
    const struct cvz_hold **holds;
    size_t *nholds;
    bool *own_holds;
};

/* The model keeps a request that never completed (a thread still waiting when the recording
 * stopped: the typical deadlock) only as a BLOCKED span to the thread's end, not as a hold.
 * Deadlock detection and wait totals need it as a hold with t_acq = -1: find it from the last
 * spans of each thread, unless a hold of that thread already covers that wait. */
static bool add_pending_waits(struct ctx *c)
{
    const struct cvz_trace *t = c->t;
    c->holds = xcalloc(t->nobjects, sizeof(*c->holds));
    c->nholds = xcalloc(t->nobjects, sizeof(*c->nholds));
    c->own_holds = xcalloc(t->nobjects, sizeof(*c->own_holds));
    if (!c->holds || !c->nholds || !c->own_holds) return false;
    for (size_t oi = 0; oi < t->nobjects; oi++) {
        c->holds[oi] = t->objects[oi].holds;
        c->nholds[oi] = t->objects[oi].nholds;
    }
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        if (!th->nspans) continue;
        size_t k = th->nspans - 1;
        const struct cvz_span *sp = &th->spans[k];
        if (sp->state != CVZ_ST_BLOCKED || sp->obj < 0 || (size_t)sp->obj >= t->nobjects ||
            (sp->reason != CVZ_R_LOCK && sp->reason != CVZ_R_SEM))
            continue;
        int32_t obj = sp->obj;
        while (k > 0 && th->spans[k - 1].obj == obj && th->spans[k - 1].t1 == th->spans[k].t0)
            k--;
        cvz_ns t_req = th->spans[k].t0;
        bool covered = false;
        for (size_t hi = 0; hi < c->nholds[obj] && !covered; hi++) {
            const struct cvz_hold *h = &c->holds[obj][hi];
            covered = h->thread == (int32_t)i && (h->t_acq >= t_req || h->t_acq < 0);
        }
        if (covered) continue;
        size_t n = c->nholds[obj];
        struct cvz_hold *copy = malloc((n + 1) * sizeof(*copy));
        if (!copy) return false;
        size_t at = n;
        while (at > 0 && c->holds[obj][at - 1].t_req > t_req)
            at--;
        if (at) memcpy(copy, c->holds[obj], at * sizeof(*copy));
        copy[at] = (struct cvz_hold){.t_req = t_req,
                                     .t_acq = -1,
                                     .t_rel = -1,
                                     .thread = (int32_t)i,
                                     .result = CVZ_ACQ_OK,
                                     .mode = 'w',
                                     .depth = 1,
                                     .count = -1};
        if (n > at) memcpy(copy + at + 1, c->holds[obj] + at, (n - at) * sizeof(*copy));
        if (c->own_holds[obj]) free((void *)c->holds[obj]);
        c->holds[obj] = copy;
        c->nholds[obj] = n + 1;
        c->own_holds[obj] = true;
    }
    return true;
}

/* Completion times count when inside [from, to), or exactly at `to` when that is the end
 * of the trace (so that the whole-trace report counts the last event too). */
static bool in_range(const struct ctx *c, cvz_ns t)
{
    return t >= c->from && (t < c->to || (t == c->to && c->to == c->t->t_max));
}

static bool pass_threads(struct ctx *c)
{
    const struct cvz_trace *t = c->t;
    struct cvz_stats *s = c->s;
    struct cvz_stats_summary *sum = &s->summary;

    int ncpu = t->ncpu > 0 ? t->ncpu : 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        if (!c->thread_in[i]) continue;
        const struct cvz_thread *th = &t->threads[i];
        for (size_t k = 0; k < th->nspans; k++)
            if (th->spans[k].state == CVZ_ST_RUNNING && th->spans[k].cpu >= ncpu)
                ncpu = th->spans[k].cpu + 1;
    }
    sum->ncpu = ncpu;
    sum->cpu_busy = xcalloc((size_t)ncpu, sizeof(*sum->cpu_busy));
    s->threads = xcalloc(t->nthreads, sizeof(*s->threads));
    if (!sum->cpu_busy || !s->threads) return false;

    struct vec bounds = {.size = sizeof(uint64_t)};
    bool *proc_seen = xcalloc(t->nprocs, sizeof(*proc_seen));
    if (!proc_seen) return false;
    bool ok = true;
    for (size_t i = 0; i < t->nthreads && ok; i++) {
        c->thread_slot[i] = -1;
        if (!c->thread_in[i]) continue;
        const struct cvz_thread *th = &t->threads[i];
        if (th->t_end < c->from || th->t_start > c->to) continue; /* not alive in the range */
        c->thread_slot[i] = (int32_t)s->nthreads;
        struct cvz_thread_stats *ts = &s->threads[s->nthreads++];
        ts->thread = (int32_t)i;
        if (th->proc >= 0 && (size_t)th->proc < t->nprocs) proc_seen[th->proc] = true;
        int last_cpu = -1;
        for (size_t k = cvz_span_lower(th, c->from); k < th->nspans; k++) {
            const struct cvz_span *sp = &th->spans[k];
            if (sp->t0 > c->to) break;
            cvz_ns len = clip_len(sp->t0, sp->t1, c->from, c->to);
            if (sp->state < CVZ_ST__COUNT) ts->time_in[sp->state] += len;
            if (sp->state == CVZ_ST_BLOCKED && sp->reason < CVZ_R__COUNT)
                ts->blocked_by[sp->reason] += len;
            if (sp->state != CVZ_ST_RUNNING || sp->t1 < c->from) continue;
            if (sp->t0 >= c->from) {
                ts->runs++;
                if (sp->cpu >= 0 && last_cpu >= 0 && sp->cpu != last_cpu) ts->migrations++;
            }
            if (sp->cpu >= 0) {
                last_cpu = sp->cpu;
                add_sat(&sum->cpu_busy[sp->cpu], len);
            }
            if (len > 0) {
                /* key = offset * 2 + 1 for a start, * 2 for an end: ends sort first at a tie,
                 * so back-to-back runs do not count as parallel. */
                cvz_ns a = sp->t0 < c->from ? c->from : sp->t0;
                uint64_t *k0 = vec_push(&bounds), *k1 = vec_push(&bounds);
                if (!k0 || !k1) {
                    ok = false;
                    break;
                }
                *k0 = (uint64_t)(a - c->from) * 2 + 1;
                *k1 = (uint64_t)(a + len - c->from) * 2;
            }
        }
    }
    s->procs = xcalloc(t->nprocs, sizeof(*s->procs));
    if (!s->procs) ok = false;
    for (size_t p = 0; ok && p < t->nprocs; p++)
        if (proc_seen[p]) s->procs[s->nprocs++] = (int32_t)p;
    sum->nprocs = s->nprocs;
    free(proc_seen);
    sum->nthreads = s->nthreads;

    /* Parallelism: sweep the sorted boundaries. */
    uint64_t *keys = bounds.items;
    if (ok) ok = radix_sort_u64(keys, bounds.n);
    int level = 0, max_level = 0;
    for (size_t i = 0; ok && i < bounds.n; i++) {
        level += (keys[i] & 1) ? 1 : -1;
        if (level > max_level) max_level = level;
    }
    sum->max_parallelism = max_level;
    sum->parallel_time = xcalloc((size_t)max_level + 1, sizeof(*sum->parallel_time));
    if (!sum->parallel_time) ok = false;
    level = 0;
    cvz_ns prev = 0;
    double weighted = 0; /* time x threads running: may exceed any cvz_ns */
    for (size_t i = 0; ok && i < bounds.n; i++) {
        cvz_ns at = (cvz_ns)(keys[i] >> 1);
        sum->parallel_time[level] += at - prev;
        weighted += (double)(at - prev) * level;
        prev = at;
        level += (keys[i] & 1) ? 1 : -1;
    }
    if (ok) sum->parallel_time[0] += sum->wall - prev; /* nothing runs after the last end */
    /* runs of one CPU never overlap in a sound trace; a broken one must not show > 100 % */
    for (int cpu = 0; cpu < ncpu; cpu++)
        if (sum->cpu_busy[cpu] > sum->wall) sum->cpu_busy[cpu] = sum->wall;
    sum->avg_parallelism = sum->wall > 0 ? weighted / (double)sum->wall : 0.0;
    free(bounds.items);
    return ok;
}

/* ---- pass 2: objects ------------------------------------------------------------------------ */

struct hold_ref {
    cvz_ns t;
    int32_t thread;
};

static int hold_ref_cmp(const void *a, const void *b)
{
    const struct hold_ref *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Thread-times-object wait sums for the per-thread "top objects" lists. */
struct pair_wait {
    int32_t thread, obj;
    cvz_ns wait_ns;
    uint64_t count;
};

/* Was this condvar wait (on `thread`, returning at `t`) woken by a signal or broadcast? */
static bool signalled(const struct cvz_trace *t, const struct map *signal_wakes, int32_t thread,
                      cvz_ns when)
{
    const size_t *w = map_find(signal_wakes, hash64((uint64_t)when) ^ (uint64_t)(uint32_t)thread);
    return w && t->wakes[*w].t_to == when && t->wakes[*w].to_thread == thread;
}

static bool pass_objects(struct ctx *c)
{
    const struct cvz_trace *t = c->t;
    struct cvz_stats *s = c->s;
    s->objects = xcalloc(t->nobjects, sizeof(*s->objects));
    cvz_ns *wait_by = xcalloc(t->nthreads, sizeof(*wait_by));
    uint64_t *count_by = xcalloc(t->nthreads, sizeof(*count_by));
    int32_t *seen_by = xcalloc(t->nthreads, sizeof(*seen_by));
    int32_t *touched = xcalloc(t->nthreads, sizeof(*touched));
    struct vec refs = {.size = sizeof(struct hold_ref)};
    struct vec pairs = {.size = sizeof(struct pair_wait)};
    struct map signal_wakes = {0};
    bool ok = s->objects && wait_by && count_by && seen_by && touched;

    /* Condvar waits that a signal/broadcast ended (the model's wake edges). */
    for (size_t w = 0; ok && w < t->nwakes; w++) {
        const struct cvz_wake *wk = &t->wakes[w];
        if (wk->kind != CVZ_WAKE_SIGNAL) continue;
        bool fresh;
        size_t *v = map_slot(
            &signal_wakes, hash64((uint64_t)wk->t_to) ^ (uint64_t)(uint32_t)wk->to_thread, &fresh);
        if (!v)
            ok = false;
        else
            *v = w;
    }

    for (size_t oi = 0; ok && oi < t->nobjects; oi++) {
        if (!c->obj_in[oi]) continue;
        const struct cvz_object *o = &t->objects[oi];
        struct cvz_object_stats os = {
            .obj = (int32_t)oi, .count_min = INT32_MAX, .count_max = INT32_MIN};
        bool is_cond = o->kind == CVZ_OBJ_CONDVAR;
        /* condvars and barriers are waited on, never held: the model closes a wait with
         * t_acq = t_rel = its end, and leaves t_rel = -1 on a wait still open at the end */
        bool waits_only = is_cond || o->kind == CVZ_OBJ_BARRIER;
        bool active = false;
        size_t ntouched = 0;
        refs.n = 0;
        for (size_t hi = 0; hi < c->nholds[oi]; hi++) {
            const struct cvz_hold *h = &c->holds[oi][hi];
            if (h->thread < 0 || (size_t)h->thread >= t->nthreads || !c->thread_in[h->thread])
                continue;
            struct cvz_hold open_wait;
            if (waits_only && h->t_rel < 0 && h->t_acq >= 0) {
                open_wait = *h;
                open_wait.t_acq = -1;
                h = &open_wait;
            }
            cvz_ns wend = wait_end(t, h);
            if (h->t_req > c->to || (wend < c->from && (h->result != CVZ_ACQ_OK ||
                                                        (h->t_rel >= 0 && h->t_rel < c->from))))
                continue; /* entirely outside the range */
            active = true;
            if (seen_by[h->thread] != (int32_t)oi + 1) {
                seen_by[h->thread] = (int32_t)oi + 1;
                wait_by[h->thread] = 0;
                count_by[h->thread] = 0;
                touched[ntouched++] = h->thread;
                os.nthreads++;
            }
            bool done = h->t_acq >= 0 && in_range(c, h->t_acq);
            cvz_ns w = hold_waited(h) ? clip_len(h->t_req, wend, c->from, c->to) : 0;
            add_sat(&os.wait_total, w);
            if (w > os.wait_max) os.wait_max = w;
            bool waited = hold_waited(h) || h->result == CVZ_ACQ_BUSY;
            if (w > 0 || (done && waited)) {
                add_sat(&wait_by[h->thread], w);
                count_by[h->thread] += (done && waited) || (h->t_acq < 0 && w > 0);
            }
            if (h->count >= 0 && done) {
                os.has_count = true;
                if (h->count < os.count_min) os.count_min = h->count;
                if (h->count > os.count_max) os.count_max = h->count;
            }
            if (h->t_acq < 0 && w > 0) os.pending++;
            if (is_cond) {
                if (!done) continue;
                os.cond_waits++;
                if (h->result == CVZ_ACQ_TIMEOUT)
                    os.cond_timeouts++;
                else if (h->result == CVZ_ACQ_OK &&
                         !signalled(t, &signal_wakes, h->thread, h->t_acq))
                    os.cond_spurious++;
                continue;
            }
            if (done) {
                os.attempts++;
                if (h->result == CVZ_ACQ_OK)
                    os.acquisitions++;
                else
                    os.failed++;
                if (waited) os.contended++;
            }
            if (h->result == CVZ_ACQ_OK && h->t_acq >= 0 && !waits_only) {
                cvz_ns rel = h->t_rel >= 0 ? h->t_rel : t->t_max;
                if (rel >= c->from && h->t_acq <= c->to) {
                    cvz_ns len = clip_len(h->t_acq, rel, c->from, c->to);
                    os.holds++;
                    add_sat(&os.hold_total, len);
                    if (len > os.hold_max) os.hold_max = len;
                }
                if (done) {
                    struct hold_ref *r = vec_push(&refs);
                    if (!r) {
                        ok = false;
                        break;
                    }
                    r->t = h->t_acq;
                    r->thread = h->thread;
                }
            }
        }
        if (!ok) break;
        if (is_cond) {
            /* The model keeps signal counts for the whole trace only: exact when the range is
             * the whole trace (the report says so otherwise). */
            os.cond_signals = o->nsignals;
            os.cond_broadcasts = o->nbroadcasts;
            active = active || o->nsignals || o->nbroadcasts;
        }
        if (!os.has_count) os.count_min = os.count_max = 0;
        os.contended_pct = os.attempts ? 100.0 * (double)os.contended / (double)os.attempts : 0;
        /* Owner changes, in acquisition order (holds are sorted by request). */
        const struct hold_ref *r = refs.items;
        bool sorted = true; /* usually: only contended acquisitions get out of request order */
        for (size_t k = 1; k < refs.n && sorted; k++)
            sorted = r[k - 1].t <= r[k].t;
        if (!sorted) qsort(refs.items, refs.n, sizeof(struct hold_ref), hold_ref_cmp);
        for (size_t k = 1; k < refs.n; k++)
            os.owner_changes += r[k].thread != r[k - 1].thread;
        /* Waiters, and the per-thread (thread, object) sums. */
        size_t nwaiters = 0;
        for (size_t k = 0; k < ntouched; k++)
            nwaiters += wait_by[touched[k]] > 0 || count_by[touched[k]] > 0;
        size_t ntop = nwaiters < c->top ? nwaiters : c->top;
        os.top_waiters = xcalloc(nwaiters, sizeof(*os.top_waiters));
        if (!os.top_waiters) {
            ok = false;
            break;
        }
        size_t nw = 0;
        for (size_t k = 0; k < ntouched; k++) {
            int32_t th = touched[k];
            if (!wait_by[th] && !count_by[th]) continue;
            os.top_waiters[nw++] =
                (struct cvz_stats_rank){.index = th, .wait_ns = wait_by[th], .count = count_by[th]};
            if (is_cond)
                continue; /* waiting for a signal is not "waiting on a lock" in thread tops */
            struct pair_wait *pw = vec_push(&pairs);
            if (!pw) {
                ok = false;
                break;
            }
            *pw = (struct pair_wait){th, (int32_t)oi, wait_by[th], count_by[th]};
        }
        qsort(os.top_waiters, nw, sizeof(*os.top_waiters), rank_cmp);
        os.ntop_waiters = ntop;
        if (!active && !c->s->filter.object) {
            free(os.top_waiters);
            continue;
        }
        s->objects[s->nobjects++] = os;
    }

    /* Per-thread top objects. */
    if (ok) {
        struct pair_wait *pw = pairs.items;
        size_t *nper = xcalloc(t->nthreads, sizeof(*nper));
        ok = nper != NULL;
        for (size_t k = 0; ok && k < pairs.n; k++)
            nper[pw[k].thread]++;
        for (size_t i = 0; ok && i < s->nthreads; i++) {
            struct cvz_thread_stats *ts = &s->threads[i];
            ts->top_objects = xcalloc(nper[ts->thread], sizeof(*ts->top_objects));
            if (!ts->top_objects) ok = false;
        }
        for (size_t k = 0; ok && k < pairs.n; k++) {
            int32_t slot = c->thread_slot[pw[k].thread];
            if (slot < 0) continue;
            struct cvz_thread_stats *ts = &s->threads[slot];
            ts->top_objects[ts->ntop_objects++] = (struct cvz_stats_rank){
                .index = pw[k].obj, .wait_ns = pw[k].wait_ns, .count = pw[k].count};
        }
        for (size_t i = 0; ok && i < s->nthreads; i++) {
            struct cvz_thread_stats *ts = &s->threads[i];
            qsort(ts->top_objects, ts->ntop_objects, sizeof(*ts->top_objects), rank_cmp);
            if (ts->ntop_objects > c->top) ts->ntop_objects = c->top;
        }
        free(nper);
    }
    map_free(&signal_wakes);
    free(refs.items);
    free(pairs.items);
    free(wait_by);
    free(count_by);
    free(seen_by);
    free(touched);
    return ok;
}

/* ---- pass 3: deadlocks ---------------------------------------------------------------------- */

enum sweep_type { EV_RELEASE = 0, EV_WAIT_END, EV_ACQUIRE, EV_WAIT_BEGIN, EV_JOIN_BEGIN };

/* One step of the deadlock sweep.  obj < 0: a pthread_join wait, `hold` is then the index
 * of the joined thread. */
struct sweep_ev {
    cvz_ns t;
    uint8_t type;
    int32_t obj;
    uint32_t hold;
    int32_t thread;
};

/* Sort the sweep by (time, type), keeping the input order (object, hold) for ties: an LSD radix
 * sort, stable, 11 bits a pass over the offset from the trace start.  qsort was a third of the
 * report's time on a 10 M-event trace. */
static bool sweep_sort(struct sweep_ev *ev, size_t n, cvz_ns t_min)
{
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = ((uint64_t)(ev[i].t > t_min ? ev[i].t - t_min : 0) << 2) | ev[i].type;
        if (k > max) max = k;
    }
    struct sweep_ev *tmp = malloc((n ? n : 1) * sizeof(*tmp));
    if (!tmp) return false;
    struct sweep_ev *src = ev, *dst = tmp;
    for (unsigned shift = 0; shift < 64 && (max >> shift) != 0; shift += 11) {
        size_t count[2048 + 1] = {0};
        for (size_t i = 0; i < n; i++) {
            uint64_t k = ((uint64_t)(src[i].t > t_min ? src[i].t - t_min : 0) << 2) | src[i].type;
            count[((k >> shift) & 2047) + 1]++;
        }
        for (size_t d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) {
            uint64_t k = ((uint64_t)(src[i].t > t_min ? src[i].t - t_min : 0) << 2) | src[i].type;
            dst[count[(k >> shift) & 2047]++] = src[i];
        }
        struct sweep_ev *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != ev) memcpy(ev, src, n * sizeof(*ev));
    free(tmp);
    return true;
}

/* Who holds what: small per-thread and per-object lists (a thread rarely holds more than a few
 * locks; an object has one holder, or several readers). */
struct held {
    int32_t *items; /* object indexes (per thread) or thread indexes (per object) */
    size_t n, cap;
};

static bool held_add(struct held *h, int32_t v)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4;
        int32_t *items = realloc(h->items, cap * sizeof(*items));
        if (!items) return false;
        h->items = items;
        h->cap = cap;
    }
    h->items[h->n++] = v;
    return true;
}

static void held_remove(struct held *h, int32_t v)
{
    for (size_t i = h->n; i-- > 0;)
        if (h->items[i] == v) {
            memmove(&h->items[i], &h->items[i + 1], (h->n - i - 1) * sizeof(*h->items));
            h->n--;
            return;
        }
}

struct order_node {
    int32_t obj;
    size_t *out; /* edge indexes leaving this lock, sorted by target */
    size_t nout;
};

/* The first EDGE_THREADS distinct threads that showed an order, and when each first did. */
#define EDGE_THREADS 4
/* Gate locks: the other locks a thread held every time it showed an order (at most
 * EDGE_GATES kept: fewer gates known only means fewer cycles ruled out). */
#define EDGE_GATES 4
struct edge_seen {
    int32_t thread[EDGE_THREADS];
    cvz_ns t[EDGE_THREADS];
    int32_t gate[EDGE_THREADS][EDGE_GATES];
    uint8_t ngates[EDGE_THREADS];
    int n;
};

/* The gates of a first sighting: what the thread holds besides the two locks of the order. */
static void gates_set(struct edge_seen *seen, int k, const struct held *hs, int32_t a, int32_t b)
{
    seen->ngates[k] = 0;
    for (size_t i = 0; i < hs->n && seen->ngates[k] < EDGE_GATES; i++)
        if (hs->items[i] != a && hs->items[i] != b) seen->gate[k][seen->ngates[k]++] = hs->items[i];
}

/* A later sighting by the same thread keeps only the gates held this time too. */
static void gates_intersect(struct edge_seen *seen, int k, const struct held *hs)
{
    uint8_t n = 0;
    for (uint8_t g = 0; g < seen->ngates[k]; g++) {
        bool still = false;
        for (size_t i = 0; i < hs->n && !still; i++)
            still = hs->items[i] == seen->gate[k][g];
        if (still) seen->gate[k][n++] = seen->gate[k][g];
    }
    seen->ngates[k] = n;
}

struct dl_state {
    const struct cvz_trace *t;
    struct held *thread_holds; /* per thread: objects held */
    struct held *obj_holders;  /* per object: threads holding it */
    int32_t *waiting_on;       /* per thread: object it waits for, or -1 */
    int32_t *joining;          /* per thread: thread it waits for in pthread_join, or -1 */
    struct vec deadlocks;      /* struct cvz_deadlock */
    struct vec edges;          /* struct cvz_order_edge */
    struct edge_seen *seen;    /* per edge: the first threads that showed it */
    size_t seen_cap;
    struct map edge_index; /* held<<32|acquired -> edge */
    int32_t *path;         /* DFS path of threads */
    uint8_t *on_path;      /* per thread */
};

/* Depth-first search in the wait-for graph: from `cur`, does following "waits for an object
 * held by" lead back to `start`?  The path of threads is left in st->path[0..depth]. */
static int wait_cycle(struct dl_state *st, int32_t start, int32_t cur, int depth)
{
    if (depth >= (int)MAX_CYCLE_LEN * 4) return -1;
    st->path[depth] = cur;
    int32_t obj = st->waiting_on[cur];
    int32_t joined = st->joining[cur];
    if (obj < 0 && joined < 0) return -1;
    /* a lock waits for its holders; a join for the thread it joins */
    const struct held *hs = obj >= 0 ? &st->obj_holders[obj] : NULL;
    size_t nnext = hs ? hs->n : 1;
    for (size_t i = 0; i < nnext; i++) {
        int32_t next = hs ? hs->items[i] : joined;
        if (next == start) return depth;
        if (st->on_path[next]) continue;
        st->on_path[next] = 1;
        int r = wait_cycle(st, start, next, depth + 1);
        st->on_path[next] = 0;
        if (r >= 0) return r;
    }
    return -1;
}

static bool add_order_edge(struct dl_state *st, int32_t held, int32_t acquired, int32_t thread,
                           cvz_ns t, const struct held *holding)
{
    bool fresh;
    size_t *v =
        map_slot(&st->edge_index, ((uint64_t)(uint32_t)held << 32) | (uint32_t)acquired, &fresh);
    if (!v) return false;
    if (fresh) {
        struct cvz_order_edge *e = vec_push(&st->edges);
        if (!e) return false;
        *e = (struct cvz_order_edge){held, acquired, thread, t, 1};
        *v = st->edges.n - 1;
        if (st->edges.n > st->seen_cap) {
            size_t cap = st->seen_cap ? st->seen_cap * 2 : 64;
            struct edge_seen *seen = realloc(st->seen, cap * sizeof(*seen));
            if (!seen) return false;
            st->seen = seen;
            st->seen_cap = cap;
        }
        st->seen[*v] = (struct edge_seen){.thread = {thread}, .t = {t}, .n = 1};
        gates_set(&st->seen[*v], 0, holding, held, acquired);
        return true;
    }
    struct cvz_order_edge *e = (struct cvz_order_edge *)st->edges.items + *v;
    e->count++;
    struct edge_seen *seen = &st->seen[*v];
    for (int k = 0; k < seen->n; k++)
        if (seen->thread[k] == thread) {
            gates_intersect(seen, k, holding);
            return true;
        }
    if (seen->n < EDGE_THREADS) {
        seen->thread[seen->n] = thread;
        seen->t[seen->n] = t;
        gates_set(seen, seen->n++, holding, held, acquired);
    }
    return true;
}

/* Enumerate the elementary cycles of the lock-order graph (each found once, from its smallest
 * lock), shortest first, keeping those that distinct threads could deadlock on: each edge must
 * be shown by a different thread (A->B and B->C both in thread 1 need thread 1 to wait in two
 * places at once).  That drops the long cycles that a single busy thread strings together. */
struct cycle_search {
    struct dl_state *st;
    struct order_node *nodes;
    size_t nnodes;
    struct map node_of;         /* obj -> node */
    size_t *edge_to;            /* per edge: its target node */
    size_t *comp;               /* per node: its strongly connected component */
    size_t path[MAX_CYCLE_LEN]; /* edge indexes */
    int pick[MAX_CYCLE_LEN];    /* per path edge: the index in its edge_seen chosen */
    size_t want_len;            /* cycles of exactly this length in this round */
    uint8_t *on_path;           /* per node */
    size_t steps;
    struct vec *out; /* struct cvz_inversion */
    bool truncated;
};

/* Give every edge of the path its own thread (backtracking over the few seen per edge), such
 * that no gate lock protects them all. */
/* Is some lock held by every step of the cycle, each time (a gate lock)?  Then the steps
 * cannot run at once and the cycle cannot deadlock. */
static bool gated(const struct cycle_search *cs, size_t len)
{
    const struct edge_seen *first = &cs->st->seen[cs->path[0]];
    for (uint8_t g = 0; g < first->ngates[cs->pick[0]]; g++) {
        int32_t gate = first->gate[cs->pick[0]][g];
        bool everywhere = true;
        for (size_t i = 1; i < len && everywhere; i++) {
            const struct edge_seen *seen = &cs->st->seen[cs->path[i]];
            bool has = false;
            for (uint8_t h = 0; h < seen->ngates[cs->pick[i]] && !has; h++)
                has = seen->gate[cs->pick[i]][h] == gate;
            everywhere = has;
        }
        if (everywhere) return true;
    }
    return false;
}

static bool assign_threads(struct cycle_search *cs, size_t len, size_t i)
{
    if (i == len) return !gated(cs, len);
    const struct edge_seen *seen = &cs->st->seen[cs->path[i]];
    for (int k = 0; k < seen->n; k++) {
        bool used = false;
        for (size_t j = 0; j < i && !used; j++)
            used = cs->st->seen[cs->path[j]].thread[cs->pick[j]] == seen->thread[k];
        if (used) continue;
        cs->pick[i] = k;
        if (assign_threads(cs, len, i + 1)) return true;
    }
    return false;
}

static bool keep_cycle(struct cycle_search *cs, size_t len)
{
    struct dl_state *st = cs->st;
    const struct cvz_order_edge *edges = st->edges.items;
    if (!assign_threads(cs, len, 0)) return true;
    if (cs->out->n >= CVZ_STATS_MAX_CYCLES) {
        cs->truncated = true;
        return true;
    }
    struct cvz_inversion *inv = vec_push(cs->out);
    if (!inv) return false;
    inv->edges = malloc(len * sizeof(*inv->edges));
    if (!inv->edges) return false;
    for (size_t i = 0; i < len; i++) {
        const struct edge_seen *seen = &st->seen[cs->path[i]];
        inv->edges[i] = edges[cs->path[i]];
        inv->edges[i].thread = seen->thread[cs->pick[i]];
        inv->edges[i].t = seen->t[cs->pick[i]];
    }
    inv->nedges = len;
    return true;
}

static bool cycle_dfs(struct cycle_search *cs, size_t start, size_t node, size_t depth)
{
    if (++cs->steps > CYCLE_STEP_CAP || cs->truncated) {
        cs->truncated = true;
        return true;
    }
    const struct order_node *nd = &cs->nodes[node];
    for (size_t k = 0; k < nd->nout; k++) {
        size_t e = nd->out[k];
        size_t *tn = &cs->edge_to[e];
        /* a cycle through `start` stays inside its strongly connected component: without this
         * the search would walk every path of the (usually acyclic) rest of the graph */
        if (*tn < start || cs->comp[*tn] != cs->comp[start]) continue;
        cs->path[depth] = e;
        if (*tn == start) {
            if (depth + 1 == cs->want_len && !keep_cycle(cs, depth + 1)) return false;
            continue;
        }
        if (cs->on_path[*tn] || depth + 2 > cs->want_len) continue;
        cs->on_path[*tn] = 1;
        bool ok = cycle_dfs(cs, start, *tn, depth + 1);
        cs->on_path[*tn] = 0;
        if (!ok) return false;
    }
    return true;
}

/* Tarjan's strongly connected components, iteratively (lock graphs can be deep). */
static bool find_components(struct cycle_search *cs)
{
    size_t n = cs->nnodes;
    size_t *index = xcalloc(n, sizeof(*index)), *low = xcalloc(n, sizeof(*low));
    size_t *stack = xcalloc(n, sizeof(*stack)), *frame_node = xcalloc(n, sizeof(*frame_node));
    size_t *frame_next = xcalloc(n, sizeof(*frame_next));
    uint8_t *on_stack = xcalloc(n, sizeof(*on_stack));
    bool ok = index && low && stack && frame_node && frame_next && on_stack;
    size_t next_index = 1, nstack = 0, ncomp = 0; /* index 0 = not visited */
    for (size_t root = 0; ok && root < n; root++) {
        if (index[root]) continue;
        size_t nframes = 0;
        frame_node[nframes] = root;
        frame_next[nframes++] = 0;
        index[root] = low[root] = next_index++;
        stack[nstack++] = root;
        on_stack[root] = 1;
        while (nframes) {
            size_t v = frame_node[nframes - 1];
            if (frame_next[nframes - 1] < cs->nodes[v].nout) {
                size_t w = cs->edge_to[cs->nodes[v].out[frame_next[nframes - 1]++]];
                if (!index[w]) {
                    index[w] = low[w] = next_index++;
                    stack[nstack++] = w;
                    on_stack[w] = 1;
                    frame_node[nframes] = w;
                    frame_next[nframes++] = 0;
                } else if (on_stack[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                size_t w;
                do {
                    w = stack[--nstack];
                    on_stack[w] = 0;
                    cs->comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            nframes--;
            if (nframes) {
                size_t u = frame_node[nframes - 1];
                if (low[v] < low[u]) low[u] = low[v];
            }
        }
    }
    free(index);
    free(low);
    free(stack);
    free(frame_node);
    free(frame_next);
    free(on_stack);
    return ok;
}

static bool find_order_cycles(struct dl_state *st, struct vec *out, bool *truncated)
{
    const struct cvz_order_edge *edges = st->edges.items;
    struct cycle_search cs = {.st = st, .out = out};
    /* Nodes are numbered in order of first appearance in the edge list (itself in time order),
     * so the enumeration, and the report, are the same from run to run. */
    cs.nodes = xcalloc(st->edges.n * 2, sizeof(*cs.nodes));
    cs.on_path = xcalloc(st->edges.n * 2, sizeof(*cs.on_path));
    size_t *all_out = xcalloc(st->edges.n, sizeof(*all_out));
    bool ok = cs.nodes && cs.on_path && all_out;
    for (size_t e = 0; ok && e < st->edges.n; e++) {
        int32_t ends[2] = {edges[e].held, edges[e].acquired};
        for (int k = 0; k < 2 && ok; k++) {
            bool fresh;
            size_t *v = map_slot(&cs.node_of, (uint64_t)(uint32_t)ends[k], &fresh);
            if (!v)
                ok = false;
            else if (fresh) {
                *v = cs.nnodes;
                cs.nodes[cs.nnodes++].obj = ends[k];
            }
        }
    }
    /* Out-edges per node, in one shared array. */
    for (size_t e = 0; ok && e < st->edges.n; e++)
        cs.nodes[*map_find(&cs.node_of, (uint64_t)(uint32_t)edges[e].held)].nout++;
    size_t at = 0;
    for (size_t n = 0; ok && n < cs.nnodes; n++) {
        cs.nodes[n].out = all_out + at;
        at += cs.nodes[n].nout;
        cs.nodes[n].nout = 0;
    }
    for (size_t e = 0; ok && e < st->edges.n; e++) {
        struct order_node *nd =
            &cs.nodes[*map_find(&cs.node_of, (uint64_t)(uint32_t)edges[e].held)];
        nd->out[nd->nout++] = e;
    }
    cs.edge_to = xcalloc(st->edges.n, sizeof(*cs.edge_to));
    cs.comp = xcalloc(cs.nnodes, sizeof(*cs.comp));
    ok = ok && cs.edge_to && cs.comp;
    for (size_t e = 0; ok && e < st->edges.n; e++)
        cs.edge_to[e] = *map_find(&cs.node_of, (uint64_t)(uint32_t)edges[e].acquired);
    ok = ok && find_components(&cs);
    for (cs.want_len = 2; ok && cs.want_len <= MAX_CYCLE_LEN && !cs.truncated; cs.want_len++) {
        for (size_t n = 0; ok && n < cs.nnodes && !cs.truncated; n++) {
            cs.on_path[n] = 1;
            ok = cycle_dfs(&cs, n, n, 0);
            cs.on_path[n] = 0;
        }
    }
    *truncated = cs.truncated;
    free(cs.edge_to);
    free(cs.comp);
    free(all_out);
    free(cs.nodes);
    free(cs.on_path);
    map_free(&cs.node_of);
    return ok;
}

static bool pass_deadlocks(struct ctx *c, const bool *thread_sel)
{
    const struct cvz_trace *t = c->t;
    struct cvz_stats *s = c->s;
    struct dl_state st = {.t = t,
                          .deadlocks = {.size = sizeof(struct cvz_deadlock)},
                          .edges = {.size = sizeof(struct cvz_order_edge)}};
    struct vec evs = {.size = sizeof(struct sweep_ev)};
    struct vec invs = {.size = sizeof(struct cvz_inversion)};
    st.thread_holds = xcalloc(t->nthreads, sizeof(*st.thread_holds));
    st.obj_holders = xcalloc(t->nobjects, sizeof(*st.obj_holders));
    st.waiting_on = xcalloc(t->nthreads, sizeof(*st.waiting_on));
    st.joining = xcalloc(t->nthreads, sizeof(*st.joining));
    st.path = xcalloc(t->nthreads * 4 + MAX_CYCLE_LEN * 4 + 1, sizeof(*st.path));
    st.on_path = xcalloc(t->nthreads, sizeof(*st.on_path));
    bool ok =
        st.thread_holds && st.obj_holders && st.waiting_on && st.joining && st.path && st.on_path;
    for (size_t i = 0; ok && i < t->nthreads; i++)
        st.waiting_on[i] = st.joining[i] = -1;

    /* The events of every lock-like object, all threads: a cycle may run through threads the
     * filter hides; the filter picks which findings to show afterwards. */
    for (size_t oi = 0; ok && oi < t->nobjects; oi++) {
        const struct cvz_object *o = &t->objects[oi];
        if (!lock_like(o)) continue;
        for (size_t hi = 0; ok && hi < c->nholds[oi]; hi++) {
            const struct cvz_hold *h = &c->holds[oi][hi];
            if (h->thread < 0 || (size_t)h->thread >= t->nthreads || h->depth > 1)
                continue; /* a recursive re-lock neither waits nor changes the holder */
            struct sweep_ev e = {.obj = (int32_t)oi, .hold = (uint32_t)hi, .thread = h->thread};
            struct sweep_ev *p;
#define PUSH(when, what)                                                                           \
    do {                                                                                           \
        if (!(p = vec_push(&evs))) {                                                               \
            ok = false;                                                                            \
            break;                                                                                 \
        }                                                                                          \
        *p = e;                                                                                    \
        p->t = (when);                                                                             \
        p->type = (what);                                                                          \
    } while (0)
            if (hold_waited(h)) {
                PUSH(h->t_req, EV_WAIT_BEGIN);
                if (h->t_acq >= 0) PUSH(h->t_acq, EV_WAIT_END);
            }
            if (h->result == CVZ_ACQ_OK && h->t_acq >= 0) {
                PUSH(h->t_acq, EV_ACQUIRE);
                if (h->t_rel >= 0) PUSH(h->t_rel, EV_RELEASE);
            }
#undef PUSH
        }
    }
    /* pthread_join waits, from the BLOCKED spans (the model keeps no hold for them): a thread
     * that joins one that waits for a lock the joiner holds is deadlocked too. */
    for (size_t i = 0; ok && i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        for (size_t k = 0; ok && k < th->nspans; k++) {
            const struct cvz_span *sp = &th->spans[k];
            if (sp->state != CVZ_ST_BLOCKED || sp->reason != CVZ_R_JOIN || sp->target < 0 ||
                (size_t)sp->target >= t->nthreads || sp->target == (int32_t)i)
                continue;
            size_t last = k;
            while (last + 1 < th->nspans && th->spans[last + 1].state == CVZ_ST_BLOCKED &&
                   th->spans[last + 1].reason == CVZ_R_JOIN &&
                   th->spans[last + 1].target == sp->target)
                last++;
            struct sweep_ev *b = vec_push(&evs);
            if (!b) {
                ok = false;
                break;
            }
            *b = (struct sweep_ev){sp->t0, EV_WAIT_BEGIN, -1, (uint32_t)sp->target, (int32_t)i};
            /* still joining when the thread's timeline ends: pending, like a lock request */
            if (th->spans[last].t1 < th->t_end || th->t_end < t->t_max) {
                struct sweep_ev *e = vec_push(&evs);
                if (!e) {
                    ok = false;
                    break;
                }
                *e = (struct sweep_ev){th->spans[last].t1, EV_WAIT_END, -1, (uint32_t)sp->target,
                                       (int32_t)i};
            }
            k = last;
        }
    }
    if (ok) ok = sweep_sort(evs.items, evs.n, t->t_min);

    struct sweep_ev *ev = evs.items;
    size_t nactive_from = 0; /* deadlocks before this index are resolved */
    for (size_t i = 0; ok && i < evs.n; i++) {
        int32_t th = ev[i].thread, obj = ev[i].obj;
        const struct cvz_hold *h = obj >= 0 ? &c->holds[obj][ev[i].hold] : NULL;
        bool order_in_range = ev[i].t >= c->from && ev[i].t <= c->to;
        if (!h && ev[i].type == EV_WAIT_BEGIN) {
            st.joining[th] = (int32_t)ev[i].hold;
        } else if (!h) {
            st.joining[th] = -1;
        }
        switch (h ? ev[i].type : ev[i].type == EV_WAIT_BEGIN ? EV_JOIN_BEGIN : EV_WAIT_END) {
        case EV_RELEASE:
            held_remove(&st.thread_holds[th], obj);
            held_remove(&st.obj_holders[obj], th);
            break;
        case EV_WAIT_END: {
            if (h) st.waiting_on[th] = -1;
            struct cvz_deadlock *dl = st.deadlocks.items;
            for (size_t d = nactive_from; d < st.deadlocks.n; d++) {
                if (dl[d].t_resolved >= 0) continue;
                for (size_t k = 0; k < dl[d].nsteps; k++)
                    if (dl[d].steps[k].thread == th) dl[d].t_resolved = ev[i].t;
            }
            while (nactive_from < st.deadlocks.n && dl[nactive_from].t_resolved >= 0)
                nactive_from++;
            break;
        }
        case EV_ACQUIRE:
        case EV_WAIT_BEGIN:
            /* The order "held, then this one" is seen at the request: for an acquisition that
             * waited that is its EV_WAIT_BEGIN, else its EV_ACQUIRE. */
            if (order_in_range && (ev[i].type == EV_WAIT_BEGIN || !hold_waited(h))) {
                const struct held *hs = &st.thread_holds[th];
                for (size_t k = 0; k < hs->n && ok; k++)
                    if (hs->items[k] != obj)
                        ok = add_order_edge(&st, hs->items[k], obj, th, ev[i].t, hs);
            }
            if (ev[i].type == EV_ACQUIRE) {
                ok =
                    ok && held_add(&st.thread_holds[th], obj) && held_add(&st.obj_holders[obj], th);
                break;
            }
            st.waiting_on[th] = obj;
            /* fall through */
        case EV_JOIN_BEGIN:
            st.on_path[th] = 1;
            int end = wait_cycle(&st, th, th, 0);
            st.on_path[th] = 0;
            if (end < 0) break;
            struct cvz_deadlock *dl = vec_push(&st.deadlocks);
            if (!dl || !(dl->steps = malloc(((size_t)end + 1) * sizeof(*dl->steps)))) {
                ok = false;
                break;
            }
            dl->t_formed = ev[i].t;
            dl->t_resolved = -1;
            dl->nsteps = (size_t)end + 1;
            for (int k = 0; k <= end; k++)
                dl->steps[k] = (struct cvz_deadlock_step){st.path[k], st.waiting_on[st.path[k]]};
            break;
        }
    }

    bool truncated = false;
    if (ok) ok = find_order_cycles(&st, &invs, &truncated);
    s->inversions_truncated = truncated;

    /* Keep what the filter selects. */
    struct cvz_deadlock *dls = st.deadlocks.items;
    s->deadlocks = xcalloc(st.deadlocks.n, sizeof(*s->deadlocks));
    if (!s->deadlocks) ok = false;
    for (size_t d = 0; d < st.deadlocks.n; d++) {
        bool thread_ok = false, obj_ok = false;
        for (size_t k = 0; k < dls[d].nsteps; k++) {
            thread_ok = thread_ok || thread_sel[dls[d].steps[k].thread];
            obj_ok = obj_ok || (dls[d].steps[k].obj >= 0 && c->obj_in[dls[d].steps[k].obj]) ||
                     !c->s->filter.object;
        }
        bool time_ok =
            dls[d].t_formed <= c->to && (dls[d].t_resolved < 0 || dls[d].t_resolved >= c->from);
        if (ok && thread_ok && obj_ok && time_ok)
            s->deadlocks[s->ndeadlocks++] = dls[d];
        else
            free(dls[d].steps);
    }
    struct cvz_inversion *iv = invs.items;
    s->inversions = xcalloc(invs.n, sizeof(*s->inversions));
    if (!s->inversions) ok = false;
    for (size_t k = 0; k < invs.n; k++) {
        bool thread_ok = false, obj_ok = false;
        for (size_t e = 0; e < iv[k].nedges; e++) {
            thread_ok = thread_ok || thread_sel[iv[k].edges[e].thread];
            obj_ok = obj_ok || c->obj_in[iv[k].edges[e].held];
        }
        /* An inversion whose locks also deadlocked for real says so. */
        for (size_t d = 0; d < s->ndeadlocks && !iv[k].deadlocked; d++) {
            const struct cvz_deadlock *dl = &s->deadlocks[d];
            if (dl->nsteps != iv[k].nedges) continue;
            bool all = true;
            for (size_t e = 0; e < iv[k].nedges && all; e++) {
                bool found = false;
                for (size_t m = 0; m < dl->nsteps && !found; m++)
                    found = dl->steps[m].obj == iv[k].edges[e].held;
                all = found;
            }
            iv[k].deadlocked = all;
        }
        if (ok && thread_ok && obj_ok)
            s->inversions[s->ninversions++] = iv[k];
        else
            free(iv[k].edges);
    }

    for (size_t i = 0; st.thread_holds && i < t->nthreads; i++)
        free(st.thread_holds[i].items);
    for (size_t i = 0; st.obj_holders && i < t->nobjects; i++)
        free(st.obj_holders[i].items);
    free(st.thread_holds);
    free(st.obj_holders);
    free(st.waiting_on);
    free(st.joining);
    free(st.path);
    free(st.on_path);
    free(st.deadlocks.items);
    free(st.edges.items);
    free(st.seen);
    map_free(&st.edge_index);
    free(invs.items);
    free(evs.items);
    return ok;
}

/* ---- public: compute, sort, free ------------------------------------------------------------ */

struct cvz_stats *cvz_stats_compute(const struct cvz_trace *trace,
                                    const struct cvz_stats_filter *filter)
{
    struct cvz_stats *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->trace = trace;
    if (filter)
        s->filter = *filter;
    else
        cvz_stats_filter_init(&s->filter);
    if (s->filter.object && !(s->filter.object = strdup(s->filter.object))) {
        free(s);
        return NULL;
    }

    struct ctx c = {.t = trace, .s = s, .top = s->filter.top ? s->filter.top : 5};
    c.from = s->filter.from > trace->t_min ? s->filter.from : trace->t_min;
    c.to = s->filter.to < trace->t_max ? s->filter.to : trace->t_max;
    if (c.to < c.from) c.to = c.from;
    struct cvz_stats_summary *sum = &s->summary;
    sum->from = c.from;
    sum->to = c.to;
    sum->wall = c.to - c.from;
    sum->nevents = trace->nevents;
    sum->lost_events = trace->lost_events;
    sum->broken = trace->broken;
    sum->sched_source = trace->sched_source;
    sum->truncated = trace->truncated;

    bool *thread_sel = xcalloc(trace->nthreads, sizeof(*thread_sel));
    c.thread_in = xcalloc(trace->nthreads, sizeof(*c.thread_in));
    c.obj_in = xcalloc(trace->nobjects, sizeof(*c.obj_in));
    c.thread_slot = xcalloc(trace->nthreads, sizeof(*c.thread_slot));
    bool ok = thread_sel && c.thread_in && c.obj_in && c.thread_slot;
    for (size_t i = 0; ok && i < trace->nthreads; i++) {
        const struct cvz_thread *th = &trace->threads[i];
        thread_sel[i] = (!s->filter.pid || th->pid == s->filter.pid) &&
                        (!s->filter.tid || th->tid == s->filter.tid);
        c.thread_in[i] = thread_sel[i];
    }
    for (size_t i = 0; ok && i < trace->nobjects; i++) {
        const char *name = trace->objects[i].name;
        c.obj_in[i] = !s->filter.object || (name && strcmp(name, s->filter.object) == 0);
    }
    ok = ok && add_pending_waits(&c);
    if (ok && s->filter.object) {
        /* With an object filter, the threads shown are those that used it. */
        memset(c.thread_in, 0, trace->nthreads * sizeof(*c.thread_in));
        for (size_t oi = 0; oi < trace->nobjects; oi++) {
            if (!c.obj_in[oi]) continue;
            for (size_t hi = 0; hi < c.nholds[oi]; hi++) {
                int32_t th = c.holds[oi][hi].thread;
                if (th >= 0 && (size_t)th < trace->nthreads && thread_sel[th])
                    c.thread_in[th] = true;
            }
        }
    }
    ok = ok && pass_threads(&c) && pass_objects(&c);
    if (ok) {
        sum->nobjects = s->nobjects;
        cvz_stats_sort_objects(s, CVZ_SORT_WAIT);
        ok = pass_deadlocks(&c, thread_sel);
    }
    free(thread_sel);
    free(c.thread_in);
    free(c.obj_in);
    free(c.thread_slot);
    for (size_t oi = 0; c.own_holds && oi < trace->nobjects; oi++)
        if (c.own_holds[oi]) free((void *)c.holds[oi]);
    free(c.holds);
    free(c.nholds);
    free(c.own_holds);
    if (!ok) {
        cvz_stats_free(s);
        return NULL;
    }
    return s;
}

/* qsort_r (GNU): the viewer may compute statistics in another thread, so no global. */
static int obj_name_cmp(const struct cvz_object_stats *x, const struct cvz_object_stats *y,
                        const struct cvz_trace *trace)
{
    const char *a = trace->objects[x->obj].name, *b = trace->objects[y->obj].name;
    int r = strcmp(a ? a : "", b ? b : "");
    return r ? r : (x->obj < y->obj ? -1 : x->obj > y->obj);
}

#define DESC(field)                                                                                \
    static int cmp_##field(const void *a, const void *b, void *trace)                              \
    {                                                                                              \
        const struct cvz_object_stats *x = a, *y = b;                                              \
        if (x->field != y->field) return x->field < y->field ? 1 : -1;                             \
        return obj_name_cmp(x, y, trace);                                                          \
    }
DESC(wait_total)
DESC(hold_total)
DESC(acquisitions)
DESC(contended)
#undef DESC

static int cmp_name(const void *a, const void *b, void *trace)
{
    return obj_name_cmp(a, b, trace);
}

void cvz_stats_sort_objects(struct cvz_stats *stats, enum cvz_stats_sort key)
{
    static int (*const cmps[])(const void *, const void *,
                               void *) = {[CVZ_SORT_WAIT] = cmp_wait_total,
                                          [CVZ_SORT_HOLD] = cmp_hold_total,
                                          [CVZ_SORT_ACQ] = cmp_acquisitions,
                                          [CVZ_SORT_CONTENDED] = cmp_contended,
                                          [CVZ_SORT_NAME] = cmp_name};
    if ((unsigned)key >= sizeof(cmps) / sizeof(cmps[0])) key = CVZ_SORT_WAIT;
    qsort_r(stats->objects, stats->nobjects, sizeof(*stats->objects), cmps[key],
            (void *)stats->trace);
}

void cvz_stats_free(struct cvz_stats *stats)
{
    if (!stats) return;
    free(stats->summary.parallel_time);
    free(stats->summary.cpu_busy);
    for (size_t i = 0; stats->threads && i < stats->nthreads; i++)
        free(stats->threads[i].top_objects);
    free(stats->threads);
    free(stats->procs);
    for (size_t i = 0; stats->objects && i < stats->nobjects; i++)
        free(stats->objects[i].top_waiters);
    free(stats->objects);
    for (size_t i = 0; stats->deadlocks && i < stats->ndeadlocks; i++)
        free(stats->deadlocks[i].steps);
    free(stats->deadlocks);
    for (size_t i = 0; stats->inversions && i < stats->ninversions; i++)
        free(stats->inversions[i].edges);
    free(stats->inversions);
    free((char *)stats->filter.object);
    free(stats);
}
