/* cvz_tracer.h - the interface between the tracer's core (buffers, clock, collector, scheduler
 * source, process lifecycle) and its wrappers (one file per family of interposed functions).
 *
 * DESIGN: the wrappers know nothing of buffers or JSON; they call cvz_rec() with a fixed-size
 * binary record, which the core puts in the calling thread's ring (a MAP_SHARED file, so what
 * was recorded survives a crash or SIGKILL).  A collector thread turns records into JSON lines.
 * Events that carry strings (names, paths, command lines) go through cvz_rec_str().
 * Everything here is async-signal-safe unless said otherwise, and never blocks the program.
 */
#ifndef CVZ_TRACER_H
#define CVZ_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cvz_model.h" /* enum cvz_event_kind, cvz_ns */

/* A binary record, as wrappers hand it to the core.  The meaning of a/b/c per kind is fixed by
 * the writer in core (see writer.c's table); wrappers fill it through the helpers below. */
struct cvz_record {
    uint64_t ts;    /* CLOCK_MONOTONIC ns */
    uint16_t kind;  /* enum cvz_event_kind */
    uint16_t sub;   /* kind-specific small value (object kind, reason, result, mode) */
    int32_t tid;
    uint64_t obj;   /* object address, fd, or target */
    uint64_t a, b, c;
};

/* ---- provided by the core -------------------------------------------------------------- */

/* Current time, CLOCK_MONOTONIC ns (cheap: vDSO or calibrated TSC). */
uint64_t cvz_now(void);
/* This thread's kernel tid (cached in TLS). */
pid_t cvz_tid(void);
/* True once the core is initialised and tracing is on for this process. */
bool cvz_active(void);

/* Record one event for the calling thread.  Never blocks; when the ring is full the event is
 * counted as lost. */
void cvz_rec(uint16_t kind, uint16_t sub, uint64_t ts, uint64_t obj, uint64_t a, uint64_t b,
             uint64_t c);
/* Record an event with string arguments, already formatted as the inside of a JSON "args"
 * object (e.g. "\"name\":\"worker\""), for rare events (names, exec, declare). */
void cvz_rec_str(uint16_t kind, uint64_t ts, const char *args_json);

/* Recursion guard (initial-exec TLS): a wrapper records only when cvz_enter() returned true,
 * and calls cvz_leave() after. Calls made by the tracer itself, or inside another wrapper's
 * recording, pass straight through. */
bool cvz_enter(void);
void cvz_leave(void);

/* Process lifecycle hooks the wrappers call. */
void cvz_fork_prepare(void);         /* in the parent, before fork */
void cvz_fork_parent(pid_t child);   /* in the parent, after fork */
void cvz_fork_child(void);           /* in the child, after fork: fresh rings and perf fds */
void cvz_before_exec(const char *path, char *const argv[]); /* flush; records process.exec */
void cvz_exec_failed(void);          /* execve returned: resume */
void cvz_process_exit(int status, int signal, const char *how); /* flush everything, once */
void cvz_thread_started(pid_t parent_tid); /* first thing in a new thread */
void cvz_thread_exiting(void);       /* last thing in a thread: records, releases its ring */

/* ---- provided by the wrappers ---------------------------------------------------------- */

/* Resolve every real_* pointer (called once by the core's constructor, and lazily). */
void cvz_wrappers_init(void);
/* Name of the object at `addr` in this process: a symbol from .symtab/.dynsym, "GIL", or
 * NULL when unknown (then the core names it by first user).  Not async-signal-safe: called
 * by the collector only. */
const char *cvz_symbolize(uint64_t addr, char *buf, size_t len);

/* ---- provided by tracer/lttng/ when built with LTTng-UST (weak in the core) ----------- */

/* Called once per process by the core when CONVIZ_LTTNG is "1" (JSON and LTTng) or "only".
 * Returns false, after saying why on stderr once, when no session daemon answers. */
bool cvz_lttng_init(void);
/* Every record (and string event) is passed here too while LTTng output is on. */
void cvz_lttng_emit(const struct cvz_record *rec, const char *args_json);

#endif
