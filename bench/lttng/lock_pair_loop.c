/* lock_pair_loop.c - the cost of one uncontended pthread_mutex_lock + unlock pair, as the
 * program sees it: best of 25 rounds of N pairs (argv[1], default 20000); short rounds, so
 * that one of them falls in a quiet moment of a shared machine.  bench_lttng runs it
 * plain, under conviz (JSON) and under conviz with LTTng output, side by side. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t bench_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 20000;
    if (pairs <= 0) {
        fprintf(stderr, "usage: lock_pair_loop [PAIRS]\n");
        return 2;
    }
    double best = 1e30;
    for (int round = 0; round < 25; round++) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < pairs; i++) {
            pthread_mutex_lock(&bench_lock);
            pthread_mutex_unlock(&bench_lock);
        }
        double per_pair = (double)(now_ns() - t0) / (double)pairs;
        if (per_pair < best) best = per_pair;
    }
    printf("%.1f\n", best);
    return 0;
}
