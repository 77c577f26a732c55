/* clock.c - cvz_now(): CLOCK_MONOTONIC nanoseconds, from the TSC when it is reliable.
 *
 * DESIGN: on this kind of machine clock_gettime() costs 25-50 ns and a wrapper takes two
 * timestamps per lock+unlock pair, which alone would exceed the tracer's budget; rdtsc costs
 * about half.  Timestamps must stay comparable with perf's CLOCK_MONOTONIC records and must
 * never run backwards, so the TSC is converted by one published linear function
 * ns = base_ns + (tsc - base_tsc) * mult / 2^32 (a seqlock protects the three values), and the
 * collector re-anchors it every round: continuous at the switch point, its slope corrected so
 * that the remaining error is slewed away over ~200 ms (like NTP), never stepped backwards.
 * The initial slope comes from a 2 ms calibration, or from the ring file of the image this one
 * replaced (exec) or of the parent that spawned it (the `tsc_mult` of the header).
 * CONVIZ_CLOCK=gettime turns it off; it is off anyway when the kernel does not use the TSC as
 * clocksource or the TSC is not invariant.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "cvz_core.h"

struct tsc_clock {
    _Atomic uint32_t seq;
    _Atomic uint64_t base_tsc, base_ns, mult;
} __attribute__((aligned(64)));

static struct tsc_clock clk;
static int use_tsc;
static uint64_t first_tsc, first_ns; /* the long baseline for the rate */

static inline uint64_t gettime_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t convert(uint64_t tsc, uint64_t btsc, uint64_t bns, uint64_t mult)
{
    uint64_t d = tsc > btsc ? tsc - btsc : 0;
    return bns + (uint64_t)(((unsigned __int128)d * mult) >> 32);
}

/* rdtsc is not ordered with the instructions before it: after a lock returns it may read the
 * counter before the lock's cmpxchg completed (waiting for the lock's cache line, tens of ns),
 * a stamp earlier than the acquisition and earlier than the previous holder's release stamp
 * (CI saw two holders overlap by a few ns).  lfence makes it wait for what comes before.  It
 * costs 10-20 ns, so only acquisition stamps pay it (cvz_now_ordered); a release stamp, taken
 * before the unlock, can only come early, which is harmless. */
static inline uint64_t ordered_tsc(void)
{
    _mm_lfence();
    return __rdtsc();
}

static inline uint64_t now_tsc(bool ordered)
{
    for (;;) {
        uint32_t s = atomic_load_explicit(&clk.seq, memory_order_acquire);
        uint64_t btsc = atomic_load_explicit(&clk.base_tsc, memory_order_relaxed);
        uint64_t bns = atomic_load_explicit(&clk.base_ns, memory_order_relaxed);
        uint64_t mult = atomic_load_explicit(&clk.mult, memory_order_relaxed);
        /* read inside the seqlock: a counter value read after a re-anchoring must not be
         * converted with the function it replaced */
        uint64_t tsc = ordered ? ordered_tsc() : __rdtsc();
        atomic_thread_fence(memory_order_acquire);
        if (__builtin_expect(
                (s & 1) == 0 && atomic_load_explicit(&clk.seq, memory_order_relaxed) == s, 1))
            return convert(tsc, btsc, bns, mult);
    }
}

uint64_t cvz_now_ordered(void)
{
    return __builtin_expect(!use_tsc, 0) ? gettime_ns() : now_tsc(true);
}

uint64_t cvz_now(void)
{
    if (__builtin_expect(!use_tsc, 0)) return gettime_ns();
    return now_tsc(false);
}

