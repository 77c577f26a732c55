/* test_view.c - render and input tests of conviz-view: runs the viewer headless (--png) on small
 * hand-written traces, reads the lane geometry it dumps (--dump-layout) and probes pixels of the
 * PNG at known times, instead of comparing whole images with golden files.
 *
 * usage: test_view CASE VIEWER DATA_DIR TMP_DIR
 * Each CASE checks one meaning: "at time T the lane of thread 102 has the BLOCKED colour", "the
 * wheel keeps the time under the pointer where it was", ...  Exit 0 pass, 1 fail, 77 skip.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>

static const char *viewer, *data_dir, *tmp_dir, *case_name;
static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d (%s): ", __FILE__, __LINE__, case_name);                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* ==== layout dump ========================================================================== */

#define MAX_LANES 256

struct lane_info {
    char kind[16];
    int index, y0, y1, tid, pid, state_h;
};

struct layout {
    int width, height, x0, x1, y0, y1;
    long long t0, t1, t_min;
    double nspp;
    struct lane_info lanes[MAX_LANES];
    int nlanes;
    int thread_rgb[64][4]; /* tid, r, g, b */
    int nthread_rgb;
    int banner;
    int sel_lane, sel_thread;
    int has_range;
    long long range0, range1;
    int search_hits;
    int replay;
    long long cursor;
    int wakes_drawn, wakes_hidden;
};

static bool read_layout(const char *path, struct layout *l)
{
    memset(l, 0, sizeof(*l));
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        struct lane_info li = {0};
        int idx, tid, r, g, b;
        if (sscanf(line, "size %d %d", &l->width, &l->height) == 2) continue;
        if (sscanf(line, "timeline x0 %d x1 %d y0 %d y1 %d", &l->x0, &l->x1, &l->y0, &l->y1) == 4)
            continue;
        if (sscanf(line, "view t0 %lld t1 %lld ns_per_px %lf", &l->t0, &l->t1, &l->nspp) == 3)
            continue;
        if (sscanf(line, "trace t_min %lld", &l->t_min) == 1) continue;
        if (sscanf(line, "lane %15s %d y0 %d y1 %d tid %d pid %d state_h %d", li.kind, &li.index,
                   &li.y0, &li.y1, &li.tid, &li.pid, &li.state_h) >= 4) {
            if (l->nlanes < MAX_LANES) l->lanes[l->nlanes++] = li;
            continue;
        }
        if (sscanf(line, "color thread %d tid %d rgb %d %d %d", &idx, &tid, &r, &g, &b) == 5) {
            if (l->nthread_rgb < 64) {
                int *c = l->thread_rgb[l->nthread_rgb++];
                c[0] = tid, c[1] = r, c[2] = g, c[3] = b;
            }
            continue;
        }
        if (sscanf(line, "banner %d", &l->banner) == 1) continue;
        if (sscanf(line, "selection lane %d thread %d", &l->sel_lane, &l->sel_thread) == 2)
            continue;
        if (sscanf(line, "range %d %lld %lld", &l->has_range, &l->range0, &l->range1) == 3)
            continue;
        if (strncmp(line, "search ", 7) == 0) {
            char *h = strstr(line, " hits ");
            if (h) l->search_hits = atoi(h + 6);
            continue;
        }
        if (sscanf(line, "replay %d cursor %lld", &l->replay, &l->cursor) == 2) continue;
        if (sscanf(line, "wakes drawn %d hidden %d", &l->wakes_drawn, &l->wakes_hidden) == 2)
            continue;
    }
    fclose(f);
    return l->width > 0 && l->x1 > l->x0 && l->t1 > l->t0;
}

static const struct lane_info *find_lane(const struct layout *l, const char *kind, int key)
{
    for (int i = 0; i < l->nlanes; i++) {
        const struct lane_info *li = &l->lanes[i];
        if (strcmp(li->kind, kind) != 0) continue;
        if (strcmp(kind, "thread") == 0 ? li->tid == key : li->index == key) return li;
    }
    return NULL;
}

static bool thread_rgb(const struct layout *l, int tid, int rgb[3])
{
    for (int i = 0; i < l->nthread_rgb; i++)
        if (l->thread_rgb[i][0] == tid) {
            memcpy(rgb, &l->thread_rgb[i][1], 3 * sizeof(int));
            return true;
        }
    return false;
}

