/* lesson_check.c - `lesson-check LESSON TRACE`: load a recorded lesson through the model library
 * and check the property the lesson teaches (never a timing).
 *
 * DESIGN: one check function per lesson variant, in a table.  A check prints one line per
 * property: "ok", "FAIL" or "skip" (a property the trace cannot show, e.g. CPU overlap when the
 * scheduler source is not perf), then a summary.  Exit status: 0 all ok, 1 a property failed,
 * 2 bad usage or unreadable trace.  Threads are found by the names the scenarios give them
 * (pthread_setname_np / Python's thread names), objects by their symbol names (counter_lock,
 * not_full, GIL), results by the marks the scenarios leave ("count=200 expected=200").
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvz_model.h"
#include "cvz_stats.h"

/* ---- reporting ------------------------------------------------------------------------- */

static int failures, passes, skips;

static void verdict(const char *tag, const char *fmt, va_list ap)
{
    printf("%-5s ", tag);
    vprintf(fmt, ap);
    putchar('\n');
}

static bool expect(bool condition, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool expect(bool condition, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verdict(condition ? "ok" : "FAIL", fmt, ap);
    va_end(ap);
    if (condition)
        passes++;
    else
        failures++;
    return condition;
}

static void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verdict("skip", fmt, ap);
    va_end(ap);
    skips++;
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verdict("info", fmt, ap);
    va_end(ap);
}

/* ---- finding things in the trace --------------------------------------------------------- */

static const char *thread_name(const struct cvz_trace *t, int32_t i)
{
    return i >= 0 && (size_t)i < t->nthreads && t->threads[i].name ? t->threads[i].name : "?";
}

static bool is_real_thread(const struct cvz_thread *th)
{
    return th->coro_of < 0;
}

/* Threads (not coroutine lanes) whose name starts with `prefix`; returns how many, fills
 * `out` with up to `max` indexes. */
static size_t threads_named(const struct cvz_trace *t, const char *prefix, int32_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        if (!is_real_thread(th) || !th->name || strncmp(th->name, prefix, strlen(prefix))) continue;
        if (n < max) out[n] = (int32_t)i;
        n++;
    }
    return n;
}

static int32_t thread_named(const struct cvz_trace *t, const char *name)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (is_real_thread(&t->threads[i]) && t->threads[i].name &&
            !strcmp(t->threads[i].name, name))
            return (int32_t)i;
    return -1;
}

/* Objects called `name` (one per process for unshared objects with the same symbol). */
static size_t objects_named(const struct cvz_trace *t, const char *name, int32_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nobjects; i++) {
        if (!t->objects[i].name || strcmp(t->objects[i].name, name)) continue;
        if (n < max) out[n] = (int32_t)i;
        n++;
    }
    return n;
}

/* The first user mark whose text starts with `prefix`, or NULL. */
static const struct cvz_mark *mark_with(const struct cvz_trace *t, const char *prefix)
{
    for (size_t i = 0; i < t->nmarks; i++)
        if (t->marks[i].kind == CVZ_MARK_USER && t->marks[i].text &&
            !strncmp(t->marks[i].text, prefix, strlen(prefix)))
            return &t->marks[i];
    return NULL;
}

static size_t count_marks(const struct cvz_trace *t, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nmarks; i++)
        if (t->marks[i].kind == CVZ_MARK_USER && t->marks[i].text &&
            !strncmp(t->marks[i].text, prefix, strlen(prefix)))
            n++;
    return n;
}

/* The integer after "key=" in a mark text ("count=200 expected=200"); false when absent. */
static bool mark_value(const struct cvz_mark *m, const char *key, long *value)
{
    if (!m || !m->text) return false;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s=", key);
    for (const char *p = strstr(m->text, pattern); p; p = strstr(p + 1, pattern)) {
        if (p == m->text || p[-1] == ' ') {
            *value = strtol(p + strlen(pattern), NULL, 10);
            return true;
        }
    }
    return false;
}

/* End of a hold, or of the trace when still held. */
static cvz_ns hold_end(const struct cvz_trace *t, const struct cvz_hold *h)
{
    return h->t_rel >= 0 ? h->t_rel : t->t_max;
}

static bool hold_ok(const struct cvz_hold *h)
{
    return h->result == CVZ_ACQ_OK && h->t_acq >= 0;
}

/* Most holders of an object at one instant (a sweep over its successful holds). */
struct edge {
    cvz_ns t;
    int delta;
};
static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->delta - y->delta; /* releases before acquisitions at the same instant */
}

static int max_holders(const struct cvz_trace *t, const struct cvz_object *o)
{
    struct edge *edges = calloc(2 * o->nholds + 1, sizeof *edges);
    size_t n = 0;
    for (size_t i = 0; i < o->nholds; i++) {
        if (!hold_ok(&o->holds[i])) continue;
        edges[n++] = (struct edge){o->holds[i].t_acq, +1};
        edges[n++] = (struct edge){hold_end(t, &o->holds[i]), -1};
    }
    qsort(edges, n, sizeof *edges, cmp_edge);
    int now = 0, most = 0;
    for (size_t i = 0; i < n; i++) {
        now += edges[i].delta;
        if (now > most) most = now;
    }
    free(edges);
    return most;
}

/* Do holds of different threads overlap?  (For a recursive lock, re-entries by the same
 * thread are fine.) */
static bool holds_of_different_threads_overlap(const struct cvz_trace *t,
                                               const struct cvz_object *o)
{
    for (size_t i = 0; i < o->nholds; i++) {
        const struct cvz_hold *a = &o->holds[i];
        if (!hold_ok(a)) continue;
        for (size_t j = i + 1; j < o->nholds; j++) {
            const struct cvz_hold *b = &o->holds[j];
            if (!hold_ok(b) || a->thread == b->thread) continue;
            if (a->t_acq < hold_end(t, b) && b->t_acq < hold_end(t, a)) return true;
        }
    }
    return false;
}

static size_t successful_holds(const struct cvz_object *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->nholds; i++)
        n += hold_ok(&o->holds[i]);
    return n;
}

/* Total time two threads were RUNNING at the same time. */
static cvz_ns running_overlap(const struct cvz_thread *a, const struct cvz_thread *b)
{
    cvz_ns total = 0;
    size_t i = 0, j = 0;
    while (i < a->nspans && j < b->nspans) {
        const struct cvz_span *x = &a->spans[i], *y = &b->spans[j];
        if (x->state == CVZ_ST_RUNNING && y->state == CVZ_ST_RUNNING) {
            cvz_ns lo = x->t0 > y->t0 ? x->t0 : y->t0, hi = x->t1 < y->t1 ? x->t1 : y->t1;
            if (hi > lo) total += hi - lo;
        }
        if (x->t1 < y->t1)
            i++;
        else
            j++;
    }
    return total;
}

static bool has_state(const struct cvz_thread *th, int state, int reason)
{
    for (size_t i = 0; i < th->nspans; i++)
        if (th->spans[i].state == state && (reason < 0 || th->spans[i].reason == reason))
            return true;
    return false;
}

/* Was the thread BLOCKED for `reason` (any reason when < 0) within [t0, t1]? */
static bool blocked_within(const struct cvz_thread *th, int reason, cvz_ns t0, cvz_ns t1)
{
    for (size_t i = 0; i < th->nspans; i++) {
        const struct cvz_span *s = &th->spans[i];
        if (s->state == CVZ_ST_BLOCKED && (reason < 0 || s->reason == reason) && s->t0 < t1 &&
            s->t1 > t0)
            return true;
    }
    return false;
}

