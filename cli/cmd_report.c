/* cmd_report.c - `conviz report TRACE`: where the time went.  State times per thread,
 * parallelism and CPU use, lock/sync-object contention, actual and potential deadlocks; as
 * 80-column text or as JSON (docs/report-json.md).
 *
 * DESIGN: this file only parses options and formats.  The numbers come from cvz_stats
 * (model/cvz_stats.c), the same computation the viewer's statistics panel shows.  Instants are
 * printed relative to the trace start, the way --from/--to are given.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "cvz_model.h"
#include "cvz_stats.h"

#define TEXT_LIST_MAX 3 /* entries of a ranked list printed on one text line */

struct report_opts {
    const char *path;
    bool json;
    bool has_from, has_to;
    cvz_ns from, to; /* relative to the trace start */
    int32_t pid, tid;
    const char *object;
    size_t top;
    enum cvz_stats_sort sort;
    const char *sort_name;
};

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: conviz report [OPTIONS] TRACE\n\n"
            "Statistics of a conviz trace: time per thread state, parallelism and CPU use,\n"
            "lock contention, and deadlocks (actual cycles and potential lock-order\n"
            "inversions).\n\n"
            "options:\n"
            "  --json            machine-readable output (keys: docs/report-json.md)\n"
            "  --from TIME       start of the range, from the trace start (10ms, 1.5s, 200us)\n"
            "  --to TIME         end of the range, from the trace start\n"
            "  --pid PID         only the threads of this process\n"
            "  --tid TID         only this thread\n"
            "  --object NAME     only this object (and the threads that used it)\n"
            "  --top N           rows per table and entries per list (default 10)\n"
            "  --sort KEY        objects by wait (default), hold, acq, contended or name\n"
            "  -h, --help        this help\n\n"
            "Durations are clipped to the range; counts count what completed inside it.\n"
            "Exit status: 0 on success (even with deadlocks found), 1 when the trace cannot\n"
            "be read, 2 on a usage error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "conviz report: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nsee 'conviz report --help'\n");
    return 2;
}

static bool parse_int32(const char *text, int32_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v <= 0 || v > INT32_MAX) return false;
    *out = (int32_t)v;
    return true;
}

