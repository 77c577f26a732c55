/* cvz_lttng.c - libconviz-lttng.so: conviz events as LTTng-UST tracepoints (provider `conviz`).
 *
 * DESIGN: the tracer's core dlopen()s this library when CONVIZ_LTTNG is "1" or "only", calls
 * cvz_lttng_init() once, then hands every record (and string event) to cvz_lttng_emit(),
 * which decodes it into named fields (struct cvz_lttng_fields) and fires the tracepoint of
 * its kind; the tracepoints are generated from model/cvz_events.def (gen_tp.cmake).
 *
 * Deadlock freedom (DESIGN.md §6): liblttng-ust runs code of its own in our process, and its
 * mutexes go through the PLT, so through conviz's wrappers.  Emitting a tracepoint from inside
 * liblttng-ust (its listener threads, its TSD destructors, urcu registration, its fork hooks)
 * deadlocked.  So nothing is emitted:
 *  - while this thread is already inside one of our tracepoints or LTTng's fork hooks
 *    (`tl_busy`, initial-exec TLS, so checking it never allocates);
 *  - from liblttng-ust's own threads.  They name themselves "<proc>-ust" first thing, but their
 *    thread.start record comes before that, so a new thread's thread.start is held back until
 *    its next event, when the name is known; threads created by such a thread are skipped too;
 *  - after a thread's thread.exit (what follows is TSD destructors, liblttng-ust's among them);
 *  - after process.exit, and once our destructor ran (it runs before liblttng-ust's, which
 *    depends on nothing of ours).
 * Fork: pthread_atfork handlers call liblttng-ust's own fork hooks (what liblttng-ust-fork.so
 * does around fork()), so the child re-registers with the session daemon under its own pid;
 * they are registered after the core's (see the fork section for why the order matters).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <lttng/ust-fork.h>

#include "cvz_lttng_fields.h"
#include "cvz_lttng_fire.h"
#include "cvz_tracer.h"

#define CVZ_EXPORT __attribute__((visibility("default")))
#define CVZ_TLS    __thread __attribute__((tls_model("initial-exec")))

/* ---- names of the small enums in binary records (docs/trace-format.md) ------------------ */

static const char *const acq_names[] = {"ok", "busy", "timeout", "eintr", "error"};
/* enum cvz_reason, as block.begin/block.end print it */
static const char *const reason_names[] = {"none", "lock",  "condvar", "sem",   "barrier",
                                           "join", "sleep", "io",      "child", "other"};
static const char *const fdkind_names[] = {"other", "pipe", "socket", "file", "tty", "other"};
static const char *const how_names[] = {"exit", "_exit", "signal", "killed"};
static const char *const fn_names[] = {
#define CVZ_FN(name) #name,
#include "cvz_fn.def"
#undef CVZ_FN
};
/* RUNNING's end reason, record sub (see decode_record) */
static const char *const out_names[] = {"preempt", "block", "exit", "open"};
static const char *const lost_names[] = {"ring_full", "no_ring", "perf", "write"};

#define NAME_OF(table, i) ((size_t)(i) < sizeof(table) / sizeof(table[0]) ? table[i] : "unknown")

/* ---- state ------------------------------------------------------------------------------ */

enum thread_class { TC_UNKNOWN = 0, TC_APP, TC_SKIP };

static atomic_bool g_on;     /* emitting */
static atomic_bool g_inited; /* cvz_lttng_init ran in this address space */
static bool g_init_result;
static int32_t g_pid;          /* cached getpid(), refreshed in the fork child */
static sigset_t g_fork_sigset; /* LTTng's fork hooks are serialised by LTTng's own lock */

/* Threads of liblttng-ust (tids), so that threads they create are skipped too. */
#define MAX_SKIP_TIDS 32
static _Atomic int32_t g_skip_tids[MAX_SKIP_TIDS];

static CVZ_TLS uint8_t tl_busy;
static CVZ_TLS uint8_t tl_class;
/* A new thread's first records (thread.create, which the core writes from the new thread on
 * behalf of its creator, then thread.start), held back until the thread has shown who it is. */
