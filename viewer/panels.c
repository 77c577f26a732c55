/* panels.c - everything of conviz-view that is not a lane: the time axis, the caption line, the
 * warning banner, the details panel, the search bar and search, the legend, the tooltip, the
 * statistics panel and the key help.
 *
 * DESIGN: panels read `struct app` and draw; they change nothing except caches.  The statistics
 * come from cvz_stats_compute (model/cvz_stats.h), the same computation `conviz report` prints,
 * so the panel and the report never disagree; it is computed once per range and cached.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cvz_stats.h"
#include "viewer.h"

static int line_h(enum font_id f)
{
    return ren_font_height(f) + ren_px(2);
}

/* ==== time axis ============================================================================ */

int axis_height(const struct app *app)
{
    int h = ren_font_height(FONT_SMALL) + ren_px(12), hb = ren_font_height(FONT_BOLD) + ren_px(6);
    return app->replay && hb > h ? hb : h;
}

static cvz_ns tick_step(const struct view *v);

static cvz_ns axis_origin(const struct app *app)
{
    if (app->axis_mode == 2) { /* ticks where the wall clock is a multiple of the step */
        const struct cvz_trace *tr = app->trace;
        cvz_ns step = tick_step(&app->view);
        cvz_ns rem = ((tr->real_anchor % step) + step) % step;
        return tr->mono_anchor - rem;
    }
    if (app->axis_mode == 1) {
        if (app->has_range) return app->range0;
        if (app->sel_kind == SEL_SPAN && app->sel_thread >= 0 && app->sel_span >= 0)
            return app->trace->threads[app->sel_thread].spans[app->sel_span].t0;
        if (app->replay) return app->cursor;
    }
    return app->trace->t_min;
}

/* 1, 2, 5 x 10^k ns: the smallest step that leaves ~110 logical pixels between ticks. */
static cvz_ns tick_step(const struct view *v)
{
    double want = view_ns_per_px(v) * ren_px(110);
    double p = 1;
    while (p * 10 <= want && p < 1e18)
        p *= 10;
    double step = p;
    if (step < want) step = 2 * p;
    if (step < want) step = 5 * p;
    if (step < want) step = 10 * p;
    return step < 1 ? 1 : (cvz_ns)step;
}

static void tick_label(cvz_ns value, cvz_ns step, char *buf, size_t len)
{
    const char *unit = "ns";
    double div = 1;
    if (step >= 1000000000) {
        unit = "s";
        div = 1e9;
    } else if (step >= 1000000) {
        unit = "ms";
        div = 1e6;
    } else if (step >= 1000) {
        unit = "us";
        div = 1e3;
    }
    /* decimals: as many as the step needs in this unit */
    double s = step / div;
    int dec = s >= 1 ? 0 : s >= 0.1 ? 1 : s >= 0.01 ? 2 : 3;
    snprintf(buf, len, "%s%.*f %s", value > 0 && value != 0 ? "" : "", dec, value / div, unit);
}

/* A CLOCK_REALTIME instant as time of day (UTC, so pictures do not depend on the machine),
 * with as many decimals as the step needs. */
static void wall_label(cvz_ns real_ns, cvz_ns step, char *buf, size_t len)
{
    time_t secs = (time_t)(real_ns / 1000000000);
    long frac = (long)(real_ns % 1000000000);
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    int dec = step >= 1000000000  ? 0
              : step >= 100000000 ? 1
              : step >= 10000000  ? 2
              : step >= 1000000   ? 3
              : step >= 1000      ? 6
                                  : 9;
    char f[16] = "";
    if (dec) {
        snprintf(f, sizeof(f), ".%09ld", frac);
        f[dec + 1] = '\0';
    }
    snprintf(buf, len, "%02d:%02d:%02d%s", tm.tm_hour, tm.tm_min, tm.tm_sec, f);
}

void axis_grid_draw(struct app *app)
{
    const struct view *v = &app->view;
    cvz_ns step = tick_step(v), origin = axis_origin(app);
    cvz_ns first = origin + (cvz_ns)ceil((double)(v->t0 - origin) / step) * step;
    for (cvz_ns t = first, n = 0; t <= v->t1 && n < 1000; t += step, n++) {
        int x = (int)view_t_to_x(v, t);
        ren_rect(x, v->y0, 1, v->y1 - v->y0, COL_GRID);
    }
}