static size_t count_wakes(const struct cvz_trace *t, int kind, int32_t obj)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nwakes; i++)
        if (t->wakes[i].kind == kind && (obj < 0 || t->wakes[i].obj == obj)) n++;
    return n;
}

static bool perf_source(const struct cvz_trace *t)
{
    return t->sched_source == CVZ_SCHED_PERF;
}

/* The object named `name` that must exist; reports a failure when it does not. */
static const struct cvz_object *need_object(const struct cvz_trace *t, const char *name)
{
    int32_t i = cvz_object_find(t, name);
    expect(i >= 0, "an object named '%s' is in the trace", name);
    return i >= 0 ? &t->objects[i] : NULL;
}

static const struct cvz_mark *need_mark(const struct cvz_trace *t, const char *prefix)
{
    const struct cvz_mark *m = mark_with(t, prefix);
    expect(m != NULL, "the scenario's result mark '%s...' is in the trace%s%s", prefix,
           m ? ": " : " (is the annotation API in libconviz.so?)", m ? m->text : "");
    return m;
}

/* "count=X expected=Y" style marks: X == Y. */
static void expect_mark_equal(const struct cvz_trace *t, const char *prefix, const char *key,
                              const char *expected_key)
{
    const struct cvz_mark *m = need_mark(t, prefix);
    long value, expected;
    if (m && mark_value(m, key, &value) && mark_value(m, expected_key, &expected))
        expect(value == expected, "%s (%ld) equals %s (%ld)", key, value, expected_key, expected);
}

/* ---- deadlocks ---------------------------------------------------------------------------- */

/* Index of the object `th` is waiting for when the trace ends (a lock request never granted),
 * or -1.  Looks at the thread's last span (BLOCKED on an object) and at open requests. */
static int32_t waiting_for_at_end(const struct cvz_trace *t, int32_t th)
{
    const struct cvz_thread *thread = &t->threads[th];
    if (thread->nspans) {
        const struct cvz_span *last = &thread->spans[thread->nspans - 1];
        if (last->state == CVZ_ST_BLOCKED && last->reason == CVZ_R_LOCK && last->obj >= 0)
            return last->obj;
    }
    for (size_t o = 0; o < t->nobjects; o++)
        for (size_t h = 0; h < t->objects[o].nholds; h++) {
            const struct cvz_hold *hold = &t->objects[o].holds[h];
            if (hold->thread == th && hold->t_req >= 0 && hold->t_acq < 0) return (int32_t)o;
        }
    return -1;
}

/* The thread holding object `o` when the trace ends, or -1. */
static int32_t holder_at_end(const struct cvz_trace *t, int32_t o)
{
    const struct cvz_object *obj = &t->objects[o];
    for (size_t h = obj->nholds; h-- > 0;)
        if (hold_ok(&obj->holds[h]) && obj->holds[h].t_rel < 0) return obj->holds[h].thread;
    return -1;
}

/* Follow "waits for an object held by" from `start`; returns the cycle length, 0 if none. */
static size_t wait_cycle_from(const struct cvz_trace *t, int32_t start, bool print)
{
    int32_t th = start;
    for (size_t steps = 1; steps <= t->nthreads; steps++) {
        int32_t o = waiting_for_at_end(t, th);
        if (o < 0) return 0;
        int32_t holder = holder_at_end(t, o);
        if (print)
            info("  %s waits for %s, held by %s", thread_name(t, th), t->objects[o].name,
                 thread_name(t, holder));
        if (holder < 0 || holder == th) return 0;
        if (holder == start) return steps;
        th = holder;
    }
    return 0;
}

/* The cycle among `threads` at the end of the trace: every one waits for a lock another holds. */
static void expect_deadlock_cycle(const struct cvz_trace *t, const int32_t *threads, size_t n)
{
    size_t cycle = n ? wait_cycle_from(t, threads[0], true) : 0;
    expect(cycle == n, "the trace ends in a wait cycle of %zu threads (found %zu)", n, cycle);
    struct cvz_stats *stats = cvz_stats_compute(t, NULL);
    if (stats) {
        size_t longest = 0;
        for (size_t i = 0; i < stats->ndeadlocks; i++)
            if (stats->deadlocks[i].nsteps > longest) longest = stats->deadlocks[i].nsteps;
        info("cvz_stats reports %zu deadlock(s), longest cycle %zu, %zu lock-order inversion(s)",
             stats->ndeadlocks, longest, stats->ninversions);
        expect(longest == n, "conviz report's deadlock detection finds the same cycle");
        cvz_stats_free(stats);
    }
}

/* ---- the lessons --------------------------------------------------------------------------- */

static void check_states(const struct cvz_trace *t)
{
    int32_t procs[64];
    size_t n = threads_named(t, "proc-", procs, 64);
    expect(n >= 1, "worker processes named proc-N are in the trace (%zu)", n);
    bool running = false, io = false, sleep = false, ready = false;
    for (size_t i = 0; i < n && i < 64; i++) {
        const struct cvz_thread *th = &t->threads[procs[i]];
        running |= has_state(th, CVZ_ST_RUNNING, -1);
        io |= has_state(th, CVZ_ST_BLOCKED, CVZ_R_IO);
        sleep |= has_state(th, CVZ_ST_BLOCKED, CVZ_R_SLEEP);
        ready |= has_state(th, CVZ_ST_READY, -1);
    }
    expect(running, "RUNNING appears (computing)");
    expect(io, "BLOCKED with reason io appears (waiting for a line on stdin)");
    expect(sleep, "BLOCKED with reason sleep appears (sleeping)");
    if (perf_source(t) && n > (size_t)t->ncpu)
        expect(ready, "READY appears (%zu processes computing on %d CPUs)", n, t->ncpu);
    else
        skip("READY needs more processes than CPUs and perf scheduler states");
    expect(count_marks(t, "proc-") == n, "every process finished (%zu 'done' marks)",
           count_marks(t, "proc-"));
}

static void check_two_workers(const struct cvz_trace *t, const char *a_name, const char *b_name,
                              bool want_overlap)
{
    int32_t a = thread_named(t, a_name), b = thread_named(t, b_name);
    if (!expect(a >= 0 && b >= 0, "threads %s and %s are in the trace", a_name, b_name)) return;
    if (!perf_source(t)) {
        skip("RUNNING overlap needs perf scheduler states (this trace: %s)",
             t->sched_source == CVZ_SCHED_PROC ? "proc samples" : "none");
        return;
    }
    cvz_ns overlap = running_overlap(&t->threads[a], &t->threads[b]);
    char buf[32];
    cvz_format_ns(overlap, buf, sizeof buf);
    if (want_overlap)
        expect(overlap > 0, "parallelism: %s and %s were RUNNING at the same time (%s)", a_name,
               b_name, buf);
    else
        expect(overlap == 0, "concurrency: %s and %s were never RUNNING at the same time (%s)",
               a_name, b_name, buf);
}

static void check_concurrency(const struct cvz_trace *t)
{
    check_two_workers(t, "thread-A", "thread-B", false);
    if (perf_source(t)) {
        /* pinned at creation; glibc may still run the new thread for a moment elsewhere
         * before the affinity applies, so ask for (almost) all of its running time */
        int32_t a = thread_named(t, "thread-A");
        cvz_ns on_cpu0 = 0, total = 0;
        for (size_t i = 0; a >= 0 && i < t->threads[a].nspans; i++) {
            const struct cvz_span *s = &t->threads[a].spans[i];
            if (s->state != CVZ_ST_RUNNING) continue;
            total += s->t1 - s->t0;
            on_cpu0 += s->cpu == 0 ? s->t1 - s->t0 : 0;
        }
        expect(total > 0 && on_cpu0 >= total / 100 * 99,
               "thread-A ran on CPU 0 (pinned): %.1f %% of its running time",
               total ? 100.0 * (double)on_cpu0 / (double)total : 0.0);
    }
}

