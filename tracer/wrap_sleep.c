/* wrap_sleep.c - the sleep family: block.begin/end with reason "sleep" and the requested ns.
 * glibc's sleep() and usleep() call nanosleep internally (not through the PLT), so each needs
 * its own wrapper.  An absolute clock_nanosleep deadline (CPython's time.sleep) is turned into
 * a duration. */
#include <time.h>
#include <unistd.h>

#include "wrap_common.h"

static inline uint64_t ts_ns(const struct timespec *t)
{
    return t ? (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec : 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!cvz_w_on()) return REAL(nanosleep)(req, rem);
    struct cvz_w_block blk;
    cvz_w_block_begin(&blk, CVZ_R_SLEEP, CVZ_FN_nanosleep, 0, 0, ts_ns(req));
    int ret = REAL(nanosleep)(req, rem);
    cvz_w_block_end(&blk, 0, ret, 0);
    return ret;
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
    if (!cvz_w_on()) return REAL(clock_nanosleep)(clk, flags, req, rem);
    uint64_t ns = ts_ns(req);
    if (flags & TIMER_ABSTIME) {
        struct timespec now;
        uint64_t now_ns = clock_gettime(clk, &now) == 0 ? ts_ns(&now) : ns;
        ns = ns > now_ns ? ns - now_ns : 0;
    }
    struct cvz_w_block blk;
    cvz_w_block_begin(&blk, CVZ_R_SLEEP, CVZ_FN_clock_nanosleep, 0, 0, ns);
    int ret = REAL(clock_nanosleep)(clk, flags, req, rem);
    cvz_w_block_end(&blk, 0, ret, 0);
    return ret;
}

int usleep(useconds_t usec)
{
    if (!cvz_w_on()) return REAL(usleep)(usec);
    struct cvz_w_block blk;
    cvz_w_block_begin(&blk, CVZ_R_SLEEP, CVZ_FN_usleep, 0, 0, (uint64_t)usec * 1000u);
    int ret = REAL(usleep)(usec);
    cvz_w_block_end(&blk, 0, ret, 0);
    return ret;
}

unsigned int sleep(unsigned int seconds)
{
    if (!cvz_w_on()) return REAL(sleep)(seconds);
    struct cvz_w_block blk;
    cvz_w_block_begin(&blk, CVZ_R_SLEEP, CVZ_FN_sleep, 0, 0, (uint64_t)seconds * 1000000000ull);
    unsigned int ret = REAL(sleep)(seconds);
    cvz_w_block_end(&blk, 0, ret, 0);
    return ret;
}