/* A (tsc, ns) pair read as close together as possible. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = __rdtsc(), m = gettime_ns(), b = __rdtsc();
        if (b - a < best) {
            best = b - a;
            *tsc = a + (b - a) / 2;
            *ns = m;
        }
    }
}

static void publish(uint64_t btsc, uint64_t bns, uint64_t mult)
{
    uint32_t s = atomic_load_explicit(&clk.seq, memory_order_relaxed);
    atomic_store_explicit(&clk.seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&clk.base_tsc, btsc, memory_order_relaxed);
    atomic_store_explicit(&clk.base_ns, bns, memory_order_relaxed);
    atomic_store_explicit(&clk.mult, mult, memory_order_relaxed);
    atomic_store_explicit(&clk.seq, s + 2, memory_order_release);
}

static bool tsc_reliable(void)
{
    char buf[64] = "";
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                  O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 3 || strncmp(buf, "tsc", 3) != 0) return false;
    /* the kernel only keeps "tsc" as clocksource when it is invariant and synchronised, but
     * check the flags too (they are in the first CPU's block of /proc/cpuinfo) */
    static char info[16384];
    fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    n = read(fd, info, sizeof info - 1);
    close(fd);
    if (n <= 0) return false;
    info[n] = 0;
    return strstr(info, " constant_tsc") && strstr(info, " nonstop_tsc");
}

void cvz_clock_init(uint64_t hint_mult, const char *mode)
{
    use_tsc = 0;
    if (mode && strcmp(mode, "gettime") == 0) return;
    if (!(mode && strcmp(mode, "tsc") == 0) && !tsc_reliable()) return;
    uint64_t mult = hint_mult, t0, n0;
    sample(&t0, &n0);
    if (mult == 0) { /* calibrate over 2 ms, once per trace */
        uint64_t t1, n1;
        do
            sample(&t1, &n1);
        while (n1 - n0 < 2000000);
        if (t1 <= t0) return;
        mult = (uint64_t)((((unsigned __int128)(n1 - n0)) << 32) / (t1 - t0));
        t0 = t1;
        n0 = n1;
    }
    if (mult == 0 || mult > (100ull << 32)) return; /* absurd: keep clock_gettime */
    first_tsc = t0;
    first_ns = n0;
    publish(t0, n0, mult);
    use_tsc = 1;
}

uint64_t cvz_clock_mult(void)
{
    return use_tsc ? atomic_load(&clk.mult) : 0;
}

void cvz_clock_adjust(void)
{
    if (!use_tsc) return;
    uint64_t t, m;
    sample(&t, &m);
    uint64_t btsc = atomic_load(&clk.base_tsc), bns = atomic_load(&clk.base_ns),
             mult = atomic_load(&clk.mult);
    uint64_t f = convert(t, btsc, bns, mult);
    int64_t err = (int64_t)(m - f); /* > 0: our clock is behind */
    uint64_t rate = mult;
    if (t > first_tsc && m - first_ns > 100000000) /* 100 ms of baseline: use it */
        rate = (uint64_t)((((unsigned __int128)(m - first_ns)) << 32) / (t - first_tsc));
    if (err > 5000000) { /* far behind (stopped, suspended): step forward, never back */
        publish(t, m, rate);
        return;
    }
    /* slope correction that removes err over the next ~200 ms */
    double ticks_200ms = 200e6 * 4294967296.0 / (double)rate;
    double adj = (double)err * 4294967296.0 / ticks_200ms;
    double lim = (double)rate / 100;
    if (adj > lim) adj = lim;
    if (adj < -lim) adj = -lim;
    /* Re-anchor where the old function is now, once readers are kept out (seq odd): every
     * value converted with the old slope came from a counter read before this point, so
     * the new function, continuous here, never goes below one of them. */
    uint32_t s = atomic_load_explicit(&clk.seq, memory_order_relaxed);
    atomic_store_explicit(&clk.seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    uint64_t now = ordered_tsc();
    atomic_store_explicit(&clk.base_ns, convert(now, btsc, bns, mult), memory_order_relaxed);
    atomic_store_explicit(&clk.base_tsc, now, memory_order_relaxed);
    atomic_store_explicit(&clk.mult, (uint64_t)((double)rate + adj), memory_order_relaxed);
    atomic_store_explicit(&clk.seq, s + 2, memory_order_release);
}
#else
uint64_t cvz_now(void)
{
    return gettime_ns();
}
void cvz_clock_init(uint64_t hint_mult, const char *mode)
{
    (void)hint_mult, (void)mode;
}
uint64_t cvz_clock_mult(void)
{
    return 0;
}
void cvz_clock_adjust(void) {}
uint64_t cvz_now_ordered(void)
{
    return gettime_ns();
}
#endif
