/* wrap_join.c - pthread_join and friends (block.begin/end, reason "join"), pthread_detach.
 *
 * DESIGN: the events name threads by kernel tid, so the target pthread_t is turned into a tid
 * *before* the real call: once joined, glibc frees the thread and may hand the same pthread_t to
 * the next pthread_create at once.  cvz_tid_of() belongs to the core (its pthread_create wrapper
 * knows every child's tid); the weak fallback here reads the tid glibc keeps in struct pthread,
 * at an offset found once by looking for our own tid in our own struct pthread.  That field is
 * cleared by the kernel when the thread exits, so the fallback only knows running threads.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wrap_common.h"

static long tid_offset = -1; /* -2: not found */

static long find_tid_offset(void)
{
    const unsigned char *self = (const unsigned char *)pthread_self();
    pid_t me = gettid();
    pid_t v;
    memcpy(&v, self + 0x2d0, sizeof v); /* glibc 2.28 .. 2.38 on x86_64 */
    if (v == me) return 0x2d0;
    for (long off = 0; off < 0x800; off += 4) {
        memcpy(&v, self + off, sizeof v);
        if (v == me) return off;
    }
    return -2;
}

__attribute__((weak)) pid_t cvz_tid_of(unsigned long th)
{
    long off = __atomic_load_n(&tid_offset, __ATOMIC_RELAXED);
    if (off == -1) { /* racing threads compute the same value */
        off = find_tid_offset();
        __atomic_store_n(&tid_offset, off, __ATOMIC_RELAXED);
    }
    if (off < 0 || th == 0) return 0;
    pid_t v;
    memcpy(&v, (const unsigned char *)th + off, sizeof v);
    return v > 0 ? v : 0;
}

pid_t cvz_w_tid_of(unsigned long th)
{
    if (th == (unsigned long)pthread_self()) return cvz_tid();
    return cvz_tid_of(th);
}

#define CVZ_JOIN(fn, call)                                                                         \
    do {                                                                                           \
        if (!cvz_w_on()) return (call);                                                            \
        pid_t tid_ = cvz_w_tid_of((unsigned long)th);                                              \
        struct cvz_w_block blk_;                                                                   \
        cvz_w_block_begin(&blk_, CVZ_R_JOIN, CVZ_FN_##fn, (uint64_t)tid_, 0, 0);                   \
        int ret_ = (call);                                                                         \
        cvz_w_block_end(&blk_, ret_ == 0 ? (uint64_t)tid_ : 0, ret_, 0);                           \
        return ret_;                                                                               \
    } while (0)

int pthread_join(pthread_t th, void **retval)
{
    CVZ_JOIN(pthread_join, REAL(pthread_join)(th, retval));
}

int pthread_tryjoin_np(pthread_t th, void **retval)
{
    CVZ_JOIN(pthread_tryjoin_np, REAL(pthread_tryjoin_np)(th, retval));
}

int pthread_timedjoin_np(pthread_t th, void **retval, const struct timespec *abstime)
{
    CVZ_JOIN(pthread_timedjoin_np, REAL(pthread_timedjoin_np)(th, retval, abstime));
}

int pthread_clockjoin_np(pthread_t th, void **retval, clockid_t clk, const struct timespec *abstime)
{
    CVZ_JOIN(pthread_clockjoin_np, REAL(pthread_clockjoin_np)(th, retval, clk, abstime));
}

int pthread_detach(pthread_t th)
{
    if (!cvz_w_on()) return REAL(pthread_detach)(th);
    pid_t tid = cvz_w_tid_of((unsigned long)th);
    int ret = REAL(pthread_detach)(th);
    if (ret == 0 && cvz_enter()) {
        cvz_rec(CVZ_EV_THREAD_DETACH, 0, cvz_now(), (uint64_t)tid, 0, 0, 0);
        cvz_leave();
    }
    return ret;
}
