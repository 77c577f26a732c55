/* main.c - conviz-view: command-line options, the window's event loop, and the headless PNG
 * export (--png) that docs, slides, CI and the render tests use.
 *
 * DESIGN: the window waits in SDL_WaitEvent and draws only when the state changed; replay adds
 * an SDL timer that posts one event per frame while playing and is removed when paused.  The
 * PNG path sets SDL_VIDEODRIVER=offscreen itself, so it runs with no display at all, and draws
 * the same frame (app_draw) on a software renderer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL2/SDL_image.h>

#include "viewer.h"

struct options {
    const char *trace, *png, *caption, *events, *dump, *from, *to, *at, *lanes, *wakes;
    int width, height;
    float scale;
    bool stats, presentation, all_locks, show_help;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: conviz-view [OPTIONS] TRACE\n"
            "\n"
            "Shows a conviz trace (or any Chrome Trace Event Format JSON file): thread lanes\n"
            "coloured by state, CPU lanes, lock lanes, wake arrows, statistics and replay.\n"
            "Press ? in the window for every key.\n"
            "\n"
            "options:\n"
            "  --png FILE           draw without a display and write FILE (PNG), then exit\n"
            "  --size WxH           window or picture size (default 1280x800, --png 1600x900)\n"
            "  --from T, --to T     visible range; T is a time since the trace start:\n"
            "                       \"1.5ms\", \"200us\", \"3s\" or nanoseconds\n"
            "  --lanes PAT,...      only lanes whose label contains PAT (or matches a glob\n"
            "                       with * ?); a thread also matches by its tid\n"
            "  --at T               replay cursor at T: what follows it is faded\n"
            "  --stats              open the statistics panel (whole trace, or --from/--to)\n"
            "  --caption TEXT       caption line (default in presentation mode: the command line)\n"
            "  --presentation       large fonts for a projector, with the caption line\n"
            "  --keys               show the key help over the picture\n"
            "  --all-locks          lock lanes for every object, not only contended ones\n"
            "  --wakes MODE         wake arrows: all, selection or none\n"
            "  --scale F            pixel scale, e.g. 2 for a high-DPI picture\n"
            "  --events SCRIPT      input applied before drawing, separated by ';':\n"
            "                       move X Y, click X Y, drag X0 Y0 X1 Y1, shiftdrag X0 Y0 X1 Y1,\n"
            "                       wheel X Y N (N > 0 zooms in), key NAME (a character or an\n"
            "                       SDL key name, e.g. Home, ctrl+Up), text STRING, tick MS,\n"
            "                       resize W H.  In a window, they run after the first frame.\n"
            "  --dump-layout FILE   write lane positions, the time->x mapping and colours to\n"
            "                       FILE (\"-\": stdout) after drawing, for tests\n"
            "  --help               this text\n"
            "\n"
            "examples:\n"
            "  conviz-view trace.json\n"
            "  conviz-view trace.json --png out.png --size 1600x900 --from 10ms --to 20ms\n");
}

static bool parse_size(const char *s, int *w, int *h)
{
    char x;
    return sscanf(s, "%d%c%d", w, &x, h) == 3 && (x == 'x' || x == 'X') && *w >= 200 && *h >= 150 &&
           *w <= 16384 && *h <= 16384;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->scale = 1.0f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **str_opt = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--png") == 0)
            str_opt = &o->png;
        else if (strcmp(a, "--caption") == 0)
            str_opt = &o->caption;
        else if (strcmp(a, "--events") == 0)
            str_opt = &o->events;
        else if (strcmp(a, "--dump-layout") == 0)
            str_opt = &o->dump;
        else if (strcmp(a, "--from") == 0)
            str_opt = &o->from;
        else if (strcmp(a, "--to") == 0)
            str_opt = &o->to;
        else if (strcmp(a, "--at") == 0)
            str_opt = &o->at;
        else if (strcmp(a, "--lanes") == 0)
            str_opt = &o->lanes;
        else if (strcmp(a, "--wakes") == 0)
            str_opt = &o->wakes;
        if (str_opt) {
            if (i + 1 >= argc) {
                fprintf(stderr, "conviz-view: %s needs a value (see --help)\n", a);
                return 2;
            }
            *str_opt = argv[++i];
            continue;
        }
        if (strcmp(a, "--size") == 0) {
            if (i + 1 >= argc || !parse_size(argv[i + 1], &o->width, &o->height)) {
                fprintf(stderr, "conviz-view: --size wants WIDTHxHEIGHT, e.g. 1600x900 (200x150 .. "
                                "16384x16384)\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--scale") == 0) {
            if (i + 1 >= argc || sscanf(argv[i + 1], "%f", &o->scale) != 1 || o->scale < 0.5f ||
                o->scale > 4.0f) {
                fprintf(stderr, "conviz-view: --scale wants a number from 0.5 to 4\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--stats") == 0) {
            o->stats = true;
        } else if (strcmp(a, "--presentation") == 0) {
            o->presentation = true;
        } else if (strcmp(a, "--all-locks") == 0) {
            o->all_locks = true;
        } else if (strcmp(a, "--keys") == 0) {
            o->show_help = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "conviz-view: unknown option %s (see --help)\n", a);
            return 2;
        } else if (o->trace) {
            fprintf(stderr, "conviz-view: one trace at a time (got %s and %s)\n", o->trace, a);
            return 2;
        } else {
            o->trace = a;
        }
    }
    if (!o->trace) {
        usage(stderr);
        return 2;
    }
    if (o->wakes && strcmp(o->wakes, "all") && strcmp(o->wakes, "selection") &&
        strcmp(o->wakes, "none")) {
        fprintf(stderr, "conviz-view: --wakes is all, selection or none\n");
        return 2;
    }
    if (!o->width) {
        o->width = o->png ? 1600 : 1280;
        o->height = o->png ? 900 : 800;
    }
    return 0;
}

static bool parse_time(const char *opt, const char *s, cvz_ns *out)
{
    if (!cvz_parse_ns(s, out)) {
        fprintf(stderr, "conviz-view: %s %s: not a time; write e.g. 1.5ms, 200us, 3s or ns\n", opt,
                s);
        return false;
    }
    return true;
}

/* Splits "a,b,c" into a NULL-terminated array (one allocation). */
static char **split_patterns(const char *s)
{
    size_t n = 1, len = strlen(s);
    for (const char *p = s; *p; p++)
        n += *p == ',';
    char **v = malloc((n + 1) * sizeof(char *) + len + 1);
    if (!v) return NULL;
    char *buf = (char *)(v + n + 1);
    memcpy(buf, s, len + 1);
    size_t k = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        v[k++] = t;
    v[k] = NULL;
    return v;
}

