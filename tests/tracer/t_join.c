/* t_join.c - one thread joined, one detached (while it still runs, then released). */
#include <pthread.h>
#include <semaphore.h>
#include <unistd.h>

static sem_t go, done;

static void *joined(void *arg)
{
    usleep(100000); /* still running when main joins: the join names a live thread */
    return arg;
}

static void *detached(void *arg)
{
    sem_wait(&go);
    sem_post(&done);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    pthread_create(&a, NULL, joined, NULL);
    pthread_create(&b, NULL, detached, NULL);
    pthread_detach(b);
    sem_post(&go);
    sem_wait(&done);
    return pthread_join(a, NULL);
}
