/* philosophers.c - lesson 18: the dining philosophers.
 *
 * Five philosophers sit around a table with one fork between each pair.  To eat, one needs
 * both neighbouring forks.
 *   --fix none    everyone takes the left fork, then the right one.  If all pick up their left
 *                 fork at once, each waits for a right fork its neighbour holds: a cycle of 5,
 *                 a deadlock.  At the first meal they meet at a barrier holding their left
 *                 fork, so it happens every time; a watchdog stops the program after
 *                 --timeout-ms (exit status 3).
 *   --fix order   forks are numbered and everybody takes the lower-numbered one first, so the
 *                 last philosopher reaches right first: the cycle cannot close.
 * Each philosopher eats --meals meals; a mark "meals=N" tells the checker how many were eaten.
 */
#include "lesson.h"

#include <getopt.h>
#include <stdatomic.h>

#define SEATS 5
/* One named variable per fork, so the tracer (and the picture) calls them fork_0 ... fork_4. */
static pthread_mutex_t fork_0 = PTHREAD_MUTEX_INITIALIZER, fork_1 = PTHREAD_MUTEX_INITIALIZER,
                       fork_2 = PTHREAD_MUTEX_INITIALIZER, fork_3 = PTHREAD_MUTEX_INITIALIZER,
                       fork_4 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *const forks[SEATS] = {&fork_0, &fork_1, &fork_2, &fork_3, &fork_4};
static const char *const names[SEATS] = {"Aristotle", "Kant", "Spinoza", "Marx", "Russell"};

static int opt_fix = 0;
static long opt_meals = 3, opt_eat_ms = 20, opt_timeout_ms = 800;
static pthread_barrier_t table_ready;
/* --fix none: at the first meal everybody holds the left fork before anyone reaches for the
 * right one, so the deadlock forms every time, however loaded the machine is. */
static pthread_barrier_t all_hold_left;
static atomic_long meals_eaten;

static void *philosopher(void *arg)
{
    long seat = (long)arg;
    int left = (int)seat, right = (int)((seat + 1) % SEATS);
    int first = left, second = right;
    if (opt_fix && first > second) { /* lower-numbered fork first */
        first = right;
        second = left;
    }
    lesson_name_thread("%s", names[seat]);
    pthread_barrier_wait(&table_ready);
    for (long meal = 0; meal < opt_meals; meal++) {
        pthread_mutex_lock(forks[first]);
        lesson_sleep_ms(opt_eat_ms); /* reaching for the other fork... */
        if (meal == 0 && !opt_fix) pthread_barrier_wait(&all_hold_left);
        pthread_mutex_lock(forks[second]);
        lesson_mark("%s eats meal %ld", names[seat], meal);
        lesson_sleep_ms(opt_eat_ms); /* eating */
        atomic_fetch_add(&meals_eaten, 1);
        pthread_mutex_unlock(forks[second]);
        pthread_mutex_unlock(forks[first]);
        lesson_sleep_ms(opt_eat_ms / 2 + seat); /* thinking */
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scenario-philosophers [--fix none|order] [--meals N] [--eat-ms MS]\n"
            "                             [--timeout-ms MS]\n"
            "Lesson 18: five philosophers, five forks.\n"
            "  --fix none   left fork then right fork: deadlock, stopped by a watchdog (default)\n"
            "  --fix order  lower-numbered fork first: everybody eats\n"
            "  --meals N    meals per philosopher (default 3)\n"
            "  --eat-ms MS  time to eat, and to reach for the second fork (default 20)\n"
            "  --timeout-ms MS  the watchdog's limit (default 800); exit status 3 when it fires\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"fix", required_argument, 0, 'f'},    {"meals", required_argument, 0, 'm'},
        {"eat-ms", required_argument, 0, 'e'}, {"timeout-ms", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "none") && strcmp(optarg, "order")) {
                fprintf(stderr, "error: --fix is none or order, not '%s'\n", optarg);
                return 2;
            }
            opt_fix = !strcmp(optarg, "order");
            break;
        case 'm':
            opt_meals = lesson_parse_long("--meals", optarg, 1, 100000);
            break;
        case 'e':
            opt_eat_ms = lesson_parse_long("--eat-ms", optarg, 1, 100000);
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
    lesson_name_thread("table");
    static struct lesson_watchdog dog = {
        .message = "deadlock: every philosopher holds the left fork and waits for the right one",
        .exit_code = 3};
    dog.timeout_ms = opt_timeout_ms + opt_meals * opt_eat_ms * 3 * SEATS;
    lesson_watchdog_start(&dog);
    pthread_barrier_init(&table_ready, NULL, SEATS);
    pthread_barrier_init(&all_hold_left, NULL, SEATS);
    pthread_t threads[SEATS];
    for (long i = 0; i < SEATS; i++)
        pthread_create(&threads[i], NULL, philosopher, (void *)i);
    for (long i = 0; i < SEATS; i++)
        pthread_join(threads[i], NULL);
    lesson_mark("meals=%ld expected=%ld", atomic_load(&meals_eaten), SEATS * opt_meals);
    printf("%ld meals eaten\n", atomic_load(&meals_eaten));
    return 0;
}
