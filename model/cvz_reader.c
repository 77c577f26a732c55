/* cvz_reader.c - reads a Chrome-format JSON trace (conviz's own or another producer's) into
 * compact raw events, then hands them to cvz_derive().
 *
 * DESIGN: the file is walked value by value with cJSON_ParseWithLengthOpts (which parses one
 * value and says where it ended), skipping the array's '[' ',' ']' between values.  That single
 * loop reads the conviz form (one event per line, maybe without the final ']', maybe cut
 * mid-line), a whole array on one line, pretty-printed arrays and JSON Lines; an object with a
 * "traceEvents" array (the JSON Object form) is iterated in place.  A value that does not parse
 * is reported (byte offset and line) and skipped up to the next line starting with '{', so one
 * broken line never loses the rest.  Files in the conviz line form are split at a line boundary
 * and parsed by two threads (cJSON per line is ~100 MB/s per core); CONVIZ_LOAD_THREADS=1 in the
 * environment forces one (the benchmark compares both); CONVIZ_LOAD_TIMING=1 prints the time
 * spent parsing and deriving to stderr.  The file is mmap'ed and the
 * pages already parsed are dropped as we go, so the trace text never sits in memory whole.
 */
#include "cvz_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TS_LIMIT_US        1e15 /* |ts| and dur beyond ~31 years are absurd: skipped or clamped */
#define PARALLEL_MIN_BYTES (4u << 20)
#define DROP_CHUNK         (4u << 20) /* parsed text dropped every 4 MB: it counts in RSS */

#define JMAX_FIELDS 24

struct jfield {
    const char *key;
    uint32_t klen;
    char type;     /* 's' string, 'n' number, 't' true, 'f' false, 'z' null */
    bool nul;      /* `s` is NUL-terminated already (cJSON) */
    const char *s; /* string value, or a number's text (NULL when it came from cJSON) */
    uint32_t slen;
    double num;
};

struct jobj {
    struct jfield f[JMAX_FIELDS];
    int n;
};

struct jev {
    struct jobj top, args;
    bool has_args;
    char *arena;
    size_t cap, used;
};

/* ---- diagnostics ----------------------------------------------------------------------- */

struct local_diag {
    int64_t offset, line;
    char *message;
};

/* One parser's state: a byte range of the text, its raw events and its own diagnostics. */
struct parser {
    const char *text;   /* the whole document */
    size_t begin, end;  /* this parser's byte range */
    int64_t first_line; /* 1-based line number at `begin` (0 = unknown: fixed up after) */
    struct cvz_raw_set set;
    struct local_diag diags[CVZ_MAX_DIAGS];
    size_t ndiags;
    uint64_t ndiag_total;
    uint64_t nevents;
    bool truncated;
    bool mapped;      /* drop parsed pages (the text is a private file mapping) */
    int64_t end_line; /* line number where this parser stopped */
    size_t end_pos;   /* byte offset where it stopped */
    size_t dropped;   /* bytes before this offset were dropped */
    struct jev ev;    /* the event being read */
    /* first unknown name, for the summary */
    char unknown_example[48];
    int64_t unknown_line;
};

static void pdiag(struct parser *p, int64_t offset, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void pdiag(struct parser *p, int64_t offset, int64_t line, const char *fmt, ...)
{
    p->ndiag_total++;
    if (p->ndiags >= CVZ_MAX_DIAGS) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    struct local_diag *d = &p->diags[p->ndiags++];
    d->offset = offset;
    d->line = line;
    d->message = strdup(buf);
}

void cvz_diag_add(struct cvz_trace *trace, int64_t offset, int64_t line, const char *fmt, ...)
{
    if (trace->ndiags >= CVZ_MAX_DIAGS) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!trace->diags) trace->diags = calloc(CVZ_MAX_DIAGS, sizeof *trace->diags);
    if (!trace->diags) return;
    struct cvz_diag *d = &trace->diags[trace->ndiags++];
    d->offset = offset;
    d->line = line;
    d->message = strdup(buf);
}

/* ---- growing arrays -------------------------------------------------------------------- */

void cvz_raw_release(struct cvz_raw_set *s)
{
    free(s->order[0]);
    free(s->order[1]);
    s->order[0] = s->order[1] = NULL;
    if (s->map_bytes)
        munmap(s->raw, s->map_bytes);
    else
        free(s->raw);
    s->raw = NULL;
    s->nraw = s->capraw = s->nraw0 = s->gap = s->map_bytes = 0;
}

static struct cvz_raw *raw_push(struct cvz_raw_set *s)
{
    if (s->nraw == s->capraw) {
        if (s->fixed) return NULL;
        size_t cap = s->capraw ? s->capraw + s->capraw / 2 : 4096;
        struct cvz_raw *n = realloc(s->raw, cap * sizeof *n);
        if (!n) return NULL;
        s->raw = n;
        s->capraw = cap;
    }
    struct cvz_raw *r = &s->raw[s->nraw++];
    memset(r, 0, sizeof *r);
    r->b = -1;
    return r;
}

static int32_t extra_push(struct cvz_raw_set *s, const char *s1, const char *s2)
{
    if (s->nextras == s->capextras) {
        size_t cap = s->capextras ? s->capextras * 2 : 64;
        struct cvz_extra *n = realloc(s->extras, cap * sizeof *n);
        if (!n) return -1;
        s->extras = n;
        s->capextras = cap;
    }
    if (s->nextras >= INT32_MAX) return -1;
    struct cvz_extra *e = &s->extras[s->nextras];
    memset(e, 0, sizeof *e);
    e->s1 = s1 ? strdup(s1) : NULL;
    e->s2 = s2 ? strdup(s2) : NULL;
    return (int32_t)s->nextras++;
}

/* ---- the event view ---------------------------------------------------------------------
 *
 * An event is seen through a `struct jev`: its top-level fields and the fields of its "args",
 * as slices of the text.  The fast scanner below fills it straight from the text for the flat
 * objects conviz writes (no allocation, no escapes, "args" one level deep); anything else
 * (escaped strings, arrays, deeper objects, the Object form) goes through cJSON and is copied
 * into the same view.  Strings handed out are NUL-terminated copies in a per-event arena. */

