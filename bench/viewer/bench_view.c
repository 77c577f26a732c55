/* bench_view.c - frame time of conviz-view on synthetic traces of 1 M and 10 M events, drawn with
 * SDL's software renderer (the slowest path, the one the PNG export uses), zoomed out, mid and
 * zoomed in, side by side.  Goal (issue 3): every frame <= 16 ms at any zoom on 10 M events.
 *
 * DESIGN: each measured frame first pans the view by one pixel, so that no per-view cache (the
 * parallelism profile) is reused: this is the cost of a frame while the user drags or zooms.
 * Traces come from bench/model's generator, in $BENCH_DIR (default /tmp) as cvz_bench_N.json,
 * the files bench_load uses; a missing one is generated under a temporary name, then renamed.
 * Usage: bench_view [N ...]   or   bench_view --trace PATH
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "viewer.h"

#define MAX_FRAMES 1000
static int FRAMES = 15; /* $BENCH_FRAMES overrides, e.g. for profiling */
#define WIDTH  1600
#define HEIGHT 900

enum { Z_OUT = 0, Z_MID, Z_IN, Z__COUNT };
static const char *const zoom_names[Z__COUNT] = {"zoomed out (all)", "mid (1/1000)",
                                                 "zoomed in (20 us)"};

struct result {
    bool ok;
    uint64_t nevents;
    size_t nthreads, nspans;
    double load_s, first_ms;
    double median_ms[Z__COUNT], max_ms[Z__COUNT], cpu_median_ms[Z__COUNT];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this thread: on a machine shared with other jobs, wall time also counts the
 * time the scheduler gave to someone else; both are printed. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool ensure_trace(const char *path, unsigned long long n)
{
    struct stat st;
    if (stat(path, &st) == 0) return true;
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "bench_view: cannot write %s: %s\n", tmp, strerror(errno));
        return false;
    }
    fprintf(stderr, "bench_view: generating %s (%llu events) ...\n", path, n);
    uint64_t got = cvz_gen_trace(f, n, 1);
    if (fclose(f) != 0 || !got || rename(tmp, path) != 0) {
        fprintf(stderr, "bench_view: generating %s failed\n", path);
        unlink(tmp);
        return false;
    }
    return true;
}