#define MAX_PENDING 2
static CVZ_TLS uint8_t tl_npending;
static CVZ_TLS int32_t tl_parent; /* creator's tid, from those records */
static CVZ_TLS struct cvz_record tl_pending[MAX_PENDING];

/* A fork child's process.start arrives while LTTng is not yet re-registered: held until it is */
#define MAX_CHILD_HELD 3
static struct {
    struct cvz_record rec;
    char args[4096];
} g_child_held[MAX_CHILD_HELD];
static unsigned g_nchild_held;
static CVZ_TLS uint8_t tl_forking; /* between our prepare and parent/child handlers */
static atomic_bool g_atfork_registered;
static atomic_bool g_seen_start; /* this process image's process.start went out */
/* > 0 while liblttng-ust starts its threads in a fork child (in lttng_ust_after_fork_child) */
static atomic_int g_ust_spawning;
static bool g_fork_child; /* this process is a fork child (for a made-up process.start) */

static void emit_now(const struct cvz_record *rec, const char *args_json);

/* ---- is a session daemon there? ------------------------------------------------------- */

/* True when `dir` holds a session daemon's application socket that accepts connections.
 * A connect() to the socket is the check liblttng-ust itself would do, minus the wait; the
 * daemon sees a registration that ends at once, which it ignores. */