/* x of an absolute time in ns */
static int x_of(const struct layout *l, long long t)
{
    return l->x0 + (int)((t - l->t0) / l->nspp);
}
/* absolute time at pixel x */
static double t_of(const struct layout *l, double x)
{
    return l->t0 + (x - l->x0) * l->nspp;
}

/* ==== running the viewer =================================================================== */

static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    fprintf(stderr, "+ %s\n", cmd);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Renders TRACE with extra options into TMP/CASE-tag.png and its layout; 0 on success. */
static int render(const char *trace, const char *tag, const char *opts, struct layout *l,
                  SDL_Surface **png)
{
    char png_path[1024], lay_path[1024];
    snprintf(png_path, sizeof(png_path), "%s/%s-%s.png", tmp_dir, case_name, tag);
    snprintf(lay_path, sizeof(lay_path), "%s/%s-%s.layout", tmp_dir, case_name, tag);
    int rc = run("'%s' '%s' --png '%s' --size 1280x480 --dump-layout '%s' %s", viewer, trace,
                 png_path, lay_path, opts ? opts : "");
    if (rc != 0) return rc;
    if (!read_layout(lay_path, l)) {
        fprintf(stderr, "cannot read the layout %s\n", lay_path);
        return -1;
    }
    if (png) {
        SDL_Surface *raw = IMG_Load(png_path);
        if (!raw) {
            fprintf(stderr, "cannot load %s: %s\n", png_path, IMG_GetError());
            return -1;
        }
        *png = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
        SDL_FreeSurface(raw);
        if (!*png) return -1;
    }
    return 0;
}

static void pixel(SDL_Surface *s, int x, int y, int rgb[3])
{
    rgb[0] = rgb[1] = rgb[2] = -1;
    if (x < 0 || y < 0 || x >= s->w || y >= s->h) return;
    uint32_t p = ((uint32_t *)((uint8_t *)s->pixels + (size_t)y * s->pitch))[x];
    rgb[0] = (p >> 16) & 255;
    rgb[1] = (p >> 8) & 255;
    rgb[2] = p & 255;
}

static bool near_rgb(const int a[3], const int b[3], int tol)
{
    return abs(a[0] - b[0]) <= tol && abs(a[1] - b[1]) <= tol && abs(a[2] - b[2]) <= tol;
}

/* Is the colour found in the box [x-dx, x+dx] x [y-dy, y+dy]?  Hatching and labels cover some
 * pixels of a span, never all of them. */
static bool box_has(SDL_Surface *s, int x, int y, int dx, int dy, const int rgb[3], int tol)
{
    for (int yy = y - dy; yy <= y + dy; yy++)
        for (int xx = x - dx; xx <= x + dx; xx++) {
            int p[3];
            pixel(s, xx, yy, p);
            if (near_rgb(p, rgb, tol)) return true;
        }
    return false;
}

static int count_dark(SDL_Surface *s, int x, int y, int dx, int dy)
{
    int n = 0;
    for (int yy = y - dy; yy <= y + dy; yy++)
        for (int xx = x - dx; xx <= x + dx; xx++) {
            int p[3];
            pixel(s, xx, yy, p);
            n += p[0] >= 0 && p[0] < 70 && p[1] < 70 && p[2] < 70;
        }
    return n;
}

static const int RUNNING_RGB[3] = {0, 158, 115}, READY_RGB[3] = {230, 159, 0},
                 LOCK_RGB[3] = {213, 94, 0}, BANNER_RGB[3] = {255, 226, 140};

static char basic[1024];
#define US(t) ((long long)((t)*1000.0)) /* the trace's "ts" (us) -> ns */

/* ==== cases ================================================================================ */

