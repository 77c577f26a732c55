/* bench_load.c - how fast the model loads a trace and how much memory it keeps, for synthetic
 * conviz traces of 1 M and 10 M events (generated into /tmp, or $BENCH_DIR, if missing).
 * Prints side by side: raw read speed (the I/O ceiling), load with one and with two parser
 * threads (MB/s, events/s), peak memory per event (VmHWM growth during the load) and memory
 * the model keeps per event (its arrays, and the heap in use after the load).
 * Goals (issue 3): load >= 200 MB/s, <= 48 bytes per event in the model.
 * Usage: bench_load [N ...]
 */
#include "cvz_model.h"
#include "gen.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct result {
    int ok;
    double seconds, cpu_seconds;
    uint64_t nevents;
    long long peak_kb, heap_bytes, model_bytes;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_time(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static long long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') v = atoll(line + kl + 1);
    fclose(f);
    return v;
}

static long long model_bytes(const struct cvz_trace *tr)
{
    long long b = (long long)sizeof *tr;
    b += (long long)(tr->nprocs * sizeof *tr->procs + tr->nthreads * sizeof *tr->threads +
                     tr->nobjects * sizeof *tr->objects + tr->nwakes * sizeof *tr->wakes +
                     tr->nmarks * sizeof *tr->marks);
    for (size_t i = 0; i < tr->nthreads; i++)
        b += (long long)(tr->threads[i].nspans * sizeof(struct cvz_span));
    for (size_t i = 0; i < tr->nobjects; i++)
        b += (long long)(tr->objects[i].nholds * sizeof(struct cvz_hold));
    for (int c = 0; c < tr->ncpu && tr->cpus; c++)
        b += (long long)(tr->cpus[c].nruns * sizeof(struct cvz_cpu_run) + sizeof *tr->cpus);
    return b;
}

/* One load in a fresh child process, so that peaks do not mix between runs. */
static struct result load_in_child(const char *path, const char *threads)
{
    struct result r = {0};
    int fds[2];
    if (pipe(fds) != 0) return r;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        setenv("CONVIZ_LOAD_THREADS", threads, 1);
        FILE *cr = fopen("/proc/self/clear_refs", "w"); /* reset VmHWM to the current RSS */
        if (cr) {
            fputs("5", cr);
            fclose(cr);
        }
        long long rss0 = status_kb("VmRSS");
        struct mallinfo2 m0 = mallinfo2();
        double t0 = now(), c0 = cpu_time();
        char *err = NULL;
        struct cvz_trace *tr = cvz_trace_load(path, &err);
        r.seconds = now() - t0;
        r.cpu_seconds = cpu_time() - c0;
        if (tr) {
            struct mallinfo2 m1 = mallinfo2();
            r.ok = 1;
            r.nevents = tr->nevents;
            r.peak_kb = status_kb("VmHWM") - rss0;
            r.heap_bytes =
                (long long)(m1.uordblks + m1.hblkhd) - (long long)(m0.uordblks + m0.hblkhd);
            r.model_bytes = model_bytes(tr);
        } else {
            fprintf(stderr, "bench_load: %s\n", err ? err : "load failed");
        }
        if (write(fds[1], &r, sizeof r) != sizeof r) _exit(1);
        _exit(0); /* the model is freed with the process: freeing 10 M spans is not measured */
    }
    close(fds[1]);
    if (pid > 0) {
        if (read(fds[0], &r, sizeof r) != sizeof r) r.ok = 0;
        waitpid(pid, NULL, 0);
    }
    close(fds[0]);
    return r;
}

static double read_speed(const char *path, long long size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    static char buf[4 << 20];
    double t0 = now();
    ssize_t got;
    long long lines = 0;
    while ((got = read(fd, buf, sizeof buf)) > 0)
        for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++)
            lines++;
    close(fd);
    double s = now() - t0;
    return lines > 0 && s > 0 ? size / 1e6 / s : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: bench_load [N ...]   (default: 1000000 10000000)\n"
               "Generates synthetic traces of N events in $BENCH_DIR (default /tmp) if missing,\n"
               "then prints load throughput and memory per event, with 1 and 2 parser threads.\n");
        return 0;
    }
    const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    unsigned long long sizes[16] = {1000000ull, 10000000ull};
    int nsizes = 2;
    if (argc > 1) {
        nsizes = 0;
        for (int i = 1; i < argc && nsizes < 16; i++) {
            char *end;
            sizes[nsizes] = strtoull(argv[i], &end, 10);
            if (*end || !sizes[nsizes]) {
                fprintf(stderr, "bench_load: '%s' is not a number of events\n", argv[i]);
                return 2;
            }
            nsizes++;
        }
    }
    char loadavg[64] = "?";
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (!fgets(loadavg, sizeof loadavg, la)) strcpy(loadavg, "?\n");
        fclose(la);
    }
    printf("Wall-clock MB/s depends on what else runs on the machine (load average now: %.14s, "
           "%ld CPUs);\nCPU s is user+sys time of the loading process (with 2 parser threads, "
           "both threads' time).\n\n",
           loadavg, sysconf(_SC_NPROCESSORS_ONLN));
    printf("%9s %7s | %9s | %-32s | %-32s | %9s %9s %9s\n", "events", "file MB", "read MB/s",
           "load, 1 parser thread", "load, 2 parser threads", "peak B/ev", "model B/ev",
           "heap B/ev");
    printf("%9s %7s | %9s | %7s %7s %7s %8s | %7s %7s %7s %8s | %9s %9s %9s\n", "", "", "", "MB/s",
           "Mev/s", "wall s", "CPU s", "MB/s", "Mev/s", "wall s", "CPU s", "(2 thr)", "(arrays)",
           "(malloc)");
    for (int i = 0; i < nsizes; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/cvz_bench_%llu.json", dir, sizes[i]);
        struct stat st;
        if (stat(path, &st) != 0) {
            FILE *f = fopen(path, "w");
            if (!f) {
                fprintf(stderr, "bench_load: cannot write %s: %s\n", path, strerror(errno));
                return 1;
            }
            fprintf(stderr, "generating %s ...\n", path);
            cvz_gen_trace(f, sizes[i], 1);
            fclose(f);
            if (stat(path, &st) != 0) return 1;
        }
        double mb = (double)st.st_size / 1e6;
        read_speed(path, st.st_size); /* warm the page cache: we measure parsing, not the disk */
        double rd = read_speed(path, st.st_size);
        struct result r1 = load_in_child(path, "1");
        struct result r2 = load_in_child(path, "2");
        if (!r1.ok || !r2.ok) {
            fprintf(stderr, "bench_load: loading %s failed\n", path);
            return 1;
        }
        double ev = (double)r2.nevents;
        printf("%9llu %7.0f | %9.0f | %7.0f %7.2f %7.2f %8.2f | %7.0f %7.2f %7.2f %8.2f | %9.0f "
               "%9.1f %9.1f\n",
               (unsigned long long)r2.nevents, mb, rd, mb / r1.seconds,
               r1.nevents / r1.seconds / 1e6, r1.seconds, r1.cpu_seconds, mb / r2.seconds,
               ev / r2.seconds / 1e6, r2.seconds, r2.cpu_seconds, r2.peak_kb * 1024.0 / ev,
               r2.model_bytes / ev, r2.heap_bytes / ev);
        fflush(stdout);
    }
    return 0;
}
