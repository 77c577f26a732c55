/* t_many.c - many short threads, each taking a global mutex once and a mutex of its own on its
 * stack (initialised and destroyed): every acquisition is recorded and released, and each
 * stack mutex is declared again after the previous one at its address was destroyed. */
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *worker(void *arg)
{
    pthread_mutex_t mine;
    pthread_mutex_init(&mine, NULL);
    pthread_mutex_lock(&mine);
    pthread_mutex_lock(&counter_lock);
    counter++;
    pthread_mutex_unlock(&counter_lock);
    pthread_mutex_unlock(&mine);
    pthread_mutex_destroy(&mine);
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    for (int i = 0; i < n; i += 50) { /* batches of 50 live threads */
        pthread_t th[50];
        int k = n - i < 50 ? n - i : 50;
        for (int j = 0; j < k; j++)
            if (pthread_create(&th[j], NULL, worker, NULL) != 0) return 1;
        for (int j = 0; j < k; j++)
            pthread_join(th[j], NULL);
    }
    return counter == n ? 0 : 1;
}
