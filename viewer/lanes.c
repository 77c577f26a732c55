/* lanes.c - the lanes of conviz-view: palette, the per-pixel-column summariser, the lane classes
 * (group header, parallelism profile, CPU, process, thread/coroutine, lock), the lane list and
 * its order/filters, markers and wake arrows.
 *
 * DESIGN: a lane is an item of a lane class (label, draw, hover) drawn over the one view context,
 * as in Tracy.  Drawing never visits every span: track_columns walks the pixel columns of the
 * timeline, finds the span under each column with a galloping search from the previous one, and
 * paints a whole run of columns at once when one span covers them.  A column holding several
 * spans gets the key that covers most of it (computed exactly for a few spans, by 8 samples when
 * there are many), so a frame costs O(width x log n) per lane at any zoom.  Wake arrows are
 * limited per pixel and in number, so that "all arrows" never turns into a hairball.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewer.h"

/* Up to this many CPUs every CPU gets a lane, idle or not; beyond, only busy ones. */
#define CPU_LANES_ALL_UP_TO 16

/* ==== palette ==============================================================================
 * Okabe-Ito colours (safe for the common colour-vision deficiencies, strong enough for a
 * projector); blocked reasons add a hatching pattern, so they differ without colour too. */

const rgba COL_BG = {250, 250, 248, 255}, COL_TEXT = {20, 20, 20, 255},
           COL_DIM = {110, 110, 110, 255}, COL_GRID = {226, 226, 222, 255},
           COL_LABEL_BG = {238, 238, 234, 255}, COL_HEADER_BG = {214, 219, 228, 255},
           COL_SELECT = {0, 0, 0, 255}, COL_WAKE = {25, 25, 25, 235},
           COL_BANNER = {255, 226, 140, 255}, COL_PANEL = {255, 255, 255, 245},
           COL_CURSOR = {204, 0, 0, 255};

static const rgba col_running = {0, 158, 115, 255}; /* bluish green */
static const rgba col_ready = {230, 159, 0, 255};   /* orange */
static const rgba col_unknown = {200, 200, 200, 255};

static const struct {
    rgba color;
    enum pattern pat;
} blocked_style[CVZ_R__COUNT] = {
    [CVZ_R_NONE] = {{119, 119, 119, 255}, PAT_NONE},
    [CVZ_R_LOCK] = {{213, 94, 0, 255}, PAT_DIAG},       /* vermillion, / */
    [CVZ_R_CONDVAR] = {{204, 121, 167, 255}, PAT_DOTS}, /* reddish purple, dots */
    [CVZ_R_SEM] = {{0, 114, 178, 255}, PAT_HORIZ},      /* blue, - */
    [CVZ_R_BARRIER] = {{153, 153, 51, 255}, PAT_GRID},  /* olive, + */
    [CVZ_R_JOIN] = {{240, 228, 66, 255}, PAT_VERT},     /* yellow, | */
    [CVZ_R_SLEEP] = {{187, 187, 187, 255}, PAT_NONE},   /* light grey */
    [CVZ_R_IO] = {{86, 180, 233, 255}, PAT_CROSS},      /* sky blue, x */
    [CVZ_R_CHILD] = {{136, 34, 85, 255}, PAT_BACKDIAG}, /* wine, \ */
    [CVZ_R_OTHER] = {{119, 119, 119, 255}, PAT_NONE},   /* grey */
};

rgba state_color(int state, int reason)
{
    switch (state) {
    case CVZ_ST_RUNNING:
        return col_running;
    case CVZ_ST_READY:
        return col_ready;
    case CVZ_ST_BLOCKED:
        return blocked_style[reason >= 0 && reason < CVZ_R__COUNT ? reason : CVZ_R_OTHER].color;
    default:
        return col_unknown;
    }
}

enum pattern state_pattern(int state, int reason)
{
    if (state != CVZ_ST_BLOCKED || reason < 0 || reason >= CVZ_R__COUNT) return PAT_NONE;
    return blocked_style[reason].pat;
}

static rgba hatch_color(rgba base)
{
    int lum = (base.r * 299 + base.g * 587 + base.b * 114) / 1000;
    return lum > 140 ? (rgba){0, 0, 0, 120} : (rgba){255, 255, 255, 150};
}

static rgba text_on(rgba base)
{
    int lum = (base.r * 299 + base.g * 587 + base.b * 114) / 1000;
    return lum > 140 ? (rgba){0, 0, 0, 255} : (rgba){255, 255, 255, 255};
}

static rgba thread_color_compute(int32_t thread);

/* Distinct hues by the golden angle, with lightness alternating, so that neighbours differ;
 * the first few thousand are kept in a table, as CPU lanes ask for them per pixel run. */
rgba thread_color(int32_t thread)
{
    enum { CACHED = 4096 };
    static rgba table[CACHED];
    static bool filled[CACHED];
    if (thread < 0) return col_unknown;
    if (thread >= CACHED) return thread_color_compute(thread);
    if (!filled[thread]) {
        table[thread] = thread_color_compute(thread);
        filled[thread] = true;
    }
    return table[thread];
}

static rgba thread_color_compute(int32_t thread)
{
    double h = fmod(thread * 137.508 + 200.0, 360.0) / 60.0;
    double s = 0.62, v = (thread % 3 == 0) ? 0.86 : (thread % 3 == 1) ? 0.70 : 0.94;
    double c = v * s, x = c * (1 - fabs(fmod(h, 2.0) - 1)), m = v - c;
    double r = 0, g = 0, b = 0;
    switch ((int)h) {
    case 0:
        r = c, g = x;
        break;
    case 1:
        r = x, g = c;
        break;
    case 2:
        g = c, b = x;
        break;
    case 3:
        g = x, b = c;
        break;
    case 4:
        r = x, b = c;
        break;
    default:
        r = c, b = x;
        break;
    }
    return (rgba){(uint8_t)((r + m) * 255), (uint8_t)((g + m) * 255), (uint8_t)((b + m) * 255),
                  255};
}

/* ==== the per-pixel summariser ============================================================= */

static inline cvz_ns track_t1(const struct track *tr, size_t i)
{
    if (tr->base) return ((const cvz_ns *)((const char *)tr->base + i * tr->stride))[1];
    cvz_ns t0, t1;
    uint32_t key;
    tr->get(tr->ctx, i, &t0, &t1, &key);
    return t1;
}

size_t track_lower(const struct track *tr, size_t from, cvz_ns t)
{
    size_t n = tr->n;
    if (from >= n) return n;
    if (track_t1(tr, from) > t) return from;
    /* gallop: the answer is usually close to the previous column's */
    size_t lo = from, step = 1, hi = from + 1;
    while (hi < n && track_t1(tr, hi) <= t) {
        lo = hi;
        step *= 2;
        hi = from + step;
    }
    if (hi > n) hi = n;
    /* t1(lo) <= t; the answer is in (lo, hi] */
    size_t a = lo + 1, b = hi;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (track_t1(tr, mid) > t)
            b = mid;
        else
            a = mid + 1;
    }
    return a;
}

#define COL_EXACT_SPANS 12
#define KEY_ACCENT      0x80000000u
#define COL_SAMPLES     6

struct run_state {
    track_paint_fn paint;
    void *ud;
    int x0, x1;
    uint32_t key;
};

static void run_emit(struct run_state *rs, int x0, int x1, uint32_t key)
{
    if (x1 <= x0) return;
    if (rs->x1 == x0 && rs->key == key) {
        rs->x1 = x1;
        return;
    }
    if (rs->x1 > rs->x0 && rs->key) rs->paint(rs->ud, rs->x0, rs->x1, rs->key);
    rs->x0 = x0;
    rs->x1 = x1;
    rs->key = key;
}

static uint32_t column_dominant(const struct track *tr, size_t i, cvz_ns ta, cvz_ns tb)
{
    uint32_t keys[COL_EXACT_SPANS + COL_SAMPLES];
    cvz_ns weight[COL_EXACT_SPANS + COL_SAMPLES];
    int nk = 0;
    /* how many spans meet the column decides between visiting them and sampling */
    size_t last = track_lower(tr, i, tb);
    bool many = last - i >= COL_EXACT_SPANS;
    for (size_t j = i; !many && j < tr->n && j <= last; j++) {
        cvz_ns s0, s1;
        uint32_t key;
        tr->get(tr->ctx, j, &s0, &s1, &key);
        if (s0 >= tb) break;
        cvz_ns a = s0 > ta ? s0 : ta, b = s1 < tb ? s1 : tb;
        if (b <= a) continue;
        int k = 0;
        while (k < nk && keys[k] != key)
            k++;
        if (k == nk) {
            keys[nk] = key;
            weight[nk++] = 0;
        }
        weight[k] += b - a;
    }
    if (many) { /* sample instead of visiting every span of a dense column */
        nk = 0;
        size_t at = i;
        for (int s = 0; s < COL_SAMPLES; s++) {
            cvz_ns ts = ta + (cvz_ns)((double)(tb - ta) * (2 * s + 1) / (2 * COL_SAMPLES));
            at = track_lower(tr, at, ts);
            if (at >= tr->n) break;
            cvz_ns s0, s1;
            uint32_t key;
            tr->get(tr->ctx, at, &s0, &s1, &key);
            if (s0 > ts) continue;
            int k = 0;
            while (k < nk && keys[k] != key)
                k++;
            if (k == nk) {
                keys[nk] = key;
                weight[nk++] = 0;
            }
            weight[k] += 1;
        }
    }
    uint32_t best = 0;
    cvz_ns best_w = -1;
    bool accent = false;
    for (int k = 0; k < nk; k++) {
        /* a gap (no information, an idle CPU) wins only when it covers most of the column */
        cvz_ns w = keys[k] ? weight[k] : weight[k] / 4;
        if (w > best_w) {
            best_w = w;
            best = keys[k];
        }
        accent |= keys[k] >= tr->accent_lo && keys[k] <= tr->accent_hi;
    }
    /* a short run inside a long wait is flagged, so the lane can still show that it ran */
    if (accent && !(best >= tr->accent_lo && best <= tr->accent_hi)) best |= KEY_ACCENT;
    return best;
}

/* ---- multi-resolution summary ----
 * Zoomed out on a big trace, a column holds hundreds of spans and even sampling them costs cache
 * misses.  A track with many items gets, once, the dominant key of each of SUMMARY_BUCKETS equal
 * time buckets (one sequential pass); columns wider than a few buckets are then summarised from
 * the buckets, which are few, small and contiguous in memory. */

#define SUMMARY_BUCKETS   65536
#define SUMMARY_MIN_ITEMS 20000

struct small_tally {
    uint32_t keys[16];
    double weight[16];
    int n;
};

static void tally_add(struct small_tally *t, uint32_t key, double w)
{
    int k = 0;
    while (k < t->n && t->keys[k] != key)
        k++;
    if (k == t->n) {
        if (t->n == 16) return; /* a 17th key in one bucket: too small to matter */
        t->keys[t->n] = key;
        t->weight[t->n++] = 0;
    }
    t->weight[k] += w;
}

