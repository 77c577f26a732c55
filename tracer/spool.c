/* spool.c - binary records -> JSON lines (docs/trace-format.md), ring draining, and the
 * finisher that closes a trace after the traced processes ended (`conviz record`/`finish`).
 *
 * DESIGN: the formatting half is async-signal-safe (no malloc, no stdio, raw write()), because
 * the preload library drains rings from exit paths and fatal-signal handlers.  Event names
 * and phases come from model/cvz_events.def through the X-macro, so this file needs nothing of
 * the model library at link time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cvz_spool.h"

static const char *const ev_names[CVZ_EV__COUNT] = {
#define CVZ_EVENT(id, name, ph, args) name,
#include "cvz_events.def"
#undef CVZ_EVENT
};
static const char *const ev_phases[CVZ_EV__COUNT] = {
#define CVZ_EVENT(id, name, ph, args) ph,
#include "cvz_events.def"
#undef CVZ_EVENT
};
static const char *const fn_names[CVZ_FN__COUNT] = {
#define CVZ_FN(name) #name,
#include "cvz_fn.def"
#undef CVZ_FN
};
/* Same order as enum cvz_reason in cvz_model.h. */
static const char *const reason_names[] = {"none", "lock",  "condvar", "sem",   "barrier",
                                           "join", "sleep", "io",      "child", "other"};
static const char *const acq_names[] = {"ok", "busy", "timeout", "eintr", "error"};
static const char *const fdkind_names[] = {"other", "pipe", "socket", "file", "tty", "other"};
static const char *const how_names[] = {"exit", "_exit", "signal", "killed"};
static const char *const out_names[] = {"preempt", "block", "exit", "open"};
static const char *const lost_names[] = {"ring_full", "no_ring", "perf", "write"};
const char cvz_str_suffix[] = "}},\n";

#define NAME_OF(table, i) ((size_t)(i) < sizeof(table) / sizeof(table[0]) ? table[i] : "unknown")

/* ---- small formatters ------------------------------------------------------------------- */

char *cvz_fmt_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

char *cvz_fmt_u64(char *p, uint64_t v)
{
    char tmp[24];
    char *t = tmp + sizeof tmp;
    while (v >= 100) { /* two digits per division: the collector formats millions of these */
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--t = digit_pairs[d + 1];
        *--t = digit_pairs[d];
    }
    if (v >= 10) {
        *--t = digit_pairs[v * 2 + 1];
        *--t = digit_pairs[v * 2];
    } else {
        *--t = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(p, t, n);
    return p + n;
}

char *cvz_fmt_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return cvz_fmt_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return cvz_fmt_u64(p, (uint64_t)v);
}

char *cvz_fmt_hex(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    *p++ = '0';
    *p++ = 'x';
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *cvz_fmt_ts(char *p, uint64_t ns)
{
    p = cvz_fmt_u64(p, ns / 1000);
    unsigned frac = (unsigned)(ns % 1000);
    p[0] = '.';
    p[1] = (char)('0' + frac / 100);
    p[2] = digit_pairs[(frac % 100) * 2];
    p[3] = digit_pairs[(frac % 100) * 2 + 1];
    return p + 4;
}

char *cvz_fmt_json_escaped(char *p, size_t cap, const char *s, size_t len)
{
    char *end = p + cap;
    for (size_t i = 0; i < len && end - p > 7; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            p = cvz_fmt_str(p, "\\u00");
            *p++ = "0123456789abcdef"[c >> 4];
            *p++ = "0123456789abcdef"[c & 15];
        } else {
            *p++ = (char)c; /* UTF-8 passes through; invalid bytes are the reader's problem */
        }
    }
    return p;
}

/* ---- records -> JSON -------------------------------------------------------------------- */

/* Keys are string literals: copy them with a length known at compile time. */
#define LIT(p, s)      (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)
#define key(p, k)      LIT((p), ",\"" k "\":")
#define key_u(p, k, v) cvz_fmt_u64(key(p, k), (v))
#define key_i(p, k, v) cvz_fmt_i64(key(p, k), (v))
static char *put_quoted(char *p, const char *v)
{
    *p++ = '"';
    p = cvz_fmt_str(p, v);
    *p++ = '"';
    return p;
}
#define key_s(p, k, v) put_quoted(key(p, k), (v))
static char *put_hex(char *p, uint64_t v)
{
    *p++ = '"';
    p = cvz_fmt_hex(p, v);
    *p++ = '"';
    return p;
}
#define key_hex(p, k, v) put_hex(key(p, k), (v))

