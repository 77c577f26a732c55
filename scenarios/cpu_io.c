/* cpu_io.c - lesson 5: CPU-bound work wants processes, IO-bound work is fine with threads.
 *
 * The course's timing lesson, under the simulated GIL of gil.h (as in CPython):
 *   --work cpu --with procs    4 processes computing: each has its own GIL, they run in parallel
 *   --work cpu --with threads  4 threads computing: they take turns on one GIL, no faster than 1
 *   --work io  --with threads  10 threads waiting on I/O (a sleep): the GIL is released while
 *                              waiting, so the 10 waits overlap and the whole takes ~1 wait
 * Look at the lanes: CPU-bound threads are READY or BLOCKED on the GIL most of the time;
 * IO-bound threads are all BLOCKED (sleep) at once.
 */
#include "gil.h"

#include <getopt.h>
#include <sys/wait.h>

static int opt_io = 0, opt_processes = 0;
static long opt_workers = -1;     /* default: 4 for cpu, 10 for io */
static long opt_bytecodes = 3000; /* cpu work per worker */
static long opt_io_ms = 200;      /* io wait per worker */

static void *worker_main(void *arg)
{
    long index = (long)arg;
    struct gil_state st;
    lesson_name_thread("%s-%ld", opt_io ? "io" : "cpu", index);
    gil_take(&st);
    if (opt_io)
        gil_io_sleep(&st, opt_io_ms); /* like time.sleep() or a socket read */
    else
        gil_run_python(&st, opt_bytecodes);
    gil_drop(&st);
    lesson_mark("worker-%ld done", index);
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: scenario-cpu-io [--work cpu|io] [--with threads|procs] [--workers N]\n"
        "                       [--bytecodes N] [--io-ms MS]\n"
        "Lesson 5: CPU-bound work -> processes, IO-bound work -> threads (simulated GIL).\n"
        "  --work cpu|io        what each worker does (default cpu)\n"
        "  --with threads|procs threads share one GIL, processes have one each (default threads)\n"
        "  --workers N          default 4 for cpu, 10 for io (the course's numbers)\n"
        "  --bytecodes N        cpu work per worker, bytecodes of ~20 us (default 3000)\n"
        "  --io-ms MS           io wait per worker (default 200)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"work", required_argument, 0, 'k'},
                                            {"with", required_argument, 0, 'm'},
                                            {"workers", required_argument, 0, 'n'},
                                            {"bytecodes", required_argument, 0, 'b'},
                                            {"io-ms", required_argument, 0, 'i'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (strcmp(optarg, "cpu") && strcmp(optarg, "io")) {
                fprintf(stderr, "error: --work is 'cpu' or 'io', not '%s'\n", optarg);
                return 2;
            }
            opt_io = !strcmp(optarg, "io");
            break;
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
        case 'i':
            opt_io_ms = lesson_parse_long("--io-ms", optarg, 0, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (opt_workers < 0) opt_workers = opt_io ? 10 : 4;
    lesson_name_thread("main");
    double start = lesson_now_ms();
    if (opt_processes) {
        for (long i = 0; i < opt_workers; i++) {
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 1;
            }
            if (pid == 0) {
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
    printf("%s work, %ld %s: %.0f ms\n", opt_io ? "io" : "cpu", opt_workers,
           opt_processes ? "processes" : "threads", lesson_now_ms() - start);
    return 0;
}
