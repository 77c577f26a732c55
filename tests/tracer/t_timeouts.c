/* t_timeouts.c - acquisitions that fail: a trylock on a held mutex ("busy"), a timedlock and a
 * sem_timedwait that time out ("timeout", after a lock.request), a condvar timedwait that times
 * out; and a spinlock taken by two threads. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_spinlock_t spin_lock;
static sem_t empty_sem;
static long spins;

static struct timespec in_ms(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += ms * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static void *contender(void *arg)
{
    int *bad = arg;
    struct timespec t = in_ms(20);
    if (pthread_mutex_trylock(&held_lock) != EBUSY) (*bad)++;
    if (pthread_mutex_timedlock(&held_lock, &t) != ETIMEDOUT) (*bad)++;
    return NULL;
}

static void *spinner(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        pthread_spin_lock(&spin_lock);
        spins++;
        pthread_spin_unlock(&spin_lock);
    }
    return arg;
}

int main(void)
{
    int bad = 0;
    pthread_t th, s1, s2;
    pthread_mutex_lock(&held_lock);
    pthread_create(&th, NULL, contender, &bad);
    pthread_join(th, NULL);
    pthread_mutex_unlock(&held_lock);

    sem_init(&empty_sem, 0, 0);
    struct timespec t = in_ms(20);
    if (sem_timedwait(&empty_sem, &t) != -1 || errno != ETIMEDOUT) bad++;

    pthread_mutex_lock(&held_lock);
    t = in_ms(20);
    if (pthread_cond_timedwait(&never, &held_lock, &t) != ETIMEDOUT) bad++;
    pthread_mutex_unlock(&held_lock);

    pthread_spin_init(&spin_lock, PTHREAD_PROCESS_PRIVATE);
    pthread_create(&s1, NULL, spinner, NULL);
    pthread_create(&s2, NULL, spinner, NULL);
    pthread_join(s1, NULL);
    pthread_join(s2, NULL);
    pthread_spin_destroy(&spin_lock);
    return bad == 0 && spins == 2000 ? 0 : 1;
}
