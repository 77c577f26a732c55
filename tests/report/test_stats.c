/* test_stats.c - cvz_stats on traces built in memory, whose answers are known by construction:
 * N x M acquisitions, contention counts and wait/hold sums, parallelism, range clipping,
 * condvar and semaphore figures, an ABBA inversion that never deadlocks (potential only), a
 * real deadlock (actual, with its cycle), a 3-lock cycle, a clean trace (nothing).
 *
 * DESIGN: building struct cvz_trace directly (not through the JSON reader) tests the statistics
 * alone, so a failure here points at cvz_stats.c; the JSON traces in tests/report/data exercise the
 * whole path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvz_model.h"
#include "cvz_stats.h"

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_) {                                                                          \
            fprintf(stderr, "%s:%d: %s: %s = %lld, expected %lld\n", __FILE__, __LINE__, __func__, \
                    #a, va_, vb_);                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* ---- a tiny trace builder ------------------------------------------------------------------- */

#define MAXT 8
#define MAXO 8
#define MAXH 1024
#define MAXS 64

static struct cvz_trace tr;
static struct cvz_thread threads[MAXT];
static struct cvz_span spans[MAXT][MAXS];
static struct cvz_object objects[MAXO];
static struct cvz_hold holds[MAXO][MAXH];
static struct cvz_process proc;
static int32_t proc_threads[MAXT];
static struct cvz_wake wakes[64];

static void tb_reset(cvz_ns t_min, cvz_ns t_max)
{
    memset(&tr, 0, sizeof(tr));
    memset(threads, 0, sizeof(threads));
    memset(objects, 0, sizeof(objects));
    memset(&proc, 0, sizeof(proc));
    tr.path = "mem";
    tr.is_conviz = true;
    tr.ncpu = 2;
    tr.t_min = t_min;
    tr.t_max = t_max;
    tr.threads = threads;
    tr.objects = objects;
    tr.procs = &proc;
    tr.nprocs = 1;
    tr.wakes = wakes;
    proc.pid = 100;
    proc.threads = proc_threads;
}

static int32_t tb_thread(int32_t tid, const char *name)
{
    int32_t i = (int32_t)tr.nthreads++;
    threads[i] = (struct cvz_thread){.pid = 100,
                                     .tid = tid,
                                     .proc = 0,
                                     .name = (char *)name,
                                     .t_start = tr.t_min,
                                     .t_end = tr.t_max,
                                     .parent = -1,
                                     .coro_of = -1,
                                     .spans = spans[i]};
    proc_threads[proc.nthreads++] = i;
    return i;
}

static void tb_span(int32_t th, cvz_ns t0, cvz_ns t1, int state, int reason, int cpu)
{
    struct cvz_thread *t = &threads[th];
    t->spans[t->nspans++] = (struct cvz_span){.t0 = t0,
                                              .t1 = t1,
                                              .state = (uint8_t)state,
                                              .reason = (uint8_t)reason,
                                              .cpu = (int16_t)cpu,
                                              .obj = -1,
                                              .target = -1};
    t->time_in[state] += t1 - t0;
}

static int32_t tb_object(const char *name, int kind)
{
    int32_t i = (int32_t)tr.nobjects++;
    objects[i] = (struct cvz_object){.name = (char *)name,
                                     .kind = (uint8_t)kind,
                                     .pid = 100,
                                     .addr = 0x1000u + (uint64_t)i * 64,
                                     .holds = holds[i]};
    return i;
}

/* t_acq -1: still waiting at the end; t_rel -1: still held (or a failed attempt). */
static void tb_hold(int32_t obj, int32_t th, cvz_ns t_req, cvz_ns t_acq, cvz_ns t_rel, int result)
{
    struct cvz_object *o = &objects[obj];
    o->holds[o->nholds++] = (struct cvz_hold){.t_req = t_req,
                                              .t_acq = t_acq,
                                              .t_rel = t_rel,
                                              .thread = th,
                                              .result = (uint8_t)result,
                                              .mode = 'w',
                                              .depth = 1,
                                              .count = -1};
    if (t_acq < 0 || t_acq > t_req || result != CVZ_ACQ_OK) o->contended = true;
}

