/* wrap_wait.c - waiting for child processes: block.begin/end with reason "child", the pid asked
 * for (-1: any) and, at the end, the pid reaped and its wait status.  A NULL status pointer is
 * replaced by a local one, so that the status is known either way. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "wrap_common.h"

#define CVZ_WAIT(fn, target, call, statusv)                                                        \
    do {                                                                                           \
        struct cvz_w_block blk_;                                                                   \
        cvz_w_block_begin(&blk_, CVZ_R_CHILD, CVZ_FN_##fn, (uint64_t)(int64_t)(target), 0, 0);     \
        pid_t ret_ = (call);                                                                       \
        cvz_w_block_end(&blk_, ret_ > 0 ? (uint64_t)ret_ : 0, ret_,                                \
                        ret_ > 0 ? (uint64_t)(uint32_t)(statusv) : 0);                             \
        return ret_;                                                                               \
    } while (0)

pid_t wait(int *status)
{
    if (!cvz_w_on()) return REAL(wait)(status);
    int local = 0, *st = status ? status : &local;
    CVZ_WAIT(wait, -1, REAL(wait)(st), *st);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    if (!cvz_w_on()) return REAL(waitpid)(pid, status, options);
    int local = 0, *st = status ? status : &local;
    CVZ_WAIT(waitpid, pid, REAL(waitpid)(pid, st, options), *st);
}

pid_t wait3(int *status, int options, struct rusage *ru)
{
    if (!cvz_w_on()) return REAL(wait3)(status, options, ru);
    int local = 0, *st = status ? status : &local;
    CVZ_WAIT(wait3, -1, REAL(wait3)(st, options, ru), *st);
}

pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    if (!cvz_w_on()) return REAL(wait4)(pid, status, options, ru);
    int local = 0, *st = status ? status : &local;
    CVZ_WAIT(wait4, pid, REAL(wait4)(pid, st, options, ru), *st);
}

int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    if (!cvz_w_on()) return REAL(waitid)(idtype, id, info, options);
    int64_t target = idtype == P_PID ? (int64_t)id : idtype == P_PGID ? -(int64_t)id : -1;
    struct cvz_w_block blk;
    cvz_w_block_begin(&blk, CVZ_R_CHILD, CVZ_FN_waitid, (uint64_t)target, 0, 0);
    int ret = REAL(waitid)(idtype, id, info, options);
    pid_t reaped = ret == 0 && info ? info->si_pid : 0;
    cvz_w_block_end(&blk, (uint64_t)(reaped > 0 ? reaped : 0), ret,
                    reaped > 0 ? (uint64_t)(uint32_t)info->si_status : 0);
    return ret;
}
