/* bench_tracer.c - what the tracer costs a program: the same loops run plain, traced
 * (LD_PRELOAD=libconviz.so) and, when libconviz-lttng.so is built, traced with CONVIZ_LTTNG=1,
 * printed side by side in one run.
 *
 * DESIGN: the parent re-executes itself with `--child` once per configuration, so that every
 * column runs the same binary with only the environment changed; each child prints one line of
 * figures (best of several repetitions, to reduce the noise of a shared machine).  The traced
 * runs write their trace to a temporary directory, which is removed; lost events are counted
 * from the trace and shown, since a ring that overflows makes the traced figure look better.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFIG 5
static const char *const fig_names[NFIG] = {
    "clock_gettime (ns/call)", "uncontended lock+unlock (ns/pair, CPU)",
    "2 threads contended (ns/lock+unlock)", "condvar ping-pong (us/round trip)",
    "thread create+join (us)"};

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ---- the measured loops -------------------------------------------------------------------- */

static pthread_mutex_t bench_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long shared_counter;

static double bench_clock(void)
{
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        struct timespec t;
        double t0 = now_ns();
        for (int i = 0; i < 200000; i++)
            clock_gettime(CLOCK_MONOTONIC, &t);
        double per = (now_ns() - t0) / 200000;
        if (per < best) best = per;
    }
    return best;
}

/* CPU time of the calling thread: on a shared machine, time spent preempted by other
 * programs is not the tracer's cost. */
static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double bench_uncontended(void)
{
    double best = 1e9;
    for (int rep = 0; rep < 7; rep++) {
        double t0 = cpu_ns();
        for (int i = 0; i < 100000; i++) {
            pthread_mutex_lock(&bench_lock);
            shared_counter++;
            pthread_mutex_unlock(&bench_lock);
        }
        double per = (cpu_ns() - t0) / 100000;
        if (per < best) best = per;
    }
    return best;
}

static void *contend(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&bench_lock);
        shared_counter++;
        pthread_mutex_unlock(&bench_lock);
    }
    return NULL;
}

static double bench_contended(void)
{
    double best = 1e9;
    const long n = 50000;
    for (int rep = 0; rep < 3; rep++) {
        pthread_t a, b;
        double t0 = now_ns();
        pthread_create(&a, NULL, contend, (void *)n);
        pthread_create(&b, NULL, contend, (void *)n);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        double per = (now_ns() - t0) / (2.0 * n);
        if (per < best) best = per;
    }
    return best;
}

static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn, pp_rounds;

static void *pong(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pp_lock);
    for (int i = 0; i < pp_rounds; i++) {
        while (pp_turn != 1)
            pthread_cond_wait(&pp_cond, &pp_lock);
        pp_turn = 0;
        pthread_cond_signal(&pp_cond);
    }
    pthread_mutex_unlock(&pp_lock);
    return NULL;
}

static double bench_pingpong(void)
{
    double best = 1e12;
    pp_rounds = 10000;
    for (int rep = 0; rep < 3; rep++) {
        pthread_t t;
        pp_turn = 0;
        pthread_create(&t, NULL, pong, NULL);
        double t0 = now_ns();
        pthread_mutex_lock(&pp_lock);
        for (int i = 0; i < pp_rounds; i++) {
            pp_turn = 1;
            pthread_cond_signal(&pp_cond);
            while (pp_turn != 0)
                pthread_cond_wait(&pp_cond, &pp_lock);
        }
        pthread_mutex_unlock(&pp_lock);
        double per = (now_ns() - t0) / pp_rounds / 1000;
        pthread_join(t, NULL);
        if (per < best) best = per;
    }
    return best;
}

static void *nothing(void *arg)
{
    return arg;
}

static double bench_create(void)
{
    double best = 1e12;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_ns();
        for (int i = 0; i < 1000; i++) {
            pthread_t t;
            pthread_create(&t, NULL, nothing, NULL);
            pthread_join(t, NULL);
        }
        double per = (now_ns() - t0) / 1000 / 1000;
        if (per < best) best = per;
    }
    return best;
}

static int child(void)
{
    double f[NFIG] = {bench_clock(), bench_uncontended(), bench_contended(), bench_pingpong(),
                      bench_create()};
    for (int i = 0; i < NFIG; i++)
        printf("%s%.3f", i ? " " : "", f[i]);
    printf("\n");
    return 0;
}

/* ---- the parent: one child per configuration --------------------------------------------- */

struct config {
    const char *title;
    const char *preload; /* NULL = plain */
    const char *lttng;   /* CONVIZ_LTTNG value or NULL */
    double fig[NFIG];
    long events, lost;
    int ok;
};

static void count_trace(const char *path, long *events, long *lost)
{
    *events = *lost = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '{') continue;
        (*events)++;
        char *p = strstr(line, "\"name\":\"trace.lost\"");
        if (p && (p = strstr(line, "\"count\":"))) *lost += atol(p + 8);
    }
    fclose(f);
}

