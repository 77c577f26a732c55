/* wrap_sem.c - POSIX semaphores: every wait is an acquisition (with the count after), every
 * sem_post a release (with the count after).
 *
 * DESIGN: sem_wait tries sem_trywait first, like the mutex wrappers (CPython's threading.Lock
 * does the same itself).  An EINTR return (a signal handler ran inside the wait) is recorded as
 * res "eintr", not as an acquisition.  sem_post takes its timestamp before the real post, so
 * that the waiter it wakes always acquires later, and records after it, so that the count
 * (sem_getvalue) is the value after the post.  Named semaphores (sem_open) are declared with
 * their name and, being in /dev/shm, with their (dev, inode, offset) key, which unifies them
 * across processes.
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "wrap_common.h"

/* Names of the semaphores sem_open returned, kept so that a fork child, which inherits the
 * mapping and this table but declares its objects anew, names them too.  Slots are claimed
 * with a CAS on the address; a name is written before its address is published. */
#define NAMED_MAX 64
static struct {
    const void *obj;
    char name[64];
} named[NAMED_MAX];

static void remember_name(const void *obj, const char *name)
{
    for (int i = 0; i < NAMED_MAX; i++)
        if (__atomic_load_n(&named[i].obj, __ATOMIC_ACQUIRE) == obj) return;
    static int claim[NAMED_MAX];
    for (int i = 0; i < NAMED_MAX; i++)
        if (__atomic_load_n(&named[i].obj, __ATOMIC_ACQUIRE) == NULL &&
            !__atomic_exchange_n(&claim[i], 1, __ATOMIC_ACQ_REL)) {
            snprintf(named[i].name, sizeof named[i].name, "%s", name);
            __atomic_store_n(&named[i].obj, obj, __ATOMIC_RELEASE);
            return;
        }
}

const char *cvz_w_sem_name(const void *obj)
{
    for (int i = 0; i < NAMED_MAX; i++)
        if (__atomic_load_n(&named[i].obj, __ATOMIC_ACQUIRE) == obj) return named[i].name;
    return NULL;
}

static inline long value_of(sem_t *s)
{
    int v = 0;
    return sem_getvalue(s, &v) == 0 ? (long)(v < 0 ? 0 : v) : -1;
}

static inline int res_of(int ret, int err)
{
    if (ret == 0) return CVZ_ACQ_OK;
    return err == EAGAIN      ? CVZ_ACQ_BUSY
           : err == ETIMEDOUT ? CVZ_ACQ_TIMEOUT
           : err == EINTR     ? CVZ_ACQ_EINTR
                              : CVZ_ACQ_ERROR;
}

#define CVZ_SEM_TRY_THEN_BLOCK(s, blockcall)                                                       \
    do {                                                                                           \
        void *caller_ = __builtin_return_address(0);                                               \
        int ret_ = REAL(sem_trywait)(s);                                                           \
        if (ret_ == 0 || errno != EAGAIN) {                                                        \
            int err_ = errno;                                                                      \
            cvz_w_acquired(CVZ_OBJ_SEM, s, 0, res_of(ret_, err_), 0, value_of(s), caller_);        \
            errno = err_;                                                                          \
            return ret_;                                                                           \
        }                                                                                          \
        uint64_t t_req_ = cvz_w_request(CVZ_OBJ_SEM, s, 0, caller_);                               \
        ret_ = (blockcall);                                                                        \
        int err_ = errno;                                                                          \
        cvz_w_acquired(CVZ_OBJ_SEM, s, 0, res_of(ret_, err_), t_req_, value_of(s), caller_);       \
        errno = err_;                                                                              \
        return ret_;                                                                               \
    } while (0)

int sem_wait(sem_t *s)
{
    if (!cvz_w_on()) return REAL(sem_wait)(s);
    CVZ_SEM_TRY_THEN_BLOCK(s, REAL(sem_wait)(s));
}

int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_deadline(abstime)) return REAL(sem_timedwait)(s, abstime);
    CVZ_SEM_TRY_THEN_BLOCK(s, REAL(sem_timedwait)(s, abstime));
}

int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abstime)
{
    if (!cvz_w_on() || !cvz_w_valid_clock(clk) || !cvz_w_valid_deadline(abstime))
        return REAL(sem_clockwait)(s, clk, abstime);
    CVZ_SEM_TRY_THEN_BLOCK(s, REAL(sem_clockwait)(s, clk, abstime));
}

int sem_trywait(sem_t *s)
{
    if (!cvz_w_on()) return REAL(sem_trywait)(s);
    int ret = REAL(sem_trywait)(s);
    int err = errno;
    cvz_w_acquired(CVZ_OBJ_SEM, s, 0, res_of(ret, err), 0, value_of(s),
                   __builtin_return_address(0));
    errno = err;
    return ret;
}

int sem_post(sem_t *s)
{
    if (!cvz_w_on()) return REAL(sem_post)(s);
    cvz_w_declare_early(CVZ_OBJ_SEM, s, __builtin_return_address(0));
    uint64_t ts = cvz_now();
    int ret = REAL(sem_post)(s);
    int err = errno;
    if (ret == 0) cvz_w_released(CVZ_OBJ_SEM, s, 0, ts, value_of(s), __builtin_return_address(0));
    errno = err;
    return ret;
}

int sem_destroy(sem_t *s)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_SEM, s, __builtin_return_address(0));
    return REAL(sem_destroy)(s);
}

int sem_close(sem_t *s)
{
    if (cvz_w_on()) cvz_w_destroy(CVZ_OBJ_SEM, s, __builtin_return_address(0));
    return REAL(sem_close)(s);
}

sem_t *sem_open(const char *name, int oflag, ...)
{
    mode_t mode = 0;
    unsigned int value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = va_arg(ap, mode_t);
        value = va_arg(ap, unsigned int);
        va_end(ap);
    }
    sem_t *s = REAL(sem_open)(name, oflag, mode, value);
    if (s == SEM_FAILED || !cvz_w_on()) return s;
    int err = errno;
    if (cvz_enter()) {
        char key[64];
        const char *shared = cvz_w_shared_key((uint64_t)(uintptr_t)s, key, sizeof key, NULL, 0);
        /* A second sem_open of the same name returns the same address: declare once. */
        remember_name(s, name);
        uint64_t ts = cvz_now(); /* before the insert, like every declaration */
        if (!cvz_w_seen_insert((uint64_t)(uintptr_t)s))
            cvz_w_declare_named(CVZ_OBJ_SEM, s, name, shared, ts);
        cvz_leave();
    }
    errno = err;
    return s;
}