/* At T = 45 us worker-2 (tid 102) waits for counter_lock: BLOCKED(lock); worker-1 runs. */
static void case_states(void)
{
    struct layout l;
    SDL_Surface *png = NULL;
    CHECK(render(basic, "a", "", &l, &png) == 0, "render failed");
    if (!png) return;
    const struct lane_info *w2 = find_lane(&l, "thread", 102), *w1 = find_lane(&l, "thread", 101);
    CHECK(w2 && w1, "no lanes for tid 101/102");
    if (!w2 || !w1) return;
    int x = x_of(&l, US(1045));
    int y2 = w2->y1 - 5, y1 = w1->y1 - 5;
    CHECK(box_has(png, x, y2, 3, 1, LOCK_RGB, 2), "tid 102 at 45us is not BLOCKED(lock) coloured");
    CHECK(!box_has(png, x, y2, 3, 1, RUNNING_RGB, 2), "tid 102 at 45us shows RUNNING");
    CHECK(box_has(png, x, y1, 3, 1, RUNNING_RGB, 2), "tid 101 at 45us is not RUNNING coloured");
    /* READY: worker-1 between its first run (ends 6 us) and the second (10 us) */
    int xr = x_of(&l, US(1008));
    CHECK(box_has(png, xr, y1, 2, 1, READY_RGB, 2), "tid 101 at 8us is not READY coloured");
    /* the span after the wake: worker-2 runs again at 70 us */
    CHECK(box_has(png, x_of(&l, US(1075)), y2, 3, 1, RUNNING_RGB, 2),
          "tid 102 at 75us not RUNNING");
    SDL_FreeSurface(png);
}

/* CPU 0 at 45 us runs worker-1: the CPU lane has worker-1's colour; CPU 1 is idle there. */
static void case_cpu(void)
{
    struct layout l;
    SDL_Surface *png = NULL;
    CHECK(render(basic, "a", "", &l, &png) == 0, "render failed");
    if (!png) return;
    const struct lane_info *c0 = find_lane(&l, "cpu", 0), *c1 = find_lane(&l, "cpu", 1);
    int rgb101[3], rgb102[3];
    CHECK(c0 && c1, "no CPU lanes");
    CHECK(thread_rgb(&l, 101, rgb101) && thread_rgb(&l, 102, rgb102), "no thread colours");
    if (!c0 || !c1) return;
    int x = x_of(&l, US(1045)), ym = c0->y1 - 4;
    CHECK(box_has(png, x, ym, 3, 1, rgb101, 2), "CPU 0 at 45us is not worker-1's colour");
    CHECK(!box_has(png, x, c1->y1 - 4, 3, 1, rgb102, 2), "CPU 1 at 45us shows worker-2");
    CHECK(box_has(png, x_of(&l, US(1020)), c1->y1 - 4, 3, 1, rgb102, 2),
          "CPU 1 at 20us is not worker-2's colour");
    SDL_FreeSurface(png);
}

/* One thread busy on CPU 0 only.  On a 2-CPU machine CPU 1 still gets its (empty) lane: the
 * idle CPU is the point of the concurrency lesson.  On a 32-CPU machine idle CPUs get none. */
static void case_idle_cpu(void)
{
    for (int ncpu = 2; ncpu <= 32; ncpu += 30) {
        char path[1024], tag[16];
        snprintf(path, sizeof(path), "%s/idle-%d.json", tmp_dir, ncpu);
        snprintf(tag, sizeof(tag), "n%d", ncpu);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL, "cannot write %s", path);
        if (!f) return;
        fprintf(f,
                "[\n{\"ph\":\"i\",\"s\":\"t\",\"name\":\"process.start\",\"cat\":\"cvz\","
                "\"pid\":400,\"tid\":400,\"ts\":1000,\"args\":{\"ppid\":1,\"via\":\"start\","
                "\"cmdline\":\"idle\",\"ncpu\":%d,\"sched\":\"perf\",\"version\":1}},\n"
                "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":400,"
                "\"tid\":400,\"ts\":1000,\"dur\":50,\"args\":{\"cpu\":0,\"out\":\"exit\"}}\n]\n",
                ncpu);
        fclose(f);
        struct layout l;
        CHECK(render(path, tag, "", &l, NULL) == 0, "render of %d CPUs failed", ncpu);
        CHECK(find_lane(&l, "cpu", 0) != NULL, "%d CPUs: no lane for the busy CPU 0", ncpu);
        if (ncpu == 2)
            CHECK(find_lane(&l, "cpu", 1) != NULL, "2 CPUs: no lane for the idle CPU 1");
        else
            CHECK(find_lane(&l, "cpu", 1) == NULL, "%d CPUs: a lane for the idle CPU 1", ncpu);
    }
}