static inline const struct jfield *jfind_n(const struct jobj *o, const char *key, size_t kl)
{
    if (!o) return NULL;
    for (int i = 0; i < o->n; i++)
        if (o->f[i].klen == kl && o->f[i].key[0] == key[0] && memcmp(o->f[i].key, key, kl) == 0)
            return &o->f[i];
    return NULL;
}
/* every key is a literal ("" key "" refuses anything else): its length is known at compile time */
#define jfind(o, key) jfind_n((o), "" key "", sizeof(key) - 1)

static bool jev_reserve(struct jev *e, size_t need)
{
    e->used = 0;
    if (need <= e->cap) return true;
    char *n = realloc(e->arena, need);
    if (!n) return false;
    e->arena = n;
    e->cap = need;
    return true;
}

static const char *field_cstr(struct jev *e, const struct jfield *f)
{
    if (f->nul) return f->s;
    if (e->used + f->slen + 1 > e->cap) return NULL; /* cannot happen: reserved per event */
    char *d = e->arena + e->used;
    memcpy(d, f->s, f->slen);
    d[f->slen] = '\0';
    e->used += f->slen + 1;
    return d;
}

static const char *jstr_n(struct jev *e, const struct jobj *o, const char *key, size_t kl)
{
    const struct jfield *f = jfind_n(o, key, kl);
    return f && f->type == 's' ? field_cstr(e, f) : NULL;
}

/* A number, or a string holding one (decimal or 0x hex), as a double; false when absent. */
static bool jnum_field(struct jev *e, const struct jfield *f, double *out)
{
    if (!f) return false;
    if (f->type == 'n') {
        if (!isfinite(f->num)) return false;
        *out = f->num;
        return true;
    }
    if (f->type == 't' || f->type == 'f') {
        *out = f->type == 't';
        return true;
    }
    if (f->type != 's' || f->slen == 0) return false;
    const char *str = field_cstr(e, f);
    if (!str) return false;
    char *end;
    double d;
    if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X'))
        d = (double)strtoull(str, &end, 16);
    else
        d = strtod(str, &end);
    if (*end || !isfinite(d)) return false;
    *out = d;
    return true;
}

#define jstr(e, o, key) jstr_n((e), (o), "" key "", sizeof(key) - 1)

static int64_t jint_n(struct jev *e, const struct jobj *o, const char *key, size_t kl, int64_t dflt)
{
    double d;
    if (!jnum_field(e, jfind_n(o, key, kl), &d)) return dflt;
    if (d >= 9.2e18) return INT64_MAX;
    if (d <= -9.2e18) return INT64_MIN;
    return (int64_t)d;
}
#define jint(e, o, key, dflt) jint_n((e), (o), "" key "", sizeof(key) - 1, (dflt))

static const int64_t pow10_i[19] = {1,
                                    10,
                                    100,
                                    1000,
                                    10000,
                                    100000,
                                    1000000,
                                    10000000,
                                    100000000,
                                    1000000000,
                                    10000000000,
                                    100000000000,
                                    1000000000000,
                                    10000000000000,
                                    100000000000000,
                                    1000000000000000,
                                    10000000000000000,
                                    100000000000000000,
                                    1000000000000000000};

/* A time in microseconds (as "ts" and "dur" are) to nanoseconds, exactly when the text is a
 * plain decimal ("81234567.890"), else through the double.  `us` gets the value too. */
static bool jns_n(struct jev *e, const struct jobj *o, const char *key, size_t kl, int64_t *ns,
                  double *us)
{
    const struct jfield *f = jfind_n(o, key, kl);
    if (!jnum_field(e, f, us)) return false;
    *ns = 0;
    if (fabs(*us) > 9e15) return true; /* the caller rejects it */
    if (f->type == 'n' && f->s) {
        const char *c = f->s, *end = f->s + f->slen;
        bool neg = c < end && *c == '-';
        if (neg) c++;
        int64_t mant = 0;
        int digits = 0, dec = -1;
        for (; c < end; c++) {
            if (*c == '.') {
                dec = 0;
                continue;
            }
            if (*c < '0' || *c > '9' || digits >= 18) break;
            mant = mant * 10 + (*c - '0');
            digits++;
            if (dec >= 0) dec++;
        }
        if (c == end) {
            if (dec < 0) dec = 0;
            int64_t v = dec <= 3 ? mant * pow10_i[3 - dec]
                                 : (mant + pow10_i[dec - 3] / 2) / pow10_i[dec - 3];
            *ns = neg ? -v : v;
            return true;
        }
    }
    *ns = (int64_t)llround(*us * 1000.0);
    return true;
}

#define jns(e, o, key, ns, us) jns_n((e), (o), "" key "", sizeof(key) - 1, (ns), (us))

/* ---- the fast scanner ------------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static const char *scan_string(const char *p, const char *end, const char **s, uint32_t *len)
{
    /* keys and values are short: a byte loop beats two memchr calls */
    const char *q = p + 1;
    while (q < end && *q != '"' && *q != '\\')
        q++;
    if (q >= end || *q != '"' || q - (p + 1) > (ptrdiff_t)(UINT32_MAX / 2)) return NULL;
    *s = p + 1;
    *len = (uint32_t)(q - (p + 1));
    return q + 1;
}

static const double pow10_d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const char *scan_number(const char *p, const char *end, struct jfield *f)
{
    const char *q = p;
    bool neg = false, simple = true;
    if (q < end && *q == '-') {
        neg = true;
        q++;
    }
    uint64_t mant = 0;
    int digits = 0, dec = 0;
    const char *ds = q;
    for (; q < end && *q >= '0' && *q <= '9'; q++, digits++)
        mant = mant * 10 + (uint64_t)(*q - '0');
    if (q == ds) return NULL;
    if (q < end && *q == '.') {
        const char *fs = ++q;
        for (; q < end && *q >= '0' && *q <= '9'; q++, digits++, dec++)
            mant = mant * 10 + (uint64_t)(*q - '0');
        if (q == fs) return NULL;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        simple = false;
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        const char *es = q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == es) return NULL;
    }
    f->type = 'n';
    f->s = p;
    f->slen = (uint32_t)(q - p);
    if (simple && digits <= 15 && dec <= 22) {
        /* both operands exact: one correctly rounded division */
        double v = (double)mant / pow10_d[dec];
        f->num = neg ? -v : v;
    } else {
        char buf[64];
        size_t n = (size_t)(q - p) < sizeof buf - 1 ? (size_t)(q - p) : sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        f->num = strtod(buf, NULL);
    }
    return q;
}

