/* wrap_common.h - what every wrapper family (wrap_*.c) shares: the table of real functions, the
 * one acquisition/release/block pattern, object declaration and the fd-kind cache.
 *
 * DESIGN: a wrapper is written as
 *     if (!cvz_w_on()) return REAL(f)(args);        // tracing off: straight through
 *     ... helper before ... REAL(f)(args) ... helper after ...
 * and the helpers hold the recursion guard (cvz_enter/cvz_leave) only while they record, never
 * across the real call: a signal handler that runs inside a blocking call (sem_wait interrupted
 * by SIGALRM whose handler write()s) is traced like any other code, and the wrapper's own state
 * (request time, reason) lives on the C stack, so nested wrappers form a stack by construction.
 * Real pointers are resolved lazily, one symbol at a time (dlsym during dlsym, or a wrapper
 * called before the core's constructor, never sees a half-filled table), and all at once by
 * cvz_wrappers_init().  Internal helpers are hidden so that calls between them skip the PLT.
 */
#ifndef CVZ_WRAP_COMMON_H
#define CVZ_WRAP_COMMON_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "cvz_tracer.h"

#define CVZ_HIDDEN      __attribute__((visibility("hidden")))
#define cvz_likely(x)   __builtin_expect(!!(x), 1)
#define cvz_unlikely(x) __builtin_expect(!!(x), 0)
#define CVZ_TLS         __thread __attribute__((tls_model("initial-exec")))

/* The core's entry points are called on every event: through the GOT directly, not the PLT
 * (one indirect jump less per call; they stay interposable and exported for the LTTng lib). */
__attribute__((noplt)) uint64_t cvz_now(void);
__attribute__((noplt)) bool cvz_active(void);
__attribute__((noplt)) bool cvz_enter(void);
__attribute__((noplt)) void cvz_leave(void);
__attribute__((noplt)) void cvz_rec(uint16_t kind, uint16_t sub, uint64_t ts, uint64_t obj,
                                    uint64_t a, uint64_t b, uint64_t c);

/* ---- real functions ----------------------------------------------------------------------
 * X(name): default version through dlsym(RTLD_NEXT).  XV(id, name, version): a given symbol
 * version through dlvsym (the two condvar ABIs, DESIGN.md section 4). */
/* clang-format off */
#define CVZ_REAL_LIST(X, XV)                                                                       \
    X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_timedlock)                      \
    X(pthread_mutex_clocklock) X(pthread_mutex_unlock) X(pthread_mutex_destroy)                    \
    X(pthread_spin_lock) X(pthread_spin_trylock) X(pthread_spin_unlock) X(pthread_spin_destroy)    \
    X(pthread_rwlock_rdlock) X(pthread_rwlock_tryrdlock) X(pthread_rwlock_timedrdlock)             \
    X(pthread_rwlock_clockrdlock) X(pthread_rwlock_wrlock) X(pthread_rwlock_trywrlock)             \
    X(pthread_rwlock_timedwrlock) X(pthread_rwlock_clockwrlock) X(pthread_rwlock_unlock)           \
    X(pthread_rwlock_destroy)                                                                      \
    XV(cond_wait_new, pthread_cond_wait, "GLIBC_2.3.2")                                            \
    XV(cond_wait_old, pthread_cond_wait, "GLIBC_2.2.5")                                            \
    XV(cond_timedwait_new, pthread_cond_timedwait, "GLIBC_2.3.2")                                  \
    XV(cond_timedwait_old, pthread_cond_timedwait, "GLIBC_2.2.5")                                  \
    XV(cond_signal_new, pthread_cond_signal, "GLIBC_2.3.2")                                        \
    XV(cond_signal_old, pthread_cond_signal, "GLIBC_2.2.5")                                        \
    XV(cond_broadcast_new, pthread_cond_broadcast, "GLIBC_2.3.2")                                  \
    XV(cond_broadcast_old, pthread_cond_broadcast, "GLIBC_2.2.5")                                  \
    XV(cond_destroy_new, pthread_cond_destroy, "GLIBC_2.3.2")                                      \
    XV(cond_destroy_old, pthread_cond_destroy, "GLIBC_2.2.5")                                      \
    X(pthread_cond_clockwait)                                                                      \
    X(sem_wait) X(sem_trywait) X(sem_timedwait) X(sem_clockwait) X(sem_post) X(sem_open)           \
    X(sem_close) X(sem_destroy)                                                                    \
    X(pthread_barrier_wait) X(pthread_barrier_destroy)                                             \
    X(pthread_join) X(pthread_timedjoin_np) X(pthread_tryjoin_np) X(pthread_clockjoin_np)          \
    X(pthread_detach) X(pthread_setname_np) X(prctl)                                               \
    X(nanosleep) X(clock_nanosleep) X(usleep) X(sleep)                                             \
    X(read) X(write) X(readv) X(writev) X(pread) X(pread64) X(pwrite) X(pwrite64) X(recv)          \
    X(recvfrom) X(recvmsg) X(send) X(sendto) X(sendmsg) X(accept) X(accept4) X(connect) X(poll)    \
    X(ppoll) X(select) X(pselect) X(epoll_wait) X(epoll_pwait) X(mq_receive) X(mq_send)            \
    X(close) X(dup) X(dup2) X(dup3) X(pipe) X(pipe2) X(socket) X(socketpair) X(open) X(open64)     \
    X(openat) X(openat64) X(eventfd) X(epoll_create) X(epoll_create1) X(timerfd_create)           \
    X(wait) X(waitpid) X(waitid) X(wait3) X(wait4)                                                \
    X(__read_chk) X(__pread_chk) X(__pread64_chk) X(__recv_chk) X(__recvfrom_chk) X(__poll_chk)    \
    X(__ppoll_chk) X(__open_2) X(__open64_2) X(__openat_2) X(__openat64_2)