static void check_parallelism(const struct cvz_trace *t)
{
    check_two_workers(t, "thread-A", "thread-B", true);
}

static void task_lifetimes(const struct cvz_trace *t, bool want_overlap)
{
    int32_t tasks[64];
    size_t n = threads_named(t, "task-", tasks, 64);
    if (!expect(n >= 2, "at least two task threads (%zu)", n)) return;
    cvz_ns latest_start = 0, earliest_end = INT64_MAX;
    bool disjoint = true;
    for (size_t i = 0; i < n; i++) {
        const struct cvz_thread *x = &t->threads[tasks[i]];
        if (x->t_start > latest_start) latest_start = x->t_start;
        if (x->t_end < earliest_end) earliest_end = x->t_end;
        for (size_t j = i + 1; j < n; j++) {
            const struct cvz_thread *y = &t->threads[tasks[j]];
            if (x->t_start < y->t_end && y->t_start < x->t_end) disjoint = false;
        }
    }
    if (want_overlap)
        expect(latest_start < earliest_end, "parallel: all %zu tasks were alive at one instant", n);
    else
        expect(disjoint, "serial: no two of the %zu tasks were alive at the same time", n);
}

static void check_serial(const struct cvz_trace *t)
{
    task_lifetimes(t, false);
}
static void check_serial_parallel(const struct cvz_trace *t)
{
    task_lifetimes(t, true);
}

/* The GIL: labelled, one holder at a time per process, and the workers took turns. */
static void check_gil_common(const struct cvz_trace *t, const char *worker_prefix,
                             bool threads_share_it)
{
    int32_t gils[64];
    size_t ngil = objects_named(t, "GIL", gils, 64);
    if (!expect(ngil >= 1, "an object labelled \"GIL\" is in the trace (%zu)", ngil)) return;
    for (size_t g = 0; g < ngil && g < 64; g++) {
        const struct cvz_object *gil = &t->objects[gils[g]];
        expect(max_holders(t, gil) <= 1, "GIL of pid %d: at most one holder at any instant",
               gil->pid);
    }
    int32_t workers[64];
    size_t n = threads_named(t, worker_prefix, workers, 64);
    if (!worker_prefix[0]) return;
    expect(n >= 2, "at least two workers named %s* (%zu)", worker_prefix, n);
    if (threads_share_it && ngil >= 1) {
        /* the workers took turns: the GIL changed hands between them several times */
        const struct cvz_object *gil = &t->objects[gils[0]];
        size_t changes = 0;
        int32_t last = -1;
        for (size_t i = 0; i < gil->nholds; i++) {
            if (!hold_ok(&gil->holds[i])) continue;
            if (last >= 0 && gil->holds[i].thread != last) changes++;
            last = gil->holds[i].thread;
        }
        expect(changes >= 2, "the GIL changed hands between threads %zu times", changes);
    }
}

static void check_gil_threads(const struct cvz_trace *t)
{
    check_gil_common(t, "py-worker-", true);
    if (perf_source(t)) {
        /* Running Python code = RUNNING while holding the GIL: never two threads at once. */
        int32_t gil = cvz_object_find(t, "GIL");
        bool both = false;
        const struct cvz_object *o = gil >= 0 ? &t->objects[gil] : NULL;
        for (size_t i = 0; o && i < o->nholds && !both; i++)
            for (size_t j = i + 1; j < o->nholds && !both; j++)
                if (hold_ok(&o->holds[i]) && hold_ok(&o->holds[j]) &&
                    o->holds[i].thread != o->holds[j].thread &&
                    o->holds[i].t_acq < hold_end(t, &o->holds[j]) &&
                    o->holds[j].t_acq < hold_end(t, &o->holds[i]))
                    both = true;
        expect(!both, "never two threads running Python code (holding the GIL) at once");
    }
}

static void check_gil_procs(const struct cvz_trace *t)
{
    int32_t gils[64];
    size_t ngil = objects_named(t, "GIL", gils, 64);
    check_gil_common(t, "py-worker-", false);
    expect(ngil >= 2, "each process has its own GIL (%zu GIL objects)", ngil);
    check_two_workers(t, "py-worker-0", "py-worker-1", true);
}

static void check_cpu_threads(const struct cvz_trace *t)
{
    check_gil_common(t, "cpu-", true);
}

static void check_cpu_procs(const struct cvz_trace *t)
{
    int32_t gils[64];
    size_t ngil = objects_named(t, "GIL", gils, 64);
    check_gil_common(t, "cpu-", false);
    expect(ngil >= 4, "4 processes, 4 GILs (%zu)", ngil);
}

static void check_io_threads(const struct cvz_trace *t)
{
    int32_t io[64];
    size_t n = threads_named(t, "io-", io, 64);
    expect(n == 10, "10 IO-bound threads (%zu)", n);
    /* the waits overlap: find an instant where most of them sleep at once */
    int most = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        const struct cvz_thread *th = &t->threads[io[i]];
        for (size_t s = 0; s < th->nspans; s++) {
            const struct cvz_span *span = &th->spans[s];
            if (span->state != CVZ_ST_BLOCKED || span->reason != CVZ_R_SLEEP) continue;
            cvz_ns mid = span->t0 + (span->t1 - span->t0) / 2;
            int now = 0;
            for (size_t j = 0; j < n && j < 64; j++) {
                ptrdiff_t k = cvz_span_at(&t->threads[io[j]], mid);
                if (k >= 0 && t->threads[io[j]].spans[k].state == CVZ_ST_BLOCKED &&
                    t->threads[io[j]].spans[k].reason == CVZ_R_SLEEP)
                    now++;
            }
            if (now > most) most = now;
        }
    }
    expect(most >= 2, "the I/O waits overlap: %d threads sleeping at one instant", most);
}

static void check_counter(const struct cvz_trace *t)
{
    const struct cvz_object *lock = need_object(t, "counter_lock");
    const struct cvz_mark *m = need_mark(t, "count=");
    long count, expected;
    if (m && mark_value(m, "count", &count) && mark_value(m, "expected", &expected)) {
        expect(count == expected, "the final count is exact: %ld of %ld", count, expected);
        if (lock)
            expect((long)successful_holds(lock) == expected,
                   "counter_lock was taken once per increment (%zu)", successful_holds(lock));
    }
    if (lock) expect(max_holders(t, lock) <= 1, "counter_lock: holders never overlap");
}

static void check_counter_nolock(const struct cvz_trace *t)
{
    const struct cvz_mark *m = need_mark(t, "count=");
    long count, expected;
    if (m && mark_value(m, "count", &count) && mark_value(m, "expected", &expected))
        expect(count < expected, "without the lock updates are lost: %ld of %ld", count, expected);
    int32_t lock = cvz_object_find(t, "counter_lock");
    expect(lock < 0 || successful_holds(&t->objects[lock]) == 0, "counter_lock was never taken");
}

static void check_py_counter(const struct cvz_trace *t)
{
    expect_mark_equal(t, "count=", "count", "expected");
}

static void check_rlock(const struct cvz_trace *t)
{
    const struct cvz_object *lock = need_object(t, "r_lock");
    if (!lock) return;
    int depth = 0;
    bool waited = false;
    for (size_t i = 0; i < lock->nholds; i++) {
        if (lock->holds[i].depth > depth) depth = lock->holds[i].depth;
        if (hold_ok(&lock->holds[i]) && lock->holds[i].t_acq > lock->holds[i].t_req) waited = true;
    }
    expect(depth >= 2, "re-entry: r_lock reached depth %d in one thread", depth);
    expect(!holds_of_different_threads_overlap(t, lock),
           "the other thread never held r_lock before the full release");
    expect(waited, "a thread waited for r_lock (the other one held it)");
}

