/* lttng_scenario.c - the small program the LTTng tests record: 2 threads each take one mutex N
 * times (N = argv[1], default 200), then hand a token over through a condition variable, so
 * the trace holds contended and uncontended acquisitions, a cond wait/signal pair and thread
 * lifecycles.  Given "fork" as argv[2], a forked child takes the mutex once more. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t token_cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int token; /* 0: nobody yet, 1: the first finisher posted it */
static int iterations = 200;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < iterations; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
    }
    pthread_mutex_lock(&counter_lock);
    if (token == 0) { /* first one here waits for the other: one cond wait, one signal */
        token = 1;
        while (token == 1)
            pthread_cond_wait(&token_cond, &counter_lock);
    } else {
        token = 2;
        pthread_cond_signal(&token_cond);
    }
    pthread_mutex_unlock(&counter_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: lttng_scenario [ITERATIONS] [fork]\n");
        return 0;
    }
    if (argc > 1) iterations = atoi(argv[1]);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    if (argc > 2 && strcmp(argv[2], "fork") == 0) {
        pid_t child = fork();
        if (child == 0) {
            pthread_mutex_lock(&counter_lock);
            counter++;
            pthread_mutex_unlock(&counter_lock);
            _exit(0);
        }
        waitpid(child, NULL, 0);
    }
    printf("counter %ld\n", counter);
    return counter == 2L * iterations ? 0 : 1;
}
