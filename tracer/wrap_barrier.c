/* wrap_barrier.c - barriers: barrier.wait on arrival, barrier.leave (with serial) on return. */
#include <pthread.h>

#include "wrap_common.h"

int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (!cvz_w_on()) return REAL(pthread_barrier_wait)(b);
    void *caller = __builtin_return_address(0);
    cvz_w_obj_event(CVZ_EV_BARRIER_WAIT, CVZ_OBJ_BARRIER, b, 0, 0, 0, caller, 0);
    int ret = REAL(pthread_barrier_wait)(b);
    cvz_w_obj_event(CVZ_EV_BARRIER_LEAVE, CVZ_OBJ_BARRIER, b, 0,
                    ret == PTHREAD_BARRIER_SERIAL_THREAD, 0, caller, 0);
    return ret;
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_BARRIER, b, __builtin_return_address(0));
    return REAL(pthread_barrier_destroy)(b);
}