void axis_draw(struct app *app)
{
    const struct view *v = &app->view;
    int h = axis_height(app), y = v->y0 - h;
    ren_rect(0, y, v->width, h, (rgba){236, 236, 232, 255});
    ren_line(0, v->y0 - 1, v->width, v->y0 - 1, (rgba){170, 170, 170, 255});
    cvz_ns step = tick_step(v), origin = axis_origin(app);
    cvz_ns first = origin + (cvz_ns)ceil((double)(v->t0 - origin) / step) * step;
    int fh = ren_font_height(FONT_SMALL);
    ren_clip(v->x0, y, v->x1 - v->x0 + ren_px(8), h);
    for (cvz_ns t = first, n = 0; t <= v->t1 && n < 1000; t += step, n++) {
        int x = (int)view_t_to_x(v, t);
        ren_rect(x, v->y0 - ren_px(6), 1, ren_px(6), COL_TEXT);
        for (int k = 1; k < 5; k++) { /* minor ticks */
            int xm = (int)view_t_to_x(v, t + step * k / 5);
            ren_rect(xm, v->y0 - ren_px(3), 1, ren_px(3), COL_DIM);
        }
        char lbl[48];
        if (app->axis_mode == 2)
            wall_label(app->trace->real_anchor + (t - app->trace->mono_anchor), step, lbl,
                       sizeof(lbl));
        else
            tick_label(t - origin, step, lbl, sizeof(lbl));
        ren_text(FONT_SMALL, x + ren_px(3), y + ren_px(2), lbl, COL_TEXT);
    }
    /* minor ticks before the first label */
    for (int k = 1; k < 5; k++) {
        int xm = (int)view_t_to_x(v, first - step * k / 5);
        if (xm >= v->x0) ren_rect(xm, v->y0 - ren_px(3), 1, ren_px(3), COL_DIM);
    }
    ren_unclip();
    char what[96], d[32];
    fmt_dur(v->t1 - v->t0, d, sizeof(d));
    snprintf(what, sizeof(what), "%s  (view %s)",
             app->axis_mode == 2           ? "wall clock, UTC"
             : origin == app->trace->t_min ? "time since start"
                                           : "time since selection",
             d);
    if (app->replay) {
        replay_status(app, what, sizeof(what));
        int bh = ren_font_height(FONT_BOLD);
        ren_text_fit(FONT_BOLD, ren_px(6), y + (h - bh) / 2, v->x0 - ren_px(10), what, COL_CURSOR);
        return;
    }
    ren_text_fit(FONT_SMALL, ren_px(6), y + (h - fh) / 2, v->x0 - ren_px(10), what, COL_DIM);
}

/* ==== caption and warning banner =========================================================== */

bool banner_text(const struct app *app, char *buf, size_t len)
{
    const struct cvz_trace *tr = app->trace;
    if (!tr->truncated && !tr->ndiags && !tr->lost_events && !tr->broken) return false;
    size_t off = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (off < len) {                                                                           \
            int w_ = snprintf(buf + off, len - off, __VA_ARGS__);                                  \
            if (w_ > 0) off += (size_t)w_;                                                         \
        }                                                                                          \
    } while (0)
    ADD("\xE2\x9A\xA0 ");
    if (tr->truncated) ADD("Trace truncated (the program was probably killed while writing). ");
    if (tr->ndiags && tr->diags) {
        const struct cvz_diag *d = &tr->diags[0];
        if (d->line >= 0 && d->offset >= 0)
            ADD("Line %lld (byte %lld): ", (long long)d->line, (long long)d->offset);
        else if (d->line >= 0)
            ADD("Line %lld: ", (long long)d->line);
        else if (d->offset >= 0)
            ADD("Byte %lld: ", (long long)d->offset);
        ADD("%s. ", d->message ? d->message : "problem");
        if (tr->ndiags > 1) ADD("(%zu problems, hover for all) ", tr->ndiags);
    }
    if (tr->lost_events) ADD("%llu events lost. ", (unsigned long long)tr->lost_events);
    if (tr->broken) ADD("%llu broken sequences. ", (unsigned long long)tr->broken);
    ADD("Showing everything valid.");
#undef ADD
    return true;
}

int panels_top_height(const struct app *app)
{
    int h = 0;
    if (app_caption(app)) h += ren_font_height(FONT_CAPTION) + ren_px(10);
    char b[8];
    if (banner_text(app, b, sizeof(b))) h += ren_font_height(FONT_UI) + ren_px(8);
    return h;
}

void panels_draw_top(struct app *app)
{
    const struct view *v = &app->view;
    int y = 0;
    const char *cap = app_caption(app);
    if (cap) {
        int h = ren_font_height(FONT_CAPTION) + ren_px(10);
        ren_rect(0, 0, v->width, h, (rgba){30, 40, 60, 255});
        ren_text_fit(FONT_CAPTION, ren_px(12), ren_px(5), v->width - ren_px(24), cap,
                     (rgba){255, 255, 255, 255});
        y += h;
    }
    char banner[1024];
    if (banner_text(app, banner, sizeof(banner))) {
        int h = ren_font_height(FONT_UI) + ren_px(8);
        ren_rect(0, y, v->width, h, COL_BANNER);
        ren_rect(0, y + h - 1, v->width, 1, (rgba){200, 150, 0, 255});
        ren_text_fit(FONT_UI, ren_px(8), y + ren_px(4), v->width - ren_px(16), banner, COL_TEXT);
    }
}

/* ==== legend =============================================================================== */

struct legend_item {
    const char *text;
    int state, reason;
};

static const struct legend_item legend[] = {
    {"running", CVZ_ST_RUNNING, 0},
    {"ready (wants a CPU)", CVZ_ST_READY, 0},
    {"lock", CVZ_ST_BLOCKED, CVZ_R_LOCK},
    {"condvar", CVZ_ST_BLOCKED, CVZ_R_CONDVAR},
    {"semaphore", CVZ_ST_BLOCKED, CVZ_R_SEM},
    {"barrier", CVZ_ST_BLOCKED, CVZ_R_BARRIER},
    {"join", CVZ_ST_BLOCKED, CVZ_R_JOIN},
    {"sleep", CVZ_ST_BLOCKED, CVZ_R_SLEEP},
    {"IO", CVZ_ST_BLOCKED, CVZ_R_IO},
    {"child", CVZ_ST_BLOCKED, CVZ_R_CHILD},
    {"blocked, other", CVZ_ST_BLOCKED, CVZ_R_OTHER},
};
#define NLEGEND (sizeof(legend) / sizeof(legend[0]))