static uint32_t tally_dominant(const struct small_tally *t, double gap, uint32_t lo, uint32_t hi)
{
    uint32_t best = 0;
    double best_w = gap / 4; /* a gap wins only when it covers most of it */
    bool accent = false;
    for (int k = 0; k < t->n; k++) {
        uint32_t key = t->keys[k] & ~KEY_ACCENT;
        double w = key ? t->weight[k] : t->weight[k] / 4;
        if (w > best_w) {
            best_w = w;
            best = key;
        }
        accent |= (key >= lo && key <= hi) || (t->keys[k] & KEY_ACCENT);
    }
    if (accent && !(best >= lo && best <= hi) && best) best |= KEY_ACCENT;
    return best;
}

bool track_summary_build(const struct track *tr, struct track_summary *s)
{
    memset(s, 0, sizeof(*s));
    if (tr->n < SUMMARY_MIN_ITEMS) return false;
    cvz_ns first, last, a, b;
    uint32_t key;
    tr->get(tr->ctx, 0, &first, &a, &key);
    tr->get(tr->ctx, tr->n - 1, &a, &last, &key);
    if (last <= first) return false;
    s->keys = calloc(SUMMARY_BUCKETS, sizeof(uint32_t));
    if (!s->keys) return false;
    s->nb = SUMMARY_BUCKETS;
    s->t0 = first;
    s->bucket_ns = (double)(last - first) / SUMMARY_BUCKETS;
    if (s->bucket_ns < 1) s->bucket_ns = 1;
    struct small_tally t = {.n = 0};
    int cb = 0;
    double covered = 0;
    for (size_t j = 0; j < tr->n; j++) {
        tr->get(tr->ctx, j, &a, &b, &key);
        while (a < b) {
            int bi = (int)((a - first) / s->bucket_ns);
            if (bi < 0) bi = 0;
            if (bi >= s->nb) bi = s->nb - 1;
            if (bi != cb) { /* the bucket is complete */
                s->keys[cb] =
                    tally_dominant(&t, s->bucket_ns - covered, tr->accent_lo, tr->accent_hi);
                t.n = 0;
                covered = 0;
                cb = bi;
            }
            cvz_ns be = bi == s->nb - 1 ? b : first + (cvz_ns)((bi + 1) * s->bucket_ns);
            if (be <= a) be = a + 1;
            cvz_ns e = b < be ? b : be;
            tally_add(&t, key, (double)(e - a));
            covered += (double)(e - a);
            a = e;
        }
    }
    s->keys[cb] = tally_dominant(&t, s->bucket_ns - covered, tr->accent_lo, tr->accent_hi);
    return true;
}

void track_summary_free(struct track_summary *s)
{
    free(s->keys);
    memset(s, 0, sizeof(*s));
}

static void summary_columns(const struct track *tr, const struct view *v, track_paint_fn paint,
                            void *ud)
{
    const struct track_summary *s = tr->summ;
    struct run_state rs = {paint, ud, 0, 0, 0};
    const double nspp = view_ns_per_px(v);
    for (int x = v->x0; x < v->x1; x++) {
        double ba = ((double)v->t0 + (x - v->x0) * nspp - s->t0) / s->bucket_ns;
        double bb = ba + nspp / s->bucket_ns;
        long ia = (long)floor(ba), ib = (long)ceil(bb);
        if (ib <= 0 || ia >= s->nb) {
            run_emit(&rs, x, x + 1, 0);
            continue;
        }
        if (ia < 0) ia = 0;
        if (ib > s->nb) ib = s->nb;
        struct small_tally t = {.n = 0};
        for (long k = ia; k < ib;) { /* runs of equal buckets are common: add each run once */
            long e = k + 1;
            while (e < ib && s->keys[e] == s->keys[k])
                e++;
            tally_add(&t, s->keys[k], (double)(e - k));
            k = e;
        }
        /* buckets outside the track are gaps */
        double gap = (ba < 0 ? -ba : 0) + (bb > s->nb ? bb - s->nb : 0);
        run_emit(&rs, x, x + 1, tally_dominant(&t, gap, tr->accent_lo, tr->accent_hi));
    }
    if (rs.x1 > rs.x0 && rs.key) paint(ud, rs.x0, rs.x1, rs.key);
}

void track_columns(const struct track *tr, const struct view *v, track_paint_fn paint, void *ud)
{
    if (tr->summ && tr->summ->keys && view_ns_per_px(v) >= 4 * tr->summ->bucket_ns) {
        summary_columns(tr, v, paint, ud);
        return;
    }
    if (!tr->n || v->x1 <= v->x0) return;
    struct run_state rs = {paint, ud, 0, 0, 0};
    size_t i = 0;
    int x = v->x0;
    const double nspp = view_ns_per_px(v), t0 = (double)v->t0;
#define COL_T(px) ((cvz_ns)(t0 + ((px)-v->x0) * nspp))
#define COL_X(t)  (v->x0 + ((double)(t)-t0) / nspp)
    while (x < v->x1) {
        cvz_ns ta = COL_T(x), tb = COL_T(x + 1);
        if (tb <= ta) tb = ta + 1;
        i = track_lower(tr, i, ta);
        if (i >= tr->n) break;
        cvz_ns s0, s1;
        uint32_t key;
        tr->get(tr->ctx, i, &s0, &s1, &key);
        if (s0 >= tb) { /* a gap: jump to the column where the next span starts */
            double nx = floor(COL_X(s0));
            x = nx > x ? (nx < v->x1 ? (int)nx : v->x1) : x + 1;
            continue;
        }
        if (s0 <= ta && s1 >= tb) { /* one span covers this column and maybe many more */
            double ex = floor(COL_X(s1));
            int xe = ex > x + 1 ? (ex < v->x1 ? (int)ex : v->x1) : x + 1;
            run_emit(&rs, x, xe, key);
            x = xe;
            continue;
        }
        run_emit(&rs, x, x + 1, column_dominant(tr, i, ta, tb));
        x++;
    }
    if (rs.x1 > rs.x0 && rs.key) paint(ud, rs.x0, rs.x1, rs.key); /* the last run */
#undef COL_T
#undef COL_X
}

/* ==== tracks over the model's arrays ======================================================= */

static uint32_t span_key(const struct cvz_span *s)
{
    if (s->state >= CVZ_ST__COUNT) return 0;
    return 1u + (uint32_t)s->state * 16u + (s->reason < CVZ_R__COUNT ? s->reason : CVZ_R_OTHER);
}

static void thread_get(const void *ctx, size_t i, cvz_ns *t0, cvz_ns *t1, uint32_t *key)
{
    const struct cvz_span *s = &((const struct cvz_thread *)ctx)->spans[i];
    *t0 = s->t0;
    *t1 = s->t1;
    *key = span_key(s);
}

static void cpu_get(const void *ctx, size_t i, cvz_ns *t0, cvz_ns *t1, uint32_t *key)
{
    const struct cvz_cpu_run *r = &((const struct cvz_cpu *)ctx)->runs[i];
    *t0 = r->t0;
    *t1 = r->t1;
    *key = r->thread >= 0 ? (uint32_t)r->thread + 1u : 0;
}

static struct track thread_track(const struct cvz_thread *th)
{
    /* accent: RUNNING keys (1 + state * 16 + reason) */
    return (struct track){th->spans ? th->nspans : 0,
                          th,
                          thread_get,
                          th->spans,
                          sizeof(struct cvz_span),
                          1u + CVZ_ST_RUNNING * 16u,
                          1u + CVZ_ST_RUNNING * 16u + 15u,
                          NULL};
}

/* The same, with the thread's summary for zoomed-out views (built on first use). */
static struct track thread_track_app(struct app *app, int32_t ti)
{
    struct track trk = thread_track(&app->trace->threads[ti]);
    struct track_summary *s = &app->thread_summ[ti];
    if (!s->tried) {
        track_summary_build(&trk, s);
        s->tried = true;
    }
    trk.summ = s->keys ? s : NULL;
    return trk;
}

static struct track cpu_track(const struct cvz_cpu *cpu)
{
    return (struct track){cpu->runs ? cpu->nruns : 0, cpu, cpu_get, cpu->runs,
                          sizeof(struct cvz_cpu_run), 1,   0,       NULL};
}

/* ==== lane classes ========================================================================= */

#define HATCH_MAX 512
struct hatch_run {
    int x0, x1;
    uint8_t pat;
    rgba c;
};

struct paint_ctx {
    struct app *app;
    int y, h;
    struct hatch_run *hatch; /* thread lanes: runs to hatch once the colours are down */
    int nhatch;
};

static int lane_pad(const struct lane *lane)
{
    return lane->h >= 16 ? 2 : 1;
}

/* ---- group header ---- */

static void header_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    const struct cvz_trace *tr = app->trace;
    if (lane->index == GROUP_CPUS) {
        int idle = 0;
        for (int c = 0; c < tr->ncpu && tr->cpus; c++)
            idle += tr->cpus[c].nruns == 0;
        if (tr->ncpu > CPU_LANES_ALL_UP_TO && idle)
            snprintf(buf, len, "CPUs (%d, %d idle not shown)", tr->ncpu, idle);
        else
            snprintf(buf, len, "CPUs (%d)", tr->ncpu);
    } else {
        size_t contended = 0, used = 0;
        for (size_t i = 0; i < tr->nobjects; i++) {
            contended += object_shown_contended(app, (int32_t)i);
            used += tr->objects[i].nholds > 0 || object_shown_contended(app, (int32_t)i);
        }
        if (!contended && !app->all_locks)
            snprintf(buf, len, "Locks: none contended (l: all %zu)", used);
        else
            snprintf(buf, len, "Locks (%zu of %zu contended)", contended, used);
    }
}

static void header_draw(struct app *app, const struct lane *lane, int y)
{
    ren_rect(app->view.x0, y, app->view.x1 - app->view.x0, lane->h, COL_HEADER_BG);
}

static bool header_hover(const struct app *app, const struct lane *lane, cvz_ns t, int x, char *buf,
                         size_t len)
{
    return false;
}

/* ---- parallelism profile ---- */

static struct {
    cvz_ns t0, t1;
    int x0, x1;
    const struct cvz_trace *trace;
    float *running, *ready;
    int n;
    /* the column keys of each thread's lane for this view: thread lanes paint from them
     * instead of summarising their spans a second time */
    uint32_t *keys;
    size_t keys_threads;
    int keys_w;
} prof;

#define PROF_MAX_THREADS 2048

struct profile_row {
    const struct view *v;
    uint32_t *keys;
};

