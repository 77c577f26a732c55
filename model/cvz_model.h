/* cvz_model.h - the conviz trace model: events read from a JSON trace, turned into per-thread
 * state spans, per-object hold/wait intervals, wake edges and markers.
 *
 * DESIGN: one GUI-free library, linked by the tracer (event kinds), the `conviz` command and the
 * viewer.  Loading never aborts on bad input: what is valid is kept, what is broken is counted
 * and described in `diags` (with the byte offset / line where it was found).  All times are
 * nanoseconds of CLOCK_MONOTONIC (the "ts" of the file, which is in microseconds, times 1000).
 * Indexes (thread, object, process) are positions in the trace's arrays; -1 means "none".
 */
#ifndef CVZ_MODEL_H
#define CVZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t cvz_ns;

/* ---- event kinds: derived from cvz_events.def ---------------------------------------- */
enum cvz_event_kind {
#define CVZ_EVENT(id, name, ph, args) CVZ_EV_##id,
#include "cvz_events.def"
#undef CVZ_EVENT
    CVZ_EV__COUNT,
    CVZ_EV_FOREIGN = CVZ_EV__COUNT, /* an event of another Chrome-format producer */
};
extern const char *const cvz_event_names[CVZ_EV__COUNT];  /* "lock.acquire", ...       */
extern const char *const cvz_event_phases[CVZ_EV__COUNT]; /* "i", "X", "M"             */
extern const char *const cvz_event_args[CVZ_EV__COUNT];   /* space-separated arg keys  */
int cvz_event_kind_from_name(const char *name);           /* -1 when unknown           */

/* ---- states and reasons ---------------------------------------------------------------- */
enum cvz_state {
    CVZ_ST_UNKNOWN = 0, /* no information (before the first event, or a gap) */
    CVZ_ST_RUNNING,
    CVZ_ST_READY,
    CVZ_ST_BLOCKED,
    CVZ_ST__COUNT
};

/* Why a BLOCKED span blocks.  The viewer colours by these; the report groups by them. */
enum cvz_reason {
    CVZ_R_NONE = 0,
    CVZ_R_LOCK,    /* mutex, rwlock, spinlock */
    CVZ_R_CONDVAR,
    CVZ_R_SEM,
    CVZ_R_BARRIER,
    CVZ_R_JOIN,
    CVZ_R_SLEEP,
    CVZ_R_IO,    /* read/write/recv/send/accept/connect/poll/select/epoll on an fd */
    CVZ_R_CHILD, /* wait/waitpid/waitid */
    CVZ_R_OTHER, /* switched out, not preempted, and no wrapper says why */
    CVZ_R__COUNT
};
extern const char *const cvz_state_names[CVZ_ST__COUNT];  /* "RUNNING", ...            */
extern const char *const cvz_reason_names[CVZ_R__COUNT];  /* "lock", "condvar", ...    */

/* Kinds of synchronisation object ("kind" of object.declare). */
enum cvz_obj_kind {
    CVZ_OBJ_MUTEX = 0,
    CVZ_OBJ_RWLOCK,
    CVZ_OBJ_SPIN,
    CVZ_OBJ_CONDVAR,
    CVZ_OBJ_SEM,
    CVZ_OBJ_BARRIER,
    CVZ_OBJ_OTHER,
    CVZ_OBJ__COUNT
};
extern const char *const cvz_obj_kind_names[CVZ_OBJ__COUNT]; /* "mutex", "rwlock", ... */

/* ---- the derived model ------------------------------------------------------------------ */

/* One interval of one thread's timeline.  Spans of a thread are sorted, do not overlap, and
 * tile [thread.t_start, thread.t_end] (gaps are CVZ_ST_UNKNOWN spans). */
struct cvz_span {
    cvz_ns t0, t1;
    uint8_t state;  /* enum cvz_state */
    uint8_t reason; /* enum cvz_reason, for BLOCKED */
    int16_t cpu;    /* RUNNING: the CPU, else -1 */
    int32_t obj;    /* BLOCKED on an object: its index, else -1 */
    int32_t target; /* BLOCKED on join: thread index; on a child: process index; IO: fd */
};