static int legend_item_w(const struct legend_item *it)
{
    return ren_px(16) + ren_text_width(FONT_SMALL, it->text) + ren_px(12);
}

static int legend_lines(const struct app *app)
{
    int x = ren_px(8) + ren_text_width(FONT_BOLD, "blocked on:") + ren_px(8), lines = 1;
    for (size_t i = 0; i < NLEGEND; i++) {
        int w = legend_item_w(&legend[i]);
        if (x + w > app->view.width - ren_px(140)) {
            lines++;
            x = ren_px(8);
        }
        x += w;
    }
    return lines;
}

static void legend_draw(struct app *app, int y)
{
    const struct view *v = &app->view;
    int lh = line_h(FONT_SMALL) + ren_px(4);
    int h = legend_lines(app) * lh + ren_px(4);
    ren_rect(0, y, v->width, h, (rgba){236, 236, 232, 255});
    ren_line(0, y, v->width, y, (rgba){190, 190, 190, 255});
    int x = ren_px(8), yy = y + ren_px(4);
    int sw = ren_px(12), fh = ren_font_height(FONT_SMALL);
    for (size_t i = 0; i < NLEGEND; i++) {
        if (i == 2) {
            x += ren_text(FONT_BOLD, x, yy, "blocked on:", COL_TEXT) + ren_px(8);
        }
        int w = legend_item_w(&legend[i]);
        if (x + w > v->width - ren_px(140)) {
            x = ren_px(8);
            yy += lh;
        }
        rgba c = state_color(legend[i].state, legend[i].reason);
        int sy = yy + (fh - sw) / 2;
        ren_rect(x, sy, sw, sw, c);
        enum pattern pat = state_pattern(legend[i].state, legend[i].reason);
        int lum = (c.r * 299 + c.g * 587 + c.b * 114) / 1000;
        if (pat)
            ren_hatch(x, sy, sw, sw, pat,
                      lum > 140 ? (rgba){0, 0, 0, 120} : (rgba){255, 255, 255, 150});
        ren_rect_outline(x, sy, sw, sw, (rgba){90, 90, 90, 255});
        ren_text(FONT_SMALL, x + sw + ren_px(4), yy, legend[i].text, COL_TEXT);
        x += w;
    }
    /* wake arrow and the help hint on the right */
    int ax = v->width - ren_px(132), ay = y + ren_px(4) + fh / 2;
    ren_arrow(ax, ay, ax + ren_px(24), ay, ren_scale() * 1.6f, COL_WAKE);
    ren_text(FONT_SMALL, ax + ren_px(28), y + ren_px(4), "woke   ? keys", COL_TEXT);
}

/* ==== details panel and search bar ========================================================= */

static int details_height(const struct app *app)
{
    if (!app->details_open || app->sel_lane < 0 || (size_t)app->sel_lane >= app->nlanes) return 0;
    return 5 * line_h(FONT_UI) + ren_px(8);
}

static int search_height(const struct app *app)
{
    return app->searching ? line_h(FONT_UI) + ren_px(8) : 0;
}

int panels_bottom_height(const struct app *app)
{
    return details_height(app) + search_height(app) +
           legend_lines(app) * (line_h(FONT_SMALL) + ren_px(4)) + ren_px(4);
}