static void profile_paint(void *ud, int x0, int x1, uint32_t key)
{
    const struct profile_row *pr = ud;
    int x_base = pr->v->x0;
    if (pr->keys)
        for (int x = x0; x < x1; x++)
            pr->keys[x - x_base] = key;
    key &= ~KEY_ACCENT;
    int state = (int)((key - 1) / 16);
    float *row = state == CVZ_ST_RUNNING ? prof.running : state == CVZ_ST_READY ? prof.ready : NULL;
    if (!row) return;
    for (int x = x0; x < x1; x++)
        row[x - x_base] += 1.0f;
}

static bool prof_valid(const struct app *app)
{
    const struct view *v = &app->view;
    return prof.trace == app->trace && prof.t0 == v->t0 && prof.t1 == v->t1 && prof.x0 == v->x0 &&
           prof.x1 == v->x1;
}

/* The cached column keys of a thread's lane, or NULL. */
static const uint32_t *prof_keys(const struct app *app, int32_t thread)
{
    if (!prof.keys || !prof_valid(app) || thread < 0 || (size_t)thread >= prof.keys_threads ||
        prof.keys_w != app->view.x1 - app->view.x0)
        return NULL;
    return prof.keys + (size_t)thread * (size_t)prof.keys_w;
}

/* Running and ready threads per column, from the same per-column summary as the thread lanes
 * (so the graph agrees with the lanes under it), cached until the view moves. */
static void profile_compute(struct app *app)
{
    const struct view *v = &app->view;
    const struct cvz_trace *tr = app->trace;
    int w = v->x1 - v->x0;
    if (w <= 0) return;
    if (prof_valid(app)) return;
    prof.trace = NULL;
    if (prof.n < w) {
        float *a = realloc(prof.running, sizeof(float) * (size_t)w);
        if (a) prof.running = a;
        float *b = realloc(prof.ready, sizeof(float) * (size_t)w);
        if (b) prof.ready = b;
        if (!a || !b) return;
        prof.n = w;
    }
    memset(prof.running, 0, sizeof(float) * (size_t)w);
    memset(prof.ready, 0, sizeof(float) * (size_t)w);
    /* each thread's lane summary (the state shown in each of its pixel columns), added up */
    size_t nthreads = tr->nthreads < PROF_MAX_THREADS ? tr->nthreads : PROF_MAX_THREADS;
    size_t need = nthreads * (size_t)w;
    if (need > prof.keys_threads * (size_t)prof.keys_w || !prof.keys) {
        free(prof.keys);
        prof.keys = malloc((need ? need : 1) * sizeof(uint32_t));
    }
    prof.keys_threads = prof.keys ? nthreads : 0;
    prof.keys_w = w;
    if (prof.keys) memset(prof.keys, 0, need * sizeof(uint32_t));
    for (size_t ti = 0; ti < nthreads; ti++) {
        const struct cvz_thread *th = &tr->threads[ti];
        if (!th->nspans) continue;
        struct profile_row pr = {v, prof.keys ? prof.keys + ti * (size_t)w : NULL};
        struct track trk = thread_track_app(app, (int32_t)ti);
        if (th->coro_of >= 0) { /* a coroutine is not a thread: keys only */
            float *r = prof.running, *q = prof.ready;
            prof.running = prof.ready = NULL;
            track_columns(&trk, v, profile_paint, &pr);
            prof.running = r;
            prof.ready = q;
            continue;
        }
        track_columns(&trk, v, profile_paint, &pr);
    }
    prof.trace = tr;
    prof.t0 = v->t0;
    prof.t1 = v->t1;
    prof.x0 = v->x0;
    prof.x1 = v->x1;
}

static void profile_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    snprintf(buf, len, "Running threads");
}

static void profile_draw(struct app *app, const struct lane *lane, int y)
{
    const struct view *v = &app->view;
    profile_compute(app);
    if (!prof.running || prof.n < v->x1 - v->x0) return;
    int w = v->x1 - v->x0;
    float top = app->trace->ncpu > 0 ? (float)app->trace->ncpu : 1.0f;
    for (int i = 0; i < w; i++)
        if (prof.running[i] + prof.ready[i] > top) top = prof.running[i] + prof.ready[i];
    int h = lane->h - 4, base = y + lane->h - 2;
    /* columns with equal heights are painted as one rectangle */
    int run_start = 0;
    for (int i = 1; i <= w; i++) {
        if (i < w && prof.running[i] == prof.running[run_start] &&
            prof.ready[i] == prof.ready[run_start])
            continue;
        int hr = (int)lroundf(prof.running[run_start] / top * h);
        int hq = (int)lroundf((prof.running[run_start] + prof.ready[run_start]) / top * h) - hr;
        ren_batch_rect(v->x0 + run_start, base - hr, i - run_start, hr, col_running);
        ren_batch_rect(v->x0 + run_start, base - hr - hq, i - run_start, hq, col_ready);
        run_start = i;
    }
    ren_batch_flush();
    /* the CPU count: above this line, threads wait for a CPU */
    if (app->trace->ncpu > 0) {
        int yl = base - (int)lroundf(app->trace->ncpu / top * h);
        for (int x = v->x0; x < v->x1; x += 8)
            ren_line(x, yl, x + 4, yl, COL_TEXT);
        char lbl[32];
        snprintf(lbl, sizeof(lbl), "%d CPUs", app->trace->ncpu);
        ren_text(FONT_SMALL, v->x1 - ren_text_width(FONT_SMALL, lbl) - 4,
                 yl - ren_font_height(FONT_SMALL), lbl, COL_TEXT);
    }
}

static bool profile_hover(const struct app *app, const struct lane *lane, cvz_ns t, int x,
                          char *buf, size_t len)
{
    const struct view *v = &app->view;
    int i = x - v->x0;
    if (!prof.running || i < 0 || i >= prof.n || i >= v->x1 - v->x0) return false;
    char tb[32];
    fmt_time(app, t, tb, sizeof(tb));
    snprintf(buf, len,
             "Parallelism at %s\nrunning threads: %.2f (green)\nready, waiting for a CPU: %.2f "
             "(orange)\nCPUs: %d",
             tb, prof.running[i], prof.ready[i], app->trace->ncpu);
    return true;
}

/* ---- CPU lanes ---- */

static void cpu_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    snprintf(buf, len, "CPU %d", lane->index);
}

static void cpu_paint(void *ud, int x0, int x1, uint32_t key)
{
    struct paint_ctx *pc = ud;
    key &= ~KEY_ACCENT;
    ren_batch_rect(x0, pc->y, x1 - x0, pc->h, thread_color((int32_t)key - 1));
}

/* Names of the threads inside runs wide enough to hold them. */
static void label_runs(struct app *app, const struct track *trk, int y, int h, bool cpu_lane,
                       const struct cvz_thread *th)
{
    const struct view *v = &app->view;
    size_t a = track_lower(trk, 0, v->t0), b = track_lower(trk, a, v->t1);
    if (b - a > 4000) return; /* too dense for labels at this zoom anyway */
    int fh = ren_font_height(FONT_SMALL);
    if (h < fh) return;
    int min_w = ren_px(28);
    for (size_t i = a; i < b && i < trk->n; i++) {
        cvz_ns s0, s1;
        uint32_t key;
        trk->get(trk->ctx, i, &s0, &s1, &key);
        if (!key) continue;
        double xa = view_t_to_x(v, s0), xb = view_t_to_x(v, s1);
        if (xa < v->x0) xa = v->x0;
        if (xb > v->x1) xb = v->x1;
        if (xb - xa < min_w) continue;
        char text[160];
        rgba bg;
        if (cpu_lane) {
            const struct cvz_thread *rt = &app->trace->threads[key - 1];
            snprintf(text, sizeof(text), "%s %d", rt->name ? rt->name : "?", rt->tid);
            bg = thread_color((int32_t)key - 1);
        } else {
            const struct cvz_span *sp = &th->spans[i];
            bg = state_color(sp->state, sp->reason);
            if (sp->state == CVZ_ST_RUNNING)
                snprintf(text, sizeof(text), sp->cpu >= 0 ? "cpu %d" : "running", sp->cpu);
            else if (sp->state == CVZ_ST_BLOCKED) {
                const char *rn = sp->reason < CVZ_R__COUNT ? cvz_reason_names[sp->reason] : "?";
                if (sp->obj >= 0 && (size_t)sp->obj < app->trace->nobjects &&
                    app->trace->objects[sp->obj].name)
                    snprintf(text, sizeof(text), "%s %s", rn, app->trace->objects[sp->obj].name);
                else
                    snprintf(text, sizeof(text), "%s", rn);
            } else if (sp->state == CVZ_ST_READY)
                snprintf(text, sizeof(text), "ready");
            else
                continue;
        }
        int pad = ren_px(3);
        ren_text_fit(FONT_SMALL, (int)xa + pad, y + (h - fh) / 2, (int)(xb - xa) - 2 * pad, text,
                     text_on(bg));
    }
}

static void cpu_draw(struct app *app, const struct lane *lane, int y)
{
    const struct cvz_trace *tr = app->trace;
    if (lane->index < 0 || lane->index >= tr->ncpu || !tr->cpus) return;
    struct track trk = cpu_track(&tr->cpus[lane->index]);
    struct track_summary *s = &app->cpu_summ[lane->index];
    if (!s->tried) {
        track_summary_build(&trk, s);
        s->tried = true;
    }
    trk.summ = s->keys ? s : NULL;
    int pad = lane_pad(lane);
    struct paint_ctx pc = {app, y + pad, lane->h - 2 * pad, NULL, 0};
    track_columns(&trk, &app->view, cpu_paint, &pc);
    ren_batch_flush();
    label_runs(app, &trk, y + pad, lane->h - 2 * pad, true, NULL);
}

static bool cpu_hover(const struct app *app, const struct lane *lane, cvz_ns t, int x, char *buf,
                      size_t len)
{
    const struct cvz_trace *tr = app->trace;
    if (lane->index < 0 || lane->index >= tr->ncpu || !tr->cpus) return false;
    const struct cvz_cpu *cpu = &tr->cpus[lane->index];
    struct track trk = cpu_track(cpu);
    size_t i = track_lower(&trk, 0, t);
    char tb[32];
    fmt_time(app, t, tb, sizeof(tb));
    if (i >= cpu->nruns || cpu->runs[i].t0 > t) {
        snprintf(buf, len, "CPU %d at %s: idle (no traced thread)", lane->index, tb);
        return true;
    }
    const struct cvz_cpu_run *r = &cpu->runs[i];
    const struct cvz_thread *th =
        r->thread >= 0 && (size_t)r->thread < tr->nthreads ? &tr->threads[r->thread] : NULL;
    char a[32], b[32], d[32];
    fmt_time(app, r->t0, a, sizeof(a));
    fmt_time(app, r->t1, b, sizeof(b));
    fmt_dur(r->t1 - r->t0, d, sizeof(d));
    snprintf(buf, len, "CPU %d runs %s (tid %d, pid %d)\nfrom %s to %s (%s)", lane->index,
             th && th->name ? th->name : "?", th ? th->tid : -1, th ? th->pid : -1, a, b, d);
    return true;
}

