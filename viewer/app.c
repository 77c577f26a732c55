/* app.c - the application state of conviz-view: creation from a loaded trace, screen layout
 * (caption, banner, axis, lanes, panels), one frame, and the layout dump the render tests read.
 *
 * DESIGN: app_draw draws a whole frame from `struct app` alone; nothing is drawn from an event
 * handler.  The same function serves the window, the PNG export and the benchmark, so the
 * picture a test probes is the picture a user sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewer.h"

static void *xcalloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

bool app_init(struct app *app, struct cvz_trace *trace, int width, int height, float dpi)
{
    memset(app, 0, sizeof(*app));
    app->trace = trace;
    app->dpi = dpi > 0 ? dpi : 1.0f;
    app->scale = app->dpi;
    app->mouse_scale = 1.0f;
    size_t nt = trace->nthreads, no = trace->nobjects, np = trace->nprocs;
    int nc = trace->ncpu > 0 ? trace->ncpu : 0;
    app->thread_order = xcalloc(nt, sizeof(int32_t));
    app->object_order = xcalloc(no, sizeof(int32_t));
    app->cpu_order = xcalloc((size_t)nc, sizeof(int32_t));
    app->proc_collapsed = xcalloc(np, sizeof(bool));
    app->thread_hidden = xcalloc(nt, sizeof(bool));
    app->object_hidden = xcalloc(no, sizeof(bool));
    app->cpu_hidden = xcalloc((size_t)nc, sizeof(bool));
    app->thread_lane = xcalloc(nt, sizeof(int32_t));
    app->obj_max_hold = xcalloc(no, sizeof(cvz_ns));
    app->obj_rows = xcalloc(no, sizeof(uint8_t));
    app->thread_summ = xcalloc(nt, sizeof(struct track_summary));
    app->cpu_summ = xcalloc((size_t)nc, sizeof(struct track_summary));
    if (!app->thread_order || !app->object_order || !app->cpu_order || !app->proc_collapsed ||
        !app->thread_hidden || !app->object_hidden || !app->cpu_hidden || !app->thread_lane ||
        !app->obj_max_hold || !app->obj_rows || !app->thread_summ || !app->cpu_summ)
        return false;
    for (size_t i = 0; i < nt; i++)
        app->thread_order[i] = (int32_t)i;
    for (size_t i = 0; i < no; i++)
        app->object_order[i] = (int32_t)i;
    for (int i = 0; i < nc; i++)
        app->cpu_order[i] = i;
    /* how far back a region or a hold may start and still be visible: lets drawing start
     * with a binary search instead of a scan from the beginning */
    for (size_t i = 0; i < trace->nmarks; i++)
        if (trace->marks[i].kind == CVZ_MARK_REGION &&
            trace->marks[i].t1 - trace->marks[i].t0 > app->max_region)
            app->max_region = trace->marks[i].t1 - trace->marks[i].t0;
    for (size_t i = 0; i < no; i++) {
        const struct cvz_object *o = &trace->objects[i];
        for (size_t k = 0; k < o->nholds; k++) {
            const struct cvz_hold *h = &o->holds[k];
            cvz_ns end =
                h->t_rel >= 0 ? h->t_rel : (h->result == CVZ_ACQ_OK ? trace->t_max : h->t_acq);
            if (end - h->t_req > app->obj_max_hold[i]) app->obj_max_hold[i] = end - h->t_req;
        }
        app->obj_rows[i] = (uint8_t)object_rows(trace, (int32_t)i);
    }
    /* nesting of regions (user.begin/end, foreign B/E and X slices): each depth gets a row
     * under its thread's state bar */
    app->mark_depth = xcalloc(trace->nmarks, 1);
    app->thread_rows = xcalloc(nt, 1);
    cvz_ns *stack = xcalloc(nt * 4, sizeof(cvz_ns));
    uint8_t *sp = xcalloc(nt, 1);
    if (!app->mark_depth || !app->thread_rows || !stack || !sp) {
        free(stack);
        free(sp);
        return false;
    }
    for (size_t i = 0; i < trace->nmarks; i++) {
        const struct cvz_mark *m = &trace->marks[i];
        if (m->kind != CVZ_MARK_REGION || m->thread < 0 || (size_t)m->thread >= nt) continue;
        size_t th = (size_t)m->thread;
        while (sp[th] > 0 && stack[th * 4 + sp[th] - 1] <= m->t0)
            sp[th]--;
        int depth = sp[th] < 4 ? sp[th] : 3;
        app->mark_depth[i] = (uint8_t)depth;
        if (sp[th] < 4) stack[th * 4 + sp[th]++] = m->t1;
        if (depth + 1 > app->thread_rows[th]) app->thread_rows[th] = (uint8_t)(depth + 1);
    }
    free(stack);
    free(sp);
    /* open waits: a thread whose last span is BLOCKED on an object, to the thread's end */
    app->open_first = xcalloc(no + 1, sizeof(size_t));
    if (!app->open_first) return false;
    size_t nopen = 0;
    for (size_t i = 0; i < nt; i++) {
        const struct cvz_thread *th = &trace->threads[i];
        if (!th->nspans) continue;
        const struct cvz_span *last = &th->spans[th->nspans - 1];
        if (last->state == CVZ_ST_BLOCKED && last->obj >= 0 && (size_t)last->obj < no) {
            app->open_first[last->obj + 1]++;
            nopen++;
        }
    }
    for (size_t o = 0; o < no; o++)
        app->open_first[o + 1] += app->open_first[o];
    app->open_waits = xcalloc(nopen, sizeof(struct open_wait));
    size_t *fill = xcalloc(no, sizeof(size_t));
    if (!app->open_waits || !fill) {
        free(fill);
        return false;
    }
    for (size_t i = 0; i < nt; i++) {
        const struct cvz_thread *th = &trace->threads[i];
        if (!th->nspans) continue;
        const struct cvz_span *last = &th->spans[th->nspans - 1];
        if (last->state == CVZ_ST_BLOCKED && last->obj >= 0 && (size_t)last->obj < no) {
            size_t o = (size_t)last->obj;
            /* the wait began where the thread's run of BLOCKED-on-this-object spans began */
            size_t k = th->nspans - 1;
            while (k > 0 && th->spans[k - 1].state == CVZ_ST_BLOCKED &&
                   th->spans[k - 1].obj == last->obj)
                k--;
            app->open_waits[app->open_first[o] + fill[o]++] =
                (struct open_wait){(int32_t)i, th->spans[k].t0, last->t1};
        }
    }
    free(fill);
    for (size_t o = 0; o < no; o++) {
        size_t n = app->open_first[o + 1] - app->open_first[o];
        int rows = app->obj_rows[o] + (int)(n < 4 ? n : 4);
        app->obj_rows[o] = (uint8_t)(rows < 8 ? rows : 8);
    }
    app->show_cpus = true;
    app->show_locks = true;
    /* no thread ever RUNNING (a trace without scheduler states): the graph would be empty */
    app->show_profile = false;
    for (size_t i = 0; i < nt && !app->show_profile; i++)
        app->show_profile = trace->threads[i].time_in[CVZ_ST_RUNNING] > 0;
    app->wakes_all = trace->nwakes <= 5000; /* small traces: every arrow, merged per pixel */
    app->sel_lane = -1;
    app->sel_thread = app->sel_obj = app->sel_cpu = -1;
    app->sel_span = -1;
    app->speed = 0;
    app->view.width = width;
    app->view.height = height;
    app->view.lim0 = trace->t_min;
    app->view.lim1 = trace->t_max > trace->t_min ? trace->t_max : trace->t_min + 1000;
    app->cursor = trace->t_min;
    app_layout(app);
    view_fit(&app->view, app->view.lim0, app->view.lim1);
    lanes_build(app);
    app_layout(app);
    app->dirty = true;
    return true;
}