static struct cvz_stats *stats_all(void)
{
    struct cvz_stats *s = cvz_stats_compute(&tr, NULL);
    CHECK(s != NULL);
    return s;
}

static const struct cvz_object_stats *obj_stats(const struct cvz_stats *s, int32_t obj)
{
    for (size_t i = 0; i < s->nobjects; i++)
        if (s->objects[i].obj == obj) return &s->objects[i];
    fprintf(stderr, "object %d not in the statistics\n", obj);
    failures++;
    static const struct cvz_object_stats none;
    return &none;
}

/* ---- the cases ------------------------------------------------------------------------------ */

/* 4 threads x 100 uncontended acquisitions of one mutex, each held 10 ns, one after another. */
static void test_n_by_m(void)
{
    tb_reset(0, 100000);
    int32_t th[4];
    for (int i = 0; i < 4; i++)
        th[i] = tb_thread(200 + i, "worker");
    int32_t m = tb_object("counter_lock", CVZ_OBJ_MUTEX);
    cvz_ns t = 0;
    for (int round = 0; round < 100; round++)
        for (int i = 0; i < 4; i++, t += 100)
            tb_hold(m, th[i], t, t, t + 10, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    const struct cvz_object_stats *os = obj_stats(s, m);
    CHECK_EQ(os->attempts, 400);
    CHECK_EQ(os->acquisitions, 400);
    CHECK_EQ(os->contended, 0);
    CHECK_EQ(os->failed, 0);
    CHECK_EQ(os->holds, 400);
    CHECK_EQ(os->hold_total, 4000);
    CHECK_EQ(os->hold_max, 10);
    CHECK_EQ(os->wait_total, 0);
    CHECK_EQ(os->nthreads, 4);
    CHECK_EQ(os->owner_changes, 399);
    CHECK_EQ(os->ntop_waiters, 0);
    CHECK_EQ(s->ndeadlocks, 0);
    CHECK_EQ(s->ninversions, 0);
    cvz_stats_free(s);
}

/* Thread B waits three times (5, 7, 9 ns) for a lock A holds; one trylock fails. */
static void test_contention(void)
{
    tb_reset(0, 1000);
    int32_t a = tb_thread(1, "A"), b = tb_thread(2, "B");
    int32_t m = tb_object("m", CVZ_OBJ_MUTEX);
    tb_hold(m, a, 0, 0, 20, CVZ_ACQ_OK);
    tb_hold(m, b, 15, 20, 30, CVZ_ACQ_OK);   /* waited 5 */
    tb_hold(m, a, 25, 30, 50, CVZ_ACQ_OK);   /* waited 5: A is a waiter too */
    tb_hold(m, b, 43, 50, 60, CVZ_ACQ_OK);   /* waited 7 */
    tb_hold(m, a, 55, 55, -1, CVZ_ACQ_BUSY); /* trylock failed: contended, no wait */
    tb_hold(m, b, 100, 100, 110, CVZ_ACQ_OK);
    tb_hold(m, a, 101, 110, 120, CVZ_ACQ_OK); /* waited 9 */
    struct cvz_stats *s = stats_all();
    const struct cvz_object_stats *os = obj_stats(s, m);
    CHECK_EQ(os->attempts, 7);
    CHECK_EQ(os->acquisitions, 6);
    CHECK_EQ(os->failed, 1);
    CHECK_EQ(os->contended, 5);
    CHECK_EQ(os->wait_total, 5 + 5 + 7 + 9);
    CHECK_EQ(os->wait_max, 9);
    CHECK_EQ(os->hold_total, 20 + 10 + 20 + 10 + 10 + 10);
    CHECK_EQ(os->hold_max, 20);
    CHECK_EQ(os->owner_changes, 4); /* A B A B B A */
    CHECK_EQ(os->ntop_waiters, 2);
    CHECK_EQ(os->top_waiters[0].index, a); /* A waited 14, B 12 */
    CHECK_EQ(os->top_waiters[0].wait_ns, 14);
    CHECK_EQ(os->top_waiters[0].count, 3);
    CHECK_EQ(os->top_waiters[1].wait_ns, 12);
    /* the per-thread view agrees with the per-object one */
    CHECK_EQ(s->threads[b].ntop_objects, 1);
    CHECK_EQ(s->threads[b].top_objects[0].index, m);
    CHECK_EQ(s->threads[b].top_objects[0].wait_ns, 12);
    cvz_stats_free(s);
}

/* Two threads running [0,100) on cpu0 and [50,150) then [150,200) on cpu1 / cpu0. */
static void test_parallelism_and_clipping(void)
{
    tb_reset(0, 200);
    int32_t a = tb_thread(1, "A"), b = tb_thread(2, "B");
    tb_span(a, 0, 100, CVZ_ST_RUNNING, 0, 0);
    tb_span(a, 100, 200, CVZ_ST_BLOCKED, CVZ_R_LOCK, -1);
    tb_span(b, 0, 50, CVZ_ST_READY, 0, -1);
    tb_span(b, 50, 150, CVZ_ST_RUNNING, 0, 1);
    tb_span(b, 150, 200, CVZ_ST_RUNNING, 0, 0);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->summary.wall, 200);
    CHECK_EQ(s->summary.max_parallelism, 2);
    CHECK_EQ(s->summary.parallel_time[0], 0);
    CHECK_EQ(s->summary.parallel_time[1], 150);
    CHECK_EQ(s->summary.parallel_time[2], 50);
    CHECK(s->summary.avg_parallelism > 1.249 && s->summary.avg_parallelism < 1.251);
    CHECK_EQ(s->summary.cpu_busy[0], 150);
    CHECK_EQ(s->summary.cpu_busy[1], 100);
    CHECK_EQ(s->threads[a].time_in[CVZ_ST_RUNNING], 100);
    CHECK_EQ(s->threads[a].blocked_by[CVZ_R_LOCK], 100);
    CHECK_EQ(s->threads[b].migrations, 1);
    CHECK_EQ(s->threads[b].runs, 2);
    cvz_stats_free(s);

    /* the same between 60 and 160: every duration clipped */
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    f.from = 60;
    f.to = 160;
    s = cvz_stats_compute(&tr, &f);
    CHECK_EQ(s->summary.wall, 100);
    CHECK_EQ(s->threads[a].time_in[CVZ_ST_RUNNING], 40);
    CHECK_EQ(s->threads[a].time_in[CVZ_ST_BLOCKED], 60);
    CHECK_EQ(s->threads[b].time_in[CVZ_ST_RUNNING], 100);
    CHECK_EQ(s->threads[b].time_in[CVZ_ST_READY], 0);
    CHECK_EQ(s->threads[b].runs, 1); /* the run from 150; the one from 50 began before */
    CHECK_EQ(s->summary.parallel_time[1], 60);
    CHECK_EQ(s->summary.parallel_time[2], 40);
    cvz_stats_free(s);

    /* --tid: only B */
    cvz_stats_filter_init(&f);
    f.tid = 2;
    s = cvz_stats_compute(&tr, &f);
    CHECK_EQ(s->nthreads, 1);
    CHECK_EQ(s->threads[0].thread, b);
    CHECK_EQ(s->summary.max_parallelism, 1);
    cvz_stats_free(s);
}