/* ---- process header ---- */

static void proc_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    const struct cvz_process *p = &app->trace->procs[lane->index];
    /* the program's base name and its arguments: "/usr/bin/python3 x.py" -> "python3 x.py" */
    const char *cmd = p->cmdline ? p->cmdline : "";
    const char *sp = strchr(cmd, ' ');
    const char *base = cmd;
    for (const char *c = cmd; *c && (!sp || c < sp); c++)
        if (*c == '/') base = c + 1;
    snprintf(buf, len, "%s pid %d  %s",
             app->proc_collapsed[lane->index] ? "\xE2\x96\xB8" : "\xE2\x96\xBE", p->pid, base);
}

static void proc_draw(struct app *app, const struct lane *lane, int y)
{
    const struct view *v = &app->view;
    const struct cvz_process *p = &app->trace->procs[lane->index];
    ren_rect(v->x0, y, v->x1 - v->x0, lane->h, COL_LABEL_BG);
    double xa = view_t_to_x(v, p->t_start), xb = view_t_to_x(v, p->t_end);
    if (xa < v->x0) xa = v->x0;
    if (xb > v->x1) xb = v->x1;
    if (xb > xa)
        ren_rect((int)xa, y + lane->h / 2 - ren_px(2), (int)(xb - xa) + 1, ren_px(4),
                 (rgba){150, 150, 160, 255});
}

static bool proc_hover(const struct app *app, const struct lane *lane, cvz_ns t, int x, char *buf,
                       size_t len)
{
    const struct cvz_process *p = &app->trace->procs[lane->index];
    char a[32], b[32], status[64];
    fmt_time(app, p->t_start, a, sizeof(a));
    fmt_time(app, p->t_end, b, sizeof(b));
    if (p->exit_signal)
        snprintf(status, sizeof(status), "killed by signal %d", p->exit_signal);
    else if (p->exit_status >= 0)
        snprintf(status, sizeof(status), "exit status %d", p->exit_status);
    else
        snprintf(status, sizeof(status), "exit status unknown");
    snprintf(buf, len,
             "process %d (parent %d)\n%s\nfrom %s to %s, %s\n%zu threads (click: collapse)", p->pid,
             p->ppid, p->cmdline ? p->cmdline : "", a, b, status, p->nthreads);
    return true;
}

/* ---- thread and coroutine lanes ---- */

static void thread_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    const struct cvz_thread *th = &app->trace->threads[lane->index];
    if (th->coro_of >= 0)
        snprintf(buf, len, "%s (coroutine)", th->name ? th->name : "?");
    else if (th->name && strncmp(th->name, "tid ", 4) == 0) /* the model's default name */
        snprintf(buf, len, "%s", th->name);
    else
        snprintf(buf, len, "%s %d", th->name ? th->name : "?", th->tid);
}

static void thread_paint(void *ud, int x0, int x1, uint32_t key)
{
    struct paint_ctx *pc = ud;
    bool ran = key & KEY_ACCENT;
    key &= ~KEY_ACCENT;
    int state = (int)((key - 1) / 16), reason = (int)((key - 1) % 16);
    rgba c = state_color(state, reason);
    if (state == CVZ_ST_UNKNOWN) /* alive, state unknown (no scheduler record): a thin line */
        ren_batch_rect(x0, pc->y + pc->h / 2 - 1, x1 - x0, 3, c);
    else
        ren_batch_rect(x0, pc->y, x1 - x0, pc->h, c);
    /* it also ran in these columns, too briefly to win them: a green stripe on top */
    if (ran) ren_batch_rect(x0, pc->y, x1 - x0, pc->h / 3 > 2 ? pc->h / 3 : 2, col_running);
    /* patterns need a few pixels to be seen; they are drawn after the colours */
    enum pattern pat = state_pattern(state, reason);
    if (pat != PAT_NONE && x1 - x0 >= 4 && pc->nhatch < HATCH_MAX)
        pc->hatch[pc->nhatch++] = (struct hatch_run){x0, x1, (uint8_t)pat, c};
}

static void thread_draw(struct app *app, const struct lane *lane, int y)
{
    const struct cvz_thread *th = &app->trace->threads[lane->index];
    struct track trk = thread_track_app(app, lane->index);
    int pad = lane_pad(lane);
    static struct hatch_run hatch[HATCH_MAX];
    struct paint_ctx pc = {app, y + pad, lane->hs - 2 * pad, hatch, 0};
    const uint32_t *keys = prof_keys(app, lane->index);
    if (keys) { /* the parallelism profile summarised this lane already */
        int w = app->view.x1 - app->view.x0, x0 = app->view.x0;
        for (int a = 0; a < w;) {
            int b = a + 1;
            while (b < w && keys[b] == keys[a])
                b++;
            if (keys[a]) thread_paint(&pc, x0 + a, x0 + b, keys[a]);
            a = b;
        }
    } else {
        track_columns(&trk, &app->view, thread_paint, &pc);
    }
    ren_batch_flush();
    for (int i = 0; i < pc.nhatch; i++)
        ren_hatch(hatch[i].x0, pc.y, hatch[i].x1 - hatch[i].x0, pc.h, (enum pattern)hatch[i].pat,
                  hatch_color(hatch[i].c));
    label_runs(app, &trk, y + pad, lane->hs - 2 * pad, false, th);
    /* the selected span */
    if (app->sel_kind == SEL_SPAN && app->sel_thread == lane->index && app->sel_span >= 0 &&
        (size_t)app->sel_span < th->nspans) {
        const struct cvz_span *sp = &th->spans[app->sel_span];
        double xa = view_t_to_x(&app->view, sp->t0), xb = view_t_to_x(&app->view, sp->t1);
        if (xb >= app->view.x0 && xa <= app->view.x1) {
            if (xa < app->view.x0 - 2) xa = app->view.x0 - 2;
            if (xb > app->view.x1 + 2) xb = app->view.x1 + 2;
            int w = (int)(xb - xa);
            ren_rect_outline((int)xa - 1, y, w + 2 < 3 ? 3 : w + 2, lane->hs, COL_SELECT);
            ren_rect_outline((int)xa - 2, y - 1, w + 4 < 5 ? 5 : w + 4, lane->hs + 2, COL_SELECT);
        }
    }
}

/* The wake edge into thread `ti` whose arrival lies in [a, b], or NULL. */
static const struct cvz_wake *wake_into(const struct cvz_trace *tr, int32_t ti, cvz_ns a, cvz_ns b)
{
    size_t lo = 0, hi = tr->nwakes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->wakes[mid].t_to < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, n = 0; i < tr->nwakes && tr->wakes[i].t_to <= b && n < 4096; i++, n++)
        if (tr->wakes[i].to_thread == ti) return &tr->wakes[i];
    return NULL;
}

static const char *thread_name(const struct cvz_trace *tr, int32_t ti, char *buf, size_t len)
{
    if (ti < 0 || (size_t)ti >= tr->nthreads) return "?";
    snprintf(buf, len, "%s (tid %d)", tr->threads[ti].name ? tr->threads[ti].name : "?",
             tr->threads[ti].tid);
    return buf;
}

int32_t object_holder_at(const struct cvz_trace *tr, int32_t obj, cvz_ns t, int *nwaiters,
                         int *nholders)
{
    if (nwaiters) *nwaiters = 0;
    if (nholders) *nholders = 0;
    if (obj < 0 || (size_t)obj >= tr->nobjects) return -1;
    const struct cvz_object *o = &tr->objects[obj];
    size_t lo = 0, hi = o->nholds;
    while (lo < hi) { /* first hold requested after t */
        size_t mid = lo + (hi - lo) / 2;
        if (o->holds[mid].t_req <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    int32_t holder = -1;
    for (size_t k = lo, n = 0; k-- > 0 && n < 20000; n++) {
        const struct cvz_hold *h = &o->holds[k];
        cvz_ns rel =
            h->t_rel >= 0 ? h->t_rel : (h->result == CVZ_ACQ_OK ? tr->t_max + 1 : h->t_acq);
        if (h->result == CVZ_ACQ_OK && h->t_acq <= t && t < rel) {
            if (holder < 0) holder = h->thread;
            if (nholders) (*nholders)++;
        }
        if (h->t_req <= t && t < h->t_acq && nwaiters) (*nwaiters)++;
    }
    return holder;
}

static bool thread_hover(const struct app *app, const struct lane *lane, cvz_ns t, int x, char *buf,
                         size_t len)
{
    const struct cvz_trace *tr = app->trace;
    const struct cvz_thread *th = &tr->threads[lane->index];
    ptrdiff_t si = cvz_span_at(th, t);
    /* at a coarse zoom, the pixel shows the column's dominant span: find one within the pixel */
    if (si < 0 || (size_t)si >= th->nspans) {
        snprintf(buf, len, "%s %d (pid %d): no event here", th->name ? th->name : "?", th->tid,
                 th->pid);
        return true;
    }
    const struct cvz_span *sp = &th->spans[si];
    char a[32], b[32], d[32], n1[96], n2[96];
    fmt_time(app, sp->t0, a, sizeof(a));
    fmt_time(app, sp->t1, b, sizeof(b));
    fmt_dur(sp->t1 - sp->t0, d, sizeof(d));
    size_t off = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (off < len) {                                                                           \
            int w_ = snprintf(buf + off, len - off, __VA_ARGS__);                                  \
            if (w_ > 0) off += (size_t)w_;                                                         \
        }                                                                                          \
    } while (0)
    ADD("%s %d (pid %d)\n", th->name ? th->name : "?", th->tid, th->pid);
    const char *st = sp->state < CVZ_ST__COUNT ? cvz_state_names[sp->state] : "?";
    if (sp->state == CVZ_ST_RUNNING) {
        if (sp->cpu >= 0)
            ADD("RUNNING on CPU %d\n", sp->cpu);
        else
            ADD("RUNNING (CPU unknown: no scheduler records in this trace)\n");
    } else if (sp->state == CVZ_ST_READY) {
        ADD("READY: runnable, waiting for a CPU\n");
    } else if (sp->state == CVZ_ST_BLOCKED) {
        const char *rn = sp->reason < CVZ_R__COUNT ? cvz_reason_names[sp->reason] : "?";
        ADD("BLOCKED: %s", rn);
        if (sp->obj >= 0 && (size_t)sp->obj < tr->nobjects) {
            const struct cvz_object *o = &tr->objects[sp->obj];
            ADD(" on %s \"%s\"", o->kind < CVZ_OBJ__COUNT ? cvz_obj_kind_names[o->kind] : "object",
                o->name ? o->name : "?");
            int nw = 0, nh = 0;
            int32_t holder = object_holder_at(tr, sp->obj, t, &nw, &nh);
            if (holder >= 0 && holder != lane->index)
                ADD("\nheld by %s", thread_name(tr, holder, n1, sizeof(n1)));
            if (holder >= 0 && nh > 1) ADD(" and %d more", nh - 1);
            if (nw > 0) ADD("; %d waiting in all", nw);
        }
        if (sp->reason == CVZ_R_JOIN && sp->target >= 0)
            ADD(" joining %s", thread_name(tr, sp->target, n1, sizeof(n1)));
        else if (sp->reason == CVZ_R_CHILD && sp->target >= 0 && (size_t)sp->target < tr->nprocs)
            ADD(" waiting for child pid %d", tr->procs[sp->target].pid);
        else if (sp->reason == CVZ_R_IO && sp->target >= 0)
            ADD(" on fd %d", sp->target);
        ADD("\n");
    } else {
        ADD("%s (no information)\n", st);
    }
    ADD("from %s to %s (%s)", a, b, d);
    /* the wake arrives at the end of BLOCKED or during the READY span that follows it */
    cvz_ns wake_end = sp->t1 + 1;
    if (sp->state == CVZ_ST_BLOCKED && (size_t)si + 1 < th->nspans &&
        th->spans[si + 1].state == CVZ_ST_READY)
        wake_end = th->spans[si + 1].t1 + 1;
    const struct cvz_wake *w = wake_into(tr, lane->index, sp->t0 - 1, wake_end);
    if (w && w->kind < CVZ_WAKE__COUNT) {
        char wt[32];
        fmt_time(app, w->t_from, wt, sizeof(wt));
        ADD("\nwoken by %s (%s) at %s", thread_name(tr, w->from_thread, n2, sizeof(n2)),
            cvz_wake_names[w->kind], wt);
    }
    /* a marker under the pointer */
    double best = ren_px(5);
    const struct cvz_mark *bm = NULL;
    cvz_ns slack = (cvz_ns)(best * view_ns_per_px(&app->view));
    size_t lo = 0, hi = tr->nmarks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->marks[mid].t0 < t - slack)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < tr->nmarks && tr->marks[i].t0 <= t + slack && i < lo + 4096; i++) {
        const struct cvz_mark *m = &tr->marks[i];
        if (m->thread != lane->index) continue;
        double dx = fabs(view_t_to_x(&app->view, m->t0) - x);
        if (dx <= best) {
            best = dx;
            bm = m;
        }
    }
    if (bm) {
        static const char *const mk[CVZ_MARK__COUNT] = {
            "thread created", "thread exit", "fork", "exec", "process exit", "mark", "region"};
        char mt[32];
        fmt_time(app, bm->t0, mt, sizeof(mt));
        ADD("\nmarker: %s%s%s at %s", bm->kind < CVZ_MARK__COUNT ? mk[bm->kind] : "?",
            bm->text ? " " : "", bm->text ? bm->text : "", mt);
    }
