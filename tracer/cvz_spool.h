/* cvz_spool.h - the ring file (one per traced process image) and the record -> JSON line writer,
 * shared by libconviz.so (which fills and drains ring files) and `conviz record`/`conviz finish`
 * (which recover what a killed process left in its ring file and close the trace).
 *
 * DESIGN: a ring file `<trace>.d/ring-<pid>` is a MAP_SHARED file: a header page (pid, counters,
 * flags), a table of slots (one per thread that recorded: tid, head, tail, state) and the slots'
 * record arrays.  A thread writes records at `head` and release-stores it; the collector (or the
 * finisher, after the process died) formats records from `tail` to `head` and release-stores
 * `tail`.  Because the file is shared and file-backed, records survive SIGKILL.  Nothing here
 * allocates or uses stdio, except the finisher (cvz_spool_finish), which runs in `conviz`.
 */
#ifndef CVZ_SPOOL_H
#define CVZ_SPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cvz_tracer.h"

#define CVZ_RING_MAGIC    0x31474e52205a5643ULL /* "CVZ RNG1" little-endian */
#define CVZ_RING_VERSION  1
#define CVZ_RING_HDR_SIZE 4096

/* header flags */
#define CVZ_RF_EXITED   0x1 /* process.exit is recorded (nothing more to say for this image) */
#define CVZ_RF_FINISHED 0x2 /* fully drained at a clean exit: the finisher only counts it */
#define CVZ_RF_EXEC     0x4 /* the image exec'd: its successor drains what is left */

/* slot states */
enum { CVZ_SLOT_FREE = 0, CVZ_SLOT_USED, CVZ_SLOT_EXITED };

/* lost-event reasons (sub of a LOST record); "write": the trace's disk did not take it (full,
 * file-size limit), either as a JSON line or as room in the ring file */
enum { CVZ_LOST_RING_FULL = 0, CVZ_LOST_NO_RING, CVZ_LOST_PERF, CVZ_LOST_WRITE, CVZ_LOST__COUNT };

/* RUNNING "out" (sub of a RUNNING record) */
enum { CVZ_OUT_PREEMPT = 0, CVZ_OUT_BLOCK, CVZ_OUT_EXIT, CVZ_OUT_OPEN };

struct cvz_ring_header {
    uint64_t magic;
    uint32_t version;
    uint32_t nslots;       /* slots in the table */
    uint32_t slot_records; /* records per slot, a power of two */
    int32_t pid, ppid;
    uint32_t pad0;
    uint64_t slots_offset; /* file offset of the slot table */
    uint64_t data_offset;  /* file offset of slot 0's records; slot i at + i * slot_records */
    uint64_t file_size;
    uint64_t start_ns;
    _Atomic uint64_t last_ns; /* last time the collector ran (for a "killed" exit time) */
    _Atomic uint64_t lines;   /* JSON lines this image wrote to the trace */
    _Atomic uint64_t lost[CVZ_LOST__COUNT];     /* no_ring, perf, write (ring_full: per slot) */
    _Atomic uint64_t reported[CVZ_LOST__COUNT]; /* already written as trace.lost lines */
    _Atomic uint32_t threads;                   /* threads that got a slot */
    _Atomic uint32_t flags;                     /* CVZ_RF_* */
    char sched[8];                              /* "perf", "proc", "none" */
    char prog[64];                              /* executable base name */
    _Atomic uint64_t tsc_mult; /* TSC -> ns slope (clock.c), for processes this one starts */
};

struct cvz_slot {
    _Atomic uint32_t state; /* CVZ_SLOT_* */
    int32_t tid;
    _Atomic uint64_t head;       /* records written (monotonic over the slot's life) */
    _Atomic uint64_t tail;       /* records drained */
    _Atomic uint64_t lost;       /* records dropped because the ring was full */
    _Atomic uint64_t skip_below; /* records before this position are not to be written (the
                                    thread turned out to be liblttng-ust's, see core.c) */
    _Atomic uint64_t reserved;   /* records from the slot's start with disk blocks allocated
                                    (fallocate), so that writing them cannot SIGBUS */
    uint64_t pad[2];
};