/* Writes text with '\n' as separate lines, at most max_lines; returns lines drawn. */
static int draw_lines(enum font_id f, int x, int y, int max_w, int max_lines, const char *text,
                      rgba c)
{
    int n = 0, lh = line_h(f);
    const char *p = text;
    while (p && *p && n < max_lines) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        if (len >= sizeof(line)) len = sizeof(line) - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        ren_text_fit(f, x, y + n * lh, max_w, line, c);
        n++;
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

static struct cvz_stats *stats_get(struct app *app);

static void details_draw(struct app *app, int y)
{
    const struct view *v = &app->view;
    const struct cvz_trace *tr = app->trace;
    int h = details_height(app);
    ren_rect(0, y, v->width, h, (rgba){255, 255, 255, 255});
    ren_line(0, y, v->width, y, (rgba){160, 160, 160, 255});
    const struct lane *lane = &app->lanes[app->sel_lane];
    char head[512], body[2048];
    lane_label(app, lane, head, sizeof(head));
    body[0] = '\0';
    int x = ren_px(10), lh = line_h(FONT_UI);
    if (lane->kind == LANE_THREAD) {
        const struct cvz_thread *th = &tr->threads[lane->index];
        char a[32], b[32], r[32], q[32], bl[32];
        fmt_time(app, th->t_start, a, sizeof(a));
        fmt_time(app, th->t_end, b, sizeof(b));
        fmt_dur(th->time_in[CVZ_ST_RUNNING], r, sizeof(r));
        fmt_dur(th->time_in[CVZ_ST_READY], q, sizeof(q));
        fmt_dur(th->time_in[CVZ_ST_BLOCKED], bl, sizeof(bl));
        cvz_ns life = th->t_end - th->t_start;
        double pr = life > 0 ? 100.0 * th->time_in[CVZ_ST_RUNNING] / life : 0;
        double pq = life > 0 ? 100.0 * th->time_in[CVZ_ST_READY] / life : 0;
        double pb = life > 0 ? 100.0 * th->time_in[CVZ_ST_BLOCKED] / life : 0;
        char parent[96] = "";
        if (th->parent >= 0 && (size_t)th->parent < tr->nthreads)
            snprintf(parent, sizeof(parent), ", created by %s %d",
                     tr->threads[th->parent].name ? tr->threads[th->parent].name : "?",
                     tr->threads[th->parent].tid);
        int n = snprintf(body, sizeof(body),
                         "thread %d of pid %d%s, alive %s .. %s\nrunning %s (%.0f%%), ready %s "
                         "(%.0f%%), blocked %s (%.0f%%)\n",
                         th->tid, th->pid, parent, a, b, r, pr, q, pq, bl, pb);
        if (app->sel_kind == SEL_SPAN && app->sel_span >= 0 && (size_t)app->sel_span < th->nspans) {
            char tip[1024];
            const struct cvz_span *sp = &th->spans[app->sel_span];
            if (lane_classes[LANE_THREAD]->hover(app, lane, sp->t0 + (sp->t1 - sp->t0) / 2,
                                                 (int)view_t_to_x(v, sp->t0), tip, sizeof(tip))) {
                /* skip the first line (the thread's name), join the rest */
                char *p = strchr(tip, '\n');
                p = p ? p + 1 : tip;
                for (char *c = p; *c; c++)
                    if (*c == '\n') *c = ' ';
                if (n > 0 && (size_t)n < sizeof(body))
                    snprintf(body + n, sizeof(body) - (size_t)n, "selected: %s", p);
            }
        }
    } else if (lane->kind == LANE_LOCK || lane->kind == LANE_CPU || lane->kind == LANE_PROC) {
        if (lane->kind == LANE_LOCK) {
            const struct cvz_object *o = &tr->objects[lane->index];
            int n = snprintf(body, sizeof(body), "%s in pid %d at 0x%llx: %zu acquisitions%s\n",
                             o->kind < CVZ_OBJ__COUNT ? cvz_obj_kind_names[o->kind] : "object",
                             o->pid, (unsigned long long)o->addr, o->nholds,
                             o->contended ? ", contended" : "");
            /* the same figures as the statistics panel and `conviz report` */
            const struct cvz_stats *st = stats_get(app);
            for (size_t i = 0; st && i < st->nobjects && n > 0 && (size_t)n < sizeof(body); i++) {
                const struct cvz_object_stats *os = &st->objects[i];
                if (os->obj != lane->index) continue;
                char wt[32], wm[32], ht[32], hm[32];
                fmt_dur(os->wait_total, wt, sizeof(wt));
                fmt_dur(os->wait_max, wm, sizeof(wm));
                fmt_dur(os->hold_total, ht, sizeof(ht));
                fmt_dur(os->hold_max, hm, sizeof(hm));
                snprintf(body + n, sizeof(body) - (size_t)n,
                         "%s: %llu acquired, %llu contended (%.0f%%), %llu failed; waited %s "
                         "(max %s), held %s (max %s); %u threads, %llu owner changes",
                         app->has_range ? "in the range" : "in the trace",
                         (unsigned long long)os->acquisitions, (unsigned long long)os->contended,
                         os->contended_pct, (unsigned long long)os->failed, wt, wm, ht, hm,
                         os->nthreads, (unsigned long long)os->owner_changes);
                break;
            }
        } else if (lane->kind == LANE_CPU) {
            const struct cvz_cpu *c = &tr->cpus[lane->index];
            cvz_ns busy = 0;
            for (size_t i = 0; i < c->nruns; i++)
                busy += c->runs[i].t1 - c->runs[i].t0;
            char bd[32];
            fmt_dur(busy, bd, sizeof(bd));
            cvz_ns wall = tr->t_max - tr->t_min;
            snprintf(body, sizeof(body),
                     "%zu runs of traced threads, busy %s (%.0f%% of the trace)", c->nruns, bd,
                     wall > 0 ? 100.0 * busy / wall : 0);
        } else {
            char tip[1024];
            lane_classes[LANE_PROC]->hover(app, lane, v->t0, v->x0, tip, sizeof(tip));
            snprintf(body, sizeof(body), "%s", tip);
        }
    }
    ren_text_fit(FONT_BOLD, x, y + ren_px(4), v->width - 2 * x, head, COL_TEXT);
    draw_lines(FONT_UI, x, y + ren_px(4) + lh, v->width - 2 * x, 4, body, COL_TEXT);
}

static void search_bar_draw(struct app *app, int y)
{
    const struct view *v = &app->view;
    int h = search_height(app);
    ren_rect(0, y, v->width, h, (rgba){255, 250, 220, 255});
    ren_line(0, y, v->width, y, (rgba){160, 160, 160, 255});
    char text[512];
    snprintf(text, sizeof(text),
             "/ %s_     %d match%s   Enter/n: next   N: previous   F: %s lanes   Esc: close",
             app->search, app->search_nhits, app->search_nhits == 1 ? "" : "es",
             app->filter_by_search ? "unfilter" : "filter");
    ren_text_fit(FONT_UI, ren_px(10), y + ren_px(4), v->width - ren_px(20), text, COL_TEXT);
}

void panels_draw_bottom(struct app *app)
{
    const struct view *v = &app->view;
    int y = v->y1;
    int dh = details_height(app);
    if (dh) details_draw(app, y);
    y += dh;
    if (app->searching) search_bar_draw(app, y);
    y += search_height(app);
    legend_draw(app, y);
}

/* ==== search =============================================================================== */

static bool matches(const char *needle, const char *hay)
{
    return needle[0] && hay && strcasestr(hay, needle);
}

bool search_matches_lane(const struct app *app, const struct lane *lane)
{
    if (!app->search[0] || lane->kind == LANE_HEADER || lane->kind == LANE_PROFILE) return false;
    char label[512];
    lane_label(app, lane, label, sizeof(label));
    return matches(app->search, label);
}

/* Hits are numbered: threads (display order), then objects, then processes, then markers. */
static int search_hit_count(const struct app *app, int *counts)
{
    const struct cvz_trace *tr = app->trace;
    int n[4] = {0, 0, 0, 0};
    char label[512];
    for (size_t i = 0; i < tr->nthreads; i++) {
        struct lane l = {LANE_THREAD, (int32_t)i, 0, 0, 0, 0};
        lane_label(app, &l, label, sizeof(label));
        n[0] += matches(app->search, label);
    }
    for (size_t i = 0; i < tr->nobjects; i++)
        n[1] += matches(app->search, tr->objects[i].name);
    for (size_t i = 0; i < tr->nprocs; i++)
        n[2] += matches(app->search, tr->procs[i].cmdline);
    for (size_t i = 0; i < tr->nmarks && n[3] < 100000; i++)
        n[3] += matches(app->search, tr->marks[i].text);
    if (counts) memcpy(counts, n, sizeof(n));
    return n[0] + n[1] + n[2] + n[3];
}

void search_update(struct app *app)
{
    app->search_nhits = app->search[0] ? search_hit_count(app, NULL) : 0;
    app->search_hit = -1;
    if (app->filter_by_search) lanes_build(app);
    app->dirty = true;
}

static void reveal_thread(struct app *app, int32_t ti)
{
    const struct cvz_trace *tr = app->trace;
    int32_t lane_thread = tr->threads[ti].coro_of >= 0 ? tr->threads[ti].coro_of : ti;
    app->thread_hidden[ti] = false;
    app->thread_hidden[lane_thread] = false;
    int32_t p = tr->threads[lane_thread].proc;
    if (p >= 0 && (size_t)p < tr->nprocs) app->proc_collapsed[p] = false;
    lanes_build(app);
}

void search_next(struct app *app, int dir)
{
    const struct cvz_trace *tr = app->trace;
    int counts[4];
    int total = app->search[0] ? search_hit_count(app, counts) : 0;
    app->search_nhits = total;
    if (!total) return;
    int hit = app->search_hit + dir;
    if (hit < 0) hit = total - 1;
    if (hit >= total) hit = 0;
    app->search_hit = hit;
    char label[512];
    int k = hit;
    if (k < counts[0]) {
        for (size_t j = 0; j < tr->nthreads; j++) {
            int32_t i = app->thread_order[j];
            struct lane l = {LANE_THREAD, i, 0, 0, 0, 0};
            lane_label(app, &l, label, sizeof(label));
            if (matches(app->search, label) && k-- == 0) {
                reveal_thread(app, i);
                int li = lane_find(app, LANE_THREAD, i);
                app_select_lane(app, li);
                app_scroll_to_lane(app, li);
                return;
            }
        }
        return;
    }
    k -= counts[0];
    if (k < counts[1]) {
        for (size_t i = 0; i < tr->nobjects; i++) {
            if (matches(app->search, tr->objects[i].name) && k-- == 0) {
                app->object_hidden[i] = false;
                app->show_locks = true;
                if (!tr->objects[i].contended || !tr->objects[i].nholds) app->all_locks = true;
                lanes_build(app);
                int li = lane_find(app, LANE_LOCK, (int32_t)i);
                app_select_lane(app, li);
                app_scroll_to_lane(app, li);
                return;
            }
        }
        return;
    }
    k -= counts[1];
    if (k < counts[2]) {
        for (size_t i = 0; i < tr->nprocs; i++) {
            if (matches(app->search, tr->procs[i].cmdline) && k-- == 0) {
                app->proc_collapsed[i] = false;
                lanes_build(app);
                int li = lane_find(app, LANE_PROC, (int32_t)i);
                app_select_lane(app, li);
                app_scroll_to_lane(app, li);
                return;
            }
        }
        return;
    }
    k -= counts[2];
    for (size_t i = 0; i < tr->nmarks; i++) {
        const struct cvz_mark *m = &tr->marks[i];
        if (matches(app->search, m->text) && k-- == 0) {
            if (m->thread >= 0 && (size_t)m->thread < tr->nthreads) {
                reveal_thread(app, m->thread);
                int li = lane_find(app, LANE_THREAD, m->thread);
                app_select_lane(app, li);
                app_scroll_to_lane(app, li);
            }
            cvz_ns range = app->view.t1 - app->view.t0;
            if (m->t1 > m->t0 && m->t1 - m->t0 > range / 2)
                view_fit(&app->view, m->t0, m->t1);
            else
                view_set(&app->view, m->t0 - range / 2, m->t0 + range / 2);
            return;
        }
    }
}

/* ==== tooltip ============================================================================== */

bool tooltip_text(const struct app *app, int x, int y, char *buf, size_t len)
{
    const struct view *v = &app->view;
    char b[8];
    if (banner_text(app, b, sizeof(b)) && y < panels_top_height(app) &&
        y >= panels_top_height(app) - ren_font_height(FONT_UI) - ren_px(8)) {
        const struct cvz_trace *tr = app->trace;
        size_t off = 0;
        for (size_t i = 0; i < tr->ndiags && i < 12 && off < len; i++) {
            const struct cvz_diag *d = &tr->diags[i];
            int w = snprintf(buf + off, len - off, "line %lld, byte %lld: %s\n", (long long)d->line,
                             (long long)d->offset, d->message ? d->message : "?");
            if (w > 0) off += (size_t)w;
        }
        if (off < len)
            snprintf(buf + off, len - off, "%llu events read, %llu lost, %llu broken sequences%s",
                     (unsigned long long)tr->nevents, (unsigned long long)tr->lost_events,
                     (unsigned long long)tr->broken, tr->truncated ? ", file truncated" : "");
        return true;
    }
    if (x < v->x0 || x >= v->x1) return false;
    int li = lane_at_y(app, y);
    if (li < 0) return false;
    const struct lane *lane = &app->lanes[li];
    return lane_classes[lane->kind]->hover(app, lane, view_x_to_t(v, x + 0.5), x, buf, len);
}

static void box_text(const char *text, int x, int y, int max_w, int width, int height)
{
    /* size the box from the lines */
    int lh = line_h(FONT_UI), w = 0, n = 0;
    const char *p = text;
    while (p && *p && n < 24) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        if (len >= sizeof(line)) len = sizeof(line) - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        int lw = ren_text_width(FONT_UI, line);
        if (lw > w) w = lw;
        n++;
        p = nl ? nl + 1 : NULL;
    }
    if (w > max_w) w = max_w;
    int pad = ren_px(6), bw = w + 2 * pad, bh = n * lh + 2 * pad;
    if (x + bw > width) x = width - bw - 2;
    if (x < 2) x = 2;
    if (y + bh > height) y = height - bh - 2;
    if (y < 2) y = 2;
    ren_rect(x + ren_px(2), y + ren_px(2), bw, bh, (rgba){0, 0, 0, 50});
    ren_rect(x, y, bw, bh, (rgba){255, 255, 240, 250});
    ren_rect_outline(x, y, bw, bh, (rgba){80, 80, 80, 255});
    draw_lines(FONT_UI, x + pad, y + pad, w, n, text, COL_TEXT);
}