static struct result measure(const char *path, SDL_Renderer *r)
{
    struct result res = {0};
    double t = now_ms();
    char *err = NULL;
    struct cvz_trace *tr = cvz_trace_load(path, &err);
    res.load_s = (now_ms() - t) / 1e3;
    if (!tr) {
        fprintf(stderr, "bench_view: cannot load %s: %s\n", path, err ? err : "?");
        free(err);
        return res;
    }
    res.nevents = tr->nevents;
    res.nthreads = tr->nthreads;
    for (size_t i = 0; i < tr->nthreads; i++)
        res.nspans += tr->threads[i].nspans;
    struct app app;
    if (!app_init(&app, tr, WIDTH, HEIGHT, 1.0f)) {
        cvz_trace_free(tr);
        return res;
    }
    app.all_locks = true; /* every lane there is */
    lanes_build(&app);
    cvz_ns mid = tr->t_min + (tr->t_max - tr->t_min) / 2, extent = tr->t_max - tr->t_min;
    for (int z = 0; z < Z__COUNT; z++) {
        if (z == Z_OUT) view_fit(&app.view, tr->t_min, tr->t_max);
        if (z == Z_MID) view_set(&app.view, mid - extent / 2000, mid + extent / 2000);
        if (z == Z_IN) view_set(&app.view, mid - 10000, mid + 10000);
        double first = now_ms();
        app_draw(&app); /* warm the text cache, as a window would have */
        if (z == Z_OUT) res.first_ms = now_ms() - first; /* includes building the summaries */
        double ms[MAX_FRAMES], cpu[MAX_FRAMES];
        for (int f = 0; f < FRAMES; f++) {
            double t0 = now_ms(), c0 = cpu_ms();
            view_pan_px(&app.view, 1);
            app_draw(&app);
            SDL_RenderPresent(r);
            ms[f] = now_ms() - t0;
            cpu[f] = cpu_ms() - c0;
        }
        qsort(cpu, FRAMES, sizeof(double), cmp_double);
        res.cpu_median_ms[z] = cpu[FRAMES / 2];
        qsort(ms, FRAMES, sizeof(double), cmp_double);
        res.median_ms[z] = ms[FRAMES / 2];
        res.max_ms[z] = ms[FRAMES - 1];
    }
    app_free(&app);
    cvz_trace_free(tr);
    res.ok = true;
    return res;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: bench_view [N ...]  (default: 1000000 10000000)\n"
               "       bench_view --trace PATH\n"
               "Frame time of conviz-view (software renderer, %dx%d) zoomed out, mid and in.\n"
               "Synthetic traces are generated in $BENCH_DIR (default /tmp) if missing.\n",
               WIDTH, HEIGHT);
        return 0;
    }
    if (getenv("BENCH_FRAMES")) FRAMES = atoi(getenv("BENCH_FRAMES"));
    if (FRAMES < 1 || FRAMES > MAX_FRAMES) FRAMES = 15;
    const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    char paths[8][1024];
    char names[8][32];
    int n = 0;
    if (argc == 3 && strcmp(argv[1], "--trace") == 0) {
        snprintf(paths[0], sizeof(paths[0]), "%s", argv[2]);
        snprintf(names[0], sizeof(names[0]), "given trace");
        n = 1;
    } else {
        unsigned long long sizes[8] = {1000000ull, 10000000ull};
        int ns = argc > 1 ? 0 : 2;
        for (int i = 1; i < argc && ns < 8; i++) {
            char *end;
            sizes[ns] = strtoull(argv[i], &end, 10);
            if (*end || !sizes[ns]) {
                fprintf(stderr, "bench_view: '%s' is not a number of events\n", argv[i]);
                return 2;
            }
            ns++;
        }
        for (int i = 0; i < ns; i++) {
            snprintf(paths[n], sizeof(paths[n]), "%s/cvz_bench_%llu.json", dir, sizes[i]);
            snprintf(names[n], sizeof(names[n]), "%lluM events", sizes[i] / 1000000ull);
            if (sizes[i] < 1000000ull)
                snprintf(names[n], sizeof(names[n]), "%llu events", sizes[i]);
            if (!ensure_trace(paths[n], sizes[i])) return 1;
            n++;
        }
    }
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    SDL_Renderer *r = NULL;
    SDL_Surface *s = export_surface(WIDTH, HEIGHT, &r);
    char *err = NULL;
    if (!s || !ren_init(r, 1.0f, &err)) {
        fprintf(stderr, "bench_view: cannot set up the software renderer: %s\n",
                err ? err : SDL_GetError());
        return 1;
    }
    struct result res[8];
    for (int i = 0; i < n; i++) {
        fprintf(stderr, "bench_view: loading %s ...\n", paths[i]);
        res[i] = measure(paths[i], r);
        if (!res[i].ok) return 1;
    }
    printf("conviz-view frame time, software renderer, %dx%d, %d frames per zoom, each after a "
           "1-pixel pan\n",
           WIDTH, HEIGHT, FRAMES);
    printf("%-26s", "");
    for (int i = 0; i < n; i++)
        printf(" | %32s", names[i]);
    printf("\n%-26s", "events read");
    for (int i = 0; i < n; i++)
        printf(" | %32llu", (unsigned long long)res[i].nevents);
    printf("\n%-26s", "threads / spans");
    for (int i = 0; i < n; i++) {
        char b[40];
        snprintf(b, sizeof(b), "%zu / %zu", res[i].nthreads, res[i].nspans);
        printf(" | %32s", b);
    }
    printf("\n%-26s", "load (s, for reference)");
    for (int i = 0; i < n; i++)
        printf(" | %32.2f", res[i].load_s);
    printf("\n%-26s", "first frame (summaries)");
    for (int i = 0; i < n; i++) {
        char b[40];
        snprintf(b, sizeof(b), "%.1f ms", res[i].first_ms);
        printf(" | %32s", b);
    }
    for (int z = 0; z < Z__COUNT; z++) {
        printf("\n%-26s", zoom_names[z]);
        for (int i = 0; i < n; i++) {
            char b[48];
            snprintf(b, sizeof(b), "%.2f ms (max %.2f, cpu %.2f)", res[i].median_ms[z],
                     res[i].max_ms[z], res[i].cpu_median_ms[z]);
            printf(" | %32s", b);
        }
    }
    bool ok = true;
    for (int i = 0; i < n; i++)
        for (int z = 0; z < Z__COUNT; z++)
            ok &= res[i].cpu_median_ms[z] <= 16.0;
    double load[3] = {0, 0, 0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        fclose(la);
    }
    printf("\nmedian (max) wall time per frame, and median CPU time of the drawing thread\n"
           "goal: every frame <= 16 ms: %s (CPU medians); load average during the run: %.1f\n",
           ok ? "met" : "NOT met", load[0]);
    ren_free();
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    return 0;
}