/* `{"ph":..,"name":..,"cat":..,"pid":` per kind, built once (the collector's hot path). */
static char prefix_text[CVZ_EV__COUNT][96];
static uint8_t prefix_len[CVZ_EV__COUNT];
static _Atomic int prefix_ready;

static void prefix_build(void)
{
    for (int kind = 0; kind < CVZ_EV__COUNT; kind++) {
        const char *ph = ev_phases[kind];
        char *p = prefix_text[kind];
        p = cvz_fmt_str(p, "{\"ph\":\"");
        p = cvz_fmt_str(p, ph);
        p = cvz_fmt_str(p, ph[0] == 'i' ? "\",\"s\":\"t\",\"name\":\"" : "\",\"name\":\"");
        p = cvz_fmt_str(p, ev_names[kind]);
        if (ph[0] == 'M')
            p = cvz_fmt_str(p, "\"");
        else
            p = cvz_fmt_str(p, kind == CVZ_EV_RUNNING ? "\",\"cat\":\"cvz.sched\""
                                                      : "\",\"cat\":\"cvz\"");
        p = cvz_fmt_str(p, ",\"pid\":");
        prefix_len[kind] = (uint8_t)(p - prefix_text[kind]);
    }
    atomic_store_explicit(&prefix_ready, 1, memory_order_release);
}

static char *line_prefix(char *p, uint16_t kind, uint64_t ts, int pid, int tid)
{
    if (!atomic_load_explicit(&prefix_ready, memory_order_acquire)) prefix_build();
    if (kind >= CVZ_EV__COUNT) kind = CVZ_EV_LOST; /* never written: records are checked */
    memcpy(p, prefix_text[kind], prefix_len[kind]);
    p += prefix_len[kind];
    p = cvz_fmt_i64(p, pid);
    p = LIT(p, ",\"tid\":");
    p = cvz_fmt_i64(p, tid);
    p = LIT(p, ",\"ts\":");
    return cvz_fmt_ts(p, ts);
}

size_t cvz_format_str_prefix(char *pre, uint16_t kind, uint64_t ts, int pid, int tid)
{
    char *p = line_prefix(pre, kind, ts, pid, tid);
    p = cvz_fmt_str(p, ",\"args\":{");
    return (size_t)(p - pre);
}

static char *mode_res(char *p, const struct cvz_record *r, bool with_res)
{
    p = key_hex(p, "obj", r->obj);
    p = key_s(p, "mode", (r->sub & CVZ_SUB_SHARED) ? "r" : "w");
    if (with_res) p = key_s(p, "res", NAME_OF(acq_names, r->sub & CVZ_SUB_RES_MASK));
    return p;
}