static void run_config(struct config *c, const char *self, const char *tmpdir)
{
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/bench-%s.json", tmpdir, c->lttng ? "lttng" : "json");
    int pfd[2];
    if (pipe(pfd) < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        if (c->preload) {
            setenv("LD_PRELOAD", c->preload, 1);
            setenv("CONVIZ_OUT", out, 1);
            setenv("CONVIZ_QUIET", "1", 1);
            setenv("CONVIZ_BUFFER", "8M", 1);
            if (c->lttng) setenv("CONVIZ_LTTNG", c->lttng, 1);
        } else {
            unsetenv("LD_PRELOAD");
        }
        execl(self, self, "--child", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char buf[512] = "";
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (n > 0) {
        buf[n] = 0;
        c->ok = sscanf(buf, "%lf %lf %lf %lf %lf", &c->fig[0], &c->fig[1], &c->fig[2], &c->fig[3],
                       &c->fig[4]) == NFIG;
    }
    if (c->preload) {
        count_trace(out, &c->events, &c->lost);
        unlink(out);
        char dir[PATH_MAX + 4];
        snprintf(dir, sizeof dir, "%s.d", out);
        rmdir(dir);
    }
}

static void usage(void)
{
    printf("usage: bench_tracer [--lib PATH]\n\n"
           "Runs the same loops plain, with libconviz.so preloaded and, when libconviz-lttng.so\n"
           "is next to it, with CONVIZ_LTTNG=1; prints the figures side by side.  The library is\n"
           "found at <dir of bench_tracer>/../lib/libconviz.so, $CONVIZ_LIB or --lib.\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child();
    const char *lib_arg = getenv("CONVIZ_LIB");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) {
            lib_arg = argv[++i];
        } else {
            fprintf(stderr, "bench_tracer: unknown argument '%s'; see --help\n", argv[i]);
            return 2;
        }
    }
    char self[PATH_MAX], lib[PATH_MAX], lttng_lib[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = 0;
    if (lib_arg) {
        snprintf(lib, sizeof lib, "%s", lib_arg);
    } else {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", self);
        *strrchr(dir, '/') = 0;
        if (snprintf(lib, sizeof lib, "%s/../lib/libconviz.so", dir) >= (int)sizeof lib) return 1;
    }
    char *real = realpath(lib, NULL);
    if (!real) {
        fprintf(stderr,
                "bench_tracer: cannot find libconviz.so at %s (%s); build it or pass "
                "--lib\n",
                lib, strerror(errno));
        return 1;
    }
    snprintf(lib, sizeof lib, "%s", real);
    free(real);
    snprintf(lttng_lib, sizeof lttng_lib, "%s", lib);
    strcpy(strrchr(lttng_lib, '/'), "/libconviz-lttng.so");
    int with_lttng = access(lttng_lib, R_OK) == 0;

    char tmpdir[] = "/tmp/cvz-bench-XXXXXX";
    if (!mkdtemp(tmpdir)) return 1;
    struct config cfg[3] = {{.title = "plain"},
                            {.title = "conviz", .preload = lib},
                            {.title = "conviz+lttng", .preload = lib, .lttng = "1"}};
    int ncfg = with_lttng ? 3 : 2;
    for (int i = 0; i < ncfg; i++)
        run_config(&cfg[i], self, tmpdir);
    rmdir(tmpdir);

    printf("%-40s %10s %10s %10s", "", "plain", "conviz", "added");
    if (with_lttng) printf(" %13s %10s", "conviz+lttng", "added");
    printf("\n");
    for (int f = 0; f < NFIG; f++) {
        printf("%-40s %10.2f %10.2f %+10.2f", fig_names[f], cfg[0].fig[f], cfg[1].fig[f],
               cfg[1].fig[f] - cfg[0].fig[f]);
        if (with_lttng) printf(" %13.2f %+10.2f", cfg[2].fig[f], cfg[2].fig[f] - cfg[0].fig[f]);
        printf("\n");
    }
    printf("condvar ping-pong overhead: %+.1f %%\n",
           cfg[0].fig[3] > 0 ? 100.0 * (cfg[1].fig[3] - cfg[0].fig[3]) / cfg[0].fig[3] : 0.0);
    printf("traced run: %ld JSON lines, %ld events lost%s\n", cfg[1].events, cfg[1].lost,
           cfg[1].lost ? " (rings overflowed: the traced figures are optimistic)" : "");
    if (!with_lttng) printf("(no libconviz-lttng.so next to libconviz.so: no LTTng column)\n");
    for (int i = 0; i < ncfg; i++)
        if (!cfg[i].ok) fprintf(stderr, "bench_tracer: the %s run failed\n", cfg[i].title);
    return 0;
}
