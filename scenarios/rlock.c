/* rlock.c - lesson 7: a recursive lock (Python's threading.RLock).
 *
 * As in the course: two threads each run fun_A then fun_B; each function takes r_lock twice
 * (re-entry by the same thread: depth 1, then 2), sleeps, and releases it twice.  The other
 * thread has to wait until the depth is back to 0 (a full release): it never enters in
 * between, even while the holder sleeps.  A plain mutex would deadlock on the second lock.
 */
#include "lesson.h"

#include <getopt.h>

static pthread_mutex_t r_lock; /* initialised as PTHREAD_MUTEX_RECURSIVE in main */
static long opt_sleep_a_ms = 100, opt_sleep_b_ms = 200;
static pthread_barrier_t start_line;

static void fun(char which, long sleep_ms)
{
    pthread_mutex_lock(&r_lock);
    printf("%c lock 1\n", which);
    pthread_mutex_lock(&r_lock); /* same thread again: depth 2, no waiting */
    printf("%c lock 2\n", which);
    lesson_sleep_ms(sleep_ms);
    pthread_mutex_unlock(&r_lock); /* depth 1: still ours */
    printf("%c release 1\n", which);
    pthread_mutex_unlock(&r_lock); /* depth 0: now another thread may take it */
    printf("%c release 2\n", which);
}

static void *run(void *arg)
{
    lesson_name_thread("MyThread-%ld", (long)arg);
    pthread_barrier_wait(&start_line);
    fun('A', opt_sleep_a_ms);
    fun('B', opt_sleep_b_ms);
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-rlock [--sleep-a MS] [--sleep-b MS]\n"
                 "Lesson 7: a recursive lock taken twice by the same thread; the other thread\n"
                 "waits for the full release.\n"
                 "  --sleep-a MS  sleep inside fun_A (default 100; the course: 200)\n"
                 "  --sleep-b MS  sleep inside fun_B (default 200; the course: 3000)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"sleep-a", required_argument, 0, 'a'},
                                            {"sleep-b", required_argument, 0, 'b'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'a':
            opt_sleep_a_ms = lesson_parse_long("--sleep-a", optarg, 0, 100000);
            break;
        case 'b':
            opt_sleep_b_ms = lesson_parse_long("--sleep-b", optarg, 0, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    lesson_name_thread("main");
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_barrier_init(&start_line, NULL, 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run, (void *)1L);
    pthread_create(&t2, NULL, run, (void *)2L);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    lesson_mark("both threads done");
    return 0;
}