static bool sessiond_socket_alive(const char *dir)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/lttng-ust-sock-8", dir);
    if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) return false;
    struct stat st;
    if (stat(addr.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;

    /* The daemon writes its pid next to the socket: a live pid answers without touching it. */
    char pidpath[sizeof(addr.sun_path) + 32];
    snprintf(pidpath, sizeof(pidpath), "%s/lttng-sessiond.pid", dir);
    int fd = open(pidpath, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[32] = {0};
        ssize_t got = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        long pid = got > 0 ? strtol(buf, NULL, 10) : 0;
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) return true;
    }
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return false;
    bool ok = connect(sock, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(sock);
    return ok;
}

static bool sessiond_alive(void)
{
    /* liblttng-ust registers with the root daemon (/var/run/lttng) and with the user's own
     * ($LTTNG_HOME, else $HOME, /.lttng). */
    if (sessiond_socket_alive("/var/run/lttng")) return true;
    const char *home = getenv("LTTNG_HOME");
    if (!home || !*home) home = getenv("HOME");
    if (!home || !*home) return false;
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int n = snprintf(dir, sizeof(dir), "%s/.lttng", home);
    return n > 0 && (size_t)n < sizeof(dir) && sessiond_socket_alive(dir);
}

/* ---- fork ------------------------------------------------------------------------------- */

/* LTTng's fork hooks take LTTng's mutexes through conviz's wrappers: the core's guard keeps
 * them out of the JSON trace too.  Order matters: in the child, liblttng-ust's after-fork hook
 * starts new listener threads, which pass through the wrappers, so the core must have set up
 * the child's own trace before (its atfork child handler drops the parent's ring mapping: a
 * thread writing to it then crashes, seen here).  pthread_atfork runs child handlers in
 * registration order, and cvz_lttng_init runs inside the core's constructor before the core
 * registers its handlers, so ours are registered later, at the first event that is not part
 * of the process start (see register_fork_hooks).  The core's child handler then writes the
 * child's process_name/process.start while LTTng is not re-registered: they are held and
 * emitted from our child handler.  Resolved at run time: the core is whoever loaded us. */
static bool (*core_enter)(void);
static void (*core_leave)(void);
static CVZ_TLS uint8_t tl_fork_entered;

static void fork_prepare(void)
{
    tl_busy++;
    tl_forking = 1;
    g_nchild_held = 0;
    tl_fork_entered = core_enter && core_enter();
    lttng_ust_before_fork(&g_fork_sigset);
}

static void fork_leave(void)
{
    if (tl_fork_entered && core_leave) core_leave();
    tl_fork_entered = 0;
    tl_forking = 0;
}

static void fork_parent(void)
{
    lttng_ust_after_fork_parent(&g_fork_sigset);
    fork_leave();
    tl_busy--;
}

static void fork_child(void)
{
    g_pid = (int32_t)getpid();
    for (int i = 0; i < MAX_SKIP_TIDS; i++)
        atomic_store(&g_skip_tids[i], 0);
    /* Re-registers, as liblttng-ust-fork does.  It starts liblttng-ust's threads again (not
     * through the trampoline of conviz's pthread_create: the core's guard is held) and waits
     * for them to register; their first locks come from inside liblttng-ust (urcu registration,
     * before they name themselves), and a tracepoint there deadlocks (seen here).  A thread of
     * unknown origin whose first event comes during this window is one of them. */
    atomic_fetch_add(&g_ust_spawning, 1);
    lttng_ust_after_fork_child(&g_fork_sigset);
    atomic_fetch_sub(&g_ust_spawning, 1);
    fork_leave();
    tl_busy--;
    g_fork_child = true;
    atomic_store(&g_seen_start, false);
    for (unsigned i = 0; i < g_nchild_held; i++) {
        if (g_child_held[i].rec.kind == CVZ_EV_PROCESS_START) atomic_store(&g_seen_start, true);
        emit_now(&g_child_held[i].rec, g_child_held[i].args);
    }
    g_nchild_held = 0;
}

/* A string event the core writes in a fork child before our child handler ran. */
static void hold_for_child(const struct cvz_record *rec, const char *args_json)
{
    if (!args_json || g_nchild_held >= MAX_CHILD_HELD) return;
    g_child_held[g_nchild_held].rec = *rec;
    snprintf(g_child_held[g_nchild_held].args, sizeof(g_child_held[0].args), "%s", args_json);
    g_nchild_held++;
}

static void register_fork_hooks(void)
{
    if (!atomic_exchange(&g_atfork_registered, true))
        pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- init / fini ------------------------------------------------------------------------- */

CVZ_EXPORT bool cvz_lttng_init(void)
{
    if (atomic_exchange(&g_inited, true)) return g_init_result;
    g_pid = (int32_t)getpid();
    if (!sessiond_alive()) {
        static const char msg[] = "conviz: no LTTng session daemon is running; recording JSON "
                                  "only (start one with `lttng-sessiond --daemonize`)\n";
        if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) { /* nothing else to do */
        }
        g_init_result = false;
        return false;
    }
    core_enter = (bool (*)(void))dlsym(RTLD_DEFAULT, "cvz_enter");
    core_leave = (void (*)(void))dlsym(RTLD_DEFAULT, "cvz_leave");
    if (!core_enter) register_fork_hooks(); /* no core (a test driver): nothing to wait for */
    g_init_result = true;
    atomic_store(&g_on, true);
    return true;
}

__attribute__((destructor)) static void cvz_lttng_fini(void)
{
    atomic_store(&g_on, false);
}

/* ---- thread classification ------------------------------------------------------------- */

static bool is_skip_tid(int32_t tid)
{
    if (tid <= 0) return false;
    for (int i = 0; i < MAX_SKIP_TIDS; i++)
        if (atomic_load_explicit(&g_skip_tids[i], memory_order_relaxed) == tid) return true;
    return false;
}

static void add_skip_tid(int32_t tid)
{
    for (int i = 0; i < MAX_SKIP_TIDS; i++) {
        int32_t expect = 0;
        if (atomic_compare_exchange_strong(&g_skip_tids[i], &expect, tid)) return;
    }
}

static bool name_is_ust(const char *name, size_t len)
{
    return len >= 4 && memcmp(name + len - 4, "-ust", 4) == 0;
}

static void classify(int32_t tid, int32_t parent_tid)
{
    char name[17] = {0};
    bool skip = is_skip_tid(parent_tid);
    if (!skip && prctl(PR_GET_NAME, name, 0, 0, 0) == 0) skip = name_is_ust(name, strlen(name));
    tl_class = skip ? TC_SKIP : TC_APP;
    if (skip) add_skip_tid(tid);
}

/* ---- object names ------------------------------------------------------------------------ */

/* Events about an object carry its name (CVZ_EXTRA in cvz_lttng_args.def), from the object's
 * object.declare: a fixed open-addressing table, lock-free for readers.  A slot is claimed
 * with key 1 (no object lives at address 1), its name written, then its key published. */
#define NAME_SLOTS   4096
#define NAME_PROBES  64
#define NAME_CLAIMED 1u
static struct {
    _Atomic uint64_t key;
    char name[40];
} g_names[NAME_SLOTS];

static size_t name_hash(uint64_t obj)
{
    return (size_t)((obj >> 3) * 0x9E3779B97F4A7C15ull >> 52) & (NAME_SLOTS - 1);
}

static void copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void remember_name(uint64_t obj, const char *name)
{
    if (obj <= NAME_CLAIMED || !name || !*name) return;
    size_t i = name_hash(obj);
    for (int probe = 0; probe < NAME_PROBES; probe++, i = (i + 1) & (NAME_SLOTS - 1)) {
        uint64_t key = atomic_load_explicit(&g_names[i].key, memory_order_acquire);
        if (key == 0 && atomic_compare_exchange_strong(&g_names[i].key, &key, NAME_CLAIMED)) {
            copy_name(g_names[i].name, sizeof(g_names[i].name), name);
            atomic_store_explicit(&g_names[i].key, obj, memory_order_release);
            return;
        }
        if (key == obj) { /* the address was reused by a new object */
            copy_name(g_names[i].name, sizeof(g_names[i].name), name);
            return;
        }
    }
}

static const char *object_name(uint64_t obj)
{
    size_t i = name_hash(obj);
    for (int probe = 0; probe < NAME_PROBES; probe++, i = (i + 1) & (NAME_SLOTS - 1)) {
        uint64_t key = atomic_load_explicit(&g_names[i].key, memory_order_acquire);
        if (key == obj) return g_names[i].name;
        if (key == 0) break;
    }
    return "";
}

/* Kinds whose tracepoint carries the object's name. */
static bool kind_names_object(unsigned kind)
{
    switch (kind) {
#define CVZ_ARG(key, type)
#define CVZ_KARG(kind, key, type, member)
#define CVZ_EXTRA(kind, key) case CVZ_EV_##kind:
#include "cvz_lttng_args.def"
#undef CVZ_ARG
#undef CVZ_KARG
#undef CVZ_EXTRA
        return true;
    default:
        return false;
    }
}

/* ---- decoding --------------------------------------------------------------------------- */

/* Every field to a neutral value: for string events, whose keys come in any order. */
static void fields_init(struct cvz_lttng_fields *f, const struct cvz_record *rec)
{
    memset(f, 0, sizeof(*f));
#define CVZ_ARG(key, type)                CVZ_INIT_##type(f->key);
#define CVZ_KARG(kind, key, type, member) CVZ_INIT_##type(f->member);
#define CVZ_INIT_INT(m)                   (m) = 0
#define CVZ_INIT_HEX(m)                   (m) = 0
#define CVZ_INIT_STR(m)                   (m) = ""
#include "cvz_lttng_args.def"
#undef CVZ_ARG
#undef CVZ_KARG
    f->count = -1; /* absent unless a semaphore */
    f->fd = -1;
    f->ts = rec->ts;
    f->pid = g_pid;
    f->tid = rec->tid;
}

/* A binary record, following the field use documented in cvz_tracer.h (and the JSON writer,
 * tracer/spool.c).  The hot path: only the fields of the record's kind are set, every one of
 * them (the generated tracepoint of a kind reads exactly that kind's args). */
static void decode_record(struct cvz_lttng_fields *f, const struct cvz_record *r)
{
    f->ts = r->ts;
    f->pid = g_pid;
    f->tid = r->tid;
    unsigned res = r->sub & CVZ_SUB_RES_MASK;
    const char *mode = (r->sub & CVZ_SUB_SHARED) ? "r" : "w";
    switch (r->kind) {
    case CVZ_EV_LOCK_REQUEST:
        f->obj = r->obj;
        f->mode = mode;
        break;
    case CVZ_EV_LOCK_ACQUIRE:
    case CVZ_EV_LOCK_RELEASE:
        f->obj = r->obj;
        f->mode = mode;
        f->depth = (int64_t)r->b;
        f->count = (r->sub & CVZ_SUB_COUNT) ? (int64_t)r->c : -1;
        if (r->kind == CVZ_EV_LOCK_ACQUIRE) {
            f->res = NAME_OF(acq_names, res);
            f->wait_ns = (int64_t)r->a;
        } else {
            f->hold_ns = (int64_t)r->a;
        }
        break;
    case CVZ_EV_COND_WAIT:
        f->obj = r->obj;
        f->mutex = r->a;
        f->timed = (int64_t)r->b;
        break;
    case CVZ_EV_COND_WAKE:
        f->obj = r->obj;
        f->mutex = r->a;
        f->res = NAME_OF(acq_names, res);
        break;
    case CVZ_EV_BARRIER_LEAVE:
        f->obj = r->obj;
        f->serial = (int64_t)r->a;
        break;
    case CVZ_EV_COND_SIGNAL:
    case CVZ_EV_COND_BROADCAST:
    case CVZ_EV_BARRIER_WAIT:
    case CVZ_EV_OBJ_DESTROY:
        f->obj = r->obj;
        break;
    case CVZ_EV_BLOCK_BEGIN:
        f->reason = NAME_OF(reason_names, r->sub);
        f->fn = NAME_OF(fn_names, r->a);
        f->fd = -1;
        f->fdkind = "";
        f->inode = f->target = f->ns = 0;
        if (r->sub == CVZ_R_IO) {
            f->fd = (int64_t)r->obj;
            f->fdkind = NAME_OF(fdkind_names, r->b);
            f->inode = (int64_t)r->c;
        } else if (r->sub == CVZ_R_JOIN || r->sub == CVZ_R_CHILD) {
            f->target = (int64_t)r->obj;
        } else if (r->sub == CVZ_R_SLEEP) {
            f->ns = (int64_t)r->c;
        }
        break;
    case CVZ_EV_BLOCK_END:
        f->reason = NAME_OF(reason_names, r->sub);
        f->fn = NAME_OF(fn_names, r->a);
        f->res_num = (int64_t)r->b;
        f->target = (int64_t)r->obj;
        f->status = (int64_t)r->c;
        break;
    case CVZ_EV_THREAD_CREATE:
    case CVZ_EV_PROCESS_FORK:
        f->child = (int64_t)r->obj;
        break;
    case CVZ_EV_THREAD_START:
        f->parent = (int64_t)r->obj;
        break;
    case CVZ_EV_THREAD_DETACH:
        f->target = (int64_t)r->obj;
        break;
    case CVZ_EV_PROCESS_EXIT:
        f->status = (int32_t)r->a;
        f->signal = (int64_t)r->b;
        f->how = NAME_OF(how_names, r->sub);
        break;
    case CVZ_EV_CORO_SWITCH:
        f->to = (int64_t)r->obj;
        f->name = "";
        break;
    case CVZ_EV_THREAD_EXIT:
    case CVZ_EV_USER_END:
        break;
    /* The core's collector writes these straight to JSON today (tracer/spool.c); decoded
     * the same way in case they come through here. */
    case CVZ_EV_RUNNING: /* ts = switch-in, a = cpu, b = duration, sub = out */
        f->cpu = (int64_t)r->a;
        f->dur = r->b;
        f->out = NAME_OF(out_names, r->sub);
        break;
    case CVZ_EV_SCHED_SAMPLE: { /* sub = state letter, a = cpu, b = run_delay, c = runtime */
        static const char letters[] = "RSDTtXZPIW";
        const char *l = r->sub ? strchr(letters, (char)r->sub) : NULL;
        static const char *const one[] = {"R", "S", "D", "T", "t", "X", "Z", "P", "I", "W"};
        f->state = l ? one[l - letters] : "?";
        f->cpu = (int64_t)r->a;
        f->run_delay_ns = (int64_t)r->b;
        f->runtime_ns = (int64_t)r->c;
        break;
    }
    case CVZ_EV_LOST: /* a = count, sub = reason */
        f->count = (int64_t)r->a;
        f->reason = NAME_OF(lost_names, r->sub);
        break;
    default: /* a kind that normally carries strings, without them */
        fields_init(f, r);
        break;
    }
    if (kind_names_object(r->kind)) f->name = object_name(f->obj);
}

/* One key of a string event, typed by cvz_lttng_args.def. */
enum { T_INT, T_HEX, T_STR };
struct arg_desc {
    const char *key;
    int type;
    int kind; /* -1: every kind */
    size_t offset;
};
static const struct arg_desc arg_descs[] = {
#define CVZ_ARG(key, type) {#key, T_##type, -1, offsetof(struct cvz_lttng_fields, key)},
#define CVZ_KARG(kind, key, type, member)                                                          \
    {#key, T_##type, CVZ_EV_##kind, offsetof(struct cvz_lttng_fields, member)},
#include "cvz_lttng_args.def"
#undef CVZ_ARG
#undef CVZ_KARG
};

static const struct arg_desc *find_arg(const char *key, size_t len, int kind)
{
    const struct arg_desc *any = NULL;
    for (size_t i = 0; i < sizeof(arg_descs) / sizeof(arg_descs[0]); i++) {
        const struct arg_desc *d = &arg_descs[i];
        if (strncmp(d->key, key, len) != 0 || d->key[len] != '\0') continue;
        if (d->kind == kind) return d;
        if (d->kind < 0) any = d;
    }
    return any;
}

/* Copy a JSON string (after its opening quote) into out, unescaped; returns the position after
 * the closing quote, or NULL.  \u escapes become '?' outside ASCII: enough for names. */
static const char *json_string(const char *p, char *out, size_t cap, size_t *used)
{
    size_t n = 0;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\' && *p) {
            char e = *p++;
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4 && *p; i++, p++)
                    v = v * 16 + (unsigned)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            default:
                c = e;
                break;
            }
        }
        if (n + 1 < cap) out[n++] = c;
    }
    if (*p != '"') return NULL;
    out[n] = '\0';
    *used = n + 1;
    return p + 1;
}

