/* view.c - the view context of conviz-view: the visible time range, the time <-> pixel mapping,
 * zoom and pan, and the time formats the axis, tooltips and panels share.
 *
 * DESIGN: the mapping is computed in double from (t0, t1, x0, x1) every time, so there is no
 * cached ns-per-pixel to go stale.  view_set is the single place that clamps a range: at least
 * 100 ns wide (below that nothing the tracer records is resolved), at most a few times the trace
 * extent, and never outside +-2^62 ns, so absurd timestamps (1e18 ns) cannot overflow the maths.
 */
#include <math.h>
#include <stdio.h>

#include "viewer.h"

#define MIN_RANGE_NS 100
#define ABS_LIMIT    ((cvz_ns)1 << 62)

double view_ns_per_px(const struct view *v)
{
    int w = v->x1 - v->x0;
    return (double)(v->t1 - v->t0) / (w > 0 ? w : 1);
}

double view_t_to_x(const struct view *v, cvz_ns t)
{
    return v->x0 + (double)(t - v->t0) / view_ns_per_px(v);
}

cvz_ns view_x_to_t(const struct view *v, double x)
{
    double t = (double)v->t0 + (x - v->x0) * view_ns_per_px(v);
    if (t > (double)ABS_LIMIT) return ABS_LIMIT;
    if (t < -(double)ABS_LIMIT) return -ABS_LIMIT;
    return (cvz_ns)llround(t);
}

void view_set(struct view *v, cvz_ns t0, cvz_ns t1)
{
    if (t1 < t0) {
        cvz_ns tmp = t0;
        t0 = t1;
        t1 = tmp;
    }
    cvz_ns extent = v->lim1 - v->lim0;
    if (extent < MIN_RANGE_NS) extent = MIN_RANGE_NS;
    cvz_ns max_range = extent > ABS_LIMIT / 4 ? ABS_LIMIT : extent * 4;
    if (t1 - t0 < MIN_RANGE_NS) {
        cvz_ns mid = t0 / 2 + t1 / 2;
        t0 = mid - MIN_RANGE_NS / 2;
        t1 = t0 + MIN_RANGE_NS;
    }
    if (t1 - t0 > max_range) {
        cvz_ns mid = t0 / 2 + t1 / 2;
        t0 = mid - max_range / 2;
        t1 = t0 + max_range;
    }
    /* keep some of the trace on screen: do not pan further than one screen beyond its ends */
    cvz_ns range = t1 - t0;
    if (t1 < v->lim0 + range / 8) {
        t1 = v->lim0 + range / 8;
        t0 = t1 - range;
    }
    if (t0 > v->lim1 - range / 8) {
        t0 = v->lim1 - range / 8;
        t1 = t0 + range;
    }
    v->t0 = t0;
    v->t1 = t1;
}

void view_zoom_at(struct view *v, double x, double factor)
{
    if (factor <= 0) return;
    /* the time under x stays under x: t0' = tx - (x - x0) * nspp', t1' = t0' + w * nspp' */
    double nspp = view_ns_per_px(v);
    double tx = (double)v->t0 + (x - v->x0) * nspp;
    double nspp2 = nspp * factor;
    int w = v->x1 - v->x0;
    double t0 = tx - (x - v->x0) * nspp2;
    double t1 = t0 + w * nspp2;
    if (t1 - t0 < MIN_RANGE_NS) return; /* at the limit: keep the view as it is */
    view_set(v, (cvz_ns)llround(t0), (cvz_ns)llround(t1));
}

void view_pan_px(struct view *v, double dx)
{
    cvz_ns d = (cvz_ns)llround(dx * view_ns_per_px(v));
    view_set(v, v->t0 + d, v->t1 + d);
}

void view_fit(struct view *v, cvz_ns a, cvz_ns b)
{
    if (b < a) {
        cvz_ns tmp = a;
        a = b;
        b = tmp;
    }
    cvz_ns margin = (b - a) / 40;
    if (margin < 10) margin = 10;
    view_set(v, a - margin, b + margin);
}

/* ==== time formats ========================================================================= */

void fmt_dur(cvz_ns ns, char *buf, size_t len)
{
    const char *sign = ns < 0 ? "-" : "";
    double a = fabs((double)ns);
    if (a < 1e3)
        snprintf(buf, len, "%s%.0f ns", sign, a);
    else if (a < 1e6)
        snprintf(buf, len, "%s%.*f us", sign, a < 1e4 ? 2 : a < 1e5 ? 1 : 0, a / 1e3);
    else if (a < 1e9)
        snprintf(buf, len, "%s%.*f ms", sign, a < 1e7 ? 2 : a < 1e8 ? 1 : 0, a / 1e6);
    else if (a < 1e12)
        snprintf(buf, len, "%s%.3f s", sign, a / 1e9);
    else
        snprintf(buf, len, "%s%.0f s", sign, a / 1e9);
}

void fmt_time(const struct app *app, cvz_ns t, char *buf, size_t len)
{
    fmt_dur(t - app->trace->t_min, buf, len);
}