/* Waits clipped to a range; acquisitions counted where they complete. */
static void test_range_waits(void)
{
    tb_reset(0, 1000);
    int32_t a = tb_thread(1, "A"), b = tb_thread(2, "B");
    int32_t m = tb_object("m", CVZ_OBJ_MUTEX);
    tb_hold(m, a, 0, 0, 500, CVZ_ACQ_OK);
    tb_hold(m, b, 100, 500, 600, CVZ_ACQ_OK);
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    f.from = 300;
    f.to = 550;
    struct cvz_stats *s = cvz_stats_compute(&tr, &f);
    const struct cvz_object_stats *os = obj_stats(s, m);
    CHECK_EQ(os->attempts, 1); /* only B's completes inside */
    CHECK_EQ(os->contended, 1);
    CHECK_EQ(os->wait_total, 200);      /* 300..500 */
    CHECK_EQ(os->hold_total, 200 + 50); /* A 300..500, B 500..550 */
    CHECK_EQ(os->holds, 2);
    cvz_stats_free(s);
    (void)a;
}

/* ABBA that never deadlocks: T1 takes A then B at t=10, T2 takes B then A at t=100. */
static void test_abba_potential(void)
{
    tb_reset(0, 1000);
    int32_t t1 = tb_thread(1, "T1"), t2 = tb_thread(2, "T2");
    int32_t la = tb_object("lock_a", CVZ_OBJ_MUTEX), lb = tb_object("lock_b", CVZ_OBJ_MUTEX);
    tb_hold(la, t1, 0, 0, 50, CVZ_ACQ_OK);
    tb_hold(lb, t1, 10, 10, 20, CVZ_ACQ_OK);
    tb_hold(lb, t2, 90, 90, 150, CVZ_ACQ_OK);
    tb_hold(la, t2, 100, 100, 120, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ndeadlocks, 0);
    CHECK_EQ(s->ninversions, 1);
    if (s->ninversions == 1) {
        const struct cvz_inversion *iv = &s->inversions[0];
        CHECK_EQ(iv->nedges, 2);
        CHECK(!iv->deadlocked);
        CHECK_EQ(iv->edges[0].held, la);
        CHECK_EQ(iv->edges[0].acquired, lb);
        CHECK_EQ(iv->edges[0].thread, t1);
        CHECK_EQ(iv->edges[0].t, 10);
        CHECK_EQ(iv->edges[1].held, lb);
        CHECK_EQ(iv->edges[1].acquired, la);
        CHECK_EQ(iv->edges[1].thread, t2);
        CHECK_EQ(iv->edges[1].t, 100);
    }
    cvz_stats_free(s);

    /* A range that holds only T1's order sees no inversion. */
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    f.to = 60;
    s = cvz_stats_compute(&tr, &f);
    CHECK_EQ(s->ninversions, 0);
    cvz_stats_free(s);
}