/* ==== statistics panel ===================================================================== */

void stats_invalidate(struct app *app)
{
    if (app->stats_cache) cvz_stats_free(app->stats_cache);
    app->stats_cache = NULL;
}

static struct cvz_stats *stats_get(struct app *app)
{
    const struct cvz_trace *tr = app->trace;
    cvz_ns from = app->has_range ? app->range0 : tr->t_min;
    cvz_ns to = app->has_range ? app->range1 : tr->t_max;
    if (app->stats_cache && app->stats_from == from && app->stats_to == to) return app->stats_cache;
    stats_invalidate(app);
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    f.from = from;
    f.to = to;
    app->stats_cache = cvz_stats_compute(tr, &f);
    app->stats_from = from;
    app->stats_to = to;
    return app->stats_cache;
}

static void stats_draw(struct app *app)
{
    const struct view *v = &app->view;
    const struct cvz_trace *tr = app->trace;
    struct cvz_stats *st = stats_get(app);
    int pad = ren_px(12);
    int bx = v->width / 6, by = v->y0 + ren_px(10);
    if (bx > ren_px(120)) bx = ren_px(120);
    int bw = v->width - 2 * bx, bh = v->y1 - by - ren_px(10);
    if (bh < ren_px(100)) return;
    if (st) { /* no taller than its content */
        size_t rows = 5;
        for (size_t i = 0; i < st->nthreads; i++)
            rows += st->threads[i].time_in[CVZ_ST_RUNNING] + st->threads[i].time_in[CVZ_ST_READY] +
                        st->threads[i].time_in[CVZ_ST_BLOCKED] >
                    0;
        for (size_t i = 0; i < st->nobjects; i++)
            rows += st->objects[i].attempts > 0;
        rows += st->ndeadlocks > 0;
        int want = (int)rows * line_h(FONT_UI) + ren_px(60);
        if (want < bh) bh = want;
    }
    ren_rect(bx + ren_px(3), by + ren_px(3), bw, bh, (rgba){0, 0, 0, 60});
    ren_rect(bx, by, bw, bh, COL_PANEL);
    ren_rect_outline(bx, by, bw, bh, (rgba){80, 80, 80, 255});
    int x = bx + pad, y = by + pad, lh = line_h(FONT_UI), ymax = by + bh - pad;
    if (!st) {
        ren_text(FONT_UI, x, y, "statistics: out of memory", COL_TEXT);
        return;
    }
    const struct cvz_stats_summary *s = &st->summary;
    char line[512], a[32], b[32], d[32];
    fmt_time(app, s->from, a, sizeof(a));
    fmt_time(app, s->to, b, sizeof(b));
    fmt_dur(s->wall, d, sizeof(d));
    snprintf(line, sizeof(line), "Statistics: %s %s .. %s (%s)   [t: close, shift-drag: a range]",
             app->has_range ? "selected range" : "whole trace", a, b, d);
    ren_text_fit(FONT_BOLD, x, y, bw - 2 * pad, line, COL_TEXT);
    y += lh + ren_px(4);
    size_t off = 0;
    off += (size_t)snprintf(line, sizeof(line),
                            "parallelism: average %.2f, max %d running threads;  CPU use:",
                            s->avg_parallelism, s->max_parallelism);
    for (int c = 0; c < s->ncpu && s->cpu_busy && off < sizeof(line) - 16; c++)
        off += (size_t)snprintf(line + off, sizeof(line) - off, " cpu%d %.0f%%", c,
                                s->wall > 0 ? 100.0 * s->cpu_busy[c] / s->wall : 0);
    ren_text_fit(FONT_UI, x, y, bw - 2 * pad, line, COL_TEXT);
    y += lh + ren_px(6);

    /* threads: a bar per thread split by state, with the figures */
    int name_w = ren_px(170), bar_w = (bw - 2 * pad - name_w) / 2;
    ren_text(FONT_BOLD, x, y, "thread", COL_TEXT);
    ren_text(FONT_BOLD, x + name_w, y, "time in each state", COL_TEXT);
    ren_text(FONT_BOLD, x + name_w + bar_w + ren_px(10), y,
             "running / ready / blocked (top reason)", COL_TEXT);
    y += lh;
    size_t shown = 0;
    size_t max_threads = (size_t)((ymax - y) / lh) / 2;
    if (max_threads < 3) max_threads = 3;
    for (size_t i = 0; i < st->nthreads && y + lh < ymax; i++) {
        const struct cvz_thread_stats *ts = &st->threads[i];
        if (ts->thread < 0 || (size_t)ts->thread >= tr->nthreads) continue;
        cvz_ns tot =
            ts->time_in[CVZ_ST_RUNNING] + ts->time_in[CVZ_ST_READY] + ts->time_in[CVZ_ST_BLOCKED];
        if (tot <= 0) continue;
        if (shown >= max_threads) {
            ren_text(FONT_UI, x, y, "...", COL_DIM);
            y += lh;
            break;
        }
        const struct cvz_thread *th = &tr->threads[ts->thread];
        snprintf(line, sizeof(line), "%s %d", th->name ? th->name : "?", th->tid);
        ren_text_fit(FONT_UI, x, y, name_w - ren_px(6), line, COL_TEXT);
        int bxp = x + name_w, bhh = lh - ren_px(4);
        int w_run = (int)((double)bar_w * ts->time_in[CVZ_ST_RUNNING] / tot);
        int w_rdy = (int)((double)bar_w * ts->time_in[CVZ_ST_READY] / tot);
        ren_rect(bxp, y + ren_px(1), w_run, bhh, state_color(CVZ_ST_RUNNING, 0));
        ren_rect(bxp + w_run, y + ren_px(1), w_rdy, bhh, state_color(CVZ_ST_READY, 0));
        int bxx = bxp + w_run + w_rdy;
        int top_r = CVZ_R_OTHER;
        for (int r = 0; r < CVZ_R__COUNT; r++) {
            int wr = (int)((double)bar_w * ts->blocked_by[r] / tot);
            ren_rect(bxx, y + ren_px(1), wr, bhh, state_color(CVZ_ST_BLOCKED, r));
            enum pattern pat = state_pattern(CVZ_ST_BLOCKED, r);
            if (pat) ren_hatch(bxx, y + ren_px(1), wr, bhh, pat, (rgba){255, 255, 255, 140});
            bxx += wr;
            if (ts->blocked_by[r] > ts->blocked_by[top_r]) top_r = r;
        }
        ren_rect_outline(bxp, y + ren_px(1), bar_w, bhh, (rgba){150, 150, 150, 255});
        char r1[32], r2[32], r3[32];
        fmt_dur(ts->time_in[CVZ_ST_RUNNING], r1, sizeof(r1));
        fmt_dur(ts->time_in[CVZ_ST_READY], r2, sizeof(r2));
        fmt_dur(ts->time_in[CVZ_ST_BLOCKED], r3, sizeof(r3));
        snprintf(line, sizeof(line), "%.0f%% %s / %.0f%% %s / %.0f%% %s%s%s%s",
                 100.0 * ts->time_in[CVZ_ST_RUNNING] / tot, r1,
                 100.0 * ts->time_in[CVZ_ST_READY] / tot, r2,
                 100.0 * ts->time_in[CVZ_ST_BLOCKED] / tot, r3,
                 ts->time_in[CVZ_ST_BLOCKED] > 0 ? " (" : "",
                 ts->time_in[CVZ_ST_BLOCKED] > 0 ? cvz_reason_names[top_r] : "",
                 ts->time_in[CVZ_ST_BLOCKED] > 0 ? ")" : "");
        ren_text_fit(FONT_UI, bxp + bar_w + ren_px(10), y,
                     bw - 2 * pad - name_w - bar_w - ren_px(10), line, COL_TEXT);
        y += lh;
        shown++;
    }
    y += ren_px(8);
    if (y + 2 * lh >= ymax) return;
    /* objects, most waited-on first */
    int cols[8] = {0, 200, 290, 400, 510, 620, 730, 840};
    const char *heads[8] = {"object",   "acquired", "contended",  "wait total",
                            "wait max", "wait avg", "hold total", "hold max"};
    for (int c = 0; c < 8; c++)
        if (x + ren_px((float)cols[c]) < bx + bw - pad)
            ren_text(FONT_BOLD, x + ren_px((float)cols[c]), y, heads[c], COL_TEXT);
    y += lh;
    for (size_t i = 0; i < st->nobjects && y + lh < ymax; i++) {
        const struct cvz_object_stats *os = &st->objects[i];
        if (os->obj < 0 || (size_t)os->obj >= tr->nobjects || !os->attempts) continue;
        const struct cvz_object *o = &tr->objects[os->obj];
        char f[8][64];
        snprintf(f[0], 64, "%s %s", o->kind < CVZ_OBJ__COUNT ? cvz_obj_kind_names[o->kind] : "?",
                 o->name ? o->name : "?");
        snprintf(f[1], 64, "%llu", (unsigned long long)os->acquisitions);
        snprintf(f[2], 64, "%llu (%.0f%%)", (unsigned long long)os->contended, os->contended_pct);
        fmt_dur(os->wait_total, f[3], 64);
        fmt_dur(os->wait_max, f[4], 64);
        fmt_dur(os->contended ? os->wait_total / (cvz_ns)os->contended : 0, f[5], 64);
        fmt_dur(os->hold_total, f[6], 64);
        fmt_dur(os->hold_max, f[7], 64);
        for (int c = 0; c < 8; c++) {
            int cx = x + ren_px((float)cols[c]);
            int cw = (c < 7 ? x + ren_px((float)cols[c + 1]) : bx + bw - pad) - cx - ren_px(6);
            if (cx < bx + bw - pad) ren_text_fit(FONT_UI, cx, y, cw, f[c], COL_TEXT);
        }
        y += lh;
    }
    if (st->ndeadlocks && y + lh < ymax) {
        snprintf(line, sizeof(line), "%zu deadlock%s in this range (see conviz report)",
                 st->ndeadlocks, st->ndeadlocks == 1 ? "" : "s");
        ren_text(FONT_BOLD, x, y + ren_px(4), line, COL_CURSOR);
    }
}