/* worker-1 releases at 60 us, worker-2 acquires at 60.5 us: an arrow ends at the acquire. */
static void case_wake(void)
{
    struct layout l, n;
    SDL_Surface *png = NULL, *none = NULL;
    CHECK(render(basic, "all", "--from 50us --to 70us --wakes all", &l, &png) == 0, "render");
    CHECK(render(basic, "none", "--from 50us --to 70us --wakes none", &n, &none) == 0, "render");
    if (!png || !none) return;
    const struct lane_info *w2 = find_lane(&l, "thread", 102);
    CHECK(w2 != NULL, "no lane for tid 102");
    if (!w2) return;
    int x = x_of(&l, US(1060.5));
    int yb = (w2->y0 + w2->y1) / 2 - (w2->y1 - w2->y0) * 15 / 100; /* where the head points */
    int with = count_dark(png, x, yb - 4, 3, 4), without = count_dark(none, x, yb - 4, 3, 4);
    CHECK(with >= 4, "no arrow head at the acquire (x %d y %d): %d dark pixels", x, yb, with);
    CHECK(without < with, "dark pixels there without arrows too (%d vs %d)", without, with);
    /* and the arrow leaves worker-1's lane at the release */
    const struct lane_info *w1 = find_lane(&l, "thread", 101);
    if (w1) {
        int xs = x_of(&l, US(1060)), ys = (w1->y0 + w1->y1) / 2 + 3;
        CHECK(count_dark(png, xs, ys, 3, 3) > count_dark(none, xs, ys, 3, 3),
              "no arrow leaving worker-1 at the release");
    }
    SDL_FreeSurface(png);
    SDL_FreeSurface(none);
}

/* A trace cut in the middle of a line: the banner says so and what was read is drawn. */
static void case_truncated(void)
{
    char cut[1024];
    snprintf(cut, sizeof(cut), "%s/truncated.json", tmp_dir);
    FILE *in = fopen(basic, "rb"), *out = fopen(cut, "wb");
    CHECK(in && out, "cannot copy the trace");
    if (!in || !out) return;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf), in);
    /* cut 30 bytes into the 18th line (worker-2's lock.acquire) */
    size_t off = 0;
    for (int line = 1; line < 18 && off < n; off++)
        if (buf[off] == '\n') line++;
    fwrite(buf, 1, off + 30 < n ? off + 30 : n, out);
    fclose(in);
    fclose(out);
    struct layout l;
    SDL_Surface *png = NULL;
    CHECK(render(cut, "a", "", &l, &png) == 0, "a truncated trace must still render");
    if (!png) return;
    CHECK(l.banner == 1, "no warning banner for a truncated trace");
    int p[3];
    pixel(png, l.width - 4, 4, p);
    CHECK(near_rgb(p, BANNER_RGB, 2), "the banner colour is not at the top (%d %d %d)", p[0], p[1],
          p[2]);
    const struct lane_info *w2 = find_lane(&l, "thread", 102);
    CHECK(w2 != NULL, "worker-2 lost");
    if (w2)
        CHECK(box_has(png, x_of(&l, US(1020)), w2->y1 - 5, 3, 1, RUNNING_RGB, 2),
              "worker-2's first run is not drawn");
    SDL_FreeSurface(png);
    /* the clean trace has no banner */
    struct layout c;
    CHECK(render(basic, "clean", "", &c, NULL) == 0 && c.banner == 0, "banner on a clean trace");
}

/* The wheel zooms at the pointer: the time under the pointer stays under it. */
static void case_wheel(void)
{
    struct layout a, b, c;
    CHECK(render(basic, "a", "", &a, NULL) == 0, "render");
    int x = a.x0 + (a.x1 - a.x0) * 3 / 4, y = (a.y0 + a.y1) / 2;
    double t_before = t_of(&a, x);
    char ev[256];
    snprintf(ev, sizeof(ev), "--events 'wheel %d %d 3'", x, y);
    CHECK(render(basic, "b", ev, &b, NULL) == 0, "render");
    CHECK(b.t1 - b.t0 < (a.t1 - a.t0) * 3 / 4, "wheel up did not zoom in (%lld -> %lld)",
          a.t1 - a.t0, b.t1 - b.t0);
    double t_after = t_of(&b, x);
    CHECK(t_after > t_before - 2 * a.nspp && t_after < t_before + 2 * a.nspp,
          "time under the pointer moved: %.0f -> %.0f ns", t_before, t_after);
    snprintf(ev, sizeof(ev), "--events 'wheel %d %d 3; wheel %d %d -3'", x, y, x, y);
    CHECK(render(basic, "c", ev, &c, NULL) == 0, "render");
    CHECK(llabs((c.t1 - c.t0) - (a.t1 - a.t0)) <= (a.t1 - a.t0) / 100,
          "zooming in and out again does not return to the same range");
}

