/* wrap_mutex.c - pthread mutexes and spinlocks: lock.request / lock.acquire / lock.release.
 *
 * DESIGN (after mutrace): every blocking acquisition first calls the real trylock; when that
 * succeeds, the only record is a lock.acquire with wait 0, so uncontended locks stay cheap.
 * Only a failed trylock records a lock.request, then blocks in the real call.  A release is
 * stamped before the real unlock (so the next holder's acquire is always later in time) and
 * recorded after it (so the critical section grows by one clock read only): CVZ_RELEASE.
 */
#include <pthread.h>
#include <time.h>

#include "wrap_common.h"

static inline int res_of(int ret)
{
    switch (ret) {
    case 0:
    case EOWNERDEAD: /* robust mutex: acquired, the previous owner died */
        return CVZ_ACQ_OK;
    case EBUSY:
        return CVZ_ACQ_BUSY;
    case ETIMEDOUT:
        return CVZ_ACQ_TIMEOUT;
    case EINTR:
        return CVZ_ACQ_EINTR;
    default:
        return CVZ_ACQ_ERROR;
    }
}

/* The one acquisition pattern: try, else request + block, then record the result.  `trycall`
 * and `blockcall` are expressions giving an errno-style result. */
#define CVZ_TRY_THEN_BLOCK(kind, obj, mode, trycall, blockcall)                                    \
    do {                                                                                           \
        void *caller_ = __builtin_return_address(0);                                               \
        int ret_ = (trycall);                                                                      \
        if (ret_ != EBUSY) {                                                                       \
            cvz_w_acquired(kind, obj, mode, res_of(ret_), 0, -1, caller_);                         \
            return ret_;                                                                           \
        }                                                                                          \
        uint64_t t_req_ = cvz_w_request(kind, obj, mode, caller_);                                 \
        ret_ = (blockcall);                                                                        \
        cvz_w_acquired(kind, obj, mode, res_of(ret_), t_req_, -1, caller_);                        \
        return ret_;                                                                               \
    } while (0)

#define CVZ_TRY_ONLY(kind, obj, mode, trycall)                                                     \
    do {                                                                                           \
        int ret_ = (trycall);                                                                      \
        cvz_w_acquired(kind, obj, mode, res_of(ret_), 0, -1, __builtin_return_address(0));         \
        return ret_;                                                                               \
    } while (0)

/* ==== mutex =================================================================================== */

int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (!cvz_w_on()) return REAL(pthread_mutex_lock)(m);
    CVZ_TRY_THEN_BLOCK(CVZ_OBJ_MUTEX, m, 0, REAL(pthread_mutex_trylock)(m),
                       REAL(pthread_mutex_lock)(m));
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    if (!cvz_w_on()) return REAL(pthread_mutex_trylock)(m);
    CVZ_TRY_ONLY(CVZ_OBJ_MUTEX, m, 0, REAL(pthread_mutex_trylock)(m));
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    if (!cvz_w_on()) return REAL(pthread_mutex_timedlock)(m, abstime);
    CVZ_TRY_THEN_BLOCK(CVZ_OBJ_MUTEX, m, 0, REAL(pthread_mutex_trylock)(m),
                       REAL(pthread_mutex_timedlock)(m, abstime));
}

int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_clock(clk))
        return REAL(pthread_mutex_clocklock)(m, clk, abstime);
    CVZ_TRY_THEN_BLOCK(CVZ_OBJ_MUTEX, m, 0, REAL(pthread_mutex_trylock)(m),
                       REAL(pthread_mutex_clocklock)(m, clk, abstime));
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    CVZ_RELEASE(CVZ_OBJ_MUTEX, m, 0, REAL(pthread_mutex_unlock)(m));
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_MUTEX, m, __builtin_return_address(0));
    return REAL(pthread_mutex_destroy)(m);
}

/* ==== spinlock ================================================================================ */

int pthread_spin_lock(pthread_spinlock_t *s)
{
    if (!cvz_w_on()) return REAL(pthread_spin_lock)(s);
    CVZ_TRY_THEN_BLOCK(CVZ_OBJ_SPIN, (const void *)s, 0, REAL(pthread_spin_trylock)(s),
                       REAL(pthread_spin_lock)(s));
}

int pthread_spin_trylock(pthread_spinlock_t *s)
{
    if (!cvz_w_on()) return REAL(pthread_spin_trylock)(s);
    CVZ_TRY_ONLY(CVZ_OBJ_SPIN, (const void *)s, 0, REAL(pthread_spin_trylock)(s));
}

int pthread_spin_unlock(pthread_spinlock_t *s)
{
    CVZ_RELEASE(CVZ_OBJ_SPIN, (const void *)s, 0, REAL(pthread_spin_unlock)(s));
}

int pthread_spin_destroy(pthread_spinlock_t *s)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_SPIN, (const void *)s, __builtin_return_address(0));
    return REAL(pthread_spin_destroy)(s);
}
