/* parallel.c - lesson 2: concurrency vs parallelism.
 *
 * Two threads each do the same CPU-bound work.
 *   --cpus 1  the whole program is pinned to CPU 0: the threads take turns (concurrency).  At
 *             any instant one is RUNNING and the other READY; their RUNNING spans never overlap.
 *   --cpus 2  thread A is pinned to CPU 0 and thread B to CPU 1: both RUNNING at the same
 *             time (parallelism).  Look at the CPU lanes: one thread per CPU.
 * The amount of work is a fixed number of loop iterations, so both runs do the same work;
 * the second one simply finishes in about half the time.
 */
#include "lesson.h"

#include <getopt.h>

static long opt_cpus = 1;
static long opt_work_ms = 150;

struct worker {
    pthread_t thread;
    char name;
    int cpu;
};

static void *worker_main(void *arg)
{
    struct worker *self = arg;
    lesson_name_thread("thread-%c", self->name);
    lesson_compute(opt_work_ms);
    lesson_mark("thread-%c done", self->name);
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scenario-parallel [--cpus 1|2] [--work MS]\n"
            "Lesson 2: two CPU-bound threads on one CPU (concurrency: they interleave)\n"
            "or on two CPUs (parallelism: both run at once).\n"
            "  --cpus N   1 = the program pinned to CPU 0, 2 = one thread per CPU (default 1)\n"
            "  --work MS  CPU work per thread, ~ms on an idle core (default 150)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"cpus", required_argument, 0, 'c'},
                                            {"work", required_argument, 0, 'w'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt_cpus = lesson_parse_long("--cpus", optarg, 1, 2);
            break;
        case 'w':
            opt_work_ms = lesson_parse_long("--work", optarg, 1, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (opt_cpus > lesson_ncpu()) {
        fprintf(stderr, "error: --cpus %ld but this machine has %d CPU(s)\n", opt_cpus,
                lesson_ncpu());
        return 2;
    }
    lesson_name_thread("main");
    lesson_mark(opt_cpus == 1 ? "concurrency: 2 threads on 1 CPU"
                              : "parallelism: 2 threads on 2 CPUs");
    /* With one CPU the whole program is pinned before the workers exist, so they are born on
     * CPU 0.  Pinning only through the thread attribute is not enough: glibc applies it after
     * clone(), and a new thread can run for a few microseconds on the other CPU first (seen as
     * an 8 us overlap of A and B), which is exactly what this lesson says cannot happen. */
    if (opt_cpus == 1) {
        int err = lesson_pin_to_cpu(0);
        if (err) {
            fprintf(stderr, "error: cannot pin the program to CPU 0: %s\n", strerror(err));
            return 1;
        }
    }
    struct worker workers[2] = {{.name = 'A', .cpu = 0},
                                {.name = 'B', .cpu = opt_cpus == 1 ? 0 : 1}};
    double start = lesson_now_ms();
    for (int i = 0; i < 2; i++) {
        /* Pinned from birth (the attribute), so the thread never runs anywhere else. */
        pthread_attr_t attr;
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(workers[i].cpu, &cpus);
        pthread_attr_init(&attr);
        pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
        int err = pthread_create(&workers[i].thread, &attr, worker_main, &workers[i]);
        pthread_attr_destroy(&attr);
        if (err) {
            fprintf(stderr, "error: cannot start thread-%c on CPU %d: %s\n", workers[i].name,
                    workers[i].cpu, strerror(err));
            return 1;
        }
    }
    for (int i = 0; i < 2; i++)
        pthread_join(workers[i].thread, NULL);
    printf("%s: 2 threads x %ld units of work took %.0f ms\n",
           opt_cpus == 1 ? "concurrency (1 CPU)" : "parallelism (2 CPUs)", opt_work_ms,
           lesson_now_ms() - start);
    return 0;
}
