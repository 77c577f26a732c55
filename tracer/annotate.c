/* annotate.c - the entry points behind include/conviz.h: thread and object names, user marks and
 * regions, coroutine switches.  Each is a no-op while tracing is off. */
#include <stdio.h>
#include <string.h>

#include "wrap_common.h"

void conviz__name_thread(const char *name);
void conviz__name_object(const void *addr, const char *kind, const char *name);
void conviz__mark(const char *text);
void conviz__begin(const char *text);
void conviz__end(void);
void conviz__coro_switch(unsigned long long id, const char *name);

void conviz__name_thread(const char *name)
{
    if (cvz_active() && name) cvz_w_thread_name(0, name);
}

void conviz__name_object(const void *addr, const char *kind, const char *name)
{
    if (!cvz_active() || !addr || !name || !cvz_enter()) return;
    int k = CVZ_OBJ_OTHER;
    for (int i = 0; kind && i < CVZ_OBJ__COUNT; i++)
        if (strcmp(kind, cvz_w_kind_names[i]) == 0) k = i;
    uint64_t ts = cvz_now();                      /* before the insert, like every declaration */
    cvz_w_seen_insert((uint64_t)(uintptr_t)addr); /* no automatic name after this one */
    cvz_w_declare_named(k, addr, name, NULL, ts);
    cvz_leave();
}

static void text_event(int ev, const char *text)
{
    char args[600], esc[512];
    if (!cvz_active() || !cvz_enter()) return;
    cvz_w_json_str(esc, sizeof esc, text ? text : "");
    snprintf(args, sizeof args, "\"text\":\"%s\"", esc);
    cvz_rec_str((uint16_t)ev, cvz_now(), args);
    cvz_leave();
}

void conviz__mark(const char *text)
{
    text_event(CVZ_EV_USER_MARK, text);
}
void conviz__begin(const char *text)
{
    text_event(CVZ_EV_USER_BEGIN, text);
}

void conviz__end(void)
{
    if (!cvz_active() || !cvz_enter()) return;
    cvz_rec(CVZ_EV_USER_END, 0, cvz_now(), 0, 0, 0, 0);
    cvz_leave();
}

void conviz__coro_switch(unsigned long long id, const char *name)
{
    if (!cvz_active() || !cvz_enter()) return;
    if (name) {
        char args[400], esc[300];
        cvz_w_json_str(esc, sizeof esc, name);
        snprintf(args, sizeof args, "\"to\":%llu,\"name\":\"%s\"", id, esc);
        cvz_rec_str(CVZ_EV_CORO_SWITCH, cvz_now(), args);
    } else {
        cvz_rec(CVZ_EV_CORO_SWITCH, 0, cvz_now(), id, 0, 0, 0);
    }
    cvz_leave();
}

/* The same entry points under the names of the header's inline functions, for callers that look
 * symbols up at run time (ctypes in scenarios/python/_conviz.py). */
void conviz_name_thread(const char *name) __attribute__((alias("conviz__name_thread")));
void conviz_name_object(const void *addr, const char *kind, const char *name)
    __attribute__((alias("conviz__name_object")));
void conviz_mark(const char *text) __attribute__((alias("conviz__mark")));
void conviz_begin(const char *text) __attribute__((alias("conviz__begin")));
void conviz_end(void) __attribute__((alias("conviz__end")));
void conviz_coro_switch(unsigned long long id, const char *name)
    __attribute__((alias("conviz__coro_switch")));
