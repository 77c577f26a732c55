/* e2e_deadlock.c - a real ABBA deadlock, recorded by tests/report's end-to-end test: worker-1
 * holds lock_a and wants lock_b, worker-2 holds lock_b and wants lock_a (a barrier makes sure
 * both hold their first lock before asking for the second).  main waits 200 ms, then leaves
 * with _exit(3) while both workers are still stuck, like a watchdog would.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void *worker(void *arg)
{
    pthread_mutex_t *first = arg == NULL ? &lock_a : &lock_b;
    pthread_mutex_t *second = arg == NULL ? &lock_b : &lock_a;
    pthread_setname_np(pthread_self(), arg == NULL ? "worker-1" : "worker-2");
    pthread_mutex_lock(first);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(second); /* never returns */
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_create(&t1, NULL, worker, NULL);
    pthread_create(&t2, NULL, worker, (void *)1);
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    _exit(3);
}