/* clang-format on */

enum cvz_real_id {
#define CVZ_X(name)           CVZ_REAL_##name,
#define CVZ_XV(id, name, ver) CVZ_REAL_##id,
    CVZ_REAL_LIST(CVZ_X, CVZ_XV)
#undef CVZ_X
#undef CVZ_XV
        CVZ_REAL__COUNT
};

CVZ_HIDDEN extern void *cvz_w_real[CVZ_REAL__COUNT];
CVZ_HIDDEN void *cvz_w_resolve(enum cvz_real_id id);

static inline void *cvz_w_real_get(enum cvz_real_id id)
{
    void *fn = __atomic_load_n(&cvz_w_real[id], __ATOMIC_RELAXED);
    return cvz_likely(fn != NULL) ? fn : cvz_w_resolve(id);
}
/* REAL(read)(fd, buf, n): the next definition of `read` after ours.  REALV(id, proto_of) for a
 * versioned one, typed like the function `proto_of`. */
#define REAL(name)          ((__typeof__(&name))cvz_w_real_get(CVZ_REAL_##name))
#define REALV(id, proto_of) ((__typeof__(&proto_of))cvz_w_real_get(CVZ_REAL_##id))

/* glibc checks a deadline before it tries to take the object (rwlocks, semaphores, clocklock):
 * a wrapper that tries first must not turn an EINVAL into a success. */
#include <time.h>
static inline int cvz_w_valid_deadline(const struct timespec *t)
{
    return t && t->tv_nsec >= 0 && t->tv_nsec < 1000000000;
}
static inline int cvz_w_valid_clock(clockid_t clk)
{
    return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC;
}

/* ---- state ------------------------------------------------------------------------------ */

/* True when this call should be traced at all (cheap: the core's flag).  The guard is taken
 * later, by the helpers. */
static inline int cvz_w_on(void)
{
    return cvz_active();
}

/* The one release pattern: declare, stamp, release for real, record (only when it
 * succeeded).  The declaration comes before the real call: once the object is released its
 * owner may destroy it at once (a semaphore on a waiter's stack), and a late declare would
 * then name a new object. */
#define CVZ_RELEASE(kind, obj, mode, call)                                                         \
    do {                                                                                           \
        if (!cvz_w_on()) return (call);                                                            \
        void *caller_ = __builtin_return_address(0);                                               \
        cvz_w_declare_early(kind, obj, caller_);                                                   \
        uint64_t ts_ = cvz_now();                                                                  \
        int ret_ = (call);                                                                         \
        if (ret_ == 0) cvz_w_released(kind, obj, mode, ts_, -1, caller_);                          \
        return ret_;                                                                               \
    } while (0)

/* An acquisition that succeeded at once (trylock / the fast path): one lock.acquire, wait 0.
 * `res` is an enum cvz_acq_result; count is -1 unless a semaphore value is known. */
CVZ_HIDDEN void cvz_w_acquired(int kind, const void *obj, int mode, int res, uint64_t t_req,
                               long count, void *caller);
/* The fast path failed: record lock.request and return its time (0 when not recorded). */
CVZ_HIDDEN uint64_t cvz_w_request(int kind, const void *obj, int mode, void *caller);
/* A release: lock.release with the hold time and depth this thread knows.  `ts` is the time
 * taken before the real release (0: now).  count -1 when none.  Wrappers stamp the time and
 * declare (cvz_w_declare_early), do the real release, then call this, which does not declare:
 * the record is written outside the critical section, which grows by one clock read only. */
CVZ_HIDDEN void cvz_w_released(int kind, const void *obj, int mode, uint64_t ts, long count,
                               void *caller);
/* cond.wait released the mutex; cond.wake reacquired it: restart its hold time. */
CVZ_HIDDEN void cvz_w_rehold(const void *obj, uint64_t ts);
/* A simple event on an object (signal, broadcast, barrier).  ts 0: now, and declared here;
 * else stamped earlier by a wrapper that declared it then (cvz_w_declare_early). */
CVZ_HIDDEN void cvz_w_obj_event(int ev, int kind, const void *obj, uint16_t sub, uint64_t a,
                                uint64_t b, void *caller, uint64_t ts);
/* object.destroy: forget the object, so a later one at the same address is declared again. */
CVZ_HIDDEN void cvz_w_destroy(int kind, const void *obj, void *caller);
/* Declare with a given name (sem_open, annotation API); `shared` may be NULL. */
CVZ_HIDDEN void cvz_w_declare_named(int kind, const void *obj, const char *name, const char *shared,
                                    uint64_t ts);