static void check_semaphore(const struct cvz_trace *t)
{
    const struct cvz_object *slots = need_object(t, "slots");
    if (slots) {
        int most = max_holders(t, slots);
        expect(most <= 3 && most >= 1, "at most 3 threads inside at once (%d)", most);
        expect(successful_holds(slots) == 10, "10 threads got in (%zu)", successful_holds(slots));
        size_t posts = count_wakes(t, CVZ_WAKE_POST, (int32_t)(slots - t->objects));
        expect(posts >= 1, "waiters entered as others left: %zu post->wait wake edges", posts);
    }
    const struct cvz_mark *m = need_mark(t, "most_inside=");
    long most;
    if (m && mark_value(m, "most_inside", &most))
        expect(most <= 3, "the program saw at most %ld inside", most);
}

static void check_py_semaphore(const struct cvz_trace *t)
{
    const struct cvz_mark *m = need_mark(t, "most_inside=");
    long most;
    if (m && mark_value(m, "most_inside", &most))
        expect(most <= 3 && most >= 1, "threading.Semaphore(3): at most %ld threads inside", most);
    expect(count_wakes(t, CVZ_WAKE_POST, -1) + count_wakes(t, CVZ_WAKE_UNLOCK, -1) >= 1,
           "waiting threads were woken by others (wake edges)");
}

static void check_handshake(const struct cvz_trace *t)
{
    const struct cvz_object *sem = need_object(t, "item_ready");
    int32_t consumers[64];
    size_t n = threads_named(t, "consumer-", consumers, 64);
    expect(n == 4, "4 consumers (%zu)", n);
    if (!sem) return;
    int32_t obj = (int32_t)(sem - t->objects);
    size_t woken = 0;
    for (size_t c = 0; c < n && c < 64; c++) {
        for (size_t w = 0; w < t->nwakes; w++) {
            const struct cvz_wake *wk = &t->wakes[w];
            if (wk->kind == CVZ_WAKE_POST && wk->obj == obj && wk->to_thread == consumers[c] &&
                wk->t_from <= wk->t_to &&
                !strncmp(thread_name(t, wk->from_thread), "producer-", 9)) {
                woken++;
                break;
            }
        }
    }
    expect(woken == n, "each consumer's wait ended after a producer's post (%zu of %zu wake edges)",
           woken, n);
    expect(count_marks(t, "consumed item=") == n, "each consumer got its item");
}

static void check_py_handshake(const struct cvz_trace *t)
{
    expect(count_marks(t, "consumed item=") == 4, "4 consumers got their item (%zu)",
           count_marks(t, "consumed item="));
    expect(count_wakes(t, CVZ_WAKE_POST, -1) >= 4,
           "the consumers were woken by the producers' release (%zu post->wait edges)",
           count_wakes(t, CVZ_WAKE_POST, -1));
}

static void check_prodcons(const struct cvz_trace *t)
{
    const struct cvz_object *full = need_object(t, "not_full");
    const struct cvz_object *empty = need_object(t, "not_empty");
    int32_t roles[2][64];
    size_t np = threads_named(t, "producer-", roles[0], 64);
    size_t nc = threads_named(t, "consumer-", roles[1], 64);
    if (full && empty) {
        int32_t fi = (int32_t)(full - t->objects), ei = (int32_t)(empty - t->objects);
        bool producer_waited = false, consumer_waited = false;
        for (size_t i = 0; i < np && i < 64; i++) {
            const struct cvz_thread *th = &t->threads[roles[0][i]];
            for (size_t s = 0; s < th->nspans; s++)
                if (th->spans[s].state == CVZ_ST_BLOCKED && th->spans[s].obj == fi)
                    producer_waited = true;
        }
        for (size_t i = 0; i < nc && i < 64; i++) {
            const struct cvz_thread *th = &t->threads[roles[1][i]];
            for (size_t s = 0; s < th->nspans; s++)
                if (th->spans[s].state == CVZ_ST_BLOCKED && th->spans[s].obj == ei)
                    consumer_waited = true;
        }
        expect(producer_waited, "a producer waited on not_full (the queue was full)");
        expect(consumer_waited, "a consumer waited on not_empty (the queue was empty)");
        expect(count_wakes(t, CVZ_WAKE_SIGNAL, fi) >= 1, "signal->wakeup edges on not_full (%zu)",
               count_wakes(t, CVZ_WAKE_SIGNAL, fi));
        expect(count_wakes(t, CVZ_WAKE_SIGNAL, ei) >= 1, "signal->wakeup edges on not_empty (%zu)",
               count_wakes(t, CVZ_WAKE_SIGNAL, ei));
    }
    expect_mark_equal(t, "consumed=", "consumed", "expected");
    expect_mark_equal(t, "consumed=", "sum", "expected_sum");
}

static void check_py_prodcons(const struct cvz_trace *t)
{
    expect_mark_equal(t, "consumed=", "sum", "expected_sum");
    /* CPython 3.11 does not give its threads OS names: the producer and the consumer are the
     * threads other than the main one; each must have blocked (queue full / queue empty). */
    size_t workers = 0, blocked = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        if (!is_real_thread(th) || th->tid == th->pid) continue;
        workers++;
        blocked += has_state(th, CVZ_ST_BLOCKED, -1);
    }
    expect(workers == 2, "a producer and a consumer thread (%zu threads)", workers);
    expect(blocked == 2, "both blocked on the queue at some point (%zu)", blocked);
}

/* Pool: every task exactly once, at most 3 running at once (regions "task N"). */
static void check_pool_common(const struct cvz_trace *t, long tasks, int workers)
{
    bool each_once = true;
    for (long task = 0; task < tasks; task++) {
        char text[32];
        snprintf(text, sizeof text, "task %ld done", task);
        size_t n = 0;
        for (size_t i = 0; i < t->nmarks; i++)
            n += t->marks[i].kind == CVZ_MARK_USER && t->marks[i].text &&
                 !strcmp(t->marks[i].text, text);
        if (n != 1) {
            each_once = false;
            info("  '%s' seen %zu times", text, n);
        }
    }
    expect(each_once, "every one of the %ld tasks was done exactly once", tasks);
    struct edge *edges = calloc(2 * t->nmarks + 1, sizeof *edges);
    size_t n = 0;
    int32_t busy_threads[256];
    size_t nbusy = 0;
    for (size_t i = 0; i < t->nmarks; i++) {
        const struct cvz_mark *m = &t->marks[i];
        if (m->kind != CVZ_MARK_REGION || !m->text || strncmp(m->text, "task ", 5)) continue;
        edges[n++] = (struct edge){m->t0, +1};
        edges[n++] = (struct edge){m->t1, -1};
        bool seen = false;
        for (size_t k = 0; k < nbusy; k++)
            seen |= busy_threads[k] == m->thread;
        if (!seen && nbusy < 256) busy_threads[nbusy++] = m->thread;
    }
    qsort(edges, n, sizeof *edges, cmp_edge);
    int now = 0, most = 0;
    for (size_t i = 0; i < n; i++) {
        now += edges[i].delta;
        most = now > most ? now : most;
    }
    free(edges);
    if (expect(n > 0, "task regions are in the trace (%zu)", n / 2)) {
        expect(most <= workers, "at most %d workers busy at once (%d)", workers, most);
        expect(nbusy <= (size_t)workers, "the tasks ran on at most %d workers (%zu)", workers,
               nbusy);
    }
    const struct cvz_mark *m = need_mark(t, "tasks=");
    long sum, expected;
    if (m && mark_value(m, "results_sum", &sum) && mark_value(m, "expected", &expected))
        expect(sum == expected, "all results came back (sum %ld of %ld)", sum, expected);
}

