/* t_locks.c - N threads x M mutexes x R rounds: the static counter_lock plus M-1 heap mutexes.
 * The trace must show exactly N*R acquisitions of each mutex, each released, holders never
 * overlapping, and the names counter_lock and mutex@worker. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t **locks;
static int nlocks, rounds;
static long *counters; /* counters[i] is guarded by locks[i] */

static void *worker(void *arg)
{
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nlocks; i++) {
            pthread_mutex_lock(locks[i]);
            counters[i]++;
            pthread_mutex_unlock(locks[i]);
        }
    return arg;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    nlocks = argc > 2 ? atoi(argv[2]) : 3;
    rounds = argc > 3 ? atoi(argv[3]) : 100;
    if (nthreads < 1 || nthreads > 64 || nlocks < 1 || rounds < 1) {
        fprintf(stderr, "usage: t_locks [threads 1-64] [locks >= 1] [rounds >= 1]\n");
        return 2;
    }
    locks = calloc((size_t)nlocks, sizeof *locks);
    counters = calloc((size_t)nlocks, sizeof *counters);
    locks[0] = &counter_lock;
    for (int i = 1; i < nlocks; i++) {
        locks[i] = malloc(sizeof(pthread_mutex_t));
        pthread_mutex_init(locks[i], NULL);
    }
    pthread_t th[64];
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < nlocks; i++)
        if (counters[i] != (long)nthreads * rounds) {
            fprintf(stderr, "t_locks: counter %d is %ld, want %ld\n", i, counters[i],
                    (long)nthreads * rounds);
            return 1;
        }
    return 0;
}
