/* cvz_derive.c - turns raw events into the model: processes, threads, state spans, objects and
 * their holds, wake edges, marks, CPU runs.  The rules are documented in docs/trace-format.md,
 * "How the model derives states"; this file is their implementation.
 *
 * DESIGN: three passes.  (1) In file order: find every process and thread (and coroutine lane),
 * their extents, exits and names, and give them their final index (processes by start time,
 * threads by first event, a coroutine lane right after its thread).  (2) In time order (a stable
 * sort of the raw events): one pass runs every state machine at once: per (object, thread) holds,
 * per thread the stack of wrapper calls it is inside (which gives BLOCKED reasons), per object the
 * last release/signal/arrival (which gives wake edges), marks and regions; RUNNING events and
 * samples are collected per thread.  (3) Per thread: spans tiling [t_start, t_end], from runs
 * (perf), samples (proc) or wrapper calls (no scheduler source).  Nothing here aborts: what does
 * not fit the rules is counted in trace->broken with a diagnostic.
 */
#include "cvz_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_DEPTH   16 /* nested wrapper calls per thread (signal handlers nest) */
#define REGION_DEPTH 64 /* nested user regions per thread */

/* qsort that accepts an empty (NULL) array and skips sorted ones */
static void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    /* most arrays are built in order already: check before sorting */
    for (size_t i = 1; i < n; i++)
        if (cmp((char *)base + (i - 1) * size, (char *)base + i * size) > 0) {
            qsort(base, n, size, cmp);
            return;
        }
}

/* ---- small containers -------------------------------------------------------------------- */

/* Grow *arr (element size sz) so that it holds at least n+1 elements; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, ncap * sz);
    if (!p) return false;
    *arr = p;
    *cap = ncap;
    return true;
}
#define PUSH(arr, n, cap) (grow((void **)&(arr), &(cap), (n), sizeof *(arr)) ? &(arr)[(n)++] : NULL)

/* Open addressing map from a pair of 64-bit keys to an int32 (the value -1 = absent). */
struct hent {
    uint64_t a, b;
    int32_t v;
    bool used;
};
struct hmap {
    struct hent *e;
    size_t cap, n;
};

static uint64_t hmix(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return x;
}

static int32_t *hmap_slot(struct hmap *m, uint64_t a, uint64_t b, bool create)
{
    if (create && (m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        struct hent *ne = calloc(ncap, sizeof *ne);
        if (!ne) return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].used) continue;
            size_t h = hmix(m->e[i].a, m->e[i].b) & (ncap - 1);
            while (ne[h].used)
                h = (h + 1) & (ncap - 1);
            ne[h] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    if (!m->cap) return NULL;
    size_t h = hmix(a, b) & (m->cap - 1);
    while (m->e[h].used) {
        if (m->e[h].a == a && m->e[h].b == b) return &m->e[h].v;
        h = (h + 1) & (m->cap - 1);
    }
    if (!create) return NULL;
    m->e[h].used = true;
    m->e[h].a = a;
    m->e[h].b = b;
    m->e[h].v = -1;
    m->n++;
    return &m->e[h].v;
}

static int32_t hmap_get(struct hmap *m, uint64_t a, uint64_t b)
{
    int32_t *v = hmap_slot(m, a, b, false);
    return v ? *v : -1;
}

