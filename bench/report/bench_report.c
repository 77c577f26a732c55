/* bench_report.c - is `conviz report` no slower than loading the trace?  Generates a synthetic
 * trace (perf-style RUNNING slices, contended and nested mutexes, a lock-order inversion), then
 * times cvz_trace_load and cvz_stats_compute (+ the JSON-sized formatting work is not counted:
 * it is proportional to threads and objects, not events) and prints them side by side.
 *
 * usage: bench_report [-n EVENTS] [--own [-t THREADS] [-o OBJECTS]] [TRACE]
 * Default: 10 M events from the model's generator (bench/model/gen.c, the trace bench_load
 * uses), written to /tmp (reused when present; never in the source tree).  --own uses this
 * file's generator instead: nested, contended mutexes and one lock-order inversion to find.
 * With TRACE, that trace is used instead.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cvz_model.h"
#include "cvz_stats.h"
#ifdef CVZ_HAVE_BENCH_GEN
#include "gen.h"
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

#define PID 1000

static void ev(FILE *f, uint64_t *count, int tid, double ts_us, const char *name, const char *args)
{
    fprintf(f,
            "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"cvz\",\"pid\":%d,\"tid\":%d,"
            "\"ts\":%.3f,\"args\":{%s}},\n",
            name, PID, tid, ts_us, args);
    (*count)++;
}

/* Each round, every thread: runs a slice, takes a lock (sometimes after waiting), sometimes a
 * second one inside it, releases.  Thread 1 takes obj1 inside obj0 and thread 2 the reverse,
 * once, far apart: a potential deadlock for the report to find. */
static int generate(const char *path, uint64_t want, int nthreads, int nobjects)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof(buf));
    uint64_t n = 0;
    char args[256];
    double base = 1e6;
    fprintf(f, "[\n");
    snprintf(args, sizeof(args),
             "\"ppid\":1,\"via\":\"start\",\"cmdline\":\"bench\",\"exe\":\"/bench\",\"ncpu\":2,"
             "\"sched\":\"perf\",\"version\":1,\"mono_ns\":1000000000,\"real_ns\":0");
    ev(f, &n, PID, base, "process.start", args);
    for (int o = 0; o < nobjects; o++) {
        snprintf(args, sizeof(args), "\"obj\":\"0x%x\",\"kind\":\"mutex\",\"name\":\"lock%d\"",
                 0x1000 + o * 64, o);
        ev(f, &n, PID, base, "object.declare", args);
    }
    double *clock = calloc((size_t)nthreads, sizeof(*clock));
    for (int i = 0; i < nthreads; i++) {
        snprintf(args, sizeof(args), "\"child\":%d", PID + 1 + i);
        ev(f, &n, PID, base + 1, "thread.create", args);
        snprintf(args, sizeof(args), "\"parent\":%d", PID);
        ev(f, &n, PID + 1 + i, base + 2, "thread.start", args);
        clock[i] = base + 2;
    }
    for (uint64_t round = 0; n < want; round++) {
        for (int i = 0; i < nthreads && n < want; i++) {
            int tid = PID + 1 + i;
            double t = clock[i];
            double run = 5 + rnd(20);
            fprintf(
                f,
                "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":%d,\"tid\":%d,"
                "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"cpu\":%d,\"out\":\"block\"}},\n",
                PID, tid, t, run, (int)(i + round) % 2);
            n++;
            t += run + rnd(5);
            int o1 = (int)rnd((uint32_t)nobjects), o2 = -1;
            if (round == 10 && i == 1)
                o1 = 0, o2 = 1;
            else if (round == 1000 && i == 2)
                o1 = 1, o2 = 0;
            else if (rnd(4) == 0 && o1 + 1 < nobjects)
                o2 = o1 + 1 + (int)rnd((uint32_t)(nobjects - o1 - 1)); /* ascending: no cycle */
            int wait_ns = 0;
            if (rnd(5) == 0) {
                wait_ns = 500 + (int)rnd(3000);
                snprintf(args, sizeof(args), "\"obj\":\"0x%x\",\"mode\":\"w\"", 0x1000 + o1 * 64);
                ev(f, &n, tid, t, "lock.request", args);
                t += wait_ns / 1000.0;
            }
            snprintf(args, sizeof(args),
                     "\"obj\":\"0x%x\",\"mode\":\"w\",\"res\":\"ok\",\"wait_ns\":%d,\"depth\":1",
                     0x1000 + o1 * 64, wait_ns);
            ev(f, &n, tid, t, "lock.acquire", args);
            double t_acq = t;
            if (o2 >= 0) {
                t += 1;
                snprintf(args, sizeof(args),
                         "\"obj\":\"0x%x\",\"mode\":\"w\",\"res\":\"ok\",\"wait_ns\":0,\"depth\":1",
                         0x1000 + o2 * 64);
                ev(f, &n, tid, t, "lock.acquire", args);
                t += 1;
                snprintf(args, sizeof(args),
                         "\"obj\":\"0x%x\",\"mode\":\"w\",\"hold_ns\":1000,"
                         "\"depth\":0",
                         0x1000 + o2 * 64);
                ev(f, &n, tid, t, "lock.release", args);
            }
            t += 1 + rnd(3);
            snprintf(args, sizeof(args),
                     "\"obj\":\"0x%x\",\"mode\":\"w\",\"hold_ns\":%d,\"depth\":0", 0x1000 + o1 * 64,
                     (int)((t - t_acq) * 1000));
            ev(f, &n, tid, t, "lock.release", args);
            clock[i] = t + rnd(10);
        }
    }
    for (int i = 0; i < nthreads; i++)
        ev(f, &n, PID + 1 + i, clock[i] + 1, "thread.exit", "");
    fprintf(f, "]\n");
    free(clock);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t events = 10000000;
    int nthreads = 16, nobjects = 64;
    const char *trace_path = NULL;
