/* t_oldcond.c - a program bound to the old condvar ABI (pthread_cond_*@GLIBC_2.2.5): under the
 * tracer a timedwait that nobody signals must still return ETIMEDOUT, and a wait must still be
 * woken by the old pthread_cond_signal. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

__asm__(".symver pthread_cond_timedwait, pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_wait, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_signal, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver pthread_cond_init, pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver pthread_cond_destroy, pthread_cond_destroy@GLIBC_2.2.5");

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c;
static int ready;

static void *signaller(void *arg)
{
    pthread_mutex_lock(&m);
    ready = 1;
    pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
    return arg;
}

int main(void)
{
    pthread_cond_init(&c, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int r = pthread_cond_timedwait(&c, &m, &ts);
    pthread_mutex_unlock(&m);
    if (r != ETIMEDOUT) {
        fprintf(stderr, "t_oldcond: pthread_cond_timedwait returned %d, want ETIMEDOUT\n", r);
        return 1;
    }
    pthread_t th;
    pthread_mutex_lock(&m);
    pthread_create(&th, NULL, signaller, NULL);
    while (!ready)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    pthread_join(th, NULL);
    pthread_cond_destroy(&c);
    return 0;
}