/* The same order in one thread only (A then B, B then A) cannot deadlock by itself. */
static void test_single_thread_orders(void)
{
    tb_reset(0, 1000);
    int32_t t1 = tb_thread(1, "T1");
    int32_t la = tb_object("a", CVZ_OBJ_MUTEX), lb = tb_object("b", CVZ_OBJ_MUTEX);
    tb_hold(la, t1, 0, 0, 50, CVZ_ACQ_OK);
    tb_hold(lb, t1, 10, 10, 20, CVZ_ACQ_OK);
    tb_hold(lb, t1, 100, 100, 150, CVZ_ACQ_OK);
    tb_hold(la, t1, 110, 110, 120, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ninversions, 0);
    cvz_stats_free(s);
}

/* A real ABBA deadlock: both requests still pending at the end. */
static void test_actual_deadlock(void)
{
    tb_reset(0, 1000);
    int32_t t1 = tb_thread(1, "T1"), t2 = tb_thread(2, "T2");
    int32_t la = tb_object("lock_a", CVZ_OBJ_MUTEX), lb = tb_object("lock_b", CVZ_OBJ_MUTEX);
    tb_hold(la, t1, 0, 0, -1, CVZ_ACQ_OK);
    tb_hold(lb, t2, 5, 5, -1, CVZ_ACQ_OK);
    tb_hold(lb, t1, 10, -1, -1, CVZ_ACQ_OK);
    tb_hold(la, t2, 20, -1, -1, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ndeadlocks, 1);
    if (s->ndeadlocks == 1) {
        const struct cvz_deadlock *dl = &s->deadlocks[0];
        CHECK_EQ(dl->t_formed, 20);
        CHECK_EQ(dl->t_resolved, -1);
        CHECK_EQ(dl->nsteps, 2);
        CHECK_EQ(dl->steps[0].thread, t2);
        CHECK_EQ(dl->steps[0].obj, la);
        CHECK_EQ(dl->steps[1].thread, t1);
        CHECK_EQ(dl->steps[1].obj, lb);
    }
    CHECK_EQ(s->ninversions, 1);
    if (s->ninversions == 1) CHECK(s->inversions[0].deadlocked);
    const struct cvz_object_stats *os = obj_stats(s, la);
    CHECK_EQ(os->wait_total, 1000 - 20); /* still waiting at the end */
    CHECK_EQ(os->hold_total, 1000);
    cvz_stats_free(s);

    /* A timed lock that gives up breaks it: resolved at 300. */
    objects[la].holds[1].t_acq = 300;
    objects[la].holds[1].result = CVZ_ACQ_TIMEOUT;
    s = stats_all();
    CHECK_EQ(s->ndeadlocks, 1);
    if (s->ndeadlocks == 1) CHECK_EQ(s->deadlocks[0].t_resolved, 300);
    cvz_stats_free(s);
}

