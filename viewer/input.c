/* input.c - SDL events -> named actions -> changes of the application state, and the scripted
 * event lists (--events) that tests and the headless export use.
 *
 * DESIGN: one switch turns an SDL event into an action (as lite does); actions only change
 * `struct app` and mark it dirty, the next frame shows the result.  Printable command keys are
 * read from SDL_TEXTINPUT, not SDL_KEYDOWN, so that `?`, `/`, `[` and `+` work on any keyboard
 * layout; keys without a character (arrows, Home, Escape) come from SDL_KEYDOWN.  A script is
 * turned into the very same SDL_Event structures, so a test exercises the real input path.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewer.h"

#define ZOOM_STEP  0.7
#define WHEEL_ZOOM 0.8

/* ==== actions ============================================================================== */

static double pointer_x_or_center(const struct app *app)
{
    const struct view *v = &app->view;
    if (app->mouse_in && app->mouse_x >= v->x0 && app->mouse_x < v->x1) return app->mouse_x;
    return (v->x0 + v->x1) / 2.0;
}

static void scroll_lanes(struct app *app, int dy)
{
    app->view.scroll += dy;
    app_layout(app);
    app->dirty = true;
}

static void fit_selection(struct app *app)
{
    const struct cvz_trace *tr = app->trace;
    struct view *v = &app->view;
    if (app->has_range) {
        view_fit(v, app->range0, app->range1);
    } else if (app->sel_kind == SEL_SPAN && app->sel_thread >= 0 && app->sel_span >= 0) {
        const struct cvz_span *sp = &tr->threads[app->sel_thread].spans[app->sel_span];
        view_fit(v, sp->t0, sp->t1);
    } else if (app->sel_thread >= 0) {
        view_fit(v, tr->threads[app->sel_thread].t_start, tr->threads[app->sel_thread].t_end);
    } else if (app->sel_obj >= 0 && tr->objects[app->sel_obj].nholds) {
        const struct cvz_object *o = &tr->objects[app->sel_obj];
        cvz_ns end = 0;
        for (size_t i = 0; i < o->nholds; i++) {
            cvz_ns e = o->holds[i].t_rel >= 0 ? o->holds[i].t_rel : o->holds[i].t_acq;
            if (e > end) end = e;
        }
        view_fit(v, o->holds[0].t_req, end);
    } else if (app->sel_lane >= 0 && app->lanes[app->sel_lane].kind == LANE_PROC) {
        const struct cvz_process *p = &tr->procs[app->lanes[app->sel_lane].index];
        view_fit(v, p->t_start, p->t_end);
    } else {
        view_fit(v, v->lim0, v->lim1);
    }
}

static void clear_selection(struct app *app)
{
    app->sel_kind = SEL_NONE;
    app->sel_lane = -1;
    app->sel_thread = app->sel_obj = app->sel_cpu = -1;
    app->sel_span = -1;
    app->details_open = false;
    app->has_range = false;
    app_layout(app);
}

static void select_at(struct app *app, int x, int y)
{
    const struct view *v = &app->view;
    /* in replay, a click on the axis moves the cursor */
    if (app->replay && y < v->y0 && y >= v->y0 - axis_height(app) && x >= v->x0) {
        replay_jump(app, view_x_to_t(v, x));
        return;
    }
    int li = lane_at_y(app, y);
    if (li < 0) {
        if (y >= v->y0 && y < v->y1) clear_selection(app);
        return;
    }
    const struct lane *lane = &app->lanes[li];
    if (lane->kind == LANE_PROC) {
        int32_t p = lane->index;
        app->proc_collapsed[p] = !app->proc_collapsed[p];
        lanes_build(app);
        app_select_lane(app, lane_find(app, LANE_PROC, p));
        return;
    }
    app_select_lane(app, li);
    if (lane->kind == LANE_THREAD && x >= v->x0) {
        const struct cvz_thread *th = &app->trace->threads[lane->index];
        ptrdiff_t si = cvz_span_at(th, view_x_to_t(v, x + 0.5));
        if (si >= 0 && (size_t)si < th->nspans) {
            app->sel_kind = SEL_SPAN;
            app->sel_span = si;
        }
    }
}