/* Dragging pans: dragging 200 px to the left shows later times by 200 px worth of ns. */
static void case_drag(void)
{
    struct layout a, b;
    CHECK(render(basic, "a", "--events 'wheel 700 200 4'", &a, NULL) == 0, "render");
    CHECK(render(basic, "b", "--events 'wheel 700 200 4; drag 800 200 600 200'", &b, NULL) == 0,
          "render");
    double moved = (double)(b.t0 - a.t0) / a.nspp;
    CHECK(moved > 190 && moved < 210, "drag by 200 px moved the view by %.1f px", moved);
    CHECK(b.t1 - b.t0 == a.t1 - a.t0, "drag changed the zoom");
    /* a, d and the arrows pan too */
    struct layout c;
    CHECK(render(basic, "c", "--events 'wheel 700 200 4; key d; key Right'", &c, NULL) == 0,
          "render");
    CHECK(c.t0 > a.t0, "d / Right do not pan right");
}

/* 0 fits the whole trace after zooming; f fits the selected span. */
static void case_fit(void)
{
    struct layout a, b, c;
    CHECK(render(basic, "a", "", &a, NULL) == 0, "render");
    CHECK(render(basic, "b", "--events 'wheel 500 200 6; drag 700 200 300 200; key 0'", &b, NULL) ==
              0,
          "render");
    CHECK(b.t0 == a.t0 && b.t1 == a.t1, "0 does not fit all: %lld..%lld vs %lld..%lld", b.t0, b.t1,
          a.t0, a.t1);
    CHECK(a.t0 <= a.t_min && a.t1 >= a.t_min + US(110), "the first view does not show the trace");
    /* click worker-2's blocked span, then f: the view is that span (30..60 us) plus a margin */
    const struct lane_info *w2 = find_lane(&a, "thread", 102);
    if (!w2) return;
    char ev[256];
    snprintf(ev, sizeof(ev), "--events 'click %d %d; key f'", x_of(&a, US(1045)), w2->y1 - 4);
    CHECK(render(basic, "c", ev, &c, NULL) == 0, "render");
    CHECK(c.sel_thread == 2, "the click did not select worker-2 (thread %d)", c.sel_thread);
    CHECK(c.t0 > a.t_min + US(25) && c.t0 < a.t_min + US(31) && c.t1 > a.t_min + US(59) &&
              c.t1 < a.t_min + US(66),
          "f did not fit the blocked span: %lld..%lld", c.t0 - a.t_min, c.t1 - a.t_min);
}

/* / searches: typing a thread's name and Enter selects its lane. */
static void case_search(void)
{
    struct layout a, b, c;
    CHECK(render(basic, "a", "--events 'key /; text worker-2; key Return'", &a, NULL) == 0,
          "render");
    CHECK(a.search_hits == 1, "worker-2 found %d times", a.search_hits);
    const struct lane_info *w2 = find_lane(&a, "thread", 102);
    CHECK(w2 && a.sel_lane >= 0 && a.sel_thread == 2,
          "search did not select worker-2 (lane %d thread %d)", a.sel_lane, a.sel_thread);
    CHECK(render(basic, "b", "--events 'key /; text counter; key Return'", &b, NULL) == 0,
          "render");
    CHECK(b.search_hits == 1 && b.sel_lane >= 0, "the lock object is not found");
    /* a marker's text, and filtering lanes by the search */
    CHECK(render(basic, "c", "--events 'key /; text critical; key Return; key Escape'", &c, NULL) ==
              0,
          "render");
    CHECK(c.search_hits == 1 && c.sel_thread == 1, "the user mark is not found (thread %d)",
          c.sel_thread);
    struct layout d;
    CHECK(render(basic, "d", "--lanes worker-1", &d, NULL) == 0, "render");
    CHECK(find_lane(&d, "thread", 101) && !find_lane(&d, "thread", 102), "--lanes does not filter");
}

/* shift-drag measures a range; the statistics panel and stats of a range render. */
static void case_measure(void)
{
    struct layout a, b;
    CHECK(render(basic, "a", "", &a, NULL) == 0, "render");
    int xa = x_of(&a, US(1030)), xb = x_of(&a, US(1060)), y = (a.y0 + a.y1) / 2;
    char ev[256];
    snprintf(ev, sizeof(ev), "--stats --events 'shiftdrag %d %d %d %d'", xa, y, xb, y);
    CHECK(render(basic, "b", ev, &b, NULL) == 0, "render");
    CHECK(b.has_range, "no range after shift-drag");
    long long d = b.range1 - b.range0;
    CHECK(d > US(30) - 2 * a.nspp && d < US(30) + 2 * a.nspp, "range is %lld ns, not 30 us", d);
    CHECK(b.t0 == a.t0 && b.t1 == a.t1, "shift-drag panned the view");
}

