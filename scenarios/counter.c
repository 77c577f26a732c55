/* counter.c - lesson 6: a shared counter with and without a lock.
 *
 * The course's example: 20 000 threads each add 1 to a global `num` under a lock, and the
 * result is exactly 20 000.  Without the lock, two threads can read the same old value and
 * both write old+1: one update is lost.  To make the race visible every time (as the notes do
 * with time.sleep(0.1) between the read and the write), each increment can wait a little
 * between reading and writing (--window-us).
 *
 *   scenario-counter                     40 threads x 5 increments with counter_lock: 200
 *   scenario-counter --threads 20000 --iters 1 --window-us 0    the notes' numbers
 *   scenario-counter --no-lock           the race: the final count is smaller than expected
 * The final count is printed and marked ("count=200 expected=200") for the checker.
 */
#include "lesson.h"

#include <getopt.h>

static long opt_threads = 40;
static long opt_iters = 5;
static long opt_window_us = 500;
static int opt_lock = 1;

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter; /* the shared `num` */
static pthread_barrier_t start_line;

static void add_one(void)
{
    long old = counter; /* read */
    if (opt_window_us)
        usleep((useconds_t)opt_window_us); /* the thread may be switched out right here */
    counter = old + 1;                     /* write back: lost if someone else wrote in between */
}

static void *run(void *arg)
{
    long index = (long)arg;
    lesson_name_thread("t-%ld", index);
    if (opt_threads <= 1000) /* all start together: more contention, same result */
        pthread_barrier_wait(&start_line);
    for (long i = 0; i < opt_iters; i++) {
        if (opt_lock) pthread_mutex_lock(&counter_lock);
        add_one();
        if (opt_lock) pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-counter [--threads N] [--iters N] [--window-us US] [--no-lock]\n"
                 "Lesson 6: threads increment a shared counter, with a mutex (exact) or without "
                 "(lost updates).\n"
                 "  --threads N     threads (default 40; the course uses 20000)\n"
                 "  --iters N       increments per thread (default 5)\n"
                 "  --window-us US  pause between reading and writing the counter (default 500)\n"
                 "  --no-lock       do not take counter_lock: updates get lost\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"threads", required_argument, 0, 'n'},
                                            {"iters", required_argument, 0, 'i'},
                                            {"window-us", required_argument, 0, 'w'},
                                            {"no-lock", no_argument, 0, 'u'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            opt_threads = lesson_parse_long("--threads", optarg, 1, 100000);
            break;
        case 'i':
            opt_iters = lesson_parse_long("--iters", optarg, 1, 10000000);
            break;
        case 'w':
            opt_window_us = lesson_parse_long("--window-us", optarg, 0, 1000000);
            break;
        case 'u':
            opt_lock = 0;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    lesson_name_thread("main");
    pthread_t *threads = calloc((size_t)opt_threads, sizeof *threads);
    if (!threads) {
        perror("calloc");
        return 1;
    }
    if (opt_threads <= 1000) pthread_barrier_init(&start_line, NULL, (unsigned)opt_threads);
    for (long i = 0; i < opt_threads; i++) {
        int err = pthread_create(&threads[i], NULL, run, (void *)i);
        if (err) {
            fprintf(stderr, "error: cannot create thread %ld: %s\n", i, strerror(err));
            return 1;
        }
    }
    for (long i = 0; i < opt_threads; i++)
        pthread_join(threads[i], NULL);
    long expected = opt_threads * opt_iters;
    lesson_mark("count=%ld expected=%ld", counter, expected);
    printf("num: %ld (expected %ld%s)\n", counter, expected,
           counter == expected ? "" : ": updates were lost");
    free(threads);
    return 0;
}
