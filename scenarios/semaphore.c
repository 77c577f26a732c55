/* semaphore.c - lesson 8: Semaphore(3) with 10 threads.
 *
 * As in the course: a semaphore starts at 3; each of 10 threads takes one unit (sem_wait),
 * works for a while and gives it back (sem_post).  At most 3 threads are ever inside; the
 * others are BLOCKED on `slots`, and each sem_post wakes exactly one waiter (the wake edge
 * post -> wait).  Work times are (index % 5 + 1) x --unit-ms, the course's randint(1, 5)
 * made deterministic.
 */
#include "lesson.h"

#include <getopt.h>
#include <semaphore.h>
#include <stdatomic.h>

static long opt_threads = 10, opt_slots = 3, opt_unit_ms = 30;
static sem_t slots;
static atomic_int inside, most_inside;
static pthread_barrier_t start_line;

static void *func(void *arg)
{
    long index = (long)arg;
    lesson_name_thread("Thread-%ld", index + 1);
    pthread_barrier_wait(&start_line);
    sem_wait(&slots); /* take a unit, or block until somebody posts */
    int now = atomic_fetch_add(&inside, 1) + 1;
    for (int seen = atomic_load(&most_inside); now > seen;)
        atomic_compare_exchange_weak(&most_inside, &seen, now);
    printf("Thread-%ld got the semaphore (%d inside)\n", index + 1, now);
    lesson_sleep_ms((index % 5 + 1) * opt_unit_ms);
    atomic_fetch_sub(&inside, 1);
    sem_post(&slots); /* give it back: one waiter wakes up */
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-semaphore [--threads N] [--slots N] [--unit-ms MS]\n"
                 "Lesson 8: a counting semaphore lets at most --slots threads in at once.\n"
                 "  --threads N  threads (default 10)\n"
                 "  --slots N    initial value of the semaphore (default 3)\n"
                 "  --unit-ms MS thread i works (i %% 5 + 1) units (default 30)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"threads", required_argument, 0, 'n'},
                                            {"slots", required_argument, 0, 's'},
                                            {"unit-ms", required_argument, 0, 'u'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            opt_threads = lesson_parse_long("--threads", optarg, 1, 1000);
            break;
        case 's':
            opt_slots = lesson_parse_long("--slots", optarg, 1, 1000);
            break;
        case 'u':
            opt_unit_ms = lesson_parse_long("--unit-ms", optarg, 0, 10000);
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
    sem_init(&slots, 0, (unsigned)opt_slots);
    pthread_barrier_init(&start_line, NULL, (unsigned)opt_threads);
    pthread_t threads[1000];
    for (long i = 0; i < opt_threads; i++)
        pthread_create(&threads[i], NULL, func, (void *)i);
    for (long i = 0; i < opt_threads; i++)
        pthread_join(threads[i], NULL);
    lesson_mark("most_inside=%d slots=%ld", atomic_load(&most_inside), opt_slots);
    printf("at most %d threads were inside (semaphore of %ld)\n", atomic_load(&most_inside),
           opt_slots);
    sem_destroy(&slots);
    return atomic_load(&most_inside) <= opt_slots ? 0 : 1;
}
