/* viewer.h - conviz-view internals shared by its files: the drawing layer (ren.c), the view
 * context (view.c), lanes (lanes.c), input (input.c), panels (panels.c), replay (replay.c) and
 * export (export.c).
 *
 * DESIGN: one direction, as in lite and Tracy: SDL events become named actions (input.c), actions
 * change the application state (`struct app`: view range, selection, toggles), and a frame is
 * drawn from that state alone (app_draw).  Every lane is an item of a lane class that supplies its
 * label, its drawing and its hover text over one view context.  Nothing draws every span: each
 * lane is summarised per pixel column (track_columns), so a frame costs O(width x log n) per lane
 * whatever the zoom.  The headless PNG export draws the same frame on a software renderer.
 */
#ifndef CVZ_VIEWER_H
#define CVZ_VIEWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL2/SDL.h>

#include "cvz_model.h"

/* ---- ren.c: the drawing layer ------------------------------------------------------------ */

typedef struct {
    uint8_t r, g, b, a;
} rgba;

enum font_id { FONT_UI = 0, FONT_BOLD, FONT_MONO, FONT_SMALL, FONT_CAPTION, FONT__COUNT };

/* Hatching patterns, so that blocked reasons differ by pattern as well as by colour. */
enum pattern {
    PAT_NONE = 0,
    PAT_DIAG,     /* / lines */
    PAT_BACKDIAG, /* \ lines */
    PAT_CROSS,    /* x */
    PAT_HORIZ,    /* - lines */
    PAT_VERT,     /* | lines */
    PAT_DOTS,     /* dots */
    PAT_GRID,     /* + */
    PAT__COUNT
};

bool ren_init(SDL_Renderer *renderer, float scale, char **err);
bool ren_set_scale(float scale, char **err); /* reloads the fonts at a new size */
void ren_free(void);
float ren_scale(void);
int ren_px(float logical); /* logical pixels -> output pixels at the current scale */
void ren_rect(int x, int y, int w, int h, rgba c);
/* Opaque rectangles collected per colour and drawn at ren_batch_flush (same look, far fewer
 * render calls); flush before drawing anything that must appear above them. */
void ren_batch_rect(int x, int y, int w, int h, rgba c);
void ren_batch_flush(void);
void ren_rect_outline(int x, int y, int w, int h, rgba c);
void ren_line(int x0, int y0, int x1, int y1, rgba c);
void ren_thick_line(float x0, float y0, float x1, float y1, float width, rgba c);
void ren_triangle(float x0, float y0, float x1, float y1, float x2, float y2, rgba c);
void ren_hatch(int x, int y, int w, int h, enum pattern pat, rgba c);
void ren_arrow(float x0, float y0, float x1, float y1, float width, rgba c);
int ren_text(enum font_id font, int x, int y, const char *text, rgba c); /* returns width */
int ren_text_width(enum font_id font, const char *text);
int ren_font_height(enum font_id font);
/* Text cut with "..." so that it fits in max_w pixels; returns the width drawn (0: nothing). */
int ren_text_fit(enum font_id font, int x, int y, int max_w, const char *text, rgba c);
void ren_clip(int x, int y, int w, int h);
void ren_unclip(void);
rgba rgba_mix(rgba a, rgba b, float t);

/* ---- palette (lanes.c) ------------------------------------------------------------------- */

rgba state_color(int state, int reason);
enum pattern state_pattern(int state, int reason);
rgba thread_color(int32_t thread); /* distinct hue per thread, for CPU and lock lanes */
extern const rgba COL_BG, COL_TEXT, COL_DIM, COL_GRID, COL_LABEL_BG, COL_HEADER_BG, COL_SELECT,
    COL_WAKE, COL_BANNER, COL_PANEL, COL_CURSOR;

/* ---- view.c: the view context ------------------------------------------------------------ */

struct view {
    cvz_ns t0, t1;     /* visible time range; t1 > t0 */
    int width, height; /* output size in pixels */
    int x0, x1;        /* timeline area: x0 = right edge of the label column */
    int y0, y1;        /* lanes area (below the axis, above the panels) */
    int scroll;        /* vertical scroll of the lanes in pixels */
    cvz_ns lim0, lim1; /* the trace extent the view may show */
};

double view_t_to_x(const struct view *v, cvz_ns t);
cvz_ns view_x_to_t(const struct view *v, double x);
double view_ns_per_px(const struct view *v);
void view_set(struct view *v, cvz_ns t0, cvz_ns t1);        /* clamps to sane limits */
void view_zoom_at(struct view *v, double x, double factor); /* factor < 1 zooms in */
void view_pan_px(struct view *v, double dx);
void view_fit(struct view *v, cvz_ns a, cvz_ns b); /* with a small margin */

/* ---- lanes ------------------------------------------------------------------------------- */

enum lane_kind {
    LANE_HEADER = 0, /* group title: "CPUs", "Locks" */
    LANE_PROFILE,    /* running/ready threads over time */
    LANE_CPU,
    LANE_PROC, /* process header: pid, command line, collapse */
    LANE_THREAD,
    LANE_LOCK,
    LANE__COUNT
};