#undef ADD
    (void)x;
    return true;
}

/* ---- lock lanes ---- */

static void lock_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    const struct cvz_object *o = &app->trace->objects[lane->index];
    const char *kind = o->kind < CVZ_OBJ__COUNT ? cvz_obj_kind_names[o->kind] : "object";
    /* an unnamed object ("sem@?") is told apart by the end of its address */
    if (!o->name || strchr(o->name, '?'))
        snprintf(buf, len, "%s %s \xC2\xB7%04llx", kind, o->name ? o->name : "?",
                 (unsigned long long)(o->addr & 0xffff));
    else
        snprintf(buf, len, "%s %s", kind, o->name);
}

/* First hold at or after `from` requested at or after t, galloping from `from`. */
static size_t holds_gallop(const struct cvz_object *o, size_t from, cvz_ns t)
{
    size_t n = o->nholds;
    if (from >= n || o->holds[from].t_req >= t) return from;
    size_t lo = from, step = 1, hi = from + 1;
    while (hi < n && o->holds[hi].t_req < t) {
        lo = hi;
        step *= 2;
        hi = from + step;
    }
    if (hi > n) hi = n;
    size_t a = lo + 1, b = hi;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (o->holds[mid].t_req >= t)
            b = mid;
        else
            a = mid + 1;
    }
    return a;
}

