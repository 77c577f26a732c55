/* e2e_abba.c - a program with known lock statistics, recorded by tests/report's end-to-end test:
 *   - lock_a then lock_b in one thread, lock_b then lock_a in the other: a lock-order inversion
 *     that never deadlocks (a barrier keeps the two orders apart in time);
 *   - counter_lock taken 2 x 100 times;
 *   - gate_lock: the first thread holds it, tells the second (semaphore) and keeps it 20 ms, so
 *     the second's acquisition is contended exactly once.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t orders_apart;
static sem_t gate_held;
static long counter;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void count_100(void)
{
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
    }
}

static void *first(void *arg)
{
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_barrier_wait(&orders_apart);
    count_100();
    pthread_mutex_lock(&gate_lock);
    sem_post(&gate_held);
    sleep_ms(20);
    pthread_mutex_unlock(&gate_lock);
    return arg;
}

static void *second(void *arg)
{
    pthread_barrier_wait(&orders_apart);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    count_100();
    sem_wait(&gate_held);
    pthread_mutex_lock(&gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return arg;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&orders_apart, NULL, 2);
    sem_init(&gate_held, 0, 0);
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("counter %ld\n", counter);
    return counter == 200 ? 0 : 1;
}
