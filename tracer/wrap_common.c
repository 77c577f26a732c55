/* wrap_common.c - the one pattern all wrappers share: real-function table, lock acquisition and
 * release bookkeeping (wait, hold time, recursive depth), object declaration at first use,
 * block.begin/end, and JSON string escaping.
 *
 * DESIGN: the hot path (an uncontended lock+unlock) is: the core's active flag, the real
 * trylock, one guard enter/leave, one clock read, one probe of the seen-object set, a push on a
 * small per-thread array of held locks, one record; the unlock is the mirror image.  No
 * syscall, lock or malloc.  The seen set is an open-addressing table of addresses (CAS insert,
 * tombstones on destroy) in an anonymous mapping that a fork child replaces with a fresh one,
 * since every process declares its own objects.  The held array is bounded: when it is full the
 * oldest entry is dropped (a semaphore waited here and posted elsewhere never comes back), and
 * a release of something it does not know records hold 0, depth 0.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wrap_common.h"

const char *const cvz_w_kind_names[CVZ_OBJ__COUNT] = {"mutex", "rwlock",  "spin", "condvar",
                                                      "sem",   "barrier", "other"};

/* ==== real functions ========================================================================== */

void *cvz_w_real[CVZ_REAL__COUNT];

static const struct {
    const char *name, *version;
} real_names[CVZ_REAL__COUNT] = {
#define CVZ_X(name)           {#name, NULL},
#define CVZ_XV(id, name, ver) {#name, ver},
    CVZ_REAL_LIST(CVZ_X, CVZ_XV)
#undef CVZ_X
#undef CVZ_XV
};

static void *resolve_one(enum cvz_real_id id)
{
    void *fn = real_names[id].version
                   ? dlvsym(RTLD_NEXT, real_names[id].name, real_names[id].version)
                   : dlsym(RTLD_NEXT, real_names[id].name);
    if (!fn && real_names[id].version) /* a libc without the old ABI: the default will do */
        fn = dlsym(RTLD_NEXT, real_names[id].name);
    if (fn) __atomic_store_n(&cvz_w_real[id], fn, __ATOMIC_RELAXED);
    return fn;
}

/* Called while the slot is empty (before the constructor, or from inside dlsym): resolve one
 * symbol.  A failed dlsym mallocs its message; that is fine, we wrap no allocator.  A program
 * can only call a wrapper whose real function its libc has, so NULL here is a broken install. */
void *cvz_w_resolve(enum cvz_real_id id)
{
    void *fn = resolve_one(id);
    if (!fn) abort();
    return fn;
}

static void seen_fork_child(void);

void cvz_wrappers_init(void)
{
    static int done;
    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) return;
    for (int i = 0; i < CVZ_REAL__COUNT; i++)
        if (!cvz_w_real[i]) resolve_one((enum cvz_real_id)i);
    pthread_atfork(NULL, NULL, seen_fork_child);
}

/* ==== objects seen in this process ============================================================ */

#define SEEN_BITS CVZ_W_SEEN_BITS
#define SEEN_SIZE (1u << SEEN_BITS)
#define SEEN_TOMB 1u /* a destroyed object: keep probing past it */
/* key | SEEN_PENDING: another thread is declaring the object (looking its name up).  Object
 * addresses are at least 4-aligned, so the low bit is free. */
#define SEEN_PENDING 1u
uint64_t *cvz_w_seen_tab;
static uint32_t seen_used; /* slots ever filled; stop declaring when the table is 3/4 full */

