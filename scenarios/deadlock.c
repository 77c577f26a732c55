/* deadlock.c - lesson 13: two threads, two locks, opposite order: a deadlock, and two fixes.
 *
 *   --fix none     thread-1 takes lock_a then lock_b; thread-2 takes lock_b then lock_a.
 *                  Each holds one lock and waits for the other's: neither can ever go on.
 *                  A watchdog stops the program after --timeout-ms (exit status 3), so the
 *                  trace is complete: look at the two BLOCKED lanes and the holders.
 *   --fix order    both threads take the locks in the same order (lock_a, then lock_b):
 *                  no cycle is possible.
 *   --fix trylock  thread-2 takes lock_b, then only *tries* lock_a; when it is busy it
 *                  releases lock_b, backs off and starts again (the notes' "add a timeout").
 * Each thread does --rounds rounds.  In the first round of `none` and `trylock` the two threads
 * meet at a barrier while each holds its first lock, so the bad interleaving happens every time.
 */
#include "lesson.h"

#include <getopt.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static enum { FIX_NONE, FIX_ORDER, FIX_TRYLOCK } opt_fix = FIX_NONE;
static long opt_rounds = 3, opt_hold_ms = 30, opt_timeout_ms = 800;
static pthread_barrier_t start_line;
/* In the first round of the opposite-order versions, both threads meet here while each holds
 * its first lock: the bad interleaving then happens every time, however loaded the machine. */
static pthread_barrier_t both_hold_one;
static long trylock_failures;

static void *thread_1(void *arg)
{
    lesson_name_thread("thread-1");
    pthread_barrier_wait(&start_line);
    for (long r = 0; r < opt_rounds; r++) {
        pthread_mutex_lock(&lock_a);
        lesson_sleep_ms(opt_hold_ms); /* meanwhile thread-2 takes lock_b */
        if (r == 0 && opt_fix != FIX_ORDER) pthread_barrier_wait(&both_hold_one);
        pthread_mutex_lock(&lock_b); /* --fix none: waits forever for thread-2 */
        lesson_mark("thread-1 round %ld", r);
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
        lesson_sleep_ms(opt_hold_ms / 3);
    }
    return NULL;
}

static void *thread_2(void *arg)
{
    lesson_name_thread("thread-2");
    pthread_barrier_wait(&start_line);
    for (long r = 0; r < opt_rounds; r++) {
        if (opt_fix == FIX_ORDER) { /* the same order as thread-1: no cycle */
            pthread_mutex_lock(&lock_a);
            lesson_sleep_ms(opt_hold_ms);
            pthread_mutex_lock(&lock_b);
        } else {
            for (int attempt = 0;; attempt++) {
                pthread_mutex_lock(&lock_b);
                lesson_sleep_ms(opt_hold_ms); /* meanwhile thread-1 takes lock_a */
                if (r == 0 && attempt == 0) pthread_barrier_wait(&both_hold_one);
                if (opt_fix == FIX_NONE) {
                    pthread_mutex_lock(&lock_a); /* waits forever for thread-1 */
                    break;
                }
                if (pthread_mutex_trylock(&lock_a) == 0) break;
                /* busy: give lock_b back so thread-1 can finish, wait a little, retry */
                trylock_failures++;
                pthread_mutex_unlock(&lock_b);
                lesson_sleep_ms(opt_hold_ms / 2 + 5 * r + 7);
            }
        }
        lesson_mark("thread-2 round %ld", r);
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
        lesson_sleep_ms(opt_hold_ms / 3);
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scenario-deadlock [--fix none|order|trylock] [--rounds N] [--hold-ms MS]\n"
            "                         [--timeout-ms MS]\n"
            "Lesson 13: two locks taken in opposite order deadlock; two ways out.\n"
            "  --fix none     opposite order: deadlock, the watchdog stops it (default)\n"
            "  --fix order    the same lock order in both threads\n"
            "  --fix trylock  the second thread backs off when the second lock is busy\n"
            "  --rounds N     rounds per thread (default 3)\n"
            "  --hold-ms MS   pause while holding the first lock (default 30)\n"
            "  --timeout-ms MS the watchdog's limit (default 800); exit status 3 when it fires\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"fix", required_argument, 0, 'f'},     {"rounds", required_argument, 0, 'r'},
        {"hold-ms", required_argument, 0, 'm'}, {"timeout-ms", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "none"))
                opt_fix = FIX_NONE;
            else if (!strcmp(optarg, "order"))
                opt_fix = FIX_ORDER;
            else if (!strcmp(optarg, "trylock"))
                opt_fix = FIX_TRYLOCK;
            else {
                fprintf(stderr, "error: --fix is none, order or trylock, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'r':
            opt_rounds = lesson_parse_long("--rounds", optarg, 1, 100000);
            break;
        case 'm':
            opt_hold_ms = lesson_parse_long("--hold-ms", optarg, 1, 100000);
            break;
        case 't':
            opt_timeout_ms = lesson_parse_long("--timeout-ms", optarg, 1, 1000000);
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
    static struct lesson_watchdog dog = {.message = "deadlock: thread-1 holds lock_a and waits "
                                                    "for lock_b, thread-2 holds lock_b and waits "
                                                    "for lock_a",
                                         .exit_code = 3};
    dog.timeout_ms = opt_timeout_ms + opt_rounds * opt_hold_ms * 4;
    lesson_watchdog_start(&dog);
    pthread_barrier_init(&start_line, NULL, 2);
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, thread_1, NULL);
    pthread_create(&t2, NULL, thread_2, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    lesson_mark("finished rounds=%ld trylock_failures=%ld", opt_rounds, trylock_failures);
    printf("both threads finished %ld rounds (%ld trylock back-offs)\n", opt_rounds,
           trylock_failures);
    return 0;
}