static void toggle_collapse_selected(struct app *app)
{
    if (app->sel_lane < 0) return;
    const struct lane *l = &app->lanes[app->sel_lane];
    int32_t p = -1;
    if (l->kind == LANE_PROC) p = l->index;
    if (l->kind == LANE_THREAD) p = app->trace->threads[l->index].proc;
    if (p < 0 || (size_t)p >= app->trace->nprocs) return;
    app->proc_collapsed[p] = !app->proc_collapsed[p];
    lanes_build(app);
    app_select_lane(app, lane_find(app, LANE_PROC, p));
}

static void hide_selected(struct app *app)
{
    if (app->sel_lane < 0) return;
    const struct lane *l = &app->lanes[app->sel_lane];
    switch (l->kind) {
    case LANE_THREAD:
        app->thread_hidden[l->index] = true;
        break;
    case LANE_LOCK:
        app->object_hidden[l->index] = true;
        break;
    case LANE_CPU:
        app->cpu_hidden[l->index] = true;
        break;
    case LANE_PROFILE:
        app->show_profile = false;
        break;
    default:
        return;
    }
    clear_selection(app);
    lanes_build(app);
}

static void show_all(struct app *app)
{
    const struct cvz_trace *tr = app->trace;
    memset(app->thread_hidden, 0, tr->nthreads * sizeof(bool));
    memset(app->object_hidden, 0, tr->nobjects * sizeof(bool));
    memset(app->cpu_hidden, 0, (size_t)(tr->ncpu > 0 ? tr->ncpu : 0) * sizeof(bool));
    memset(app->proc_collapsed, 0, tr->nprocs * sizeof(bool));
    app->show_profile = app->show_cpus = app->show_locks = true;
    app->filter_by_search = false;
    lanes_build(app);
}

static void swap_in_order(int32_t *order, size_t n, int32_t a, int32_t b)
{
    size_t ia = n, ib = n;
    for (size_t i = 0; i < n; i++) {
        if (order[i] == a) ia = i;
        if (order[i] == b) ib = i;
    }
    if (ia < n && ib < n) {
        order[ia] = b;
        order[ib] = a;
    }
}

/* Moves the selected lane past its neighbour of the same kind (and process, for threads). */
static void move_selected(struct app *app, int dir)
{
    if (app->sel_lane < 0) return;
    const struct cvz_trace *tr = app->trace;
    const struct lane *l = &app->lanes[app->sel_lane];
    for (int i = app->sel_lane + dir; i >= 0 && (size_t)i < app->nlanes; i += dir) {
        const struct lane *o = &app->lanes[i];
        if (o->kind != l->kind) {
            if (o->kind == LANE_THREAD || o->kind == LANE_LOCK || o->kind == LANE_CPU) continue;
            return; /* a header: the end of the group */
        }
        if (l->kind == LANE_THREAD) {
            if (tr->threads[o->index].coro_of >= 0 || tr->threads[l->index].coro_of >= 0) continue;
            if (tr->threads[o->index].proc != tr->threads[l->index].proc) return;
            swap_in_order(app->thread_order, tr->nthreads, l->index, o->index);
        } else if (l->kind == LANE_LOCK) {
            swap_in_order(app->object_order, tr->nobjects, l->index, o->index);
        } else if (l->kind == LANE_CPU) {
            swap_in_order(app->cpu_order, (size_t)tr->ncpu, l->index, o->index);
        } else {
            return;
        }
        int kind = l->kind;
        int32_t idx = l->index;
        lanes_build(app);
        int nl = lane_find(app, kind, idx);
        app->sel_lane = nl;
        app_scroll_to_lane(app, nl);
        return;
    }
}

static void pan_fraction(struct app *app, double f)
{
    view_pan_px(&app->view, (app->view.x1 - app->view.x0) * f);
}

