/* cvz_internal.h - what the reader hands to the derivation: compact raw events.  Not installed,
 * not part of the contract (cvz_model.h is).
 *
 * DESIGN: a raw event is 40 bytes whatever its kind; the few arguments each kind needs are
 * packed into the same fields (table below).  Rare events that carry strings or many numbers
 * (process.start, names, object.declare, marks, foreign slices) keep them in a side array of
 * `struct cvz_extra`, referenced by `b`.  Raw events are freed once the model is derived.
 *
 *   kind            obj            a             b          sub          sub2   flags
 *   PROCESS_/THREAD_NAME           -             extra
 *   PROCESS_START   -              -             extra      via
 *   LOST            -              count
 *   PROCESS_FORK    child pid
 *   PROCESS_EXEC                                 extra
 *   PROCESS_SPAWN   child pid                    extra
 *   PROCESS_EXIT                   status        signal     how
 *   THREAD_CREATE   child tid      THREAD_START parent tid  THREAD_DETACH target
 *   RUNNING         -              dur ns        cpu        out
 *   SCHED_SAMPLE    run_delay_ns   runtime_ns    cpu        state letter
 *   OBJ_DECLARE     addr                         extra      obj kind
 *   OBJ_DESTROY, COND_SIGNAL/BROADCAST, BARRIER_WAIT: addr
 *   LOCK_REQUEST    addr                                                        mode
 *   LOCK_ACQUIRE    addr           wait_ns       count|-1   res          depth  mode
 *   LOCK_RELEASE    addr           hold_ns       count|-1                depth  mode
 *   COND_WAIT       cond           mutex                    timed
 *   COND_WAKE       cond           mutex                    res
 *   BARRIER_LEAVE   addr                                    serial
 *   BLOCK_BEGIN     inode          target/fd/ns  fd         reason       fnclass
 *   BLOCK_END       target         res           status     reason       fnclass
 *   USER_MARK/BEGIN                              extra|-1
 *   CORO_SWITCH     to                           extra|-1
 *   FOREIGN         -              dur ns        extra      phase char
 */
#ifndef CVZ_INTERNAL_H
#define CVZ_INTERNAL_H

#include "cvz_model.h"

struct cvz_raw {
    cvz_ns ts;
    uint64_t obj;
    int64_t a;
    int32_t pid, tid;
    int32_t b;
    uint8_t kind, sub, sub2, flags;
};

#define CVZ_RAW_MODE_R  1 /* flags: shared (reader) mode */
#define CVZ_RAW_HAS_REQ 2 /* flags: internal, unused by the reader */

enum { CVZ_FN_OTHER = 0, CVZ_FN_READ = 1, CVZ_FN_WRITE = 2 }; /* block.* fn class */
enum { CVZ_OUT_PREEMPT = 0, CVZ_OUT_BLOCK, CVZ_OUT_EXIT, CVZ_OUT_OPEN, CVZ_OUT_UNKNOWN };
enum { CVZ_VIA_START = 0, CVZ_VIA_FORK, CVZ_VIA_EXEC };

struct cvz_extra {
    char *s1, *s2; /* name/cmdline/path/text, shared key/exe/argv */
    int64_t n[6];  /* process.start: ppid ncpu sched version mono_ns real_ns */
};

/* What the reader produced: raw events in file order plus counters and diagnostics. */
struct cvz_raw_set {
    struct cvz_raw *raw;
    size_t nraw, capraw;
    /* Raw events live in one anonymous MAP_NORESERVE mapping sized for the most events the
     * text can hold (so they never move or get copied); with two parsers, the second half
     * starts at a fixed index: logical index i is raw[i] below nraw0, raw[i + gap] above. */
    size_t nraw0, gap;
    size_t map_bytes; /* the mapping's size, 0 when `raw` is malloc'ed */
    /* Time order: order[k] lists segment k's events (indexes within the segment) sorted by ts,
     * stable; NULL when the segment is in order already.  Segment 0 is [0, nraw0). */
    uint32_t *order[2];
    bool fixed; /* capraw is a hard bound (a slice of the mapping) */
    struct cvz_extra *extras;
    size_t nextras, capextras;
    uint64_t nunknown;
    bool saw_cvz, saw_foreign;
};

int cvz_event_kind_from_name_len(const char *name, size_t len);

static inline struct cvz_raw *cvz_raw_at(const struct cvz_raw_set *s, size_t i)
{
    return &s->raw[i < s->nraw0 ? i : i + s->gap];
}

/* Give back the raw events' memory (cvz_reader.c). */
void cvz_raw_release(struct cvz_raw_set *s);

/* cvz_derive.c: turn the raw events into the model; frees the raw arrays (not the strings
 * it moved into the model). */
void cvz_derive(struct cvz_trace *trace, struct cvz_raw_set *set);

/* Diagnostics (cvz_reader.c): kept up to CVZ_MAX_DIAGS, the rest only counted. */
void cvz_diag_add(struct cvz_trace *trace, int64_t offset, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