static void check_pool(const struct cvz_trace *t)
{
    check_pool_common(t, 10, 3);
}

static void check_daemon(const struct cvz_trace *t, bool joined, const char *worker)
{
    int32_t w = thread_named(t, worker);
    if (!expect(w >= 0, "the worker thread %s is in the trace", worker)) return;
    const struct cvz_thread *th = &t->threads[w];
    bool exited = false;
    for (size_t i = 0; i < t->nmarks; i++)
        if (t->marks[i].kind == CVZ_MARK_THREAD_EXIT && t->marks[i].thread == w) exited = true;
    size_t steps = count_marks(t, "step ");
    const struct cvz_mark *main_end = need_mark(t, "main ends");
    const struct cvz_process *p = &t->procs[th->proc];
    if (joined) {
        expect(steps == 6, "the joined worker did all 6 steps (%zu)", steps);
        expect(exited, "the worker ended by itself (thread exit)");
        if (main_end) expect(th->t_end <= main_end->t0, "the worker ended before the main thread");
    } else {
        expect(steps < 6, "the daemon was cut off mid-work: %zu of 6 steps", steps);
        expect(!exited, "the daemon never returned from its function");
        if (main_end)
            expect(th->t_end >= main_end->t0, "the daemon's lane lasts until the main's end");
        expect(th->t_end <= p->t_end, "the daemon's lane ends with its process");
    }
}

static void check_daemon_cut(const struct cvz_trace *t)
{
    check_daemon(t, false, "Thread-1");
}
static void check_daemon_join(const struct cvz_trace *t)
{
    check_daemon(t, true, "Thread-1");
}

/* A daemon process: terminated by a signal when the main program ended, mid-work. */
static void check_daemon_process(const struct cvz_trace *t)
{
    int32_t w = thread_named(t, "Process-1");
    if (!expect(w >= 0, "the daemon process (Process-1) is in the trace")) return;
    const struct cvz_process *p = &t->procs[t->threads[w].proc];
    expect(p->pid != t->procs[0].pid, "the worker is a process of its own");
    expect(p->exit_signal != 0, "it was terminated by a signal (%d)", p->exit_signal);
    size_t steps = count_marks(t, "step ");
    expect(steps < 6, "it was cut off mid-work: %zu of 6 steps", steps);
}

static void check_py_daemon_process(const struct cvz_trace *t)
{
    /* p1 may be terminated before it even started (then it leaves no trace at all): the
     * lesson is in the marks: the main code ended, p2 still finished, p1 never did */
    const struct cvz_mark *main_end = mark_with(t, "main ends");
    const struct cvz_mark *p2_end = mark_with(t, "end456");
    expect(main_end != NULL, "the main code ended (main ends)");
    expect(p2_end != NULL, "the normal process p2 finished (end456)");
    if (main_end && p2_end)
        expect(p2_end->t0 > main_end->t0, "p2 finished after the main code had ended");
    expect(mark_with(t, "end123") == NULL, "the daemon process p1 was cut off (no end123)");
}

static void check_deadlock(const struct cvz_trace *t)
{
    int32_t th[2] = {thread_named(t, "thread-1"), thread_named(t, "thread-2")};
    if (!expect(th[0] >= 0 && th[1] >= 0, "thread-1 and thread-2 are in the trace")) return;
    need_object(t, "lock_a");
    need_object(t, "lock_b");
    expect_deadlock_cycle(t, th, 2);
    expect(mark_with(t, "finished") == NULL,
           "the program did not finish (the watchdog stopped it)");
}

static void check_deadlock_fixed(const struct cvz_trace *t, bool expect_backoff)
{
    int32_t th[2] = {thread_named(t, "thread-1"), thread_named(t, "thread-2")};
    if (!expect(th[0] >= 0 && th[1] >= 0, "thread-1 and thread-2 are in the trace")) return;
    expect(wait_cycle_from(t, th[0], false) == 0, "no wait cycle at the end");
    struct cvz_stats *stats = cvz_stats_compute(t, NULL);
    if (stats) {
        expect(stats->ndeadlocks == 0, "conviz report finds no deadlock");
        /* trylock keeps the opposite order (a potential deadlock the report still flags,
         * defused by the back-off); the ordering fix removes the inversion itself */
        if (expect_backoff)
            expect(stats->ninversions >= 1, "the lock-order inversion is still there (%zu)",
                   stats->ninversions);
        else
            expect(stats->ninversions == 0, "no lock-order inversion left (%zu)",
                   stats->ninversions);
        cvz_stats_free(stats);
    }
    const struct cvz_mark *m = need_mark(t, "finished");
    long rounds, backoffs;
    if (m && mark_value(m, "rounds", &rounds))
        expect(count_marks(t, "thread-1 round") == (size_t)rounds &&
                   count_marks(t, "thread-2 round") == (size_t)rounds,
               "both threads did all %ld rounds", rounds);
    if (expect_backoff && m && mark_value(m, "trylock_failures", &backoffs)) {
        int32_t a = cvz_object_find(t, "lock_a");
        size_t busy = 0;
        for (size_t i = 0; a >= 0 && i < t->objects[a].nholds; i++)
            busy += t->objects[a].holds[i].result == CVZ_ACQ_BUSY;
        expect(busy >= 1 && (long)busy == backoffs,
               "thread-2 backed off: %zu failed trylocks of lock_a (the program counted %ld)", busy,
               backoffs);
    }
}

static void check_deadlock_order(const struct cvz_trace *t)
{
    check_deadlock_fixed(t, false);
}
static void check_deadlock_trylock(const struct cvz_trace *t)
{
    check_deadlock_fixed(t, true);
}

static const char *const philosophers[5] = {"Aristotle", "Kant", "Spinoza", "Marx", "Russell"};

static void check_philosophers(const struct cvz_trace *t)
{
    int32_t th[5];
    for (int i = 0; i < 5; i++) {
        th[i] = thread_named(t, philosophers[i]);
        if (!expect(th[i] >= 0, "philosopher %s is in the trace", philosophers[i])) return;
    }
    expect_deadlock_cycle(t, th, 5);
    expect(mark_with(t, "meals=") == NULL, "dinner never finished (the watchdog stopped it)");
}

static void check_philosophers_fixed(const struct cvz_trace *t)
{
    int32_t th = thread_named(t, philosophers[0]);
    expect(th >= 0 && wait_cycle_from(t, th, false) == 0, "no wait cycle at the end");
    expect_mark_equal(t, "meals=", "meals", "expected");
    struct cvz_stats *stats = cvz_stats_compute(t, NULL);
    if (stats) {
        expect(stats->ndeadlocks == 0 && stats->ninversions == 0,
               "conviz report finds no deadlock and no lock-order cycle (%zu, %zu)",
               stats->ndeadlocks, stats->ninversions);
        cvz_stats_free(stats);
    }
}