/* Scan a flat JSON object (with "args" one level deep) into `o`; NULL when it is anything the
 * fast path does not take (then cJSON decides). */
static const char *scan_object(const char *p, const char *end, struct jobj *o, struct jev *e,
                               int depth)
{
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return p + 1;
    for (;;) {
        if (p >= end || *p != '"' || o->n >= JMAX_FIELDS) return NULL;
        struct jfield *f = &o->f[o->n];
        p = scan_string(p, end, &f->key, &f->klen);
        if (!p) return NULL;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return NULL;
        p = skip_ws(p + 1, end);
        if (p >= end) return NULL;
        f->nul = false;
        switch (*p) {
        case '"':
            f->type = 's';
            p = scan_string(p, end, &f->s, &f->slen);
            break;
        case 't':
            f->type = 't';
            p = end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
            break;
        case 'f':
            f->type = 'f';
            p = end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
            break;
        case 'n':
            f->type = 'z';
            p = end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
            break;
        case '{':
            if (depth > 0 || f->klen != 4 || memcmp(f->key, "args", 4) != 0 || e->has_args)
                return NULL;
            e->has_args = true;
            p = scan_object(p, end, &e->args, e, depth + 1);
            f->type = 'z'; /* the object itself is reached through e->args */
            break;
        default:
            p = (*p == '-' || (*p >= '0' && *p <= '9')) ? scan_number(p, end, f) : NULL;
            break;
        }
        if (!p) return NULL;
        o->n++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') return p + 1;
        return NULL;
    }
}

/* The same view from an object cJSON parsed. */
static void jobj_from_cjson(struct jobj *o, const cJSON *obj, struct jev *e, int depth)
{
    o->n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        if (o->n >= JMAX_FIELDS || !c->string) break;
        struct jfield *f = &o->f[o->n];
        f->key = c->string;
        f->klen = (uint32_t)strlen(c->string);
        f->nul = true;
        f->s = NULL;
        f->slen = 0;
        if (cJSON_IsString(c)) {
            f->type = 's';
            f->s = c->valuestring;
            f->slen = (uint32_t)strlen(c->valuestring);
        } else if (cJSON_IsNumber(c)) {
            f->type = 'n';
            f->num = c->valuedouble;
        } else if (cJSON_IsBool(c)) {
            f->type = cJSON_IsTrue(c) ? 't' : 'f';
        } else if (cJSON_IsNull(c)) {
            f->type = 'z';
        } else if (cJSON_IsObject(c) && depth == 0 && strcmp(c->string, "args") == 0 &&
                   !e->has_args) {
            e->has_args = true;
            jobj_from_cjson(&e->args, c, e, 1);
            f->type = 'z';
        } else {
            continue; /* arrays, deeper objects: not used */
        }
        o->n++;
    }
}

static int32_t clamp32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* Object ids: "0x55d0c3a4e040" (hex string) or a plain number. */
#define jaddr(e, o, key) jaddr_n((e), (o), "" key "", sizeof(key) - 1)
static uint64_t jaddr_n(struct jev *e, const struct jobj *o, const char *key, size_t kl)
{
    const struct jfield *f = jfind_n(o, key, kl);
    if (!f) return 0;
    if (f->type == 's' && f->slen > 2 && f->slen <= 18 && f->s[0] == '0' &&
        (f->s[1] == 'x' || f->s[1] == 'X')) {
        uint64_t v = 0;
        for (uint32_t i = 2; i < f->slen; i++) {
            char c = f->s[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) return 0;
            v = v << 4 | (uint64_t)d;
        }
        return v;
    }
    if (f->type == 's') {
        const char *str = field_cstr(e, f);
        return str ? strtoull(str, NULL, 0) : 0;
    }
    if (f->type == 'n' && f->num >= 0 && f->num < 1.8e19) return (uint64_t)f->num;
    return 0;
}

static uint8_t acq_result(const char *res)
{
    if (!res || strcmp(res, "ok") == 0) return CVZ_ACQ_OK;
    if (strcmp(res, "busy") == 0) return CVZ_ACQ_BUSY;
    if (strcmp(res, "timeout") == 0) return CVZ_ACQ_TIMEOUT;
    if (strcmp(res, "eintr") == 0) return CVZ_ACQ_EINTR;
    return CVZ_ACQ_ERROR;
}

static uint8_t block_reason(const char *r)
{
    if (!r) return CVZ_R_OTHER;
    for (int i = 1; i < CVZ_R__COUNT; i++)
        if (strcmp(r, cvz_reason_names[i]) == 0) return (uint8_t)i;
    return CVZ_R_OTHER;
}

static uint8_t fn_class(const char *fn)
{
    if (!fn) return CVZ_FN_OTHER;
    static const char *const reads[] = {"read", "readv", "recv", "recvfrom", "recvmsg", "pread"};
    static const char *const writes[] = {"write", "writev", "send", "sendto", "sendmsg", "pwrite"};
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++)
        if (strcmp(fn, reads[i]) == 0) return CVZ_FN_READ;
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++)
        if (strcmp(fn, writes[i]) == 0) return CVZ_FN_WRITE;
    return CVZ_FN_OTHER;
}

static uint8_t obj_kind(const char *k)
{
    if (!k) return CVZ_OBJ_OTHER;
    for (int i = 0; i < CVZ_OBJ__COUNT; i++)
        if (strcmp(k, cvz_obj_kind_names[i]) == 0) return (uint8_t)i;
    if (strcmp(k, "semaphore") == 0) return CVZ_OBJ_SEM;
    if (strcmp(k, "spinlock") == 0) return CVZ_OBJ_SPIN;
    return CVZ_OBJ_OTHER;
}

/* ---- one event -------------------------------------------------------------------------- */