size_t cvz_format_record(char *out, const struct cvz_record *r, int pid)
{
    char *p = line_prefix(out, r->kind, r->ts, pid, r->tid);
    if (r->kind == CVZ_EV_RUNNING) {
        p = LIT(p, ",\"dur\":");
        p = cvz_fmt_ts(p, r->b);
    }
    p = LIT(p, ",\"args\":{");
    char *args = p;
    switch (r->kind) {
    case CVZ_EV_LOCK_REQUEST:
        p = mode_res(p, r, false);
        break;
    case CVZ_EV_LOCK_ACQUIRE:
        p = mode_res(p, r, true);
        p = key_u(p, "wait_ns", r->a);
        p = key_i(p, "depth", (int64_t)r->b);
        if (r->sub & CVZ_SUB_COUNT) p = key_i(p, "count", (int64_t)r->c);
        break;
    case CVZ_EV_LOCK_RELEASE:
        p = mode_res(p, r, false);
        p = key_u(p, "hold_ns", r->a);
        p = key_i(p, "depth", (int64_t)r->b);
        if (r->sub & CVZ_SUB_COUNT) p = key_i(p, "count", (int64_t)r->c);
        break;
    case CVZ_EV_COND_WAIT:
        p = key_hex(p, "obj", r->obj);
        p = key_hex(p, "mutex", r->a);
        p = key_u(p, "timed", r->b);
        break;
    case CVZ_EV_COND_WAKE:
        p = key_hex(p, "obj", r->obj);
        p = key_hex(p, "mutex", r->a);
        p = key_s(p, "res", NAME_OF(acq_names, r->sub & CVZ_SUB_RES_MASK));
        break;
    case CVZ_EV_COND_SIGNAL:
    case CVZ_EV_COND_BROADCAST:
    case CVZ_EV_BARRIER_WAIT:
    case CVZ_EV_OBJ_DESTROY:
        p = key_hex(p, "obj", r->obj);
        break;
    case CVZ_EV_BARRIER_LEAVE:
        p = key_hex(p, "obj", r->obj);
        p = key_u(p, "serial", r->a);
        break;
    case CVZ_EV_BLOCK_BEGIN:
        p = key_s(p, "reason", NAME_OF(reason_names, r->sub));
        p = key_s(p, "fn", NAME_OF(fn_names, r->a));
        if (r->sub == CVZ_R_IO) {
            p = key_i(p, "fd", (int64_t)r->obj);
            p = key_s(p, "fdkind", NAME_OF(fdkind_names, r->b));
            if (r->c) p = key_u(p, "inode", r->c);
        } else if (r->sub == CVZ_R_JOIN || r->sub == CVZ_R_CHILD) {
            p = key_i(p, "target", (int64_t)r->obj);
        } else if (r->sub == CVZ_R_SLEEP) {
            p = key_u(p, "ns", r->c);
        }
        break;
    case CVZ_EV_BLOCK_END:
        p = key_s(p, "reason", NAME_OF(reason_names, r->sub));
        p = key_s(p, "fn", NAME_OF(fn_names, r->a));
        p = key_i(p, "res", (int64_t)r->b);
        if (r->sub == CVZ_R_JOIN || r->sub == CVZ_R_CHILD) {
            p = key_i(p, "target", (int64_t)r->obj);
            p = key_i(p, "status", (int64_t)r->c);
        }
        break;
    case CVZ_EV_THREAD_CREATE:
    case CVZ_EV_PROCESS_FORK:
        p = key_i(p, "child", (int64_t)r->obj);
        break;
    case CVZ_EV_THREAD_START:
        p = key_i(p, "parent", (int64_t)r->obj);
        break;
    case CVZ_EV_THREAD_DETACH:
        p = key_i(p, "target", (int64_t)r->obj);
        break;
    case CVZ_EV_PROCESS_EXIT:
        p = key_i(p, "status", (int32_t)r->a);
        p = key_i(p, "signal", (int64_t)r->b);
        p = key_s(p, "how", NAME_OF(how_names, r->sub));
        break;
    case CVZ_EV_CORO_SWITCH:
        p = key_u(p, "to", r->obj);
        break;
    case CVZ_EV_LOST:
        p = key_u(p, "count", r->a);
        p = key_s(p, "reason", NAME_OF(lost_names, r->sub));
        break;
    case CVZ_EV_RUNNING:
        p = key_u(p, "cpu", r->a);
        p = key_s(p, "out", NAME_OF(out_names, r->sub));
        break;
    case CVZ_EV_SCHED_SAMPLE: {
        char st[2] = {(char)(r->sub ? r->sub : '?'), 0};
        if (st[0] == '"' || st[0] == '\\' || (unsigned char)st[0] < 0x20) st[0] = '?';
        p = key_s(p, "state", st);
        p = key_u(p, "cpu", r->a);
        p = key_u(p, "run_delay_ns", r->b);
        p = key_u(p, "runtime_ns", r->c);
        break;
    }
    default: /* USER_END, THREAD_EXIT and kinds without binary arguments */
        break;
    }
    if (p > args && *args == ',') { /* drop the first key's comma */
        memmove(args, args + 1, (size_t)(p - args - 1));
        p--;
    }
    p = LIT(p, "}},\n");
    return (size_t)(p - out);
}

/* ---- output buffer and draining ------------------------------------------------------ */

/* The fd whose file a short write left ending inside a line (disk full): the next write to it
 * starts a new line, so that one line is lost rather than two.  Writes to it are serialised
 * (the drain lock, or the finisher alone). */
static _Atomic int cut_fd = -1;