/* A printable command key. */
static void command_char(struct app *app, char c)
{
    struct view *v = &app->view;
    const struct cvz_trace *tr = app->trace;
    switch (c) {
    case 'w':
    case '+':
    case '=':
        view_zoom_at(v, pointer_x_or_center(app), ZOOM_STEP);
        break;
    case 's':
    case '-':
    case '_':
        view_zoom_at(v, pointer_x_or_center(app), 1.0 / ZOOM_STEP);
        break;
    case 'a':
        pan_fraction(app, -0.125);
        break;
    case 'd':
        pan_fraction(app, 0.125);
        break;
    case 'f':
        fit_selection(app);
        break;
    case '0':
        view_fit(v, v->lim0, v->lim1);
        break;
    case 'r':
        /* since start -> since selection -> wall clock (when the trace has a clock anchor) */
        app->axis_mode = (app->axis_mode + 1) % (app->trace->real_anchor > 0 ? 3 : 2);
        break;
    case 'c':
        toggle_collapse_selected(app);
        break;
    case 'h':
        hide_selected(app);
        break;
    case 'H':
        show_all(app);
        break;
    case 'l':
        app->all_locks = !app->all_locks;
        lanes_build(app);
        break;
    case 'k':
        app->show_cpus = !app->show_cpus;
        lanes_build(app);
        break;
    case 'g':
        app->show_profile = !app->show_profile;
        lanes_build(app);
        break;
    case 'e':
        app->wakes_all = !app->wakes_all;
        break;
    case '/':
        app->searching = true;
        app->search[0] = '\0';
        search_update(app);
        break;
    case 'n':
        search_next(app, 1);
        break;
    case 'N':
        search_next(app, -1);
        break;
    case 'F':
        app->filter_by_search = !app->filter_by_search && app->search[0];
        lanes_build(app);
        break;
    case 't':
        app->stats = !app->stats;
        break;
    case ' ':
        replay_play_pause(app);
        break;
    case '.':
    case '>':
        replay_step(app, 1);
        break;
    case ',':
    case '<':
        replay_step(app, -1);
        break;
    case ']':
        replay_speed(app, 2.0);
        break;
    case '[':
        replay_speed(app, 0.5);
        break;
    case 'j':
        if (!app->replay) replay_toggle(app);
        replay_jump(app, view_x_to_t(v, pointer_x_or_center(app)));
        break;
    case 'x':
        if (app->replay) replay_toggle(app);
        break;
    case 'p':
        app_set_presentation(app, !app->presentation);
        break;
    case '?':
        app->help = !app->help;
        break;
    case 'q':
        app->quit = true;
        break;
    default:
        return;
    }
    (void)tr;
    app->dirty = true;
}