/* Options that set the state of the first frame, shared by the window and --png. */
static bool apply_options(struct app *app, const struct options *o)
{
    const struct cvz_trace *tr = app->trace;
    cvz_ns from = app->view.t0, to = app->view.t1, t;
    if (o->from) {
        if (!parse_time("--from", o->from, &t)) return false;
        from = tr->t_min + t;
    }
    if (o->to) {
        if (!parse_time("--to", o->to, &t)) return false;
        to = tr->t_min + t;
    }
    if (o->from || o->to) {
        if (to <= from) {
            fprintf(stderr, "conviz-view: --to must be after --from\n");
            return false;
        }
        view_set(&app->view, from, to);
        /* --stats over --from/--to: the statistics of the range shown */
        if (o->stats && o->from && o->to) {
            app->has_range = true;
            app->range0 = from;
            app->range1 = to;
        }
    }
    if (o->lanes) {
        app->lane_patterns = split_patterns(o->lanes);
        if (!app->lane_patterns) return false;
    }
    if (o->all_locks) app->all_locks = true;
    if (o->wakes) {
        app->wakes_all = strcmp(o->wakes, "all") == 0;
        if (strcmp(o->wakes, "none") == 0) app->wakes_all = false;
    }
    app->stats = o->stats;
    app->help = o->show_help;
    app->caption_arg = o->caption;
    if (o->presentation) app_set_presentation(app, true);
    if (o->at) {
        if (!parse_time("--at", o->at, &t)) return false;
        replay_jump(app, tr->t_min + t);
    }
    lanes_build(app);
    app_layout(app);
    return true;
}

