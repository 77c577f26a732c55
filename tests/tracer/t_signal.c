/* t_signal.c - sem_wait interrupted by SIGALRM, whose handler write()s: the wait ends with res
 * "eintr" (not an acquisition), the handler's write is traced inside it, the retry acquires.
 * A helper thread signals the main thread until its sem_wait has returned EINTR (a signal that
 * arrives before the wait only runs the handler), then posts. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static sem_t ready;
static int devnull;
static atomic_int interrupted;
static pthread_t main_thread;

static void on_alarm(int sig)
{
    (void)!write(devnull, "alarm\n", 6);
}

static void *signaller(void *arg)
{
    while (!atomic_load(&interrupted)) {
        usleep(20000);
        if (!atomic_load(&interrupted)) pthread_kill(main_thread, SIGALRM);
    }
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
    main_thread = pthread_self();
    pthread_t th;
    pthread_create(&th, NULL, signaller, NULL);
    int r = sem_wait(&ready);
    int err = errno;
    atomic_store(&interrupted, 1);
    if (r != -1 || err != EINTR) return 1;
    while (sem_wait(&ready) != 0) /* a late signal may interrupt this one too */
        ;
    return pthread_join(th, NULL);
}