void app_free(struct app *app)
{
    free(app->lanes);
    free(app->thread_order);
    free(app->object_order);
    free(app->cpu_order);
    free(app->proc_collapsed);
    free(app->thread_hidden);
    free(app->object_hidden);
    free(app->cpu_hidden);
    free(app->thread_lane);
    free(app->obj_max_hold);
    free(app->obj_rows);
    for (size_t i = 0; app->thread_summ && i < app->trace->nthreads; i++)
        track_summary_free(&app->thread_summ[i]);
    for (int i = 0; app->cpu_summ && i < app->trace->ncpu; i++)
        track_summary_free(&app->cpu_summ[i]);
    free(app->thread_summ);
    free(app->mark_depth);
    free(app->open_waits);
    free(app->open_first);
    free(app->thread_rows);
    free(app->cpu_summ);
    stats_invalidate(app);
    lanes_free();
    memset(app, 0, sizeof(*app));
}

const char *app_caption(const struct app *app)
{
    if (app->caption_arg && *app->caption_arg) return app->caption_arg;
    if (app->presentation) return app->trace->caption;
    return NULL;
}

void app_layout(struct app *app)
{
    struct view *v = &app->view;
    int label_w = ren_px(210);
    if (label_w > v->width / 3) label_w = v->width / 3;
    int old_w = v->x1 - v->x0;
    v->x0 = label_w;
    v->x1 = v->width - ren_px(8);
    if (v->x1 <= v->x0 + 10) v->x1 = v->x0 + 10;
    v->y0 = panels_top_height(app) + axis_height(app);
    v->y1 = v->height - panels_bottom_height(app);
    if (v->y1 < v->y0 + 10) v->y1 = v->y0 + 10;
    /* a wider timeline shows the same range, so only the scale changes */
    if (old_w > 0 && old_w != v->x1 - v->x0) view_set(v, v->t0, v->t1);
    int max_scroll = app->content_h - (v->y1 - v->y0);
    if (v->scroll > max_scroll) v->scroll = max_scroll;
    if (v->scroll < 0) v->scroll = 0;
}

