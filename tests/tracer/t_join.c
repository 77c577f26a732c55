/* t_join.c - one thread joined, one detached while it still runs.  The joined thread lives
 * until the main thread sleeps inside pthread_join, so that even a tracer that can only read
 * the tid of a live thread names the join's target. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static sem_t go, done, joining;
static pid_t main_tid;

static int main_sleeps(void)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    int n = (int)fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n > 0 ? n : 0] = '\0';
    char *p = strrchr(buf, ')'); /* "pid (comm) S ..." */
    return p && p[1] == ' ' && p[2] == 'S';
}

static void *joined(void *arg)
{
    sem_wait(&joining);
    for (int i = 0; i < 500 && !main_sleeps(); i++)
        usleep(1000);
    usleep(1000);
    return arg;
}

static void *detached(void *arg)
{
    sem_wait(&go);
    sem_post(&done);
    return arg;
}

int main(void)
{
    pthread_t a, b;
    main_tid = (pid_t)syscall(SYS_gettid);
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    sem_init(&joining, 0, 0);
    pthread_create(&a, NULL, joined, NULL);
    pthread_create(&b, NULL, detached, NULL);
    pthread_detach(b);
    sem_post(&go);
    sem_wait(&done);
    sem_post(&joining);
    return pthread_join(a, NULL);
}
