/* t_sem.c - a semaphore of count CAP shared by N threads, R rounds each (sem_wait, a short
 * sleep inside, sem_post): never more than CAP holders. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static sem_t slots;
static int rounds;
static atomic_int inside, max_inside;

static void *worker(void *arg)
{
    for (int r = 0; r < rounds; r++) {
        sem_wait(&slots);
        int now = atomic_fetch_add(&inside, 1) + 1;
        int m = atomic_load(&max_inside);
        while (now > m && !atomic_compare_exchange_weak(&max_inside, &m, now))
            ;
        usleep(500);
        atomic_fetch_sub(&inside, 1);
        sem_post(&slots);
    }
    return arg;
}

int main(int argc, char **argv)
{
    int cap = argc > 1 ? atoi(argv[1]) : 3, n = argc > 2 ? atoi(argv[2]) : 10;
    rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (n > 64) return 2;
    sem_init(&slots, 0, (unsigned)cap);
    pthread_t th[64];
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    return atomic_load(&max_inside) <= cap ? 0 : 1;
}
