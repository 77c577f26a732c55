/* lttng_stress.c - many short threads and forks under LTTng output, for the deadlock check:
 * 10 waves of 8 threads that each take one mutex 500 times (broadcasting a condvar now and
 * then), and a fork every third wave whose child runs one such thread too.  liblttng-ust's own
 * threads, its per-thread registration and its fork hooks all run meanwhile.  The mutex is held
 * across fork() so that the child never inherits it locked by a thread it does not have. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t stress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stress_cond = PTHREAD_COND_INITIALIZER;
static long counter;

static void *worker(void *arg)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&stress_lock);
        if (++counter % 100 == 0) pthread_cond_broadcast(&stress_cond);
        pthread_mutex_unlock(&stress_lock);
    }
    return arg;
}

int main(void)
{
    for (int wave = 0; wave < 10; wave++) {
        pthread_t threads[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&threads[i], NULL, worker, NULL);
        if (wave % 3 == 0) {
            pthread_mutex_lock(&stress_lock);
            pid_t child = fork();
            pthread_mutex_unlock(&stress_lock);
            if (child == 0) {
                pthread_t t;
                pthread_create(&t, NULL, worker, NULL);
                pthread_join(t, NULL);
                _exit(0);
            }
            int status = 0;
            if (child < 0 || waitpid(child, &status, 0) != child || status != 0) {
                fprintf(stderr, "lttng_stress: fork child %d ended with status 0x%x\n", (int)child,
                        status);
                return 1;
            }
        }
        for (int i = 0; i < 8; i++)
            pthread_join(threads[i], NULL);
    }
    printf("counter %ld\n", counter);
    return counter == 10L * 8 * 500 ? 0 : 1;
}