/* ==== key help ============================================================================= */

static const char *const help_lines[] = {
    "#Move",
    "wheel|zoom at the pointer (over labels: scroll lanes)",
    "drag|pan in time and scroll lanes",
    "w s  + -|zoom in / out",
    "a d  \xE2\x86\x90 \xE2\x86\x92|pan left / right",
    "\xE2\x86\x91 \xE2\x86\x93  PgUp PgDn|scroll lanes",
    "f|fit the selection (range, span or lane)",
    "0|fit the whole trace",
    "Home End|go to the start / end",
    "#Select and measure",
    "click|select a span or lane (details below)",
    "shift-drag|measure a range, shows its duration",
    "r|axis: since start / selection / wall clock",
    "Esc|close panel, clear selection",
    "#Lanes",
    "click process|collapse / expand it (c: selected)",
    "h  H|hide the selected lane / show all",
    "ctrl+\xE2\x86\x91 ctrl+\xE2\x86\x93|move the selected lane",
    "l|locks: contended only / all",
    "k  g|CPU lanes / parallelism graph on/off",
    "e|wake arrows: all / selection only",
    "/|search threads, objects, markers",
    "n N  F|next / previous match, filter lanes",
    "#Panels and replay",
    "t|statistics (whole trace or range)",
    "space|replay: play / pause",
    ". ,|step to the next / previous event",
    "] [|replay faster / slower",
    "j|move the replay cursor to the pointer",
    "x|leave replay",
    "p|presentation mode (large fonts, caption)",
    "?|this help        q: quit",
};

