/* gil.h - a simulated global interpreter lock, shaped like CPython's (lessons 4 and 5).
 *
 * Holding the mutex called GIL means "running Python code".  A thread takes it before running
 * bytecodes and gives it up
 *   - every switch interval (5 ms, like sys.getswitchinterval()) when another thread waits, or
 *     every N "bytecodes" with gil_ticks > 0 (the old Python 2 rule the course notes mention),
 *   - around blocking I/O (gil_io: release, block, take it back).
 * After dropping it on request the thread waits on GIL_switch_cond until another thread took it
 * (CPython's "forced switching", its gil->switch_cond), otherwise it would usually grab the
 * lock straight back.
 * The variable is named GIL so the tracer labels the lock "GIL" from the symbol table.
 */
#ifndef LESSON_GIL_H
#define LESSON_GIL_H

#include "lesson.h"

#include <stdatomic.h>

pthread_mutex_t GIL = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t GIL_switch_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t GIL_switch_cond = PTHREAD_COND_INITIALIZER;
static atomic_int gil_waiting;        /* threads blocked taking the GIL */
static atomic_uint gil_switch_number; /* how many times the GIL changed hands */
static long gil_switch_ms = 5;        /* the switch interval */
static long gil_ticks = 0;            /* > 0: switch every gil_ticks bytecodes instead */

struct gil_state {
    double taken_at_ms;
    long ticks;
    unsigned number; /* gil_switch_number when we took it */
};

static inline void gil_take(struct gil_state *st)
{
    atomic_fetch_add(&gil_waiting, 1);
    pthread_mutex_lock(&GIL);
    atomic_fetch_sub(&gil_waiting, 1);
    pthread_mutex_lock(&GIL_switch_mutex); /* tell a thread that dropped it: handed over */
    st->number = atomic_fetch_add(&gil_switch_number, 1) + 1;
    pthread_cond_broadcast(&GIL_switch_cond);
    pthread_mutex_unlock(&GIL_switch_mutex);
    st->taken_at_ms = lesson_now_ms();
    st->ticks = 0;
}

static inline void gil_drop(struct gil_state *st)
{
    pthread_mutex_unlock(&GIL);
}

/* Called between bytecodes: drop the GIL if the interval is over and someone waits. */
static inline void gil_maybe_switch(struct gil_state *st)
{
    st->ticks++;
    int due = gil_ticks > 0 ? st->ticks >= gil_ticks
                            : lesson_now_ms() - st->taken_at_ms >= (double)gil_switch_ms;
    if (!due || atomic_load(&gil_waiting) == 0) return;
    gil_drop(st);
    /* forced switching: let the waiter have it before we queue again */
    pthread_mutex_lock(&GIL_switch_mutex);
    while (atomic_load(&gil_switch_number) == st->number && atomic_load(&gil_waiting) > 0)
        pthread_cond_wait(&GIL_switch_cond, &GIL_switch_mutex);
    pthread_mutex_unlock(&GIL_switch_mutex);
    gil_take(st);
}

/* One "bytecode": a small fixed piece of CPU work (about 20 us on an idle core). */
static inline void gil_bytecode(void)
{
    volatile uint64_t acc = 1;
    for (int i = 0; i < 16000; i++)
        acc = acc * 6364136223846793005ULL + (uint64_t)i;
}

/* Run `bytecodes` bytecodes of pure-Python CPU work; the caller holds the GIL. */
static inline void gil_run_python(struct gil_state *st, long bytecodes)
{
    for (long i = 0; i < bytecodes; i++) {
        gil_bytecode();
        gil_maybe_switch(st);
    }
}

/* Blocking I/O from Python: the GIL is released around it, so other threads run meanwhile. */
static inline void gil_io_sleep(struct gil_state *st, long ms)
{
    gil_drop(st);
    lesson_sleep_ms(ms);
    gil_take(st);
}

#endif