struct cvz_thread {
    int32_t pid, tid;
    int32_t proc;       /* index of its process */
    char *name;         /* last name given, or "main" / "tid <n>" */
    cvz_ns t_start, t_end;
    int32_t parent;     /* creating thread's index, or -1 */
    int32_t coro_of;    /* >= 0: this lane is a coroutine running on that thread's index */
    struct cvz_span *spans;
    size_t nspans;
    cvz_ns time_in[CVZ_ST__COUNT]; /* total time per state over the whole trace */
};

struct cvz_process {
    int32_t pid, ppid;
    char *cmdline;
    cvz_ns t_start, t_end;
    int exit_status;    /* -1 when unknown */
    int exit_signal;    /* 0 when none */
    int32_t parent_thread; /* thread that forked/spawned it, or -1 */
    int32_t reaped_by;  /* thread whose wait returned it, or -1 */
    int32_t *threads;   /* thread indexes, first is the main thread */
    size_t nthreads;
};

/* Result of one acquisition attempt. */
enum cvz_acq_result { CVZ_ACQ_OK = 0, CVZ_ACQ_BUSY, CVZ_ACQ_TIMEOUT, CVZ_ACQ_EINTR, CVZ_ACQ_ERROR };

/* One acquisition of an object by a thread: requested -> acquired -> released.
 * t_acq == t_req when it did not wait; t_rel == -1 while still held at the end of the trace;
 * a failed attempt (result != OK) has t_acq = time it gave up and t_rel = -1.
 * A recursive re-acquisition is not a new hold: `depth` is the deepest reached.  On a condvar
 * (barrier) a hold is one wait: t_req = cond.wait (barrier.wait), t_acq = t_rel = the wake
 * (leave), result OK or TIMEOUT.  Semaphores: one hold per unit taken; a post by a thread
 * without a unit (a handshake) ends no hold.  See docs/trace-format.md. */
struct cvz_hold {
    cvz_ns t_req, t_acq, t_rel;
    int32_t thread;
    uint8_t result; /* enum cvz_acq_result */
    uint8_t mode;   /* 'w' exclusive, 'r' shared (rwlock readers) */
    int16_t depth;  /* recursive mutex depth after acquiring (1 = first) */
    int32_t count;  /* semaphore value after the operation, or -1 */
};

struct cvz_object {
    char *name;     /* symbol, "GIL", annotation, or "<kind>@<function>" */
    uint8_t kind;   /* enum cvz_obj_kind */
    int32_t pid;    /* process it lives in (first seen), shared objects keep the first */
    uint64_t addr;
    bool contended; /* some acquisition waited or failed */
    struct cvz_hold *holds; /* sorted by t_req */
    size_t nholds;
    size_t nsignals, nbroadcasts; /* condvars */
};

enum cvz_wake_kind {
    CVZ_WAKE_UNLOCK = 0, /* unlock -> acquire */
    CVZ_WAKE_POST,       /* sem post -> wait */
    CVZ_WAKE_SIGNAL,     /* cond signal/broadcast -> wakeup */
    CVZ_WAKE_BARRIER,    /* last arrival -> release */
    CVZ_WAKE_JOIN,       /* thread exit -> join returns */
    CVZ_WAKE_CHILD,      /* child exit -> wait returns */
    CVZ_WAKE_FORK,       /* fork/spawn -> child starts */
    CVZ_WAKE_CREATE,     /* pthread_create -> thread starts */
    CVZ_WAKE_PIPE,       /* pipe write -> read returns */
    CVZ_WAKE__COUNT
};
extern const char *const cvz_wake_names[CVZ_WAKE__COUNT];

struct cvz_wake {
    cvz_ns t_from, t_to;
    int32_t from_thread, to_thread;
    uint8_t kind; /* enum cvz_wake_kind */
    int32_t obj;  /* object index, or -1 */
};