static void key_down(struct app *app, const SDL_KeyboardEvent *k)
{
    struct view *v = &app->view;
    SDL_Keycode sym = k->keysym.sym;
    uint16_t mod = k->keysym.mod | app->script_mod;
    bool ctrl = mod & KMOD_CTRL, shift = mod & KMOD_SHIFT, alt = mod & KMOD_ALT;
    if (app->searching) {
        size_t n = strlen(app->search);
        switch (sym) {
        case SDLK_BACKSPACE:
            while (n > 0 && ((unsigned char)app->search[n - 1] & 0xC0) == 0x80)
                n--; /* a whole UTF-8 character */
            if (n > 0) app->search[n - 1] = '\0';
            search_update(app);
            return;
        case SDLK_RETURN:
        case SDLK_KP_ENTER:
            search_next(app, shift ? -1 : 1);
            app->dirty = true;
            return;
        case SDLK_ESCAPE:
            app->searching = false;
            if (!app->filter_by_search) app->search[0] = '\0';
            app_layout(app);
            app->dirty = true;
            return;
        default:
            if (!ctrl) return; /* characters arrive as text input */
        }
    }
    if (ctrl && sym == SDLK_q) {
        app->quit = true;
        return;
    }
    switch (sym) {
    case SDLK_LEFT:
        pan_fraction(app, -0.125);
        break;
    case SDLK_RIGHT:
        pan_fraction(app, 0.125);
        break;
    case SDLK_UP:
        if (ctrl || alt)
            move_selected(app, -1);
        else
            scroll_lanes(app, -ren_px(22));
        break;
    case SDLK_DOWN:
        if (ctrl || alt)
            move_selected(app, 1);
        else
            scroll_lanes(app, ren_px(22));
        break;
    case SDLK_PAGEUP:
        scroll_lanes(app, -(v->y1 - v->y0) * 9 / 10);
        break;
    case SDLK_PAGEDOWN:
        scroll_lanes(app, (v->y1 - v->y0) * 9 / 10);
        break;
    case SDLK_HOME:
        if (app->replay && shift)
            replay_jump(app, v->lim0);
        else
            view_set(v, v->lim0 - (v->t1 - v->t0) / 40,
                     v->lim0 - (v->t1 - v->t0) / 40 + (v->t1 - v->t0));
        break;
    case SDLK_END:
        if (app->replay && shift)
            replay_jump(app, v->lim1);
        else
            view_set(v, v->lim1 + (v->t1 - v->t0) / 40 - (v->t1 - v->t0),
                     v->lim1 + (v->t1 - v->t0) / 40);
        break;
    case SDLK_ESCAPE:
        if (app->help)
            app->help = false;
        else if (app->stats)
            app->stats = false;
        else if (app->sel_kind != SEL_NONE || app->has_range)
            clear_selection(app);
        else if (app->replay)
            replay_toggle(app);
        break;
    case SDLK_F1:
        app->help = !app->help;
        break;
    case SDLK_KP_PLUS:
        command_char(app, '+');
        break;
    case SDLK_KP_MINUS:
        command_char(app, '-');
        break;
    default:
        return;
    }
    app->dirty = true;
}

static void text_input(struct app *app, const char *text)
{
    if (app->searching) {
        size_t n = strlen(app->search), add = strlen(text);
        if (n + add < sizeof(app->search)) {
            memcpy(app->search + n, text, add + 1);
            search_update(app);
        }
        return;
    }
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p < 128) command_char(app, *p);
}

/* ==== pointer ============================================================================== */

static void pointer_at(struct app *app, int wx, int wy)
{
    app->mouse_x = (int)(wx * app->mouse_scale);
    app->mouse_y = (int)(wy * app->mouse_scale);
    app->mouse_in = true;
}

static void button_down(struct app *app, const SDL_MouseButtonEvent *b)
{
    pointer_at(app, b->x, b->y);
    const struct view *v = &app->view;
    app->drag_button = b->button;
    app->drag_moved = false;
    app->drag_x0 = app->drag_last_x = app->mouse_x;
    app->drag_y0 = app->drag_last_y = app->mouse_y;
    app->drag_shift = b->button == SDL_BUTTON_LEFT &&
                      ((SDL_GetModState() | app->script_mod) & KMOD_SHIFT) &&
                      app->mouse_x >= v->x0 && app->mouse_y >= v->y0 && app->mouse_y < v->y1;
    if (app->drag_shift) {
        app->has_range = true;
        app->range0 = app->range1 = view_x_to_t(v, app->mouse_x);
        stats_invalidate(app);
    }
}

static void pointer_motion(struct app *app, int wx, int wy)
{
    pointer_at(app, wx, wy);
    if (!app->drag_button) return;
    int dx = app->mouse_x - app->drag_last_x, dy = app->mouse_y - app->drag_last_y;
    if (abs(app->mouse_x - app->drag_x0) > 3 || abs(app->mouse_y - app->drag_y0) > 3)
        app->drag_moved = true;
    if (!app->drag_moved) return;
    if (app->drag_shift) {
        cvz_ns a = view_x_to_t(&app->view, app->drag_x0), b = view_x_to_t(&app->view, app->mouse_x);
        app->range0 = a < b ? a : b;
        app->range1 = a < b ? b : a;
    } else {
        view_pan_px(&app->view, -dx);
        if (dy) scroll_lanes(app, -dy);
    }
    app->drag_last_x = app->mouse_x;
    app->drag_last_y = app->mouse_y;
}

