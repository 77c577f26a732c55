/* core.c - the tracer's core: settings, per-thread rings in a MAP_SHARED ring file, the
 * recording entry points (cvz_rec, cvz_rec_str), the collector thread that turns records into
 * JSON lines, and the process-image lifecycle (start, fork child, exec, exit).
 *
 * DESIGN: recording must be cheap, never block and survive the process.  Each thread owns one
 * slot of the ring file (single producer); the collector is the single consumer of every slot.
 * A record is 48 bytes written in place, then `head` is release-stored: no lock, no syscall.
 * The collector wakes every 20 ms (or when the perf buffers reach their watermark, or when slots
 * run low), formats whole lines into a buffer and appends them with one write() per batch, so
 * lines of several processes never interleave.  Paths that end the image (exit, _exit, fatal
 * signal, exec) drain synchronously under the drain lock.  If the process dies without a word
 * (SIGKILL), `conviz record` recovers the records still in the ring file.
 * Settings are read from `environ` directly: bash replaces getenv() and its version returns
 * nothing before bash's main has run.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cvz_core.h"

extern char **environ;

struct cvz_settings cvz_cfg;
volatile int cvz_pid;
int cvz_sched = CVZ_SCHED_KIND_NONE;
struct cvz_ring_header *cvz_hdr;
int cvz_out_fd = -1;

static atomic_int g_active;     /* tracing on in this image */
static atomic_int g_ready;      /* collector may run */
static atomic_int g_stop;       /* final drain done: the collector stops */
static atomic_int g_exit_once;  /* process.exit recorded */
static atomic_int g_closed;     /* the final drain has begun: writers drain their own slot */
static atomic_int g_drain_busy; /* the drain lock */
static atomic_uint g_slot_hint; /* where slot allocation starts looking */
static atomic_uint g_slots_hwm; /* slots ever used + 1 (the collector scans up to here) */
static atomic_int g_slots_used;
static size_t g_map_size;
static int g_ring_fd = -1;
static int g_wake_fd = -1; /* eventfd: wakes the collector when slots run low */
static char g_ring_path[4300];
static pthread_key_t g_exit_key;
static bool g_key_ok;
static bool g_atfork_done;
static CVZ_TLS uint64_t g_fork_ts; /* per thread: two threads may fork at once */
static bool g_exec_locked;         /* cvz_before_exec holds the drain lock until exec returns */

static bool (*lttng_init_fn)(void);
static void (*lttng_emit_fn)(const struct cvz_record *, const char *);

/* Set by the vfork trampoline (lifecycle.c) on the calling thread; a vfork child runs on its
 * parent's TLS, so it sees it set too.  Cleared once the pid shows the parent is back. */
__attribute__((visibility("hidden"))) CVZ_TLS int cvz_tls_vfork;
static CVZ_TLS int tls_untraced; /* liblttng-ust's thread, or after process.exit: silent */
static CVZ_TLS int tls_guard;    /* inside a wrapper's recording */
static CVZ_TLS int tls_internal; /* tracer code (collector, drains) */
static CVZ_TLS pid_t tls_tid;
static CVZ_TLS struct cvz_slot *tls_slot;
static CVZ_TLS struct cvz_record *tls_data;
static CVZ_TLS int tls_in_rec;
static CVZ_TLS int tls_done;       /* thread.exit recorded: later events are dropped */
static CVZ_TLS int tls_retry;      /* countdown before trying again to get a slot */
static CVZ_TLS uint64_t tls_limit; /* head may grow up to here without reading tail */
static CVZ_TLS uint64_t tls_reserved; /* this slot's records backed by disk blocks */
static CVZ_TLS uint32_t tls_cap;

static char g_buf[1 << 18]; /* the collector's line buffer (under the drain lock) */

/* ---- weak defaults for the wrappers' side (tracer-wrappers provides the real ones) ------- */

__attribute__((weak)) void cvz_wrappers_init(void) {}

/* ---- basics ------------------------------------------------------------------------------ */

static uint64_t real_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

pid_t cvz_tid(void)
{
    if (__builtin_expect(tls_tid == 0, 0)) tls_tid = (pid_t)syscall(SYS_gettid);
    return tls_tid;
}

bool cvz_active(void)
{
    return atomic_load_explicit(&g_active, memory_order_relaxed);
}

/* True inside a vfork child (this thread called vfork and the pid is not ours). */
static bool vfork_child_slow(void)
{
    if ((int)syscall(SYS_getpid) != cvz_pid) return true;
    cvz_tls_vfork = 0; /* the parent runs again: the child has exec'd or exited */
    return false;
}
#define IN_VFORK_CHILD() (__builtin_expect(cvz_tls_vfork, 0) && vfork_child_slow())

bool cvz_enter(void)
{
    if (__builtin_expect(tls_guard | tls_internal | cvz_tls_vfork | tls_untraced, 0)) {
        if (tls_guard | tls_internal | tls_untraced || vfork_child_slow()) return false;
    }
    if (!atomic_load_explicit(&g_active, memory_order_relaxed)) return false;
    tls_guard = 1;
    return true;
}

void cvz_leave(void)
{
    tls_guard = 0;
}

void cvz_internal_enter(void)
{
    tls_internal++;
}
void cvz_internal_leave(void)
{
    tls_internal--;
}

long cvz_sys_write(int fd, const void *buf, size_t len)
{
    return syscall(SYS_write, fd, buf, len);
}

/* One bit per fd number below OWN_FDS: set while the tracer owns that fd.  Atomic because the
 * program's threads test it in close() while the tracer sets and clears it. */
#define OWN_FDS 65536
static _Atomic uint64_t own_fds[OWN_FDS / 64];

static void own_fd_set(int fd, bool own)
{
    if (fd < 0 || fd >= OWN_FDS) return;
    uint64_t bit = 1ull << (fd % 64);
    if (own)
        atomic_fetch_or_explicit(&own_fds[fd / 64], bit, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&own_fds[fd / 64], ~bit, memory_order_relaxed);
}

bool cvz_owns_fd(int fd)
{
    if (fd < 0 || fd >= OWN_FDS) return false;
    return atomic_load_explicit(&own_fds[fd / 64], memory_order_relaxed) >> (fd % 64) & 1;
}

