/* t_handoff.c - a completion semaphore on the waiter's stack, posted by a helper thread and
 * destroyed by the waiter as soon as its wait returns, many times over: the poster's record,
 * written after its real sem_post, must not declare the (already destroyed) object again. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

static void *poster(void *arg)
{
    sem_post(arg);
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    for (int i = 0; i < rounds; i++) {
        sem_t done;
        pthread_t th;
        sem_init(&done, 0, 0);
        if (pthread_create(&th, NULL, poster, &done) != 0) return 1;
        sem_wait(&done);
        sem_destroy(&done);
        pthread_join(th, NULL);
    }
    return 0;
}