static void button_up(struct app *app, const SDL_MouseButtonEvent *b)
{
    pointer_at(app, b->x, b->y);
    if (app->drag_button && !app->drag_moved && b->button == SDL_BUTTON_LEFT) {
        if (app->drag_shift) app->has_range = false; /* a shift-click measures nothing */
        select_at(app, app->mouse_x, app->mouse_y);
    }
    if (app->drag_shift && app->has_range) stats_invalidate(app);
    app->drag_button = 0;
    app->drag_shift = false;
    app->drag_moved = false;
}

static void wheel(struct app *app, const SDL_MouseWheelEvent *w)
{
    const struct view *v = &app->view;
    float wy = w->preciseY != 0 ? w->preciseY : (float)w->y;
    float wx = w->preciseX != 0 ? w->preciseX : (float)w->x;
    if (w->direction == SDL_MOUSEWHEEL_FLIPPED) {
        wy = -wy;
        wx = -wx;
    }
    bool shift = (SDL_GetModState() | app->script_mod) & KMOD_SHIFT;
    if (wx != 0) view_pan_px(&app->view, wx * ren_px(40));
    if (wy == 0) return;
    if (shift || app->mouse_x < v->x0)
        scroll_lanes(app, (int)(-wy * ren_px(66)));
    else
        view_zoom_at(&app->view, app->mouse_x, SDL_pow(WHEEL_ZOOM, wy));
}

void input_event(struct app *app, const SDL_Event *ev)
{
    switch (ev->type) {
    case SDL_QUIT:
        app->quit = true;
        break;
    case SDL_KEYDOWN:
        key_down(app, &ev->key);
        return;
    case SDL_TEXTINPUT:
        text_input(app, ev->text.text);
        break;
    case SDL_MOUSEMOTION:
        pointer_motion(app, ev->motion.x, ev->motion.y);
        break;
    case SDL_MOUSEBUTTONDOWN:
        button_down(app, &ev->button);
        break;
    case SDL_MOUSEBUTTONUP:
        button_up(app, &ev->button);
        break;
    case SDL_MOUSEWHEEL:
        wheel(app, &ev->wheel);
        break;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_LEAVE) app->mouse_in = false;
        break;
    default:
        return;
    }
    app->dirty = true;
}

/* ==== scripts ============================================================================== */

static void send_key(struct app *app, const char *name, char *err, size_t errlen, bool *ok)
{
    uint16_t mod = 0;
    for (;;) { /* modifiers: ctrl+, shift+, alt+ */
        if (strncasecmp(name, "ctrl+", 5) == 0) {
            mod |= KMOD_LCTRL;
            name += 5;
        } else if (strncasecmp(name, "shift+", 6) == 0) {
            mod |= KMOD_LSHIFT;
            name += 6;
        } else if (strncasecmp(name, "alt+", 4) == 0) {
            mod |= KMOD_LALT;
            name += 4;
        } else
            break;
    }
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    if (strlen(name) == 1 && isprint((unsigned char)name[0]) && !(mod & (KMOD_CTRL | KMOD_ALT))) {
        ev.type = SDL_TEXTINPUT;
        ev.text.text[0] = name[0];
        input_event(app, &ev);
        return;
    }
    if (strcasecmp(name, "space") == 0) {
        ev.type = SDL_TEXTINPUT;
        ev.text.text[0] = ' ';
        input_event(app, &ev);
        return;
    }
    SDL_Keycode sym = SDL_GetKeyFromName(name);
    if (sym == SDLK_UNKNOWN) {
        snprintf(err, errlen, "unknown key \"%s\" (use SDL key names: Up, Home, Escape, Return...)",
                 name);
        *ok = false;
        return;
    }
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = sym;
    ev.key.keysym.mod = mod;
    input_event(app, &ev);
}

static void send_button(struct app *app, int type, int x, int y)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = (uint32_t)type;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
    ev.button.clicks = 1;
    ev.button.x = x;
    ev.button.y = y;
    input_event(app, &ev);
}

