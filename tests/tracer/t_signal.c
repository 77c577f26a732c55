/* t_signal.c - sem_wait interrupted by SIGALRM, whose handler write()s: the wait ends with res
 * "eintr" (not an acquisition), the handler's write is traced inside it, the retry acquires. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static sem_t ready;
static int devnull;

static void on_alarm(int sig)
{
    (void)!write(devnull, "alarm\n", 6);
}

static void *poster(void *arg)
{
    usleep(300000); /* long after the alarm */
    sem_post(&ready);
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: sem_wait returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    devnull = open("/dev/null", O_WRONLY);
    sem_init(&ready, 0, 0);
    pthread_t th;
    pthread_create(&th, NULL, poster, NULL);
    ualarm(50000, 0);
    int r = sem_wait(&ready);
    if (r != -1 || errno != EINTR)
        return 1;
    while (sem_wait(&ready) != 0)
        ;
    return pthread_join(th, NULL);
}