void cvz_close_own(int fd)
{
    if (fd < 0) return;
    own_fd_set(fd, false);
    syscall(SYS_close, fd);
}

int cvz_high_fd(int fd)
{
    if (fd < 0) return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 700);
    if (high < 0) { /* RLIMIT_NOFILE below 700: keep it where it is */
        own_fd_set(fd, true);
        return fd;
    }
    close(fd);
    own_fd_set(high, true);
    return high;
}

bool cvz_in_vfork_child(void)
{
    /* the syscall, not cvz_tls_vfork: posix_spawn's clone(CLONE_VM) child does not set it */
    return (int)syscall(SYS_getpid) != cvz_pid;
}

static void sleep_us(long us)
{
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    syscall(SYS_nanosleep, &t, NULL);
}

bool cvz_drain_lock(int max_ms)
{
    for (long waited_us = 0;; waited_us += 100) {
        int expected = 0;
        if (atomic_compare_exchange_strong_explicit(&g_drain_busy, &expected, 1,
                                                    memory_order_acquire, memory_order_relaxed))
            return true;
        if (waited_us >= (long)max_ms * 1000) return false;
        sleep_us(100);
    }
}

void cvz_drain_unlock(void)
{
    atomic_store_explicit(&g_drain_busy, 0, memory_order_release);
}

/* ---- settings ---------------------------------------------------------------------------- */

static const char *env_get(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static uint64_t parse_size(const char *s, uint64_t dflt)
{
    if (!s || !*s) return dflt;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'k' || *end == 'K')
        v <<= 10;
    else if (*end == 'm' || *end == 'M')
        v <<= 20;
    else if (*end == 'g' || *end == 'G')
        v <<= 30;
    return v ? v : dflt;
}

/* Bounded copy (truncates; snprintf("%s") would do but trips -Wformat-truncation). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void exe_base(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(out, len, "prog");
        return;
    }
    exe[n] = 0;
    const char *b = strrchr(exe, '/');
    copy_str(out, len, b ? b + 1 : exe);
}

static void read_settings(void)
{
    struct cvz_settings *c = &cvz_cfg;
    memset(c, 0, sizeof *c);
    const char *v = env_get("CONVIZ_OUT");
    char prog[64];
    exe_base(prog, sizeof prog);
    if (v && *v)
        copy_str(c->out, sizeof c->out, v);
    else
        snprintf(c->out, sizeof c->out, "conviz-%s-%d.json", prog, (int)getpid());
    copy_str(c->ringdir, sizeof c->ringdir, c->out);
    strcat(c->ringdir, ".d");
    v = env_get("CONVIZ_SCHED");
    c->sched_wanted = -1;
    if (v && strcmp(v, "perf") == 0) c->sched_wanted = CVZ_SCHED_KIND_PERF;
    if (v && strcmp(v, "proc") == 0) c->sched_wanted = CVZ_SCHED_KIND_PROC;
    if (v && strcmp(v, "none") == 0) c->sched_wanted = CVZ_SCHED_KIND_NONE;
    c->buffer = parse_size(env_get("CONVIZ_BUFFER"), 1 << 20); /* sparse: only touched pages cost */
    if (c->buffer < 4096) c->buffer = 4096;
    if (c->buffer > (256u << 20)) c->buffer = 256u << 20;
    c->nslots = (uint32_t)parse_size(env_get("CONVIZ_RINGS"), 4096);
    if (c->nslots < 16) c->nslots = 16;
    if (c->nslots > 65536) c->nslots = 65536;
    v = env_get("CONVIZ_FOLLOW");
    c->follow = !(v && strcmp(v, "0") == 0);
    v = env_get("CONVIZ_ROOT_PID");
    c->root_pid = v ? atoi(v) : 0;
    v = env_get("CONVIZ_LTTNG");
    if (v && strcmp(v, "only") == 0)
        c->lttng = 2;
    else if (v && *v && strcmp(v, "0") != 0)
        c->lttng = 1;
    v = env_get("CONVIZ_QUIET");
    c->quiet = v && *v && strcmp(v, "0") != 0;
    v = env_get("CONVIZ_KEEP_RINGS");
    c->keep_rings = v && strcmp(v, "1") == 0;
}

static void say(const char *msg)
{
    if (cvz_cfg.quiet) return;
    cvz_sys_write(2, "conviz: ", 8);
    cvz_sys_write(2, msg, strlen(msg));
    cvz_sys_write(2, "\n", 1);
}

/* ---- the ring file ----------------------------------------------------------------------- */

static uint32_t pow2_floor(uint64_t v)
{
    uint32_t p = 1;
    while ((uint64_t)p * 2 <= v && p < (1u << 30))
        p *= 2;
    return p;
}