static bool run_script(struct app *app, const char *script)
{
    if (!script) return true;
    char err[512];
    if (!input_script(app, script, err, sizeof(err))) {
        fprintf(stderr, "conviz-view: --events: %s\n", err);
        return false;
    }
    return true;
}

static bool dump_layout(struct app *app, const char *path)
{
    if (!path) return true;
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "conviz-view: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    app_dump_layout(app, f);
    if (f != stdout)
        fclose(f);
    else
        fflush(stdout);
    return true;
}

/* ==== headless ============================================================================= */

static int run_png(struct cvz_trace *trace, const struct options *o)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    /* the software renderer on a surface needs no video subsystem; start it anyway when it
     * can, for the key-name tables, and carry on when it cannot */
    SDL_Init(SDL_INIT_VIDEO);
    SDL_Renderer *r = NULL;
    SDL_Surface *s = export_surface(o->width, o->height, &r);
    if (!s) {
        fprintf(stderr, "conviz-view: cannot create a %dx%d picture: %s\n", o->width, o->height,
                SDL_GetError());
        SDL_Quit();
        return 1;
    }
    char *err = NULL;
    if (!ren_init(r, o->scale, &err)) {
        fprintf(stderr, "conviz-view: %s\n", err ? err : "cannot start text rendering");
        free(err);
        SDL_DestroyRenderer(r);
        SDL_FreeSurface(s);
        SDL_Quit();
        return 1;
    }
    struct app app;
    int rc = 1;
    if (!app_init(&app, trace, o->width, o->height, o->scale)) {
        fprintf(stderr, "conviz-view: out of memory\n");
    } else if (apply_options(&app, o) && run_script(&app, o->events)) {
        char msg[512];
        if (!export_png(&app, s, r, o->png, msg, sizeof(msg)))
            fprintf(stderr, "conviz-view: %s\n", msg);
        else if (dump_layout(&app, o->dump))
            rc = 0;
    }
    free(app.lane_patterns);
    app_free(&app);
    ren_free();
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    SDL_Quit();
    return rc;
}

/* ==== window =============================================================================== */

static Uint32 replay_timer(Uint32 interval, void *param)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = SDL_USEREVENT;
    SDL_PushEvent(&ev);
    return interval;
}

static float output_scale(SDL_Window *win, SDL_Renderer *r, int *ow, int *oh)
{
    int ww, wh;
    SDL_GetWindowSize(win, &ww, &wh);
    if (SDL_GetRendererOutputSize(r, ow, oh) != 0 || ww <= 0) {
        *ow = ww;
        *oh = wh;
        return 1.0f;
    }
    return (float)*ow / (float)ww;
}