static void hmap_free(struct hmap *m)
{
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* ---- derivation state -------------------------------------------------------------------- */

struct run {
    cvz_ns t0, t1;
    int16_t cpu;
    uint8_t out;
};

struct sample {
    cvz_ns ts, runtime, run_delay;
    int16_t cpu;
    char state;
};

/* A wrapper call a thread was inside: the reason of a BLOCKED span around it. */
struct interval {
    cvz_ns t0, t1;
    int32_t obj, target;
    uint8_t reason;
};

struct wrap {
    cvz_ns t0;
    uint8_t kind; /* the event kind that opened it */
    uint8_t reason, fnclass;
    int32_t obj, target;
    uint64_t addr, inode;
};

struct region {
    cvz_ns t0;
    char *text;
};

struct segment {
    cvz_ns t0, t1;
};

struct thr {
    int32_t pid, tid, proc;
    cvz_ns first, last;
    bool has_exit;
    cvz_ns exit_ts;
    char *name;
    cvz_ns name_ts;
    int32_t parent_tid;
    int32_t host;     /* coroutine lane: the host thread (temporary index), else -1 */
    uint64_t coro_id; /* coroutine lane: its number */
    int32_t final;    /* final index */
    /* pass 2 */
    struct run *runs;
    size_t nruns, capruns;
    struct sample *samples;
    size_t nsamples, capsamples;
    struct interval *ivs;
    size_t nivs, capivs;
    cvz_ns *wakes; /* times a waker made this thread READY */
    size_t nwakes, capwakes;
    struct segment *segs; /* coroutine lane: when it was the current one */
    size_t nsegs, capsegs;
    struct wrap wstack[WRAP_DEPTH];
    int nwrap;
    struct region rstack[REGION_DEPTH];
    int nregion;
    int32_t coro_cur; /* host: current lane (final index) or -1 */
    cvz_ns coro_since;
};

struct proc {
    int32_t pid, ppid;
    cvz_ns first, last, start_ts;
    bool has_exit, has_start;
    cvz_ns exit_ts;
    int32_t exit_thread; /* final index */
    int exit_status, exit_signal;
    char *cmdline, *pname;
    int sched;
    int32_t final;
    uint32_t image; /* exec count so far (pass 2): objects of each image are apart */
};

/* Per (object, thread): the hold state machine. */
struct pair {
    cvz_ns req_t, wait_t;
    bool has_req;
    int32_t *open; /* open hold indexes of this thread on the object, oldest first */
    size_t head, nopen, capopen;
    int32_t depth;     /* recursive depth of the open hold (mutexes) */
    int32_t wait_hold; /* condvar/barrier: the hold record of the wait in progress, or -1 */
    int32_t saved_depth;
};

struct objx {
    struct cvz_hold *holds;
    size_t cap;
    bool declared;
    cvz_ns rel_t, prev_rel_t, sig_t, arr_t;
    int32_t rel_thr, prev_rel_thr, sig_thr, arr_thr;
    int32_t *holders; /* threads with an open hold (locks) */
    size_t nholders, capholders;
};

struct link { /* a fork/spawn or a create, matched to its child after the pass */
    cvz_ns ts;
    int32_t thread, pid, child;
    bool spawn;
};

struct derive {
    struct cvz_trace *tr;
    struct cvz_raw_set *set;
    struct thr *thr;
    size_t nthr, capthr;
    struct proc *proc;
    size_t nproc, capproc;
    struct hmap thr_map, proc_map, coro_map;
    int32_t *thr_by_final; /* final index -> temporary */
    /* objects */
    struct hmap obj_map, shared_map, pair_map, pipe_map;
    uint32_t cur_image; /* pass 2: the image of the current event's process */
    struct objx *objx;
    size_t capobj;
    struct pair *pairs;
    size_t npairs, cappairs;
    struct {
        cvz_ns t;
        int32_t thr;
    } * pipes;
    size_t npipes, cappipes;
    size_t capwakes, capmarks;
    struct link *links;
    size_t nlinks, caplinks;
    size_t *meta; /* raw indexes of the metadata (name) events */
    size_t nmeta, capmeta;
};

static void broken(struct derive *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void broken(struct derive *d, const char *fmt, ...)
{
    d->tr->broken++;
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cvz_diag_add(d->tr, -1, -1, "broken sequence: %s", buf);
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *extra_s1(struct derive *d, int32_t b)
{
    return b >= 0 && (size_t)b < d->set->nextras ? d->set->extras[b].s1 : NULL;
}

/* ---- pass 1: processes, threads, lanes ------------------------------------------------- */

static int32_t proc_get(struct derive *d, int32_t pid)
{
    int32_t *slot = hmap_slot(&d->proc_map, (uint32_t)pid, 0, true);
    if (!slot) return -1;
    if (*slot >= 0) return *slot;
    struct proc *p = PUSH(d->proc, d->nproc, d->capproc);
    if (!p) return -1;
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->first = INT64_MAX;
    p->last = INT64_MIN;
    p->exit_status = -1;
    p->exit_thread = -1;
    p->sched = -1;
    *slot = (int32_t)(p - d->proc);
    return *slot;
}

static int32_t thr_new(struct derive *d, int32_t pid, int32_t tid, int32_t proc)
{
    struct thr *t = PUSH(d->thr, d->nthr, d->capthr);
    if (!t) return -1;
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->tid = tid;
    t->proc = proc;
    t->first = INT64_MAX;
    t->last = INT64_MIN;
    t->host = -1;
    t->coro_cur = -1;
    t->name_ts = INT64_MIN;
    return (int32_t)(t - d->thr);
}

static int32_t thr_get(struct derive *d, int32_t pid, int32_t tid)
{
    int32_t *slot = hmap_slot(&d->thr_map, (uint32_t)pid, (uint32_t)tid, true);
    if (!slot) return -1;
    if (*slot >= 0) return *slot;
    int32_t pr = proc_get(d, pid);
    if (pr < 0) return -1;
    *slot = thr_new(d, pid, tid, pr);
    return *slot;
}

static void extend(cvz_ns *first, cvz_ns *last, cvz_ns t0, cvz_ns t1)
{
    if (t0 < *first) *first = t0;
    if (t1 > *last) *last = t1;
}

static void set_thread_name(struct thr *t, const char *name, cvz_ns ts)
{
    if (!name || ts < t->name_ts) return;
    free(t->name);
    t->name = strdup(name);
    t->name_ts = ts;
}

static int cmp_proc_final(const void *a, const void *b, void *ctx)
{
    const struct proc *pa = (const struct proc *)ctx + *(const int32_t *)a;
    const struct proc *pb = (const struct proc *)ctx + *(const int32_t *)b;
    if (pa->first != pb->first) return pa->first < pb->first ? -1 : 1;
    return *(const int32_t *)a - *(const int32_t *)b;
}

struct thr_sort_ctx {
    struct derive *d;
};

/* Threads: by process order, the main thread first, then by first event; a coroutine lane
 * sorts as its host and right after it. */
static int cmp_thr_final(const void *a, const void *b, void *ctx)
{
    struct derive *d = ctx;
    int32_t ia = *(const int32_t *)a, ib = *(const int32_t *)b;
    const struct thr *ta = &d->thr[ia], *tb = &d->thr[ib];
    const struct thr *ha = ta->host >= 0 ? &d->thr[ta->host] : ta;
    const struct thr *hb = tb->host >= 0 ? &d->thr[tb->host] : tb;
    int32_t pa = d->proc[ha->proc].final, pb = d->proc[hb->proc].final;
    if (pa != pb) return pa < pb ? -1 : 1;
    if (ha != hb) {
        bool ma = ha->tid == ha->pid, mb = hb->tid == hb->pid;
        if (ma != mb) return ma ? -1 : 1;
        if (ha->first != hb->first) return ha->first < hb->first ? -1 : 1;
        return ha < hb ? -1 : 1;
    }
    if ((ta->host >= 0) != (tb->host >= 0)) return ta->host < 0 ? -1 : 1;
    if (ta->first != tb->first) return ta->first < tb->first ? -1 : 1;
    return ia - ib;
}

static bool pass1(struct derive *d)
{
    struct cvz_raw_set *s = d->set;
    /* events with a thread first; metadata (names) after, for threads that exist */
    for (size_t i = 0; i < s->nraw; i++) {
        struct cvz_raw *r = cvz_raw_at(s, i);
        if (r->kind == CVZ_EV_PROCESS_NAME || r->kind == CVZ_EV_THREAD_NAME) {
            size_t *m = PUSH(d->meta, d->nmeta, d->capmeta);
            if (!m) return false;
            *m = i;
            continue;
        }
        int32_t t = thr_get(d, r->pid, r->tid);
        if (t < 0) return false;
        r->tid = t; /* from now on: the thread's temporary index (pid stays) */
        struct thr *th = &d->thr[t];
        struct proc *pr = &d->proc[th->proc];
        cvz_ns end = r->ts;
        if (r->kind == CVZ_EV_RUNNING || r->kind == CVZ_EV_FOREIGN) end = r->ts + r->a;
        extend(&th->first, &th->last, r->ts, end);
        extend(&pr->first, &pr->last, r->ts, end);
        switch (r->kind) {
        case CVZ_EV_THREAD_EXIT:
            if (!th->has_exit || r->ts > th->exit_ts) th->exit_ts = r->ts;
            th->has_exit = true;
            break;
        case CVZ_EV_THREAD_START:
            th->parent_tid = (int32_t)r->obj;
            break;
        case CVZ_EV_PROCESS_EXIT:
            if (!pr->has_exit || r->ts >= pr->exit_ts) {
                pr->exit_ts = r->ts;
                pr->exit_status = (int)r->a;
                pr->exit_signal = r->b;
                pr->exit_thread = t; /* temporary index, mapped below */
            }
            pr->has_exit = true;
            break;
        case CVZ_EV_PROCESS_START:
            if (r->b >= 0 && (size_t)r->b < s->nextras) {
                struct cvz_extra *e = &s->extras[r->b];
                if (!pr->has_start || r->ts >= pr->start_ts) {
                    if (e->s1) {
                        free(pr->cmdline);
                        pr->cmdline = strdup(e->s1);
                    }
                    if (!pr->has_start) pr->ppid = (int32_t)e->n[0];
                    pr->start_ts = r->ts;
                }
                if ((int)e->n[2] > pr->sched) pr->sched = (int)e->n[2];
                if (e->n[1] > d->tr->ncpu && e->n[1] <= 4096) d->tr->ncpu = (int)e->n[1];
                if (e->n[3] > 0 && e->n[3] < 1000) d->tr->format_version = (int)e->n[3];
                if (e->n[5] && !d->tr->real_anchor) {
                    d->tr->mono_anchor = e->n[4];
                    d->tr->real_anchor = e->n[5];
                }
            }
            pr->has_start = true;
            break;
        case CVZ_EV_CORO_SWITCH:
            if (r->obj != 0) {
                int32_t *slot =
                    hmap_slot(&d->coro_map, ((uint64_t)(uint32_t)t << 32), r->obj, true);
                if (!slot) return false;
                if (*slot < 0) {
                    int32_t lane = thr_new(d, r->pid, 0, d->thr[t].proc);
                    if (lane < 0) return false;
                    d->thr[lane].host = t;
                    d->thr[lane].coro_id = r->obj;
                    *slot = lane;
                }
                struct thr *ln = &d->thr[*slot];
                extend(&ln->first, &ln->last, r->ts, r->ts);
                set_thread_name(ln, extra_s1(d, r->b), r->ts);
            }
            break;
        default:
            break;
        }
    }
    for (size_t k = 0; k < d->nmeta; k++) {
        struct cvz_raw *r = cvz_raw_at(s, d->meta[k]);
        if (r->kind == CVZ_EV_THREAD_NAME) {
            int32_t t = hmap_get(&d->thr_map, (uint32_t)r->pid, (uint32_t)r->tid);
            if (t >= 0) set_thread_name(&d->thr[t], extra_s1(d, r->b), r->ts);
        } else if (r->kind == CVZ_EV_PROCESS_NAME) {
            int32_t p = hmap_get(&d->proc_map, (uint32_t)r->pid, 0);
            const char *n = extra_s1(d, r->b);
            if (p >= 0 && n) {
                free(d->proc[p].pname);
                d->proc[p].pname = strdup(n);
            }
        }
    }
    for (size_t k = 0; k < d->nmeta; k++)
        cvz_raw_at(s, d->meta[k])->tid = -1; /* applied: nothing more to do with them */
    /* extents: a thread that never exits lives until its process ends */
    for (size_t i = 0; i < d->nproc; i++) {
        struct proc *p = &d->proc[i];
        if (p->has_exit && p->exit_ts > p->last) p->last = p->exit_ts;
        if (p->first > p->last) p->first = p->last = 0; /* only metadata */
    }
    for (size_t i = 0; i < d->nthr; i++) {
        struct thr *t = &d->thr[i];
        struct proc *p = &d->proc[t->proc];
        if (t->host >= 0) continue;
        if (t->has_exit) {
            if (t->exit_ts > t->last) t->last = t->exit_ts;
        } else if (p->last > t->last) {
            t->last = p->last;
        }
    }
    for (size_t i = 0; i < d->nthr; i++) {
        struct thr *t = &d->thr[i];
        if (t->host >= 0) t->last = d->thr[t->host].last > t->last ? d->thr[t->host].last : t->last;
    }
    /* final order */
    int32_t *order = malloc((d->nproc + d->nthr + 1) * sizeof *order);
    if (!order) return false;
    for (size_t i = 0; i < d->nproc; i++)
        order[i] = (int32_t)i;
    qsort_r(order, d->nproc, sizeof *order, cmp_proc_final, d->proc);
    for (size_t i = 0; i < d->nproc; i++)
        d->proc[order[i]].final = (int32_t)i;
    for (size_t i = 0; i < d->nthr; i++)
        order[i] = (int32_t)i;
    qsort_r(order, d->nthr, sizeof *order, cmp_thr_final, d);
    for (size_t i = 0; i < d->nthr; i++)
        d->thr[order[i]].final = (int32_t)i;
    d->thr_by_final = order;
    for (size_t i = 0; i < d->nproc; i++)
        if (d->proc[i].exit_thread >= 0)
            d->proc[i].exit_thread = d->thr[d->proc[i].exit_thread].final;
    /* coroutine lanes: synthetic negative tids, unique in the trace */
    int32_t next_coro_tid = -1;
    for (size_t i = 0; i < d->nthr; i++) {
        struct thr *t = &d->thr[order[i]];
        if (t->host >= 0) t->tid = next_coro_tid--;
    }
    return true;
}

/* ---- pass 2: objects and holds --------------------------------------------------------- */

static int32_t obj_new(struct derive *d, int32_t pid, uint64_t addr, uint8_t kind, const char *name)
{
    struct cvz_trace *tr = d->tr;
    if (tr->nobjects == d->capobj) {
        size_t ncap = d->capobj ? d->capobj * 2 : 16;
        struct cvz_object *no = realloc(tr->objects, ncap * sizeof *no);
        if (!no) return -1;
        tr->objects = no;
        struct objx *nx = realloc(d->objx, ncap * sizeof *nx);
        if (!nx) return -1;
        d->objx = nx;
        d->capobj = ncap;
    }
    size_t i = tr->nobjects++;
    struct cvz_object *o = &tr->objects[i];
    memset(o, 0, sizeof *o);
    memset(&d->objx[i], 0, sizeof d->objx[i]);
    struct objx *x = &d->objx[i];
    x->rel_thr = x->prev_rel_thr = x->sig_thr = x->arr_thr = -1;
    o->kind = kind;
    o->pid = pid;
    o->addr = addr;
    if (name) {
        o->name = strdup(name);
    } else {
        char buf[64];
        snprintf(buf, sizeof buf, "%s@0x%llx", cvz_obj_kind_names[kind], (unsigned long long)addr);
        o->name = strdup(buf);
    }
    return (int32_t)i;
}

/* Objects are keyed by (pid, process image, address): after an exec, the same address is
 * another object. */
static uint32_t obj_pidkey(const struct derive *d, int32_t pid)
{
    return (uint32_t)pid ^ (d->cur_image << 22); /* pids are below 2^22 */
}

/* The object (pid, addr) now, creating an undeclared one of kind `kind` if needed. */
static int32_t obj_get(struct derive *d, int32_t pid, uint64_t addr, uint8_t kind)
{
    int32_t *slot = hmap_slot(&d->obj_map, obj_pidkey(d, pid), addr, true);
    if (!slot) return -1;
    if (*slot < 0) *slot = obj_new(d, pid, addr, kind, NULL);
    return *slot;
}

static struct pair *pair_get(struct derive *d, int32_t obj, int32_t thread)
{
    int32_t *slot = hmap_slot(&d->pair_map, (uint32_t)obj, (uint32_t)thread, true);
    if (!slot) return NULL;
    if (*slot < 0) {
        struct pair *p = PUSH(d->pairs, d->npairs, d->cappairs);
        if (!p) return NULL;
        memset(p, 0, sizeof *p);
        p->wait_hold = -1;
        *slot = (int32_t)(p - d->pairs);
    }
    return &d->pairs[*slot];
}

static int32_t hold_add(struct derive *d, int32_t obj, cvz_ns t_req, cvz_ns t_acq, int32_t thread,
                        uint8_t result, uint8_t mode, int depth, int32_t count)
{
    struct cvz_object *o = &d->tr->objects[obj];
    struct cvz_hold *h = PUSH(o->holds, o->nholds, d->objx[obj].cap);
    if (!h) return -1;
    memset(h, 0, sizeof *h);
    h->t_req = t_req;
    h->t_acq = t_acq;
    h->t_rel = -1;
    h->thread = thread;
    h->result = result;
    h->mode = mode;
    h->depth = (int16_t)(depth < 1 ? 1 : depth > 32767 ? 32767 : depth);
    h->count = count;
    return (int32_t)(h - o->holds);
}

static bool open_push(struct pair *p, int32_t hold)
{
    if (p->head > 0 && p->head == p->nopen) p->head = p->nopen = 0;
    if (!grow((void **)&p->open, &p->capopen, p->nopen, sizeof *p->open)) return false;
    p->open[p->nopen++] = hold;
    return true;
}

static int32_t open_count(const struct pair *p)
{
    return (int32_t)(p->nopen - p->head);
}

/* oldest (semaphore units) or newest (locks) open hold, removed */
static int32_t open_pop(struct pair *p, bool oldest)
{
    if (open_count(p) <= 0) return -1;
    return oldest ? p->open[p->head++] : p->open[--p->nopen];
}

static void wake_add(struct derive *d, cvz_ns t_from, cvz_ns t_to, int32_t from, int32_t to,
                     uint8_t kind, int32_t obj)
{
    struct cvz_trace *tr = d->tr;
    if (from < 0 || to < 0) return;
    if (t_from > t_to) return; /* a "waker" after the wake-up did not cause it (broken input) */
    struct cvz_wake *w = PUSH(tr->wakes, tr->nwakes, d->capwakes);
    if (!w) return;
    memset(w, 0, sizeof *w);
    w->t_from = t_from;
    w->t_to = t_to;
    w->from_thread = from;
    w->to_thread = to;
    w->kind = kind;
    w->obj = obj;
}

static void mark_add(struct derive *d, cvz_ns t0, cvz_ns t1, int32_t thread, uint8_t kind,
                     char *text_owned)
{
    struct cvz_trace *tr = d->tr;
    struct cvz_mark *m = PUSH(tr->marks, tr->nmarks, d->capmarks);
    if (!m) {
        free(text_owned);
        return;
    }
    m->t0 = t0;
    m->t1 = t1 < t0 ? t0 : t1;
    m->thread = thread;
    m->kind = kind;
    m->text = text_owned;
}

static char *fmt_text(const char *fmt, long long v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return strdup(buf);
}

/* The release that let `thread` acquire: the object's last release by another thread, if it
 * came after the request. */
static void release_edge(struct derive *d, int32_t obj, int32_t thread, cvz_ns t_req, cvz_ns t,
                         uint8_t kind)
{
    struct objx *x = &d->objx[obj];
    cvz_ns rt = x->rel_t;
    int32_t rthr = x->rel_thr;
    if (rthr == thread) {
        rt = x->prev_rel_t;
        rthr = x->prev_rel_thr;
    }
    if (rthr >= 0 && rt >= t_req && rt <= t) wake_add(d, rt, t, rthr, thread, kind, obj);
}

static void note_release(struct derive *d, int32_t obj, int32_t thread, cvz_ns t)
{
    struct objx *x = &d->objx[obj];
    if (x->rel_thr != thread) {
        x->prev_rel_t = x->rel_t;
        x->prev_rel_thr = x->rel_thr;
    }
    x->rel_t = t;
    x->rel_thr = thread;
}

static int32_t thr_of_tid(struct derive *d, int32_t final)
{
    return d->thr[d->thr_by_final[final]].tid;
}

static void holder_add(struct objx *x, int32_t thread)
{
    for (size_t i = 0; i < x->nholders; i++)
        if (x->holders[i] == thread) return;
    int32_t *slot = PUSH(x->holders, x->nholders, x->capholders);
    if (slot) *slot = thread;
}

static void holder_remove(struct objx *x, int32_t thread)
{
    for (size_t i = 0; i < x->nholders; i++)
        if (x->holders[i] == thread) {
            x->holders[i] = x->holders[--x->nholders];
            return;
        }
}

/* Before `thread` takes lock `o` in `mode`: a mutex (or an rwlock's writer) is never held by
 * two threads at once; if the trace says so, a release is missing (lost events, a lock taken
 * where it is not interposed): end the other thread's hold here and count it. */
static void take_exclusive(struct derive *d, int32_t o, int32_t thread, uint8_t mode, cvz_ns ts)
{
    struct objx *x = &d->objx[o];
    struct cvz_object *ob = &d->tr->objects[o];
    if (ob->kind == CVZ_OBJ_SEM || ob->kind == CVZ_OBJ_CONDVAR || ob->kind == CVZ_OBJ_BARRIER)
        return;
    for (size_t i = 0; i < x->nholders;) {
        int32_t other = x->holders[i];
        int32_t pi = hmap_get(&d->pair_map, (uint32_t)o, (uint32_t)other);
        struct pair *po = pi >= 0 ? &d->pairs[pi] : NULL;
        if (other == thread || !po || open_count(po) <= 0) {
            if (other == thread) {
                i++;
            } else {
                x->holders[i] = x->holders[--x->nholders];
            }
            continue;
        }
        if (mode == 'r' && ob->holds[po->open[po->nopen - 1]].mode == 'r') {
            i++; /* readers share */
            continue;
        }
        while (open_count(po) > 0)
            ob->holds[open_pop(po, false)].t_rel = ts;
        po->depth = 0;
        broken(d, "%s taken by tid %d at %lld ns while tid %d holds it (a release is missing)",
               ob->name, thr_of_tid(d, thread), (long long)ts, thr_of_tid(d, other));
        x->holders[i] = x->holders[--x->nholders];
    }
}

static struct thr *thr_of(struct derive *d, int32_t final)
{
    return &d->thr[d->thr_by_final[final]];
}

static void wrap_push(struct derive *d, struct thr *t, cvz_ns ts, uint8_t kind, uint8_t reason,
                      int32_t obj, uint64_t addr, int32_t target, uint64_t inode, uint8_t fnclass)
{
    if (t->nwrap >= WRAP_DEPTH) {
        broken(d, "more than %d nested blocking calls on tid %d at %lld ns", WRAP_DEPTH, t->tid,
               (long long)ts);
        return;
    }
    struct wrap *w = &t->wstack[t->nwrap++];
    w->t0 = ts;
    w->kind = kind;
    w->reason = reason;
    w->obj = obj;
    w->addr = addr;
    w->target = target;
    w->inode = inode;
    w->fnclass = fnclass;
}

static void interval_add(struct thr *t, cvz_ns t0, cvz_ns t1, uint8_t reason, int32_t obj,
                         int32_t target)
{
    if (t1 < t0) t1 = t0;
    struct interval *iv = PUSH(t->ivs, t->nivs, t->capivs);
    if (!iv) return;
    iv->t0 = t0;
    iv->t1 = t1;
    iv->reason = reason;
    iv->obj = obj;
    iv->target = target;
}

/* Pop the innermost wrapper opened by `kind` (on `addr` when nonzero); false if none. */
static bool wrap_pop(struct thr *t, uint8_t kind, uint64_t addr, struct wrap *out)
{
    for (int i = t->nwrap - 1; i >= 0; i--) {
        if (t->wstack[i].kind != kind || (addr && t->wstack[i].addr != addr)) continue;
        *out = t->wstack[i];
        memmove(&t->wstack[i], &t->wstack[i + 1], (size_t)(t->nwrap - i - 1) * sizeof *t->wstack);
        t->nwrap--;
        return true;
    }
    return false;
}

static uint8_t lock_reason(uint8_t kind)
{
    return kind == CVZ_OBJ_SEM ? CVZ_R_SEM : CVZ_R_LOCK;
}

static void on_event(struct derive *d, const struct cvz_raw *r)
{
    struct cvz_trace *tr = d->tr;
    int32_t ti = d->thr[r->tid].final; /* r->tid: the temporary index pass 1 stored */
    struct thr *t = thr_of(d, ti);
    cvz_ns ts = r->ts;
    int32_t o;
    struct pair *pr;
    struct wrap w;
    d->cur_image = t->proc >= 0 ? d->proc[t->proc].image : 0;
    switch (r->kind) {
    case CVZ_EV_LOST:
        tr->lost_events += (uint64_t)r->a;
        break;
    case CVZ_EV_RUNNING: {
        struct run *run = PUSH(t->runs, t->nruns, t->capruns);
        if (!run) break;
        run->t0 = ts;
        run->t1 = ts + r->a;
        run->cpu = (int16_t)r->b;
        run->out = r->sub;
        break;
    }
    case CVZ_EV_SCHED_SAMPLE: {
        struct sample *s = PUSH(t->samples, t->nsamples, t->capsamples);
        if (!s) break;
        s->ts = ts;
        s->runtime = r->a;
        s->run_delay = (cvz_ns)r->obj;
        s->cpu = (int16_t)r->b;
        s->state = (char)r->sub;
        break;
    }
    case CVZ_EV_OBJ_DECLARE: {
        const struct cvz_extra *e =
            r->b >= 0 && (size_t)r->b < d->set->nextras ? &d->set->extras[r->b] : NULL;
        int32_t *slot = hmap_slot(&d->obj_map, obj_pidkey(d, r->pid), r->obj, true);
        if (!slot) break;
        if (e && e->s2) { /* shared object: one object for every process that declares it */
            /* keyed by a 64-bit FNV-1a hash of the key string */
            uint64_t h1 = 1469598103934665603ull;
            for (const char *c = e->s2; *c; c++)
                h1 = (h1 ^ (uint8_t)*c) * 1099511628211ull;
            int32_t *ss = hmap_slot(&d->shared_map, h1, 0x5a, true);
            if (ss && *ss >= 0) {
                *slot = *ss;
                d->objx[*ss].declared = true;
                break;
            }
            if (*slot < 0 || d->objx[*slot].declared)
                *slot = obj_new(d, r->pid, r->obj, r->sub, e->s1);
            if (ss) *ss = *slot;
        }
        if (*slot >= 0 && !d->objx[*slot].declared) {
            /* used before its declaration (or implicitly created): adopt name and kind */
            struct cvz_object *ob = &tr->objects[*slot];
            if (e && e->s1) {
                free(ob->name);
                ob->name = strdup(e->s1);
            } else if (ob->kind != r->sub) {
                char buf[64];
                snprintf(buf, sizeof buf, "%s@0x%llx", cvz_obj_kind_names[r->sub],
                         (unsigned long long)r->obj);
                free(ob->name);
                ob->name = strdup(buf);
            }
            ob->kind = r->sub;
        } else if (*slot < 0) {
            *slot = obj_new(d, r->pid, r->obj, r->sub, e ? e->s1 : NULL);
        } else if (e && e->s1 && !e->s2 && strcmp(tr->objects[*slot].name, e->s1) != 0) {
            /* declared again while alive, in the same image: conviz_name_object() after the
             * object's first use names it (the tracer declares an address only once) */
            char *name = strdup(e->s1);
            if (name) {
                free(tr->objects[*slot].name);
                tr->objects[*slot].name = name;
            }
        }
        if (*slot >= 0) d->objx[*slot].declared = true;
        break;
    }
    case CVZ_EV_OBJ_DESTROY: {
        int32_t *slot = hmap_slot(&d->obj_map, obj_pidkey(d, r->pid), r->obj, false);
        if (slot) *slot = -1; /* a later object at this address is a new object */
        break;
    }
    case CVZ_EV_LOCK_REQUEST:
        o = obj_get(d, r->pid, r->obj,
                    (r->flags & CVZ_RAW_MODE_R) ? CVZ_OBJ_RWLOCK : CVZ_OBJ_MUTEX);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        if (pr->has_req)
            broken(d, "two lock.request of %s without an acquire on tid %d", tr->objects[o].name,
                   t->tid);
        pr->has_req = true;
        pr->req_t = ts;
        wrap_push(d, t, ts, CVZ_EV_LOCK_REQUEST, lock_reason(tr->objects[o].kind), o, r->obj, -1, 0,
                  0);
        break;
    case CVZ_EV_LOCK_ACQUIRE: {
        uint8_t guess = r->b >= 0                     ? CVZ_OBJ_SEM
                        : (r->flags & CVZ_RAW_MODE_R) ? CVZ_OBJ_RWLOCK
                                                      : CVZ_OBJ_MUTEX;
        o = obj_get(d, r->pid, r->obj, guess);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        struct cvz_object *ob = &tr->objects[o];
        if (!d->objx[o].declared && guess == CVZ_OBJ_SEM && ob->kind != CVZ_OBJ_SEM) {
            ob->kind = CVZ_OBJ_SEM;
            char buf[64];
            snprintf(buf, sizeof buf, "sem@0x%llx", (unsigned long long)ob->addr);
            free(ob->name);
            ob->name = strdup(buf);
        }
        bool waited = pr->has_req || r->a > 0;
        cvz_ns t_req = pr->has_req ? pr->req_t : ts - r->a;
        if (t_req > ts) t_req = ts;
        if (wrap_pop(t, CVZ_EV_LOCK_REQUEST, r->obj, &w))
            interval_add(t, w.t0, ts, lock_reason(ob->kind), o, -1);
        else if (r->a > 0)
            interval_add(t, t_req, ts, lock_reason(ob->kind), o, -1);
        pr->has_req = false;
        if (waited || r->sub != CVZ_ACQ_OK) ob->contended = true;
        uint8_t mode = (r->flags & CVZ_RAW_MODE_R) ? 'r' : 'w';
        if (r->sub != CVZ_ACQ_OK) {
            hold_add(d, o, t_req, ts, ti, r->sub, mode, 1, r->b);
            break;
        }
        if (ob->kind != CVZ_OBJ_SEM && open_count(pr) > 0) {
            /* recursive re-acquisition: one hold, deeper */
            pr->depth++;
            struct cvz_hold *h = &ob->holds[pr->open[pr->nopen - 1]];
            int depth = r->sub2 > pr->depth ? r->sub2 : pr->depth;
            if (depth > h->depth) h->depth = (int16_t)depth;
            break;
        }
        if (ob->kind != CVZ_OBJ_SEM) {
            take_exclusive(d, o, ti, mode, ts);
            holder_add(&d->objx[o], ti);
        }
        int32_t h = hold_add(d, o, t_req, ts, ti, CVZ_ACQ_OK, mode, r->sub2, r->b);
        if (h >= 0) open_push(pr, h);
        pr->depth = 1;
        if (waited)
            release_edge(d, o, ti, t_req, ts,
                         ob->kind == CVZ_OBJ_SEM ? CVZ_WAKE_POST : CVZ_WAKE_UNLOCK);
        break;
    }
    case CVZ_EV_LOCK_RELEASE: {
        o = obj_get(d, r->pid, r->obj, r->b >= 0 ? CVZ_OBJ_SEM : CVZ_OBJ_MUTEX);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        struct cvz_object *ob = &tr->objects[o];
        if (ob->kind == CVZ_OBJ_SEM) {
            int32_t h = open_pop(pr, true); /* no unit held: a handshake post */
            if (h >= 0) ob->holds[h].t_rel = ts;
            note_release(d, o, ti, ts);
            break;
        }
        if (open_count(pr) <= 0) {
            broken(d, "lock.release of %s by tid %d that does not hold it (at %lld ns)", ob->name,
                   t->tid, (long long)ts);
            note_release(d, o, ti, ts);
            break;
        }
        pr->depth--;
        if (pr->depth <= 0 || r->sub2 == 0) {
            int32_t h = open_pop(pr, false);
            if (h >= 0) ob->holds[h].t_rel = ts;
            pr->depth = 0;
            holder_remove(&d->objx[o], ti);
            note_release(d, o, ti, ts);
        }
        break;
    }
    case CVZ_EV_COND_WAIT: {
        o = obj_get(d, r->pid, r->obj, CVZ_OBJ_CONDVAR);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        int32_t m = r->a ? obj_get(d, r->pid, (uint64_t)r->a, CVZ_OBJ_MUTEX) : -1;
        if (m >= 0) {
            struct pair *pm = pair_get(d, m, ti);
            if (pm && open_count(pm) > 0) {
                int32_t h = open_pop(pm, false);
                tr->objects[m].holds[h].t_rel = ts;
                pm->saved_depth = pm->depth;
                pm->depth = 0;
                holder_remove(&d->objx[m], ti);
                note_release(d, m, ti, ts);
            } else if (pm) {
                broken(d, "cond.wait on %s by tid %d that does not hold its mutex %s",
                       tr->objects[o].name, t->tid, tr->objects[m].name);
                pm->saved_depth = 1;
            }
        }
        pr = pair_get(d, o, ti); /* the mutex's pair may have moved the pairs array */
        if (!pr) break;
        if (pr->wait_hold >= 0)
            broken(d, "cond.wait on %s while already waiting (tid %d)", tr->objects[o].name,
                   t->tid);
        pr->wait_hold = hold_add(d, o, ts, ts, ti, CVZ_ACQ_OK, 'w', 1, -1);
        pr->wait_t = ts;
        wrap_push(d, t, ts, CVZ_EV_COND_WAIT, CVZ_R_CONDVAR, o, r->obj, -1, 0, 0);
        break;
    }
    case CVZ_EV_COND_WAKE: {
        o = obj_get(d, r->pid, r->obj, CVZ_OBJ_CONDVAR);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        struct cvz_object *ob = &tr->objects[o];
        cvz_ns wait_t = ts;
        if (wrap_pop(t, CVZ_EV_COND_WAIT, r->obj, &w)) {
            interval_add(t, w.t0, ts, CVZ_R_CONDVAR, o, -1);
            wait_t = w.t0;
        }
        if (pr->wait_hold >= 0) {
            struct cvz_hold *h = &ob->holds[pr->wait_hold];
            h->t_acq = h->t_rel = ts;
            h->result = r->sub;
            wait_t = h->t_req;
            pr->wait_hold = -1;
        } else {
            broken(d, "cond.wake on %s without cond.wait (tid %d)", ob->name, t->tid);
        }
        if (r->sub == CVZ_ACQ_OK) {
            struct objx *x = &d->objx[o];
            if (x->sig_thr >= 0 && x->sig_thr != ti && x->sig_t >= wait_t && x->sig_t <= ts)
                wake_add(d, x->sig_t, ts, x->sig_thr, ti, CVZ_WAKE_SIGNAL, o);
        } else {
            ob->contended = true;
        }
        int32_t m = r->a ? obj_get(d, r->pid, (uint64_t)r->a, CVZ_OBJ_MUTEX) : -1;
        struct pair *pm = m >= 0 ? pair_get(d, m, ti) : NULL;
        if (pm) {
            int depth = pm->saved_depth > 0 ? pm->saved_depth : 1;
            take_exclusive(d, m, ti, 'w', ts);
            holder_add(&d->objx[m], ti);
            int32_t h = hold_add(d, m, ts, ts, ti, CVZ_ACQ_OK, 'w', depth, -1);
            if (h >= 0) open_push(pm, h);
            pm->depth = depth;
        }
        break;
    }
    case CVZ_EV_COND_SIGNAL:
    case CVZ_EV_COND_BROADCAST: {
        o = obj_get(d, r->pid, r->obj, CVZ_OBJ_CONDVAR);
        if (o < 0) break;
        if (r->kind == CVZ_EV_COND_SIGNAL)
            tr->objects[o].nsignals++;
        else
            tr->objects[o].nbroadcasts++;
        d->objx[o].sig_t = ts;
        d->objx[o].sig_thr = ti;
        break;
    }
    case CVZ_EV_BARRIER_WAIT:
        o = obj_get(d, r->pid, r->obj, CVZ_OBJ_BARRIER);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        d->objx[o].arr_t = ts;
        d->objx[o].arr_thr = ti;
        pr->wait_hold = hold_add(d, o, ts, ts, ti, CVZ_ACQ_OK, 'w', 1, -1);
        pr->wait_t = ts;
        wrap_push(d, t, ts, CVZ_EV_BARRIER_WAIT, CVZ_R_BARRIER, o, r->obj, -1, 0, 0);
        break;
    case CVZ_EV_BARRIER_LEAVE: {
        o = obj_get(d, r->pid, r->obj, CVZ_OBJ_BARRIER);
        if (o < 0 || !(pr = pair_get(d, o, ti))) break;
        cvz_ns wait_t = ts;
        if (wrap_pop(t, CVZ_EV_BARRIER_WAIT, r->obj, &w)) {
            interval_add(t, w.t0, ts, CVZ_R_BARRIER, o, -1);
            wait_t = w.t0;
        }
        if (pr->wait_hold >= 0) {
            struct cvz_hold *h = &tr->objects[o].holds[pr->wait_hold];
            h->t_acq = h->t_rel = ts;
            pr->wait_hold = -1;
        } else {
            broken(d, "barrier.leave of %s without barrier.wait (tid %d)", tr->objects[o].name,
                   t->tid);
        }
        struct objx *x = &d->objx[o];
        if (x->arr_thr >= 0 && x->arr_thr != ti && x->arr_t >= wait_t && x->arr_t <= ts) {
            wake_add(d, x->arr_t, ts, x->arr_thr, ti, CVZ_WAKE_BARRIER, o);
            tr->objects[o].contended = true;
        }
        break;
    }
    case CVZ_EV_BLOCK_BEGIN: {
        int32_t target = -1;
        if (r->sub == CVZ_R_JOIN) {
            target = hmap_get(&d->thr_map, (uint32_t)r->pid, (uint32_t)r->a);
            if (target >= 0) target = d->thr[target].final;
        } else if (r->sub == CVZ_R_CHILD) {
            target = r->a > 0 ? hmap_get(&d->proc_map, (uint32_t)r->a, 0) : -1;
            if (target >= 0) target = d->proc[target].final;
        } else if (r->sub == CVZ_R_IO) {
            target = r->b;
        }
        wrap_push(d, t, ts, CVZ_EV_BLOCK_BEGIN, r->sub, -1, 0, target, r->obj, r->sub2);
        if (r->sub2 == CVZ_FN_WRITE && r->obj) {
            int32_t *slot = hmap_slot(&d->pipe_map, r->obj, 0, true);
            if (slot) {
                if (*slot < 0) {
                    if (!grow((void **)&d->pipes, &d->cappipes, d->npipes, sizeof *d->pipes)) break;
                    *slot = (int32_t)d->npipes++;
                }
                d->pipes[*slot].t = ts;
                d->pipes[*slot].thr = ti;
            }
        }
        break;
    }
    case CVZ_EV_BLOCK_END: {
        if (!wrap_pop(t, CVZ_EV_BLOCK_BEGIN, 0, &w)) {
            broken(d, "block.end without block.begin on tid %d at %lld ns", t->tid, (long long)ts);
            break;
        }
        int32_t target = w.target;
        if (w.reason == CVZ_R_JOIN && r->obj) {
            int32_t j = hmap_get(&d->thr_map, (uint32_t)r->pid, (uint32_t)r->obj);
            if (j >= 0) {
                target = d->thr[j].final;
                if (d->thr[j].has_exit)
                    wake_add(d, d->thr[j].exit_ts, ts, target, ti, CVZ_WAKE_JOIN, -1);
            }
        } else if (w.reason == CVZ_R_CHILD && (int64_t)r->obj > 0) {
            int32_t p = hmap_get(&d->proc_map, (uint32_t)r->obj, 0);
            if (p >= 0) {
                struct proc *pc = &d->proc[p];
                target = pc->final;
                tr->procs[pc->final].reaped_by = ti;
                if (pc->has_exit)
                    wake_add(d, pc->exit_ts, ts, pc->exit_thread, ti, CVZ_WAKE_CHILD, -1);
            }
        } else if (w.fnclass == CVZ_FN_READ && w.inode) {
            int32_t pi = hmap_get(&d->pipe_map, w.inode, 0);
            if (pi >= 0 && d->pipes[pi].thr != ti && d->pipes[pi].t >= w.t0)
                wake_add(d, d->pipes[pi].t, ts, d->pipes[pi].thr, ti, CVZ_WAKE_PIPE, -1);
        }
        interval_add(t, w.t0, ts, w.reason, -1, target);
        break;
    }
    case CVZ_EV_THREAD_CREATE: {
        struct link *l = PUSH(d->links, d->nlinks, d->caplinks);
        if (l) *l = (struct link){ts, ti, r->pid, (int32_t)r->obj, false};
        mark_add(d, ts, ts, ti, CVZ_MARK_THREAD_CREATE, fmt_text("create %lld", (long long)r->obj));
        break;
    }
    case CVZ_EV_THREAD_EXIT:
        mark_add(d, ts, ts, ti, CVZ_MARK_THREAD_EXIT, NULL);
        break;
    case CVZ_EV_PROCESS_FORK:
    case CVZ_EV_PROCESS_SPAWN: {
        struct link *l = PUSH(d->links, d->nlinks, d->caplinks);
        if (l) *l = (struct link){ts, ti, r->pid, (int32_t)r->obj, true};
        if (r->kind == CVZ_EV_PROCESS_FORK)
            mark_add(d, ts, ts, ti, CVZ_MARK_PROCESS_FORK,
                     fmt_text("fork %lld", (long long)r->obj));
        else
            mark_add(d, ts, ts, ti, CVZ_MARK_PROCESS_FORK, xstrdup(extra_s1(d, r->b)));
        break;
    }
    case CVZ_EV_PROCESS_EXEC:
        mark_add(d, ts, ts, ti, CVZ_MARK_PROCESS_EXEC, xstrdup(extra_s1(d, r->b)));
        if (t->proc >= 0) d->proc[t->proc].image++; /* what follows is the new image's */
        break;
    case CVZ_EV_PROCESS_EXIT:
        mark_add(d, ts, ts, ti, CVZ_MARK_PROCESS_EXIT,
                 r->b ? fmt_text("signal %lld", r->b) : fmt_text("status %lld", (long long)r->a));
        break;
    case CVZ_EV_USER_MARK:
        mark_add(d, ts, ts, ti, CVZ_MARK_USER, xstrdup(extra_s1(d, r->b)));
        break;
    case CVZ_EV_USER_BEGIN:
    case CVZ_EV_USER_END:
    case CVZ_EV_FOREIGN: {
        char ph = r->kind == CVZ_EV_USER_BEGIN ? 'B'
                  : r->kind == CVZ_EV_USER_END ? 'E'
                                               : (char)r->sub;
        if (ph == 'X') {
            mark_add(d, ts, ts + r->a, ti, CVZ_MARK_REGION, xstrdup(extra_s1(d, r->b)));
        } else if (ph == 'B') {
            if (t->nregion >= REGION_DEPTH) {
                broken(d, "more than %d nested regions on tid %d", REGION_DEPTH, t->tid);
                break;
            }
            t->rstack[t->nregion].t0 = ts;
            t->rstack[t->nregion++].text = xstrdup(extra_s1(d, r->b));
        } else if (ph == 'E') {
            if (t->nregion <= 0) {
                broken(d, "region end without begin on tid %d at %lld ns", t->tid, (long long)ts);
                break;
            }
            struct region *rg = &t->rstack[--t->nregion];
            mark_add(d, rg->t0, ts, ti, CVZ_MARK_REGION, rg->text);
        } else {
            mark_add(d, ts, ts, ti, CVZ_MARK_USER, xstrdup(extra_s1(d, r->b)));
        }
        break;
    }
    case CVZ_EV_CORO_SWITCH: {
        int32_t lane = -1;
        if (r->obj != 0) {
            int32_t tmp =
                hmap_get(&d->coro_map, (uint64_t)(uint32_t)d->thr_by_final[ti] << 32, r->obj);
            if (tmp >= 0) lane = d->thr[tmp].final;
        }
        if (t->coro_cur >= 0) {
            struct thr *ln = thr_of(d, t->coro_cur);
            struct segment *sg = PUSH(ln->segs, ln->nsegs, ln->capsegs);
            if (sg) *sg = (struct segment){t->coro_since, ts};
        }
        t->coro_cur = lane;
        t->coro_since = ts;
        break;
    }
    default:
        break;
    }
}

/* ---- pass 3: spans ---------------------------------------------------------------------- */

struct spans {
    struct cvz_span *s;
    size_t n, cap;
    cvz_ns cur, end;
};

static void emit(struct spans *sp, cvz_ns t0, cvz_ns t1, uint8_t state, uint8_t reason, int cpu,
                 int32_t obj, int32_t target)
{
    if (t0 < sp->cur) t0 = sp->cur;
    if (t1 > sp->end) t1 = sp->end;
    if (t1 <= t0) return;
    if (t0 > sp->cur) emit(sp, sp->cur, t0, CVZ_ST_UNKNOWN, CVZ_R_NONE, -1, -1, -1);
    if (state != CVZ_ST_RUNNING) cpu = -1;
    if (state != CVZ_ST_BLOCKED) {
        reason = CVZ_R_NONE;
        obj = target = -1;
    }
    if (sp->n > 0) {
        struct cvz_span *l = &sp->s[sp->n - 1];
        if (l->t1 == t0 && l->state == state && l->reason == reason && l->cpu == cpu &&
            l->obj == obj && l->target == target) {
            l->t1 = t1;
            sp->cur = t1;
            return;
        }
    }
    struct cvz_span *s = PUSH(sp->s, sp->n, sp->cap);
    if (!s) return;
    memset(s, 0, sizeof *s); /* padding too: the model's bytes are deterministic */
    s->t0 = t0;
    s->t1 = t1;
    s->state = state;
    s->reason = reason;
    s->cpu = (int16_t)cpu;
    s->obj = obj;
    s->target = target;
    sp->cur = t1;
}

static int cmp_run(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}
static int cmp_iv(const void *a, const void *b)
{
    const struct interval *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->t1 > y->t1 ? -1 : x->t1 < y->t1; /* outer call first */
}
static int cmp_ns(const void *a, const void *b)
{
    cvz_ns x = *(const cvz_ns *)a, y = *(const cvz_ns *)b;
    return x < y ? -1 : x > y;
}
static int cmp_sample(const void *a, const void *b)
{
    const struct sample *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The wrapper call that explains a switch-out at g0 (with the next run at g1): the innermost
 * call open at g0, else the first call that begins inside the gap (a wrapper event can be
 * stamped just after the switch-out that it caused). */
static const struct interval *reason_at(const struct thr *t, cvz_ns g0, cvz_ns g1)
{
    size_t lo = 0, hi = t->nivs;
    while (lo < hi) { /* first interval with t0 > g0 */
        size_t mid = lo + (hi - lo) / 2;
        if (t->ivs[mid].t0 <= g0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo, steps = 0; k > 0 && steps < 16; k--, steps++)
        if (t->ivs[k - 1].t1 > g0) return &t->ivs[k - 1];
    if (lo < t->nivs && t->ivs[lo].t0 < g1) return &t->ivs[lo];
    return NULL;
}

/* Latest wake time in (g0, g1), or -1. */
static cvz_ns wake_in(const struct thr *t, cvz_ns g0, cvz_ns g1)
{
    size_t lo = 0, hi = t->nwakes;
    while (lo < hi) { /* first wake >= g1 */
        size_t mid = lo + (hi - lo) / 2;
        if (t->wakes[mid] < g1)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && t->wakes[lo - 1] > g0) return t->wakes[lo - 1];
    return -1;
}

static void blocked_gap(struct spans *sp, const struct thr *t, cvz_ns g0, cvz_ns g1)
{
    const struct interval *iv = reason_at(t, g0, g1);
    uint8_t reason = iv ? iv->reason : CVZ_R_OTHER;
    int32_t obj = iv ? iv->obj : -1, target = iv ? iv->target : -1;
    cvz_ns w = wake_in(t, g0, g1);
    if (w >= 0) {
        emit(sp, g0, w, CVZ_ST_BLOCKED, reason, -1, obj, target);
        emit(sp, w, g1, CVZ_ST_READY, 0, -1, -1, -1);
    } else {
        emit(sp, g0, g1, CVZ_ST_BLOCKED, reason, -1, obj, target);
    }
}

static void spans_from_runs(struct spans *sp, struct thr *t)
{
    xsort(t->runs, t->nruns, sizeof *t->runs, cmp_run);
    for (size_t i = 0; i < t->nruns; i++) {
        const struct run *r = &t->runs[i];
        emit(sp, r->t0, r->t1, CVZ_ST_RUNNING, 0, r->cpu, -1, -1);
        cvz_ns g0 = r->t1 > sp->cur ? r->t1 : sp->cur;
        cvz_ns g1 = i + 1 < t->nruns ? t->runs[i + 1].t0 : sp->end;
        if (g1 <= g0) continue;
        switch (r->out) {
        case CVZ_OUT_PREEMPT:
            emit(sp, g0, g1, CVZ_ST_READY, 0, -1, -1, -1);
            break;
        case CVZ_OUT_BLOCK:
            blocked_gap(sp, t, g0, g1);
            break;
        default: /* exit, open, unknown: nothing known after */
            break;
        }
    }
}

/* No scheduler source: RUNNING between wrapper calls, BLOCKED inside the calls that waited. */
static void spans_from_calls(struct spans *sp, const struct thr *t)
{
    for (size_t i = 0; i < t->nivs; i++) {
        const struct interval *iv = &t->ivs[i];
        if (iv->t1 <= sp->cur) continue; /* nested in one already drawn */
        emit(sp, sp->cur, iv->t0, CVZ_ST_RUNNING, 0, -1, -1, -1);
        emit(sp, iv->t0, iv->t1, CVZ_ST_BLOCKED, iv->reason, -1, iv->obj, iv->target);
    }
    emit(sp, sp->cur, sp->end, CVZ_ST_RUNNING, 0, -1, -1, -1);
}

/* /proc samples: per interval between two samples, the runtime growth is RUNNING, the
 * run_delay growth READY, the rest BLOCKED (or RUNNING if the thread was 'R' at both ends).
 * The order inside the interval is a guess: a thread asleep at the first sample is drawn
 * BLOCKED, READY, RUNNING; otherwise RUNNING, READY, BLOCKED.  After the last sample the
 * thread kept that sample's state. */
static void spans_from_samples(struct spans *sp, struct thr *t)
{
    xsort(t->samples, t->nsamples, sizeof *t->samples, cmp_sample);
    for (size_t k = 1; k < t->nsamples; k++) {
        const struct sample *a = &t->samples[k - 1], *b = &t->samples[k];
        cvz_ns dt = b->ts - a->ts;
        if (dt <= 0) continue;
        cvz_ns run = b->runtime - a->runtime, wait = b->run_delay - a->run_delay;
        if (run < 0) run = 0;
        if (run > dt) run = dt;
        if (wait < 0) wait = 0;
        if (wait > dt - run) wait = dt - run;
        cvz_ns rest = dt - run - wait;
        bool asleep_before = a->state != 'R';
        uint8_t rest_state = (a->state == 'R' && b->state == 'R') ? CVZ_ST_RUNNING : CVZ_ST_BLOCKED;
        const struct interval *iv = reason_at(t, a->ts, b->ts);
        uint8_t reason = iv ? iv->reason : CVZ_R_OTHER;
        int32_t obj = iv ? iv->obj : -1, target = iv ? iv->target : -1;
        cvz_ns x = a->ts;
        if (asleep_before) {
            emit(sp, x, x + rest, rest_state, reason, b->cpu, obj, target);
            x += rest;
            emit(sp, x, x + wait, CVZ_ST_READY, 0, -1, -1, -1);
            x += wait;
            emit(sp, x, b->ts, CVZ_ST_RUNNING, 0, b->cpu, -1, -1);
        } else {
            emit(sp, x, x + run, CVZ_ST_RUNNING, 0, b->cpu, -1, -1);
            x += run;
            emit(sp, x, x + wait, CVZ_ST_READY, 0, -1, -1, -1);
            x += wait;
            emit(sp, x, b->ts, rest_state, reason, b->cpu, obj, target);
        }
    }
    if (!t->nsamples) return;
    /* The sampler writes a line only when something changed, so after a thread's last sample
     * it stayed as that sample says until it ended (until the sampler's last round, which is
     * within a period of the end).  Asleep there: BLOCKED in the call still open at the end
     * (a request that never completed: a deadlocked thread), else in the call open then. */
    const struct sample *z = &t->samples[t->nsamples - 1];
    if (z->ts >= sp->end) return;
    if (z->state == 'R') {
        emit(sp, z->ts, sp->end, CVZ_ST_RUNNING, 0, z->cpu, -1, -1);
        return;
    }
    const struct interval *open = NULL; /* the innermost call open at the end */
    for (size_t k = 0; k < t->nivs; k++)
        if (t->ivs[k].t1 >= sp->end && (!open || t->ivs[k].t0 >= open->t0)) open = &t->ivs[k];
    cvz_ns split = open && open->t0 > z->ts ? open->t0 : z->ts;
    if (split > z->ts) {
        const struct interval *iv = reason_at(t, z->ts, split);
        emit(sp, z->ts, split, CVZ_ST_BLOCKED, iv ? iv->reason : CVZ_R_OTHER, -1,
             iv ? iv->obj : -1, iv ? iv->target : -1);
    }
    const struct interval *iv = open ? open : reason_at(t, z->ts, sp->end);
    emit(sp, split, sp->end, CVZ_ST_BLOCKED, iv ? iv->reason : CVZ_R_OTHER, -1, iv ? iv->obj : -1,
         iv ? iv->target : -1);
}

/* A coroutine lane shows its thread's states while it is the current coroutine. */
static void spans_from_host(struct spans *sp, const struct thr *lane, const struct cvz_thread *host)
{
    for (size_t i = 0; i < lane->nsegs; i++) {
        cvz_ns s0 = lane->segs[i].t0, s1 = lane->segs[i].t1;
        for (size_t k = cvz_span_lower(host, s0); k < host->nspans && host->spans[k].t0 < s1; k++) {
            const struct cvz_span *h = &host->spans[k];
            emit(sp, h->t0 > s0 ? h->t0 : s0, h->t1 < s1 ? h->t1 : s1, h->state, h->reason, h->cpu,
                 h->obj, h->target);
        }
    }
}

static int cmp_wake(const void *a, const void *b)
{
    const struct cvz_wake *x = a, *y = b;
    if (x->t_to != y->t_to) return x->t_to < y->t_to ? -1 : 1;
    return x->t_from < y->t_from ? -1 : x->t_from > y->t_from;
}
static int cmp_mark(const void *a, const void *b)
{
    const struct cvz_mark *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->thread - y->thread;
}
static int cmp_hold(const void *a, const void *b)
{
    const struct cvz_hold *x = a, *y = b;
    return x->t_req < y->t_req ? -1 : x->t_req > y->t_req;
}
static int cmp_cpu_run(const void *a, const void *b)
{
    const struct cvz_cpu_run *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* Give back the slack of an array grown by doubling (the model keeps it for its lifetime). */
static void *shrink(void *arr, size_t n, size_t size)
{
    if (!arr || n == 0) return arr;
    void *p = realloc(arr, n * size);
    return p ? p : arr;
}

/* ---- the whole derivation ---------------------------------------------------------------- */

static void free_thr_tmp(struct thr *t)
{
    free(t->runs);
    free(t->samples);
    free(t->ivs);
    free(t->wakes);
    free(t->segs);
    for (int i = 0; i < t->nregion; i++)
        free(t->rstack[i].text);
    free(t->name);
}

void cvz_derive(struct cvz_trace *tr, struct cvz_raw_set *set)
{
    struct derive dd, *d = &dd;
    memset(d, 0, sizeof dd);
    d->tr = tr;
    d->set = set;
    tr->is_conviz = set->saw_cvz;

    if (!pass1(d)) {
        cvz_diag_add(tr, -1, -1, "out of memory while indexing threads");
        goto out;
    }
    /* the model's processes and threads, in final order */
    tr->nprocs = d->nproc;
    tr->procs = calloc(d->nproc ? d->nproc : 1, sizeof *tr->procs);
    tr->nthreads = d->nthr;
    tr->threads = calloc(d->nthr ? d->nthr : 1, sizeof *tr->threads);
    if (!tr->procs || !tr->threads) {
        tr->nprocs = tr->nthreads = 0;
        cvz_diag_add(tr, -1, -1, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < d->nproc; i++) {
        struct proc *p = &d->proc[i];
        struct cvz_process *cp = &tr->procs[p->final];
        cp->pid = p->pid;
        cp->ppid = p->ppid;
        if (p->cmdline)
            cp->cmdline = p->cmdline, p->cmdline = NULL;
        else if (p->pname)
            cp->cmdline = p->pname, p->pname = NULL;
        else
            cp->cmdline = fmt_text("pid %lld", p->pid);
        cp->t_start = p->first;
        cp->t_end = p->last;
        cp->exit_status = p->has_exit ? p->exit_status : -1;
        cp->exit_signal = p->has_exit ? p->exit_signal : 0;
        cp->parent_thread = -1;
        cp->reaped_by = -1;
    }
    for (size_t i = 0; i < d->nthr; i++) {
        struct thr *t = &d->thr[i];
        struct cvz_thread *ct = &tr->threads[t->final];
        ct->pid = t->pid;
        ct->tid = t->tid;
        ct->proc = d->proc[t->proc].final;
        ct->t_start = t->first;
        ct->t_end = t->last;
        ct->parent = -1;
        ct->coro_of = t->host >= 0 ? d->thr[t->host].final : -1;
        if (t->name) {
            ct->name = t->name;
            t->name = NULL;
        } else if (t->host >= 0) {
            ct->name = fmt_text("coro %lld", (long long)t->coro_id);
        } else {
            ct->name = t->tid == t->pid ? strdup("main") : fmt_text("tid %lld", t->tid);
        }
        struct cvz_process *cp = &tr->procs[ct->proc];
        int32_t *nt = realloc(cp->threads, (cp->nthreads + 1) * sizeof *nt);
        if (nt) {
            cp->threads = nt;
            nt[cp->nthreads++] = t->final;
        }
    }
    for (size_t i = 0; i < tr->nprocs; i++) { /* thread lists in final order */
        struct cvz_process *cp = &tr->procs[i];
        for (size_t a = 1; a < cp->nthreads; a++)
            for (size_t b = a; b > 0 && cp->threads[b - 1] > cp->threads[b]; b--) {
                int32_t x = cp->threads[b];
                cp->threads[b] = cp->threads[b - 1];
                cp->threads[b - 1] = x;
            }
    }

    /* pass 2 in time order: each parser sorted its own events (stable, in its thread); merge
     * the two sorted sequences here, the first parser's first on equal times (file order) */
    tr->t_min = INT64_MAX;
    tr->t_max = INT64_MIN;
    size_t n0 = set->nraw0 < set->nraw ? set->nraw0 : set->nraw, n1 = set->nraw - n0;
    const uint32_t *ord0 = set->order[0], *ord1 = set->order[1];
    for (size_t i0 = 0, i1 = 0; i0 < n0 || i1 < n1;) {
        const struct cvz_raw *a = i0 < n0 ? cvz_raw_at(set, ord0 ? ord0[i0] : i0) : NULL;
        const struct cvz_raw *b = i1 < n1 ? cvz_raw_at(set, n0 + (ord1 ? ord1[i1] : i1)) : NULL;
        const struct cvz_raw *r;
        if (a && (!b || a->ts <= b->ts)) {
            r = a;
            i0++;
        } else {
            r = b;
            i1++;
        }
        if (r->tid < 0) continue;
        cvz_ns end = r->kind == CVZ_EV_RUNNING || r->kind == CVZ_EV_FOREIGN ? r->ts + r->a : r->ts;
        if (r->ts < tr->t_min) tr->t_min = r->ts;
        if (end > tr->t_max) tr->t_max = end;
        on_event(d, r);
    }
    if (tr->t_min > tr->t_max) tr->t_min = tr->t_max = 0;
    /* the raw events are no longer needed: free them before building spans */
    cvz_raw_release(set);

    /* fork/spawn -> child start, create -> thread start */
    for (size_t i = 0; i < d->nlinks; i++) {
        struct link *l = &d->links[i];
        if (l->spawn) {
            int32_t p = l->child > 0 ? hmap_get(&d->proc_map, (uint32_t)l->child, 0) : -1;
            if (p < 0) continue;
            struct cvz_process *cp = &tr->procs[d->proc[p].final];
            if (cp->parent_thread < 0) cp->parent_thread = l->thread;
            if (cp->nthreads == 0) continue;
            int32_t first = cp->threads[0];
            cvz_ns t_to = tr->threads[first].t_start;
            wake_add(d, l->ts < t_to ? l->ts : t_to, t_to, l->thread, first, CVZ_WAKE_FORK, -1);
        } else {
            int32_t c = hmap_get(&d->thr_map, (uint32_t)l->pid, (uint32_t)l->child);
            if (c < 0) continue;
            struct cvz_thread *ct = &tr->threads[d->thr[c].final];
            ct->parent = l->thread;
            wake_add(d, l->ts < ct->t_start ? l->ts : ct->t_start, ct->t_start, l->thread,
                     d->thr[c].final, CVZ_WAKE_CREATE, -1);
        }
    }
    for (size_t i = 0; i < d->nthr; i++) { /* parents known only from thread.start */
        struct thr *t = &d->thr[i];
        struct cvz_thread *ct = &tr->threads[t->final];
        if (ct->parent >= 0 || t->parent_tid <= 0 || t->host >= 0) continue;
        int32_t p = hmap_get(&d->thr_map, (uint32_t)t->pid, (uint32_t)t->parent_tid);
        if (p >= 0) ct->parent = d->thr[p].final;
    }
    xsort(tr->wakes, tr->nwakes, sizeof *tr->wakes, cmp_wake);
    for (size_t i = 0; i < tr->nwakes; i++) {
        const struct cvz_wake *w = &tr->wakes[i];
        if (w->kind == CVZ_WAKE_FORK || w->kind == CVZ_WAKE_CREATE) continue;
        struct thr *t = thr_of(d, w->to_thread);
        cvz_ns *p = PUSH(t->wakes, t->nwakes, t->capwakes);
        if (p) *p = w->t_from;
    }

    /* close what is still open at each thread's end */
    for (size_t i = 0; i < d->nthr; i++) {
        struct thr *t = &d->thr[i];
        struct cvz_thread *ct = &tr->threads[t->final];
        for (int k = t->nwrap - 1; k >= 0; k--)
            interval_add(t, t->wstack[k].t0, ct->t_end, t->wstack[k].reason, t->wstack[k].obj,
                         t->wstack[k].target);
        t->nwrap = 0;
        while (t->nregion > 0) {
            struct region *rg = &t->rstack[--t->nregion];
            mark_add(d, rg->t0, ct->t_end, t->final, CVZ_MARK_REGION, rg->text);
        }
        if (t->coro_cur >= 0) {
            struct thr *ln = thr_of(d, t->coro_cur);
            struct segment *sg = PUSH(ln->segs, ln->nsegs, ln->capsegs);
            if (sg) *sg = (struct segment){t->coro_since, ct->t_end};
        }
    }

    /* spans: hosts first, then coroutine lanes copy their host */
    int best_sched = CVZ_SCHED_NONE;
    for (size_t i = 0; i < d->nproc; i++) {
        int s = d->proc[i].sched;
        if (s == CVZ_SCHED_PERF || (s == CVZ_SCHED_PROC && best_sched != CVZ_SCHED_PERF))
            best_sched = s;
    }
    tr->sched_source = tr->is_conviz ? (uint8_t)best_sched : CVZ_SCHED_FOREIGN;
    int maxcpu = -1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->nthr; i++) {
            struct thr *t = &d->thr[i];
            if ((t->host >= 0) != (pass == 1)) continue;
            struct cvz_thread *ct = &tr->threads[t->final];
            struct spans sp = {0};
            sp.cur = ct->t_start;
            sp.end = ct->t_end;
            xsort(t->ivs, t->nivs, sizeof *t->ivs, cmp_iv);
            xsort(t->wakes, t->nwakes, sizeof *t->wakes, cmp_ns);
            if (t->host >= 0) {
                if (t->nsegs) sp.cur = ct->t_start = t->segs[0].t0;
                spans_from_host(&sp, t, &tr->threads[d->thr[t->host].final]);
            } else if (t->nruns) {
                spans_from_runs(&sp, t);
            } else if (t->nsamples) {
                spans_from_samples(&sp, t);
            } else if (tr->is_conviz && d->proc[t->proc].sched != CVZ_SCHED_PERF &&
                       d->proc[t->proc].sched != CVZ_SCHED_PROC) {
                spans_from_calls(&sp, t);
            } else if (tr->is_conviz && d->proc[t->proc].sched == CVZ_SCHED_PERF) {
                /* perf was on but this thread has no run: only the calls say something */
                for (size_t k = 0; k < t->nivs; k++)
                    emit(&sp, t->ivs[k].t0, t->ivs[k].t1, CVZ_ST_BLOCKED, t->ivs[k].reason, -1,
                         t->ivs[k].obj, t->ivs[k].target);
            }
            emit(&sp, sp.cur, sp.end, CVZ_ST_UNKNOWN, 0, -1, -1, -1); /* fill to t_end */
            if (sp.n == 0 && ct->t_end >= ct->t_start) { /* a zero-length thread: one span */
                struct cvz_span *s = PUSH(sp.s, sp.n, sp.cap);
                if (s)
                    *s = (struct cvz_span){ct->t_start, ct->t_end, CVZ_ST_UNKNOWN, 0, -1, -1, -1};
            }
            if (sp.n && sp.cap > sp.n) { /* give back the slack */
                struct cvz_span *shrunk = realloc(sp.s, sp.n * sizeof *sp.s);
                if (shrunk) sp.s = shrunk;
            }
            ct->spans = sp.s;
            ct->nspans = sp.n;
            for (size_t k = 0; k < sp.n; k++) {
                ct->time_in[sp.s[k].state] += sp.s[k].t1 - sp.s[k].t0;
                if (sp.s[k].cpu > maxcpu) maxcpu = sp.s[k].cpu;
            }
            free(t->runs);
            t->runs = NULL;
            free(t->samples);
            t->samples = NULL;
        }
    }

    /* CPU lanes from RUNNING spans of real threads */
    if (maxcpu + 1 > tr->ncpu) tr->ncpu = maxcpu + 1;
    if (tr->ncpu > 0) {
        tr->cpus = calloc((size_t)tr->ncpu, sizeof *tr->cpus);
        size_t *caps = calloc((size_t)tr->ncpu, sizeof *caps);
        if (tr->cpus && caps) {
            for (size_t i = 0; i < tr->nthreads; i++) {
                const struct cvz_thread *ct = &tr->threads[i];
                if (ct->coro_of >= 0) continue;
                for (size_t k = 0; k < ct->nspans; k++) {
                    const struct cvz_span *s = &ct->spans[k];
                    if (s->state != CVZ_ST_RUNNING || s->cpu < 0 || s->cpu >= tr->ncpu) continue;
                    struct cvz_cpu *c = &tr->cpus[s->cpu];
                    struct cvz_cpu_run *cr = PUSH(c->runs, c->nruns, caps[s->cpu]);
                    if (cr) *cr = (struct cvz_cpu_run){s->t0, s->t1, (int32_t)i};
                }
            }
            for (int c = 0; c < tr->ncpu; c++)
                xsort(tr->cpus[c].runs, tr->cpus[c].nruns, sizeof *tr->cpus[c].runs, cmp_cpu_run);
        }
        free(caps);
    }

    for (size_t i = 0; i < tr->nobjects; i++) {
        struct cvz_object *o = &tr->objects[i];
        xsort(o->holds, o->nholds, sizeof *o->holds, cmp_hold);
        o->holds = shrink(o->holds, o->nholds, sizeof *o->holds);
    }
    xsort(tr->marks, tr->nmarks, sizeof *tr->marks, cmp_mark);
    tr->marks = shrink(tr->marks, tr->nmarks, sizeof *tr->marks);
    tr->wakes = shrink(tr->wakes, tr->nwakes, sizeof *tr->wakes);
    tr->objects = shrink(tr->objects, tr->nobjects, sizeof *tr->objects);
    for (int c = 0; c < tr->ncpu && tr->cpus; c++)
        tr->cpus[c].runs = shrink(tr->cpus[c].runs, tr->cpus[c].nruns, sizeof *tr->cpus[c].runs);

    /* caption: the first process's command line */
    for (size_t i = 0; i < d->nproc && !tr->caption; i++)
        if (d->proc[i].final == 0 && d->proc[i].has_start)
            tr->caption = xstrdup(tr->procs[0].cmdline);
    if (!tr->caption && tr->nprocs && tr->is_conviz) tr->caption = xstrdup(tr->procs[0].cmdline);

out:
    for (size_t i = 0; i < d->nthr; i++)
        free_thr_tmp(&d->thr[i]);
    free(d->thr);
    for (size_t i = 0; i < d->nproc; i++) {
        free(d->proc[i].cmdline);
        free(d->proc[i].pname);
    }
    free(d->proc);
    for (size_t i = 0; i < d->npairs; i++)
        free(d->pairs[i].open);
    free(d->pairs);
    for (size_t i = 0; d->objx && i < tr->nobjects; i++)
        free(d->objx[i].holders);
    free(d->objx);
    free(d->pipes);
    free(d->links);
    free(d->meta);
    free(d->thr_by_final);
    hmap_free(&d->thr_map);
    hmap_free(&d->proc_map);
    hmap_free(&d->coro_map);
    hmap_free(&d->obj_map);
    hmap_free(&d->shared_map);
    hmap_free(&d->pair_map);
    hmap_free(&d->pipe_map);
    cvz_raw_release(set);
    for (size_t i = 0; i < set->nextras; i++) {
        free(set->extras[i].s1);
        free(set->extras[i].s2);
    }
    free(set->extras);
    memset(set, 0, sizeof *set);
}

void cvz_trace_free(struct cvz_trace *tr)
{
    if (!tr) return;
    free(tr->path);
    free(tr->caption);
    for (size_t i = 0; i < tr->nprocs; i++) {
        free(tr->procs[i].cmdline);
        free(tr->procs[i].threads);
    }
    free(tr->procs);
    for (size_t i = 0; i < tr->nthreads; i++) {
        free(tr->threads[i].name);
        free(tr->threads[i].spans);
    }
    free(tr->threads);
    for (size_t i = 0; i < tr->nobjects; i++) {
        free(tr->objects[i].name);
        free(tr->objects[i].holds);
    }
    free(tr->objects);
    free(tr->wakes);
    for (size_t i = 0; i < tr->nmarks; i++)
        free(tr->marks[i].text);
    free(tr->marks);
    if (tr->cpus)
        for (int c = 0; c < tr->ncpu; c++)
            free(tr->cpus[c].runs);
    free(tr->cpus);
    for (size_t i = 0; i < tr->ndiags; i++)
        free(tr->diags[i].message);
    free(tr->diags);
    free(tr);
}