static size_t holds_lower(const struct cvz_object *o, cvz_ns t)
{
    size_t lo = 0, hi = o->nholds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->holds[mid].t_req < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define LOCK_SUBROWS 4
#define REGION_ROW   14 /* logical pixels per region row under a thread's state bar */

/* The first row free at `start` (the last one when all are taken), which then ends at `end`. */
static int subrow(cvz_ns *ends, cvz_ns start, cvz_ns end)
{
    int r = 0;
    while (r < LOCK_SUBROWS - 1 && ends[r] > start)
        r++;
    ends[r] = end;
    return r;
}

static cvz_ns hold_end_time(const struct cvz_trace *tr, const struct cvz_hold *h)
{
    return h->t_rel >= 0 ? h->t_rel : (h->result == CVZ_ACQ_OK ? tr->t_max : h->t_acq);
}

/* Exclusive locks never have two holders: only semaphores and shared (reader) holds need
 * more than one holder row. */
static bool holds_may_overlap(const struct cvz_object *o)
{
    if (o->kind == CVZ_OBJ_SEM) return true;
    if (o->kind != CVZ_OBJ_RWLOCK) return false;
    for (size_t k = 0; k < o->nholds; k++)
        if (o->holds[k].mode == 'r') return true;
    return false;
}

static const struct cvz_hold *sort_holds;
static int cmp_acquire(const void *a, const void *b)
{
    cvz_ns x = sort_holds[*(const size_t *)a].t_acq, y = sort_holds[*(const size_t *)b].t_acq;
    return x < y ? -1 : x > y;
}

/* Indexes of the successful holds in [a, b), ordered by acquisition time (holds are stored
 * by request time, and a hold's row must be chosen in the order holds begin). */
static size_t holds_by_acquire(const struct cvz_trace *tr, const struct cvz_object *o, size_t a,
                               size_t b, size_t *order)
{
    size_t n = 0;
    for (size_t k = a; k < b; k++)
        if (o->holds[k].result == CVZ_ACQ_OK) order[n++] = k;
    if (n < 2) return n;
    sort_holds = o->holds;
    qsort(order, n, sizeof(size_t), cmp_acquire);
    (void)tr;
    return n;
}

/* How many holder and waiter rows an object ever needs (for its lane's height). */
int object_rows(const struct cvz_trace *tr, int32_t obj)
{
    const struct cvz_object *o = &tr->objects[obj];
    cvz_ns wait_end[LOCK_SUBROWS], hold_end[LOCK_SUBROWS];
    for (int r = 0; r < LOCK_SUBROWS; r++)
        wait_end[r] = hold_end[r] = INT64_MIN;
    int wait_rows = 0, hold_rows = 1;
    for (size_t k = 0; k < o->nholds; k++) {
        const struct cvz_hold *h = &o->holds[k];
        if (h->t_acq > h->t_req) {
            int r = subrow(wait_end, h->t_req, h->t_acq);
            if (r + 1 > wait_rows) wait_rows = r + 1;
        }
    }
    if (holds_may_overlap(o)) {
        size_t *order = malloc(o->nholds * sizeof(size_t) + 1);
        if (order) {
            size_t n = holds_by_acquire(tr, o, 0, o->nholds, order);
            for (size_t k = 0; k < n; k++) {
                const struct cvz_hold *h = &o->holds[order[k]];
                int r = subrow(hold_end, h->t_acq, hold_end_time(tr, h));
                if (r + 1 > hold_rows) hold_rows = r + 1;
            }
            free(order);
        }
    }
    return hold_rows + (wait_rows ? wait_rows : 1);
}

/* Scratch arrays of lock_draw, kept between frames (freed by lanes_free). */
static struct {
    uint8_t *hold_row;
    size_t *order, cap;
} lock_scratch;

static void lock_draw(struct app *app, const struct lane *lane, int y)
{
    const struct cvz_trace *tr = app->trace;
    const struct view *v = &app->view;
    const struct cvz_object *o = &tr->objects[lane->index];
    size_t ow0 = app->open_first ? app->open_first[lane->index] : 0;
    size_t ow1 = app->open_first ? app->open_first[lane->index + 1] : 0;
    if (!o->nholds && ow0 == ow1) return;
    int pad = lane_pad(lane);
    int hold_y = y + pad, hold_h = (lane->h - 2 * pad) * 50 / 100;
    int wait_y = hold_y + hold_h + 1, wait_h = lane->h - 2 * pad - hold_h - 1;
    cvz_ns back = app->obj_max_hold ? app->obj_max_hold[lane->index] : 0;
    size_t a = holds_lower(o, v->t0 - back - 1), b = holds_lower(o, v->t1 + 1);
    int width = v->x1 - v->x0; /* the caller clips to the lane */
    if (b - a > (size_t)width * 2) {
        /* too many to draw one by one: per column, whether the object was taken and whether
         * someone waited, painted as runs of equal columns */
        rgba c = blocked_style[CVZ_R_LOCK].color;
        size_t k = holds_lower(o, v->t0);
        int run_x = v->x0, run_key = 0;
        for (int x = v->x0; x <= v->x1; x++) {
            int key = 0;
            if (x < v->x1 && k < o->nholds) {
                cvz_ns tb = view_x_to_t(v, x + 1);
                size_t e = k;
                bool waited = false;
                while (e < o->nholds && o->holds[e].t_req < tb && e - k < 8) {
                    waited |= o->holds[e].t_acq > o->holds[e].t_req;
                    e++;
                }
                key = (e > k) | (waited ? 2 : 0);
                k = e - k < 8 ? e : holds_gallop(o, e, tb);
            }
            if (key == run_key && x < v->x1) continue;
            if (run_key & 1)
                ren_batch_rect(run_x, hold_y, x - run_x, hold_h, (rgba){90, 90, 110, 255});
            if (run_key & 2) ren_batch_rect(run_x, wait_y, x - run_x, wait_h, c);
            run_x = x;
            run_key = key;
        }
        ren_batch_flush();
        return;
    }
    /* holders and waiters get sub-rows (waiters in arrival order); first count how many rows
     * this view needs, so that one holder or waiter at a time fills its whole area */
    cvz_ns wait_end[LOCK_SUBROWS], hold_end[LOCK_SUBROWS];
    int wait_rows = 0, hold_rows = 1;
    for (int r = 0; r < LOCK_SUBROWS; r++)
        wait_end[r] = hold_end[r] = INT64_MIN;
    for (size_t k = a; k < b; k++) {
        const struct cvz_hold *h = &o->holds[k];
        if (h->t_acq > h->t_req) {
            int r = subrow(wait_end, h->t_req, h->t_acq);
            if (r + 1 > wait_rows) wait_rows = r + 1;
        }
    }
    for (size_t k = ow0; k < ow1; k++) { /* waits that never got it come after */
        int r = subrow(wait_end, app->open_waits[k].t0, app->open_waits[k].t1);
        if (r + 1 > wait_rows) wait_rows = r + 1;
    }
    for (int r = 0; r < LOCK_SUBROWS; r++)
        wait_end[r] = INT64_MIN;
    /* holder rows, chosen in acquisition order */
    uint8_t *hold_row = lock_scratch.hold_row;
    size_t *order = lock_scratch.order, cap = lock_scratch.cap;
    bool overlap = holds_may_overlap(o);
    if (overlap && b - a > cap) {
        size_t ncap = (b - a) * 2;
        uint8_t *nr = realloc(hold_row, ncap);
        if (nr) hold_row = nr;
        size_t *no = realloc(order, ncap * sizeof(size_t));
        if (no) order = no;
        if (nr && no) cap = ncap;
        lock_scratch.hold_row = hold_row;
        lock_scratch.order = order;
        lock_scratch.cap = cap;
    }
    if (overlap && b > a && b - a <= cap && order && hold_row) {
        size_t n = holds_by_acquire(tr, o, a, b, order);
        memset(hold_row, 0, b - a);
        for (size_t k = 0; k < n; k++) {
            const struct cvz_hold *h = &o->holds[order[k]];
            int r = subrow(hold_end, h->t_acq, hold_end_time(tr, h));
            hold_row[order[k] - a] = (uint8_t)r;
            if (r + 1 > hold_rows) hold_rows = r + 1;
        }
    } else {
        overlap = false;
    }
    int area = lane->h - 2 * pad;
    hold_h = wait_rows ? area / 2 : area * 2 / 3;
    wait_y = hold_y + hold_h + 1;
    wait_h = area - hold_h - 1;
    int wsh = wait_h / (wait_rows ? wait_rows : 1), hsh = hold_h / hold_rows;
    int fh = ren_font_height(FONT_SMALL);
    for (size_t k = a; k < b; k++) {
        const struct cvz_hold *h = &o->holds[k];
        cvz_ns rel = h->t_rel >= 0 ? h->t_rel : (h->result == CVZ_ACQ_OK ? tr->t_max : h->t_acq);
        rgba tc = thread_color(h->thread);
        const struct cvz_thread *th =
            h->thread >= 0 && (size_t)h->thread < tr->nthreads ? &tr->threads[h->thread] : NULL;
        if (h->t_acq > h->t_req) { /* waiting */
            int r = subrow(wait_end, h->t_req, h->t_acq);
            double xa = view_t_to_x(v, h->t_req), xb = view_t_to_x(v, h->t_acq);
            int xi = (int)floor(xa), wi = (int)ceil(xb) - xi;
            if (wi < 1) wi = 1;
            int ry = wait_y + r * wsh, rh = wsh > 1 ? wsh - 1 : 1;
            ren_rect(xi, ry, wi, rh, tc);
            ren_hatch(xi, ry, wi, rh, PAT_DIAG, hatch_color(tc));
            if (wi >= ren_px(60) && rh >= fh) {
                char text[96];
                snprintf(text, sizeof(text), "%s waits", th && th->name ? th->name : "?");
                int xs = xi < v->x0 ? v->x0 : xi;
                ren_text_fit(FONT_SMALL, xs + ren_px(2), ry + (rh - fh) / 2,
                             xi + wi - xs - ren_px(4), text, text_on(tc));
            }
        }
        if (h->result != CVZ_ACQ_OK) { /* a failed attempt: a small tick */
            int xt = (int)view_t_to_x(v, h->t_acq);
            ren_rect(xt, wait_y, ren_px(2), wait_h, COL_CURSOR);
            continue;
        }
        int r = overlap ? hold_row[k - a] : 0;
        double xa = view_t_to_x(v, h->t_acq), xb = view_t_to_x(v, rel);
        int xi = (int)floor(xa), wi = (int)ceil(xb) - xi;
        if (wi < 1) wi = 1;
        int ry = hold_y + r * hsh, rh = hsh;
        ren_rect(xi, ry, wi, rh > 1 ? rh - 1 : 1, tc);
        if (wi >= ren_px(30) && rh >= fh) {
            char text[96];
            if (o->kind == CVZ_OBJ_SEM && h->count >= 0) /* the value after this acquisition */
                snprintf(text, sizeof(text), "%s =%d", th && th->name ? th->name : "?", h->count);
            else
                snprintf(text, sizeof(text), "%s%s", h->mode == 'r' ? "R " : "",
                         th && th->name ? th->name : "?");
            int xs = xi < v->x0 ? v->x0 : xi;
            ren_text_fit(FONT_SMALL, xs + ren_px(2), ry + (rh - fh) / 2, xi + wi - xs - ren_px(4),
                         text, text_on(tc));
        }
    }
    for (size_t k = ow0; k < ow1; k++) { /* never acquired: hatched to the end, a red edge */
        const struct open_wait *w = &app->open_waits[k];
        int r = subrow(wait_end, w->t0, w->t1);
        double xa = view_t_to_x(v, w->t0), xb = view_t_to_x(v, w->t1);
        if (xb < v->x0 || xa > v->x1) continue;
        int xi = (int)floor(xa), wi = (int)ceil(xb) - xi;
        if (wi < 1) wi = 1;
        int ry = wait_y + r * wsh, rh = wsh > 1 ? wsh - 1 : 1;
        rgba tc = thread_color(w->thread);
        ren_rect(xi, ry, wi, rh, tc);
        ren_hatch(xi, ry, wi, rh, PAT_DIAG, hatch_color(tc));
        ren_rect(xi + wi - ren_px(3), ry, ren_px(3), rh, COL_CURSOR);
        if (wi >= ren_px(90) && rh >= fh) {
            const struct cvz_thread *th = &tr->threads[w->thread];
            char text[128];
            snprintf(text, sizeof(text), "%s waits, never gets it", th->name ? th->name : "?");
            int xs = xi < v->x0 ? v->x0 : xi;
            ren_text_fit(FONT_SMALL, xs + ren_px(2), ry + (rh - fh) / 2, xi + wi - xs - ren_px(8),
                         text, text_on(tc));
        }
    }
}

bool object_shown_contended(const struct app *app, int32_t obj)
{
    const struct cvz_object *o = &app->trace->objects[obj];
    if (o->contended && o->nholds) return true;
    return app->open_first && app->open_first[obj + 1] > app->open_first[obj];
}

static bool lock_hover(const struct app *app, const struct lane *lane, cvz_ns t, int x, char *buf,
                       size_t len)
{
    const struct cvz_trace *tr = app->trace;
    const struct cvz_object *o = &tr->objects[lane->index];
    size_t off = 0;
    char tb[32], n1[96];
    fmt_time(app, t, tb, sizeof(tb));
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (off < len) {                                                                           \
            int w_ = snprintf(buf + off, len - off, __VA_ARGS__);                                  \
            if (w_ > 0) off += (size_t)w_;                                                         \
        }                                                                                          \
    } while (0)
    ADD("%s \"%s\" (pid %d, 0x%llx) at %s\n",
        o->kind < CVZ_OBJ__COUNT ? cvz_obj_kind_names[o->kind] : "object", o->name ? o->name : "?",
        o->pid, (unsigned long long)o->addr, tb);
    /* holders and waiters at t, waiters in the order they arrived */
    cvz_ns slack = (cvz_ns)(view_ns_per_px(&app->view) * 2);
    size_t hi = holds_lower(o, t + 1);
    int nhold = 0, nwait = 0, count = -1;
    cvz_ns back = app->obj_max_hold ? app->obj_max_hold[lane->index] : 0;
    size_t lo = holds_lower(o, t - back - 1);
    if (hi - lo > 20000) lo = hi - 20000;
    for (size_t k = lo; k < hi; k++) {
        const struct cvz_hold *h = &o->holds[k];
        cvz_ns rel =
            h->t_rel >= 0 ? h->t_rel : (h->result == CVZ_ACQ_OK ? tr->t_max + 1 : h->t_acq);
        if (h->result == CVZ_ACQ_OK && h->t_acq <= t + slack && t < rel) {
            char d[32];
            fmt_dur(rel - h->t_acq, d, sizeof(d));
            ADD("%s %s for %s%s\n", h->mode == 'r' ? "read-held by" : "held by",
                thread_name(tr, h->thread, n1, sizeof(n1)), d, h->depth > 1 ? " (recursive)" : "");
            nhold++;
        }
        if (h->t_acq >= 0 && h->t_acq <= t) count = h->count;
    }
    for (size_t k = lo; k < hi; k++) {
        const struct cvz_hold *h = &o->holds[k];
        if (h->t_req <= t && t < h->t_acq) {
            char d[32];
            fmt_dur(h->t_acq - h->t_req, d, sizeof(d));
            ADD("waiter %d: %s (waits %s%s)\n", ++nwait, thread_name(tr, h->thread, n1, sizeof(n1)),
                d, h->result == CVZ_ACQ_OK ? "" : ", gives up");
        }
    }
    size_t ow0 = app->open_first ? app->open_first[lane->index] : 0;
    size_t ow1 = app->open_first ? app->open_first[lane->index + 1] : 0;
    for (size_t k = ow0; k < ow1; k++) {
        const struct open_wait *w = &app->open_waits[k];
        if (w->t0 > t || t > w->t1) continue;
        char d[32];
        fmt_dur(w->t1 - w->t0, d, sizeof(d));
        ADD("waiter %d: %s (waits %s and never gets it)\n", ++nwait,
            thread_name(tr, w->thread, n1, sizeof(n1)), d);
    }
    if (!nhold && !nwait) ADD("free\n");
    if (o->kind == CVZ_OBJ_SEM && count >= 0) ADD("semaphore value: %d\n", count);
    if (o->kind == CVZ_OBJ_CONDVAR)
        ADD("%zu signals, %zu broadcasts\n", o->nsignals, o->nbroadcasts);
    ADD("%zu acquisitions in the trace%s", o->nholds, o->contended ? ", contended" : "");
#undef ADD
    return true;
}

static const struct lane_class header_class = {"header", header_label, header_draw, header_hover};
static const struct lane_class profile_class = {"profile", profile_label, profile_draw,
                                                profile_hover};
static const struct lane_class cpu_class = {"cpu", cpu_label, cpu_draw, cpu_hover};
static const struct lane_class proc_class = {"process", proc_label, proc_draw, proc_hover};
static const struct lane_class thread_class = {"thread", thread_label, thread_draw, thread_hover};
static const struct lane_class lock_class = {"lock", lock_label, lock_draw, lock_hover};

const struct lane_class *const lane_classes[LANE__COUNT] = {
    [LANE_HEADER] = &header_class, [LANE_PROFILE] = &profile_class, [LANE_CPU] = &cpu_class,
    [LANE_PROC] = &proc_class,     [LANE_THREAD] = &thread_class,   [LANE_LOCK] = &lock_class,
};

void lane_label(const struct app *app, const struct lane *lane, char *buf, size_t len)
{
    buf[0] = '\0';
    if (lane->kind < LANE__COUNT) lane_classes[lane->kind]->label(app, lane, buf, len);
}

