/* lesson.h - small helpers shared by the lesson scenarios: naming threads, burning CPU, sleeping,
 * pinning, a deadlock watchdog, and the conviz annotations (marks, regions, coroutine lanes).
 *
 * DESIGN: every scenario is one readable .c file; what is not the lesson itself lives here, so a
 * student reading scenario-counter.c sees the counter and the lock, not option plumbing.
 * The annotations go through include/conviz.h when it is there (it compiles to nothing without
 * the tracer); marks are how a scenario tells the checker its result ("count=20000").
 * Everything is static inline: no library to link, each scenario stays one file.
 */
#ifndef LESSON_H
#define LESSON_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include("conviz.h")
#include "conviz.h"
#define LESSON_HAVE_CONVIZ_H 1
#endif
#endif

/* ---- annotations --------------------------------------------------------------------- */

/* A labelled instant on the calling thread's lane (printf-style). */
static inline void lesson_mark(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void lesson_mark(const char *fmt, ...)
{
    char text[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
#ifdef LESSON_HAVE_CONVIZ_H
    conviz_mark(text);
#else
    (void)text;
#endif
}

/* A named region on the calling thread's lane; regions nest. */
static inline void lesson_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void lesson_begin(const char *fmt, ...)
{
    char text[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
#ifdef LESSON_HAVE_CONVIZ_H
    conviz_begin(text);
#else
    (void)text;
#endif
}

static inline void lesson_end(void)
{
#ifdef LESSON_HAVE_CONVIZ_H
    conviz_end();
#endif
}

/* Give a lock (or any object) a name the viewer shows, e.g. "fork 3"; kind is "mutex",
 * "sem", "condvar"... */
static inline void lesson_name_object(const void *object, const char *kind, const char *name)
{
#ifdef LESSON_HAVE_CONVIZ_H
    conviz_name_object(object, kind, name);
#else
    (void)object, (void)kind, (void)name;
#endif
}

/* A user-level context switch: coroutine `to` (0 = the thread itself) runs from now on. */
static inline void lesson_coro_switch(int to, const char *name)
{
#ifdef LESSON_HAVE_CONVIZ_H
    conviz_coro_switch(to, name);
#else
    (void)to, (void)name;
#endif
}

/* ---- threads, time, CPU ---------------------------------------------------------------- */

/* Name the calling thread (at most 15 characters are kept by Linux). */
static inline void lesson_name_thread(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void lesson_name_thread(const char *fmt, ...)
{
    char name[16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    pthread_setname_np(pthread_self(), name);
}

static inline void lesson_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The tracer learns what a thread does at its context switches; the main thread's very first
 * run began before tracing started, so until its first switch its state is unknown.  Scenarios
 * whose main thread does the lesson's work pause 1 ms first, so the picture starts complete. */
static inline void lesson_settle(void)
{
    lesson_sleep_ms(1);
}

static inline double lesson_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Pure CPU work: `units` units of about a millisecond each on an idle core (a fixed number of
 * loop iterations, so the amount of work never depends on timing).  Returns a value so the
 * compiler cannot drop the loop. */
#define LESSON_ITERS_PER_UNIT 850000UL
static inline uint64_t lesson_compute(long units)
{
    volatile uint64_t acc = 1;
    for (uint64_t i = 0; i < (uint64_t)units * LESSON_ITERS_PER_UNIT; i++)
        acc = acc * 6364136223846793005ULL + i;
    return acc;
}

/* Keep the calling thread on one CPU; returns 0, or an errno. */
static inline int lesson_pin_to_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static inline int lesson_ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Parse a positive integer option or die with a message saying which option is wrong. */
static inline long lesson_parse_long(const char *option, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < min || value > max) {
        fprintf(stderr, "error: %s wants a whole number from %ld to %ld, not '%s'\n", option, min,
                max, text);
        exit(2);
    }
    return value;
}

/* ---- watchdog: the deadlock lessons must end by themselves ------------------------------ */

struct lesson_watchdog {
    long timeout_ms;
    const char *message;
    int exit_code;
};

static void *lesson_watchdog_main(void *arg)
{
    const struct lesson_watchdog *dog = arg;
    lesson_name_thread("watchdog");
    lesson_sleep_ms(dog->timeout_ms);
    lesson_mark("watchdog: stuck after %ld ms", dog->timeout_ms);
    fprintf(stderr, "watchdog: %s after %ld ms; stopping the program (exit %d)\n", dog->message,
            dog->timeout_ms, dog->exit_code);
    /* _exit, not exit: the stuck threads hold locks that exit handlers might want. */
    _exit(dog->exit_code);
    return NULL;
}

/* Start a detached thread that ends the whole process after `timeout_ms` unless the program
 * finished first.  `dog` must stay alive (make it static). */
static inline void lesson_watchdog_start(struct lesson_watchdog *dog)
{
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, lesson_watchdog_main, dog) != 0) {
        perror("pthread_create(watchdog)");
        exit(1);
    }
    pthread_attr_destroy(&attr);
}

#endif