static bool ring_file_create(void)
{
    snprintf(g_ring_path, sizeof g_ring_path, "%s/ring-%d", cvz_cfg.ringdir, cvz_pid);
    int fd = open(g_ring_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) { /* a stale file (pid reuse): keep it for the finisher */
        char old[4400];
        snprintf(old, sizeof old, "%s.old-%llu", g_ring_path, (unsigned long long)cvz_now());
        rename(g_ring_path, old);
        fd = open(g_ring_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0) return false;
    uint32_t nslots = cvz_cfg.nslots;
    uint32_t recs = pow2_floor(cvz_cfg.buffer / sizeof(struct cvz_record));
    uint64_t slots_off = CVZ_RING_HDR_SIZE, data_off, size;
    /* Growing a file past the file-size limit (ulimit -f) is a SIGXFSZ, which would kill the
     * program: stay below it, with fewer slots, or not trace at all. */
    struct rlimit fsize;
    uint64_t limit = getrlimit(RLIMIT_FSIZE, &fsize) == 0 && fsize.rlim_cur != RLIM_INFINITY
                         ? (uint64_t)fsize.rlim_cur
                         : UINT64_MAX;
    void *m = MAP_FAILED;
    for (;; nslots /= 2) { /* the mapping is sparse, but RLIMIT_AS may still refuse it */
        data_off = (slots_off + (uint64_t)nslots * sizeof(struct cvz_slot) + 4095) & ~4095ull;
        size = data_off + (uint64_t)nslots * recs * sizeof(struct cvz_record);
        if (size > limit) {
            errno = EFBIG;
            if (nslots <= 64) break;
            continue;
        }
        if (ftruncate(fd, (off_t)size) == 0)
            m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED || nslots <= 64) break;
    }
    /* The header and slot table are written at once: their blocks must exist first, or a
     * full disk turns those writes into a SIGBUS in the program. */
    if (m != MAP_FAILED && syscall(SYS_fallocate, fd, 0, (off_t)0, (off_t)data_off) != 0 &&
        errno != EOPNOTSUPP) {
        munmap(m, size);
        m = MAP_FAILED;
    }
    if (m == MAP_FAILED) {
        close(fd);
        unlink(g_ring_path);
        return false;
    }
    /* A new thread's first record touches a fresh page of a sparse file: without this, ext4
     * read-ahead zero-fills ~128 KiB around it (measured: 0.7-1.3 ms per thread created). */
    madvise(m, size, MADV_RANDOM);
    struct cvz_ring_header *h = m;
    h->version = CVZ_RING_VERSION;
    h->nslots = nslots;
    h->slot_records = recs;
    h->pid = cvz_pid;
    h->ppid = (int)getppid();
    h->slots_offset = slots_off;
    h->data_offset = data_off;
    h->file_size = size;
    h->start_ns = cvz_now();
    atomic_store(&h->last_ns, h->start_ns);
    strcpy(h->sched, "none");
    exe_base(h->prog, sizeof h->prog);
    atomic_store_explicit((_Atomic uint64_t *)&h->magic, CVZ_RING_MAGIC, memory_order_release);
    cvz_hdr = h;
    g_map_size = size;
    g_ring_fd = cvz_high_fd(fd); /* kept to reserve the slots' blocks as they fill */
    atomic_store(&g_slot_hint, 0);
    atomic_store(&g_slots_hwm, 0);
    atomic_store(&g_slots_used, 0);
    return true;
}

/* DESIGN: the ring file is sparse, and a store into a page with no disk block behind it makes
 * the kernel allocate one; on a full disk that store is a SIGBUS, in the traced program.  So a
 * thread allocates its slot's blocks (fallocate) ahead of the records it writes: a page first,
 * then as much again as it has, until the whole slot is backed (a short thread costs a page of
 * disk, as when the file was only sparse).  On a full disk the record is dropped and counted
 * (lost, reason "write") instead.  Later owners of a backed slot never ask again.  A file
 * system without fallocate gets the old behaviour. */
#define RESERVE_MIN (4096 / sizeof(struct cvz_record)) /* records: a page */

static bool reserve_records(struct cvz_slot *s, uint64_t idx)
{
    struct cvz_ring_header *h = cvz_hdr;
    uint64_t cap = h->slot_records;
    uint64_t upto = idx + (tls_reserved > RESERVE_MIN ? tls_reserved : RESERVE_MIN);
    if (upto > cap) upto = cap;
    uint64_t slot = (uint64_t)(s - cvz_ring_slots(h));
    off_t at = (off_t)(h->data_offset + (slot * cap + tls_reserved) * sizeof(struct cvz_record));
    off_t len = (off_t)((upto - tls_reserved) * sizeof(struct cvz_record));
    int saved = errno;
    long rc = g_ring_fd >= 0 ? syscall(SYS_fallocate, g_ring_fd, 0, at, len) : -1;
    bool unsupported = rc != 0 && (g_ring_fd < 0 || errno == EOPNOTSUPP || errno == ENOSYS);
    errno = saved;
    if (rc != 0 && !unsupported) return false; /* ENOSPC, EDQUOT, EFBIG: try again later */
    tls_reserved = unsupported ? cap : upto;
    atomic_store_explicit(&s->reserved, tls_reserved, memory_order_relaxed);
    return true;
}

static struct cvz_slot *slot_acquire(void)
{
    struct cvz_ring_header *h = cvz_hdr;
    if (!h || tls_done) return NULL;
    if (tls_retry > 0) {
        tls_retry--;
        atomic_fetch_add_explicit(&h->lost[CVZ_LOST_NO_RING], 1, memory_order_relaxed);
        return NULL;
    }
    struct cvz_slot *slots = cvz_ring_slots(h);
    uint32_t n = h->nslots, start = atomic_load(&g_slot_hint) % n;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (start + k) % n;
        uint32_t expected = CVZ_SLOT_FREE;
        if (atomic_load_explicit(&slots[i].state, memory_order_relaxed) != CVZ_SLOT_FREE ||
            !atomic_compare_exchange_strong(&slots[i].state, &expected, CVZ_SLOT_USED))
            continue;
        slots[i].tid = cvz_tid();
        tls_slot = &slots[i];
        tls_data = cvz_ring_data(h, i);
        tls_cap = h->slot_records;
        tls_limit = 0; /* read tail on the first record */
        tls_reserved = atomic_load_explicit(&slots[i].reserved, memory_order_relaxed);
        atomic_store(&g_slot_hint, i + 1);
        uint32_t hwm = atomic_load(&g_slots_hwm);
        while (hwm < i + 1 && !atomic_compare_exchange_weak(&g_slots_hwm, &hwm, i + 1)) {
        }
        atomic_fetch_add(&h->threads, 1);
        int used = atomic_fetch_add(&g_slots_used, 1) + 1;
        if ((uint32_t)used > n / 2 && g_wake_fd >= 0) {
            uint64_t one = 1;
            cvz_sys_write(g_wake_fd, &one, sizeof one);
        }
        if (g_key_ok) pthread_setspecific(g_exit_key, (void *)1);
        return tls_slot;
    }
    atomic_fetch_add_explicit(&h->lost[CVZ_LOST_NO_RING], 1, memory_order_relaxed);
    tls_retry = 64;
    if (g_wake_fd >= 0) {
        uint64_t one = 1;
        cvz_sys_write(g_wake_fd, &one, sizeof one);
    }
    return NULL;
}

static void slot_release(void)
{
    struct cvz_slot *s = tls_slot;
    tls_slot = NULL;
    tls_data = NULL;
    if (s) atomic_store_explicit(&s->state, CVZ_SLOT_EXITED, memory_order_release);
}

/* ---- recording --------------------------------------------------------------------------- */