void app_resize(struct app *app, int width, int height, float dpi)
{
    app->view.width = width > 100 ? width : 100;
    app->view.height = height > 100 ? height : 100;
    if (dpi > 0 && dpi != app->dpi) {
        app->dpi = dpi;
        app_set_presentation(app, app->presentation);
        return;
    }
    app_layout(app);
    app->dirty = true;
}

void app_set_presentation(struct app *app, bool on)
{
    app->presentation = on;
    app->scale = app->dpi * (on ? 1.6f : 1.0f);
    char *err = NULL;
    if (!ren_set_scale(app->scale, &err)) {
        fprintf(stderr, "conviz-view: %s\n", err ? err : "cannot load fonts");
        free(err);
    }
    lanes_build(app);
    app_layout(app);
    app->dirty = true;
}

void app_select_lane(struct app *app, int li)
{
    app->sel_lane = li;
    app->sel_kind = li >= 0 ? SEL_LANE : SEL_NONE;
    app->sel_thread = app->sel_obj = app->sel_cpu = -1;
    app->sel_span = -1;
    if (li >= 0 && (size_t)li < app->nlanes) {
        const struct lane *l = &app->lanes[li];
        if (l->kind == LANE_THREAD) app->sel_thread = l->index;
        if (l->kind == LANE_LOCK) app->sel_obj = l->index;
        if (l->kind == LANE_CPU) app->sel_cpu = l->index;
    }
    app->details_open = li >= 0;
    app_layout(app);
    app_scroll_to_lane(app, li); /* the details panel may have covered it */
    app->dirty = true;
}

void app_scroll_to_lane(struct app *app, int li)
{
    if (li < 0 || (size_t)li >= app->nlanes) return;
    const struct lane *l = &app->lanes[li];
    int area = app->view.y1 - app->view.y0;
    if (l->y < app->view.scroll)
        app->view.scroll = l->y;
    else if (l->y + l->h > app->view.scroll + area)
        app->view.scroll = l->y + l->h - area;
    app_layout(app);
}

/* The measured range: shaded, with its duration written on it. */
static void range_draw(struct app *app)
{
    if (!app->has_range) return;
    const struct view *v = &app->view;
    double xa = view_t_to_x(v, app->range0), xb = view_t_to_x(v, app->range1);
    if (xb < v->x0 || xa > v->x1) return;
    int a = xa < v->x0 ? v->x0 : (int)xa, b = xb > v->x1 ? v->x1 : (int)xb;
    ren_rect(a, v->y0, b - a + 1, v->y1 - v->y0, (rgba){0, 114, 178, 40});
    ren_rect((int)xa, v->y0, 1, v->y1 - v->y0, (rgba){0, 114, 178, 255});
    ren_rect((int)xb, v->y0, 1, v->y1 - v->y0, (rgba){0, 114, 178, 255});
    char d[40], text[64];
    fmt_dur(app->range1 - app->range0, d, sizeof(d));
    snprintf(text, sizeof(text), "\xE2\x86\x94 %s", d);
    int w = ren_text_width(FONT_BOLD, text), fh = ren_font_height(FONT_BOLD);
    int tx = (a + b) / 2 - w / 2;
    if (tx < v->x0) tx = v->x0;
    if (tx + w > v->x1) tx = v->x1 - w;
    ren_rect(tx - ren_px(4), v->y0 + ren_px(2), w + ren_px(8), fh + ren_px(2),
             (rgba){0, 114, 178, 255});
    ren_text(FONT_BOLD, tx, v->y0 + ren_px(3), text, (rgba){255, 255, 255, 255});
}