static void help_draw(struct app *app)
{
    const struct view *v = &app->view;
    size_t n = sizeof(help_lines) / sizeof(help_lines[0]);
    int lh = line_h(FONT_UI), pad = ren_px(14);
    int key_w = ren_px(150), desc_w = ren_px(290), col_w = key_w + desc_w;
    int ncols = v->width > 2 * col_w + 3 * pad ? 2 : 1;
    size_t per_col = (n + (size_t)ncols - 1) / (size_t)ncols;
    /* break columns at a section title */
    if (ncols == 2)
        while (per_col < n && help_lines[per_col][0] != '#')
            per_col++;
    int rows = (int)(ncols == 2 ? (per_col > n - per_col ? per_col : n - per_col) : n);
    int bw = ncols * col_w + (ncols + 1) * pad, bh = rows * lh + 2 * pad + lh;
    int bx = (v->width - bw) / 2, by = (v->height - bh) / 2;
    if (by < 0) by = 0;
    ren_rect(0, 0, v->width, v->height, (rgba){0, 0, 0, 60});
    ren_rect(bx, by, bw, bh, COL_PANEL);
    ren_rect_outline(bx, by, bw, bh, (rgba){60, 60, 60, 255});
    ren_text(FONT_BOLD, bx + pad, by + pad / 2, "conviz-view keys", COL_TEXT);
    for (size_t i = 0; i < n; i++) {
        int col = ncols == 2 && i >= per_col ? 1 : 0;
        size_t row = col ? i - per_col : i;
        int x = bx + pad + col * (col_w + pad), y = by + pad + lh + (int)row * lh;
        const char *s = help_lines[i];
        if (s[0] == '#') {
            ren_text(FONT_BOLD, x, y, s + 1, (rgba){0, 90, 150, 255});
            continue;
        }
        const char *bar = strchr(s, '|');
        char key[64];
        size_t kl = bar ? (size_t)(bar - s) : strlen(s);
        if (kl >= sizeof(key)) kl = sizeof(key) - 1;
        memcpy(key, s, kl);
        key[kl] = '\0';
        ren_text_fit(FONT_MONO, x, y, key_w - ren_px(6), key, COL_TEXT);
        if (bar) ren_text_fit(FONT_UI, x + key_w, y, desc_w, bar + 1, COL_TEXT);
    }
}

void panels_draw_overlays(struct app *app)
{
    const struct view *v = &app->view;
    if (app->stats) stats_draw(app);
    if (app->help) {
        help_draw(app);
        return;
    }
    if (app->mouse_in && !(app->drag_button && app->drag_moved)) {
        char tip[4096];
        if (tooltip_text(app, app->mouse_x, app->mouse_y, tip, sizeof(tip)))
            box_text(tip, app->mouse_x + ren_px(14), app->mouse_y + ren_px(16), v->width / 2,
                     v->width, v->height);
    }
}