static uint64_t *seen_get(void)
{
    uint64_t *tab = __atomic_load_n(&cvz_w_seen_tab, __ATOMIC_ACQUIRE);
    if (cvz_likely(tab != NULL)) return tab;
    void *m = mmap(NULL, SEEN_SIZE * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return NULL;
    uint64_t *expect = NULL;
    if (!__atomic_compare_exchange_n(&cvz_w_seen_tab, &expect, (uint64_t *)m, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        munmap(m, SEEN_SIZE * sizeof(uint64_t));
        return expect;
    }
    return (uint64_t *)m;
}

static void seen_fork_child(void)
{
    uint64_t *tab = cvz_w_seen_tab;
    if (tab)
        mmap(tab, SEEN_SIZE * sizeof(uint64_t), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    seen_used = 0;
    cvz_w_symbols_fork_child();
}

#define seen_hash cvz_w_seen_hash

/* With LTTng output, every event about an object carries its name, known once its declare was
 * emitted: a thread that finds the object being declared waits for that (a name lookup reads
 * the symbol table: up to a few ms the first time), at most 50 ms.  JSON readers order by
 * time and need no wait. */
static void seen_wait(const uint64_t *slot, uint64_t key)
{
    if (!cvz_lttng_on()) return;
    uint64_t until = cvz_now() + 50000000;
    while (__atomic_load_n(slot, __ATOMIC_ACQUIRE) == (key | SEEN_PENDING) && cvz_now() < until)
        sched_yield();
}

/* Insert `key` as `value` (key, or key | SEEN_PENDING); 1 when the key was there already. */
static int seen_insert_as(uint64_t key, uint64_t value, uint64_t **slot)
{
    uint64_t *tab = seen_get();
    if (!tab || key <= SEEN_TOMB) return 1;
    for (;;) {
        uint32_t i = seen_hash(key), tomb = UINT32_MAX;
        for (uint32_t n = 0; n < SEEN_SIZE; n++, i = (i + 1) & (SEEN_SIZE - 1)) {
            uint64_t v = __atomic_load_n(&tab[i], __ATOMIC_ACQUIRE);
            if (cvz_likely(v == key)) return 1;
            if (v == (key | SEEN_PENDING)) {
                seen_wait(&tab[i], key);
                return 1;
            }
            if (v == SEEN_TOMB && tomb == UINT32_MAX) tomb = i;
            if (v == 0) {
                if (__atomic_load_n(&seen_used, __ATOMIC_RELAXED) > SEEN_SIZE / 4 * 3 &&
                    tomb == UINT32_MAX)
                    return 1; /* full: stop declaring rather than probe forever */
                uint32_t at = tomb != UINT32_MAX ? tomb : i;
                uint64_t expect = tomb != UINT32_MAX ? SEEN_TOMB : 0;
                if (__atomic_compare_exchange_n(&tab[at], &expect, value, false,
                                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                    if (at == i) __atomic_fetch_add(&seen_used, 1, __ATOMIC_RELAXED);
                    if (slot) *slot = &tab[at];
                    return 0;
                }
                break; /* lost a race for that slot: probe again from the start */
            }
        }
        if (tomb == UINT32_MAX && __atomic_load_n(&seen_used, __ATOMIC_RELAXED) >= SEEN_SIZE)
            return 1;
    }
}

int cvz_w_seen_insert(uint64_t key)
{
    return seen_insert_as(key, key, NULL);
}

static void seen_remove(uint64_t key)
{
    uint64_t *tab = cvz_w_seen_tab;
    if (!tab || key <= SEEN_TOMB) return;
    uint32_t i = seen_hash(key);
    for (uint32_t n = 0; n < SEEN_SIZE; n++, i = (i + 1) & (SEEN_SIZE - 1)) {
        uint64_t v = __atomic_load_n(&tab[i], __ATOMIC_ACQUIRE);
        if (v == 0) return;
        if (v == key) {
            __atomic_compare_exchange_n(&tab[i], &v, SEEN_TOMB, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED);
            return;
        }
    }
}

/* ==== declaration ============================================================================= */

size_t cvz_w_json_str(char *dst, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (cap == 0) return 0;
    for (; s && *s && n + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)ch;
        } else if (ch < 0x20) {
            memcpy(dst + n, "\\u00", 4);
            dst[n + 4] = hex[ch >> 4];
            dst[n + 5] = hex[ch & 15];
            n += 6;
        } else {
            dst[n++] = (char)ch;
        }
    }
    dst[n] = '\0';
    return n;
}

void cvz_w_declare_named(int kind, const void *obj, const char *name, const char *shared,
                         uint64_t ts)
{
    char args[640], esc[400];
    cvz_w_json_str(esc, sizeof esc, name);
    int n = snprintf(args, sizeof args, "\"obj\":\"0x%llx\",\"kind\":\"%s\",\"name\":\"%s\"",
                     (unsigned long long)(uintptr_t)obj, cvz_w_kind_names[kind], esc);
    if (shared && n > 0 && (size_t)n < sizeof args)
        snprintf(args + n, sizeof args - (size_t)n, ",\"shared\":\"%s\"", shared);
    cvz_rec_str(CVZ_EV_OBJ_DECLARE, ts, args);
}

/* Is this object process-shared?  Read from glibc 2.36's layouts (x86_64); only then is
 * /proc/self/maps worth reading for a (dev, inode, offset) key. */
static int obj_pshared(int kind, const void *obj)
{
    switch (kind) {
    case CVZ_OBJ_MUTEX:
        return (((const pthread_mutex_t *)obj)->__data.__kind & 128) != 0;
    case CVZ_OBJ_CONDVAR:
        return (((const pthread_cond_t *)obj)->__data.__wrefs & 1) != 0;
    case CVZ_OBJ_SEM:
        return ((const int *)obj)[2] == 128; /* new_sem.private: FUTEX_SHARED (128) when pshared */
    default:
        return 0;
    }
}

/* CPython's GIL in a version whose offsets symbols.c does not know, when its functions have
 * names (.symtab): the first mutex that take_gil locks is gil->mutex, and the other three
 * objects of struct _gil_runtime_state (cond, mutex, switch_cond, switch_mutex, unchanged from
 * 3.7 to 3.13) lie at fixed distances from it. */
static const char *gil_by_pattern(int kind, uint64_t addr, const char *fn)
{
    static uint64_t first_mutex; /* set once, by whichever thread declares it */
    if (strcmp(fn, "take_gil") != 0 && strcmp(fn, "drop_gil") != 0) return NULL;
    uint64_t none = 0;
    if (kind == CVZ_OBJ_MUTEX && strcmp(fn, "take_gil") == 0)
        __atomic_compare_exchange_n(&first_mutex, &none, addr, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
    uint64_t gil_mutex = __atomic_load_n(&first_mutex, __ATOMIC_RELAXED);
    if (!gil_mutex) return NULL;
    if (addr == gil_mutex) return "GIL";
    if (addr == gil_mutex - 0x30 && kind == CVZ_OBJ_CONDVAR) return "GIL.cond";
    if (addr == gil_mutex + 0x28 && kind == CVZ_OBJ_CONDVAR) return "GIL.switch_cond";
    if (addr == gil_mutex + 0x58 && kind == CVZ_OBJ_MUTEX) return "GIL.switch_mutex";
    return NULL;
}

void cvz_w_declare_miss(int kind, const void *obj, void *caller)
{
    uint64_t ts = cvz_now(); /* before the insert: see cvz_w_declare */
    uint64_t key = (uint64_t)(uintptr_t)obj, *slot = NULL;
    if (seen_insert_as(key, key | SEEN_PENDING, &slot)) return;
    cvz_w_declare_slow(kind, obj, caller, ts);
    __atomic_store_n(slot, key, __ATOMIC_RELEASE); /* declared: others stop waiting */
}

void cvz_w_declare_slow(int kind, const void *obj, void *caller, uint64_t ts)
{
    int saved_errno = errno; /* the wrappers' fast paths never touch errno; this path may */
    char name[300], sym[256], shared_buf[64];
    const char *shared = NULL;
    uint64_t addr = (uint64_t)(uintptr_t)obj;
    const char *s = cvz_w_symbol(addr, sym, sizeof sym, 1);
    if (s) snprintf(name, sizeof name, "%s", s);
    if (!s || strncmp(s, "_PyRuntime+", 11) == 0) {
        char fnbuf[256];
        const char *fn =
            caller ? cvz_w_symbol((uint64_t)(uintptr_t)caller - 1, fnbuf, sizeof fnbuf, 0) : NULL;
        char *plus = fn ? strchr(fnbuf, '+') : NULL;
        if (plus) *plus = '\0';
        const char *gil = fn ? gil_by_pattern(kind, addr, fn) : NULL;
        if (gil)
            snprintf(name, sizeof name, "%s", gil);
        else if (!s)
            snprintf(name, sizeof name, "%s@%s", cvz_w_kind_names[kind], fn ? fn : "?");
    }
    if (obj_pshared(kind, obj)) {
        shared = cvz_w_shared_key(addr, shared_buf, sizeof shared_buf, NULL, 0);
        /* a named semaphore first used in a fork child: name it as sem_open did */
        const char *sem_name = kind == CVZ_OBJ_SEM ? cvz_w_sem_name(obj) : NULL;
        if (sem_name) snprintf(name, sizeof name, "%s", sem_name);
    }
    cvz_w_declare_named(kind, obj, name, shared, ts > 0 ? ts - 1 : ts);
    errno = saved_errno;
}

/* ==== held locks of this thread =============================================================== */

#define HELD_MAX 32
struct held {
    const void *obj;
    uint64_t t_acq;
    uint32_t depth;
    uint32_t mode;
};
static CVZ_TLS struct held held_tab[HELD_MAX];
static CVZ_TLS uint32_t held_n;

static struct held *held_find(const void *obj)
{
    for (uint32_t i = held_n; i-- > 0;)
        if (held_tab[i].obj == obj) return &held_tab[i];
    return NULL;
}

static uint32_t held_push(const void *obj, uint64_t ts, int mode)
{
    struct held *h = held_find(obj);
    if (h) return ++h->depth;
    if (held_n == HELD_MAX) { /* drop the oldest: most likely a semaphore posted elsewhere */
        memmove(&held_tab[0], &held_tab[1], sizeof held_tab[0] * (HELD_MAX - 1));
        held_n--;
    }
    held_tab[held_n++] = (struct held){obj, ts, 1, (uint32_t)mode};
    return 1;
}

static void held_drop(struct held *h)
{
    uint32_t i = (uint32_t)(h - held_tab);
    if (i + 1 < held_n) /* not the innermost: locks released out of order */
        memmove(&held_tab[i], &held_tab[i + 1], sizeof held_tab[0] * (held_n - i - 1));
    held_n--;
}

void cvz_w_rehold(const void *obj, uint64_t ts)
{
    if (!cvz_enter()) return;
    struct held *h = held_find(obj);
    if (h) h->t_acq = ts;
    cvz_leave();
}

/* ==== the lock pattern ======================================================================== */

static inline uint16_t acq_sub(int res, int mode, long count)
{
    return (uint16_t)((res & CVZ_SUB_RES_MASK) | (mode & CVZ_SUB_SHARED) |
                      (count >= 0 ? CVZ_SUB_COUNT : 0));
}

void cvz_w_acquired(int kind, const void *obj, int mode, int res, uint64_t t_req, long count,
                    void *caller)
{
    if (!cvz_enter()) return;
    cvz_w_declare(kind, obj, caller);
    uint64_t ts = cvz_now_ordered();
    uint32_t depth = 0;
    if (res == CVZ_ACQ_OK)
        depth = held_push(obj, ts, mode);
    else {
        struct held *h = held_find(obj);
        depth = h ? h->depth : 0;
    }
    cvz_rec(CVZ_EV_LOCK_ACQUIRE, acq_sub(res, mode, count), ts, (uint64_t)(uintptr_t)obj,
            t_req ? ts - t_req : 0, depth, count >= 0 ? (uint64_t)count : 0);
    cvz_leave();
}

uint64_t cvz_w_request(int kind, const void *obj, int mode, void *caller)
{
    if (!cvz_enter()) return 0;
    cvz_w_declare(kind, obj, caller);
    uint64_t ts = cvz_now();
    cvz_rec(CVZ_EV_LOCK_REQUEST, (uint16_t)(mode & CVZ_SUB_SHARED), ts, (uint64_t)(uintptr_t)obj, 0,
            0, 0);
    cvz_leave();
    return ts;
}

void cvz_w_released(int kind, const void *obj, int mode, uint64_t ts, long count, void *caller)
{
    if (!cvz_enter()) return;
    if (!ts) ts = cvz_now();
    uint64_t hold_ns = 0;
    uint32_t depth = 0;
    struct held *h = held_find(obj);
    if (h) {
        hold_ns = ts > h->t_acq ? ts - h->t_acq : 0;
        if (mode < 0) mode = (int)h->mode;
        depth = --h->depth;
        if (depth == 0) held_drop(h);
    }
    if (mode < 0) mode = 0;
    cvz_rec(CVZ_EV_LOCK_RELEASE, acq_sub(0, mode, count), ts, (uint64_t)(uintptr_t)obj, hold_ns,
            depth, count >= 0 ? (uint64_t)count : 0);
    cvz_leave();
}

void cvz_w_obj_event(int ev, int kind, const void *obj, uint16_t sub, uint64_t a, uint64_t b,
                     void *caller, uint64_t ts)
{
    if (!cvz_enter()) return;
    if (!ts) {
        cvz_w_declare(kind, obj, caller);
        ts = cvz_now();
    }
    cvz_rec((uint16_t)ev, sub, ts, (uint64_t)(uintptr_t)obj, a, b, 0);
    cvz_leave();
}

void cvz_w_destroy(int kind, const void *obj, void *caller)
{
    (void)kind; /* the kind and caller would only name an object never used: not declared */
    (void)caller;
    int saved = errno;
    if (!cvz_enter()) return;
    uint64_t ts = cvz_now();
    /* Only an object that was used gets a destroy event: a declare here would be noise. */
    uint64_t *tab = cvz_w_seen_tab;
    if (tab) {
        uint64_t key = (uint64_t)(uintptr_t)obj;
        uint32_t i = seen_hash(key);
        for (uint32_t n = 0; n < SEEN_SIZE; n++, i = (i + 1) & (SEEN_SIZE - 1)) {
            uint64_t v = __atomic_load_n(&tab[i], __ATOMIC_ACQUIRE);
            if (v == 0) break;
            if (v == key) {
                cvz_rec(CVZ_EV_OBJ_DESTROY, 0, ts, key, 0, 0, 0);
                break;
            }
        }
    }
    seen_remove((uint64_t)(uintptr_t)obj);
    struct held *h;
    while ((h = held_find(obj)) != NULL)
        held_drop(h);
    cvz_leave();
    errno = saved;
}

/* ==== block.begin / block.end ================================================================= */

void cvz_w_block_begin(struct cvz_w_block *blk, int reason, int fn, uint64_t obj, uint64_t fdkind,
                       uint64_t c)
{
    blk->t0 = 0;
    blk->reason = (uint16_t)reason;
    blk->fn = (uint16_t)fn;
    if (!cvz_enter()) return;
    blk->t0 = cvz_now();
    cvz_rec(CVZ_EV_BLOCK_BEGIN, (uint16_t)reason, blk->t0, obj, (uint64_t)fn, fdkind, c);
    cvz_leave();
}

void cvz_w_io_begin(struct cvz_w_block *blk, int fn, int fd)
{
    blk->t0 = 0;
    if (!cvz_enter()) return;
    int saved = errno;
    uint64_t inode = 0;
    int kind = cvz_w_fd_kind(fd, &inode);
    blk->t0 = cvz_now();
    blk->reason = CVZ_R_IO;
    blk->fn = (uint16_t)fn;
    cvz_rec(CVZ_EV_BLOCK_BEGIN, CVZ_R_IO, blk->t0, (uint64_t)(int64_t)fd, (uint64_t)fn,
            (uint64_t)kind, inode);
    cvz_leave();
    errno = saved;
}

void cvz_w_block_end(struct cvz_w_block *blk, uint64_t target, int64_t ret, uint64_t status)
{
    if (!blk->t0) return;
    if (!cvz_enter()) return;
    cvz_rec(CVZ_EV_BLOCK_END, blk->reason, cvz_now(), target, blk->fn, (uint64_t)ret, status);
    cvz_leave();
}

/* ==== weak fallbacks of the contract additions ==================================================
 */

__attribute__((weak)) uint64_t cvz_now_ordered(void)
{
    return cvz_now();
}

__attribute__((weak)) bool cvz_lttng_on(void)
{
    return false;
}

__attribute__((weak)) void cvz_rec_str_tid(uint16_t kind, uint64_t ts, pid_t tid,
                                           const char *args_json)
{
    char buf[600];
    if (tid == 0 || tid == cvz_tid()) {
        cvz_rec_str(kind, ts, args_json);
        return;
    }
    snprintf(buf, sizeof buf, "%s,\"tid\":%d", args_json, (int)tid);
    cvz_rec_str(kind, ts, buf);
}

void cvz_w_thread_name(pid_t tid, const char *name)
{
    char args[300], esc[200];
    if (!cvz_enter()) return;
    cvz_w_json_str(esc, sizeof esc, name);
    snprintf(args, sizeof args, "\"name\":\"%s\"", esc);
    cvz_rec_str_tid(CVZ_EV_THREAD_NAME, cvz_now(), tid, args);
    cvz_leave();
}