/* Replay: --at fades what follows the cursor; steps move it to the next event. */
static void case_replay(void)
{
    struct layout a, b;
    SDL_Surface *png = NULL;
    CHECK(render(basic, "a", "--at 45us", &a, &png) == 0, "render");
    if (!png) return;
    CHECK(a.replay && a.cursor == a.t_min + US(45), "--at did not set the cursor");
    const struct lane_info *w1 = find_lane(&a, "thread", 101);
    if (w1) {
        CHECK(box_has(png, x_of(&a, US(1030)), w1->y1 - 5, 3, 1, RUNNING_RGB, 2),
              "before the cursor: not RUNNING");
        CHECK(!box_has(png, x_of(&a, US(1080)), w1->y1 - 5, 3, 1, RUNNING_RGB, 10),
              "after the cursor: not faded");
    }
    SDL_FreeSurface(png);
    CHECK(render(basic, "b", "--at 45us --events 'key .'", &b, NULL) == 0, "render");
    CHECK(b.cursor > a.cursor && b.cursor <= a.t_min + US(60), "step did not go to the next event");
    struct layout c;
    CHECK(render(basic, "c", "--at 45us --events 'key ]; key space; tick 500'", &c, NULL) == 0,
          "render");
    CHECK(c.cursor > a.cursor, "playing did not move the cursor");
}

/* Every key and panel, in one run: nothing crashes, and the picture is still written. */
static void case_keys(void)
{
    struct layout a;
    const char *all =
        "--events 'move 700 150; key ?; key ?; key t; key p; key l; key k; key g; key e; key r; "
        "key w; key s; key a; key d; key Up; key Down; key PageDown; key PageUp; key Home; key "
        "End; "
        "click 700 150; key c; key c; key h; key H; key ctrl+Down; key ctrl+Up; key f; key 0; "
        "key j; key space; tick 100; key space; key ,; key .; key [; key ]; key x; key /; text zz; "
        "key Backspace; key Escape; key n; key N; key F; key F; key p; key Escape; key t; "
        "resize 900 500; wheel 300 100 -2; move 10 10'";
    CHECK(render(basic, "a", all, &a, NULL) == 0, "render after every key failed");
    CHECK(a.width == 900 && a.height == 500, "resize not applied");
    struct layout b;
    CHECK(render(basic, "b", "--presentation --stats --keys --caption 'Lesson 1: a lock'", &b,
                 NULL) == 0,
          "presentation + stats + help failed");
}

/* Bad input: never a crash, always a clear message. */
static void case_bad_input(void)
{
    char path[1024], out[1024];
    snprintf(out, sizeof(out), "%s/bad.png", tmp_dir);
    int rc = run("'%s' /nonexistent/trace.json --png '%s' 2>%s/missing.err", viewer, out, tmp_dir);
    CHECK(rc == 1, "a missing file must fail with 1 (got %d)", rc);
    rc = run("grep -q 'cannot open' %s/missing.err", tmp_dir);
    CHECK(rc == 0, "no 'cannot open' message for a missing file");
    const char *contents[] = {
        "", "not json at all\n",
        "[\n{\"ph\":\"X\",\"name\":\"RUNNING\",\"pid\":1,"
        "\"tid\":1,\"ts\":-5,\"dur\":-3},\n{\"ph\":\"i\",\"ts\":1e18}\n",
        "[\n{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":1,"
        "\"tid\":2,\"ts\":10,\"dur\":5,\"args\":{\"cpu\":99999,\"out\":\"zz\"}},\n"
        "{\"name\":\"lock.release\",\"cat\":\"cvz\",\"ph\":\"i\",\"pid\":1,"
        "\"tid\":2,\"ts\":3,\"args\":{\"obj\":\"0x1\"}},\n"};
    for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
        snprintf(path, sizeof(path), "%s/bad%zu.json", tmp_dir, i);
        FILE *f = fopen(path, "w");
        if (!f) continue;
        fputs(contents[i], f);
        fclose(f);
        rc = run("'%s' '%s' --png '%s' 2>/dev/null", viewer, path, out);
        CHECK(rc == 0 || rc == 1, "bad input %zu: exit %d (a crash?)", i, rc);
    }
    CHECK(run("'%s' --help >/dev/null", viewer) == 0, "--help fails");
    CHECK(run("'%s' '%s' --png '%s' --size 12 2>/dev/null", viewer, basic, out) == 2,
          "a bad --size is not refused");
    CHECK(run("'%s' '%s' --png '%s' --from xyz 2>/dev/null", viewer, basic, out) == 2 ||
              run("'%s' '%s' --png '%s' --from xyz 2>/dev/null", viewer, basic, out) == 1,
          "a bad --from is not refused");
    CHECK(run("'%s' '%s' --png '%s' --events 'bogus 1' 2>/dev/null", viewer, basic, out) != 0,
          "a bad event script is not refused");
}