/* DESIGN: once process.exit's final drain has begun (g_closed), no collector will read the
 * rings again and, without `conviz record`, the ring file is gone; yet the other threads run
 * until exit_group kills them.  A record written after that is drained by its own writer,
 * under the drain lock, straight into the trace (slow, but only during the teardown).  The
 * writer checks g_closed after publishing `head`; the final drain sets g_closed and waits a
 * little before reading the heads, so a record is either seen by that drain or by its
 * writer (the store-buffer delay between the two is far below the wait). */
static void late_drain(struct cvz_slot *s)
{
    struct cvz_ring_header *h = cvz_hdr;
    if (!h || cvz_out_fd < 0 || !cvz_drain_lock(1000)) return; /* stays in the ring file */
    cvz_internal_enter();
    char buf[4 * CVZ_LINE_MAX];
    struct cvz_obuf o = {
        .buf = buf, .cap = sizeof buf, .fd = cvz_out_fd, .dropped = &h->lost[CVZ_LOST_WRITE]};
    cvz_ring_drain_slot(h, (uint32_t)(s - cvz_ring_slots(h)), &o, 0);
    cvz_ring_report_lost(h, &o, cvz_now());
    cvz_obuf_flush(&o);
    atomic_fetch_add(&h->lines, o.lines);
    cvz_internal_leave();
    cvz_drain_unlock();
}

