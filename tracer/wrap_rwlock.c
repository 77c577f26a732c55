/* wrap_rwlock.c - pthread rwlocks: readers take the lock in mode "r", writers in mode "w".
 *
 * Same pattern as wrap_mutex.c (try first, request only when that fails).  pthread_rwlock_unlock
 * does not say which mode it releases: the mode is what this thread holds (-1 lets the helper
 * look it up in the thread's held array).
 */
#include <pthread.h>
#include <time.h>

#include "wrap_common.h"

static inline int res_of(int ret)
{
    return ret == 0           ? CVZ_ACQ_OK
           : ret == EBUSY     ? CVZ_ACQ_BUSY
           : ret == ETIMEDOUT ? CVZ_ACQ_TIMEOUT
                              : CVZ_ACQ_ERROR;
}

#define RD CVZ_SUB_SHARED
#define WR 0

#define CVZ_TRY_THEN_BLOCK(obj, mode, trycall, blockcall)                                          \
    do {                                                                                           \
        void *caller_ = __builtin_return_address(0);                                               \
        int ret_ = (trycall);                                                                      \
        if (ret_ != EBUSY) {                                                                       \
            cvz_w_acquired(CVZ_OBJ_RWLOCK, obj, mode, res_of(ret_), 0, -1, caller_);               \
            return ret_;                                                                           \
        }                                                                                          \
        uint64_t t_req_ = cvz_w_request(CVZ_OBJ_RWLOCK, obj, mode, caller_);                       \
        ret_ = (blockcall);                                                                        \
        cvz_w_acquired(CVZ_OBJ_RWLOCK, obj, mode, res_of(ret_), t_req_, -1, caller_);              \
        return ret_;                                                                               \
    } while (0)

#define CVZ_TRY_ONLY(obj, mode, trycall)                                                           \
    do {                                                                                           \
        int ret_ = (trycall);                                                                      \
        cvz_w_acquired(CVZ_OBJ_RWLOCK, obj, mode, res_of(ret_), 0, -1,                             \
                       __builtin_return_address(0));                                               \
        return ret_;                                                                               \
    } while (0)

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    if (!cvz_w_on()) return REAL(pthread_rwlock_rdlock)(l);
    CVZ_TRY_THEN_BLOCK(l, RD, REAL(pthread_rwlock_tryrdlock)(l), REAL(pthread_rwlock_rdlock)(l));
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    if (!cvz_w_on()) return REAL(pthread_rwlock_tryrdlock)(l);
    CVZ_TRY_ONLY(l, RD, REAL(pthread_rwlock_tryrdlock)(l));
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_deadline(abstime))
        return REAL(pthread_rwlock_timedrdlock)(l, abstime);
    CVZ_TRY_THEN_BLOCK(l, RD, REAL(pthread_rwlock_tryrdlock)(l),
                       REAL(pthread_rwlock_timedrdlock)(l, abstime));
}

int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_clock(clk) || !cvz_w_valid_deadline(abstime))
        return REAL(pthread_rwlock_clockrdlock)(l, clk, abstime);
    CVZ_TRY_THEN_BLOCK(l, RD, REAL(pthread_rwlock_tryrdlock)(l),
                       REAL(pthread_rwlock_clockrdlock)(l, clk, abstime));
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    if (!cvz_w_on()) return REAL(pthread_rwlock_wrlock)(l);
    CVZ_TRY_THEN_BLOCK(l, WR, REAL(pthread_rwlock_trywrlock)(l), REAL(pthread_rwlock_wrlock)(l));
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    if (!cvz_w_on()) return REAL(pthread_rwlock_trywrlock)(l);
    CVZ_TRY_ONLY(l, WR, REAL(pthread_rwlock_trywrlock)(l));
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_deadline(abstime))
        return REAL(pthread_rwlock_timedwrlock)(l, abstime);
    CVZ_TRY_THEN_BLOCK(l, WR, REAL(pthread_rwlock_trywrlock)(l),
                       REAL(pthread_rwlock_timedwrlock)(l, abstime));
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_clock(clk) || !cvz_w_valid_deadline(abstime))
        return REAL(pthread_rwlock_clockwrlock)(l, clk, abstime);
    CVZ_TRY_THEN_BLOCK(l, WR, REAL(pthread_rwlock_trywrlock)(l),
                       REAL(pthread_rwlock_clockwrlock)(l, clk, abstime));
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    CVZ_RELEASE(CVZ_OBJ_RWLOCK, l, -1, REAL(pthread_rwlock_unlock)(l));
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_RWLOCK, l, __builtin_return_address(0));
    return REAL(pthread_rwlock_destroy)(l);
}