static int run_window(struct cvz_trace *trace, const struct options *o)
{
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        fprintf(stderr,
                "conviz-view: cannot open a display: %s\n"
                "Without a display, write a picture instead: conviz-view %s --png out.png\n",
                SDL_GetError(), o->trace);
        return 1;
    }
    /* With no display SDL 2.26 falls back to its offscreen driver by itself: the window would
     * exist nowhere and the viewer would wait forever.  Only a driver asked for by name may be
     * one without a screen. */
    const char *driver = SDL_GetCurrentVideoDriver();
    const char *asked = getenv("SDL_VIDEODRIVER");
    if (driver && (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy")) &&
        !(asked && strstr(asked, driver))) {
        const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
        fprintf(stderr,
                "conviz-view: cannot open a display: no X11 or Wayland display could be opened "
                "(DISPLAY=%s, WAYLAND_DISPLAY=%s)\n"
                "Without a display, write a picture instead: conviz-view %s --png out.png\n",
                x && *x ? x : "unset", w && *w ? w : "unset", o->trace);
        SDL_Quit();
        return 1;
    }
    char title[512];
    snprintf(title, sizeof(title), "conviz-view - %s", o->trace);
    SDL_Window *win =
        SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o->width, o->height,
                         SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!win) {
        fprintf(stderr, "conviz-view: cannot create a window: %s\n", SDL_GetError());
        SDL_Quit();
        return 1;
    }
    SDL_Renderer *r =
        SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!r) r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        fprintf(stderr, "conviz-view: cannot create a renderer: %s\n", SDL_GetError());
        SDL_DestroyWindow(win);
        SDL_Quit();
        return 1;
    }
    int ow, oh;
    float dpi = output_scale(win, r, &ow, &oh) * o->scale;
    char *err = NULL;
    if (!ren_init(r, dpi, &err)) {
        fprintf(stderr, "conviz-view: %s\n", err ? err : "cannot start text rendering");
        free(err);
        SDL_DestroyRenderer(r);
        SDL_DestroyWindow(win);
        SDL_Quit();
        return 1;
    }
    struct app app;
    int rc = 1;
    if (!app_init(&app, trace, ow, oh, dpi) || !apply_options(&app, o)) goto out;
    app.mouse_scale = (float)ow / (float)(o->width > 0 ? o->width : ow);
    {
        int ww, wh;
        SDL_GetWindowSize(win, &ww, &wh);
        app.mouse_scale = ww > 0 ? (float)ow / (float)ww : 1.0f;
    }
    SDL_StartTextInput();
    SDL_TimerID timer = 0;
    bool script_done = o->events == NULL;
    rc = 0;
    while (!app.quit) {
        if (app.dirty) {
            app_draw(&app);
            SDL_RenderPresent(r);
        }
        if (!script_done) { /* scripted input after the first frame, as a user would */
            script_done = true;
            if (!run_script(&app, o->events)) {
                rc = 2;
                break;
            }
            continue;
        }
        if (app.playing && !timer) {
            app.last_tick_ms = 0;
            timer = SDL_AddTimer(16, replay_timer, NULL);
        } else if (!app.playing && timer) {
            SDL_RemoveTimer(timer);
            timer = 0;
        }
        SDL_Event ev;
        if (!SDL_WaitEvent(&ev)) {
            fprintf(stderr, "conviz-view: %s\n", SDL_GetError());
            rc = 1;
            break;
        }
        do {
            if (ev.type == SDL_USEREVENT) {
                replay_tick(&app, SDL_GetTicks64());
            } else if (ev.type == SDL_WINDOWEVENT &&
                       (ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
                        ev.window.event == SDL_WINDOWEVENT_EXPOSED)) {
                float d = output_scale(win, r, &ow, &oh) * o->scale;
                int ww, wh;
                SDL_GetWindowSize(win, &ww, &wh);
                app.mouse_scale = ww > 0 ? (float)ow / (float)ww : 1.0f;
                app_resize(&app, ow, oh, d);
                app.dirty = true;
            } else {
                input_event(&app, &ev);
            }
        } while (!app.quit && SDL_PollEvent(&ev)); /* drain: one frame for a burst of events */
    }
    if (timer) SDL_RemoveTimer(timer);
    if (o->events) printf("conviz-view: drew %llu frames\n", (unsigned long long)app.frames);
    if (!dump_layout(&app, o->dump)) rc = 1;
out:
    free(app.lane_patterns);
    app_free(&app);
    ren_free();
    SDL_DestroyRenderer(r);
    SDL_DestroyWindow(win);
    SDL_Quit();
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    if (access(o.trace, R_OK) != 0) {
        fprintf(stderr, "conviz-view: cannot open %s: %s\n", o.trace, strerror(errno));
        return 1;
    }
    char *err = NULL;
    struct cvz_trace *trace = cvz_trace_load(o.trace, &err);
    if (!trace) {
        fprintf(stderr, "conviz-view: cannot load %s: %s\n", o.trace,
                err ? err : "no event could be read");
        free(err);
        return 1;
    }
    for (size_t i = 0; i < trace->ndiags && i < 5; i++)
        fprintf(stderr, "conviz-view: %s: line %lld, byte %lld: %s\n", o.trace,
                (long long)trace->diags[i].line, (long long)trace->diags[i].offset,
                trace->diags[i].message ? trace->diags[i].message : "?");
    if (trace->ndiags > 5) fprintf(stderr, "conviz-view: ... %zu problems in all\n", trace->ndiags);
    rc = o.png ? run_png(trace, &o) : run_window(trace, &o);
    cvz_trace_free(trace);
    return rc;
}