/* Dining philosophers with 3 forks: T_i takes fork i then fork i+1 (mod 3), one at a time. */
static void test_three_lock_cycle(void)
{
    tb_reset(0, 1000);
    int32_t th[3], fk[3];
    static const char *const names[3] = {"fork0", "fork1", "fork2"};
    for (int i = 0; i < 3; i++)
        th[i] = tb_thread(10 + i, "philosopher");
    for (int i = 0; i < 3; i++)
        fk[i] = tb_object(names[i], CVZ_OBJ_MUTEX);
    for (int i = 0; i < 3; i++) {
        cvz_ns t = 100 * i;
        tb_hold(fk[i], th[i], t, t, t + 50, CVZ_ACQ_OK);
        tb_hold(fk[(i + 1) % 3], th[i], t + 10, t + 10, t + 20, CVZ_ACQ_OK);
    }
    /* holds must be sorted by request per object */
    for (int i = 0; i < 3; i++) {
        struct cvz_object *o = &objects[fk[i]];
        for (size_t x = 1; x < o->nholds; x++)
            for (size_t y = x; y > 0 && o->holds[y].t_req < o->holds[y - 1].t_req; y--) {
                struct cvz_hold tmp = o->holds[y];
                o->holds[y] = o->holds[y - 1];
                o->holds[y - 1] = tmp;
            }
    }
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ndeadlocks, 0);
    CHECK_EQ(s->ninversions, 1);
    if (s->ninversions == 1) {
        CHECK_EQ(s->inversions[0].nedges, 3);
        for (size_t e = 0; e < 3; e++) {
            const struct cvz_order_edge *ed = &s->inversions[0].edges[e];
            CHECK_EQ(ed->acquired, s->inversions[0].edges[(e + 1) % 3].held);
        }
    }
    cvz_stats_free(s);
}