static void send_motion(struct app *app, int x, int y)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = x;
    ev.motion.y = y;
    input_event(app, &ev);
}

static void send_drag(struct app *app, int x0, int y0, int x1, int y1)
{
    send_motion(app, x0, y0);
    send_button(app, SDL_MOUSEBUTTONDOWN, x0, y0);
    for (int s = 1; s <= 8; s++)
        send_motion(app, x0 + (x1 - x0) * s / 8, y0 + (y1 - y0) * s / 8);
    send_button(app, SDL_MOUSEBUTTONUP, x1, y1);
}

bool input_script(struct app *app, const char *script, char *err, size_t errlen)
{
    char *copy = strdup(script ? script : "");
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = true;
    char *save = NULL;
    for (char *cmd = strtok_r(copy, ";\n", &save); cmd && ok; cmd = strtok_r(NULL, ";\n", &save)) {
        while (isspace((unsigned char)*cmd))
            cmd++;
        if (!*cmd) continue;
        char verb[16] = "", arg[128] = "";
        int a = 0, b = 0, c = 0, d = 0, n;
        double f = 0;
        app_layout(app); /* scripted coordinates refer to the layout of the moment */
        if (sscanf(cmd, "%15s", verb) != 1) continue;
        if (strcmp(verb, "move") == 0 && sscanf(cmd, "move %d %d", &a, &b) == 2) {
            send_motion(app, a, b);
        } else if (strcmp(verb, "click") == 0 && sscanf(cmd, "click %d %d", &a, &b) == 2) {
            send_motion(app, a, b);
            send_button(app, SDL_MOUSEBUTTONDOWN, a, b);
            send_button(app, SDL_MOUSEBUTTONUP, a, b);
        } else if (strcmp(verb, "drag") == 0 &&
                   sscanf(cmd, "drag %d %d %d %d", &a, &b, &c, &d) == 4) {
            send_drag(app, a, b, c, d);
        } else if (strcmp(verb, "shiftdrag") == 0 &&
                   sscanf(cmd, "shiftdrag %d %d %d %d", &a, &b, &c, &d) == 4) {
            app->script_mod = KMOD_LSHIFT;
            send_drag(app, a, b, c, d);
            app->script_mod = 0;
        } else if (strcmp(verb, "wheel") == 0 && sscanf(cmd, "wheel %d %d %lf", &a, &b, &f) == 3) {
            send_motion(app, a, b);
            SDL_Event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = SDL_MOUSEWHEEL;
            ev.wheel.y = (int)f;
            ev.wheel.preciseY = (float)f;
            ev.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
            input_event(app, &ev);
        } else if (strcmp(verb, "key") == 0 && sscanf(cmd, "key %127s", arg) == 1) {
            send_key(app, arg, err, errlen, &ok);
        } else if (strcmp(verb, "text") == 0) {
            const char *t = cmd + 4;
            while (*t == ' ')
                t++;
            SDL_Event ev;
            memset(&ev, 0, sizeof(ev));
            ev.type = SDL_TEXTINPUT;
            snprintf(ev.text.text, sizeof(ev.text.text), "%s", t);
            input_event(app, &ev);
        } else if (strcmp(verb, "tick") == 0 && sscanf(cmd, "tick %d", &a) == 1) {
            /* replay: let `a` milliseconds of wall time pass */
            app->last_tick_ms = 1;
            replay_tick(app, 1 + (uint64_t)(a > 0 ? a : 0));
        } else if (strcmp(verb, "resize") == 0 && sscanf(cmd, "resize %d %d%n", &a, &b, &n) == 2) {
            app_resize(app, a, b, 0);
        } else {
            snprintf(err, errlen,
                     "cannot read the event \"%s\"; events are: move X Y, click X Y, drag X0 Y0 X1 "
                     "Y1, shiftdrag X0 Y0 X1 Y1, wheel X Y N, key NAME, text STRING, tick MS, "
                     "resize W H",
                     cmd);
            ok = false;
        }
    }
    free(copy);
    return ok;
}
