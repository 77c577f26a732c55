/* state_slices.c - append derived READY/BLOCKED state slices to a finished trace, for Perfetto.
 *
 * DESIGN: the raw trace already carries RUNNING slices (perf), which Perfetto draws on each
 * thread's track; what it cannot derive is what a thread did between runs.  When a recording is
 * finished we load the trace through the model (the one derivation there is) and append each
 * non-running span as a Chrome "X" event with "cat":"cvz.state", so Perfetto shows every thread's
 * complete state.  The model's spans tile a thread's life without overlap, and its RUNNING spans
 * are the perf runs, so the appended slices never overlap the RUNNING ones (Perfetto misdraws
 * overlapping slices on one track).  Without perf, the model's RUNNING spans are appended too.
 * conviz's own reader skips "cvz.state" lines and derives everything again.
 */
#include "state_slices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cvz_model.h"
#include "cvz_spool.h"

struct out_buf {
    int fd;
    char *buf;
    size_t len, cap;
    uint64_t lines;
    bool failed;
};

static void out_flush(struct out_buf *o)
{
    size_t done = 0;
    while (done < o->len && !o->failed) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) o->failed = true;
        else done += (size_t)n;
    }
    o->len = 0;
}

/* JSON string body of s (quotes and control characters escaped). */
static size_t json_escape(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(dst + n, cap - n, "\\u%04x", c);
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = 0;
    return n;
}

static void out_span(struct out_buf *o, const struct cvz_trace *t, const struct cvz_thread *th,
                     const struct cvz_span *sp)
{
    char name[160], args[400], objname[200];
    const char *state = cvz_state_names[sp->state];
    args[0] = 0;
    if (sp->state == CVZ_ST_BLOCKED) {
        const char *reason = sp->reason < CVZ_R__COUNT ? cvz_reason_names[sp->reason] : "other";
        objname[0] = 0;
        if (sp->obj >= 0 && (size_t)sp->obj < t->nobjects)
            json_escape(objname, sizeof objname, t->objects[sp->obj].name);
        if (objname[0]) {
            snprintf(name, sizeof name, "BLOCKED %s %s", reason, objname);
            snprintf(args, sizeof args, "\"reason\":\"%s\",\"object\":\"%s\"", reason, objname);
        } else {
            snprintf(name, sizeof name, "BLOCKED %s", reason);
            snprintf(args, sizeof args, "\"reason\":\"%s\"", reason);
        }
    } else if (sp->state == CVZ_ST_RUNNING && sp->cpu >= 0) {
        snprintf(name, sizeof name, "%s", state);
        snprintf(args, sizeof args, "\"cpu\":%d", sp->cpu);
    } else {
        snprintf(name, sizeof name, "%s", state);
    }
    if (o->cap - o->len < 1024) out_flush(o);
    cvz_ns dur = sp->t1 - sp->t0;
    o->len += (size_t)snprintf(
        o->buf + o->len, o->cap - o->len,
        "{\"ph\":\"X\",\"cat\":\"cvz.state\",\"name\":\"%s\",\"pid\":%" PRId32 ",\"tid\":%" PRId32
        ",\"ts\":%" PRId64 ".%03" PRId64 ",\"dur\":%" PRId64 ".%03" PRId64 ",\"args\":{%s}},\n",
        name, th->pid, th->tid, sp->t0 / 1000, sp->t0 % 1000, dur / 1000, dur % 1000, args);
    o->lines++;
}

/* Reopen the array: a finished trace ends with "\n]\n" (or "]\n"); drop the bracket so that
 * lines can follow.  Returns false when the file does not end as a conviz trace does. */
static bool reopen_array(int fd)
{
    struct stat sb;
    char tail[3];
    if (fstat(fd, &sb) != 0 || sb.st_size < 3) return false;
    if (pread(fd, tail, 3, sb.st_size - 3) != 3) return false;
    if (tail[2] == '\n' && tail[1] == ']') {
        off_t keep = sb.st_size - (tail[0] == '\n' ? 3 : 2);
        if (ftruncate(fd, keep) != 0) return false;
        /* the last event line now has no comma after it: add one */
        return write(fd, ",\n", 2) == 2;
    }
    return tail[1] == ',' && tail[2] == '\n'; /* still open: append as is */
}

int cvz_append_state_slices(const char *path, uint64_t *nslices, char *err, size_t errlen)
{
    if (nslices) *nslices = 0;
    char *lerr = NULL;
    struct cvz_trace *t = cvz_trace_load(path, &lerr);
    if (!t) {
        snprintf(err, errlen, "%s", lerr ? lerr : "cannot load the trace");
        free(lerr);
        return -1;
    }
    int fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        cvz_trace_free(t);
        return -1;
    }
    if (!reopen_array(fd)) {
        snprintf(err, errlen, "'%s' does not end like a conviz trace; state slices not added", path);
        close(fd);
        cvz_trace_free(t);
        return -1;
    }
    struct out_buf o = {.fd = fd, .cap = 1 << 18};
    o.buf = malloc(o.cap);
    if (!o.buf) {
        snprintf(err, errlen, "out of memory");
        cvz_spool_close_array(fd);
        close(fd);
        cvz_trace_free(t);
        return -1;
    }
    /* With perf, RUNNING slices are in the file already (the "RUNNING" events). */
    bool want_running = t->sched_source != CVZ_SCHED_PERF;
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct cvz_thread *th = &t->threads[i];
        if (th->coro_of >= 0 || th->tid <= 0) continue; /* coroutine lanes are not OS threads */
        for (size_t k = 0; k < th->nspans; k++) {
            const struct cvz_span *sp = &th->spans[k];
            if (sp->t1 <= sp->t0 || sp->state == CVZ_ST_UNKNOWN) continue;
            if (sp->state == CVZ_ST_RUNNING && !want_running) continue;
            out_span(&o, t, th, sp);
        }
    }
    out_flush(&o);
    cvz_spool_close_array(fd);
    close(fd);
    free(o.buf);
    cvz_trace_free(t);
    if (o.failed) {
        snprintf(err, errlen, "writing '%s' failed: %s", path, strerror(errno));
        return -1;
    }
    if (nslices) *nslices = o.lines;
    return 0;
}