/* A foreign Chrome-format trace: its slices become rows under the thread's state bar, nested
 * slices one row lower. */
static void case_foreign(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/foreign.json", data_dir);
    struct layout l;
    SDL_Surface *png = NULL;
    CHECK(render(path, "a", "", &l, &png) == 0, "a Chrome-format trace must render");
    if (!png) return;
    const struct lane_info *main_lane = find_lane(&l, "thread", 1);
    CHECK(main_lane != NULL, "no lane for the browser's main thread");
    if (!main_lane) return;
    int rows = main_lane->y1 - main_lane->y0 - main_lane->state_h;
    CHECK(main_lane->state_h > 0 && rows >= 2 * 12, "no two region rows (%d px)", rows);
    int row0 = main_lane->y0 + main_lane->state_h + rows / 4, row1 = row0 + rows / 2;
    static const int bg[3][3] = {{250, 250, 248}, {243, 243, 240}, {226, 226, 222}};
    int p[3];
    pixel(png, x_of(&l, US(450)), row0, p); /* RunTask 100..600 us */
    bool plain = false;
    for (int i = 0; i < 3; i++)
        plain |= near_rgb(p, bg[i], 3);
    CHECK(!plain, "RunTask is not drawn in the first row");
    pixel(png, x_of(&l, US(300)), row1, p); /* Layout 200..350 us, nested in RunTask */
    plain = false;
    for (int i = 0; i < 3; i++)
        plain |= near_rgb(p, bg[i], 3);
    CHECK(!plain, "Layout is not drawn in the second row");
    pixel(png, x_of(&l, US(450)), row1, p); /* nothing nested there */
    plain = false;
    for (int i = 0; i < 3; i++)
        plain |= near_rgb(p, bg[i], 3);
    CHECK(plain, "the second row is painted where no nested slice is");
    SDL_FreeSurface(png);
}

/* A deadlock: t-a holds lock_a and waits for lock_b, t-b the reverse.  The waits never end,
 * so the model has no acquisition for them; the lock lanes still show holder and waiter. */
static void case_deadlock(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/deadlock.json", data_dir);
    struct layout l;
    SDL_Surface *png = NULL;
    CHECK(render(path, "a", "", &l, &png) == 0, "render");
    if (!png) return;
    const struct lane_info *la = find_lane(&l, "lock", 0), *lb = find_lane(&l, "lock", 1);
    int rgb_a[3], rgb_b[3];
    CHECK(la && lb, "the deadlocked locks have no lanes (not counted as contended)");
    CHECK(thread_rgb(&l, 201, rgb_a) && thread_rgb(&l, 202, rgb_b), "no thread colours");
    if (!la || !lb) return;
    int x = x_of(&l, US(1060));
    CHECK(box_has(png, x, la->y0 + 8, 3, 2, rgb_a, 2), "lock_a: t-a is not shown holding it");
    CHECK(box_has(png, x, la->y1 - 7, 3, 2, rgb_b, 2), "lock_a: t-b is not shown waiting");
    CHECK(box_has(png, x, lb->y0 + 8, 3, 2, rgb_b, 2), "lock_b: t-b is not shown holding it");
    CHECK(box_has(png, x, lb->y1 - 7, 3, 2, rgb_a, 2), "lock_b: t-a is not shown waiting");
    SDL_FreeSurface(png);
}

/* 3000 lock hand-overs between two threads: "all wake arrows" stays readable (merged per
 * pixel, at most a few hundred), and zooming in shows the ones merged before. */