/* An output buffer of whole JSON lines, appended to `fd` (O_APPEND) one write() per flush. */
struct cvz_obuf {
    char *buf;
    size_t len, cap;
    int fd;
    uint64_t lines; /* lines formatted since creation */
    /* lines a failed write() dropped (disk full, file size limit) are added here (NULL: not
     * counted); a trace must not claim "0 lost" when lines never reached it */
    _Atomic uint64_t *dropped;
};

/* Longest line cvz_format_record() writes. */
#define CVZ_LINE_MAX 512

static inline struct cvz_slot *cvz_ring_slots(struct cvz_ring_header *h)
{
    return (struct cvz_slot *)((char *)h + h->slots_offset);
}
static inline struct cvz_record *cvz_ring_data(struct cvz_ring_header *h, uint32_t i)
{
    return (struct cvz_record *)((char *)h + h->data_offset) + (uint64_t)i * h->slot_records;
}

/* Format one binary record as a JSON line ("{...},\n") of process `pid` into `out` (at least
 * CVZ_LINE_MAX bytes).  Returns the length. */
size_t cvz_format_record(char *out, const struct cvz_record *rec, int pid);
/* Format the line of a string event: args_json is the inside of "args". Writes at most `cap`
 * bytes of the fixed parts (prefix in `pre`, suffix in `post`) so that the caller can writev()
 * prefix, args, suffix as one line. */
size_t cvz_format_str_prefix(char *pre, uint16_t kind, uint64_t ts, int pid, int tid);
extern const char cvz_str_suffix[]; /* "}},\n" */

/* Async-signal-safe helpers used by both sides. */
void cvz_obuf_flush(struct cvz_obuf *o);
/* Would `len` more bytes keep the file of fd within the file-size limit (ulimit -f)?  Past it,
 * a write is a SIGXFSZ, which kills the writer by default: such lines are dropped instead. */
bool cvz_out_fits(int fd, size_t len);
void cvz_obuf_record(struct cvz_obuf *o, const struct cvz_record *rec, int pid);
/* Drain slot `i` of a ring file into `o` (formatting up to `max` records, 0 = all). Returns the
 * number of records formatted. */
uint64_t cvz_ring_drain_slot(struct cvz_ring_header *h, uint32_t i, struct cvz_obuf *o,
                             uint64_t max);
/* Write trace.lost lines for lost counts not reported yet (tid = the process's pid). */
void cvz_ring_report_lost(struct cvz_ring_header *h, struct cvz_obuf *o, uint64_t ts);
/* Total lost events of a ring file. */
uint64_t cvz_ring_lost_total(struct cvz_ring_header *h);

/* Small formatting helpers (no stdio). Each returns the new end pointer. */
char *cvz_fmt_str(char *p, const char *s);
char *cvz_fmt_u64(char *p, uint64_t v);
char *cvz_fmt_i64(char *p, int64_t v);
char *cvz_fmt_hex(char *p, uint64_t v);
char *cvz_fmt_ts(char *p, uint64_t ns); /* microseconds with three decimals */
/* JSON string body escaping (no quotes added); writes at most cap-1 bytes plus NUL-free output;
 * returns the end pointer. */
char *cvz_fmt_json_escaped(char *p, size_t cap, const char *s, size_t len);

/* ---- finishing a trace (conviz record / conviz finish; not for the preload library) ------ */

struct cvz_finish_stats {
    unsigned processes; /* distinct pids with a ring file */
    unsigned images;    /* ring files */
    unsigned threads;
    uint64_t events;
    uint64_t lost;
    uint64_t recovered; /* records recovered from ring files of processes that died */
    unsigned killed;    /* images that never recorded process.exit */
    unsigned running;   /* images whose process still runs: left alone */
    char sched[8];      /* scheduler source of the first process */
};

/* Recover what ring files in `<trace>.d/` still hold, write process.exit how=killed for images
 * that died without a word (for `top_pid`, with the signal/status from `top_wstatus` when
 * top_wstatus >= 0), close the JSON array, and remove the ring files.  Returns 0, or -1 with a
 * message in `err`. */
int cvz_spool_finish(const char *trace, int top_pid, int top_wstatus, struct cvz_finish_stats *st,
                     char *err, size_t errlen);
/* Close the JSON array of the trace open on fd: a final ",\n" becomes "\n]\n" (strict JSON). */
void cvz_spool_close_array(int fd);

#endif
