/* replay.c - replay (lecture) mode of conviz-view: a cursor sweeps time, what lies right of it
 * is faded, and the user plays, pauses, steps from event to event, changes speed and jumps.
 *
 * DESIGN: the cursor is only a time in `struct app`; the window's timer (main.c) calls
 * replay_tick with the wall clock, so playing costs one frame per tick and nothing when paused.
 * Speed is trace time per wall second, starting at a tenth of the visible range per second, so
 * that a play always takes ~10 s whatever the zoom; ] and [ double and halve it.
 */
#include <stdio.h>

#include "viewer.h"

static void keep_cursor_visible(struct app *app)
{
    struct view *v = &app->view;
    cvz_ns range = v->t1 - v->t0;
    if (app->cursor > v->t1 - range / 10 || app->cursor < v->t0)
        view_set(v, app->cursor - range * 2 / 10, app->cursor - range * 2 / 10 + range);
}

static void clamp_cursor(struct app *app)
{
    if (app->cursor < app->view.lim0) app->cursor = app->view.lim0;
    if (app->cursor > app->view.lim1) app->cursor = app->view.lim1;
}

void replay_toggle(struct app *app)
{
    app->replay = !app->replay;
    app->playing = false;
    if (app->replay) {
        if (app->cursor < app->view.t0 || app->cursor > app->view.t1)
            app->cursor = app->view.t0 > app->view.lim0 ? app->view.t0 : app->view.lim0;
        if (app->speed <= 0) app->speed = (double)(app->view.t1 - app->view.t0) / 10.0;
        clamp_cursor(app);
    }
    app->dirty = true;
}

void replay_play_pause(struct app *app)
{
    if (!app->replay) replay_toggle(app);
    if (!app->playing && app->cursor >= app->view.lim1) app->cursor = app->view.lim0; /* again */
    app->playing = !app->playing;
    app->last_tick_ms = 0;
    app->dirty = true;
}

void replay_speed(struct app *app, double factor)
{
    if (app->speed <= 0) app->speed = (double)(app->view.t1 - app->view.t0) / 10.0;
    app->speed *= factor;
    if (app->speed < 1) app->speed = 1;
    if (app->speed > 1e13) app->speed = 1e13;
    app->dirty = true;
}

void replay_jump(struct app *app, cvz_ns t)
{
    if (!app->replay) replay_toggle(app);
    app->cursor = t;
    clamp_cursor(app);
    app->dirty = true;
}

bool replay_tick(struct app *app, uint64_t now_ms)
{
    if (!app->replay || !app->playing) return false;
    if (!app->last_tick_ms) {
        app->last_tick_ms = now_ms;
        return false;
    }
    uint64_t dt = now_ms - app->last_tick_ms;
    app->last_tick_ms = now_ms;
    if (!dt) return false;
    app->cursor += (cvz_ns)(app->speed * (double)dt / 1000.0);
    if (app->cursor >= app->view.lim1) {
        app->cursor = app->view.lim1;
        app->playing = false;
    }
    keep_cursor_visible(app);
    app->dirty = true;
    return true;
}

/* The nearest "event" after (dir > 0) or before the cursor: a state change of a thread on
 * screen, a wake or a marker. */
void replay_step(struct app *app, int dir)
{
    const struct cvz_trace *tr = app->trace;
    if (!app->replay) replay_toggle(app);
    app->playing = false;
    cvz_ns cur = app->cursor, best = dir > 0 ? INT64_MAX : INT64_MIN;
    for (size_t l = 0; l < app->nlanes; l++) {
        if (app->lanes[l].kind != LANE_THREAD) continue;
        const struct cvz_thread *th = &tr->threads[app->lanes[l].index];
        if (!th->nspans) continue;
        if (dir > 0) {
            size_t i = cvz_span_lower(th, cur);
            if (i >= th->nspans) continue;
            cvz_ns t = th->spans[i].t0 > cur ? th->spans[i].t0 : th->spans[i].t1;
            if (t > cur && t < best) best = t;
        } else {
            size_t i = cvz_span_lower(th, cur - 1);
            cvz_ns t = INT64_MIN;
            if (i < th->nspans && th->spans[i].t0 < cur)
                t = th->spans[i].t0;
            else if (i > 0 && i <= th->nspans)
                t = th->spans[i - 1].t1 < cur ? th->spans[i - 1].t1 : th->spans[i - 1].t0;
            if (t < cur && t > best) best = t;
        }
    }
    /* wakes (sorted by arrival) */
    size_t lo = 0, hi = tr->nwakes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->wakes[mid].t_to <= cur)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (dir > 0 && lo < tr->nwakes && tr->wakes[lo].t_to < best) best = tr->wakes[lo].t_to;
    if (dir < 0) {
        size_t k = lo;
        while (k > 0 && tr->wakes[k - 1].t_to >= cur)
            k--;
        if (k > 0 && tr->wakes[k - 1].t_to > best) best = tr->wakes[k - 1].t_to;
    }
    if (best == INT64_MAX || best == INT64_MIN) return;
    app->cursor = best;
    clamp_cursor(app);
    keep_cursor_visible(app);
    app->dirty = true;
}

void replay_draw(struct app *app)
{
    if (!app->replay) return;
    const struct view *v = &app->view;
    double xc = view_t_to_x(v, app->cursor);
    int x = xc < v->x0 ? v->x0 : xc > v->x1 ? v->x1 : (int)xc;
    /* the future, faded */
    ren_rect(x + 1, v->y0, v->x1 - x, v->y1 - v->y0, (rgba){COL_BG.r, COL_BG.g, COL_BG.b, 205});
    if (xc >= v->x0 && xc <= v->x1) {
        ren_rect(x - ren_px(1), v->y0, ren_px(2) > 1 ? ren_px(2) : 2, v->y1 - v->y0, COL_CURSOR);
        ren_triangle(x - ren_px(6), v->y0, x + ren_px(6), v->y0, x, v->y0 + ren_px(8), COL_CURSOR);
    }
    /* the cursor's time and the speed are written in the axis corner (axis_draw) */
}

void replay_status(const struct app *app, char *buf, size_t len)
{
    char t[32], sp[32];
    fmt_time(app, app->cursor, t, sizeof(t));
    fmt_dur((cvz_ns)app->speed, sp, sizeof(sp));
    snprintf(buf, len, "%s %s  (%s/s)", app->playing ? "\xE2\x96\xB6" : "\xE2\x80\x96", t, sp);
}