static void case_hairball(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/pingpong.json", tmp_dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    fprintf(f, "[\n{\"ph\":\"i\",\"s\":\"t\",\"name\":\"process.start\",\"cat\":\"cvz\","
               "\"pid\":300,\"tid\":300,\"ts\":1000,\"args\":{\"ppid\":1,\"via\":\"start\","
               "\"cmdline\":\"pingpong\",\"ncpu\":2,\"sched\":\"none\",\"version\":1}},\n");
    fprintf(f, "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"object.declare\",\"cat\":\"cvz\",\"pid\":300,"
               "\"tid\":301,\"ts\":1000.5,\"args\":{\"obj\":\"0x30\",\"kind\":\"mutex\","
               "\"name\":\"ball\"}},\n");
    double t = 1001;
    for (int i = 0; i < 3000; i++) {
        int a = 301 + i % 2, b = 301 + (i + 1) % 2;
        fprintf(f,
                "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"lock.acquire\",\"cat\":\"cvz\","
                "\"pid\":300,\"tid\":%d,\"ts\":%.3f,\"args\":{\"obj\":\"0x30\",\"mode\":\"w\","
                "\"res\":\"ok\",\"wait_ns\":%d,\"depth\":1}},\n",
                a, t, i ? 900 : 0);
        fprintf(f,
                "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"lock.request\",\"cat\":\"cvz\","
                "\"pid\":300,\"tid\":%d,\"ts\":%.3f,\"args\":{\"obj\":\"0x30\",\"mode\":\"w\"}},\n",
                b, t + 0.1);
        fprintf(f,
                "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"lock.release\",\"cat\":\"cvz\","
                "\"pid\":300,\"tid\":%d,\"ts\":%.3f,\"args\":{\"obj\":\"0x30\",\"mode\":\"w\","
                "\"hold_ns\":800,\"depth\":0}},\n",
                a, t + 0.8);
        t += 1.0;
    }
    fclose(f);
    struct layout l, z;
    CHECK(render(path, "all", "--wakes all", &l, NULL) == 0, "render");
    CHECK(l.wakes_drawn > 0 && l.wakes_drawn <= 300, "%d wake arrows drawn at once", l.wakes_drawn);
    CHECK(l.wakes_hidden > 0, "no arrow merged although %d would not fit", l.wakes_drawn);
    CHECK(render(path, "zoom", "--wakes all --from 100us --to 110us", &z, NULL) == 0, "render");
    CHECK(z.wakes_drawn >= 8, "zoomed in, only %d arrows of ~10 hand-overs", z.wakes_drawn);
}

/* The window under Xvfb: it starts, draws, and quits on a scripted q. */
static void case_window(void)
{
    if (run("command -v xvfb-run >/dev/null") != 0) exit(77);
    int rc = run("SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' '%s' '%s' "
                 "--events 'wheel 600 200 2; key t; key q' > %s/window.out 2>&1",
                 viewer, basic, tmp_dir);
    CHECK(rc == 0, "the window run failed (%d)", rc);
    rc = run("grep -q 'drew [1-9][0-9]* frames' %s/window.out", tmp_dir);
    CHECK(rc == 0, "the window drew no frame");
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_view CASE VIEWER DATA_DIR TMP_DIR\n");
        return 2;
    }
    /* under ASan, a viewer that reports an error must not look like a clean "exit 1" */
    setenv("ASAN_OPTIONS", "exitcode=86", 0);
    case_name = argv[1];
    viewer = argv[2];
    data_dir = argv[3];
    tmp_dir = argv[4];
    snprintf(basic, sizeof(basic), "%s/basic.json", data_dir);
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"states", case_states},     {"cpu", case_cpu},
        {"idle_cpu", case_idle_cpu},
        {"wake", case_wake},         {"truncated", case_truncated},
        {"wheel", case_wheel},       {"drag", case_drag},
        {"fit", case_fit},           {"search", case_search},
        {"measure", case_measure},   {"replay", case_replay},
        {"keys", case_keys},         {"bad_input", case_bad_input},
        {"foreign", case_foreign},   {"deadlock", case_deadlock},
        {"hairball", case_hairball}, {"window", case_window},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(cases[i].name, case_name) == 0) {
            cases[i].fn();
            if (failures) fprintf(stderr, "%s: %d failure(s)\n", case_name, failures);
            return failures ? 1 : 0;
        }
    }
    fprintf(stderr, "test_view: unknown case %s\n", case_name);
    return 2;
}
