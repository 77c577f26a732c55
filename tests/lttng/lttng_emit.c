/* lttng_emit.c - drives libconviz-lttng.so the way the tracer's core does, without the core:
 * dlopen, cvz_lttng_init, then records of 2 threads (start, N lock acquire/release pairs on
 * one mutex, a condvar wait/wake, exit) and a few string events.  Used by the LTTng tests to
 * check the provider alone (fields, counts, string decoding, fork) independently of
 * libconviz.so.  Usage: lttng_emit LIB N [fork]
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cvz_tracer.h"

static bool (*lttng_init)(void);
static void (*lttng_emit)(const struct cvz_record *rec, const char *args_json);
static int iterations;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void rec(uint16_t kind, uint16_t sub, uint64_t obj, uint64_t a, uint64_t b, uint64_t c)
{
    struct cvz_record r = {.ts = now_ns(),
                           .kind = kind,
                           .sub = sub,
                           .tid = (int32_t)syscall(SYS_gettid),
                           .obj = obj,
                           .a = a,
                           .b = b,
                           .c = c};
    lttng_emit(&r, NULL);
}

static void rec_str(uint16_t kind, const char *args)
{
    struct cvz_record r = {.ts = now_ns(), .kind = kind, .tid = (int32_t)syscall(SYS_gettid)};
    lttng_emit(&r, args);
}

static void *worker(void *arg)
{
    rec(CVZ_EV_THREAD_START, 0, (uint64_t)(uintptr_t)arg, 0, 0, 0);
    rec_str(CVZ_EV_THREAD_NAME, "\"name\":\"worker\"");
    for (int i = 0; i < iterations; i++) {
        pthread_mutex_lock(&counter_lock);
        rec(CVZ_EV_LOCK_ACQUIRE, CVZ_ACQ_OK, (uintptr_t)&counter_lock, 100, 1, 0);
        pthread_mutex_unlock(&counter_lock);
        rec(CVZ_EV_LOCK_RELEASE, 0, (uintptr_t)&counter_lock, 50, 0, 0);
    }
    rec(CVZ_EV_THREAD_EXIT, 0, 0, 0, 0, 0);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lttng_emit LIBCONVIZ_LTTNG_SO ITERATIONS [fork]\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "lttng_emit: %s\n", dlerror());
        return 1;
    }
    lttng_init = (bool (*)(void))dlsym(lib, "cvz_lttng_init");
    lttng_emit = (void (*)(const struct cvz_record *, const char *))dlsym(lib, "cvz_lttng_emit");
    if (!lttng_init || !lttng_emit) {
        fprintf(stderr, "lttng_emit: %s lacks cvz_lttng_init/cvz_lttng_emit\n", argv[1]);
        return 1;
    }
    iterations = atoi(argv[2]);
    bool on = lttng_init();
    printf("lttng %s\n", on ? "on" : "off");
    char start[256];
    snprintf(start, sizeof(start),
             "\"ppid\":%d,\"via\":\"start\",\"cmdline\":\"lttng_emit \\\"q\\\"\",\"exe\":\"/x\","
             "\"ncpu\":2,\"sched\":\"none\",\"version\":1,\"mono_ns\":%llu,\"real_ns\":1",
             (int)getppid(), (unsigned long long)now_ns());
    rec_str(CVZ_EV_PROCESS_START, start);
    char decl[128];
    snprintf(decl, sizeof(decl), "\"obj\":\"%p\",\"kind\":\"mutex\",\"name\":\"counter_lock\"",
             (void *)&counter_lock);
    rec_str(CVZ_EV_OBJ_DECLARE, decl);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)syscall(SYS_gettid));
        rec(CVZ_EV_THREAD_CREATE, 0, 0, 0, 0, 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (argc > 3 && strcmp(argv[3], "fork") == 0) {
        pid_t child = fork();
        if (child == 0) {
            rec_str(CVZ_EV_PROCESS_START, "\"ppid\":1,\"via\":\"fork\"");
            rec(CVZ_EV_LOCK_ACQUIRE, CVZ_ACQ_OK, (uintptr_t)&counter_lock, 0, 1, 0);
            rec(CVZ_EV_PROCESS_EXIT, CVZ_EXIT__EXIT, 0, 0, 0, 0);
            _exit(0);
        }
        rec(CVZ_EV_PROCESS_FORK, 0, (uint64_t)child, 0, 0, 0);
        waitpid(child, NULL, 0);
    }
    rec(CVZ_EV_PROCESS_EXIT, CVZ_EXIT_EXIT, 0, 0, 0, 0);
    return 0;
}