static inline void rec_write(int tid, uint16_t kind, uint16_t sub, uint64_t ts, uint64_t obj,
                             uint64_t a, uint64_t b, uint64_t c)
{
    /* one test on the hot path; a vfork child must not write in its parent's TLS and ring */
    if (__builtin_expect(tls_untraced | cvz_tls_vfork, 0)) {
        if (tls_untraced || vfork_child_slow()) return;
    }
    if (__builtin_expect(lttng_emit_fn != NULL, 0)) {
        struct cvz_record r = {ts, kind, sub, tid, obj, a, b, c};
        lttng_emit_fn(&r, NULL);
        if (cvz_cfg.lttng == 2) return;
    }
    struct cvz_slot *s = tls_slot;
    if (__builtin_expect(s == NULL, 0)) {
        s = slot_acquire();
        if (!s) return;
    }
    /* A signal handler interrupted a record: this one is dropped (counted), except the
     * process's exit, recorded by a handler that never returns to the interrupted record:
     * it takes that record's place (seen once in CI: SIGTERM during a lock event). */
    if (__builtin_expect(tls_in_rec, 0) && kind != CVZ_EV_PROCESS_EXIT) {
        atomic_fetch_add_explicit(&s->lost, 1, memory_order_relaxed);
        return;
    }
    tls_in_rec = 1;
    atomic_signal_fence(memory_order_seq_cst);
    uint64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
    uint32_t cap = tls_cap;
    /* Read the collector's `tail` (another CPU's cache line) only when the room known from
     * the last read is used up. */
    if (__builtin_expect(head >= tls_limit, 0))
        tls_limit = atomic_load_explicit(&s->tail, memory_order_acquire) + cap;
    /* The process's exit must not be lost to a full ring (a program that locks all the time
     * fills it): give the collector up to 100 ms to make room. */
    for (int i = 0; head >= tls_limit && kind == CVZ_EV_PROCESS_EXIT && i < 1000; i++) {
        sleep_us(100);
        tls_limit = atomic_load_explicit(&s->tail, memory_order_acquire) + cap;
    }
    if (__builtin_expect(head >= tls_limit, 0)) {
        atomic_store_explicit(&s->lost, atomic_load_explicit(&s->lost, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    } else if (__builtin_expect((head & (cap - 1)) >= tls_reserved, 0) &&
               !reserve_records(s, head & (cap - 1))) {
        atomic_fetch_add_explicit(&cvz_hdr->lost[CVZ_LOST_WRITE], 1, memory_order_relaxed);
    } else {
        struct cvz_record *r = &tls_data[head & (cap - 1)];
        r->ts = ts;
        r->kind = kind;
        r->sub = sub;
        r->tid = tid;
        r->obj = obj;
        r->a = a;
        r->b = b;
        r->c = c;
        atomic_store_explicit(&s->head, head + 1, memory_order_release);
        if (__builtin_expect(tls_limit - head == cap / 2, 0) && g_wake_fd >= 0) {
            uint64_t one = 1; /* half full: do not wait for the collector's next round */
            cvz_sys_write(g_wake_fd, &one, sizeof one);
        }
    }
    atomic_signal_fence(memory_order_seq_cst);
    tls_in_rec = 0;
    if (__builtin_expect(atomic_load_explicit(&g_closed, memory_order_relaxed), 0)) late_drain(s);
}

void cvz_rec(uint16_t kind, uint16_t sub, uint64_t ts, uint64_t obj, uint64_t a, uint64_t b,
             uint64_t c)
{
    if (__builtin_expect(!atomic_load_explicit(&g_active, memory_order_relaxed) || tls_done, 0))
        return;
    rec_write(cvz_tid(), kind, sub, ts, obj, a, b, c);
}

void cvz_rec_as(int tid, uint16_t kind, uint16_t sub, uint64_t ts, uint64_t obj, uint64_t a,
                uint64_t b, uint64_t c)
{
    if (!atomic_load_explicit(&g_active, memory_order_relaxed) || tls_done) return;
    rec_write(tid, kind, sub, ts, obj, a, b, c);
}

/* liblttng-ust names its threads "<proc>-ust" (docs/lttng.md) */
static bool ust_name(const char *args_json)
{
    const char *q = strstr(args_json, "\"name\":\"");
    if (!q) return false;
    q += 8;
    const char *end = strchr(q, '"');
    return end && end - q >= 4 && memcmp(end - 4, "-ust", 4) == 0;
}

bool cvz_lttng_on(void)
{
    return lttng_emit_fn != NULL;
}

bool cvz_untraced(void)
{
    return tls_untraced || tls_internal;
}

/* tids of untraced threads, so that their RUNNING runs are left out too (a few: liblttng-ust
 * starts 2-3 threads per process image) */
#define UNTRACED_MAX 64
static _Atomic int g_untraced_tids[UNTRACED_MAX];

bool cvz_untraced_tid(int tid)
{
    for (int i = 0; i < UNTRACED_MAX; i++) {
        int t = atomic_load_explicit(&g_untraced_tids[i], memory_order_relaxed);
        if (t == tid) return true;
        if (t == 0) return false;
    }
    return false;
}

void cvz_set_untraced(bool discard)
{
    if (!tls_untraced) {
        for (int i = 0; i < UNTRACED_MAX; i++) {
            int expected = 0;
            if (atomic_compare_exchange_strong(&g_untraced_tids[i], &expected, cvz_tid())) break;
        }
    }
    tls_untraced = 1;
    struct cvz_slot *s = tls_slot;
    /* what it recorded before it named itself (thread.create, thread.start, urcu's locks)
     * and the collector has not written yet is dropped too */
    if (discard && s)
        atomic_store_explicit(&s->skip_below, atomic_load(&s->head), memory_order_release);
}

void cvz_rec_str(uint16_t kind, uint64_t ts, const char *args_json)
{
    cvz_rec_str_tid(kind, ts, 0, args_json);
}

void cvz_rec_str_tid(uint16_t kind, uint64_t ts, pid_t tid, const char *args_json)
{
    if (!atomic_load_explicit(&g_active, memory_order_relaxed) || !args_json) return;
    if (tls_untraced || IN_VFORK_CHILD()) return;
    if (tid <= 0) tid = cvz_tid();
    if (lttng_emit_fn) {
        struct cvz_record r = {.ts = ts, .kind = kind, .tid = tid};
        lttng_emit_fn(&r, args_json);
        if (cvz_cfg.lttng == 2) return;
    }
    /* A thread that names itself "*-ust" is liblttng-ust's: from now on it records nothing.
     * Its name line is still written: string events it wrote before (object.declare of
     * urcu's mutexes, in a fork child) are already in the trace, and the name tells readers
     * whose they are.  (Threads liblttng-ust starts from the tracer's constructor are
     * untraced from their first instruction and leave nothing, not even the name.) */
    bool ust = kind == CVZ_EV_THREAD_NAME && tid == cvz_tid() && ust_name(args_json);
    if (ust) cvz_set_untraced(true);
    char pre[256];
    size_t n = cvz_format_str_prefix(pre, kind, ts, cvz_pid, tid);
    struct iovec iov[3] = {{pre, n},
                           {(void *)args_json, strlen(args_json)},
                           {(void *)cvz_str_suffix, strlen(cvz_str_suffix)}};
    /* one writev on an O_APPEND file: the line lands whole, never interleaved */
    long w = cvz_out_fits(cvz_out_fd, iov[0].iov_len + iov[1].iov_len + iov[2].iov_len)
                 ? syscall(SYS_writev, cvz_out_fd, iov, 3)
                 : -1;
    if (w > 0 && cvz_hdr) {
        atomic_fetch_add_explicit(&cvz_hdr->lines, 1, memory_order_relaxed);
        if (ts > atomic_load_explicit(&cvz_hdr->last_ns, memory_order_relaxed))
            atomic_store_explicit(&cvz_hdr->last_ns, ts, memory_order_relaxed);
    } else if (cvz_hdr) { /* disk full, file size limit: counted as lost */
        atomic_fetch_add_explicit(&cvz_hdr->lost[CVZ_LOST_WRITE], 1, memory_order_relaxed);
    }
}

/* ---- draining and the collector ---------------------------------------------------------- */

void cvz_drain_all(bool final)
{
    struct cvz_ring_header *h = cvz_hdr;
    if (!h || cvz_out_fd < 0) return;
    cvz_internal_enter();
    struct cvz_obuf o = {
        .buf = g_buf, .cap = sizeof g_buf, .fd = cvz_out_fd, .dropped = &h->lost[CVZ_LOST_WRITE]};
    struct cvz_slot *slots = cvz_ring_slots(h);
    uint32_t hwm = atomic_load(&g_slots_hwm);
    for (uint32_t i = 0; i < hwm; i++) {
        uint32_t st = atomic_load_explicit(&slots[i].state, memory_order_acquire);
        if (st == CVZ_SLOT_FREE) continue;
        uint64_t head = atomic_load_explicit(&slots[i].head, memory_order_relaxed);
        uint64_t tail = atomic_load_explicit(&slots[i].tail, memory_order_relaxed);
        if (st == CVZ_SLOT_USED && !final && head - tail >= 64) {
            /* A busy thread: leave its last, partly written group of 4 records (3 cache
             * lines) to the next round; reading a line the thread is still filling makes the
             * two CPUs bounce it. */
            uint64_t whole = head & ~3ull;
            if (whole > tail) cvz_ring_drain_slot(h, i, &o, whole - tail);
        } else if (head != tail) {
            cvz_ring_drain_slot(h, i, &o, 0);
        }
        if (st == CVZ_SLOT_EXITED) { /* owner gone and drained: recycle */
            atomic_store_explicit(&slots[i].state, CVZ_SLOT_FREE, memory_order_release);
            atomic_fetch_sub(&g_slots_used, 1);
            /* reuse low slots first: their pages are already in memory */
            uint32_t hint = atomic_load(&g_slot_hint);
            while (hint > i && !atomic_compare_exchange_weak(&g_slot_hint, &hint, i)) {
            }
        }
    }
    if (cvz_sched == CVZ_SCHED_KIND_PERF) cvz_perf_drain(&o, final);
    uint64_t now = cvz_now();
    cvz_ring_report_lost(h, &o, now);
    cvz_obuf_flush(&o);
    atomic_fetch_add(&h->lines, o.lines);
    atomic_store(&h->last_ns, now);
    cvz_internal_leave();
}

static void *collector_main(void *arg)
{
    (void)arg;
    tls_internal = 1;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL); /* signals are the program's business */
    while (!atomic_load(&g_ready) && !atomic_load(&g_stop))
        sleep_us(200);
    uint64_t last_drain = 0;
    while (!atomic_load(&g_stop)) {
        struct pollfd fds[260];
        int n = 0;
        if (g_wake_fd >= 0) fds[n++] = (struct pollfd){.fd = g_wake_fd, .events = POLLIN};
        if (cvz_sched == CVZ_SCHED_KIND_PERF) n += cvz_perf_pollfds(fds + n, 256);
        int timeout = cvz_sched == CVZ_SCHED_KIND_PROC ? 1 : 20;
        int r = (int)syscall(SYS_poll, fds, (unsigned)n, timeout);
        if (r > 0 && g_wake_fd >= 0 && (fds[0].revents & POLLIN)) {
            uint64_t v;
            (void)!syscall(SYS_read, g_wake_fd, &v, sizeof v);
        }
        if (atomic_load(&g_stop)) break;
        if (cvz_sched == CVZ_SCHED_KIND_PROC && cvz_drain_lock(0)) {
            struct cvz_obuf o = {.buf = g_buf,
                                 .cap = sizeof g_buf,
                                 .fd = cvz_out_fd,
                                 .dropped = &cvz_hdr->lost[CVZ_LOST_WRITE]};
            cvz_proc_sample(&o);
            cvz_obuf_flush(&o);
            atomic_fetch_add(&cvz_hdr->lines, o.lines);
            cvz_drain_unlock();
        }
        uint64_t now = cvz_now();
        if (cvz_sched == CVZ_SCHED_KIND_PROC && r == 0 && now - last_drain < 20000000) continue;
        if (!cvz_drain_lock(0)) continue; /* exec/fork/exit owns it: try next round */
        cvz_clock_adjust();
        if (!atomic_load(&g_stop)) cvz_drain_all(false);
        cvz_drain_unlock();
        last_drain = now;
    }
    return NULL;
}

static bool collector_start(void)
{
    static int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!real_create) real_create = dlsym(RTLD_NEXT, "pthread_create");
    if (!real_create) return false;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_t th;
    int rc = real_create(&th, &attr, collector_main, NULL);
    pthread_attr_destroy(&attr);
    return rc == 0;
}