static int parse_options(int argc, char **argv, struct report_opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},      {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},  {"pid", required_argument, NULL, 'p'},
        {"tid", required_argument, NULL, 'T'}, {"object", required_argument, NULL, 'o'},
        {"top", required_argument, NULL, 'n'}, {"sort", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    static const char *const sort_names[] = {[CVZ_SORT_WAIT] = "wait",
                                             [CVZ_SORT_HOLD] = "hold",
                                             [CVZ_SORT_ACQ] = "acq",
                                             [CVZ_SORT_CONTENDED] = "contended",
                                             [CVZ_SORT_NAME] = "name"};
    memset(o, 0, sizeof(*o));
    o->top = 10;
    o->sort_name = "wait";
    optind = 0; /* 0: glibc re-initialises, so options may follow the trace (GNU order) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'f':
        case 't': {
            cvz_ns v;
            if (!cvz_parse_ns(optarg, &v) || v < 0)
                return usage_error("bad time '%s' (examples: 10ms, 1.5s, 200us, 42ns)", optarg);
            if (c == 'f') {
                o->from = v;
                o->has_from = true;
            } else {
                o->to = v;
                o->has_to = true;
            }
            break;
        }
        case 'p':
            if (!parse_int32(optarg, &o->pid))
                return usage_error("bad --pid '%s' (a positive number)", optarg);
            break;
        case 'T':
            if (!parse_int32(optarg, &o->tid))
                return usage_error("bad --tid '%s' (a positive number)", optarg);
            break;
        case 'o':
            o->object = optarg;
            break;
        case 'n': {
            int32_t n;
            if (!parse_int32(optarg, &n))
                return usage_error("bad --top '%s' (a positive number)", optarg);
            o->top = (size_t)n;
            break;
        }
        case 's': {
            size_t k = 0;
            while (k < sizeof(sort_names) / sizeof(sort_names[0]) && strcmp(optarg, sort_names[k]))
                k++;
            if (k == sizeof(sort_names) / sizeof(sort_names[0]))
                return usage_error("bad --sort '%s' (wait, hold, acq, contended or name)", optarg);
            o->sort = (enum cvz_stats_sort)k;
            o->sort_name = sort_names[k];
            break;
        }
        case 'h':
            report_usage(stdout);
            return -1;
        default:
            if (optopt)
                fprintf(stderr, "conviz report: option '-%c' %s\n", optopt,
                        strchr("ftpTons", optopt) ? "needs a value" : "is unknown");
            else
                fprintf(stderr, "conviz report: unknown option or missing value: '%s'\n",
                        argv[optind - 1]);
            fprintf(stderr, "see 'conviz report --help'\n");
            return 2;
        }
    }
    if (optind >= argc) return usage_error("%s", "no trace given (conviz report TRACE)");
    if (optind + 1 < argc)
        return usage_error("one trace at a time ('%s' is extra)", argv[optind + 1]);
    o->path = argv[optind];
    if (o->has_from && o->has_to && o->to < o->from)
        return usage_error("%s", "--to is before --from");
    return 0;
}

/* ---- text helpers ------------------------------------------------------------------------- */

static const char *fmt_ns(cvz_ns ns, char *buf, size_t len)
{
    return cvz_format_ns(ns, buf, len);
}

#define NS(v) fmt_ns((v), (char[32]){0}, 32)

static const char *thread_label(const struct cvz_trace *t, int32_t ti, char *buf, size_t len)
{
    if (ti < 0 || (size_t)ti >= t->nthreads) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct cvz_thread *th = &t->threads[ti];
    if (!th->name || strncmp(th->name, "tid ", 4) == 0) /* unnamed: the model says "tid N" */
        snprintf(buf, len, "tid %d", th->tid);
    else
        snprintf(buf, len, "%s[%d]", th->name, th->tid);
    return buf;
}

#define THREAD(ti) thread_label(trace, (ti), (char[64]){0}, 64)

static const char *object_name(const struct cvz_trace *t, int32_t oi)
{
    if (oi < 0 || (size_t)oi >= t->nobjects) return "?";
    return t->objects[oi].name ? t->objects[oi].name : "?";
}

static const char *kind_name(const struct cvz_object *o)
{
    return o->kind < CVZ_OBJ__COUNT ? cvz_obj_kind_names[o->kind] : "?";
}

static const char *sched_name(uint8_t source)
{
    static const char *const names[] = {"none", "perf", "proc", "foreign"};
    return source < 4 ? names[source] : "?";
}

static double pct(cvz_ns part, cvz_ns whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void section(const char *title)
{
    printf("\n== %s ", title);
    for (size_t n = strlen(title) + 4; n < 79; n++)
        putchar('=');
    putchar('\n');
}

/* ---- text output ---------------------------------------------------------------------------- */

static void text_load(const struct cvz_trace *trace)
{
    if (!trace->truncated && !trace->ndiags && !trace->broken) return;
    section("Load problems (the report covers what loaded)");
    if (trace->truncated && !trace->ndiags)
        printf("  the file ends inside an event: it was cut (a crash or a kill?)\n");
    for (size_t i = 0; i < trace->ndiags; i++) {
        const struct cvz_diag *d = &trace->diags[i];
        if (d->line >= 0)
            printf("  line %lld (byte %lld): %s\n", (long long)d->line, (long long)d->offset,
                   d->message ? d->message : "");
        else
            printf("  %s\n", d->message ? d->message : "");
    }
    if (trace->broken)
        printf("  %llu broken sequence(s) in all (e.g. a release without an acquire)\n",
               (unsigned long long)trace->broken);
}

static void text_summary(const struct cvz_stats *s)
{
    const struct cvz_trace *trace = s->trace;
    const struct cvz_stats_summary *sum = &s->summary;
    section("Summary");
    printf("  range        %s .. %s (%s)\n", NS(sum->from - trace->t_min),
           NS(sum->to - trace->t_min), NS(sum->wall));
    printf("  processes    %-10zu threads   %-10zu objects   %zu\n", sum->nprocs, sum->nthreads,
           sum->nobjects);
    printf("  events       %-10llu lost      %-10llu scheduler %s\n",
           (unsigned long long)sum->nevents, (unsigned long long)sum->lost_events,
           sched_name(sum->sched_source));
    printf("  deadlocks    %zu actual, %zu potential (lock-order inversions)%s\n", s->ndeadlocks,
           s->ninversions, s->ndeadlocks || s->ninversions ? ": see the end" : "");
    printf("  parallelism  average %.2f, maximum %d (threads RUNNING at once)\n",
           sum->avg_parallelism, sum->max_parallelism);
    if (sum->sched_source == CVZ_SCHED_PROC)
        printf("  (states sampled from /proc, not exact switches: parallelism and CPU use\n"
               "   are approximate)\n");
    else if (sum->sched_source == CVZ_SCHED_NONE)
        printf("  (no scheduler source: RUNNING means \"not inside a blocking call\", so\n"
               "   parallelism is an upper bound and CPUs are unknown)\n");
    for (int k = 0; k <= sum->max_parallelism; k++) {
        double p = pct(sum->parallel_time[k], sum->wall);
        char bar[41];
        int n = (int)(p * 40.0 / 100.0 + 0.5);
        memset(bar, '#', (size_t)n);
        bar[n] = '\0';
        printf("  %6d running %-40s %5.1f%% %9s\n", k, bar, p, NS(sum->parallel_time[k]));
    }
    if (sum->ncpu > 0 && sum->sched_source != CVZ_SCHED_NONE) {
        printf("  CPU use     ");
        int col = 14;
        for (int c = 0; c < sum->ncpu; c++) {
            char item[32];
            int n =
                snprintf(item, sizeof(item), " cpu%d %.1f%%", c, pct(sum->cpu_busy[c], sum->wall));
            if (col + n > 79) {
                printf("\n             ");
                col = 13;
            }
            fputs(item, stdout);
            col += n;
        }
        putchar('\n');
    }
}

/* The threads shown: all, or the `top` that spent most time not running. */
static size_t pick_threads(const struct cvz_stats *s, size_t top, size_t *order)
{
    size_t n = s->nthreads;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n <= top) return n;
    /* partial selection sort by BLOCKED+READY, then back to trace order */
    for (size_t i = 0; i < top; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < n; j++) {
            const struct cvz_thread_stats *a = &s->threads[order[j]], *b = &s->threads[order[best]];
            if (a->time_in[CVZ_ST_BLOCKED] + a->time_in[CVZ_ST_READY] >
                b->time_in[CVZ_ST_BLOCKED] + b->time_in[CVZ_ST_READY])
                best = j;
        }
        size_t tmp = order[i];
        order[i] = order[best];
        order[best] = tmp;
    }
    for (size_t i = 1; i < top; i++)
        for (size_t j = i; j > 0 && order[j] < order[j - 1]; j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    return top;
}

/* Only for a run of several processes: who they were and how they ended. */
static void text_processes(const struct cvz_stats *s, size_t top)
{
    const struct cvz_trace *trace = s->trace;
    if (s->nprocs < 2) return;
    section("Processes");
    printf("  %7s %7s %9s %9s %-9s %s\n", "pid", "parent", "start", "end", "exit", "command");
    for (size_t i = 0; i < s->nprocs && i < top; i++) {
        const struct cvz_process *p = &trace->procs[s->procs[i]];
        char exit_text[16] = "?";
        if (p->exit_signal)
            snprintf(exit_text, sizeof(exit_text), "signal %d", p->exit_signal);
        else if (p->exit_status >= 0)
            snprintf(exit_text, sizeof(exit_text), "%d", p->exit_status);
        /* the program's base name and its arguments: the directory rarely fits */
        const char *cmd = p->cmdline ? p->cmdline : "";
        const char *space = strchr(cmd, ' ');
        const char *slash = cmd;
        for (const char *c = cmd; *c && (!space || c < space); c++)
            if (*c == '/') slash = c + 1;
        printf("  %7d %7d %9s %9s %-9s %.31s\n", p->pid, p->ppid, NS(p->t_start - trace->t_min),
               NS(p->t_end - trace->t_min), exit_text, slash);
    }
    if (s->nprocs > top) printf("  (%zu more)\n", s->nprocs - top);
}

static void text_threads(const struct cvz_stats *s, size_t top)
{
    const struct cvz_trace *trace = s->trace;
    section("Threads (time in each state)");
    if (!s->nthreads) {
        printf("  no thread in the range\n");
        return;
    }
    size_t *order = calloc(s->nthreads, sizeof(*order));
    if (!order) return;
    size_t n = pick_threads(s, top, order);
    printf("  %-22s %9s %9s %9s %9s %5s %5s\n", "thread[tid]", "running", "ready", "blocked",
           "unknown", "runs", "migr");
    for (size_t r = 0; r < n; r++) {
        const struct cvz_thread_stats *ts = &s->threads[order[r]];
        printf("  %-22.22s %9s %9s %9s %9s %5llu %5llu\n", THREAD(ts->thread),
               NS(ts->time_in[CVZ_ST_RUNNING]), NS(ts->time_in[CVZ_ST_READY]),
               NS(ts->time_in[CVZ_ST_BLOCKED]), NS(ts->time_in[CVZ_ST_UNKNOWN]),
               (unsigned long long)ts->runs, (unsigned long long)ts->migrations);
        if (ts->time_in[CVZ_ST_BLOCKED] > 0) {
            char line[256];
            int len = snprintf(line, sizeof(line), "      blocked:");
            bool first = true;
            for (int k = 0; k < CVZ_R__COUNT; k++) {
                if (!ts->blocked_by[k]) continue;
                char item[64];
                int m = snprintf(item, sizeof(item), "%s %s %s", first ? "" : ",",
                                 cvz_reason_names[k], NS(ts->blocked_by[k]));
                first = false;
                if (len + m + 1 > 79) break;
                len += snprintf(line + len, sizeof(line) - (size_t)len, "%s", item);
            }
            puts(line);
        }
        if (ts->ntop_objects) {
            char line[256];
            int len = snprintf(line, sizeof(line), "      waited on:");
            for (size_t k = 0; k < ts->ntop_objects && k < TEXT_LIST_MAX; k++) {
                const struct cvz_stats_rank *rk = &ts->top_objects[k];
                char item[128];
                int m = snprintf(item, sizeof(item), "%s %.24s %s (%llu)", k ? "," : "",
                                 object_name(trace, rk->index), NS(rk->wait_ns),
                                 (unsigned long long)rk->count);
                if (len + m > 79) break;
                len += snprintf(line + len, sizeof(line) - (size_t)len, "%s", item);
            }
            puts(line);
        }
    }
    if (n < s->nthreads)
        printf("  (%zu more threads; --top %zu shows more)\n", s->nthreads - n, s->nthreads);
    free(order);
}

static void text_objects(const struct cvz_stats *s, size_t top, const char *sort_name)
{
    const struct cvz_trace *trace = s->trace;
    char title[80];
    snprintf(title, sizeof(title), "Objects (by %s)", sort_name);
    section(title);
    if (!s->nobjects) {
        printf("  no synchronisation object used in the range\n");
        return;
    }
    size_t n = s->nobjects < top ? s->nobjects : top;
    printf("  %-14s %-7s %6s %5s %5s %8s %8s %8s %8s\n", "object", "kind", "acq", "cont", "%",
           "wait", "avg wait", "max wait", "hold");
    for (size_t i = 0; i < n; i++) {
        const struct cvz_object_stats *os = &s->objects[i];
        const struct cvz_object *o = &trace->objects[os->obj];
        /* condvars and barriers are waited on, never held */
        bool waits_only = o->kind == CVZ_OBJ_CONDVAR || o->kind == CVZ_OBJ_BARRIER;
        uint64_t acq = o->kind == CVZ_OBJ_CONDVAR ? os->cond_waits : os->acquisitions;
        uint64_t nwaits =
            (o->kind == CVZ_OBJ_CONDVAR ? os->cond_waits : os->contended) + os->pending;
        char cont[24] = "-", share[24] = "-";
        if (!waits_only) {
            snprintf(cont, sizeof(cont), "%llu", (unsigned long long)os->contended);
            snprintf(share, sizeof(share), "%.0f%%", os->contended_pct);
        }
        const char *name = object_name(trace, os->obj);
        if (strlen(name) > 14) { /* a long name gets its own line, the figures the next */
            printf("  %.77s\n", name);
            name = "";
        }
        printf("  %-14.14s %-7s %6llu %5s %5s %8s %8s %8s %8s\n", name, kind_name(o),
               (unsigned long long)acq, cont, share, NS(os->wait_total),
               NS(nwaits ? os->wait_total / (cvz_ns)nwaits : 0), NS(os->wait_max),
               waits_only ? "-" : NS(os->hold_total));
    }
    for (size_t i = 0; i < n; i++) {
        const struct cvz_object_stats *os = &s->objects[i];
        const struct cvz_object *o = &trace->objects[os->obj];
        printf("\n  %s (%s, pid %d, 0x%llx)\n", object_name(trace, os->obj), kind_name(o), o->pid,
               (unsigned long long)o->addr);
        if (o->kind == CVZ_OBJ_BARRIER) {
            printf("    waits %llu, threads %u\n", (unsigned long long)os->attempts, os->nthreads);
            printf("    waiting: total %s, max %s\n", NS(os->wait_total), NS(os->wait_max));
        } else if (o->kind == CVZ_OBJ_CONDVAR) {
            printf("    waits %llu, timeouts %llu, signals %llu, broadcasts %llu, spurious %llu\n",
                   (unsigned long long)os->cond_waits, (unsigned long long)os->cond_timeouts,
                   (unsigned long long)os->cond_signals, (unsigned long long)os->cond_broadcasts,
                   (unsigned long long)os->cond_spurious);
            printf("    waiting: total %s, max %s\n", NS(os->wait_total), NS(os->wait_max));
            if (s->summary.from != trace->t_min || s->summary.to != trace->t_max)
                printf("    (signals and broadcasts are counted over the whole trace)\n");
        } else {
            printf("    attempts %llu: acquired %llu, failed %llu; contended %llu (%.1f%%)\n",
                   (unsigned long long)os->attempts, (unsigned long long)os->acquisitions,
                   (unsigned long long)os->failed, (unsigned long long)os->contended,
                   os->contended_pct);
            if (os->pending)
                printf("    %llu request(s) still waiting when the trace ended\n",
                       (unsigned long long)os->pending);
            printf("    wait  total %s, avg %s, max %s\n", NS(os->wait_total),
                   NS(os->contended + os->pending
                          ? os->wait_total / (cvz_ns)(os->contended + os->pending)
                          : 0),
                   NS(os->wait_max));
            printf("    hold  total %s, avg %s, max %s (%llu holds)\n", NS(os->hold_total),
                   NS(os->holds ? os->hold_total / (cvz_ns)os->holds : 0), NS(os->hold_max),
                   (unsigned long long)os->holds);
            printf("    threads %u, owner changes %llu", os->nthreads,
                   (unsigned long long)os->owner_changes);
            if (os->has_count) printf(", count %d..%d", os->count_min, os->count_max);
            putchar('\n');
        }
        if (os->ntop_waiters) {
            char line[256];
            int len = snprintf(line, sizeof(line), "    waited most:");
            for (size_t k = 0; k < os->ntop_waiters && k < TEXT_LIST_MAX; k++) {
                const struct cvz_stats_rank *rk = &os->top_waiters[k];
                char item[128];
                int m = snprintf(item, sizeof(item), "%s %s %s (%llu)", k ? "," : "",
                                 THREAD(rk->index), NS(rk->wait_ns), (unsigned long long)rk->count);
                if (len + m > 79) break;
                len += snprintf(line + len, sizeof(line) - (size_t)len, "%s", item);
            }
            puts(line);
        }
    }
    if (n < s->nobjects)
        printf("\n  (%zu more objects; --top %zu shows them all)\n", s->nobjects - n, s->nobjects);
}

static void text_deadlocks(const struct cvz_stats *s, size_t top)
{
    const struct cvz_trace *trace = s->trace;
    section("Deadlocks");
    if (!s->ndeadlocks) printf("  none: no cycle of threads waiting for each other\n");
    for (size_t d = 0; d < s->ndeadlocks && d < top; d++) {
        const struct cvz_deadlock *dl = &s->deadlocks[d];
        if (dl->t_resolved < 0)
            printf("  DEADLOCK formed at +%s, still there at the end of the trace:\n",
                   NS(dl->t_formed - trace->t_min));
        else
            printf("  DEADLOCK formed at +%s, broken at +%s (a wait gave up):\n",
                   NS(dl->t_formed - trace->t_min), NS(dl->t_resolved - trace->t_min));
        for (size_t k = 0; k < dl->nsteps; k++) {
            const struct cvz_deadlock_step *st = &dl->steps[k];
            const struct cvz_deadlock_step *next = &dl->steps[(k + 1) % dl->nsteps];
            if (st->obj < 0)
                printf("    %s joins %s (waits for it to exit)\n", THREAD(st->thread),
                       THREAD(next->thread));
            else
                printf("    %s waits for %s, held by %s\n", THREAD(st->thread),
                       object_name(trace, st->obj), THREAD(next->thread));
        }
    }
    if (s->ndeadlocks > top) printf("  (%zu more)\n", s->ndeadlocks - top);

    section("Potential deadlocks (lock-order inversions)");
    if (!s->ninversions) printf("  none: every thread took the locks in a consistent order\n");
    for (size_t k = 0; k < s->ninversions && k < top; k++) {
        const struct cvz_inversion *iv = &s->inversions[k];
        printf("  %zu locks in a cycle%s:\n", iv->nedges,
               iv->deadlocked ? " (it also deadlocked, above)" : "");
        for (size_t e = 0; e < iv->nedges; e++) {
            const struct cvz_order_edge *ed = &iv->edges[e];
            printf("    %s then %s: %s at +%s", object_name(trace, ed->held),
                   object_name(trace, ed->acquired), THREAD(ed->thread), NS(ed->t - trace->t_min));
            if (ed->count > 1) printf(" (%llu times)", (unsigned long long)ed->count);
            putchar('\n');
        }
    }
    if (s->ninversions > top) printf("  (%zu more)\n", s->ninversions - top);
    if (s->inversions_truncated) printf("  (too many cycles: the search stopped)\n");
}

/* ---- JSON output ---------------------------------------------------------------------------- */

static cJSON *json_thread_ref(const struct cvz_trace *t, int32_t ti)
{
    cJSON *o = cJSON_CreateObject();
    if (ti >= 0 && (size_t)ti < t->nthreads) {
        const struct cvz_thread *th = &t->threads[ti];
        cJSON_AddNumberToObject(o, "pid", th->pid);
        cJSON_AddNumberToObject(o, "tid", th->tid);
        cJSON_AddStringToObject(o, "name", th->name ? th->name : "");
    }
    return o;
}

static cJSON *json_report(const struct cvz_stats *s, const struct report_opts *opt)
{
    const struct cvz_trace *trace = s->trace;
    const struct cvz_stats_summary *sum = &s->summary;
    cvz_ns t0 = trace->t_min;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "report_version", 1);

    cJSON *jt = cJSON_AddObjectToObject(root, "trace");
    cJSON_AddStringToObject(jt, "path", trace->path ? trace->path : opt->path);
    if (trace->caption)
        cJSON_AddStringToObject(jt, "caption", trace->caption);
    else
        cJSON_AddNullToObject(jt, "caption");
    cJSON_AddNumberToObject(jt, "format_version", trace->format_version);
    cJSON_AddBoolToObject(jt, "is_conviz", trace->is_conviz);
    cJSON_AddNumberToObject(jt, "start_ns", (double)trace->t_min);
    cJSON_AddNumberToObject(jt, "end_ns", (double)trace->t_max);
    cJSON_AddBoolToObject(jt, "truncated", trace->truncated);
    cJSON_AddNumberToObject(jt, "broken", (double)trace->broken);
    cJSON *jd = cJSON_AddArrayToObject(jt, "diagnostics");
    for (size_t i = 0; i < trace->ndiags; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "offset", (double)trace->diags[i].offset);
        cJSON_AddNumberToObject(d, "line", (double)trace->diags[i].line);
        cJSON_AddStringToObject(d, "message",
                                trace->diags[i].message ? trace->diags[i].message : "");
        cJSON_AddItemToArray(jd, d);
    }

    cJSON *jf = cJSON_AddObjectToObject(root, "filter");
    cJSON_AddNumberToObject(jf, "from_ns", (double)(sum->from - t0));
    cJSON_AddNumberToObject(jf, "to_ns", (double)(sum->to - t0));
    cJSON_AddNumberToObject(jf, "pid", opt->pid);
    cJSON_AddNumberToObject(jf, "tid", opt->tid);
    if (opt->object)
        cJSON_AddStringToObject(jf, "object", opt->object);
    else
        cJSON_AddNullToObject(jf, "object");
    cJSON_AddNumberToObject(jf, "top", (double)opt->top);
    cJSON_AddStringToObject(jf, "sort", opt->sort_name);

    cJSON *js = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(js, "wall_ns", (double)sum->wall);
    cJSON_AddNumberToObject(js, "processes", (double)sum->nprocs);
    cJSON_AddNumberToObject(js, "threads", (double)sum->nthreads);
    cJSON_AddNumberToObject(js, "objects", (double)sum->nobjects);
    cJSON_AddNumberToObject(js, "cpus", sum->ncpu);
    cJSON_AddNumberToObject(js, "events", (double)sum->nevents);
    cJSON_AddNumberToObject(js, "lost_events", (double)sum->lost_events);
    cJSON_AddStringToObject(js, "sched_source", sched_name(sum->sched_source));
    cJSON_AddNumberToObject(js, "parallelism_avg", sum->avg_parallelism);
    cJSON_AddNumberToObject(js, "parallelism_max", sum->max_parallelism);
    cJSON *jh = cJSON_AddArrayToObject(js, "parallelism_ns");
    for (int k = 0; k <= sum->max_parallelism; k++)
        cJSON_AddItemToArray(jh, cJSON_CreateNumber((double)sum->parallel_time[k]));
    cJSON *jc = cJSON_AddArrayToObject(js, "cpu_busy_ns");
    for (int c = 0; c < sum->ncpu; c++)
        cJSON_AddItemToArray(jc, cJSON_CreateNumber((double)sum->cpu_busy[c]));

    cJSON *jps = cJSON_AddArrayToObject(root, "processes");
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct cvz_process *p = &trace->procs[s->procs[i]];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "pid", p->pid);
        cJSON_AddNumberToObject(o, "ppid", p->ppid);
        cJSON_AddStringToObject(o, "cmdline", p->cmdline ? p->cmdline : "");
        cJSON_AddNumberToObject(o, "start_ns", (double)(p->t_start - t0));
        cJSON_AddNumberToObject(o, "end_ns", (double)(p->t_end - t0));
        cJSON_AddNumberToObject(o, "exit_status", p->exit_status);
        cJSON_AddNumberToObject(o, "exit_signal", p->exit_signal);
        cJSON_AddNumberToObject(o, "threads", (double)p->nthreads);
        cJSON_AddItemToArray(jps, o);
    }

    cJSON *jths = cJSON_AddArrayToObject(root, "threads");
    for (size_t i = 0; i < s->nthreads; i++) {
        const struct cvz_thread_stats *ts = &s->threads[i];
        cJSON *o = json_thread_ref(trace, ts->thread);
        cJSON_AddNumberToObject(o, "running_ns", (double)ts->time_in[CVZ_ST_RUNNING]);
        cJSON_AddNumberToObject(o, "ready_ns", (double)ts->time_in[CVZ_ST_READY]);
        cJSON_AddNumberToObject(o, "blocked_ns", (double)ts->time_in[CVZ_ST_BLOCKED]);
        cJSON_AddNumberToObject(o, "unknown_ns", (double)ts->time_in[CVZ_ST_UNKNOWN]);
        cJSON *jb = cJSON_AddObjectToObject(o, "blocked_by_ns");
        for (int k = 0; k < CVZ_R__COUNT; k++)
            if (ts->blocked_by[k])
                cJSON_AddNumberToObject(jb, cvz_reason_names[k], (double)ts->blocked_by[k]);
        cJSON_AddNumberToObject(o, "runs", (double)ts->runs);
        cJSON_AddNumberToObject(o, "migrations", (double)ts->migrations);
        cJSON *jo = cJSON_AddArrayToObject(o, "top_objects");
        for (size_t k = 0; k < ts->ntop_objects; k++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "object", object_name(trace, ts->top_objects[k].index));
            cJSON_AddNumberToObject(r, "wait_ns", (double)ts->top_objects[k].wait_ns);
            cJSON_AddNumberToObject(r, "count", (double)ts->top_objects[k].count);
            cJSON_AddItemToArray(jo, r);
        }
        cJSON_AddItemToArray(jths, o);
    }

    cJSON *jobs = cJSON_AddArrayToObject(root, "objects");
    for (size_t i = 0; i < s->nobjects; i++) {
        const struct cvz_object_stats *os = &s->objects[i];
        const struct cvz_object *ob = &trace->objects[os->obj];
        cJSON *o = cJSON_CreateObject();
        char addr[32];
        snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)ob->addr);
        cJSON_AddStringToObject(o, "name", object_name(trace, os->obj));
        cJSON_AddStringToObject(o, "kind", kind_name(ob));
        cJSON_AddNumberToObject(o, "pid", ob->pid);
        cJSON_AddStringToObject(o, "addr", addr);
        cJSON_AddNumberToObject(o, "attempts", (double)os->attempts);
        cJSON_AddNumberToObject(o, "acquisitions", (double)os->acquisitions);
        cJSON_AddNumberToObject(o, "failed", (double)os->failed);
        cJSON_AddNumberToObject(o, "contended", (double)os->contended);
        cJSON_AddNumberToObject(o, "contended_pct", os->contended_pct);
        cJSON_AddNumberToObject(o, "wait_total_ns", (double)os->wait_total);
        cJSON_AddNumberToObject(o, "pending", (double)os->pending);
        uint64_t nwaits = os->contended + os->pending;
        cJSON_AddNumberToObject(o, "wait_avg_ns",
                                nwaits ? (double)(os->wait_total / (cvz_ns)nwaits) : 0);
        cJSON_AddNumberToObject(o, "wait_max_ns", (double)os->wait_max);
        cJSON_AddNumberToObject(o, "holds", (double)os->holds);
        cJSON_AddNumberToObject(o, "hold_total_ns", (double)os->hold_total);
        cJSON_AddNumberToObject(o, "hold_avg_ns",
                                os->holds ? (double)(os->hold_total / (cvz_ns)os->holds) : 0);
        cJSON_AddNumberToObject(o, "hold_max_ns", (double)os->hold_max);
        cJSON_AddNumberToObject(o, "threads", os->nthreads);
        cJSON_AddNumberToObject(o, "owner_changes", (double)os->owner_changes);
        if (os->has_count) {
            cJSON_AddNumberToObject(o, "count_min", os->count_min);
            cJSON_AddNumberToObject(o, "count_max", os->count_max);
        }
        if (ob->kind == CVZ_OBJ_CONDVAR) {
            cJSON *cv = cJSON_AddObjectToObject(o, "condvar");
            cJSON_AddNumberToObject(cv, "waits", (double)os->cond_waits);
            cJSON_AddNumberToObject(cv, "timeouts", (double)os->cond_timeouts);
            cJSON_AddNumberToObject(cv, "signals", (double)os->cond_signals);
            cJSON_AddNumberToObject(cv, "broadcasts", (double)os->cond_broadcasts);
            cJSON_AddNumberToObject(cv, "spurious", (double)os->cond_spurious);
        }
        cJSON *jw = cJSON_AddArrayToObject(o, "top_waiters");
        for (size_t k = 0; k < os->ntop_waiters; k++) {
            cJSON *r = json_thread_ref(trace, os->top_waiters[k].index);
            cJSON_AddNumberToObject(r, "wait_ns", (double)os->top_waiters[k].wait_ns);
            cJSON_AddNumberToObject(r, "count", (double)os->top_waiters[k].count);
            cJSON_AddItemToArray(jw, r);
        }
        cJSON_AddItemToArray(jobs, o);
    }

    cJSON *jdl = cJSON_AddArrayToObject(root, "deadlocks");
    for (size_t d = 0; d < s->ndeadlocks; d++) {
        const struct cvz_deadlock *dl = &s->deadlocks[d];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "formed_ns", (double)(dl->t_formed - t0));
        if (dl->t_resolved < 0)
            cJSON_AddNullToObject(o, "resolved_ns");
        else
            cJSON_AddNumberToObject(o, "resolved_ns", (double)(dl->t_resolved - t0));
        cJSON *cyc = cJSON_AddArrayToObject(o, "cycle");
        for (size_t k = 0; k < dl->nsteps; k++) {
            cJSON *st = json_thread_ref(trace, dl->steps[k].thread);
            if (dl->steps[k].obj >= 0)
                cJSON_AddStringToObject(st, "waits_for", object_name(trace, dl->steps[k].obj));
            else
                cJSON_AddNullToObject(st, "waits_for"); /* pthread_join of the next thread */
            cJSON_AddBoolToObject(st, "joins", dl->steps[k].obj < 0);
            cJSON_AddItemToArray(cyc, st);
        }
        cJSON_AddItemToArray(jdl, o);
    }

    cJSON *jin = cJSON_AddArrayToObject(root, "potential_deadlocks");
    for (size_t k = 0; k < s->ninversions; k++) {
        const struct cvz_inversion *iv = &s->inversions[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "deadlocked", iv->deadlocked);
        cJSON *ord = cJSON_AddArrayToObject(o, "orders");
        for (size_t e = 0; e < iv->nedges; e++) {
            const struct cvz_order_edge *ed = &iv->edges[e];
            cJSON *r = json_thread_ref(trace, ed->thread);
            cJSON_AddStringToObject(r, "held", object_name(trace, ed->held));
            cJSON_AddStringToObject(r, "then", object_name(trace, ed->acquired));
            cJSON_AddNumberToObject(r, "first_ns", (double)(ed->t - t0));
            cJSON_AddNumberToObject(r, "count", (double)ed->count);
            cJSON_AddItemToArray(ord, r);
        }
        cJSON_AddItemToArray(jin, o);
    }
    cJSON_AddBoolToObject(root, "potential_deadlocks_truncated", s->inversions_truncated);
    return root;
}