/* Consistent order everywhere, plus a condvar and a semaphore: no finding. */
static void test_clean_condvar_sem(void)
{
    tb_reset(0, 1000);
    int32_t t1 = tb_thread(1, "T1"), t2 = tb_thread(2, "T2");
    int32_t la = tb_object("a", CVZ_OBJ_MUTEX), lb = tb_object("b", CVZ_OBJ_MUTEX);
    int32_t cv = tb_object("cv", CVZ_OBJ_CONDVAR), sem = tb_object("sem", CVZ_OBJ_SEM);
    tb_hold(la, t1, 0, 0, 50, CVZ_ACQ_OK);
    tb_hold(lb, t1, 10, 10, 20, CVZ_ACQ_OK);
    tb_hold(la, t2, 60, 60, 90, CVZ_ACQ_OK);
    tb_hold(lb, t2, 70, 70, 80, CVZ_ACQ_OK);
    /* condvar (the model closes a wait with t_acq = t_rel = its end; an open one keeps
     * t_acq = t_req and t_rel = -1): a signalled wait, a timeout, a wait that returned with no
     * signal, and a wait still open at the end */
    tb_hold(cv, t1, 100, 200, 200, CVZ_ACQ_OK);
    tb_hold(cv, t1, 300, 310, 310, CVZ_ACQ_TIMEOUT);
    tb_hold(cv, t2, 400, 450, 450, CVZ_ACQ_OK);
    tb_hold(cv, t1, 900, 900, -1, CVZ_ACQ_OK);
    objects[cv].nsignals = 1;
    wakes[0] = (struct cvz_wake){.t_from = 190,
                                 .t_to = 200,
                                 .from_thread = t2,
                                 .to_thread = t1,
                                 .kind = CVZ_WAKE_SIGNAL,
                                 .obj = cv};
    tr.nwakes = 1;
    tb_hold(sem, t1, 500, 500, 510, CVZ_ACQ_OK);
    objects[sem].holds[0].count = 2;
    tb_hold(sem, t2, 520, 520, 530, CVZ_ACQ_OK);
    objects[sem].holds[1].count = 0;
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ndeadlocks, 0);
    CHECK_EQ(s->ninversions, 0);
    const struct cvz_object_stats *cs = obj_stats(s, cv);
    CHECK_EQ(cs->cond_waits, 3);
    CHECK_EQ(cs->cond_timeouts, 1);
    CHECK_EQ(cs->cond_spurious, 1);
    CHECK_EQ(cs->cond_signals, 1);
    CHECK_EQ(cs->wait_total, 100 + 10 + 50 + 100);
    CHECK_EQ(cs->pending, 1);
    CHECK_EQ(cs->holds, 0);
    const struct cvz_object_stats *ss = obj_stats(s, sem);
    CHECK(ss->has_count);
    CHECK_EQ(ss->count_min, 0);
    CHECK_EQ(ss->count_max, 2);
    /* sorting by name puts a, b, cv, sem */
    cvz_stats_sort_objects(s, CVZ_SORT_NAME);
    CHECK_EQ(s->objects[0].obj, la);
    CHECK_EQ(s->objects[3].obj, sem);
    cvz_stats_free(s);

    /* object filter: only "b", and only the threads that used it */
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    f.object = "b";
    s = cvz_stats_compute(&tr, &f);
    CHECK_EQ(s->nobjects, 1);
    CHECK_EQ(s->objects[0].obj, lb);
    CHECK_EQ(s->nthreads, 2);
    cvz_stats_free(s);
}

/* T1 takes 6 locks nested in ascending order (every pair is an order), T2 takes lock 5 then
 * lock 0 once.  Only the 2-lock inversion (0, 5) is a deadlock two threads can reach: the
 * longer cycles 0 -> j -> 5 -> 0 need T1 to wait in two places at once. */
static void test_dense_orders(void)
{
    tb_reset(0, 10000);
    int32_t t1 = tb_thread(1, "T1"), t2 = tb_thread(2, "T2");
    static const char *const names[6] = {"l0", "l1", "l2", "l3", "l4", "l5"};
    int32_t l[6];
    for (int i = 0; i < 6; i++)
        l[i] = tb_object(names[i], CVZ_OBJ_MUTEX);
    for (int i = 0; i < 6; i++)
        tb_hold(l[i], t1, 10 * i, 10 * i, 1000 - 10 * i, CVZ_ACQ_OK);
    tb_hold(l[5], t2, 2000, 2000, 2100, CVZ_ACQ_OK);
    tb_hold(l[0], t2, 2010, 2010, 2020, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ninversions, 1);
    CHECK(!s->inversions_truncated);
    if (s->ninversions == 1) {
        CHECK_EQ(s->inversions[0].nedges, 2);
        CHECK_EQ(s->inversions[0].edges[0].held, l[0]);
        CHECK_EQ(s->inversions[0].edges[0].acquired, l[5]);
        CHECK_EQ(s->inversions[0].edges[0].t, 50);
    }
    cvz_stats_free(s);
}

