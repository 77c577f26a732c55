/* cvz_names.c - the name tables of the model (event kinds from cvz_events.def, states, reasons,
 * object kinds, wake kinds), time formatting/parsing, and the query helpers.
 */
#include "cvz_model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- event tables ---------------------------------------------------------------------- */

const char *const cvz_event_names[CVZ_EV__COUNT] = {
#define CVZ_EVENT(id, name, ph, args) name,
#include "cvz_events.def"
#undef CVZ_EVENT
};
const char *const cvz_event_phases[CVZ_EV__COUNT] = {
#define CVZ_EVENT(id, name, ph, args) ph,
#include "cvz_events.def"
#undef CVZ_EVENT
};
const char *const cvz_event_args[CVZ_EV__COUNT] = {
#define CVZ_EVENT(id, name, ph, args) args,
#include "cvz_events.def"
#undef CVZ_EVENT
};

/* The reader calls this once per event: a linear scan of ~30 strcmp would cost more than the
 * rest of a line's bookkeeping, so hash the name (FNV-1a) into a small open-addressing table
 * built on first use.  Building it twice from two threads writes the same bytes: harmless, but
 * we still guard it with pthread_once for the sanitizers. */
#include <pthread.h>
#define KIND_HASH_SIZE 128
static int8_t kind_hash[KIND_HASH_SIZE];
static pthread_once_t kind_hash_once = PTHREAD_ONCE_INIT;

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void kind_hash_build(void)
{
    memset(kind_hash, -1, sizeof kind_hash);
    for (int k = 0; k < CVZ_EV__COUNT; k++) {
        uint32_t h = fnv1a(cvz_event_names[k], strlen(cvz_event_names[k])) % KIND_HASH_SIZE;
        while (kind_hash[h] >= 0)
            h = (h + 1) % KIND_HASH_SIZE;
        kind_hash[h] = (int8_t)k;
    }
}

int cvz_event_kind_from_name_len(const char *name, size_t len)
{
    if (!name) return -1;
    pthread_once(&kind_hash_once, kind_hash_build);
    uint32_t h = fnv1a(name, len) % KIND_HASH_SIZE;
    while (kind_hash[h] >= 0) {
        const char *cand = cvz_event_names[kind_hash[h]];
        if (strncmp(cand, name, len) == 0 && cand[len] == '\0') return kind_hash[h];
        h = (h + 1) % KIND_HASH_SIZE;
    }
    return -1;
}

int cvz_event_kind_from_name(const char *name)
{
    return name ? cvz_event_kind_from_name_len(name, strlen(name)) : -1;
}

/* ---- other names ------------------------------------------------------------------------ */

const char *const cvz_state_names[CVZ_ST__COUNT] = {"UNKNOWN", "RUNNING", "READY", "BLOCKED"};
const char *const cvz_reason_names[CVZ_R__COUNT] = {"none", "lock",  "condvar", "sem",   "barrier",
                                                    "join", "sleep", "io",      "child", "other"};
const char *const cvz_obj_kind_names[CVZ_OBJ__COUNT] = {"mutex", "rwlock",  "spin", "condvar",
                                                        "sem",   "barrier", "other"};
const char *const cvz_wake_names[CVZ_WAKE__COUNT] = {"unlock", "post", "signal", "barrier", "join",
                                                     "child",  "fork", "create", "pipe"};

/* ---- time formatting -------------------------------------------------------------------- */

/* Three significant digits in the largest unit that keeps the number >= 1; ASCII "us" so that
 * terminal columns stay aligned (cvz_parse_ns accepts "µs" too). */
char *cvz_format_ns(cvz_ns ns, char *buf, size_t len)
{
    static const char *const units[] = {"ns", "us", "ms", "s"};
    if (!buf || len == 0) return buf;
    const char *sign = "";
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0) sign = "-";
    if (mag < 1000) {
        snprintf(buf, len, "%s%llu ns", sign, (unsigned long long)mag);
        return buf;
    }
    double v = (double)mag;
    int unit = 0;
    while (unit < 3 && v >= 999.5) {
        v /= 1000.0;
        unit++;
    }
    char num[48];
    if (unit == 3 && v >= 999.5)
        snprintf(num, sizeof num, "%.0f", v);
    else if (v < 9.995)
        snprintf(num, sizeof num, "%.2f", v);
    else if (v < 99.95)
        snprintf(num, sizeof num, "%.1f", v);
    else
        snprintf(num, sizeof num, "%.0f", v);
    /* trim "1.50" -> "1.5", "2.00" -> "2" */
    if (strchr(num, '.')) {
        size_t n = strlen(num);
        while (n > 0 && num[n - 1] == '0')
            num[--n] = '\0';
        if (n > 0 && num[n - 1] == '.') num[--n] = '\0';
    }
    snprintf(buf, len, "%s%s %s", sign, num, units[unit]);
    return buf;
}

bool cvz_parse_ns(const char *text, cvz_ns *out)
{
    if (!text) return false;
    while (isspace((unsigned char)*text))
        text++;
    if (!*text) return false;
    char *end;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v)) return false;
    while (isspace((unsigned char)*end))
        end++;
    double mult = 1;
    if (*end == '\0' || strcmp(end, "ns") == 0)
        mult = 1;
    else if (strcmp(end, "us") == 0 || strcmp(end, "\xc2\xb5s") == 0)
        mult = 1e3;
    else if (strcmp(end, "ms") == 0)
        mult = 1e6;
    else if (strcmp(end, "s") == 0)
        mult = 1e9;
    else if (strcmp(end, "min") == 0)
        mult = 60e9;
    else
        return false;
    double ns = v * mult;
    if (!(ns > -9.2e18 && ns < 9.2e18)) return false;
    if (out) *out = (cvz_ns)llround(ns);
    return true;
}

/* ---- queries ---------------------------------------------------------------------------- */

size_t cvz_span_lower(const struct cvz_thread *thread, cvz_ns t)
{
    if (!thread) return 0;
    size_t lo = 0, hi = thread->nspans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (thread->spans[mid].t1 > t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

ptrdiff_t cvz_span_at(const struct cvz_thread *thread, cvz_ns t)
{
    if (!thread) return -1;
    size_t i = cvz_span_lower(thread, t);
    if (i < thread->nspans && thread->spans[i].t0 <= t) return (ptrdiff_t)i;
    /* t == t_end of the last span: still "covered" */
    if (thread->nspans > 0 && t == thread->spans[thread->nspans - 1].t1)
        return (ptrdiff_t)thread->nspans - 1;
    return -1;
}

int32_t cvz_thread_find(const struct cvz_trace *trace, int32_t pid, int32_t tid)
{
    if (!trace) return -1;
    for (size_t i = 0; i < trace->nthreads; i++)
        if (trace->threads[i].pid == pid && trace->threads[i].tid == tid) return (int32_t)i;
    return -1;
}

int32_t cvz_object_find(const struct cvz_trace *trace, const char *name)
{
    if (!trace || !name) return -1;
    for (size_t i = 0; i < trace->nobjects; i++)
        if (trace->objects[i].name && strcmp(trace->objects[i].name, name) == 0) return (int32_t)i;
    return -1;
}