enum cvz_mark_kind {
    CVZ_MARK_THREAD_CREATE = 0,
    CVZ_MARK_THREAD_EXIT,
    CVZ_MARK_PROCESS_FORK,
    CVZ_MARK_PROCESS_EXEC,
    CVZ_MARK_PROCESS_EXIT,
    CVZ_MARK_USER,   /* user.mark instant */
    CVZ_MARK_REGION, /* user.begin/user.end, or a foreign B/E/X slice; t1 > t0 */
    CVZ_MARK__COUNT
};

struct cvz_mark {
    cvz_ns t0, t1; /* t1 == t0 for instants */
    int32_t thread;
    uint8_t kind;  /* enum cvz_mark_kind */
    char *text;    /* may be NULL */
};

/* A run of one thread on one CPU (from RUNNING spans); sorted by t0 per CPU. */
struct cvz_cpu_run {
    cvz_ns t0, t1;
    int32_t thread;
};

struct cvz_cpu {
    struct cvz_cpu_run *runs;
    size_t nruns;
};

/* A problem found while loading or deriving; loading continues. */
struct cvz_diag {
    int64_t offset; /* byte offset in the file, or -1 */
    int64_t line;   /* 1-based line, or -1 */
    char *message;
};

enum cvz_sched_source { CVZ_SCHED_NONE = 0, CVZ_SCHED_PERF, CVZ_SCHED_PROC, CVZ_SCHED_FOREIGN };

struct cvz_trace {
    char *path;
    bool is_conviz;  /* false: a foreign Chrome-format trace */
    int format_version;
    uint8_t sched_source; /* enum cvz_sched_source (best of all processes) */
    int ncpu;
    cvz_ns t_min, t_max; /* extent of all events */
    cvz_ns mono_anchor, real_anchor; /* a CLOCK_MONOTONIC time and the CLOCK_REALTIME at it */
    char *caption;       /* from the first process's command line, or NULL */

    struct cvz_process *procs;  size_t nprocs;
    struct cvz_thread *threads; size_t nthreads;  /* sorted by (process, first seen) */
    struct cvz_object *objects; size_t nobjects;
    struct cvz_wake *wakes;     size_t nwakes;    /* sorted by t_to */
    struct cvz_mark *marks;     size_t nmarks;    /* sorted by t0 */
    struct cvz_cpu *cpus;       /* ncpu entries */

    uint64_t nevents;       /* events read */
    uint64_t lost_events;   /* sum of trace.lost counts */
    uint64_t broken;        /* broken sequences counted while deriving */
    bool truncated;         /* the file ended inside an event */
    struct cvz_diag *diags; size_t ndiags; /* at most CVZ_MAX_DIAGS kept, `broken` counts all */
    uint64_t unknown_events; /* events of unknown kind, counted and skipped */
};

#define CVZ_MAX_DIAGS 64

/* Load and derive a trace.  Returns NULL only when the file cannot be opened or holds no
 * event at all; `err` (may be NULL) then receives a message to free().  Otherwise everything
 * valid is loaded and problems are in trace->diags. */
struct cvz_trace *cvz_trace_load(const char *path, char **err);
/* The same from memory (fuzzing, tests); `name` is used in messages. */
struct cvz_trace *cvz_trace_load_buffer(const char *data, size_t len, const char *name, char **err);
void cvz_trace_free(struct cvz_trace *trace);

/* Index of the span of `thread` covering time t (binary search), or -1. */
ptrdiff_t cvz_span_at(const struct cvz_thread *thread, cvz_ns t);
/* First span index of `thread` with t1 > t (for iterating a visible range). */
size_t cvz_span_lower(const struct cvz_thread *thread, cvz_ns t);
/* Index of the thread with that pid/tid, or -1. */
int32_t cvz_thread_find(const struct cvz_trace *trace, int32_t pid, int32_t tid);
/* Index of the object called `name`, or -1. */
int32_t cvz_object_find(const struct cvz_trace *trace, const char *name);

/* Time formatting shared by the viewer and the report: "12.3 ms", "950 ns". */
char *cvz_format_ns(cvz_ns ns, char *buf, size_t len);
/* Parse "1.5ms", "200us", "3s", "42" (ns); returns false on bad input. */
bool cvz_parse_ns(const char *text, cvz_ns *out);

#endif