void app_draw(struct app *app)
{
    app_layout(app);
    const struct view *v = &app->view;
    ren_rect(0, 0, v->width, v->height, COL_BG);
    axis_grid_draw(app);
    lanes_draw(app);
    range_draw(app);
    replay_draw(app);
    axis_draw(app);
    panels_draw_top(app);
    panels_draw_bottom(app);
    panels_draw_overlays(app);
    app->frames++;
    app->dirty = false;
}

static void print_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 32)
            fputc(' ', out);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

/* Plain lines, one fact each, for the render tests: they place their pixel probes with these
 * instead of comparing whole images. */
void app_dump_layout(const struct app *app, FILE *out)
{
    const struct view *v = &app->view;
    const struct cvz_trace *tr = app->trace;
    fprintf(out, "size %d %d\n", v->width, v->height);
    fprintf(out, "timeline x0 %d x1 %d y0 %d y1 %d\n", v->x0, v->x1, v->y0, v->y1);
    fprintf(out, "view t0 %lld t1 %lld ns_per_px %.6f\n", (long long)v->t0, (long long)v->t1,
            view_ns_per_px(v));
    fprintf(out, "trace t_min %lld t_max %lld threads %zu objects %zu cpus %d wakes %zu\n",
            (long long)tr->t_min, (long long)tr->t_max, tr->nthreads, tr->nobjects, tr->ncpu,
            tr->nwakes);
    fprintf(out, "scroll %d content %d\n", v->scroll, app->content_h);
    for (size_t i = 0; i < app->nlanes; i++) {
        const struct lane *l = &app->lanes[i];
        int y = lane_screen_y(app, l);
        char label[512];
        lane_label(app, l, label, sizeof(label));
        fprintf(out, "lane %s %d y0 %d y1 %d ", lane_classes[l->kind]->name, l->index, y, y + l->h);
        if (l->kind == LANE_THREAD)
            fprintf(out, "tid %d pid %d state_h %d ", tr->threads[l->index].tid,
                    tr->threads[l->index].pid, l->hs);
        fprintf(out, "visible %d label ", y + l->h > v->y0 && y < v->y1);
        print_quoted(out, label);
        fputc('\n', out);
    }
    for (size_t i = 0; i < tr->nthreads; i++) {
        rgba c = thread_color((int32_t)i);
        fprintf(out, "color thread %zu tid %d rgb %d %d %d\n", i, tr->threads[i].tid, c.r, c.g,
                c.b);
    }
    for (int s = CVZ_ST_RUNNING; s < CVZ_ST__COUNT; s++)
        for (int r = 0; r < (s == CVZ_ST_BLOCKED ? CVZ_R__COUNT : 1); r++) {
            rgba c = state_color(s, r);
            fprintf(out, "color state %s %s rgb %d %d %d\n", cvz_state_names[s],
                    s == CVZ_ST_BLOCKED ? cvz_reason_names[r] : "-", c.r, c.g, c.b);
        }
    fprintf(out, "color wake rgb %d %d %d\n", COL_WAKE.r, COL_WAKE.g, COL_WAKE.b);
    fprintf(out, "color banner rgb %d %d %d\n", COL_BANNER.r, COL_BANNER.g, COL_BANNER.b);
    char banner[512];
    bool has_banner = banner_text(app, banner, sizeof(banner));
    fprintf(out, "banner %d ", has_banner);
    print_quoted(out, has_banner ? banner : "");
    fputc('\n', out);
    fprintf(out, "selection lane %d thread %d object %d span %td\n", app->sel_lane, app->sel_thread,
            app->sel_obj, app->sel_span);
    fprintf(out, "range %d %lld %lld\n", app->has_range, (long long)app->range0,
            (long long)app->range1);
    fprintf(out, "search ");
    print_quoted(out, app->search);
    fprintf(out, " hits %d\n", app->search_nhits);
    fprintf(out, "replay %d cursor %lld playing %d\n", app->replay, (long long)app->cursor,
            app->playing);
    fprintf(out, "panels help %d stats %d presentation %d details %d\n", app->help, app->stats,
            app->presentation, app->details_open);
    fprintf(out, "wakes drawn %d hidden %d\n", app->wake_drawn, app->wake_hidden);
}