/* Lesson 14: every task region on its own lane or one after another. */
static void check_io_sequential(const struct cvz_trace *t)
{
    int32_t w = thread_named(t, "sequential");
    if (!expect(w >= 0, "the thread 'sequential' is in the trace")) return;
    size_t regions = 0;
    cvz_ns last_end = 0;
    bool in_order = true;
    for (size_t i = 0; i < t->nmarks; i++) {
        const struct cvz_mark *m = &t->marks[i];
        if (m->kind != CVZ_MARK_REGION || !m->text || strncmp(m->text, "task ", 5)) continue;
        regions++;
        in_order &= m->t0 >= last_end && m->thread == w;
        last_end = m->t1;
        expect(blocked_within(&t->threads[w], CVZ_R_IO, m->t0, m->t1),
               "%s: the thread blocked on I/O", m->text);
    }
    expect(regions == 3, "3 task regions (%zu)", regions);
    expect(in_order, "the tasks ran one after another in one thread: the waits add up");
}

static void check_io_threads_model(const struct cvz_trace *t)
{
    int32_t tasks[8];
    size_t n = threads_named(t, "task-", tasks, 8);
    if (!expect(n == 3, "3 task threads (%zu)", n)) return;
    /* the waits overlap: some instant where all three are blocked on I/O */
    bool overlap = false;
    const struct cvz_thread *first = &t->threads[tasks[0]];
    for (size_t s = 0; s < first->nspans && !overlap; s++) {
        const struct cvz_span *span = &first->spans[s];
        if (span->state != CVZ_ST_BLOCKED || span->reason != CVZ_R_IO) continue;
        int blocked = 1;
        for (size_t j = 1; j < n; j++)
            blocked += blocked_within(&t->threads[tasks[j]], CVZ_R_IO, span->t0, span->t1);
        overlap = blocked >= 2;
    }
    expect(overlap, "the I/O waits of different threads overlap");
}

static void check_io_eventloop(const struct cvz_trace *t)
{
    int32_t loop = thread_named(t, "event-loop");
    if (!expect(loop >= 0, "the thread 'event-loop' is in the trace")) return;
    const struct cvz_thread *th = &t->threads[loop];
    size_t others = t->procs[th->proc].nthreads - 1;
    expect(others == 0, "a single thread does all the work (%zu other threads)", others);
    bool only_io = true, blocked = false;
    /* from the first request on (before it, the scenario's 1 ms settle sleep) */
    const struct cvz_mark *first_request = mark_with(t, "task 0 request sent");
    cvz_ns loop_start = first_request ? first_request->t0 : t->t_min;
    for (size_t s = 0; s < th->nspans; s++)
        if (th->spans[s].state == CVZ_ST_BLOCKED && th->spans[s].t0 >= loop_start) {
            blocked = true;
            if (th->spans[s].reason != CVZ_R_IO && th->spans[s].reason != CVZ_R_OTHER)
                only_io = false;
        }
    expect(blocked && only_io, "it blocks only in poll() (I/O)");
    size_t done = 0, sent = 0;
    cvz_ns first_done_t = INT64_MAX, last_sent_t = 0;
    for (size_t i = 0; i < t->nmarks; i++) {
        const struct cvz_mark *m = &t->marks[i];
        if (m->kind != CVZ_MARK_USER || !m->text) continue;
        if (strstr(m->text, "request sent")) {
            sent++;
            last_sent_t = m->t0 > last_sent_t ? m->t0 : last_sent_t;
        }
        if (strstr(m->text, " done")) {
            done++;
            first_done_t = m->t0 < first_done_t ? m->t0 : first_done_t;
        }
    }
    expect(sent == 3 && done == 3, "3 requests sent, 3 tasks done (%zu, %zu)", sent, done);
    expect(last_sent_t < first_done_t, "all 3 requests were in flight before the first answer");
}

static void check_coroutines(const struct cvz_trace *t, bool want_lanes)
{
    size_t real = 0, coro = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        if (is_real_thread(&t->threads[i]))
            real++;
        else
            coro++;
    }
    expect(real == 1, "one operating-system thread (%zu)", real);
    if (want_lanes) expect(coro >= 2, "coroutine lanes A and B (%zu lanes)", coro);
    /* the marks alternate B, A, B, A ... */
    char expect_next = 'B';
    size_t seen = 0;
    bool alternate = true;
    for (size_t i = 0; i < t->nmarks; i++) {
        const struct cvz_mark *m = &t->marks[i];
        if (m->kind != CVZ_MARK_USER || !m->text || m->text[1] ||
            (m->text[0] != 'A' && m->text[0] != 'B'))
            continue;
        alternate &= m->text[0] == expect_next;
        expect_next = expect_next == 'A' ? 'B' : 'A';
        seen++;
    }
    expect(seen >= 4 && alternate, "A and B alternate (%zu steps)", seen);
}

static void check_coroutines_c(const struct cvz_trace *t)
{
    check_coroutines(t, true);
}
static void check_generators(const struct cvz_trace *t)
{
    check_coroutines(t, false);
}

static void check_bank(const struct cvz_trace *t)
{
    int32_t c = thread_named(t, "customer");
    if (!expect(c >= 0, "the customer thread is in the trace")) return;
    static const struct {
        const char *name;
        int reason; /* the BLOCKED reason it must show, or -1: must not block on the teller */
    } variants[] = {{"sync-blocking", CVZ_R_IO},
                    {"sync-nonblocking", -1},
                    {"async-blocking", CVZ_R_SEM},
                    {"async-nonblocking", -1}};
    for (size_t v = 0; v < 4; v++) {
        const struct cvz_mark *region = NULL;
        for (size_t i = 0; i < t->nmarks; i++)
            if (t->marks[i].kind == CVZ_MARK_REGION && t->marks[i].text &&
                !strcmp(t->marks[i].text, variants[v].name))
                region = &t->marks[i];
        if (!expect(region != NULL, "region %s", variants[v].name)) continue;
        const struct cvz_thread *th = &t->threads[c];
        if (variants[v].reason >= 0)
            expect(blocked_within(th, variants[v].reason, region->t0, region->t1),
                   "%s: the customer is BLOCKED (%s) while waiting", variants[v].name,
                   cvz_reason_names[variants[v].reason]);
        else
            expect(!blocked_within(th, CVZ_R_IO, region->t0, region->t1) &&
                       !blocked_within(th, CVZ_R_SEM, region->t0, region->t1) &&
                       !blocked_within(th, CVZ_R_CONDVAR, region->t0, region->t1),
                   "%s: the customer never blocks waiting for the teller", variants[v].name);
    }
}

static void check_queue_ipc(const struct cvz_trace *t)
{
    int32_t w = thread_named(t, "writer"), r = thread_named(t, "reader");
    if (!expect(w >= 0 && r >= 0, "writer and reader processes are in the trace")) return;
    expect(t->threads[w].pid != t->threads[r].pid, "writer and reader are separate processes");
    size_t edges = 0;
    for (size_t i = 0; i < t->nwakes; i++)
        if (t->wakes[i].kind == CVZ_WAKE_PIPE && t->wakes[i].from_thread == w &&
            t->wakes[i].to_thread == r)
            edges++;
    expect(edges >= 1, "write->read wake edges from the writer to the reader (%zu)", edges);
    expect(mark_with(t, "items=5") != NULL, "the reader got the 5 items A..E");
}

static void check_py_mpqueue(const struct cvz_trace *t)
{
    size_t edges = 0;
    for (size_t i = 0; i < t->nwakes; i++) {
        const struct cvz_wake *wk = &t->wakes[i];
        if (wk->from_thread >= 0 && wk->to_thread >= 0 &&
            t->threads[wk->from_thread].pid != t->threads[wk->to_thread].pid &&
            wk->kind != CVZ_WAKE_FORK && wk->kind != CVZ_WAKE_CHILD)
            edges++;
    }
    expect(edges >= 1, "wake edges from one process to another (%zu)", edges);
    expect(mark_with(t, "items=5") != NULL, "the reader got the 5 items");
}