/* Declare at first use: one hash probe when already declared.  Always called before the
 * event's time is taken: the thread that inserts an object into the seen set stamps its
 * declaration before the insert, so every event of any thread that found the object there is
 * stamped later than the declaration. */
CVZ_HIDDEN void cvz_w_declare_miss(int kind, const void *obj, void *caller);
CVZ_HIDDEN void cvz_w_declare_slow(int kind, const void *obj, void *caller, uint64_t ts);
CVZ_HIDDEN int cvz_w_seen_insert(uint64_t obj); /* 1 when already there */
#define CVZ_W_SEEN_BITS 18
CVZ_HIDDEN extern uint64_t *cvz_w_seen_tab; /* open addressing, linear probing */
static inline uint32_t cvz_w_seen_hash(uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - CVZ_W_SEEN_BITS));
}
static inline int cvz_w_seen_home(const void *obj)
{
    uint64_t key = (uint64_t)(uintptr_t)obj;
    uint64_t *tab = __atomic_load_n(&cvz_w_seen_tab, __ATOMIC_ACQUIRE);
    return cvz_likely(tab != NULL) &&
           cvz_likely(__atomic_load_n(&tab[cvz_w_seen_hash(key)], __ATOMIC_RELAXED) == key);
}
/* Inside the guard. */
static inline void cvz_w_declare(int kind, const void *obj, void *caller)
{
    if (cvz_likely(cvz_w_seen_home(obj))) return; /* the usual case: found at its home slot */
    cvz_w_declare_miss(kind, obj, caller);
}
/* Outside the guard, for wrappers that stamp before the real call and record after it
 * (CVZ_RELEASE, sem_post, cond signal; cvz_w_released does not declare). */
static inline void cvz_w_declare_early(int kind, const void *obj, void *caller)
{
    if (cvz_likely(cvz_w_seen_home(obj))) return;
    if (cvz_enter()) {
        cvz_w_declare_miss(kind, obj, caller);
        cvz_leave();
    }
}

/* ---- blocking calls that are not locks (block.begin / block.end) ------------------------- */
struct cvz_w_block {
    uint64_t t0;     /* 0 when block.begin was not recorded (then no block.end either) */
    uint16_t reason; /* enum cvz_reason */
    uint16_t fn;     /* enum cvz_fn */
};
CVZ_HIDDEN void cvz_w_block_begin(struct cvz_w_block *blk, int reason, int fn, uint64_t obj,
                                  uint64_t fdkind, uint64_t c);
CVZ_HIDDEN void cvz_w_block_end(struct cvz_w_block *blk, uint64_t target, int64_t ret,
                                uint64_t status);
/* block.begin for IO on fd (kind and inode from the fd cache). */
CVZ_HIDDEN void cvz_w_io_begin(struct cvz_w_block *blk, int fn, int fd);

/* wrap_sem.c: the name a semaphore at obj was opened with (sem_open), or NULL. */
CVZ_HIDDEN const char *cvz_w_sem_name(const void *obj);

/* ---- fd kinds ---------------------------------------------------------------------------- */
CVZ_HIDDEN int cvz_w_fd_kind(int fd, uint64_t *inode);
CVZ_HIDDEN void cvz_w_fd_forget(int fd);

/* ---- threads (wrap_join.c) ---------------------------------------------------------------- */
CVZ_HIDDEN pid_t cvz_w_tid_of(unsigned long thread);

/* ---- names and strings --------------------------------------------------------------------- */
/* Write `s` as the inside of a JSON string (escaped, truncated) into dst; returns length. */
CVZ_HIDDEN size_t cvz_w_json_str(char *dst, size_t cap, const char *s);
/* Record a thread name for the thread with kernel id tid (the calling thread when 0). */
CVZ_HIDDEN void cvz_w_thread_name(pid_t tid, const char *name);
CVZ_HIDDEN extern const char *const cvz_w_kind_names[CVZ_OBJ__COUNT];

/* symbols.c: symbol (+offset) of addr, or NULL; data_only: only data objects (else code too,
 * and "module+0xoff" for code in a stripped module). */
CVZ_HIDDEN const char *cvz_w_symbol(uint64_t addr, char *buf, size_t len, int data_only);
CVZ_HIDDEN void cvz_w_symbols_fork_child(void);
/* symbols.c: "dev:inode:offset" when addr is in a shared file mapping, else NULL; the mapped
 * file's path goes to `path` when not NULL (e.g. "/dev/shm/sem.jobs"). */
CVZ_HIDDEN const char *cvz_w_shared_key(uint64_t addr, char *buf, size_t len, char *path,
                                        size_t path_len);

/* The lock helpers never change errno (only the declaration slow path does, and it restores
 * it); wrappers that call something else after the real call keep errno with this. */
#define CVZ_KEEP_ERRNO(stmt)                                                                       \
    do {                                                                                           \
        int saved_errno_ = errno;                                                                  \
        stmt;                                                                                      \
        errno = saved_errno_;                                                                      \
    } while (0)

#endif