#ifdef CVZ_HAVE_BENCH_GEN
    bool own = false;
#else
    bool own = true;
#endif
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: bench_report [-n EVENTS] [--own [-t THREADS] [-o OBJECTS]] [TRACE]\n"
                   "Times loading a trace and computing the report's statistics on it.\n"
                   "Without TRACE, a synthetic one is written to /tmp (default 10 M events)\n"
                   "by the model's generator, or by this program's with --own (nested and\n"
                   "contended locks, one lock-order inversion).\n");
            return 0;
        } else if (!strcmp(argv[i], "--own")) {
            own = true;
        } else if (!strcmp(argv[i], "-n") && i + 1 < argc)
            events = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            nobjects = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            trace_path = argv[i];
        else {
            fprintf(stderr, "bench_report: unknown option '%s'; see --help\n", argv[i]);
            return 2;
        }
    }
    if (nthreads < 3 || nobjects < 2 || events < 1000) {
        fprintf(stderr, "bench_report: need -t >= 3, -o >= 2, -n >= 1000\n");
        return 2;
    }
    char path[256];
    if (!trace_path) {
        if (own)
            snprintf(path, sizeof(path), "/tmp/conviz-bench-report-%llu-%d-%d.json",
                     (unsigned long long)events, nthreads, nobjects);
        else
            snprintf(path, sizeof(path), "/tmp/conviz-bench-report-model-%llu.json",
                     (unsigned long long)events);
        struct stat st;
        if (stat(path, &st) != 0) {
            printf("generating %s ...\n", path);
            fflush(stdout);
            if (own && generate(path, events, nthreads, nobjects) != 0) return 1;
#ifdef CVZ_HAVE_BENCH_GEN
            if (!own) {
                FILE *f = fopen(path, "w");
                if (!f || (cvz_gen_trace(f, events, 1), fclose(f) != 0)) {
                    perror(path);
                    return 1;
                }
            }
#endif
        }
        trace_path = path;
    }

    double t0 = now_s();
    char *err = NULL;
    struct cvz_trace *trace = cvz_trace_load(trace_path, &err);
    double t1 = now_s();
    if (!trace) {
        fprintf(stderr, "bench_report: cannot load %s: %s\n", trace_path, err ? err : "?");
        free(err);
        return 1;
    }
    struct cvz_stats *s = cvz_stats_compute(trace, NULL);
    double t2 = now_s();
    if (!s) {
        fprintf(stderr, "bench_report: statistics failed (out of memory)\n");
        return 1;
    }
    size_t nholds = 0;
    for (size_t i = 0; i < trace->nobjects; i++)
        nholds += trace->objects[i].nholds;
    printf("%-12s %10s %10s %10s %12s %12s\n", "events", "holds", "load s", "report s",
           "report/load", "inversions");
    printf("%-12llu %10zu %10.3f %10.3f %12.3f %12zu\n", (unsigned long long)trace->nevents, nholds,
           t1 - t0, t2 - t1, (t2 - t1) / (t1 - t0), s->ninversions);
    printf("goal: report/load <= 1 (%s)\n", (t2 - t1) <= (t1 - t0) ? "met" : "NOT met");
    cvz_stats_free(s);
    cvz_trace_free(trace);
    return 0;
}