/* A string event's args ("\"key\":value,...", flat) into the fields; unknown keys are
 * skipped.  Strings live in `buf` (truncated when it is full). */
static void decode_args(struct cvz_lttng_fields *f, int kind, const char *p, char *buf, size_t cap)
{
    while (p && *p) {
        while (*p == ' ' || *p == ',' || *p == '{')
            p++;
        if (*p != '"') break;
        const char *key = ++p;
        while (*p && *p != '"')
            p++;
        if (!*p) break;
        size_t keylen = (size_t)(p - key);
        p++;
        while (*p == ' ' || *p == ':')
            p++;
        const struct arg_desc *d = find_arg(key, keylen, kind);
        char *field = d ? (char *)f + d->offset : NULL;
        if (*p == '"') {
            size_t used = 0;
            char *text = cap > 1 ? buf : (char[1]){0};
            p = json_string(p + 1, text, cap > 1 ? cap : 1, &used);
            if (!p) break;
            if (d && d->type == T_STR && cap > 1) {
                *(const char **)field = text;
                buf += used;
                cap -= used;
            } else if (d && d->type == T_HEX) {
                *(uint64_t *)field = strtoull(text, NULL, 0);
            } else if (d && d->type == T_INT) {
                *(int64_t *)field = strtoll(text, NULL, 0);
            }
        } else if (*p == '{' || *p == '[') {
            int depth = 0; /* nested values are not expected: skipped */
            do {
                if (*p == '{' || *p == '[') depth++;
                if (*p == '}' || *p == ']') depth--;
                p++;
            } while (*p && depth > 0);
        } else {
            char *end;
            if (d && d->type == T_INT) {
                *(int64_t *)field = strtoll(p, &end, 10);
            } else if (d && d->type == T_HEX) {
                *(uint64_t *)field = strtoull(p, &end, 0);
            } else {
                end = (char *)p;
                while (*end && *end != ',' && *end != '}')
                    end++;
                if (d && d->type == T_STR && cap > (size_t)(end - p)) { /* a number as text */
                    size_t len = (size_t)(end - p);
                    memcpy(buf, p, len);
                    buf[len] = '\0';
                    *(const char **)field = buf;
                    buf += len + 1;
                    cap -= len + 1;
                }
            }
            if (end == p) break;
            p = end;
        }
    }
}