/* ---- process image start ----------------------------------------------------------------- */

static bool open_output(void)
{
    int fd = open(cvz_cfg.out, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        /* First process: create it with "[" through a temporary + link, so that no other
         * process can append before the "[" is there. */
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp-%d", cvz_cfg.out, cvz_pid);
        int t = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (t >= 0) {
            (void)!write(t, "[\n", 2);
            close(t);
            if (link(tmp, cvz_cfg.out) < 0 && errno != EEXIST) say("cannot create the trace");
            unlink(tmp);
        }
        fd = open(cvz_cfg.out, O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0) return false;
    cvz_out_fd = cvz_high_fd(fd);
    return true;
}

static size_t read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    return n > 0 ? (size_t)n : 0;
}

static void write_process_start(const char *via)
{
    char raw[4096], exe[PATH_MAX];
    static char args[16384];
    size_t n = read_file("/proc/self/cmdline", raw, sizeof raw);
    for (size_t i = 0; i + 1 < n; i++)
        if (raw[i] == 0) raw[i] = ' ';
    if (n && raw[n - 1] == 0) n--;
    ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (en < 0) en = 0;
    char *p = args;
    p = cvz_fmt_str(p, "\"name\":\"");
    p = cvz_fmt_json_escaped(p, 200, cvz_hdr->prog, strlen(cvz_hdr->prog));
    p = cvz_fmt_str(p, "\"");
    *p = 0;
    uint64_t mono = cvz_now(), real = real_now();
    cvz_rec_str(CVZ_EV_PROCESS_NAME, mono, args);
    p = args;
    p = cvz_fmt_str(p, "\"ppid\":");
    p = cvz_fmt_i64(p, getppid());
    p = cvz_fmt_str(p, ",\"via\":\"");
    p = cvz_fmt_str(p, via);
    p = cvz_fmt_str(p, "\",\"cmdline\":\"");
    p = cvz_fmt_json_escaped(p, 8000, raw, n);
    p = cvz_fmt_str(p, "\",\"exe\":\"");
    p = cvz_fmt_json_escaped(p, 6000, exe, (size_t)en);
    p = cvz_fmt_str(p, "\",\"ncpu\":");
    p = cvz_fmt_i64(p, sysconf(_SC_NPROCESSORS_ONLN));
    p = cvz_fmt_str(p, ",\"sched\":\"");
    p = cvz_fmt_str(p, cvz_hdr->sched);
    p = cvz_fmt_str(p, "\",\"version\":1,\"mono_ns\":");
    p = cvz_fmt_u64(p, mono);
    p = cvz_fmt_str(p, ",\"real_ns\":");
    p = cvz_fmt_u64(p, real);
    *p = 0;
    cvz_rec_str(CVZ_EV_PROCESS_START, mono, args);
}

/* The image this one replaced by exec left `ring-<pid>.exec`: drain what it recorded after its
 * last drain, then keep it (for the summary) or remove it. */