static void check_py_states(const struct cvz_trace *t)
{
    const struct cvz_thread *th = t->nthreads ? &t->threads[0] : NULL;
    if (!expect(th != NULL, "the main thread is in the trace")) return;
    expect(has_state(th, CVZ_ST_RUNNING, -1), "RUNNING appears");
    expect(has_state(th, CVZ_ST_BLOCKED, CVZ_R_IO), "BLOCKED io appears (input())");
    expect(has_state(th, CVZ_ST_BLOCKED, CVZ_R_SLEEP), "BLOCKED sleep appears (time.sleep)");
}

static void check_py_gil(const struct cvz_trace *t)
{
    int32_t gils[64];
    size_t n = objects_named(t, "GIL", gils, 64);
    if (!expect(n >= 1, "CPython's GIL is labelled \"GIL\" (%zu objects)", n)) return;
    for (size_t g = 0; g < n && g < 64; g++) {
        const struct cvz_object *gil = &t->objects[gils[g]];
        expect(max_holders(t, gil) <= 1, "GIL mutex of pid %d: one holder at a time", gil->pid);
    }
    /* A thread waiting for the GIL blocks on one of its parts (GIL, GIL.cond, ...). */
    size_t waiting_threads = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        for (size_t s = 0; s < th->nspans; s++) {
            int32_t o = th->spans[s].obj;
            if (th->spans[s].state == CVZ_ST_BLOCKED && o >= 0 && t->objects[o].name &&
                !strncmp(t->objects[o].name, "GIL", 3)) {
                waiting_threads++;
                break;
            }
        }
    }
    expect(waiting_threads >= 1, "threads waited for the GIL (%zu threads blocked on it)",
           waiting_threads);
}

static void check_py_rlock(const struct cvz_trace *t)
{
    expect(mark_with(t, "both threads done") != NULL, "both threads finished");
    size_t waited = 0;
    for (size_t i = 0; i < t->nthreads; i++)
        for (size_t s = 0; s < t->threads[i].nspans; s++)
            if (t->threads[i].spans[s].state == CVZ_ST_BLOCKED &&
                t->threads[i].spans[s].reason == CVZ_R_SEM) {
                waited++;
                break;
            }
    expect(waited >= 1, "a thread waited for the RLock's underlying lock (%zu threads)", waited);
}

/* How many processes left a "work done" mark. */
static size_t processes_with_work(const struct cvz_trace *t)
{
    size_t n = 0;
    for (size_t p = 0; p < t->nprocs; p++)
        for (size_t i = 0; i < t->nmarks; i++)
            if (t->marks[i].kind == CVZ_MARK_USER && t->marks[i].text &&
                !strcmp(t->marks[i].text, "work done") &&
                t->threads[t->marks[i].thread].pid == t->procs[p].pid) {
                n++;
                break;
            }
    return n;
}

static void check_py_gil_procs(const struct cvz_trace *t)
{
    size_t n = processes_with_work(t);
    expect(n == 2, "two processes did the work (%zu)", n);
}

static void check_py_cpu_procs(const struct cvz_trace *t)
{
    size_t n = processes_with_work(t);
    expect(n == 4, "four processes did the work, each with its own GIL (%zu)", n);
}

static void check_py_parallel(const struct cvz_trace *t)
{
    /* three "task N done" marks, from three different processes, all alive at one instant */
    int32_t pids[3];
    size_t n = 0;
    for (size_t i = 0; i < t->nmarks && n < 3; i++) {
        const struct cvz_mark *m = &t->marks[i];
        if (m->kind == CVZ_MARK_USER && m->text && !strncmp(m->text, "task ", 5))
            pids[n++] = t->threads[m->thread].pid;
    }
    expect(n == 3 && pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2],
           "three tasks done in three processes (%zu marks)", n);
    cvz_ns latest_start = 0, earliest_end = INT64_MAX;
    size_t workers = 0;
    for (size_t p = 0; p < t->nprocs; p++) {
        bool is_worker = false;
        for (size_t k = 0; k < n; k++)
            is_worker |= t->procs[p].pid == pids[k];
        if (!is_worker) continue;
        workers++;
        latest_start = t->procs[p].t_start > latest_start ? t->procs[p].t_start : latest_start;
        earliest_end = t->procs[p].t_end < earliest_end ? t->procs[p].t_end : earliest_end;
    }
    expect(workers == 3 && latest_start < earliest_end, "the three processes were alive together");
}

static void check_py_io_threads(const struct cvz_trace *t)
{
    size_t sleeping_threads = 0;
    for (size_t i = 0; i < t->nthreads; i++)
        if (has_state(&t->threads[i], CVZ_ST_BLOCKED, CVZ_R_SLEEP)) sleeping_threads++;
    expect(sleeping_threads >= 10, "10 threads waited on I/O (%zu)", sleeping_threads);
}

static void check_py_pool_threads(const struct cvz_trace *t)
{
    check_pool_common(t, 10, 3);
}

static void check_py_daemon(const struct cvz_trace *t)
{
    size_t steps = count_marks(t, "step ");
    expect(steps < 6, "the daemon thread was cut off: %zu of 6 steps", steps);
    expect(mark_with(t, "main ends") != NULL, "the main thread ended");
}

static void check_py_asyncio(const struct cvz_trace *t)
{
    expect(count_marks(t, "task ") == 3, "3 tasks done (%zu)", count_marks(t, "task "));
    size_t threads_with_tasks = 0;
    int32_t first = -1;
    for (size_t i = 0; i < t->nmarks; i++) {
        const struct cvz_mark *m = &t->marks[i];
        if (m->kind == CVZ_MARK_USER && m->text && !strncmp(m->text, "task ", 5) &&
            m->thread != first) {
            if (first < 0)
                threads_with_tasks = 1;
            else
                threads_with_tasks++;
            first = first < 0 ? m->thread : first;
        }
    }
    expect(threads_with_tasks == 1, "all tasks ran in one thread (the event loop)");
}

/* ---- the table ------------------------------------------------------------------------------ */

