/* cvz_stats.h - statistics over a loaded trace: state times, parallelism, CPU use, lock
 * contention, condvar use, actual and potential deadlocks.  ONE computation, shared by
 * `conviz report` (text and --json) and the viewer's statistics panel.
 *
 * DESIGN: cvz_stats_compute() takes the derived model (struct cvz_trace) and a filter (time
 * range, pid, tid, object) and returns plain arrays that the caller formats.  All times are ns
 * of CLOCK_MONOTONIC; durations are clipped to the filter's range, so every sum agrees with
 * what the timeline shows between `from` and `to`.  Counts (acquisitions, contended, signals)
 * count events whose completion time lies in [from, to).  Indexes are into the trace's arrays.
 * docs/report-json.md defines every figure (it documents the JSON the report prints from this).
 */
#ifndef CVZ_STATS_H
#define CVZ_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cvz_model.h"

/* What to include.  cvz_stats_filter_init() gives "everything". */
struct cvz_stats_filter {
    cvz_ns from, to;    /* absolute CLOCK_MONOTONIC ns; clipped to [t_min, t_max] of the trace */
    int32_t pid;        /* 0 = every process */
    int32_t tid;        /* 0 = every thread */
    const char *object; /* object name, NULL = every object */
    size_t top;         /* length of "top" lists (waiters, objects per thread); 0 = 5 */
};

/* A ranked entry: an object a thread waited on, or a thread that waited on an object. */
struct cvz_stats_rank {
    int32_t index;  /* object index (per-thread lists) or thread index (per-object lists) */
    cvz_ns wait_ns; /* total time waited, clipped to the range */
    uint64_t count; /* waits (contended or failed attempts) */
};

struct cvz_stats_summary {
    cvz_ns from, to, wall;             /* the range actually used (to - from = wall) */
    size_t nprocs, nthreads, nobjects; /* those passing the filter */
    int ncpu;                          /* trace->ncpu, or more if runs name a higher CPU */
    uint64_t nevents, lost_events, broken;
    uint8_t sched_source; /* enum cvz_sched_source */
    bool truncated;
    /* Parallelism = how many of the filtered threads are RUNNING at once. */
    double avg_parallelism; /* time-weighted mean over the range */
    int max_parallelism;
    cvz_ns *parallel_time; /* [k] = time exactly k threads were RUNNING, k = 0..max_parallelism */
    cvz_ns *cpu_busy;      /* [cpu] = time some filtered thread ran on it; ncpu entries */
};

struct cvz_thread_stats {
    int32_t thread;                     /* index in trace->threads */
    cvz_ns time_in[CVZ_ST__COUNT];      /* clipped to the range and to the thread's life */
    cvz_ns blocked_by[CVZ_R__COUNT];    /* BLOCKED time split by reason (sums to BLOCKED) */
    uint64_t runs;                      /* RUNNING spans starting in the range */
    uint64_t migrations;                /* consecutive runs on different CPUs */
    struct cvz_stats_rank *top_objects; /* objects it waited on longest, at most `top` */
    size_t ntop_objects;
};

struct cvz_object_stats {
    int32_t obj;                 /* index in trace->objects */
    uint64_t attempts;           /* acquisition attempts completing in the range */
    uint64_t acquisitions;       /* successful ones */
    uint64_t failed;             /* busy (trylock), timeout, eintr, error */
    uint64_t contended;          /* attempts that waited or failed busy */
    uint64_t pending;            /* requests still waiting when the trace ended (in the range) */
    double contended_pct;        /* contended / attempts * 100 (0 when no attempt) */
    cvz_ns wait_total, wait_max; /* waiting (request -> acquire/give up), clipped */
    cvz_ns hold_total, hold_max; /* holding (acquire -> release; open holds end at the range end) */
    uint64_t holds;              /* hold intervals overlapping the range */
    uint32_t nthreads;           /* distinct threads that attempted it */
    uint64_t owner_changes;      /* successive acquisitions by a different thread */
    struct cvz_stats_rank *top_waiters; /* threads that waited longest, at most `top` */
    size_t ntop_waiters;
    /* semaphores: range of the values seen (has_count false when none was recorded) */
    bool has_count;
    int32_t count_min, count_max;
    /* condvars (kind CVZ_OBJ_CONDVAR) */
    uint64_t cond_waits, cond_timeouts, cond_signals, cond_broadcasts;
    uint64_t cond_spurious; /* waits that returned ok with no signal/broadcast since they began */
};

/* One step of a cycle: `thread` waits for `obj`, which the next step's thread holds; obj -1:
 * `thread` is in pthread_join of the next step's thread. */
struct cvz_deadlock_step {
    int32_t thread;
    int32_t obj;
};

/* An actual deadlock: a cycle in the wait-for graph. */
struct cvz_deadlock {
    cvz_ns t_formed;   /* when the last wait of the cycle began */
    cvz_ns t_resolved; /* when one of its waits ended (timeout...), or -1: still there at the end */
    struct cvz_deadlock_step *steps;
    size_t nsteps;
};

/* One edge of the lock-order graph: `thread` requested `acquired` while holding `held`,
 * first at time `t` (that is where the order was first seen). */
struct cvz_order_edge {
    int32_t held, acquired;
    int32_t thread;
    cvz_ns t;
    uint64_t count; /* how many times this order was seen */
};

/* A potential deadlock: a cycle in the lock-order graph whose edges come from at least two
 * threads (ABBA for two locks, the dining philosophers for more).  edges[i].acquired ==
 * edges[i+1].held, and the last edge closes the cycle. */
struct cvz_inversion {
    struct cvz_order_edge *edges;
    size_t nedges;
    bool deadlocked; /* the same objects also formed an actual deadlock */
};

struct cvz_stats {
    const struct cvz_trace *trace;
    struct cvz_stats_filter filter;
    struct cvz_stats_summary summary;
    struct cvz_thread_stats *threads;
    size_t nthreads; /* trace order */
    struct cvz_object_stats *objects;
    size_t nobjects; /* sorted by wait_total, descending */
    struct cvz_deadlock *deadlocks;
    size_t ndeadlocks; /* sorted by t_formed */
    struct cvz_inversion *inversions;
    size_t ninversions;
    bool inversions_truncated; /* too many cycles: only the first CVZ_STATS_MAX_CYCLES kept */
    int32_t *procs;            /* indexes of the processes with a thread in `threads`, in */
    size_t nprocs;             /* trace order (summary.nprocs of them) */
};

#define CVZ_STATS_MAX_CYCLES 256

enum cvz_stats_sort {
    CVZ_SORT_WAIT = 0,  /* total wait, descending (the default) */
    CVZ_SORT_HOLD,      /* total hold, descending */
    CVZ_SORT_ACQ,       /* acquisitions, descending */
    CVZ_SORT_CONTENDED, /* contended count, descending */
    CVZ_SORT_NAME,      /* object name, ascending */
};

void cvz_stats_filter_init(struct cvz_stats_filter *filter);
/* NULL only when out of memory.  `filter` may be NULL (everything). */
struct cvz_stats *cvz_stats_compute(const struct cvz_trace *trace,
                                    const struct cvz_stats_filter *filter);
void cvz_stats_sort_objects(struct cvz_stats *stats, enum cvz_stats_sort key);
void cvz_stats_free(struct cvz_stats *stats);

#endif