static bool adopt_exec_predecessor(void)
{
    char path[4400];
    snprintf(path, sizeof path, "%s.exec", g_ring_path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat sb;
    struct cvz_ring_header *h = MAP_FAILED;
    if (fstat(fd, &sb) == 0 && sb.st_size >= CVZ_RING_HDR_SIZE)
        h = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (h != MAP_FAILED) {
        if (h->magic == CVZ_RING_MAGIC && h->file_size == (uint64_t)sb.st_size) {
            struct cvz_obuf o = {.buf = g_buf,
                                 .cap = sizeof g_buf,
                                 .fd = cvz_out_fd,
                                 .dropped = &h->lost[CVZ_LOST_WRITE]};
            for (uint32_t i = 0; i < h->nslots; i++)
                cvz_ring_drain_slot(h, i, &o, 0);
            cvz_ring_report_lost(h, &o, cvz_now());
            cvz_obuf_flush(&o);
            atomic_fetch_add(&h->lines, o.lines);
            atomic_fetch_or(&h->flags, CVZ_RF_FINISHED);
        }
        munmap(h, (size_t)sb.st_size);
    }
    if (cvz_cfg.keep_rings) {
        char old[4500];
        snprintf(old, sizeof old, "%s.old-%llu", g_ring_path, (unsigned long long)cvz_now());
        rename(path, old);
    } else {
        unlink(path);
    }
    return true;
}

static void exit_key_destructor(void *v)
{
    (void)v;
    cvz_thread_exiting();
}

static void choose_sched(void)
{
    int want = cvz_cfg.sched_wanted;
    cvz_sched = CVZ_SCHED_KIND_NONE;
    if ((want == -1 || want == CVZ_SCHED_KIND_PERF) && cvz_perf_open())
        cvz_sched = CVZ_SCHED_KIND_PERF;
    else if (want == -1 || want == CVZ_SCHED_KIND_PROC || want == CVZ_SCHED_KIND_PERF) {
        if (want == CVZ_SCHED_KIND_PERF && cvz_pid == cvz_cfg.root_pid)
            say("perf_event_open is not available here: scheduler states come from /proc");
        cvz_proc_reset();
        cvz_sched = CVZ_SCHED_KIND_PROC;
    }
    static const char *const names[] = {"none", "perf", "proc"};
    snprintf(cvz_hdr->sched, sizeof cvz_hdr->sched, "%s", names[cvz_sched]);
}

/* The TSC slope measured by the image this one replaced (exec) or by the traced parent that
 * started it (spawn), from their ring-file headers: saves a 2 ms calibration per process. */
static uint64_t known_tsc_mult(void)
{
    char path[4400];
    int pids[2] = {(int)syscall(SYS_getpid), (int)getppid()};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/ring-%d%s", cvz_cfg.ringdir, pids[k], k ? "" : ".exec");
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct cvz_ring_header h;
        ssize_t n = pread(fd, &h, sizeof h, 0);
        close(fd);
        if (n == (ssize_t)sizeof h && h.magic == CVZ_RING_MAGIC && h.tsc_mult) return h.tsc_mult;
    }
    return 0;
}

/* Start tracing this process image; `via` is "start", "fork" or "exec" (NULL: decide). */
static void image_start(const char *via)
{
    cvz_pid = (int)syscall(SYS_getpid);
    if (!cvz_cfg.follow && cvz_cfg.root_pid && cvz_pid != cvz_cfg.root_pid) return;
    if (cvz_cfg.lttng == 2 && lttng_emit_fn) {
        atomic_store(&g_active, 1); /* LTTng only: no JSON, no rings */
        return;
    }
    if (!open_output()) {
        char msg[4400];
        snprintf(msg, sizeof msg, "cannot open the trace %s (%s); not tracing this process",
                 cvz_cfg.out, strerror(errno));
        say(msg);
        return;
    }
    mkdir(cvz_cfg.ringdir, 0755);
    if (!via) /* a fork child keeps the parent's clock */
        cvz_clock_init(known_tsc_mult(), env_get("CONVIZ_CLOCK"));
    if (!ring_file_create()) {
        char msg[4400];
        snprintf(msg, sizeof msg,
                 "cannot create the ring file in %s (%s); not tracing this process",
                 cvz_cfg.ringdir, strerror(errno));
        say(msg);
        cvz_close_own(cvz_out_fd);
        cvz_out_fd = -1;
        return;
    }
    atomic_store(&cvz_hdr->tsc_mult, cvz_clock_mult());
    if (g_wake_fd < 0) g_wake_fd = cvz_high_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    atomic_store(&g_stop, 0);
    atomic_store(&g_ready, 0);
    atomic_store(&g_exit_once, 0);
    atomic_store(&g_closed, 0);
    for (int i = 0; i < UNTRACED_MAX; i++)
        atomic_store(&g_untraced_tids[i], 0);
    bool have_collector = collector_start(); /* before perf: it must not trace itself */
    if (have_collector)
        choose_sched();
    else
        strcpy(cvz_hdr->sched, "none");
    atomic_store(&g_active, 1);
    bool exec_pred = adopt_exec_predecessor();
    if (!via) {
        char ppath[4400];
        snprintf(ppath, sizeof ppath, "%s/ring-%d", cvz_cfg.ringdir, (int)getppid());
        via = exec_pred || access(ppath, F_OK) == 0 ? "exec" : "start";
    }
    write_process_start(via);
    atomic_store(&g_ready, 1);
}

static void load_lttng(void)
{
    Dl_info di;
    char path[PATH_MAX];
    const char *why = NULL;
    if (!dladdr((void *)cvz_now, &di) || !di.dli_fname) {
        why = "cannot locate libconviz.so";
    } else {
        snprintf(path, sizeof path, "%s", di.dli_fname);
        char *slash = strrchr(path, '/');
        if (slash)
            snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "libconviz-lttng.so");
        else
            snprintf(path, sizeof path, "libconviz-lttng.so");
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            why = "libconviz-lttng.so not found next to libconviz.so";
        } else {
            lttng_init_fn = (bool (*)(void))dlsym(lib, "cvz_lttng_init");
            void *emit = dlsym(lib, "cvz_lttng_emit");
            if (!lttng_init_fn || !emit)
                why = "libconviz-lttng.so lacks cvz_lttng_init/cvz_lttng_emit";
            else if (!lttng_init_fn())
                why = "the LTTng session is not available";
            else
                lttng_emit_fn = (void (*)(const struct cvz_record *, const char *))emit;
        }
    }
    if (why) {
        cvz_cfg.lttng = 0;
        if (!cvz_cfg.root_pid || cvz_cfg.root_pid == (int)getpid()) {
            char msg[300];
            snprintf(msg, sizeof msg, "LTTng output off (%s); writing JSON only", why);
            say(msg);
        }
    }
}

static void atfork_prepare(void)
{
    cvz_fork_prepare();
}
static void atfork_parent(void)
{
    if (cvz_hdr) cvz_drain_unlock();
}
static void atfork_child(void)
{
    cvz_fork_child();
}

__attribute__((constructor)) static void cvz_init(void)
{
    cvz_internal_enter();
    read_settings();
    cvz_wrappers_init();
    g_key_ok = pthread_key_create(&g_exit_key, exit_key_destructor) == 0;
    if (cvz_cfg.lttng) load_lttng();
    image_start(NULL);
    if (!g_atfork_done) {
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
        g_atfork_done = true;
    }
    cvz_lifecycle_init();
    cvz_internal_leave();
}

__attribute__((destructor)) static void cvz_fini(void)
{
    if (!cvz_active() || cvz_in_vfork_child()) return;
    cvz_process_exit(-1, 0, "exit");      /* no-op when the exit hook already ran */
    if (cvz_hdr && cvz_drain_lock(200)) { /* events of other DSOs' destructors */
        cvz_drain_all(true);
        cvz_drain_unlock();
    }
}