/* main holds m and joins the worker, which waits for m: a deadlock through a join. */
static void test_join_deadlock(void)
{
    tb_reset(0, 100);
    int32_t mainth = tb_thread(1, "main"), worker = tb_thread(2, "worker");
    int32_t m = tb_object("m", CVZ_OBJ_MUTEX);
    tb_hold(m, mainth, 0, 0, -1, CVZ_ACQ_OK);
    tb_span(mainth, 0, 10, CVZ_ST_RUNNING, 0, 0);
    tb_span(mainth, 10, 100, CVZ_ST_BLOCKED, CVZ_R_JOIN, -1);
    threads[mainth].spans[1].target = worker;
    tb_span(worker, 0, 20, CVZ_ST_RUNNING, 0, 1);
    tb_span(worker, 20, 100, CVZ_ST_BLOCKED, CVZ_R_LOCK, -1);
    threads[worker].spans[1].obj = m;
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ndeadlocks, 1);
    if (s->ndeadlocks == 1) {
        const struct cvz_deadlock *dl = &s->deadlocks[0];
        CHECK_EQ(dl->t_formed, 20);
        CHECK_EQ(dl->nsteps, 2);
        CHECK_EQ(dl->steps[0].thread, worker);
        CHECK_EQ(dl->steps[0].obj, m);
        CHECK_EQ(dl->steps[1].thread, mainth);
        CHECK_EQ(dl->steps[1].obj, -1);
    }
    /* the worker's request was found from its last span: a pending wait */
    CHECK_EQ(obj_stats(s, m)->pending, 1);
    cvz_stats_free(s);

    /* the join returns at 60 (the worker got the lock some other way): no deadlock after */
    threads[mainth].spans[1].t1 = 60;
    tb_span(mainth, 60, 100, CVZ_ST_RUNNING, 0, 0);
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    f.from = 70;
    s = cvz_stats_compute(&tr, &f);
    CHECK_EQ(s->ndeadlocks, 0);
    cvz_stats_free(s);
}

/* ABBA, but both orders taken while holding the same gate lock: cannot deadlock. */
static void test_gate_lock(void)
{
    tb_reset(0, 1000);
    int32_t t1 = tb_thread(1, "T1"), t2 = tb_thread(2, "T2");
    int32_t g = tb_object("gate", CVZ_OBJ_MUTEX);
    int32_t la = tb_object("a", CVZ_OBJ_MUTEX), lb = tb_object("b", CVZ_OBJ_MUTEX);
    tb_hold(g, t1, 0, 0, 100, CVZ_ACQ_OK);
    tb_hold(la, t1, 10, 10, 50, CVZ_ACQ_OK);
    tb_hold(lb, t1, 20, 20, 30, CVZ_ACQ_OK);
    tb_hold(g, t2, 200, 200, 300, CVZ_ACQ_OK);
    tb_hold(lb, t2, 210, 210, 250, CVZ_ACQ_OK);
    tb_hold(la, t2, 220, 220, 230, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ninversions, 0);
    cvz_stats_free(s);

    /* T2 takes b then a once more, this time without the gate: now it can deadlock */
    tb_hold(lb, t2, 400, 400, 450, CVZ_ACQ_OK);
    tb_hold(la, t2, 420, 420, 430, CVZ_ACQ_OK);
    s = stats_all();
    CHECK_EQ(s->ninversions, 1);
    cvz_stats_free(s);
}

/* Relocking a non-recursive mutex it holds: a deadlock of one thread. */
static void test_self_deadlock(void)
{
    tb_reset(0, 100);
    int32_t t1 = tb_thread(1, "T1");
    int32_t m = tb_object("m", CVZ_OBJ_MUTEX);
    tb_hold(m, t1, 0, 0, -1, CVZ_ACQ_OK);
    tb_hold(m, t1, 10, -1, -1, CVZ_ACQ_OK);
    struct cvz_stats *s = stats_all();
    CHECK_EQ(s->ndeadlocks, 1);
    if (s->ndeadlocks == 1) CHECK_EQ(s->deadlocks[0].nsteps, 1);
    cvz_stats_free(s);
}

int main(void)
{
    test_n_by_m();
    test_contention();
    test_parallelism_and_clipping();
    test_range_waits();
    test_abba_potential();
    test_single_thread_orders();
    test_actual_deadlock();
    test_three_lock_cycle();
    test_clean_condvar_sem();
    test_self_deadlock();
    test_dense_orders();
    test_join_deadlock();
    test_gate_lock();
    if (failures) {
        fprintf(stderr, "test_stats: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_stats: all checks passed\n");
    return 0;
}