bool cvz_out_fits(int fd, size_t len)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return true;
    struct stat st;
    return fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
           (uint64_t)st.st_size + len <= (uint64_t)rl.rlim_cur;
}

void cvz_obuf_flush(struct cvz_obuf *o)
{
    size_t off = 0;
    /* Past the file-size limit a write is a SIGXFSZ, which kills the writer by default: the
     * whole buffer is dropped instead (one line break of a cut line included). */
    bool fits = o->len && cvz_out_fits(o->fd, o->len + 1);
    if (fits && atomic_load_explicit(&cut_fd, memory_order_relaxed) == o->fd &&
        syscall(SYS_write, o->fd, "\n", 1) == 1)
        atomic_store_explicit(&cut_fd, -1, memory_order_relaxed);
    while (fits && off < o->len) {
        long n = syscall(SYS_write, o->fd, o->buf + off, o->len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* disk full or closed: drop, never block the program */
        off += (size_t)n;
    }
    if (off > 0 && off < o->len && o->buf[off - 1] != '\n')
        atomic_store_explicit(&cut_fd, o->fd, memory_order_relaxed);
    if (off < o->len && o->dropped) {
        uint64_t lines = 0; /* a line cut by a short write is lost too */
        for (size_t i = off; i < o->len; i++)
            lines += o->buf[i] == '\n';
        atomic_fetch_add_explicit(o->dropped, lines, memory_order_relaxed);
        o->lines = o->lines > lines ? o->lines - lines : 0;
    }
    o->len = 0;
}

void cvz_obuf_record(struct cvz_obuf *o, const struct cvz_record *rec, int pid)
{
    if (o->cap - o->len < CVZ_LINE_MAX) cvz_obuf_flush(o);
    o->len += cvz_format_record(o->buf + o->len, rec, pid);
    o->lines++;
}

uint64_t cvz_ring_drain_slot(struct cvz_ring_header *h, uint32_t i, struct cvz_obuf *o,
                             uint64_t max)
{
    struct cvz_slot *s = &cvz_ring_slots(h)[i];
    uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
    uint64_t cap = h->slot_records;
    if (head - tail > cap) tail = head - cap; /* cannot happen with a sane writer */
    if (max && head - tail > max) head = tail + max;
    struct cvz_record *data = cvz_ring_data(h, i);
    uint64_t skip = atomic_load_explicit(&s->skip_below, memory_order_acquire);
    uint64_t n = 0;
    for (uint64_t pos = tail; pos != head; pos++, n++) {
        if (pos < skip) continue;
        struct cvz_record rec = data[pos & (cap - 1)];
        if (rec.kind >= CVZ_EV__COUNT) continue; /* torn or garbage record (crash): skip */
        cvz_obuf_record(o, &rec, h->pid);
    }
    atomic_store_explicit(&s->tail, head, memory_order_release);
    return n;
}

uint64_t cvz_ring_lost_total(struct cvz_ring_header *h)
{
    uint64_t total = 0;
    struct cvz_slot *slots = cvz_ring_slots(h);
    for (uint32_t i = 0; i < h->nslots; i++)
        total += atomic_load_explicit(&slots[i].lost, memory_order_relaxed);
    for (int r = 1; r < CVZ_LOST__COUNT; r++)
        total += atomic_load(&h->lost[r]);
    return total;
}

void cvz_ring_report_lost(struct cvz_ring_header *h, struct cvz_obuf *o, uint64_t ts)
{
    uint64_t now_lost[CVZ_LOST__COUNT] = {0};
    struct cvz_slot *slots = cvz_ring_slots(h);
    for (uint32_t i = 0; i < h->nslots; i++)
        now_lost[CVZ_LOST_RING_FULL] += atomic_load_explicit(&slots[i].lost, memory_order_relaxed);
    for (int r = 1; r < CVZ_LOST__COUNT; r++)
        now_lost[r] = atomic_load(&h->lost[r]);
    /* Lines a failed write dropped are counted (the summary says so) but get no trace.lost
     * line: that line would most likely be dropped as well, and counted again, each drain. */
    for (int r = 0; r < CVZ_LOST__COUNT; r++) {
        if (r == CVZ_LOST_WRITE) continue;
        uint64_t done = atomic_load(&h->reported[r]);
        if (now_lost[r] <= done) continue;
        struct cvz_record rec = {.ts = ts,
                                 .kind = CVZ_EV_LOST,
                                 .sub = (uint16_t)r,
                                 .tid = h->pid,
                                 .a = now_lost[r] - done};
        cvz_obuf_record(o, &rec, h->pid);
        atomic_store(&h->reported[r], now_lost[r]);
    }
}

/* ---- the finisher ----------------------------------------------------------------------- */

static uint64_t mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static bool process_alive(int pid)
{
    if (pid <= 0) return false;
    if (kill(pid, 0) == 0 || errno == EPERM) {
        /* a zombie is not alive: it will never write again */
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) return false;
        buf[n] = 0;
        char *rp = strrchr(buf, ')');
        return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
    }
    return false;
}

