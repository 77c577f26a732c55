/* cvz_core.h - internals shared by the tracer core's files (core.c, sched.c, lifecycle.c); the
 * wrappers use only cvz_tracer.h.
 */
#ifndef CVZ_CORE_H
#define CVZ_CORE_H

#include <stdbool.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "cvz_spool.h"
#include "cvz_tracer.h"

#define CVZ_TLS __thread __attribute__((tls_model("initial-exec")))

enum cvz_sched_kind { CVZ_SCHED_KIND_NONE = 0, CVZ_SCHED_KIND_PERF, CVZ_SCHED_KIND_PROC };

struct cvz_settings {
    char out[4096];     /* output JSON path */
    char ringdir[4200]; /* <out>.d */
    int sched_wanted;   /* -1 = auto (perf, then proc, then none) */
    uint64_t buffer;    /* bytes per thread ring */
    uint32_t nslots;
    bool follow;
    int root_pid;
    int lttng; /* 0 off, 1 JSON + LTTng, 2 LTTng only */
    bool quiet;
    bool keep_rings; /* under `conviz record`: leave drained ring files for its summary */
};

extern struct cvz_settings cvz_cfg;
extern volatile int cvz_pid; /* this process image's pid */
extern int cvz_sched;        /* enum cvz_sched_kind in use */
extern struct cvz_ring_header *cvz_hdr;
extern int cvz_out_fd;

/* Move a tracer fd out of the program's usual range (>= 700, close-on-exec): the program's
 * open() returns the numbers it would get untraced, and a program that closes and reuses low
 * fds never gets our lines written into its files. */
int cvz_high_fd(int fd);
/* cvz_owns_fd() is in cvz_tracer.h (the close wrappers use it). */
void cvz_close_own(int fd);

/* Raw syscalls, so that the tracer's own I/O never goes through the wrappers. */
long cvz_sys_write(int fd, const void *buf, size_t len);

/* Tracer-internal state of the calling thread: set for the collector, and while the core runs
 * code that may call wrapped functions. */
void cvz_internal_enter(void);
void cvz_internal_leave(void);

/* The drain lock serialises the collector, exec, fork and exit paths. try: bounded wait. */
bool cvz_drain_lock(int max_ms);
void cvz_drain_unlock(void);
/* Drain every ring and the scheduler source into the output (caller holds the drain lock). */
void cvz_drain_all(bool final);

/* sched.c: scheduler sources, called by the core (collector side). */
bool cvz_perf_open(void);  /* open per-CPU events; false when perf is not available */
void cvz_perf_close(void); /* unmap and close (fork child, exit) */
int cvz_perf_pollfds(struct pollfd *fds, int max);
/* final: the image's last drain; closes the runs still open, then discards later records */
void cvz_perf_drain(struct cvz_obuf *o, bool final);
void cvz_perf_resume(void); /* exec failed: record again after a final drain */
void cvz_proc_sample(struct cvz_obuf *o);
void cvz_proc_reset(void);

/* core.c: record with an explicit tid (thread.create written by the child for its creator). */
void cvz_rec_as(int tid, uint16_t kind, uint16_t sub, uint64_t ts, uint64_t obj, uint64_t a,
                uint64_t b, uint64_t c);
/* Untraced threads record nothing: liblttng-ust's (named "*-ust"; discard: drop what it
 * recorded and nobody wrote yet), threads created by an untraced or tracer-internal thread,
 * and the exiting thread after process.exit. */
bool cvz_untraced(void);
void cvz_set_untraced(bool discard);
bool cvz_untraced_tid(int tid); /* for the scheduler source */
/* Exec bookkeeping: flush for the new image, resume if exec failed. */
bool cvz_in_vfork_child(void);
void cvz_tls_reset_after_fork(void);

/* clock.c: cvz_now() from the TSC when reliable; the collector re-anchors it every round. */
void cvz_clock_init(uint64_t hint_mult, const char *mode); /* hint: a known slope, or 0 */
void cvz_clock_adjust(void);
uint64_t cvz_clock_mult(void); /* the slope now (0: clock_gettime is used) */

/* lifecycle.c */
void cvz_lifecycle_init(void);       /* fatal-signal handlers, on_exit */
void cvz_lifecycle_fork_child(void); /* reset locks a vanished thread may have held */

#endif
