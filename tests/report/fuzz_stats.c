/* fuzz_stats.c - libFuzzer target for the statistics: whatever trace loads, cvz_stats_compute
 * (whole trace, and a range and a thread taken from the input) must not crash and must keep
 * its invariants: state times sum to the thread's life in the range, BLOCKED reasons sum to
 * BLOCKED, the parallelism histogram sums to the wall time, counts are ordered (contended <=
 * attempts), deadlock cycles and lock-order cycles are closed chains of real threads/objects.
 * Build: clang -fsanitize=fuzzer,address,undefined (tests/report/CMakeLists.txt does it when
 * clang is found); run: fuzz_stats -max_total_time=60 NEW_CORPUS_DIR tests/report/data
 */
#include "cvz_model.h"
#include "cvz_stats.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_stats.c:%d: invariant broken: %s\n", __LINE__, #c);              \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

static cvz_ns overlap(cvz_ns a, cvz_ns b, cvz_ns from, cvz_ns to)
{
    if (a < from) a = from;
    if (b > to) b = to;
    return b > a ? b - a : 0;
}

static void check(const struct cvz_trace *tr, const struct cvz_stats *s)
{
    const struct cvz_stats_summary *sum = &s->summary;
    REQUIRE(sum->wall == sum->to - sum->from && sum->wall >= 0);
    cvz_ns par = 0;
    for (int k = 0; k <= sum->max_parallelism; k++) {
        REQUIRE(sum->parallel_time[k] >= 0);
        par += sum->parallel_time[k];
    }
    REQUIRE(par == sum->wall);
    for (int c = 0; c < sum->ncpu; c++)
        REQUIRE(sum->cpu_busy[c] >= 0 && sum->cpu_busy[c] <= sum->wall);
    REQUIRE(s->nprocs == sum->nprocs);
    for (size_t i = 0; i < s->nprocs; i++)
        REQUIRE(s->procs[i] >= 0 && (size_t)s->procs[i] < tr->nprocs);
    for (size_t i = 0; i < s->nthreads; i++) {
        const struct cvz_thread_stats *ts = &s->threads[i];
        REQUIRE(ts->thread >= 0 && (size_t)ts->thread < tr->nthreads);
        const struct cvz_thread *th = &tr->threads[ts->thread];
        cvz_ns total = 0, blocked = 0;
        for (int k = 0; k < CVZ_ST__COUNT; k++)
            total += ts->time_in[k];
        for (int k = 0; k < CVZ_R__COUNT; k++)
            blocked += ts->blocked_by[k];
        REQUIRE(total == overlap(th->t_start, th->t_end, sum->from, sum->to));
        REQUIRE(blocked == ts->time_in[CVZ_ST_BLOCKED]);
        REQUIRE(ts->time_in[CVZ_ST_RUNNING] <= sum->wall);
        for (size_t k = 0; k < ts->ntop_objects; k++)
            REQUIRE((size_t)ts->top_objects[k].index < tr->nobjects);
    }
    for (size_t i = 0; i < s->nobjects; i++) {
        const struct cvz_object_stats *os = &s->objects[i];
        REQUIRE(os->obj >= 0 && (size_t)os->obj < tr->nobjects);
        REQUIRE(os->acquisitions + os->failed == os->attempts);
        REQUIRE(os->contended <= os->attempts);
        REQUIRE(os->wait_max <= os->wait_total && os->wait_max <= sum->wall);
        REQUIRE(os->hold_max <= os->hold_total && os->hold_max <= sum->wall);
        for (size_t k = 0; k < os->ntop_waiters; k++) {
            REQUIRE((size_t)os->top_waiters[k].index < tr->nthreads);
            REQUIRE(os->top_waiters[k].wait_ns <= os->wait_total);
            if (k) REQUIRE(os->top_waiters[k].wait_ns <= os->top_waiters[k - 1].wait_ns);
        }
        if (i) REQUIRE(os->wait_total <= s->objects[i - 1].wait_total); /* sorted by wait */
    }
    for (size_t d = 0; d < s->ndeadlocks; d++) {
        const struct cvz_deadlock *dl = &s->deadlocks[d];
        REQUIRE(dl->nsteps >= 1);
        REQUIRE(dl->t_resolved < 0 || dl->t_resolved >= dl->t_formed);
        for (size_t k = 0; k < dl->nsteps; k++) {
            REQUIRE((size_t)dl->steps[k].thread < tr->nthreads);
            REQUIRE(dl->steps[k].obj >= -1 && dl->steps[k].obj < (int32_t)tr->nobjects);
        }
    }
    for (size_t k = 0; k < s->ninversions; k++) {
        const struct cvz_inversion *iv = &s->inversions[k];
        REQUIRE(iv->nedges >= 2);
        for (size_t e = 0; e < iv->nedges; e++) {
            REQUIRE(iv->edges[e].acquired == iv->edges[(e + 1) % iv->nedges].held);
            REQUIRE((size_t)iv->edges[e].thread < tr->nthreads);
            for (size_t f = 0; f < e; f++) /* every step its own thread */
                REQUIRE(iv->edges[f].thread != iv->edges[e].thread);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cvz_trace *tr = cvz_trace_load_buffer((const char *)data, size, "fuzz", NULL);
    if (!tr) return 0;
    struct cvz_stats *s = cvz_stats_compute(tr, NULL);
    REQUIRE(s != NULL);
    check(tr, s);
    for (int key = CVZ_SORT_WAIT; key <= CVZ_SORT_NAME; key++)
        cvz_stats_sort_objects(s, (enum cvz_stats_sort)key);
    cvz_stats_free(s);

    /* a range and a thread chosen from the input's bytes */
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    cvz_ns span = tr->t_max - tr->t_min;
    uint8_t a = size ? data[size / 3] : 0, b = size ? data[size / 2] : 0;
    /* divide first: timestamps may be ~1e18 ns apart, and span * 64 would overflow */
    f.from = tr->t_min + span / 64 * (a % 64);
    f.to = f.from + span / 64 * (1 + b % 64);
    if (tr->nthreads && (b & 1)) f.tid = tr->threads[a % tr->nthreads].tid;
    if (tr->nobjects && (a & 1)) f.object = tr->objects[b % tr->nobjects].name;
    f.top = 1 + a % 4;
    s = cvz_stats_compute(tr, &f);
    REQUIRE(s != NULL);
    check(tr, s);
    cvz_stats_free(s);
    cvz_trace_free(tr);
    return 0;
}