/* Finish one ring file: returns false when its process still runs (left alone). */
static bool finish_ring(const char *path, struct cvz_obuf *o, int top_pid, int top_wstatus,
                        struct cvz_finish_stats *st, int *pids, unsigned *npids)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return true;
    struct stat sb;
    if (fstat(fd, &sb) < 0 || sb.st_size < CVZ_RING_HDR_SIZE) {
        close(fd);
        unlink(path);
        return true;
    }
    struct cvz_ring_header *h =
        mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (h == MAP_FAILED) return true;
    bool ok = h->magic == CVZ_RING_MAGIC && h->version == CVZ_RING_VERSION &&
              h->slots_offset + (uint64_t)h->nslots * sizeof(struct cvz_slot) <= h->data_offset &&
              h->data_offset + (uint64_t)h->nslots * h->slot_records * sizeof(struct cvz_record) <=
                  (uint64_t)sb.st_size &&
              h->slot_records && (h->slot_records & (h->slot_records - 1)) == 0;
    if (!ok) {
        munmap(h, (size_t)sb.st_size);
        unlink(path);
        return true;
    }
    uint32_t flags = atomic_load(&h->flags);
    if (!(flags & (CVZ_RF_FINISHED | CVZ_RF_EXEC)) && h->pid != top_pid && process_alive(h->pid)) {
        st->running++;
        munmap(h, (size_t)sb.st_size);
        return false;
    }
    uint64_t last_ts = atomic_load(&h->last_ns);
    uint64_t lines0 = o->lines;
    for (uint32_t i = 0; i < h->nslots; i++) {
        struct cvz_slot *s = &cvz_ring_slots(h)[i];
        uint64_t head = atomic_load(&s->head), tail = atomic_load(&s->tail);
        if (head == tail) continue;
        uint64_t cap = h->slot_records;
        struct cvz_record *last = &cvz_ring_data(h, i)[(head - 1) & (cap - 1)];
        if (last->ts > last_ts && last->ts < last_ts + 3600000000000ull) last_ts = last->ts;
        st->recovered += cvz_ring_drain_slot(h, i, o, 0);
    }
    if (!last_ts) last_ts = mono_now();
    cvz_ring_report_lost(h, o, last_ts);
    uint64_t refused = atomic_load(&h->lost[CVZ_LOST_WRITE]);
    if (!(flags & (CVZ_RF_EXITED | CVZ_RF_EXEC))) {
        struct cvz_record rec = {.ts = last_ts,
                                 .kind = CVZ_EV_PROCESS_EXIT,
                                 .sub = CVZ_EXIT_KILLED,
                                 .tid = h->pid,
                                 .a = (uint64_t)-1};
        if (h->pid == top_pid && top_wstatus >= 0) {
            if (WIFSIGNALED(top_wstatus)) {
                rec.b = (uint64_t)WTERMSIG(top_wstatus);
            } else if (WIFEXITED(top_wstatus)) {
                rec.a = (uint64_t)WEXITSTATUS(top_wstatus);
                rec.sub = CVZ_EXIT_EXIT;
            }
        }
        cvz_obuf_record(o, &rec, h->pid);
        st->killed++;
    }
    st->images++;
    /* a process has its main thread; an exec'd image's caller lives on in the next image */
    uint32_t nthreads = atomic_load(&h->threads);
    if (flags & CVZ_RF_EXEC)
        nthreads = nthreads ? nthreads - 1 : 0;
    else if (!nthreads)
        nthreads = 1;
    st->threads += nthreads;
    st->events += atomic_load(&h->lines) + (o->lines - lines0);
    st->lost += cvz_ring_lost_total(h);
    if (!st->sched[0] || h->pid == top_pid) {
        memcpy(st->sched, h->sched, sizeof st->sched);
        st->sched[sizeof st->sched - 1] = 0;
    }
    bool seen = false;
    for (unsigned k = 0; k < *npids; k++)
        seen |= pids[k] == h->pid;
    if (!seen) {
        if (*npids < 4096) pids[(*npids)++] = h->pid;
        st->processes++;
    }
    int pid = h->pid;
    munmap(h, (size_t)sb.st_size);
    unlink(path);
    if (refused) {
        /* The collector writes no trace.lost line for lines the disk refused.  With the
         * program done and its ring file gone there may be room for one now, so that readers
         * see the gap too (if not, it is dropped uncounted: the summary has its count). */
        char line[CVZ_LINE_MAX];
        struct cvz_obuf one = {.buf = line, .cap = sizeof line, .fd = o->fd};
        struct cvz_record rec = {
            .ts = last_ts, .kind = CVZ_EV_LOST, .sub = CVZ_LOST_WRITE, .tid = pid, .a = refused};
        cvz_obuf_flush(o); /* keep the file's order */
        one.len = cvz_format_record(line, &rec, pid);
        cvz_obuf_flush(&one);
    }
    return true;
}

