/* t_barrier.c - N threads meet at a barrier R times: exactly one serial thread per round. */
#include <pthread.h>
#include <stdlib.h>

static pthread_barrier_t meet;
static int rounds;

static void *worker(void *arg)
{
    for (int r = 0; r < rounds; r++)
        pthread_barrier_wait(&meet);
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (n > 64) return 2;
    pthread_barrier_init(&meet, NULL, (unsigned)n);
    pthread_t th[64];
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&meet);
    return 0;
}