/* ---- a process start of our own ------------------------------------------------------------ */

/* Append `len` bytes of text to a JSON string being built, escaped; NULs become spaces
 * (/proc/self/cmdline separates arguments with them). */
static size_t json_append(char *out, size_t used, size_t cap, const char *text, size_t len)
{
    for (size_t i = 0; i < len && used + 7 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0) c = ' ';
        if (c == '"' || c == '\\') {
            out[used++] = '\\';
            out[used++] = (char)c;
        } else if (c < 0x20) {
            used += (size_t)snprintf(out + used, cap - used, "\\u%04x", c);
        } else {
            out[used++] = (char)c;
        }
    }
    out[used] = '\0';
    return used;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The tracer's core writes process_name and process.start first in every process image it
 * traces to JSON; with CONVIZ_LTTNG=only it may not, and an imported trace would then lack
 * the command line, the parent and the clock anchors.  So when another event comes first,
 * make them up the same way (docs/trace-format.md), from /proc. */
static void emit_own_start(uint64_t ts)
{
    char cmdline[2048], exe[1024], args[4096], name[300];
    size_t ncmd = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, cmdline, sizeof(cmdline) - 1);
        close(fd);
        ncmd = got > 0 ? (size_t)got : 0;
        while (ncmd > 0 && cmdline[ncmd - 1] == '\0')
            ncmd--;
    }
    ssize_t nexe = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[nexe > 0 ? nexe : 0] = '\0';
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;

    /* on the process's first thread (tid == pid), at the earliest time we have */
    struct cvz_record rec = {.ts = ts, .kind = CVZ_EV_PROCESS_NAME, .tid = g_pid};
    size_t n = (size_t)snprintf(name, sizeof(name), "\"name\":\"");
    n = json_append(name, n, sizeof(name) - 2, base, strlen(base));
    snprintf(name + n, sizeof(name) - n, "\"");
    emit_now(&rec, name);

    n = (size_t)snprintf(args, sizeof(args), "\"ppid\":%d,\"via\":\"%s\",\"cmdline\":\"",
                         (int)getppid(), g_fork_child ? "fork" : "start");
    n = json_append(args, n, sizeof(args) - 1024, cmdline, ncmd);
    n += (size_t)snprintf(args + n, sizeof(args) - n, "\",\"exe\":\"");
    n = json_append(args, n, sizeof(args) - 200, exe, strlen(exe));
    snprintf(args + n, sizeof(args) - n,
             "\",\"ncpu\":%ld,\"sched\":\"none\",\"version\":1,\"mono_ns\":%llu,"
             "\"real_ns\":%llu",
             sysconf(_SC_NPROCESSORS_ONLN), (unsigned long long)clock_ns(CLOCK_MONOTONIC),
             (unsigned long long)clock_ns(CLOCK_REALTIME));
    rec.kind = CVZ_EV_PROCESS_START;
    emit_now(&rec, args);
}