/* ==== the lane list ======================================================================== */

static bool push_lane(struct app *app, int kind, int32_t index, int h, int indent)
{
    if (app->nlanes == app->cap_lanes) {
        size_t cap = app->cap_lanes ? app->cap_lanes * 2 : 64;
        struct lane *l = realloc(app->lanes, cap * sizeof(*l));
        if (!l) return false;
        app->lanes = l;
        app->cap_lanes = cap;
    }
    struct lane *l = &app->lanes[app->nlanes++];
    l->kind = (uint8_t)kind;
    l->index = index;
    l->h = h;
    l->hs = h;
    l->y = app->content_h;
    l->indent = indent;
    app->content_h += h;
    return true;
}

/* A thread lane: the state bar, then one row per nesting depth of its regions. */
static void push_thread_lane(struct app *app, int32_t ti, int h_state, int indent)
{
    int rows = app->thread_rows ? app->thread_rows[ti] : 0;
    if (!push_lane(app, LANE_THREAD, ti, h_state + rows * ren_px(REGION_ROW), indent)) return;
    app->lanes[app->nlanes - 1].hs = h_state;
}

static bool text_matches(const char *pattern, const char *text)
{
    if (!text) return false;
    if (strpbrk(pattern, "*?[")) return fnmatch(pattern, text, FNM_CASEFOLD) == 0;
    return strcasestr(text, pattern) != NULL;
}

/* --lanes and the search filter decide on a lane's label (and a thread's tid alone). */
static bool lane_wanted(const struct app *app, const struct lane *probe)
{
    char label[512], num[32] = "";
    lane_label(app, probe, label, sizeof(label));
    if (probe->kind == LANE_THREAD)
        snprintf(num, sizeof(num), "%d", app->trace->threads[probe->index].tid);
    if (app->lane_patterns && app->lane_patterns[0]) {
        bool any = false;
        for (char **p = app->lane_patterns; *p && !any; p++)
            any = text_matches(*p, label) || (num[0] && strcmp(*p, num) == 0);
        if (!any) return false;
    }
    if (app->filter_by_search && app->search[0] && !text_matches(app->search, label) &&
        !(num[0] && strstr(num, app->search)))
        return false;
    return true;
}

static bool filtering(const struct app *app)
{
    return (app->lane_patterns && app->lane_patterns[0]) ||
           (app->filter_by_search && app->search[0]);
}

void lanes_build(struct app *app)
{
    const struct cvz_trace *tr = app->trace;
    app->nlanes = 0;
    app->content_h = 0;
    int h_thread = ren_px(22), h_coro = ren_px(18), h_cpu = ren_px(20), h_header = ren_px(20),
        h_proc = ren_px(20), h_lock = ren_px(34), h_prof = ren_px(44);
    bool filt = filtering(app);
    struct lane probe = {0};

    if (app->show_profile && tr->nthreads && !filt) push_lane(app, LANE_PROFILE, 0, h_prof, 0);

    if (app->show_cpus && tr->ncpu > 0 && tr->cpus) {
        size_t first = app->nlanes;
        int y0 = app->content_h;
        push_lane(app, LANE_HEADER, GROUP_CPUS, h_header, 0);
        /* An idle CPU is part of the picture on a small machine ("two threads share CPU 0
         * while CPU 1 sits idle"); on a big one its empty lanes would push the threads away. */
        int busy = 0;
        for (int c = 0; c < tr->ncpu; c++)
            busy += tr->cpus[c].nruns > 0;
        bool show_idle = tr->ncpu <= CPU_LANES_ALL_UP_TO;
        bool any = false;
        for (int k = 0; k < tr->ncpu && busy; k++) {
            int c = app->cpu_order[k];
            probe.kind = LANE_CPU;
            probe.index = c;
            if (app->cpu_hidden[c] || (!show_idle && !tr->cpus[c].nruns) ||
                !lane_wanted(app, &probe))
                continue;
            push_lane(app, LANE_CPU, c, h_cpu, 1);
            any = true;
        }
        if (!any) { /* drop the empty header */
            app->nlanes = first;
            app->content_h = y0;
        }
    }

    /* threads grouped by process, in the user's order inside each process */
    size_t nt = tr->nthreads;
    int32_t *bucket_start = calloc(tr->nprocs + 2, sizeof(int32_t));
    int32_t *bucketed = malloc((nt ? nt : 1) * sizeof(int32_t));
    if (bucket_start && bucketed) {
        for (size_t k = 0; k < nt; k++) {
            int32_t p = tr->threads[app->thread_order[k]].proc;
            size_t b = p >= 0 && (size_t)p < tr->nprocs ? (size_t)p : tr->nprocs;
            bucket_start[b + 1]++;
        }
        for (size_t b = 0; b <= tr->nprocs; b++)
            bucket_start[b + 1] += bucket_start[b];
        int32_t *fill = calloc(tr->nprocs + 1, sizeof(int32_t));
        if (fill) {
            for (size_t k = 0; k < nt; k++) {
                int32_t ti = app->thread_order[k];
                int32_t p = tr->threads[ti].proc;
                size_t b = p >= 0 && (size_t)p < tr->nprocs ? (size_t)p : tr->nprocs;
                bucketed[bucket_start[b] + fill[b]++] = ti;
            }
            free(fill);
        }
        for (size_t p = 0; p <= tr->nprocs; p++) {
            size_t first = app->nlanes;
            int y0 = app->content_h;
            bool proc_match = false;
            if (p < tr->nprocs) {
                probe.kind = LANE_PROC;
                probe.index = (int32_t)p;
                proc_match = filt && lane_wanted(app, &probe);
                push_lane(app, LANE_PROC, (int32_t)p, h_proc, 0);
            }
            bool collapsed = p < tr->nprocs && app->proc_collapsed[p];
            bool any = false;
            for (int32_t k = bucket_start[p]; k < bucket_start[p + 1]; k++) {
                int32_t ti = bucketed[k];
                const struct cvz_thread *th = &tr->threads[ti];
                if (th->coro_of >= 0 || app->thread_hidden[ti]) continue;
                probe.kind = LANE_THREAD;
                probe.index = ti;
                if (filt && !proc_match && !lane_wanted(app, &probe)) continue;
                any = true;
                if (collapsed) continue;
                push_thread_lane(app, ti, h_thread, 1);
                /* its coroutines, right under it */
                for (int32_t q = bucket_start[p]; q < bucket_start[p + 1]; q++) {
                    int32_t ci = bucketed[q];
                    if (tr->threads[ci].coro_of == ti && !app->thread_hidden[ci])
                        push_thread_lane(app, ci, h_coro, 2);
                }
            }
            if (!any && (filt || p == tr->nprocs)) {
                app->nlanes = first;
                app->content_h = y0;
            }
        }
    }
    free(bucket_start);
    free(bucketed);

    if (app->show_locks && tr->nobjects) {
        size_t first = app->nlanes;
        int y0 = app->content_h;
        push_lane(app, LANE_HEADER, GROUP_LOCKS, h_header, 0);
        bool any = false;
        for (size_t k = 0; k < tr->nobjects; k++) {
            int32_t oi = app->object_order[k];
            const struct cvz_object *o = &tr->objects[oi];
            if (app->object_hidden[oi]) continue;
            if (!app->all_locks && !object_shown_contended(app, oi)) continue;
            if (!o->nholds && !object_shown_contended(app, oi)) continue;
            probe.kind = LANE_LOCK;
            probe.index = oi;
            if (!lane_wanted(app, &probe)) continue;
            int rows = app->obj_rows ? app->obj_rows[oi] : 2;
            int h = ren_px(8) + ren_px(13) * rows; /* a row holds a small-font name */
            push_lane(app, LANE_LOCK, oi, h > h_lock ? h : h_lock, 1);
            any = true;
        }
        if (!any && filt) {
            app->nlanes = first;
            app->content_h = y0;
        }
    }

    for (size_t i = 0; i < tr->nthreads; i++)
        app->thread_lane[i] = -1;
    for (size_t i = 0; i < app->nlanes; i++)
        if (app->lanes[i].kind == LANE_THREAD) app->thread_lane[app->lanes[i].index] = (int32_t)i;
    if (app->sel_lane >= (int)app->nlanes) app->sel_lane = -1;
    /* keep the selection on the same item when lanes move */
    if (app->sel_kind != SEL_NONE) {
        if (app->sel_thread >= 0)
            app->sel_lane = lane_find(app, LANE_THREAD, app->sel_thread);
        else if (app->sel_obj >= 0)
            app->sel_lane = lane_find(app, LANE_LOCK, app->sel_obj);
        else if (app->sel_cpu >= 0)
            app->sel_lane = lane_find(app, LANE_CPU, app->sel_cpu);
    }
    app->dirty = true;
}

int lane_find(const struct app *app, int kind, int32_t index)
{
    for (size_t i = 0; i < app->nlanes; i++)
        if (app->lanes[i].kind == kind && app->lanes[i].index == index) return (int)i;
    return -1;
}

int lane_screen_y(const struct app *app, const struct lane *lane)
{
    return app->view.y0 + lane->y - app->view.scroll;
}

int lane_at_y(const struct app *app, int y)
{
    if (y < app->view.y0 || y >= app->view.y1) return -1;
    int cy = y - app->view.y0 + app->view.scroll;
    size_t lo = 0, hi = app->nlanes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (app->lanes[mid].y + app->lanes[mid].h <= cy)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < app->nlanes && app->lanes[lo].y <= cy) return (int)lo;
    return -1;
}

/* ==== markers ============================================================================== */