static void ingest(struct parser *p, struct jev *e, int64_t offset, int64_t line)
{
    const struct jobj *ev = &e->top;
    const char *name = jstr(e, ev, "name");
    const char *ph = jstr(e, ev, "ph");
    const char *cat = jstr(e, ev, "cat");
    bool cvz_cat = cat && strncmp(cat, "cvz", 3) == 0 && (cat[3] == '\0' || cat[3] == '.');
    if (cat && strcmp(cat, "cvz.state") == 0) return; /* derived by `conviz record`: re-derived */
    int kind = name ? cvz_event_kind_from_name(name) : -1;
    char phase = ph && ph[0] && !ph[1] ? ph[0] : '?';

    if (kind == CVZ_EV_PROCESS_NAME || kind == CVZ_EV_THREAD_NAME) {
        if (phase != 'M') kind = -1;
    } else if (kind >= 0 && !cvz_cat) {
        kind = -1; /* a foreign event that happens to share a name */
    }
    if (kind < 0) {
        if (phase == 'M') return; /* sort indexes and other metadata: nothing to show */
        if (cvz_cat || !strchr("XBEiIR", phase)) {
            p->set.nunknown++;
            if (!p->unknown_example[0]) {
                snprintf(p->unknown_example, sizeof p->unknown_example, "%s (ph %s)",
                         name ? name : "(no name)", ph ? ph : "none");
                p->unknown_line = line;
            }
            return;
        }
        kind = CVZ_EV_FOREIGN;
    }

    double ts_us = 0;
    int64_t ts_ns = 0;
    if (!jns(e, ev, "ts", &ts_ns, &ts_us)) {
        if (phase != 'M') {
            pdiag(p, offset, line, "event \"%s\" has no numeric \"ts\": skipped", name ? name : "");
            return;
        }
    }
    if (fabs(ts_us) > TS_LIMIT_US) {
        pdiag(p, offset, line, "event \"%s\": ts %.17g us is out of range: skipped",
              name ? name : "", ts_us);
        return;
    }
    int64_t pid = jint(e, ev, "pid", 0), tid = jint(e, ev, "tid", pid);
    if (pid < INT32_MIN || pid > INT32_MAX || tid < INT32_MIN || tid > INT32_MAX) {
        pdiag(p, offset, line, "event \"%s\": pid/tid out of range: skipped", name ? name : "");
        return;
    }
    const struct jobj *args = e->has_args ? &e->args : NULL;

    struct cvz_raw *r = raw_push(&p->set);
    if (!r) {
        pdiag(p, offset, line, "out of memory: event skipped");
        return;
    }
    p->nevents++;
    r->ts = ts_ns;
    r->pid = (int32_t)pid;
    r->tid = (int32_t)tid;
    r->kind = (uint8_t)kind;
    if (cvz_cat) p->set.saw_cvz = true;

    double d;
    switch (kind) {
    case CVZ_EV_PROCESS_NAME:
    case CVZ_EV_THREAD_NAME:
        r->b = extra_push(&p->set, jstr(e, args, "name"), NULL);
        break;
    case CVZ_EV_PROCESS_START: {
        const char *via = jstr(e, args, "via");
        r->sub = via && strcmp(via, "fork") == 0   ? CVZ_VIA_FORK
                 : via && strcmp(via, "exec") == 0 ? CVZ_VIA_EXEC
                                                   : CVZ_VIA_START;
        r->b = extra_push(&p->set, jstr(e, args, "cmdline"), jstr(e, args, "exe"));
        if (r->b >= 0) {
            struct cvz_extra *x = &p->set.extras[r->b];
            const char *sched = jstr(e, args, "sched");
            x->n[0] = jint(e, args, "ppid", 0);
            x->n[1] = jint(e, args, "ncpu", 0);
            x->n[2] = !sched                       ? CVZ_SCHED_NONE
                      : strcmp(sched, "perf") == 0 ? CVZ_SCHED_PERF
                      : strcmp(sched, "proc") == 0 ? CVZ_SCHED_PROC
                                                   : CVZ_SCHED_NONE;
            x->n[3] = jint(e, args, "version", 1);
            x->n[4] = jint(e, args, "mono_ns", 0);
            x->n[5] = jint(e, args, "real_ns", 0);
        }
        break;
    }
    case CVZ_EV_LOST:
        r->a = jint(e, args, "count", 0);
        if (r->a < 0) r->a = 0;
        break;
    case CVZ_EV_PROCESS_FORK:
    case CVZ_EV_THREAD_CREATE:
        r->obj = (uint64_t)jint(e, args, "child", 0);
        break;
    case CVZ_EV_PROCESS_EXEC:
        r->b = extra_push(&p->set, jstr(e, args, "path"), jstr(e, args, "argv"));
        break;
    case CVZ_EV_PROCESS_SPAWN:
        r->obj = (uint64_t)jint(e, args, "child", 0);
        r->b = extra_push(&p->set, jstr(e, args, "path"), jstr(e, args, "how"));
        break;
    case CVZ_EV_PROCESS_EXIT: {
        const char *how = jstr(e, args, "how");
        r->a = jint(e, args, "status", -1);
        r->b = clamp32(jint(e, args, "signal", 0));
        r->sub = !how                         ? 0
                 : strcmp(how, "_exit") == 0  ? 1
                 : strcmp(how, "signal") == 0 ? 2
                 : strcmp(how, "killed") == 0 ? 3
                                              : 0;
        break;
    }
    case CVZ_EV_THREAD_START:
        r->obj = (uint64_t)jint(e, args, "parent", 0);
        break;
    case CVZ_EV_THREAD_DETACH:
        r->obj = (uint64_t)jint(e, args, "target", 0);
        break;
    case CVZ_EV_RUNNING:
    case CVZ_EV_FOREIGN: {
        d = 0;
        int64_t dur_ns = 0;
        if (jns(e, ev, "dur", &dur_ns, &d) && (d < 0 || d > TS_LIMIT_US)) {
            pdiag(p, offset, line, "event \"%s\": dur %.17g us is absurd: clamped",
                  name ? name : "", d);
            dur_ns = d < 0 ? 0 : (int64_t)(TS_LIMIT_US * 1000);
        }
        r->a = dur_ns;
        if (kind == CVZ_EV_RUNNING) {
            const char *out = jstr(e, args, "out");
            int64_t cpu = jint(e, args, "cpu", -1);
            r->b = cpu < 0 || cpu > 4095 ? -1 : (int32_t)cpu;
            r->sub = !out                          ? CVZ_OUT_UNKNOWN
                     : strcmp(out, "preempt") == 0 ? CVZ_OUT_PREEMPT
                     : strcmp(out, "block") == 0   ? CVZ_OUT_BLOCK
                     : strcmp(out, "exit") == 0    ? CVZ_OUT_EXIT
                     : strcmp(out, "open") == 0    ? CVZ_OUT_OPEN
                                                   : CVZ_OUT_UNKNOWN;
        } else {
            p->set.saw_foreign = true;
            r->sub = (uint8_t)phase;
            r->b = extra_push(&p->set, name, NULL);
        }
        break;
    }
    case CVZ_EV_SCHED_SAMPLE: {
        const char *st = jstr(e, args, "state");
        r->sub = st && st[0] ? (uint8_t)st[0] : '?';
        int64_t cpu = jint(e, args, "cpu", -1);
        r->b = cpu < 0 || cpu > 4095 ? -1 : (int32_t)cpu;
        r->a = jint(e, args, "runtime_ns", 0);
        r->obj = (uint64_t)jint(e, args, "run_delay_ns", 0);
        break;
    }
    case CVZ_EV_OBJ_DECLARE:
        r->obj = jaddr(e, args, "obj");
        r->sub = obj_kind(jstr(e, args, "kind"));
        r->b = extra_push(&p->set, jstr(e, args, "name"), jstr(e, args, "shared"));
        break;
    case CVZ_EV_OBJ_DESTROY:
    case CVZ_EV_COND_SIGNAL:
    case CVZ_EV_COND_BROADCAST:
    case CVZ_EV_BARRIER_WAIT:
        r->obj = jaddr(e, args, "obj");
        break;
    case CVZ_EV_LOCK_REQUEST:
    case CVZ_EV_LOCK_ACQUIRE:
    case CVZ_EV_LOCK_RELEASE: {
        const char *mode = jstr(e, args, "mode");
        r->obj = jaddr(e, args, "obj");
        if (mode && mode[0] == 'r') r->flags |= CVZ_RAW_MODE_R;
        if (kind == CVZ_EV_LOCK_REQUEST) break;
        r->sub = kind == CVZ_EV_LOCK_ACQUIRE ? acq_result(jstr(e, args, "res")) : 0;
        r->a =
            kind == CVZ_EV_LOCK_ACQUIRE ? jint(e, args, "wait_ns", 0) : jint(e, args, "hold_ns", 0);
        if (r->a < 0 || r->a > (int64_t)(TS_LIMIT_US * 1000)) r->a = 0;
        int64_t depth = jint(e, args, "depth", kind == CVZ_EV_LOCK_ACQUIRE ? 1 : 0);
        r->sub2 = depth < 0 ? 0 : depth > 255 ? 255 : (uint8_t)depth;
        int64_t count = jint(e, args, "count", -1);
        r->b = count < 0 ? -1 : clamp32(count);
        break;
    }
    case CVZ_EV_COND_WAIT:
    case CVZ_EV_COND_WAKE:
        r->obj = jaddr(e, args, "obj");
        r->a = (int64_t)jaddr(e, args, "mutex");
        if (kind == CVZ_EV_COND_WAIT)
            r->sub = jint(e, args, "timed", 0) != 0;
        else
            r->sub = acq_result(jstr(e, args, "res"));
        break;
    case CVZ_EV_BARRIER_LEAVE:
        r->obj = jaddr(e, args, "obj");
        r->sub = jint(e, args, "serial", 0) != 0;
        break;
    case CVZ_EV_BLOCK_BEGIN:
    case CVZ_EV_BLOCK_END: {
        r->sub = block_reason(jstr(e, args, "reason"));
        r->sub2 = fn_class(jstr(e, args, "fn"));
        if (kind == CVZ_EV_BLOCK_BEGIN) {
            r->obj = jaddr(e, args, "inode");
            int64_t fd = jint(e, args, "fd", -1);
            r->b = clamp32(fd);
            if (r->sub == CVZ_R_JOIN || r->sub == CVZ_R_CHILD)
                r->a = jint(e, args, "target", 0);
            else if (r->sub == CVZ_R_SLEEP)
                r->a = jint(e, args, "ns", 0);
            else
                r->a = fd;
        } else {
            r->a = jint(e, args, "res", 0);
            r->obj = (uint64_t)jint(e, args, "target", 0);
            r->b = clamp32(jint(e, args, "status", 0));
        }
        break;
    }
    case CVZ_EV_USER_MARK:
    case CVZ_EV_USER_BEGIN:
        r->b = extra_push(&p->set, jstr(e, args, "text"), NULL);
        break;
    case CVZ_EV_USER_END:
        break;
    case CVZ_EV_CORO_SWITCH: {
        int64_t to = jint(e, args, "to", 0);
        r->obj = to < 0 ? 0 : (uint64_t)to;
        const char *cname = jstr(e, args, "name");
        r->b = cname ? extra_push(&p->set, cname, NULL) : -1;
        break;
    }
    default:
        break;
    }
}