/* ---- emitting --------------------------------------------------------------------------- */

static void emit_now(const struct cvz_record *rec, const char *args_json)
{
    bool enabled = cvz_lttng_kind_enabled(rec->kind);
    bool declare = rec->kind == CVZ_EV_OBJ_DECLARE && args_json;
    if (!enabled && !declare) return;
    struct cvz_lttng_fields f;
    char strings[1024];
    if (args_json) {
        fields_init(&f, rec);
        decode_args(&f, rec->kind, args_json, strings, sizeof(strings));
        if (kind_names_object(rec->kind) && !*f.name) f.name = object_name(f.obj);
    } else {
        decode_record(&f, rec);
    }
    if (declare) remember_name(f.obj, f.name); /* even while its tracepoint is off */
    if (!enabled) return;
    /* liblttng-ust may take its own mutexes in here (urcu registration of a new thread): the
     * core's guard keeps them out of the JSON trace when the core did not hold it already. */
    bool entered = core_enter && core_enter();
    tl_busy++;
    cvz_lttng_fire(rec->kind, &f);
    tl_busy--;
    if (entered) core_leave();
}

static bool args_name_is_ust(const char *args_json)
{
    const char *p = args_json ? strstr(args_json, "\"name\":\"") : NULL;
    if (!p) return false;
    p += 8;
    const char *end = strchr(p, '"');
    return end && name_is_ust(p, (size_t)(end - p));
}

