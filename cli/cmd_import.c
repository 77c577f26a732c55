/* cmd_import.c - `conviz import`: an LTTng (CTF) trace -> a conviz JSON trace.
 *
 * DESIGN: libbabeltrace2 reads the trace (source.ctf.fs -> filter.utils.muxer -> a simple
 * sink here), so events arrive in time order.  conviz:* events (libconviz-lttng.so's
 * tracepoints, generated from model/cvz_events.def) carry the JSON event's args as fields of
 * the same names: each becomes the JSON line it came from, generically (integer -> number,
 * hex integer -> "0x..." string, string -> string), with `ts`/`pid`/`tid` from the fields of
 * the same names.  Kernel sched_switch events (an LTTng kernel session) are kept aside and,
 * at the end, turned into RUNNING "X" slices for the threads that conviz events name: a
 * switch-in starts a run, the thread's next switch-out on that CPU ends it, with `out`
 * "preempt" when prev_state says it stayed runnable and "block" otherwise.  LTTng's default
 * clock is CLOCK_MONOTONIC, the clock of conviz's "ts", so both line up without conversion.
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <babeltrace2/babeltrace.h>

#include "commands.h"

/* ---- the event kinds (model/cvz_events.def), by tracepoint name ------------------------ */

struct kind_desc {
    const char *json_name;
    const char *phase;
    const char *args; /* the JSON args of the kind, space-separated */
};
static const struct kind_desc kinds[] = {
#define CVZ_EVENT(id, name, ph, args) {name, ph, args},
#include "cvz_events.def"
#undef CVZ_EVENT
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The tracepoint name of a JSON name, as tracer/lttng/gen_tp.cmake makes it: lower case,
 * '.' -> '_'. */
static const struct kind_desc *kind_by_tracepoint(const char *tp)
{
    for (size_t i = 0; i < NKINDS; i++) {
        const char *a = kinds[i].json_name, *b = tp;
        for (; *a && *b; a++, b++) {
            char c = *a == '.' ? '_' : (char)tolower((unsigned char)*a);
            if (c != *b) break;
        }
        if (!*a && !*b) return &kinds[i];
    }
    return NULL;
}

/* Is `key` one of the kind's JSON args?  Tracepoints may carry more (the object's name on
 * lock events, for LTTng tools), which the JSON line leaves out. */
static bool is_json_arg(const struct kind_desc *kind, const char *key)
{
    size_t len = strlen(key);
    for (const char *p = kind->args; (p = strstr(p, key)) != NULL; p += len)
        if ((p == kind->args || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0')) return true;
    return false;
}

/* ---- state ------------------------------------------------------------------------------ */

struct sched_switch {
    uint64_t ts;
    int32_t cpu, prev_tid, next_tid;
    int64_t prev_state;
};

/* Threads named by conviz events: an open-addressing hash table on tid (tid 0 = empty slot;
 * conviz never records tid 0), so that kernel events of big traces find them quickly. */
struct traced_thread {
    int32_t tid, pid;
};

struct import {
    FILE *out;
    const char *out_path;
    uint64_t nconviz;  /* conviz events written */
    uint64_t nforeign; /* conviz:* events of an unknown kind (newer provider): skipped */
    uint64_t nwaking;  /* kernel sched_waking seen (not represented in the format) */
    uint64_t nother;   /* other events (kernel or other providers): skipped */
    uint64_t last_ts;  /* ns, latest event time */
    struct sched_switch *switches;
    size_t nswitches, cap_switches;
    struct traced_thread *threads;
    size_t nthreads, cap_threads;
    int max_cpu;
    bool failed; /* out of memory or a write error */
};

static void *grow(void *array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return array;
    size_t n = *cap ? *cap * 2 : 256;
    while (n < need)
        n *= 2;
    void *p = realloc(array, n * elem);
    if (p) *cap = n;
    return p;
}

static size_t thread_slot(const struct traced_thread *table, size_t cap, int32_t tid)
{
    size_t i = ((uint32_t)tid * 2654435761u) & (cap - 1);
    while (table[i].tid != 0 && table[i].tid != tid)
        i = (i + 1) & (cap - 1);
    return i;
}

static void note_thread(struct import *im, int32_t pid, int32_t tid)
{
    if (tid == 0) return;
    if ((im->nthreads + 1) * 2 > im->cap_threads) { /* keep it at most half full */
        size_t cap = im->cap_threads ? im->cap_threads * 2 : 1024;
        struct traced_thread *table = calloc(cap, sizeof(*table));
        if (!table) {
            im->failed = true;
            return;
        }
        for (size_t i = 0; i < im->cap_threads; i++)
            if (im->threads[i].tid)
                table[thread_slot(table, cap, im->threads[i].tid)] = im->threads[i];
        free(im->threads);
        im->threads = table;
        im->cap_threads = cap;
    }
    struct traced_thread *t = &im->threads[thread_slot(im->threads, im->cap_threads, tid)];
    if (t->tid == 0) im->nthreads++;
    *t = (struct traced_thread){tid, pid};
}

static const struct traced_thread *find_thread(const struct import *im, int32_t tid)
{
    if (tid == 0 || im->cap_threads == 0) return NULL;
    const struct traced_thread *t = &im->threads[thread_slot(im->threads, im->cap_threads, tid)];
    return t->tid == tid ? t : NULL;
}

/* ---- JSON output ------------------------------------------------------------------------ */

static void put_json_string(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                putc(*p, out);
        }
    }
    putc('"', out);
}

/* Microseconds with three decimals, from nanoseconds: exact, no floating point. */
static void put_us(FILE *out, uint64_t ns)
{
    fprintf(out, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

/* ---- reading fields --------------------------------------------------------------------- */

static const bt_field *member(const bt_field *structure, const char *name)
{
    if (!structure || bt_field_get_class_type(structure) != BT_FIELD_CLASS_TYPE_STRUCTURE)
        return NULL;
    return bt_field_structure_borrow_member_field_by_name_const(structure, name);
}

static bool field_int(const bt_field *f, int64_t *value)
{
    if (!f) return false;
    bt_field_class_type type = bt_field_get_class_type(f);
    if (bt_field_class_type_is(type, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)) {
        *value = (int64_t)bt_field_integer_unsigned_get_value(f);
        return true;
    }
    if (bt_field_class_type_is(type, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) {
        *value = bt_field_integer_signed_get_value(f);
        return true;
    }
    return false;
}

/* Should this arg be left out of the JSON line?  CTF fields are always there; the JSON format
 * leaves some args out (docs/trace-format.md): semaphore counts on other locks, a block's
 * fd/target/ns keys that do not belong to its reason, empty optional strings. */
static bool arg_absent(const char *kind, const char *key, const bt_field *f, const char *reason)
{
    bt_field_class_type type = bt_field_get_class_type(f);
    if (type == BT_FIELD_CLASS_TYPE_STRING) return bt_field_string_get_value(f)[0] == '\0';
    int64_t v = 0;
    field_int(f, &v);
    if (strcmp(key, "count") == 0 && strcmp(kind, "trace.lost") != 0) return v < 0;
    if (strncmp(kind, "block.", 6) != 0 || !reason) return false;
    bool io = strcmp(reason, "io") == 0, sleep = strcmp(reason, "sleep") == 0;
    bool waits = strcmp(reason, "join") == 0 || strcmp(reason, "child") == 0;
    if (strcmp(key, "fd") == 0 || strcmp(key, "fdkind") == 0) return !io;
    if (strcmp(key, "inode") == 0) return !io || v == 0;
    if (strcmp(key, "target") == 0 || strcmp(key, "status") == 0) return !waits;
    if (strcmp(key, "ns") == 0) return !sleep;
    return false;
}

/* ---- one conviz event -> one JSON line --------------------------------------------------- */

static void write_conviz_event(struct import *im, const struct kind_desc *kind,
                               const bt_field *payload, uint64_t clock_ns)
{
    int64_t ts = (int64_t)clock_ns, dur = -1, pid = 0, tid = 0;
    field_int(member(payload, "ts"), &ts);
    field_int(member(payload, "dur"), &dur);
    field_int(member(payload, "pid"), &pid);
    field_int(member(payload, "tid"), &tid);
    note_thread(im, (int32_t)pid, (int32_t)tid);

    FILE *out = im->out;
    bool meta = strcmp(kind->phase, "M") == 0, slice = strcmp(kind->phase, "X") == 0;
    fprintf(out, "{\"ph\":\"%s\",", kind->phase);
    if (strcmp(kind->phase, "i") == 0) fputs("\"s\":\"t\",", out);
    fputs("\"name\":", out);
    put_json_string(out, kind->json_name);
    if (!meta) fprintf(out, ",\"cat\":\"%s\"", slice ? "cvz.sched" : "cvz");
    fprintf(out, ",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", pid, tid);
    put_us(out, (uint64_t)ts);
    if (slice && dur >= 0) {
        fputs(",\"dur\":", out);
        put_us(out, (uint64_t)dur);
    }
    fputs(",\"args\":{", out);

    const bt_field *reason_field = member(payload, "reason");
    const char *reason =
        reason_field && bt_field_get_class_type(reason_field) == BT_FIELD_CLASS_TYPE_STRING
            ? bt_field_string_get_value(reason_field)
            : NULL;
    const bt_field_class *fc = bt_field_borrow_class_const(payload);
    uint64_t n = bt_field_class_structure_get_member_count(fc);
    bool first = true;
    for (uint64_t i = 0; i < n; i++) {
        const bt_field_class_structure_member *m =
            bt_field_class_structure_borrow_member_by_index_const(fc, i);
        const char *key = bt_field_class_structure_member_get_name(m);
        if (!is_json_arg(kind, key)) continue; /* ts, pid, tid, dur, the object's name */
        const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(payload, i);
        if (arg_absent(kind->json_name, key, f, reason)) continue;
        if (!first) putc(',', out);
        first = false;
        put_json_string(out, key);
        putc(':', out);
        bt_field_class_type type = bt_field_get_class_type(f);
        int64_t v;
        if (type == BT_FIELD_CLASS_TYPE_STRING) {
            put_json_string(out, bt_field_string_get_value(f));
        } else if (field_int(f, &v)) {
            const bt_field_class *ic = bt_field_borrow_class_const(f);
            if (bt_field_class_integer_get_preferred_display_base(ic) ==
                BT_FIELD_CLASS_INTEGER_PREFERRED_DISPLAY_BASE_HEXADECIMAL)
                fprintf(out, "\"0x%" PRIx64 "\"", (uint64_t)v);
            else if (bt_field_class_type_is(type, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
                fprintf(out, "%" PRIu64, (uint64_t)v);
            else
                fprintf(out, "%" PRId64, v);
        } else {
            fputs("null", out);
        }
    }
    fputs("}},\n", out);
    im->nconviz++;
}

/* ---- kernel events ---------------------------------------------------------------------- */

static int event_cpu(const bt_event *event)
{
    const bt_packet *packet = bt_event_borrow_packet_const(event);
    int64_t cpu = -1;
    if (packet) field_int(member(bt_packet_borrow_context_field_const(packet), "cpu_id"), &cpu);
    return (int)cpu;
}

static void keep_switch(struct import *im, const bt_event *event, const bt_field *payload,
                        uint64_t ts)
{
    int64_t prev_tid = 0, next_tid = 0, prev_state = 0;
    if (!field_int(member(payload, "prev_tid"), &prev_tid) ||
        !field_int(member(payload, "next_tid"), &next_tid))
        return;
    field_int(member(payload, "prev_state"), &prev_state);
    int cpu = event_cpu(event);
    if (cpu < 0) return;
    struct sched_switch *s = grow(im->switches, &im->cap_switches, im->nswitches + 1, sizeof(*s));
    if (!s) {
        im->failed = true;
        return;
    }
    im->switches = s;
    im->switches[im->nswitches++] =
        (struct sched_switch){ts, cpu, (int32_t)prev_tid, (int32_t)next_tid, prev_state};
    if (cpu > im->max_cpu) im->max_cpu = cpu;
}

/* prev_state of sched_switch: 0 = TASK_RUNNING, or TASK_REPORT_MAX (0x80 / 0x100, kernel
 * dependent) when the task was preempted: both mean it stayed runnable.  EXIT_DEAD (0x10) and
 * EXIT_ZOMBIE (0x20): it ended.  Anything else (S, D, ...): it went to sleep. */
static const char *switch_out_reason(int64_t prev_state)
{
    if ((prev_state & 0x7f) == 0) return "preempt";
    if (prev_state & 0x30) return "exit";
    return "block";
}

static void write_run(struct import *im, int32_t tid, int cpu, uint64_t t0, uint64_t t1,
                      const char *out_reason)
{
    const struct traced_thread *t = find_thread(im, tid);
    fprintf(im->out,
            "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":%d,"
            "\"tid\":%d,\"ts\":",
            t ? t->pid : tid, tid);
    put_us(im->out, t0);
    fputs(",\"dur\":", im->out);
    put_us(im->out, t1 - t0);
    fprintf(im->out, ",\"args\":{\"cpu\":%d,\"out\":\"%s\"}},\n", cpu, out_reason);
}

/* The kept sched_switch events (in time order) -> RUNNING slices of the traced threads. */
static uint64_t write_runs(struct import *im)
{
    if (!im->nswitches) return 0;
    size_t ncpu = (size_t)im->max_cpu + 1;
    struct running {
        int32_t tid;
        uint64_t since;
    } *on_cpu = calloc(ncpu, sizeof(*on_cpu));
    if (!on_cpu) {
        im->failed = true;
        return 0;
    }
    uint64_t nruns = 0;
    for (size_t i = 0; i < im->nswitches; i++) {
        const struct sched_switch *s = &im->switches[i];
        struct running *r = &on_cpu[s->cpu];
        if (r->tid && r->tid == s->prev_tid) {
            write_run(im, r->tid, s->cpu, r->since, s->ts, switch_out_reason(s->prev_state));
            nruns++;
        }
        r->tid = s->next_tid && find_thread(im, s->next_tid) ? s->next_tid : 0;
        r->since = s->ts;
    }
    for (size_t c = 0; c < ncpu; c++)
        if (on_cpu[c].tid) {
            write_run(im, on_cpu[c].tid, (int)c, on_cpu[c].since, im->last_ts, "open");
            nruns++;
        }
    free(on_cpu);
    return nruns;
}

/* ---- the babeltrace2 graph -------------------------------------------------------------- */

static void handle_event(struct import *im, const bt_message *msg)
{
    const bt_event *event = bt_message_event_borrow_event_const(msg);
    const char *name = bt_event_class_get_name(bt_event_borrow_class_const(event));
    if (!name) return;
    uint64_t ts = 0;
    const bt_clock_class *cc = bt_message_event_borrow_stream_class_default_clock_class_const(msg);
    if (cc) {
        const bt_clock_snapshot *cs = bt_message_event_borrow_default_clock_snapshot_const(msg);
        uint64_t cycles = bt_clock_snapshot_get_value(cs), freq = bt_clock_class_get_frequency(cc);
        /* LTTng's clock counts ns of CLOCK_MONOTONIC (offsets only move it to the epoch) */
        ts = freq == 1000000000u ? cycles
                                 : (uint64_t)((unsigned __int128)cycles * 1000000000u / freq);
    }
    if (ts > im->last_ts) im->last_ts = ts;
    const bt_field *payload = bt_event_borrow_payload_field_const(event);

    if (strncmp(name, "conviz:", 7) == 0) {
        const struct kind_desc *kind = kind_by_tracepoint(name + 7);
        if (kind && payload)
            write_conviz_event(im, kind, payload, ts);
        else
            im->nforeign++;
    } else if (strcmp(name, "sched_switch") == 0) {
        keep_switch(im, event, payload, ts);
    } else if (strcmp(name, "sched_waking") == 0 || strcmp(name, "sched_wakeup") == 0) {
        im->nwaking++;
    } else {
        im->nother++;
    }
}

static bt_graph_simple_sink_component_consume_func_status consume(bt_message_iterator *it,
                                                                  void *data)
{
    struct import *im = data;
    bt_message_array_const msgs;
    uint64_t count;
    switch (bt_message_iterator_next(it, &msgs, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (bt_message_get_type(msgs[i]) == BT_MESSAGE_TYPE_EVENT) handle_event(im, msgs[i]);
        bt_message_put_ref(msgs[i]);
    }
    return im->failed ? BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR
                      : BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* The first cause of the current babeltrace2 error, for our own message. */
static void print_bt_error(const char *what)
{
    const bt_error *err = bt_current_thread_take_error();
    const char *cause = NULL;
    /* The first cause is the innermost, the most specific ("does not contain a metadata
     * file"); the others only say which component failed. */
    if (err && bt_error_get_cause_count(err) > 0)
        cause = bt_error_cause_get_message(bt_error_borrow_cause_by_index(err, 0));
    fprintf(stderr, "conviz import: %s%s%s\n", what, cause ? ": " : "", cause ? cause : "");
    if (err) bt_error_release(err);
}

static const bt_component_class_source *find_source(const bt_plugin **plugin)
{
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, plugin) !=
        BT_PLUGIN_FIND_STATUS_OK)
        return NULL;
    return bt_plugin_borrow_source_component_class_by_name_const(*plugin, "fs");
}

static const bt_component_class_filter *find_muxer(const bt_plugin **plugin)
{
    if (bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, plugin) !=
        BT_PLUGIN_FIND_STATUS_OK)
        return NULL;
    return bt_plugin_borrow_filter_component_class_by_name_const(*plugin, "muxer");
}

/* Every CTF trace under `dir` (a folder with a `metadata` file): an LTTng session's output
 * holds one per buffer scheme and domain (ust/uid/0/64-bit, kernel, ...). */
static bt_value *traces_in;

static int add_trace_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F) return 0;
    const char *base = strrchr(path, '/');
    if (strcmp(base ? base + 1 : path, "metadata") != 0) return 0;
    size_t len = base ? (size_t)(base - path) : 1;
    char *trace = strndup(base ? path : ".", len);
    if (!trace) return -1;
    bt_value_array_append_element_status st2 =
        bt_value_array_append_string_element(traces_in, trace);
    free(trace);
    return st2 == BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK ? 0 : -1;
}

/* Build source.ctf.fs(dir) -> muxer -> our sink and run it.  Returns 0 or prints why not. */
static int read_trace(const char *dir, struct import *im)
{
    int rc = 1;
    const bt_plugin *ctf = NULL, *utils = NULL;
    bt_graph *graph = NULL;
    bt_value *params = NULL;
    const bt_component_class_source *fs_class = find_source(&ctf);
    const bt_component_class_filter *mux_class = find_muxer(&utils);
    if (!fs_class || !mux_class) {
        fprintf(stderr, "conviz import: babeltrace2's ctf and utils plugins were not found "
                        "(install babeltrace2, or set BABELTRACE_PLUGIN_PATH)\n");
        goto out;
    }
    graph = bt_graph_create(0);
    params = bt_value_map_create();
    bt_value *inputs = NULL;
    if (!graph || !params ||
        bt_value_map_insert_empty_array_entry(params, "inputs", &inputs) !=
            BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK ||
        !(traces_in = inputs) || nftw(dir, add_trace_dir, 16, FTW_PHYS) != 0) {
        fprintf(stderr, "conviz import: cannot read %s: %s\n", dir, strerror(errno));
        goto out;
    }
    if (bt_value_array_get_length(inputs) == 0) {
        fprintf(stderr,
                "conviz import: %s holds no CTF trace (no `metadata` file in it or below it): "
                "give an LTTng session's output directory, e.g. ~/lttng-traces/NAME-DATE\n",
                dir);
        goto out;
    }
    const bt_component_source *src = NULL;
    const bt_component_filter *mux = NULL;
    const bt_component_sink *sink = NULL;
    if (bt_graph_add_source_component(graph, fs_class, "ctf", params, BT_LOGGING_LEVEL_NONE,
                                      &src) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        char what[4200];
        snprintf(what, sizeof(what), "cannot open the CTF trace%s under %s",
                 bt_value_array_get_length(inputs) > 1 ? "s" : "", dir);
        print_bt_error(what);
        goto out;
    }
    uint64_t nports = bt_component_source_get_output_port_count(src);
    if (nports == 0) {
        fprintf(stderr, "conviz import: %s holds no CTF data stream\n", dir);
        goto out;
    }
    if (bt_graph_add_filter_component(graph, mux_class, "mux", NULL, BT_LOGGING_LEVEL_NONE, &mux) !=
            BT_GRAPH_ADD_COMPONENT_STATUS_OK ||
        bt_graph_add_simple_sink_component(graph, "conviz", NULL, consume, NULL, im, &sink) !=
            BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        print_bt_error("cannot build the babeltrace2 graph");
        goto out;
    }
    for (uint64_t i = 0; i < nports; i++) {
        /* the muxer adds an input port each time one gets connected */
        const bt_port_input *in = bt_component_filter_borrow_input_port_by_index_const(mux, i);
        if (!in || bt_graph_connect_ports(
                       graph, bt_component_source_borrow_output_port_by_index_const(src, i), in,
                       NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
            print_bt_error("cannot connect the trace's streams");
            goto out;
        }
    }
    if (bt_graph_connect_ports(graph, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                               bt_component_sink_borrow_input_port_by_index_const(sink, 0),
                               NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        print_bt_error("cannot connect the muxer");
        goto out;
    }
    bt_graph_run_status st;
    while ((st = bt_graph_run(graph)) == BT_GRAPH_RUN_STATUS_AGAIN)
        usleep(1000);
    if (st != BT_GRAPH_RUN_STATUS_OK) {
        if (im->failed)
            fprintf(stderr, "conviz import: out of memory\n");
        else
            print_bt_error("reading the trace failed");
        goto out;
    }
    rc = 0;
out:
    bt_value_put_ref(params);
    bt_graph_put_ref(graph);
    bt_plugin_put_ref(ctf);
    bt_plugin_put_ref(utils);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: conviz import TRACE_DIR -o TRACE.json\n\n"
            "Convert an LTTng (CTF) trace into a conviz JSON trace that `conviz view` and\n"
            "`conviz report` open.  TRACE_DIR is a session's output directory (or any folder\n"
            "under it).  The trace must hold conviz:* events: record the program with\n"
            "`conviz record --lttng` (or CONVIZ_LTTNG=1) while a session with\n"
            "`lttng enable-event -u 'conviz:*'` is active.  Kernel sched_switch events of the\n"
            "same session (lttng enable-event -k sched_switch,sched_waking) become the\n"
            "RUNNING slices of the threads conviz traced.\n\n"
            "  -o, --output FILE   the JSON trace to write (required)\n"
            "  -h, --help          this help\n");
}

int cmd_import(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "conviz import: %s\n\n",
                optind >= argc ? "give the LTTng trace directory" : "give one trace directory");
        usage(stderr);
        return 2;
    }
    if (!out_path) {
        fprintf(stderr, "conviz import: give the JSON trace to write with -o FILE\n");
        return 2;
    }
    const char *dir = argv[optind];
    struct stat st;
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "conviz import: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "conviz import: %s is not a directory: give the LTTng session's output "
                "directory (a CTF trace is a folder with a `metadata` file)\n",
                dir);
        return 1;
    }

    struct import im = {.out_path = out_path, .max_cpu = -1};
    im.out = fopen(out_path, "w");
    if (!im.out) {
        fprintf(stderr, "conviz import: cannot write %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    fputs("[\n", im.out);
    int rc = read_trace(dir, &im);
    uint64_t nruns = 0;
    if (rc == 0 && im.nconviz == 0) {
        fprintf(stderr,
                "conviz import: %s holds no conviz events (%" PRIu64 " other events).  Record "
                "with `conviz record --lttng` or CONVIZ_LTTNG=1 while a session has "
                "`lttng enable-event -u 'conviz:*'` enabled\n",
                dir, im.nother + im.nswitches + im.nwaking);
        rc = 1;
    }
    if (rc == 0) {
        nruns = write_runs(&im);
        fputs("]\n", im.out);
    }
    if (fclose(im.out) != 0 && rc == 0) {
        fprintf(stderr, "conviz import: writing %s failed: %s\n", out_path, strerror(errno));
        rc = 1;
    }
    if (rc == 0 && im.failed) {
        fprintf(stderr, "conviz import: out of memory\n");
        rc = 1;
    }
    if (rc != 0) {
        unlink(out_path);
    } else {
        fprintf(stderr,
                "conviz import: %" PRIu64 " conviz events, %" PRIu64 " RUNNING slices from %zu "
                "sched_switch, %zu threads -> %s\n",
                im.nconviz, nruns, im.nswitches, im.nthreads, out_path);
        if (im.nforeign)
            fprintf(stderr,
                    "conviz import: %" PRIu64 " conviz:* events of unknown kinds skipped "
                    "(trace from a newer conviz?)\n",
                    im.nforeign);
    }
    free(im.switches);
    free(im.threads);
    return rc;
}
