/* gil.c - lesson 4: the GIL.  CPU-bound work in 2 threads under a global interpreter lock,
 * vs the same work in 2 processes (each with its own GIL).
 *
 *   --with threads   both threads share one GIL: at any instant at most one of them runs
 *                    "Python code" (holds the lock labelled GIL).  They take turns every 5 ms
 *                    (the switch interval), so 2 threads on 2 CPUs are no faster than 1.
 *   --with procs     each process has its own GIL: both run at the same time on 2 CPUs.
 * The GIL itself is in gil.h (a mutex named GIL plus CPython's forced switching).
 */
#include "gil.h"

#include <getopt.h>
#include <sys/wait.h>

static long opt_workers = 2;
static long opt_bytecodes = 6000; /* per worker, ~20 us each on an idle core */
static int opt_processes = 0;

static void *worker_main(void *arg)
{
    long index = (long)arg;
    struct gil_state st;
    lesson_name_thread("py-worker-%ld", index);
    gil_take(&st);
    gil_run_python(&st, opt_bytecodes);
    gil_drop(&st);
    lesson_mark("worker-%ld done", index);
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-gil [--with threads|procs] [--workers N] [--bytecodes N]\n"
                 "                    [--switch-ms MS | --ticks N]\n"
                 "Lesson 4: CPU-bound work under a (simulated) global interpreter lock.\n"
                 "  --with threads  N threads share one GIL (default): only one runs at a time\n"
                 "  --with procs    N processes, each with its own GIL: they run in parallel\n"
                 "                  (process i is pinned to CPU i %% ncpu)\n"
                 "  --workers N     threads or processes (default 2)\n"
                 "  --bytecodes N   work per worker in 'bytecodes' of ~20 us (default 6000)\n"
                 "  --switch-ms MS  the switch interval (default 5, like CPython)\n"
                 "  --ticks N       switch every N bytecodes instead (Python 2 used 100)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"with", required_argument, 0, 'm'},
                                            {"workers", required_argument, 0, 'n'},
                                            {"bytecodes", required_argument, 0, 'b'},
                                            {"switch-ms", required_argument, 0, 's'},
                                            {"ticks", required_argument, 0, 't'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "threads") && strcmp(optarg, "procs")) {
                fprintf(stderr, "error: --with is 'threads' or 'procs', not '%s'\n", optarg);
                return 2;
            }
            opt_processes = !strcmp(optarg, "procs");
            break;
        case 'n':
            opt_workers = lesson_parse_long("--workers", optarg, 1, 64);
            break;
        case 'b':
            opt_bytecodes = lesson_parse_long("--bytecodes", optarg, 1, 100000000);
            break;
        case 's':
            gil_switch_ms = lesson_parse_long("--switch-ms", optarg, 1, 10000);
            break;
        case 't':
            gil_ticks = lesson_parse_long("--ticks", optarg, 1, 100000000);
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
    double start = lesson_now_ms();
    if (opt_processes) {
        for (long i = 0; i < opt_workers; i++) {
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 1;
            }
            if (pid == 0) { /* a new interpreter: its own (copied, unlocked) GIL */
                /* one CPU each, so that other load on a busy machine cannot hide the lesson */
                lesson_pin_to_cpu((int)(i % lesson_ncpu()));
                worker_main((void *)i);
                _exit(0);
            }
        }
        while (wait(NULL) > 0) {
        }
    } else {
        pthread_t threads[64];
        for (long i = 0; i < opt_workers; i++)
            pthread_create(&threads[i], NULL, worker_main, (void *)i);
        for (long i = 0; i < opt_workers; i++)
            pthread_join(threads[i], NULL);
    }
    printf("%ld %s x %ld bytecodes: %.0f ms\n", opt_workers,
           opt_processes ? "processes" : "threads", opt_bytecodes, lesson_now_ms() - start);
    return 0;
}