/* ---- lifecycle hooks ----------------------------------------------------------------------- */

void cvz_fork_prepare(void)
{
    g_fork_ts = cvz_now();
    if (cvz_hdr && !cvz_drain_lock(500)) {
        /* the lock is stuck (never expected): the child must still start clean */
    }
}

void cvz_fork_parent(pid_t child)
{
    if (child > 0)
        cvz_rec(CVZ_EV_PROCESS_FORK, 0, g_fork_ts ? g_fork_ts : cvz_now(), (uint64_t)child, 0, 0,
                0);
}

void cvz_fork_child(void)
{
    cvz_internal_enter();
    /* The parent's mapping, perf fds and collector do not belong to this process. */
    atomic_store(&g_active, 0);
    atomic_store(&g_drain_busy, 0);
    cvz_lifecycle_fork_child();
    tls_tid = 0;
    tls_slot = NULL;
    tls_data = NULL;
    tls_in_rec = 0;
    tls_done = 0;
    tls_retry = 0;
    cvz_perf_close();
    if (cvz_hdr) {
        munmap(cvz_hdr, g_map_size);
        cvz_hdr = NULL;
    }
    cvz_close_own(g_ring_fd);
    g_ring_fd = -1;
    cvz_close_own(cvz_out_fd);
    cvz_out_fd = -1;
    cvz_close_own(g_wake_fd);
    g_wake_fd = -1;
    if (cvz_cfg.follow && cvz_cfg.lttng != 2)
        image_start("fork");
    else if (cvz_cfg.lttng == 2 && cvz_cfg.follow)
        atomic_store(&g_active, 1);
    cvz_internal_leave();
}

void cvz_before_exec(const char *path, char *const argv[])
{
    if (!cvz_active() || cvz_in_vfork_child()) return;
    static char args[16384];
    char *p = args, *end = args + sizeof args - 64;
    p = cvz_fmt_str(p, "\"path\":\"");
    if (path) p = cvz_fmt_json_escaped(p, 4096, path, strlen(path));
    p = cvz_fmt_str(p, "\",\"argv\":\"");
    for (int i = 0; argv && argv[i] && p < end - 16; i++) {
        if (i) *p++ = ' ';
        p = cvz_fmt_json_escaped(p, (size_t)(end - p), argv[i], strlen(argv[i]));
    }
    p = cvz_fmt_str(p, "\"");
    *p = 0;
    cvz_rec_str(CVZ_EV_PROCESS_EXEC, cvz_now(), args);
    if (!cvz_hdr) return;
    /* Drain now and keep the drain lock until exec returns: the collector must not be caught
     * between formatting and writing when exec ends it. */
    g_exec_locked = cvz_drain_lock(500);
    cvz_drain_all(true);
    atomic_fetch_or(&cvz_hdr->flags, CVZ_RF_EXEC);
    char dst[4400];
    snprintf(dst, sizeof dst, "%s.exec", g_ring_path);
    rename(g_ring_path, dst);
}

void cvz_exec_failed(void)
{
    if (!cvz_active() || cvz_in_vfork_child() || !cvz_hdr) return;
    char src[4400];
    snprintf(src, sizeof src, "%s.exec", g_ring_path);
    rename(src, g_ring_path);
    atomic_fetch_and(&cvz_hdr->flags, ~(uint32_t)CVZ_RF_EXEC);
    if (cvz_sched == CVZ_SCHED_KIND_PERF) cvz_perf_resume();
    if (g_exec_locked) cvz_drain_unlock();
    g_exec_locked = false;
}

void cvz_process_exit(int status, int sig, const char *how)
{
    if (!cvz_active() || cvz_in_vfork_child()) return;
    if (atomic_exchange(&g_exit_once, 1)) return;
    uint16_t h = CVZ_EXIT_EXIT;
    if (how && strcmp(how, "_exit") == 0) h = CVZ_EXIT__EXIT;
    if (how && strcmp(how, "signal") == 0) h = CVZ_EXIT_SIGNAL;
    if (how && strcmp(how, "killed") == 0) h = CVZ_EXIT_KILLED;
    int saved_errno = errno;
    tls_done = 0; /* the exiting thread may have recorded thread.exit already */
    rec_write(cvz_tid(), CVZ_EV_PROCESS_EXIT, h, cvz_now(), 0, (uint64_t)(int64_t)status,
              (uint64_t)sig, 0);
    /* What this thread does next is teardown (destructors, liblttng-ust's among them): not the
     * program's.  The other threads run until exit_group and still record (late_drain). */
    tls_untraced = 1;
    if (!cvz_hdr) return;
    atomic_fetch_or(&cvz_hdr->flags, CVZ_RF_EXITED);
    /* In a signal handler the lock may be held by the interrupted code: wait a little only;
     * whatever is not drained stays in the ring file for `conviz record` to recover. */
    if (cvz_drain_lock(h == CVZ_EXIT_SIGNAL ? 100 : 1000)) {
        atomic_store(&g_closed, 1); /* from now on, writers drain their own records */
        sleep_us(50);               /* let writers that missed it publish their head */
        cvz_drain_all(true);
        atomic_fetch_or(&cvz_hdr->flags, CVZ_RF_FINISHED);
        atomic_store(&g_stop, 1);
        if (!cvz_cfg.keep_rings) {
            unlink(g_ring_path);
            rmdir(cvz_cfg.ringdir); /* fails while other processes still trace: fine */
        }
        cvz_drain_unlock();
    }
    errno = saved_errno;
}

void cvz_thread_started(pid_t parent_tid)
{
    tls_done = 0;
    cvz_rec(CVZ_EV_THREAD_START, 0, cvz_now(), (uint64_t)parent_tid, 0, 0, 0);
}

void cvz_thread_exiting(void)
{
    if (tls_done) return;
    if (cvz_active() && !cvz_in_vfork_child())
        rec_write(cvz_tid(), CVZ_EV_THREAD_EXIT, 0, cvz_now(), 0, 0, 0, 0);
    tls_done = 1;
    slot_release();
}