CVZ_EXPORT void cvz_lttng_emit(const struct cvz_record *rec, const char *args_json)
{
    if (!rec || tl_busy || !atomic_load_explicit(&g_on, memory_order_relaxed)) {
        if (rec && tl_forking && atomic_load(&g_on)) hold_for_child(rec, args_json);
        return;
    }
    /* The core's constructor writes only the process start before registering its fork
     * handlers: anything else means they are there, and ours can follow. */
    if (__builtin_expect(!atomic_load_explicit(&g_atfork_registered, memory_order_relaxed), 0) &&
        rec->kind != CVZ_EV_PROCESS_NAME && rec->kind != CVZ_EV_PROCESS_START &&
        rec->kind != CVZ_EV_THREAD_NAME)
        register_fork_hooks();
    if (tl_class == TC_SKIP) return;
    tl_busy++;
    if (tl_class == TC_UNKNOWN) {
        bool creation = rec->kind == CVZ_EV_THREAD_START || rec->kind == CVZ_EV_THREAD_CREATE;
        if (creation && tl_npending < MAX_PENDING) {
            tl_pending[tl_npending++] = *rec;
            tl_parent = rec->kind == CVZ_EV_THREAD_START ? (int32_t)rec->obj : rec->tid;
            tl_busy--;
            return;
        }
        if (tl_npending == 0 && atomic_load(&g_ust_spawning) > 0) {
            tl_class = TC_SKIP; /* see fork_child */
            add_skip_tid(rec->tid);
        } else {
            classify(rec->tid, tl_parent);
        }
    }
    if (rec->kind == CVZ_EV_THREAD_NAME && args_name_is_ust(args_json)) {
        tl_class = TC_SKIP;
        add_skip_tid(rec->tid);
    }
    if (tl_class == TC_APP) {
        if (__builtin_expect(!atomic_load_explicit(&g_seen_start, memory_order_relaxed), 0)) {
            if (rec->kind == CVZ_EV_PROCESS_START)
                atomic_store(&g_seen_start, true);
            else if (rec->kind != CVZ_EV_PROCESS_NAME && !atomic_exchange(&g_seen_start, true)) {
                uint64_t first = rec->ts;
                for (unsigned i = 0; i < tl_npending; i++)
                    if (tl_pending[i].ts < first) first = tl_pending[i].ts;
                emit_own_start(first);
            }
        }
        for (unsigned i = 0; i < tl_npending; i++)
            emit_now(&tl_pending[i], NULL);
        tl_npending = 0;
        emit_now(rec, args_json);
    }
    if (rec->kind == CVZ_EV_THREAD_EXIT) tl_class = TC_SKIP;
    if (rec->kind == CVZ_EV_PROCESS_EXIT) atomic_store(&g_on, false);
    tl_busy--;
}
