/* t_sleep.c - a thread sleeps through nanosleep, usleep and clock_nanosleep (relative and
 * absolute): block.begin reason sleep with the requested time. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
    struct timespec d = {0, 20 * 1000 * 1000}, now;
    nanosleep(&d, NULL);
    usleep(10000);
    d.tv_nsec = 5 * 1000 * 1000;
    clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 30 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL);
    return arg;
}

int main(void)
{
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    return pthread_join(th, NULL);
}