/* Replace a final ",\n" by "\n]\n" so that the file is strict JSON too. */
void cvz_spool_close_array(int fd)
{
    struct stat sb;
    char tail[2];
    if (fstat(fd, &sb) == 0 && sb.st_size >= 4 && pread(fd, tail, 2, sb.st_size - 2) == 2 &&
        tail[0] == ',' && tail[1] == '\n') {
        if (ftruncate(fd, sb.st_size - 2) == 0) {
            (void)!write(fd, "\n]\n", 3);
            return;
        }
    }
    if (sb.st_size >= 2 && pread(fd, tail, 1, sb.st_size - 2) == 1 && tail[0] == ']') return;
    (void)!write(fd, "]\n", 2);
}

int cvz_spool_finish(const char *trace, int top_pid, int top_wstatus, struct cvz_finish_stats *st,
                     char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    int fd = open(trace, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open trace '%s': %s", trace, strerror(errno));
        return -1;
    }
    /* a disk that filled up may have cut the last line: what we append starts a new one */
    struct stat end;
    char last = '\n';
    if (fstat(fd, &end) == 0 && end.st_size > 0 && pread(fd, &last, 1, end.st_size - 1) == 1 &&
        last != '\n' && write(fd, "\n", 1) != 1)
        atomic_store(&cut_fd, fd); /* still full: the first line that fits starts with it */
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s.d", trace);
    static char buf[1 << 18];
    _Atomic uint64_t dropped = 0;
    struct cvz_obuf o = {.buf = buf, .cap = sizeof buf, .fd = fd, .dropped = &dropped};
    int *pids = calloc(4096, sizeof *pids);
    unsigned npids = 0;
    DIR *dir = opendir(dirpath);
    if (dir && pids) {
        /* Older images of a pid (exec'd, ".exec"/".old") first: their lines precede. */
        struct dirent *de;
        char **names = NULL;
        size_t nnames = 0, capn = 0;
        while ((de = readdir(dir))) {
            if (strncmp(de->d_name, "ring-", 5) != 0) continue;
            if (nnames == capn) {
                capn = capn ? capn * 2 : 64;
                char **nn = realloc(names, capn * sizeof *names);
                if (!nn) break;
                names = nn;
            }
            names[nnames++] = strdup(de->d_name);
        }
        closedir(dir);
        for (size_t i = 0; i < nnames; i++) {
            if (!names[i]) continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dirpath, names[i]);
            finish_ring(path, &o, top_pid, top_wstatus, st, pids, &npids);
            free(names[i]);
        }
        free(names);
    }
    free(pids);
    cvz_obuf_flush(&o);
    uint64_t d = atomic_load(&dropped); /* lines the trace's disk did not take */
    st->lost += d;
    st->events = st->events > d ? st->events - d : 0;
    if (st->running == 0) {
        rmdir(dirpath);
        cvz_spool_close_array(fd);
    }
    close(fd);
    if (!st->sched[0]) strcpy(st->sched, "none");
    return 0;
}
