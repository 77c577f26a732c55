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

/* A binary record, as wrappers hand it to the core.  Records must be self-contained (no
 * pointers): `conviz record` may turn them into JSON from the ring file after the process died.
 *
 * Field use per kind (anything not listed is 0). `sub` flags: CVZ_SUB_*.
 *   LOCK_REQUEST   obj=addr  sub=mode flag
 *   LOCK_ACQUIRE   obj=addr  sub=res (enum cvz_acq_result) | mode flag | count flag
 *                  a=wait_ns b=depth c=count (semaphore value, when the count flag is set)
 *   LOCK_RELEASE   obj=addr  sub=mode flag | count flag  a=hold_ns b=depth c=count
 *   COND_WAIT      obj=cond  a=mutex b=timed(0/1)
 *   COND_WAKE      obj=cond  a=mutex sub=res (enum cvz_acq_result: OK, TIMEOUT, ERROR)
 *   COND_SIGNAL, COND_BROADCAST, BARRIER_WAIT, OBJ_DESTROY   obj=addr
 *   BARRIER_LEAVE  obj=addr  a=serial(0/1)
 *   BLOCK_BEGIN    sub=reason (enum cvz_reason) obj=fd, or target tid/pid (join/child)
 *                  a=function id (enum cvz_fn, cvz_fn.def) b=fd kind (enum cvz_fd_kind)
 *                  c=inode (pipe/socket) or requested sleep ns
 *   BLOCK_END      sub=reason obj=target joined/reaped (0 if none) a=function id
 *                  b=return value (int64) c=status (wait status / join)
 *   THREAD_CREATE  obj=child tid      THREAD_START obj=parent tid     THREAD_EXIT  -
 *   THREAD_DETACH  obj=target tid     PROCESS_FORK obj=child pid
 *   PROCESS_EXIT   a=status b=signal sub=how (enum cvz_exit_how)
 *   USER_END       -                  CORO_SWITCH obj=coroutine id (name: a string event first)
 * String events (cvz_rec_str): PROCESS_NAME, THREAD_NAME, PROCESS_START, PROCESS_EXEC,
 * PROCESS_SPAWN, OBJ_DECLARE (the wrappers name the object at its first use), USER_MARK,
 * USER_BEGIN, CORO_SWITCH with a name.  RUNNING, SCHED_SAMPLE and LOST come from the core. */
#define CVZ_SUB_RES_MASK 0x000f
#define CVZ_SUB_SHARED   0x0010 /* mode "r" (rwlock read); absent = "w" */
#define CVZ_SUB_COUNT    0x0020 /* c holds a semaphore count */

enum cvz_fd_kind { CVZ_FD_NONE = 0, CVZ_FD_PIPE, CVZ_FD_SOCKET, CVZ_FD_FILE, CVZ_FD_TTY, CVZ_FD_OTHER };
enum cvz_exit_how { CVZ_EXIT_EXIT = 0, CVZ_EXIT__EXIT, CVZ_EXIT_SIGNAL, CVZ_EXIT_KILLED };

/* Function ids for block.begin/end ("fn"): tracer/cvz_fn.def lists CVZ_FN(name), one per
 * wrapped blocking function; the writer prints the name. */
enum cvz_fn {
#define CVZ_FN(name) CVZ_FN_##name,
#include "cvz_fn.def"
#undef CVZ_FN
    CVZ_FN__COUNT
};
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
/* The same, read only once everything before it completed: for a stamp right after a lock
 * was taken, which must not come before that (nor before the previous holder's release). */
uint64_t cvz_now_ordered(void);
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

/* Is fd one the tracer keeps open (trace output, wake eventfd, perf events)?  The close
 * wrappers skip these, so that a program that closes every fd it did not open itself (a
 * daemon, closefrom(3), close_range) does not end its own trace. */
bool cvz_owns_fd(int fd);

/* Process lifecycle hooks the wrappers call. */
void cvz_fork_prepare(void);         /* in the parent, before fork */
void cvz_fork_parent(pid_t child);   /* in the parent, after fork */
void cvz_fork_child(void);           /* in the child, after fork: fresh rings and perf fds */
void cvz_before_exec(const char *path, char *const argv[]); /* flush; records process.exec */
void cvz_exec_failed(void);          /* execve returned: resume */
void cvz_process_exit(int status, int signal, const char *how); /* flush everything, once */
void cvz_thread_started(pid_t parent_tid); /* first thing in a new thread */
void cvz_thread_exiting(void);       /* last thing in a thread: records, releases its ring */

/* Added for the wrappers (additive; the wrappers carry weak fallbacks, so the core may leave
 * them out).  cvz_tid_of: kernel tid of the thread `th` (a pthread_t) while it is joinable,
 * 0 when unknown; the core's pthread_create wrapper knows it, and must forget it when the
 * thread is joined or detached (glibc reuses a joined thread's pthread_t at once).  The
 * fallback reads glibc's struct pthread, which is right only while the thread still runs.
 * cvz_rec_str_tid: cvz_rec_str for another thread of this process (pthread_setname_np(other)).
 * The fallback records on the calling thread with an extra "tid" key. */
pid_t cvz_tid_of(unsigned long th);
void cvz_rec_str_tid(uint16_t kind, uint64_t ts, pid_t tid, const char *args_json);
/* Is LTTng output on (events then carry an object's name inline, from its object.declare)? */
bool cvz_lttng_on(void);

/* ---- provided by the wrappers ---------------------------------------------------------- */

/* Resolve every real_* pointer (called once by the core's constructor, and lazily). */
void cvz_wrappers_init(void);
/* Name of the object at `addr` in this process: a symbol from .symtab/.dynsym, "GIL", or
 * NULL when unknown (then the core names it by first user).  Not async-signal-safe: called
 * by the collector only. */
const char *cvz_symbolize(uint64_t addr, char *buf, size_t len);

/* ---- provided by libconviz-lttng.so (tracer/lttng/), which the core dlopen()s from its own
 * directory only when CONVIZ_LTTNG is set, so that programs traced to JSON never load
 * liblttng-ust (it starts threads of its own). ------------------------------------------- */

/* Called once per process by the core when CONVIZ_LTTNG is "1" (JSON and LTTng) or "only".
 * Returns false, after saying why on stderr once, when no session daemon answers. */
bool cvz_lttng_init(void);
/* Every record (and string event) is passed here too while LTTng output is on. */
void cvz_lttng_emit(const struct cvz_record *rec, const char *args_json);

#endif