static const struct lesson_check {
    const char *name;
    void (*check)(const struct cvz_trace *t);
    const char *what;
} checks[] = {
    {"states", check_states, "1: RUNNING, READY, BLOCKED io and BLOCKED sleep all appear"},
    {"concurrency", check_concurrency, "2: two threads on one CPU never run at once"},
    {"parallelism", check_parallelism, "2: two threads on two CPUs run at once"},
    {"serial", check_serial, "3: serial tasks never overlap"},
    {"serial-parallel", check_serial_parallel, "3: parallel tasks are alive together"},
    {"gil-threads", check_gil_threads, "4: one GIL holder at a time, threads take turns"},
    {"gil-procs", check_gil_procs, "4: one GIL per process, processes run at once"},
    {"cpu-threads", check_cpu_threads, "5: CPU-bound threads share one GIL"},
    {"cpu-procs", check_cpu_procs, "5: CPU-bound processes each have a GIL"},
    {"io-threads", check_io_threads, "5: IO-bound threads wait at the same time"},
    {"counter", check_counter, "6: with the lock, holders never overlap, the count is exact"},
    {"counter-nolock", check_counter_nolock, "6: without the lock, updates are lost"},
    {"rlock", check_rlock, "7: re-entry to depth 2, the other thread waits for full release"},
    {"semaphore", check_semaphore, "8: never more than 3 holders, post->wait wake edges"},
    {"handshake", check_handshake, "9: each consumer wakes from a producer's post"},
    {"prodcons", check_prodcons, "10: waits on not_full and not_empty, signal wake edges"},
    {"pool", check_pool, "11: at most 3 workers busy, every task done once"},
    {"daemon", check_daemon_cut, "12: the daemon's lane ends at the main's exit, mid-work"},
    {"daemon-process", check_daemon_process, "12: a daemon process is terminated mid-work"},
    {"daemon-join", check_daemon_join, "12: the joined worker finishes all its steps"},
    {"deadlock", check_deadlock, "13: each thread holds the lock the other waits for"},
    {"deadlock-order", check_deadlock_order, "13: same lock order: no cycle, all rounds done"},
    {"deadlock-trylock", check_deadlock_trylock, "13: trylock back-off: no cycle, all rounds"},
    {"io-sequential", check_io_sequential, "14: the waits add up in one thread"},
    {"io-threads-model", check_io_threads_model, "14: threads overlap their waits"},
    {"io-eventloop", check_io_eventloop, "14: one thread, blocked only in poll()"},
    {"coroutines", check_coroutines_c, "15: one thread, coroutine lanes A/B alternate"},
    {"bank", check_bank, "16: who blocks in each sync/async x blocking/non-blocking variant"},
    {"queue-ipc", check_queue_ipc, "17: write->read wake edges across processes"},
    {"philosophers", check_philosophers, "18: five philosophers in a wait cycle"},
    {"philosophers-fixed", check_philosophers_fixed, "18: ordered forks: every meal eaten"},
    {"py-states", check_py_states, "1 (CPython): RUNNING, BLOCKED io, BLOCKED sleep"},
    {"py-parallel", check_py_parallel, "3 (CPython): three tasks at once in three processes"},
    {"py-gil-threads", check_py_gil, "4 (CPython): the GIL is labelled, one holder at a time"},
    {"py-gil-procs", check_py_gil_procs, "4 (CPython): two processes each did the work"},
    {"py-cpu-procs", check_py_cpu_procs, "5 (CPython): 4 processes did the CPU work"},
    {"py-io-threads", check_py_io_threads, "5 (CPython): 10 threads wait on I/O together"},
    {"py-counter", check_py_counter, "6 (CPython): threading.Lock gives the exact count"},
    {"py-rlock", check_py_rlock, "7 (CPython): RLock re-entry"},
    {"py-semaphore", check_py_semaphore, "8 (CPython): Semaphore(3), at most 3 inside"},
    {"py-handshake", check_py_handshake, "9 (CPython): Semaphore(0) handshake"},
    {"py-prodcons", check_py_prodcons, "10 (CPython): queue.Queue(3) producer/consumer"},
    {"py-pool", check_py_pool_threads, "11 (CPython): Pool(3) with 10 tasks"},
    {"py-daemon", check_py_daemon, "12 (CPython): the daemon thread is cut off"},
    {"py-daemon-process", check_py_daemon_process,
     "12 (CPython): the daemon process p1 is terminated, p2 finishes"},
    {"py-asyncio", check_py_asyncio, "14 (CPython): asyncio runs 3 tasks in one thread"},
    {"py-generators", check_generators, "15 (CPython): generators A/B in one thread"},
    {"py-mpqueue", check_py_mpqueue, "17 (CPython): multiprocessing.Queue between processes"},
};

/* --spans TRACE THREAD: print a thread's derived spans (to see why a check failed). */
static int dump_spans(const char *path, const char *name)
{
    char *err = NULL;
    struct cvz_trace *t = cvz_trace_load(path, &err);
    if (!t) {
        fprintf(stderr, "lesson-check: cannot load %s: %s\n", path, err ? err : "unknown error");
        free(err);
        return 2;
    }
    int found = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        if (!th->name || strcmp(th->name, name)) continue;
        found = 1;
        printf("thread %s pid %d tid %d: %zu spans\n", name, th->pid, th->tid, th->nspans);
        for (size_t s = 0; s < th->nspans; s++) {
            const struct cvz_span *sp = &th->spans[s];
            char buf[32];
            cvz_format_ns(sp->t1 - sp->t0, buf, sizeof buf);
            printf("  +%.3f ms %-8s %-10s %-8s cpu %d obj %s\n", (sp->t0 - t->t_min) / 1e6, buf,
                   cvz_state_names[sp->state],
                   sp->state == CVZ_ST_BLOCKED ? cvz_reason_names[sp->reason] : "", sp->cpu,
                   sp->obj >= 0 ? t->objects[sp->obj].name : "-");
        }
    }
    cvz_trace_free(t);
    if (!found) fprintf(stderr, "lesson-check: no thread named '%s' in %s\n", name, path);
    return found ? 0 : 1;
}

/* --mark-offset TRACE TEXT: nanoseconds from the trace start to the first mark starting with
 * TEXT (scripts/lessons.sh starts CPython pictures after the interpreter's imports). */
static int mark_offset(const char *path, const char *text)
{
    char *err = NULL;
    struct cvz_trace *t = cvz_trace_load(path, &err);
    if (!t) {
        fprintf(stderr, "lesson-check: cannot load %s: %s\n", path, err ? err : "unknown error");
        free(err);
        return 2;
    }
    const struct cvz_mark *m = mark_with(t, text);
    if (m) printf("%" PRId64 "\n", (int64_t)(m->t0 - t->t_min));
    cvz_trace_free(t);
    return m ? 0 : 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: lesson-check LESSON TRACE\n"
                 "       lesson-check --list\n"
                 "       lesson-check --spans TRACE THREAD_NAME   (print a thread's states)\n"
                 "       lesson-check --mark-offset TRACE TEXT    (ns from the start to a mark)\n"
                 "Load a recorded lesson trace and check the property the lesson teaches.\n"
                 "Prints ok/FAIL/skip per property; exit 0 when all hold, 1 when one fails,\n"
                 "2 on bad usage or an unreadable trace.  Lessons:\n");
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        fprintf(out, "  %-20s %s\n", checks[i].name, checks[i].what);
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
            printf("%s\n", checks[i].name);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "--spans")) return dump_spans(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "--mark-offset")) return mark_offset(argv[2], argv[3]);
    if (argc != 3) {
        usage(stderr);
        return 2;
    }
    const struct lesson_check *check = NULL;
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (!strcmp(checks[i].name, argv[1])) check = &checks[i];
    if (!check) {
        fprintf(stderr, "lesson-check: unknown lesson '%s'; `lesson-check --list` shows them\n",
                argv[1]);
        return 2;
    }
    char *err = NULL;
    struct cvz_trace *trace = cvz_trace_load(argv[2], &err);
    if (!trace) {
        fprintf(stderr, "lesson-check: cannot load %s: %s\n", argv[2], err ? err : "unknown error");
        free(err);
        return 2;
    }
    printf("lesson %s (%s): %s\n", check->name, check->what, argv[2]);
    info("%zu processes, %zu threads, %zu objects, %zu wake edges, %zu marks, sched %s, %" PRIu64
         " broken, %" PRIu64 " lost",
         trace->nprocs, trace->nthreads, trace->nobjects, trace->nwakes, trace->nmarks,
         trace->sched_source == CVZ_SCHED_PERF   ? "perf"
         : trace->sched_source == CVZ_SCHED_PROC ? "proc"
                                                 : "none",
         trace->broken, trace->lost_events);
    expect(trace->nthreads > 0, "the trace has threads");
    expect(trace->lost_events == 0, "no event was lost (%" PRIu64 ")", trace->lost_events);
    if (trace->nthreads > 0) check->check(trace);
    printf("%s: %d ok, %d failed, %d skipped\n", failures ? "FAIL" : "PASS", passes, failures,
           skips);
    cvz_trace_free(trace);
    return failures ? 1 : 0;
}