/* ---- the value loop ---------------------------------------------------------------------- */

static size_t count_newlines(const char *s, size_t n)
{
    size_t c = 0;
    const char *end = s + n;
    while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        c++;
        s++;
    }
    return c;
}

/* Release the pages of the mapping we are done with, so the file's text never counts whole in
 * our memory (a private read-only mapping: the pages just come back from the page cache if
 * touched again). */
static void maybe_drop(struct parser *p, size_t pos)
{
    if (!p->mapped || pos < p->dropped + DROP_CHUNK) return;
    long pg = sysconf(_SC_PAGESIZE);
    size_t upto = pos & ~((size_t)pg - 1);
    if (upto >= p->dropped + DROP_CHUNK) {
        size_t from = (p->dropped + (size_t)pg - 1) & ~((size_t)pg - 1);
        if (from < upto) madvise((void *)(p->text + from), upto - from, MADV_DONTNEED);
        p->dropped = upto;
    }
}

/* An event cJSON parsed (the slow path): copied into the view, then ingested. */
static void ingest_cjson(struct parser *p, const cJSON *ev, int64_t offset, int64_t line)
{
    if (!cJSON_IsObject(ev)) {
        pdiag(p, offset, line, "not an event object: skipped");
        return;
    }
    struct jev *e = &p->ev;
    e->has_args = false;
    e->args.n = 0;
    jobj_from_cjson(&e->top, ev, e, 0);
    jev_reserve(e, 0); /* cJSON strings are NUL-terminated: no copies */
    ingest(p, e, offset, line);
}

