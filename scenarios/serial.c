/* serial.c - lesson 3: serial vs parallel.
 *
 * The same tasks done one after another (serial: a task starts when the previous one ended)
 * or all at once (parallel: every task starts together, they overlap in time).
 *   --mode serial    create a thread, join it, then create the next one
 *   --mode parallel  create every thread, they wait at a barrier and start together
 * Each task is CPU work followed by a short sleep (a "result" being written out).
 */
#include "lesson.h"

#include <getopt.h>

static long opt_tasks = 3;
static long opt_work_ms = 60;
static long opt_sleep_ms = 40;
static int opt_parallel = 0;
static pthread_barrier_t start_line;

static void *task_main(void *arg)
{
    long index = (long)arg;
    lesson_name_thread("task-%ld", index);
    if (opt_parallel) pthread_barrier_wait(&start_line);
    lesson_compute(opt_work_ms);
    lesson_sleep_ms(opt_sleep_ms);
    lesson_mark("task-%ld done", index);
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scenario-serial [--mode serial|parallel] [--tasks N] [--work MS] [--sleep MS]\n"
            "Lesson 3: the same tasks one after another, or all at once.\n"
            "  --mode M    serial (default) or parallel\n"
            "  --tasks N   number of tasks (default 3)\n"
            "  --work MS   CPU work per task, ~ms (default 60)\n"
            "  --sleep MS  sleep at the end of each task (default 40)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"mode", required_argument, 0, 'm'}, {"tasks", required_argument, 0, 'n'},
        {"work", required_argument, 0, 'w'}, {"sleep", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},       {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "serial") && strcmp(optarg, "parallel")) {
                fprintf(stderr, "error: --mode is 'serial' or 'parallel', not '%s'\n", optarg);
                return 2;
            }
            opt_parallel = !strcmp(optarg, "parallel");
            break;
        case 'n':
            opt_tasks = lesson_parse_long("--tasks", optarg, 1, 64);
            break;
        case 'w':
            opt_work_ms = lesson_parse_long("--work", optarg, 0, 100000);
            break;
        case 's':
            opt_sleep_ms = lesson_parse_long("--sleep", optarg, 0, 100000);
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
    pthread_t threads[64];
    double start = lesson_now_ms();
    if (opt_parallel) {
        pthread_barrier_init(&start_line, NULL, (unsigned)opt_tasks);
        for (long i = 0; i < opt_tasks; i++)
            pthread_create(&threads[i], NULL, task_main, (void *)i);
        for (long i = 0; i < opt_tasks; i++)
            pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&start_line);
    } else {
        for (long i = 0; i < opt_tasks; i++) {
            pthread_create(&threads[i], NULL, task_main, (void *)i);
            pthread_join(threads[i], NULL); /* the next task starts only when this one ended */
        }
    }
    printf("%s: %ld tasks took %.0f ms\n", opt_parallel ? "parallel" : "serial", opt_tasks,
           lesson_now_ms() - start);
    return 0;
}