enum lane_group { GROUP_CPUS = 0, GROUP_LOCKS, GROUP_MARKS };

struct lane {
    uint8_t kind;  /* enum lane_kind */
    int32_t index; /* cpu, process, thread or object index; header: enum lane_group */
    int y, h;      /* position in the scrolled content (0 = top of the lanes area) */
    int hs;        /* thread lanes: height of the state bar; region rows follow below it */
    int indent;
};

struct app;
struct lane_class {
    const char *name; /* for --dump-layout */
    void (*label)(const struct app *app, const struct lane *lane, char *buf, size_t len);
    void (*draw)(struct app *app, const struct lane *lane, int y);
    /* tooltip text for time t at pixel x; false when nothing is there */
    bool (*hover)(const struct app *app, const struct lane *lane, cvz_ns t, int x, char *buf,
                  size_t len);
};
extern const struct lane_class *const lane_classes[LANE__COUNT];

/* The dominant key of each of many equal time buckets of a track (see lanes.c). */
struct track_summary {
    cvz_ns t0;
    double bucket_ns;
    int nb;
    uint32_t *keys;
    bool tried; /* built, or found not worth building */
};

/* A time-sorted sequence of non-overlapping intervals with a key (0 = nothing there). */
struct track {
    size_t n;
    const void *ctx;
    void (*get)(const void *ctx, size_t i, cvz_ns *t0, cvz_ns *t1, uint32_t *key);
    /* the items' array when each starts with `cvz_ns t0, t1` (spans, CPU runs): the searches
     * then read times directly instead of calling get() */
    const void *base;
    size_t stride;
    /* keys that must stay visible: a column they do not win gets KEY_ACCENT (high bit) */
    uint32_t accent_lo, accent_hi;
    const struct track_summary *summ; /* optional, for zoomed-out views */
};
bool track_summary_build(const struct track *track, struct track_summary *summary);
void track_summary_free(struct track_summary *summary);
typedef void (*track_paint_fn)(void *ud, int x0, int x1, uint32_t key);
/* Paints runs of pixel columns of the timeline area with the dominant key of each column. */
void track_columns(const struct track *track, const struct view *v, track_paint_fn paint, void *ud);
size_t track_lower(const struct track *track, size_t from, cvz_ns t); /* first i with t1 > t */

void lanes_build(struct app *app); /* (re)computes app->lanes from the trace and the toggles */
int lane_find(const struct app *app, int kind, int32_t index); /* lane index or -1 */
int lane_at_y(const struct app *app, int y);                   /* lane under a pixel or -1 */
int lane_screen_y(const struct app *app, const struct lane *lane);
void lanes_draw(struct app *app);
void lanes_free(void); /* per-frame caches of lanes.c */
void wakes_draw(struct app *app);
void lane_label(const struct app *app, const struct lane *lane, char *buf, size_t len);
/* The owner of `obj` at time t (thread index), the number of holders and of waiters, for tooltips.
 */
int object_rows(const struct cvz_trace *trace, int32_t obj);
bool object_shown_contended(const struct app *app, int32_t obj); /* waited on, even if never got */
int32_t object_holder_at(const struct cvz_trace *trace, int32_t obj, cvz_ns t, int *nwaiters,
                         int *nholders);

/* ---- the application state --------------------------------------------------------------- */

enum sel_kind { SEL_NONE = 0, SEL_SPAN, SEL_LANE, SEL_MARK };

struct app {
    struct cvz_trace *trace;
    struct view view;
    float scale; /* output pixels per logical pixel (high-DPI x presentation) */
    float dpi;   /* high-DPI factor alone */
    bool presentation;
    const char *caption_arg;

    /* lanes and their order/visibility */
    struct lane *lanes;
    size_t nlanes, cap_lanes;
    int content_h;
    int32_t *thread_order; /* thread indexes in display order */
    int32_t *object_order;
    int32_t *cpu_order;
    bool *proc_collapsed;
    bool *thread_hidden;
    bool *object_hidden;
    bool *cpu_hidden;
    int32_t *thread_lane; /* thread index -> lane index or -1 (rebuilt with the lanes) */
    char **lane_patterns; /* --lanes: keep lanes whose label matches one; NULL-terminated */
    bool all_locks, show_cpus, show_locks, show_profile, wakes_all;
    int axis_mode; /* axis labels: 0 since the trace start, 1 since the selection, 2 wall clock */

    /* selection */
    int sel_kind;
    int sel_lane; /* lane index of the selection, or -1 */
    int32_t sel_thread, sel_obj, sel_cpu;
    ptrdiff_t sel_span;
    size_t sel_mark;
    bool has_range; /* a measured range (shift-drag) */
    cvz_ns range0, range1;