/* ---- the command ---------------------------------------------------------------------------- */

int cmd_report(int argc, char **argv)
{
    struct report_opts opt;
    int r = parse_options(argc, argv, &opt);
    if (r) return r < 0 ? 0 : r;

    struct stat st;
    if (stat(opt.path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "conviz report: '%s' is a directory; give a trace file (conviz record -o "
                "FILE writes one)\n",
                opt.path);
        return 1;
    }
    char *err = NULL;
    struct cvz_trace *trace = cvz_trace_load(opt.path, &err);
    if (!trace) {
        fprintf(stderr, "conviz report: cannot read '%s': %s\n", opt.path,
                err ? err : strerror(errno));
        free(err);
        return 1;
    }
    free(err);
    if (opt.object && cvz_object_find(trace, opt.object) < 0) {
        fprintf(stderr, "conviz report: no object named '%s' in %s; objects:", opt.object,
                opt.path);
        for (size_t i = 0; i < trace->nobjects && i < 20; i++)
            fprintf(stderr, "%s %s", i ? "," : "", object_name(trace, (int32_t)i));
        fprintf(stderr, "%s\n", trace->nobjects > 20 ? ", ..." : "");
        cvz_trace_free(trace);
        return 1;
    }

    if (opt.has_from && opt.from > trace->t_max - trace->t_min) {
        fprintf(stderr, "conviz report: --from %s is after the end of the trace (it lasts %s)\n",
                NS(opt.from), NS(trace->t_max - trace->t_min));
        cvz_trace_free(trace);
        return 2;
    }
    struct cvz_stats_filter f;
    cvz_stats_filter_init(&f);
    if (opt.has_from) f.from = trace->t_min + opt.from;
    if (opt.has_to) f.to = trace->t_min + opt.to;
    f.pid = opt.pid;
    f.tid = opt.tid;
    f.object = opt.object;
    f.top = opt.top;
    struct cvz_stats *s = cvz_stats_compute(trace, &f);
    if (!s) {
        fprintf(stderr, "conviz report: out of memory computing the statistics\n");
        cvz_trace_free(trace);
        return 1;
    }
    cvz_stats_sort_objects(s, opt.sort);

    if (opt.json) {
        if (trace->truncated || trace->ndiags)
            fprintf(stderr, "conviz report: %s: %zu load problem(s)%s; see trace.diagnostics\n",
                    opt.path, trace->ndiags, trace->truncated ? ", file cut short" : "");
        cJSON *root = json_report(s, &opt);
        char *text = cJSON_Print(root);
        if (text) puts(text);
        free(text);
        cJSON_Delete(root);
    } else {
        printf("conviz report: %s\n", opt.path);
        if (trace->caption) printf("  %.76s\n", trace->caption);
        text_load(trace);
        text_summary(s);
        text_processes(s, opt.top);
        text_threads(s, opt.top);
        text_objects(s, opt.top, opt.sort_name);
        text_deadlocks(s, opt.top);
    }
    cvz_stats_free(s);
    cvz_trace_free(trace);
    return 0;
}
