/* wrap_cond.c - condition variables: cond.wait / cond.wake / cond.signal / cond.broadcast.
 *
 * DESIGN: glibc exports two ABIs of every pthread_cond_* function (DESIGN.md section 4): the
 * default pthread_cond_wait@@GLIBC_2.3.2 and the old-layout pthread_cond_wait@GLIBC_2.2.5.  A
 * single unversioned wrapper would forward old binaries to the new implementation with an
 * old-layout object (a timedwait that must time out returned 0).  So each function has two
 * wrappers, bound by .symver to the two version nodes of libconviz.map, each forwarding through
 * dlvsym to its own version.  cond.wait is recorded before the real call (it implies releasing
 * the mutex, which the real call does inside, without going through the PLT); cond.wake after
 * (the mutex is held again), and the mutex's hold time restarts there.
 */
#include <pthread.h>
#include <time.h>

#include "wrap_common.h"

typedef int cond_wait_fn(pthread_cond_t *, pthread_mutex_t *);
typedef int cond_timedwait_fn(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int cond_fn(pthread_cond_t *);

static void wait_begin(pthread_cond_t *c, pthread_mutex_t *m, int timed, void *caller)
{
    int saved = errno;
    if (!cvz_enter()) return;
    cvz_w_declare(CVZ_OBJ_MUTEX, m, caller);
    cvz_w_declare(CVZ_OBJ_CONDVAR, c, caller);
    uint64_t ts = cvz_now();
    cvz_rec(CVZ_EV_COND_WAIT, 0, ts, (uint64_t)(uintptr_t)c, (uint64_t)(uintptr_t)m,
            (uint64_t)timed, 0);
    cvz_leave();
    errno = saved;
}

static void wait_end(pthread_cond_t *c, pthread_mutex_t *m, int ret)
{
    int saved = errno;
    if (!cvz_enter()) return;
    uint64_t ts = cvz_now();
    int res = ret == 0 ? CVZ_ACQ_OK : ret == ETIMEDOUT ? CVZ_ACQ_TIMEOUT : CVZ_ACQ_ERROR;
    cvz_rec(CVZ_EV_COND_WAKE, (uint16_t)res, ts, (uint64_t)(uintptr_t)c, (uint64_t)(uintptr_t)m, 0,
            0);
    cvz_leave();
    cvz_w_rehold(m, ts);
    errno = saved;
}

static int cond_wait(cond_wait_fn *real, pthread_cond_t *c, pthread_mutex_t *m, void *caller)
{
    if (!cvz_w_on()) return real(c, m);
    wait_begin(c, m, 0, caller);
    int ret = real(c, m);
    wait_end(c, m, ret);
    return ret;
}

static int cond_timedwait(cond_timedwait_fn *real, pthread_cond_t *c, pthread_mutex_t *m,
                          const struct timespec *abstime, void *caller)
{
    if (!cvz_w_on()) return real(c, m, abstime);
    wait_begin(c, m, 1, caller);
    int ret = real(c, m, abstime);
    wait_end(c, m, ret);
    return ret;
}

static int cond_simple(cond_fn *real, int ev, pthread_cond_t *c, void *caller)
{
    /* stamped before the real call (the wake it causes comes later), recorded after it (the
     * signaller usually holds the mutex: its critical section grows by a clock read only) */
    if (!cvz_w_on()) return real(c);
    cvz_w_declare_early(CVZ_OBJ_CONDVAR, c, caller);
    uint64_t ts = cvz_now();
    int ret = real(c);
    cvz_w_obj_event(ev, CVZ_OBJ_CONDVAR, c, 0, 0, 0, caller, ts);
    return ret;
}

static int cond_destroy(cond_fn *real, pthread_cond_t *c, void *caller)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_CONDVAR, c, caller);
    return real(c);
}

/* ==== the two ABIs ============================================================================ */

#define RET_ADDR __builtin_return_address(0)

int cvz_cond_wait_new(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(REALV(cond_wait_new, cvz_cond_wait_new), c, m, RET_ADDR);
}
int cvz_cond_wait_old(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(REALV(cond_wait_old, cvz_cond_wait_old), c, m, RET_ADDR);
}
int cvz_cond_timedwait_new(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    return cond_timedwait(REALV(cond_timedwait_new, cvz_cond_timedwait_new), c, m, t, RET_ADDR);
}
int cvz_cond_timedwait_old(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    return cond_timedwait(REALV(cond_timedwait_old, cvz_cond_timedwait_old), c, m, t, RET_ADDR);
}
int cvz_cond_signal_new(pthread_cond_t *c)
{
    return cond_simple(REALV(cond_signal_new, cvz_cond_signal_new), CVZ_EV_COND_SIGNAL, c,
                       RET_ADDR);
}
int cvz_cond_signal_old(pthread_cond_t *c)
{
    return cond_simple(REALV(cond_signal_old, cvz_cond_signal_old), CVZ_EV_COND_SIGNAL, c,
                       RET_ADDR);
}
int cvz_cond_broadcast_new(pthread_cond_t *c)
{
    return cond_simple(REALV(cond_broadcast_new, cvz_cond_broadcast_new), CVZ_EV_COND_BROADCAST, c,
                       RET_ADDR);
}
int cvz_cond_broadcast_old(pthread_cond_t *c)
{
    return cond_simple(REALV(cond_broadcast_old, cvz_cond_broadcast_old), CVZ_EV_COND_BROADCAST, c,
                       RET_ADDR);
}
int cvz_cond_destroy_new(pthread_cond_t *c)
{
    return cond_destroy(REALV(cond_destroy_new, cvz_cond_destroy_new), c, RET_ADDR);
}
int cvz_cond_destroy_old(pthread_cond_t *c)
{
    return cond_destroy(REALV(cond_destroy_old, cvz_cond_destroy_old), c, RET_ADDR);
}

__asm__(".symver cvz_cond_wait_new, pthread_cond_wait@@GLIBC_2.3.2");
__asm__(".symver cvz_cond_wait_old, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver cvz_cond_timedwait_new, pthread_cond_timedwait@@GLIBC_2.3.2");
__asm__(".symver cvz_cond_timedwait_old, pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver cvz_cond_signal_new, pthread_cond_signal@@GLIBC_2.3.2");
__asm__(".symver cvz_cond_signal_old, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver cvz_cond_broadcast_new, pthread_cond_broadcast@@GLIBC_2.3.2");
__asm__(".symver cvz_cond_broadcast_old, pthread_cond_broadcast@GLIBC_2.2.5");
__asm__(".symver cvz_cond_destroy_new, pthread_cond_destroy@@GLIBC_2.3.2");
__asm__(".symver cvz_cond_destroy_old, pthread_cond_destroy@GLIBC_2.2.5");

/* clockwait exists in one version only (GLIBC_2.30). */
int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                           const struct timespec *abstime)
{
    if (!cvz_w_on()) return REAL(pthread_cond_clockwait)(c, m, clk, abstime);
    wait_begin(c, m, 1, RET_ADDR);
    int ret = REAL(pthread_cond_clockwait)(c, m, clk, abstime);
    wait_end(c, m, ret);
    return ret;
}