    /* pointer: positions in output pixels (window coordinates x mouse_scale) */
    float mouse_scale;
    uint16_t script_mod; /* modifiers held by a scripted event (shiftdrag) */
    int mouse_x, mouse_y;
    bool mouse_in;
    int drag_button;
    bool drag_shift, drag_moved;
    int drag_x0, drag_y0, drag_last_x, drag_last_y;

    /* panels */
    bool help, stats, details_open;
    bool searching;
    char search[128];
    int search_hit; /* index of the last hit jumped to */
    int search_nhits;
    bool filter_by_search;
    void *stats_cache; /* struct cvz_stats *, rebuilt when the range changes */
    cvz_ns stats_from, stats_to;

    /* replay */
    bool replay, playing;
    cvz_ns cursor;
    double speed; /* trace ns per wall second */
    uint64_t last_tick_ms;

    /* per-frame caches */
    int wake_hidden;      /* wake arrows not drawn in the last frame (merged or over the limit) */
    int wake_drawn;       /* wake arrows drawn in the last frame */
    cvz_ns max_region;    /* longest user region (marks), to find regions overlapping the view */
    cvz_ns *obj_max_hold; /* per object: longest request->release, to find visible holds */
    uint8_t *obj_rows;    /* per object: holder + waiter rows its lane needs */
    struct track_summary *thread_summ, *cpu_summ; /* built on first use */
    uint8_t *mark_depth; /* per mark: nesting depth of a region in its thread (0..3) */
    /* waits that never got the object (a deadlock, a program killed while waiting): the
     * model has no hold for them, the thread's last span is BLOCKED on the object */
    struct open_wait {
        int32_t thread;
        cvz_ns t0, t1;
    } * open_waits;       /* grouped by object */
    size_t *open_first;   /* per object + 1: open_waits[open_first[o] .. open_first[o + 1]) */
    uint8_t *thread_rows; /* per thread: region rows under its state bar (0..4) */

    bool dirty, quit;
    uint64_t frames;
};

bool app_init(struct app *app, struct cvz_trace *trace, int width, int height, float dpi);
void app_free(struct app *app);
void app_resize(struct app *app, int width, int height, float dpi);
void app_set_presentation(struct app *app, bool on);
void app_layout(struct app *app); /* view areas from size, panels and lanes */
void app_draw(struct app *app);
void app_dump_layout(const struct app *app, FILE *out);
const char *app_caption(const struct app *app);
void app_select_lane(struct app *app, int lane);
void app_scroll_to_lane(struct app *app, int lane);

/* ---- input.c ------------------------------------------------------------------------------ */

void input_event(struct app *app, const SDL_Event *ev);
/* Parses a scripted event list ("wheel 800 300 2; drag 400 300 600 300; key 0; text abc")
 * and applies it through input_event.  False with a message on a syntax error. */
bool input_script(struct app *app, const char *script, char *err, size_t errlen);

/* ---- panels.c ----------------------------------------------------------------------------- */

int panels_top_height(const struct app *app);    /* caption + banner */
int panels_bottom_height(const struct app *app); /* details + search + legend */
void panels_draw_top(struct app *app);
void panels_draw_bottom(struct app *app);
void panels_draw_overlays(struct app *app); /* tooltip, stats, help */
void axis_draw(struct app *app);
void axis_grid_draw(struct app *app);
/* The load warning (truncation, diagnostics, lost events), or false when the trace is clean. */
bool banner_text(const struct app *app, char *buf, size_t len);
int axis_height(const struct app *app);
void search_update(struct app *app);
void search_next(struct app *app, int dir);
bool search_matches_lane(const struct app *app, const struct lane *lane);
void stats_invalidate(struct app *app);
bool tooltip_text(const struct app *app, int x, int y, char *buf, size_t len);

/* ---- replay.c ----------------------------------------------------------------------------- */

void replay_toggle(struct app *app);
void replay_play_pause(struct app *app);
void replay_step(struct app *app, int dir); /* next/previous event */
void replay_speed(struct app *app, double factor);
void replay_jump(struct app *app, cvz_ns t);
bool replay_tick(struct app *app, uint64_t now_ms); /* advances the cursor; true if it moved */
void replay_draw(struct app *app);
void replay_status(const struct app *app, char *buf, size_t len); /* "|| 150 ms (41 ms/s)" */

/* ---- export.c ----------------------------------------------------------------------------- */

/* Draws the app's current state on `surface` (whose software renderer is `renderer` and the one
 * ren_init was given) and writes it as a PNG.  False with a message. */
bool export_png(struct app *app, SDL_Surface *surface, SDL_Renderer *renderer, const char *path,
                char *err, size_t errlen);
/* Creates a software renderer on a surface of w x h (for the PNG export and the benchmark). */
SDL_Surface *export_surface(int w, int h, SDL_Renderer **renderer);

/* ---- small helpers ------------------------------------------------------------------------ */

void fmt_dur(cvz_ns ns, char *buf, size_t len);                        /* "12.3 ms" */
void fmt_time(const struct app *app, cvz_ns t, char *buf, size_t len); /* since trace start */

#endif