static void marks_draw(struct app *app)
{
    const struct cvz_trace *tr = app->trace;
    const struct view *v = &app->view;
    if (!tr->nmarks) return;
    cvz_ns from = v->t0 - app->max_region - 1;
    size_t lo = 0, hi = tr->nmarks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->marks[mid].t0 < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    int *last_x = malloc(app->nlanes * sizeof(int) + 1);
    int *text_end = malloc(app->nlanes * sizeof(int) + 1);
    int *region_end = malloc(app->nlanes * 4 * sizeof(int) + 1);
    if (!last_x || !text_end || !region_end) {
        free(last_x);
        free(text_end);
        free(region_end);
        return;
    }
    for (size_t i = 0; i < app->nlanes; i++)
        last_x[i] = text_end[i] = -100000;
    for (size_t i = 0; i < app->nlanes * 4; i++)
        region_end[i] = -100000;
    int s = ren_px(4), fh = ren_font_height(FONT_SMALL);
    rgba ink = {0, 0, 0, 255}, halo = {255, 255, 255, 230};
    ren_clip(v->x0, v->y0, v->x1 - v->x0, v->y1 - v->y0);
    for (size_t i = lo, n = 0; i < tr->nmarks && n < 50000; i++, n++) {
        const struct cvz_mark *m = &tr->marks[i];
        if (m->t0 > v->t1) break;
        if (m->thread < 0 || (size_t)m->thread >= tr->nthreads) continue;
        int li = app->thread_lane[m->thread];
        if (li < 0) continue;
        const struct lane *lane = &app->lanes[li];
        int y = lane_screen_y(app, lane);
        if (y + lane->h < v->y0 || y > v->y1) continue;
        double xf = view_t_to_x(v, m->t0);
        int x = (int)xf;
        if (m->kind == CVZ_MARK_REGION) { /* a slice in its depth's row, coloured by name */
            double xe = view_t_to_x(v, m->t1);
            if (xe < v->x0) continue;
            int depth = app->mark_depth ? app->mark_depth[i] : 0;
            int xa = x < v->x0 ? v->x0 : x, xb = xe > v->x1 ? v->x1 : (int)xe;
            int *last = &region_end[(size_t)li * 4 + (size_t)depth];
            if (xb <= *last) continue; /* this row's pixel is painted already */
            if (xa <= *last) xa = *last + 1;
            *last = xb;
            int ry = y + lane->hs + depth * ren_px(REGION_ROW), rh = ren_px(REGION_ROW) - 1;
            uint32_t hsh = 2166136261u;
            for (const char *c = m->text ? m->text : ""; *c; c++)
                hsh = (hsh ^ (unsigned char)*c) * 16777619u;
            rgba rc =
                rgba_mix(thread_color((int32_t)(hsh % 97)), (rgba){255, 255, 255, 255}, 0.35f);
            ren_rect(xa, ry, xb - xa + 1, rh, rc);
            if (m->text && xb - xa > ren_px(24))
                ren_text_fit(FONT_SMALL, xa + 2, ry + (rh - fh) / 2, xb - xa - 4, m->text, ink);
            continue;
        }
        if (x < v->x0 - s || x > v->x1 + s) continue;
        if (x - last_x[li] < s) continue; /* one marker per few pixels per lane */
        last_x[li] = x;
        int top = y + 1;
        switch (m->kind) {
        case CVZ_MARK_THREAD_CREATE:
        case CVZ_MARK_PROCESS_FORK: /* a triangle pointing right: something starts */
            ren_triangle(x - 1, top - 1, x + s + 2, top + s + 1, x - 1, top + 2 * s + 3, halo);
            ren_triangle(x, top, x + s + 1, top + s + 1, x, top + 2 * s + 2, ink);
            break;
        case CVZ_MARK_THREAD_EXIT:
        case CVZ_MARK_PROCESS_EXIT: /* a square: it ends */
            ren_rect(x - s - 1, top - 1, s + 3, s + 3, halo);
            ren_rect(x - s, top, s + 1, s + 1, ink);
            break;
        case CVZ_MARK_PROCESS_EXEC: /* a diamond */
            ren_triangle(x - s - 1, top + s, x, top - 1, x + s + 1, top + s, halo);
            ren_triangle(x - s - 1, top + s, x, top + 2 * s + 1, x + s + 1, top + s, halo);
            ren_triangle(x - s, top + s, x, top, x + s, top + s, ink);
            ren_triangle(x - s, top + s, x, top + 2 * s, x + s, top + s, ink);
            break;
        default: /* a user mark: a flag pole and its label */
            ren_rect(x - 1, y, 3, lane->h, halo);
            ren_rect(x, y, 1, lane->h, ink);
            ren_triangle(x, top, x + 2 * s, top + s, x, top + 2 * s, (rgba){0, 114, 178, 255});
            if (m->text && x + 2 * s > text_end[li]) {
                int w = ren_text_width(FONT_SMALL, m->text);
                int tx = x + 2 * s + 2;
                ren_rect(tx - 1, top, w + 2, fh, halo);
                ren_text(FONT_SMALL, tx, top, m->text, ink);
                text_end[li] = tx + w;
            }
            break;
        }
    }
    ren_unclip();
    free(last_x);
    free(text_end);
    free(region_end);
}

/* ==== wake arrows ========================================================================== */

#define WAKE_MAX_ARROWS 300
#define WAKE_MAX_SCAN   200000

void wakes_draw(struct app *app)
{
    const struct cvz_trace *tr = app->trace;
    const struct view *v = &app->view;
    app->wake_hidden = 0;
    app->wake_drawn = 0;
    bool sel = app->sel_kind != SEL_NONE && (app->sel_thread >= 0 || app->sel_obj >= 0);
    if (!tr->nwakes || (!app->wakes_all && !sel)) return;
    size_t lo = 0, hi = tr->nwakes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->wakes[mid].t_to < v->t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int *last_x = malloc(app->nlanes * sizeof(int) + 1);
    if (!last_x) return;
    for (size_t i = 0; i < app->nlanes; i++)
        last_x[i] = -100000;
    int drawn = 0, min_gap = ren_px(6);
    float width = ren_scale() * 1.6f;
    ren_clip(v->x0, v->y0, v->x1 - v->x0, v->y1 - v->y0);
    for (size_t i = lo, n = 0; i < tr->nwakes; i++, n++) {
        const struct cvz_wake *w = &tr->wakes[i];
        if (w->t_to > v->t1) break;
        if (n >= WAKE_MAX_SCAN) {
            app->wake_hidden++;
            break;
        }
        bool mine = (app->sel_thread >= 0 &&
                     (w->from_thread == app->sel_thread || w->to_thread == app->sel_thread)) ||
                    (app->sel_obj >= 0 && w->obj == app->sel_obj);
        if (!app->wakes_all && !mine) continue;
        if (w->from_thread < 0 || w->to_thread < 0 || (size_t)w->from_thread >= tr->nthreads ||
            (size_t)w->to_thread >= tr->nthreads)
            continue;
        int lf = app->thread_lane[w->from_thread], lt = app->thread_lane[w->to_thread];
        if (lf < 0 || lt < 0 || lf == lt) continue;
        int x1 = (int)view_t_to_x(v, w->t_to);
        if (x1 - last_x[lt] < min_gap || drawn >= WAKE_MAX_ARROWS) { /* merged in this pixel */
            app->wake_hidden++;
            continue;
        }
        last_x[lt] = x1;
        const struct lane *a = &app->lanes[lf], *b = &app->lanes[lt];
        float ya = lane_screen_y(app, a) + a->hs * 0.5f, yb = lane_screen_y(app, b) + b->hs * 0.5f;
        float xa = (float)view_t_to_x(v, w->t_from);
        /* end a little before the target lane's middle, so the head shows over the span */
        yb -= (yb > ya ? 1 : -1) * b->hs * 0.15f;
        /* with every arrow shown, those of the selection stand out and the others step back */
        bool dim = sel && !mine;
        ren_arrow(xa, ya, (float)x1 + 0.5f, yb, width + 1.5f,
                  (rgba){255, 255, 255, dim ? 90 : 200});
        ren_arrow(xa, ya, (float)x1 + 0.5f, yb, mine && sel ? width * 1.4f : width,
                  dim ? (rgba){90, 90, 90, 110} : COL_WAKE);
        drawn++;
    }
    ren_unclip();
    free(last_x);
    app->wake_drawn = drawn;
}

/* ==== all lanes ============================================================================ */

void lanes_draw(struct app *app)
{
    const struct view *v = &app->view;
    int label_w = v->x0;
    int fh = ren_font_height(FONT_UI);
    /* first visible lane by binary search, then down to the bottom of the area */
    int first = lane_at_y(app, v->y0);
    if (first < 0) first = 0;
    for (size_t i = (size_t)first; i < app->nlanes; i++) {
        const struct lane *lane = &app->lanes[i];
        int y = lane_screen_y(app, lane);
        if (y >= v->y1) break;
        if (y + lane->h <= v->y0) continue;
        ren_clip(0, v->y0, v->width, v->y1 - v->y0);
        /* timeline part */
        if (i % 2 == 1 && lane->kind == LANE_THREAD)
            ren_rect(v->x0, y, v->x1 - v->x0, lane->h, (rgba){243, 243, 240, 255});
        int cy0 = y > v->y0 ? y : v->y0, cy1 = y + lane->h < v->y1 ? y + lane->h : v->y1;
        ren_clip(v->x0, cy0, v->x1 - v->x0, cy1 - cy0);
        lane_classes[lane->kind]->draw(app, lane, y);
        ren_clip(0, v->y0, v->width, v->y1 - v->y0);
        ren_line(v->x0, y + lane->h - 1, v->x1, y + lane->h - 1, COL_GRID);
        /* label part */
        bool selected = (int)i == app->sel_lane;
        bool hit = app->search[0] && search_matches_lane(app, lane);
        rgba bg =
            lane->kind == LANE_HEADER || lane->kind == LANE_PROC ? COL_HEADER_BG : COL_LABEL_BG;
        if (hit) bg = (rgba){255, 240, 170, 255};
        if (selected) bg = (rgba){190, 215, 245, 255};
        ren_rect(0, y, label_w, lane->h, bg);
        ren_line(0, y + lane->h - 1, label_w, y + lane->h - 1, COL_GRID);
        char label[512];
        lane_label(app, lane, label, sizeof(label));
        int x = ren_px(6) + lane->indent * ren_px(10);
        enum font_id font =
            lane->kind == LANE_HEADER || lane->kind == LANE_PROC ? FONT_BOLD : FONT_UI;
        if (lane->kind == LANE_THREAD) { /* the thread's colour in CPU and lock lanes */
            int sw = ren_px(8);
            ren_rect(x, y + (lane->h - sw) / 2, sw, sw, thread_color(lane->index));
            x += sw + ren_px(4);
        }
        int lh = font == FONT_BOLD ? ren_font_height(FONT_BOLD) : fh;
        ren_text_fit(font, x, y + (lane->h - lh) / 2, label_w - x - ren_px(4), label, COL_TEXT);
    }
    ren_unclip();
    marks_draw(app);
    wakes_draw(app);
    /* separator between labels and timeline */
    ren_rect(v->x0 - 1, v->y0, 1, v->y1 - v->y0, (rgba){180, 180, 180, 255});
    /* where the visible lanes are among all of them, when they do not fit */
    int area = v->y1 - v->y0;
    if (app->content_h > area && area > 0) {
        int bar_h = (int)((double)area * area / app->content_h), w = ren_px(5);
        if (bar_h < ren_px(12)) bar_h = ren_px(12);
        int bar_y = v->y0 + (int)((double)(area - bar_h) * v->scroll / (app->content_h - area));
        ren_rect(v->width - w - 1, bar_y, w, bar_h, (rgba){120, 120, 120, 160});
    }
}

void lanes_free(void)
{
    free(prof.running);
    free(prof.ready);
    free(prof.keys);
    memset(&prof, 0, sizeof(prof));
    free(lock_scratch.hold_row);
    free(lock_scratch.order);
    memset(&lock_scratch, 0, sizeof(lock_scratch));
}