static void parse_range(struct parser *p)
{
    const char *t = p->text;
    size_t pos = p->begin, end = p->end;
    int64_t line = p->first_line;
    bool object_form = false;
    if (pos == 0 && end >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0) pos = 3; /* a UTF-8 BOM */
    if (pos <= 3 && p->begin == 0) {
        /* The Object form {"traceEvents": [...], ...}: read the array's events one by one like
         * lines (a whole-document parse would need ~12x the file in memory), stop at its end. */
        size_t i = pos;
        while (i < end && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
            i++;
        static const char key[] = "\"traceEvents\"";
        size_t scan = end - i < 4096 ? end - i : 4096;
        const char *tev = i < end && t[i] == '{' ? memmem(t + i, scan, key, sizeof key - 1) : NULL;
        if (tev) {
            size_t q = (size_t)(tev - t) + sizeof key - 1;
            while (q < end && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r' || t[q] == '\n'))
                q++;
            if (q < end && t[q] == ':') {
                q++;
                while (q < end && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r' || t[q] == '\n'))
                    q++;
                if (q < end && t[q] == '[') {
                    line += (int64_t)count_newlines(t, q);
                    pos = q + 1;
                    object_form = true;
                }
            }
        }
    }
    while (pos < end) {
        char c = t[pos];
        if (c == '\n') {
            line++;
            pos++;
            continue;
        }
        if (c == ']' && object_form) break; /* the end of traceEvents: the rest is metadata */
        if (c == ' ' || c == '\t' || c == '\r' || c == ',' || c == '[' || c == ']') {
            pos++;
            continue;
        }
        if (c == '{') {
            struct jev *e = &p->ev;
            e->top.n = e->args.n = 0;
            e->has_args = false;
            const char *fast = scan_object(t + pos, t + end, &e->top, e, 0);
            if (fast && jev_reserve(e, (size_t)(fast - (t + pos)) + 1)) {
                ingest(p, e, (int64_t)pos, line);
                size_t next = (size_t)(fast - t);
                line += (int64_t)count_newlines(t + pos, next - pos);
                pos = next;
                maybe_drop(p, pos);
                continue;
            }
            const char *ret = NULL;
            cJSON *v = cJSON_ParseWithLengthOpts(t + pos, end - pos, &ret, false);
            if (v && ret && ret > t + pos) {
                const cJSON *events = cJSON_GetObjectItemCaseSensitive(v, "traceEvents");
                const cJSON *ev;
                if (cJSON_IsArray(events)) {
                    cJSON_ArrayForEach(ev, events) ingest_cjson(p, ev, (int64_t)pos, line);
                } else {
                    ingest_cjson(p, v, (int64_t)pos, line);
                }
                cJSON_Delete(v);
                size_t next = (size_t)(ret - t);
                line += (int64_t)count_newlines(t + pos, next - pos);
                pos = next;
                maybe_drop(p, pos);
                continue;
            }
            cJSON_Delete(v);
            const char *nl = memchr(t + pos, '\n', end - pos);
            if (!nl) {
                /* the text ends inside this value: a file cut mid-write */
                static const char key[] = "\"traceEvents\"";
                size_t scan = end - pos < 4096 ? end - pos : 4096;
                const char *tev = line == 1 ? memmem(t + pos, scan, key, sizeof key - 1) : NULL;
                const char *br = tev ? memchr(tev, '[', end - (size_t)(tev - t)) : NULL;
                if (br) {
                    /* the Object form cut short: read the events of its array one by one */
                    pdiag(p, (int64_t)pos, line,
                          "the JSON object is incomplete (file truncated?): reading its "
                          "traceEvents one by one");
                    pos = (size_t)(br - t) + 1;
                    continue;
                }
                p->truncated = true;
                pdiag(p, (int64_t)pos, line,
                      "the file ends inside an event (truncated): loaded up to byte %lld, "
                      "line %lld",
                      (long long)pos, (long long)line);
                p->end_line = line;
                p->end_pos = pos;
                return;
            }
            pdiag(p, (int64_t)pos, line, "line %lld is not a complete JSON event: skipped",
                  (long long)line);
        } else {
            pdiag(p, (int64_t)pos, line, "unexpected '%c' (0x%02x) at line %lld: line skipped",
                  c >= 32 && c < 127 ? c : '?', (unsigned char)c, (long long)line);
        }
        /* resynchronise at the next line that starts with '{' */
        for (;;) {
            const char *nl = memchr(t + pos, '\n', end - pos);
            if (!nl) {
                pos = end;
                break;
            }
            pos = (size_t)(nl - t) + 1;
            line++;
            size_t q = pos;
            while (q < end && (t[q] == ' ' || t[q] == '\t'))
                q++;
            if (q < end && (t[q] == '{' || t[q] == '[' || t[q] == ']')) break;
        }
    }
    p->end_line = line;
    p->end_pos = pos;
}

/* Stable merge sort of indexes by ts; runs already in order cost one comparison. */
static void msort(uint32_t *idx, uint32_t *tmp, size_t n, const struct cvz_raw *raw)
{
    if (n < 2) return;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = idx[i];
            size_t j = i;
            while (j > 0 && raw[idx[j - 1]].ts > raw[v].ts) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    msort(idx, tmp, h, raw);
    msort(idx + h, tmp, n - h, raw);
    if (raw[idx[h - 1]].ts <= raw[idx[h]].ts) return;
    memcpy(tmp, idx, h * sizeof *idx);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        idx[k++] = raw[idx[j]].ts < raw[tmp[i]].ts ? idx[j++] : tmp[i++];
    while (i < h)
        idx[k++] = tmp[i++];
}

/* The parser's events in time order (in the parser's thread: sorting runs in parallel too). */
static void sort_events(struct parser *p)
{
    struct cvz_raw_set *s = &p->set;
    bool sorted = true;
    for (size_t i = 1; i < s->nraw && sorted; i++)
        sorted = s->raw[i - 1].ts <= s->raw[i].ts;
    if (sorted) return;
    uint32_t *idx = s->nraw < UINT32_MAX ? malloc(s->nraw * sizeof *idx) : NULL;
    uint32_t *tmp = s->nraw < UINT32_MAX ? malloc((s->nraw / 2 + 1) * sizeof *tmp) : NULL;
    if (idx && tmp) {
        for (size_t i = 0; i < s->nraw; i++)
            idx[i] = (uint32_t)i;
        msort(idx, tmp, s->nraw, s->raw);
        s->order[0] = idx;
    } else {
        free(idx);
        pdiag(p, -1, -1, "out of memory sorting events: file order used");
    }
    free(tmp);
}

static void *parse_thread(void *arg)
{
    parse_range(arg);
    sort_events(arg);
    return NULL;
}

static void parser_free(struct parser *p)
{
    free(p->ev.arena);
    p->ev.arena = NULL;
    for (size_t i = 0; i < p->ndiags; i++)
        free(p->diags[i].message);
    p->ndiags = 0;
    for (size_t i = 0; i < p->set.nextras; i++) {
        free(p->set.extras[i].s1);
        free(p->set.extras[i].s2);
    }
    free(p->set.extras);
    if (!p->set.fixed) free(p->set.raw); /* a slice of the shared mapping is not ours */
    free(p->set.order[0]);
    free(p->set.order[1]);
    memset(&p->set, 0, sizeof p->set);
}

/* The conviz line form: "[" alone on the first line, then one event per line. */
static bool is_line_form(const char *t, size_t len)
{
    size_t i = 0;
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
        i++;
    if (i >= len || t[i] != '[') return false;
    i++;
    while (i < len && (t[i] == ' ' || t[i] == '\r'))
        i++;
    return i < len && t[i] == '\n' && i + 1 < len && t[i + 1] == '{';
}

/* A split point near `at`: just after a '\n' that is followed by '{'. */
static size_t split_point(const char *t, size_t len, size_t at)
{
    while (at < len) {
        const char *nl = memchr(t + at, '\n', len - at);
        if (!nl) return len;
        at = (size_t)(nl - t) + 1;
        if (at < len && t[at] == '{') return at;
    }
    return len;
}

static struct cvz_trace *load_text(const char *text, size_t len, const char *name, bool mapped,
                                   char **err)
{
    struct cvz_trace *trace = calloc(1, sizeof *trace);
    if (!trace) {
        if (err) *err = strdup("out of memory");
        return NULL;
    }
    trace->path = strdup(name ? name : "(buffer)");
    trace->format_version = 1;

    int nparsers = 1;
    struct parser parsers[2];
    memset(parsers, 0, sizeof parsers);
    const char *threads_env = getenv("CONVIZ_LOAD_THREADS"); /* "1": one parser (benchmarks) */
    if (len >= PARALLEL_MIN_BYTES && is_line_form(text, len) &&
        !(threads_env && strcmp(threads_env, "1") == 0))
        nparsers = 2;
    size_t cut = nparsers == 2 ? split_point(text, len, len / 2) : len;
    if (cut >= len) nparsers = 1;
    /* One mapping for the raw events of all parsers: an accepted event takes at least 17
     * bytes of text ({"ph":"X","ts":1}), so a range of n bytes holds at most n/17 events.
     * MAP_NORESERVE: only the pages written count.  If it cannot be had, arrays grow. */
    size_t caps[2] = {0, 0}, map_bytes = 0;
    struct cvz_raw *region = NULL;
    for (int i = 0; i < nparsers; i++) {
        size_t range = i == 0 ? (nparsers == 2 ? cut : len) : len - cut;
        caps[i] = range / 17 + 16;
        map_bytes += caps[i] * sizeof(struct cvz_raw);
    }
    long pg = sysconf(_SC_PAGESIZE);
    map_bytes = (map_bytes + (size_t)pg - 1) & ~((size_t)pg - 1);
    void *m = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m != MAP_FAILED) region = m;
    for (int i = 0; i < nparsers; i++) {
        if (region) {
            parsers[i].set.raw = region + (i == 0 ? 0 : caps[0]);
            parsers[i].set.capraw = caps[i];
            parsers[i].set.fixed = true;
        }
        parsers[i].text = text;
        parsers[i].begin = i == 0 ? 0 : cut;
        parsers[i].end = i == nparsers - 1 ? len : cut;
        parsers[i].first_line = i == 0 ? 1 : 0;
        parsers[i].mapped = mapped;
        parsers[i].dropped = parsers[i].begin;
    }
    struct timespec t_parse0, t_parse1, t_derive1;
    clock_gettime(CLOCK_MONOTONIC, &t_parse0);
    pthread_t th;
    bool threaded = nparsers == 2 && pthread_create(&th, NULL, parse_thread, &parsers[1]) == 0;
    parse_range(&parsers[0]);
    sort_events(&parsers[0]);
    if (nparsers == 2) {
        if (threaded) {
            pthread_join(th, NULL);
        } else {
            parse_range(&parsers[1]);
            sort_events(&parsers[1]);
        }
        /* the second parser counted lines from 0: shift by the lines before the cut (what the
         * first parser counted: counting again would fault the dropped pages back in) */
        size_t stop = parsers[0].end_pos < cut ? parsers[0].end_pos : cut;
        int64_t base = parsers[0].end_line + (int64_t)count_newlines(text + stop, cut - stop);
        for (size_t i = 0; i < parsers[1].ndiags; i++)
            parsers[1].diags[i].line += base;
        parsers[1].unknown_line += base;
    }

    clock_gettime(CLOCK_MONOTONIC, &t_parse1);
    /* merge: parser 1's events follow parser 0's (file order) */
    struct cvz_raw_set set = parsers[0].set;
    memset(&parsers[0].set, 0, sizeof parsers[0].set);
    if (region) {
        set.raw = region;
        set.map_bytes = map_bytes;
        set.fixed = false;
    }
    set.nraw0 = set.nraw;
    set.gap = 0;
    set.order[1] = NULL;
    if (nparsers == 2) {
        set.order[1] = parsers[1].set.order[0];
        parsers[1].set.order[0] = NULL;
    }
    uint64_t ndiag_total = 0;
    for (int i = 0; i < nparsers; i++) {
        struct parser *p = &parsers[i];
        for (size_t k = 0; k < p->ndiags; k++)
            cvz_diag_add(trace, p->diags[k].offset, p->diags[k].line, "%s", p->diags[k].message);
        ndiag_total += p->ndiag_total;
        trace->nevents += p->nevents;
        trace->truncated |= p->truncated;
        if (i == 0) continue;
        set.saw_cvz |= p->set.saw_cvz;
        set.saw_foreign |= p->set.saw_foreign;
        set.nunknown += p->set.nunknown;
        size_t base_extra = set.nextras;
        if (p->set.nextras) {
            struct cvz_extra *ne = realloc(set.extras, (set.nextras + p->set.nextras) * sizeof *ne);
            if (ne) {
                memcpy(ne + set.nextras, p->set.extras, p->set.nextras * sizeof *ne);
                set.extras = ne;
                set.nextras += p->set.nextras;
                set.capextras = set.nextras;
                free(p->set.extras);
                p->set.extras = NULL;
                p->set.nextras = 0;
            } else {
                base_extra = SIZE_MAX; /* its strings are lost: drop the references */
            }
        }
        for (size_t k = 0; k < p->set.nraw; k++) {
            struct cvz_raw *r = &p->set.raw[k];
            bool has_extra = r->kind == CVZ_EV_PROCESS_NAME || r->kind == CVZ_EV_THREAD_NAME ||
                             r->kind == CVZ_EV_PROCESS_START || r->kind == CVZ_EV_PROCESS_EXEC ||
                             r->kind == CVZ_EV_PROCESS_SPAWN || r->kind == CVZ_EV_OBJ_DECLARE ||
                             r->kind == CVZ_EV_USER_MARK || r->kind == CVZ_EV_USER_BEGIN ||
                             r->kind == CVZ_EV_CORO_SWITCH || r->kind == CVZ_EV_FOREIGN;
            if (has_extra && r->b >= 0)
                r->b = base_extra == SIZE_MAX ? -1 : r->b + (int32_t)base_extra;
        }
        if (region) {
            /* no copy: the second slice stays where it is */
            set.gap = caps[0] - set.nraw0;
            set.nraw += p->set.nraw;
        } else if (p->set.nraw) {
            struct cvz_raw *nr = realloc(set.raw, (set.nraw + p->set.nraw) * sizeof *nr);
            if (nr) {
                memcpy(nr + set.nraw, p->set.raw, p->set.nraw * sizeof *nr);
                set.raw = nr;
                set.nraw += p->set.nraw;
                set.capraw = set.nraw;
            } else {
                cvz_diag_add(trace, -1, -1, "out of memory: second half of the file dropped");
            }
        }
    }
    if (ndiag_total > trace->ndiags && trace->ndiags == CVZ_MAX_DIAGS)
        cvz_diag_add(trace, -1, -1, "(more problems not listed)");
    struct parser *up = NULL;
    for (int i = 0; i < nparsers; i++)
        if (parsers[i].unknown_example[0]) {
            up = &parsers[i];
            break;
        }
    if (set.nunknown)
        cvz_diag_add(trace, -1, up ? up->unknown_line : -1,
                     "%llu events of unknown kind skipped (first: %s)",
                     (unsigned long long)set.nunknown, up ? up->unknown_example : "?");
    for (int i = 0; i < nparsers; i++)
        parser_free(&parsers[i]);

    if (set.nraw == 0) {
        cvz_raw_release(&set);
        if (err) {
            char buf[600];
            const char *why = trace->ndiags ? trace->diags[0].message : "no event in it";
            snprintf(buf, sizeof buf, "%s: not a trace: %s%s", trace->path, why,
                     len == 0 ? " (the file is empty)" : "");
            *err = strdup(buf);
        }
        for (size_t i = 0; i < set.nextras; i++) {
            free(set.extras[i].s1);
            free(set.extras[i].s2);
        }
        free(set.extras);
        cvz_trace_free(trace);
        return NULL;
    }
    trace->unknown_events = set.nunknown;
    cvz_derive(trace, &set);
    if (getenv("CONVIZ_LOAD_TIMING")) { /* for tuning: where the load time goes */
        clock_gettime(CLOCK_MONOTONIC, &t_derive1);
        double parse = (double)(t_parse1.tv_sec - t_parse0.tv_sec) +
                       (double)(t_parse1.tv_nsec - t_parse0.tv_nsec) / 1e9;
        double derive = (double)(t_derive1.tv_sec - t_parse1.tv_sec) +
                        (double)(t_derive1.tv_nsec - t_parse1.tv_nsec) / 1e9;
        fprintf(stderr,
                "cvz_trace_load %s: %.1f MB, %llu events: parse %.3f s (%d thread%s), derive "
                "%.3f s\n",
                trace->path, (double)len / 1e6, (unsigned long long)trace->nevents, parse, nparsers,
                nparsers > 1 ? "s" : "", derive);
    }
    return trace;
}

struct cvz_trace *cvz_trace_load_buffer(const char *data, size_t len, const char *name, char **err)
{
    if (err) *err = NULL;
    if (!data) len = 0;
    return load_text(data ? data : "", len, name, false, err);
}

struct cvz_trace *cvz_trace_load(const char *path, char **err)
{
    if (err) *err = NULL;
    if (!path) {
        if (err) *err = strdup("no trace file given");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err) {
            char buf[600];
            snprintf(buf, sizeof buf, "cannot open %s: %s", path, strerror(errno));
            *err = strdup(buf);
        }
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* a pipe or device: read it whole */
        size_t cap = 1 << 20, n = 0;
        char *buf = malloc(cap);
        ssize_t got;
        while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
            n += (size_t)got;
            if (n == cap) {
                char *nb = realloc(buf, cap * 2);
                if (!nb) break;
                buf = nb;
                cap *= 2;
            }
        }
        close(fd);
        struct cvz_trace *t = load_text(buf ? buf : "", buf ? n : 0, path, false, err);
        free(buf);
        return t;
    }
    size_t len = (size_t)st.st_size;
    if (len == 0) {
        close(fd);
        return load_text("", 0, path, false, err);
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        if (err) {
            char buf[600];
            snprintf(buf, sizeof buf, "cannot map %s: %s", path, strerror(errno));
            *err = strdup(buf);
        }
        return NULL;
    }
    madvise(map, len, MADV_SEQUENTIAL);
    struct cvz_trace *t = load_text(map, len, path, true, err);
    munmap(map, len);
    return t;
}
