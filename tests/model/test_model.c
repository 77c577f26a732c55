/* test_model.c - unit tests of the trace model: small hand-written traces with known answers
 * (states and reasons at given times, holds, wake edges), bad input (truncated, not JSON, empty,
 * missing, absurd values, broken sequences), foreign Chrome traces in their three forms, and
 * the check that docs/trace-format.md documents exactly the kinds of cvz_events.def.
 * Usage: test_model CASE   (CTest runs each case; `test_model all` runs them all)
 *        test_model check TRACE   (the model's invariants on any trace)
 */
#include "cvz_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)
#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld, expected %s = %lld\n", __FILE__,   \
                    __LINE__, #a, a_, #b, b_);                                                     \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define US(x) ((cvz_ns)((x)*1000))

static struct cvz_trace *load_file(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MODEL_DATA_DIR, name);
    char *err = NULL;
    struct cvz_trace *tr = cvz_trace_load(path, &err);
    if (!tr) fprintf(stderr, "cannot load %s: %s\n", path, err ? err : "?");
    free(err);
    return tr;
}

static struct cvz_trace *load_str(const char *text)
{
    char *err = NULL;
    struct cvz_trace *tr = cvz_trace_load_buffer(text, strlen(text), "inline", &err);
    if (!tr) fprintf(stderr, "inline trace not loaded: %s\n", err ? err : "?");
    free(err);
    return tr;
}

static const struct cvz_span *span_at(const struct cvz_trace *tr, int pid, int tid, cvz_ns t)
{
    int32_t ti = cvz_thread_find(tr, pid, tid);
    if (ti < 0) return NULL;
    ptrdiff_t k = cvz_span_at(&tr->threads[ti], t);
    return k < 0 ? NULL : &tr->threads[ti].spans[k];
}

static int state_at(const struct cvz_trace *tr, int pid, int tid, cvz_ns t)
{
    const struct cvz_span *s = span_at(tr, pid, tid, t);
    return s ? s->state : -1;
}

static int reason_at(const struct cvz_trace *tr, int pid, int tid, cvz_ns t)
{
    const struct cvz_span *s = span_at(tr, pid, tid, t);
    return s ? s->reason : -1;
}

static bool has_wake(const struct cvz_trace *tr, int kind, int32_t from, int32_t to, cvz_ns t_from,
                     cvz_ns t_to)
{
    for (size_t i = 0; i < tr->nwakes; i++) {
        const struct cvz_wake *w = &tr->wakes[i];
        if (w->kind == kind && w->from_thread == from && w->to_thread == to &&
            w->t_from == t_from && w->t_to == t_to)
            return true;
    }
    return false;
}

static size_t count_wakes(const struct cvz_trace *tr, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < tr->nwakes; i++)
        n += tr->wakes[i].kind == kind;
    return n;
}

/* What must hold for every trace: spans tile each thread's life, sorted, without overlap;
 * exclusive holds of different threads never overlap; wakes and marks are sorted. */
static void check_invariants(const struct cvz_trace *tr)
{
    for (size_t i = 0; i < tr->nthreads; i++) {
        const struct cvz_thread *t = &tr->threads[i];
        CHECK(t->nspans > 0);
        if (!t->nspans) continue;
        CHECK_EQ(t->spans[0].t0, t->t_start);
        CHECK_EQ(t->spans[t->nspans - 1].t1, t->t_end);
        cvz_ns total = 0;
        for (size_t k = 0; k < t->nspans; k++) {
            const struct cvz_span *s = &t->spans[k];
            CHECK(s->t1 >= s->t0);
            CHECK(s->state < CVZ_ST__COUNT);
            CHECK(s->reason < CVZ_R__COUNT);
            if (k) CHECK_EQ(s->t0, t->spans[k - 1].t1);
            if (s->state == CVZ_ST_BLOCKED) CHECK(s->reason != CVZ_R_NONE);
            total += s->t1 - s->t0;
        }
        cvz_ns sum = 0;
        for (int st = 0; st < CVZ_ST__COUNT; st++)
            sum += t->time_in[st];
        CHECK_EQ(sum, total);
        CHECK(t->proc >= 0 && (size_t)t->proc < tr->nprocs);
    }
    for (size_t i = 0; i < tr->nobjects; i++) {
        const struct cvz_object *o = &tr->objects[i];
        if (o->kind != CVZ_OBJ_MUTEX && o->kind != CVZ_OBJ_SPIN && o->kind != CVZ_OBJ_RWLOCK)
            continue;
        for (size_t a = 0; a < o->nholds; a++) {
            const struct cvz_hold *ha = &o->holds[a];
            if (a) CHECK(o->holds[a - 1].t_req <= ha->t_req);
            if (ha->result != CVZ_ACQ_OK) continue;
            for (size_t b = a + 1; b < o->nholds; b++) {
                const struct cvz_hold *hb = &o->holds[b];
                if (hb->result != CVZ_ACQ_OK) continue;
                if (ha->mode == 'r' && hb->mode == 'r') continue;
                cvz_ns ea = ha->t_rel < 0 ? INT64_MAX : ha->t_rel;
                cvz_ns eb = hb->t_rel < 0 ? INT64_MAX : hb->t_rel;
                bool overlap = ha->t_acq < eb && hb->t_acq < ea;
                if (overlap)
                    fprintf(stderr, "object %s: holds %zu and %zu overlap\n", o->name, a, b);
                CHECK(!overlap);
            }
        }
    }
    for (size_t i = 1; i < tr->nwakes; i++)
        CHECK(tr->wakes[i - 1].t_to <= tr->wakes[i].t_to);
    for (size_t i = 0; i < tr->nwakes; i++) {
        CHECK(tr->wakes[i].t_from <= tr->wakes[i].t_to);
        CHECK(tr->wakes[i].from_thread >= 0 && (size_t)tr->wakes[i].from_thread < tr->nthreads);
        CHECK(tr->wakes[i].to_thread >= 0 && (size_t)tr->wakes[i].to_thread < tr->nthreads);
    }
    for (size_t i = 1; i < tr->nmarks; i++)
        CHECK(tr->marks[i - 1].t0 <= tr->marks[i].t0);
    for (int c = 0; c < tr->ncpu && tr->cpus; c++)
        for (size_t k = 1; k < tr->cpus[c].nruns; k++)
            CHECK(tr->cpus[c].runs[k - 1].t0 <= tr->cpus[c].runs[k].t0);
    CHECK(tr->ndiags <= CVZ_MAX_DIAGS);
}

/* ---- cases -------------------------------------------------------------------------------- */

static void test_tables(void)
{
    for (int k = 0; k < CVZ_EV__COUNT; k++) {
        CHECK(cvz_event_names[k] && cvz_event_phases[k] && cvz_event_args[k]);
        CHECK_EQ(cvz_event_kind_from_name(cvz_event_names[k]), k);
    }
    CHECK_EQ(cvz_event_kind_from_name("lock.acquire"), CVZ_EV_LOCK_ACQUIRE);
    CHECK_EQ(cvz_event_kind_from_name("lock.acquir"), -1);
    CHECK_EQ(cvz_event_kind_from_name("no.such"), -1);
    CHECK_EQ(cvz_event_kind_from_name(""), -1);
    CHECK_EQ(cvz_event_kind_from_name(NULL), -1);
    CHECK(strcmp(cvz_state_names[CVZ_ST_BLOCKED], "BLOCKED") == 0);
    CHECK(strcmp(cvz_reason_names[CVZ_R_CONDVAR], "condvar") == 0);
    CHECK(strcmp(cvz_obj_kind_names[CVZ_OBJ_SEM], "sem") == 0);
    CHECK(strcmp(cvz_wake_names[CVZ_WAKE_PIPE], "pipe") == 0);

    char buf[32];
    CHECK(strcmp(cvz_format_ns(950, buf, sizeof buf), "950 ns") == 0);
    CHECK(strcmp(cvz_format_ns(12300000, buf, sizeof buf), "12.3 ms") == 0);
    CHECK(strcmp(cvz_format_ns(1500, buf, sizeof buf), "1.5 us") == 0);
    CHECK(strcmp(cvz_format_ns(2000000000, buf, sizeof buf), "2 s") == 0);
    CHECK(strcmp(cvz_format_ns(999999, buf, sizeof buf), "1 ms") == 0);
    CHECK(strcmp(cvz_format_ns(-4200, buf, sizeof buf), "-4.2 us") == 0);
    CHECK(strcmp(cvz_format_ns(0, buf, sizeof buf), "0 ns") == 0);
    CHECK(cvz_format_ns(INT64_MIN, buf, sizeof buf) == buf);
    char tiny[4];
    cvz_format_ns(123456789, tiny, sizeof tiny); /* truncates, never overflows */
    CHECK(strlen(tiny) < sizeof tiny);

    cvz_ns v = 0;
    CHECK(cvz_parse_ns("1.5ms", &v) && v == 1500000);
    CHECK(cvz_parse_ns("200us", &v) && v == 200000);
    CHECK(cvz_parse_ns("200 \xc2\xb5s", &v) && v == 200000);
    CHECK(cvz_parse_ns("3s", &v) && v == 3000000000);
    CHECK(cvz_parse_ns("42", &v) && v == 42);
    CHECK(cvz_parse_ns(" 7 ns", &v) && v == 7);
    CHECK(!cvz_parse_ns("", &v));
    CHECK(!cvz_parse_ns("abc", &v));
    CHECK(!cvz_parse_ns("5 parsecs", &v));
    CHECK(!cvz_parse_ns("1e300s", &v));
    CHECK(!cvz_parse_ns("nan", &v));
    CHECK(!cvz_parse_ns(NULL, &v));
}

/* perf source: RUNNING events, preempt/block switch-outs, wake edges that make READY. */
static void test_mutex_perf(void)
{
    struct cvz_trace *tr = load_file("mutex_perf.json");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK(tr->is_conviz);
    CHECK_EQ(tr->sched_source, CVZ_SCHED_PERF);
    CHECK_EQ(tr->ncpu, 2);
    CHECK_EQ(tr->broken, 0);
    CHECK_EQ(tr->nthreads, 2);
    CHECK_EQ(tr->nprocs, 1);
    CHECK(tr->caption && strcmp(tr->caption, "demo -x") == 0);
    CHECK_EQ(tr->real_anchor, 1700000000000000000LL);
    int32_t main_t = cvz_thread_find(tr, 100, 100), worker = cvz_thread_find(tr, 100, 101);
    CHECK_EQ(main_t, 0);
    CHECK_EQ(worker, 1);
    CHECK(strcmp(tr->threads[worker].name, "worker") == 0);
    CHECK_EQ(tr->threads[worker].parent, main_t);
    /* worker: runs, blocks on the lock, becomes READY at the unlock, runs */
    CHECK_EQ(state_at(tr, 100, 101, US(1005)), CVZ_ST_RUNNING);
    CHECK_EQ(span_at(tr, 100, 101, US(1005))->cpu, 1);
    CHECK_EQ(state_at(tr, 100, 101, US(1007)), CVZ_ST_BLOCKED);
    CHECK_EQ(reason_at(tr, 100, 101, US(1007)), CVZ_R_LOCK);
    int32_t lock = cvz_object_find(tr, "counter_lock");
    CHECK(lock >= 0);
    CHECK_EQ(span_at(tr, 100, 101, US(1007))->obj, lock);
    CHECK_EQ(state_at(tr, 100, 101, US(1009)), CVZ_ST_READY);
    CHECK_EQ(state_at(tr, 100, 101, US(1013)), CVZ_ST_RUNNING);
    /* main: joins the worker, READY from its exit, runs */
    CHECK_EQ(state_at(tr, 100, 100, US(1011)), CVZ_ST_BLOCKED);
    CHECK_EQ(reason_at(tr, 100, 100, US(1011)), CVZ_R_JOIN);
    CHECK_EQ(span_at(tr, 100, 100, US(1011))->target, worker);
    CHECK_EQ(state_at(tr, 100, 100, US(1015)), CVZ_ST_READY);
    CHECK_EQ(tr->threads[main_t].time_in[CVZ_ST_RUNNING], US(14));
    /* a wrapper event stamped while switched out does not make the thread RUNNING */
    CHECK_EQ(state_at(tr, 100, 100, US(1012)), CVZ_ST_BLOCKED);
    /* holds and wake edges */
    const struct cvz_object *o = &tr->objects[lock];
    CHECK_EQ(o->nholds, 2);
    CHECK(o->contended);
    CHECK_EQ(o->holds[1].t_req, US(1005));
    CHECK_EQ(o->holds[1].t_acq, US(1012.5));
    CHECK_EQ(o->holds[1].t_rel, US(1013));
    CHECK(has_wake(tr, CVZ_WAKE_UNLOCK, main_t, worker, US(1008), US(1012.5)));
    CHECK(has_wake(tr, CVZ_WAKE_JOIN, worker, main_t, US(1014), US(1016)));
    CHECK(has_wake(tr, CVZ_WAKE_CREATE, main_t, worker, US(1002), US(1004)));
    CHECK_EQ(tr->nwakes, 3);
    /* CPU lanes */
    CHECK(tr->cpus);
    CHECK_EQ(tr->cpus[0].nruns, 2);
    CHECK_EQ(tr->cpus[1].nruns, 2);
    CHECK_EQ(tr->cpus[1].runs[0].thread, worker);
    /* queries */
    CHECK_EQ(cvz_span_lower(&tr->threads[main_t], 0), 0);
    CHECK_EQ(cvz_span_lower(&tr->threads[main_t], US(5000)), tr->threads[main_t].nspans);
    CHECK_EQ(cvz_span_at(&tr->threads[main_t], US(1)), -1);
    CHECK_EQ(cvz_thread_find(tr, 100, 999), -1);
    CHECK_EQ(cvz_object_find(tr, "nope"), -1);
    cvz_trace_free(tr);
}

/* no scheduler source: condvar, semaphore handshake, barrier, rwlock readers, recursion,
 * destroy+reuse, sleep, pipe, user regions, coroutines, join, fork/wait, shared semaphore. */
static void test_sync_none(void)
{
    struct cvz_trace *tr = load_file("sync_none.json");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(tr->sched_source, CVZ_SCHED_NONE);
    CHECK_EQ(tr->broken, 0);
    CHECK_EQ(tr->lost_events, 5);
    CHECK_EQ(tr->nprocs, 2);
    CHECK_EQ(tr->ncpu, 4);
    int32_t m = cvz_thread_find(tr, 200, 200), cons = cvz_thread_find(tr, 200, 201),
            t2 = cvz_thread_find(tr, 200, 202), child = cvz_thread_find(tr, 300, 300);
    CHECK(m >= 0 && cons >= 0 && t2 >= 0 && child >= 0);
    CHECK(strcmp(tr->threads[cons].name, "cons") == 0);
    /* RUNNING between calls, BLOCKED inside the calls that waited, READY never */
    CHECK_EQ(state_at(tr, 200, 201, US(110.5)), CVZ_ST_RUNNING);
    CHECK_EQ(state_at(tr, 200, 201, US(112)), CVZ_ST_BLOCKED);
    CHECK_EQ(reason_at(tr, 200, 201, US(112)), CVZ_R_CONDVAR);
    CHECK_EQ(reason_at(tr, 200, 202, US(121)), CVZ_R_SEM);
    CHECK_EQ(reason_at(tr, 200, 201, US(131)), CVZ_R_BARRIER);
    CHECK_EQ(reason_at(tr, 200, 200, US(142)), CVZ_R_LOCK);
    CHECK_EQ(reason_at(tr, 200, 201, US(162)), CVZ_R_SLEEP);
    CHECK_EQ(reason_at(tr, 200, 202, US(171)), CVZ_R_IO);
    CHECK_EQ(span_at(tr, 200, 202, US(171))->target, 3); /* the fd */
    CHECK_EQ(reason_at(tr, 200, 200, US(191)), CVZ_R_JOIN);
    CHECK_EQ(reason_at(tr, 200, 200, US(195)), CVZ_R_CHILD);
    CHECK_EQ(span_at(tr, 200, 200, US(195))->target, 1); /* process index of pid 300 */
    for (size_t i = 0; i < tr->nthreads; i++)
        CHECK_EQ(tr->threads[i].time_in[CVZ_ST_READY], 0);
    /* condvar: the wait releases the mutex, the wake re-acquires it */
    int32_t mo = cvz_object_find(tr, "m");
    CHECK(mo >= 0);
    const struct cvz_object *o = &tr->objects[mo];
    CHECK_EQ(o->nholds, 4);
    CHECK_EQ(o->holds[0].t_rel, US(111));
    CHECK_EQ(o->holds[2].t_acq, US(118));
    CHECK_EQ(o->holds[3].result, CVZ_ACQ_BUSY);
    CHECK_EQ(o->holds[3].t_rel, -1);
    CHECK(has_wake(tr, CVZ_WAKE_SIGNAL, m, cons, US(116), US(118)));
    CHECK_EQ(tr->objects[cvz_object_find(tr, "cv")].nsignals, 1);
    /* semaphore: a post by a thread without a unit is a handshake; the waiter's own post
     * releases its unit */
    const struct cvz_object *sem = &tr->objects[cvz_object_find(tr, "slots")];
    CHECK_EQ(sem->kind, CVZ_OBJ_SEM);
    CHECK_EQ(sem->nholds, 1);
    CHECK_EQ(sem->holds[0].thread, t2);
    CHECK_EQ(sem->holds[0].t_rel, US(124));
    CHECK_EQ(sem->holds[0].count, 0);
    CHECK(has_wake(tr, CVZ_WAKE_POST, m, t2, US(122), US(123)));
    /* barrier: the last arrival releases the others */
    CHECK_EQ(count_wakes(tr, CVZ_WAKE_BARRIER), 2);
    CHECK(has_wake(tr, CVZ_WAKE_BARRIER, t2, cons, US(132), US(133)));
    CHECK(has_wake(tr, CVZ_WAKE_BARRIER, t2, m, US(132), US(133.5)));
    /* rwlock: two readers at once, then the writer after the last reader */
    const struct cvz_object *rw = &tr->objects[cvz_object_find(tr, "rw")];
    CHECK_EQ(rw->nholds, 3);
    CHECK(rw->holds[0].mode == 'r' && rw->holds[1].mode == 'r' && rw->holds[2].mode == 'w');
    CHECK(rw->holds[1].t_acq < rw->holds[0].t_rel); /* overlap of readers */
    CHECK(has_wake(tr, CVZ_WAKE_UNLOCK, t2, m, US(143), US(143.5)));
    /* recursive mutex: one hold, depth 2 */
    const struct cvz_object *rec = &tr->objects[cvz_object_find(tr, "rec")];
    CHECK_EQ(rec->nholds, 1);
    CHECK_EQ(rec->holds[0].depth, 2);
    CHECK_EQ(rec->holds[0].t_rel, US(153));
    /* destroy then a new object at the same address */
    int32_t m2 = cvz_object_find(tr, "m2");
    CHECK(m2 >= 0 && m2 != mo);
    CHECK_EQ(tr->objects[m2].nholds, 1);
    CHECK_EQ(tr->objects[m2].addr, tr->objects[mo].addr);
    /* shared semaphore: one object for both processes */
    int nshm = 0;
    for (size_t i = 0; i < tr->nobjects; i++)
        nshm += strcmp(tr->objects[i].name, "shm") == 0;
    CHECK_EQ(nshm, 1);
    /* pipe, join, fork, child */
    CHECK(has_wake(tr, CVZ_WAKE_PIPE, cons, t2, US(172), US(173)));
    CHECK(has_wake(tr, CVZ_WAKE_JOIN, cons, m, US(191), US(192)));
    CHECK(has_wake(tr, CVZ_WAKE_CHILD, child, m, US(196), US(197)));
    CHECK_EQ(count_wakes(tr, CVZ_WAKE_FORK), 1);
    CHECK_EQ(tr->procs[1].parent_thread, m);
    CHECK_EQ(tr->procs[1].reaped_by, m);
    CHECK_EQ(tr->procs[1].exit_status, 3);
    CHECK_EQ(tr->procs[1].ppid, 200);
    /* marks: user region and instant, thread exits */
    int regions = 0, users = 0, exits = 0;
    for (size_t i = 0; i < tr->nmarks; i++) {
        const struct cvz_mark *mk = &tr->marks[i];
        if (mk->kind == CVZ_MARK_REGION) {
            regions++;
            CHECK(mk->text && strcmp(mk->text, "phase1") == 0);
            CHECK_EQ(mk->t1 - mk->t0, US(2));
        }
        users += mk->kind == CVZ_MARK_USER;
        exits += mk->kind == CVZ_MARK_THREAD_EXIT;
    }
    CHECK_EQ(regions, 1);
    CHECK_EQ(users, 1);
    CHECK_EQ(exits, 2);
    /* coroutine lane right after its thread, RUNNING while current */
    int32_t lane = cons + 1;
    CHECK((size_t)lane < tr->nthreads);
    CHECK_EQ(tr->threads[lane].coro_of, cons);
    CHECK(tr->threads[lane].tid < 0);
    CHECK(strcmp(tr->threads[lane].name, "gen") == 0);
    CHECK_EQ(cvz_span_at(&tr->threads[lane], US(186)) >= 0
                 ? tr->threads[lane].spans[cvz_span_at(&tr->threads[lane], US(186))].state
                 : -1,
             CVZ_ST_RUNNING);
    CHECK_EQ(tr->threads[lane].spans[cvz_span_at(&tr->threads[lane], US(188))].state,
             CVZ_ST_UNKNOWN);
    cvz_trace_free(tr);
}

/* a process without process.start: unknown pid, sched none by default; a thread that never
 * exits lives until its process exits */
static void test_lifetimes(void)
{
    struct cvz_trace *tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"thread.start\",\"cat\":\"cvz\",\"pid\":7,\"tid\":8,\"ts\":10,"
        "\"args\":{\"parent\":7}},\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":5,"
        "\"args\":{\"text\":\"go\"}},\n"
        "{\"ph\":\"i\",\"name\":\"process.exit\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":50,"
        "\"args\":{\"status\":0}},\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    int32_t t8 = cvz_thread_find(tr, 7, 8);
    CHECK(t8 >= 0);
    CHECK_EQ(tr->threads[t8].t_start, US(10));
    CHECK_EQ(tr->threads[t8].t_end, US(50));
    CHECK_EQ(tr->threads[t8].parent, cvz_thread_find(tr, 7, 7));
    CHECK_EQ(tr->procs[0].t_end, US(50));
    CHECK_EQ(tr->procs[0].threads[0], cvz_thread_find(tr, 7, 7)); /* main thread first */
    cvz_trace_free(tr);
}

/* proc samples: RUNNING/READY from runtime and run_delay growth */
static void test_proc_samples(void)
{
    struct cvz_trace *tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"process.start\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":0,"
        "\"args\":{\"sched\":\"proc\",\"ncpu\":2,\"cmdline\":\"p\"}},\n"
        "{\"ph\":\"i\",\"name\":\"sched.sample\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":0,"
        "\"args\":{\"state\":\"R\",\"cpu\":1,\"run_delay_ns\":0,\"runtime_ns\":0}},\n"
        "{\"ph\":\"i\",\"name\":\"sched.sample\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":100,"
        "\"args\":{\"state\":\"R\",\"cpu\":1,\"run_delay_ns\":40000,\"runtime_ns\":60000}},\n"
        "{\"ph\":\"i\",\"name\":\"sched.sample\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":200,"
        "\"args\":{\"state\":\"S\",\"cpu\":0,\"run_delay_ns\":40000,\"runtime_ns\":80000}},\n"
        "{\"ph\":\"i\",\"name\":\"process.exit\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":200,"
        "\"args\":{\"status\":0}}\n"
        "]\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(tr->sched_source, CVZ_SCHED_PROC);
    const struct cvz_thread *t = &tr->threads[0];
    CHECK_EQ(t->time_in[CVZ_ST_RUNNING], US(80));
    CHECK_EQ(t->time_in[CVZ_ST_READY], US(40));
    CHECK_EQ(t->time_in[CVZ_ST_BLOCKED], US(80));
    CHECK_EQ(state_at(tr, 5, 5, US(10)), CVZ_ST_RUNNING);
    CHECK_EQ(span_at(tr, 5, 5, US(10))->cpu, 1);
    CHECK_EQ(state_at(tr, 5, 5, US(150)), CVZ_ST_BLOCKED);
    CHECK_EQ(reason_at(tr, 5, 5, US(150)), CVZ_R_OTHER);
    cvz_trace_free(tr);
}

/* broken sequences are counted, with a diagnostic, and never stop the load */
static void test_broken(void)
{
    struct cvz_trace *tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"lock.release\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":1,"
        "\"args\":{\"obj\":\"0x10\",\"depth\":0}},\n"
        "{\"ph\":\"i\",\"name\":\"block.end\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":2,"
        "\"args\":{\"reason\":\"io\",\"fn\":\"read\",\"res\":1}},\n"
        "{\"ph\":\"i\",\"name\":\"cond.wake\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":3,"
        "\"args\":{\"obj\":\"0x20\",\"mutex\":\"0x10\",\"res\":\"ok\"}},\n"
        "{\"ph\":\"i\",\"name\":\"user.end\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":4,"
        "\"args\":{}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":5,"
        "\"args\":{\"obj\":\"0x10\",\"res\":\"ok\"}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.release\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":6,"
        "\"args\":{\"obj\":\"0x10\",\"depth\":0}}\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(tr->broken, 4);
    CHECK(tr->ndiags >= 4);
    CHECK(strstr(tr->diags[0].message, "broken") != NULL);
    /* after the broken part, the good acquire/release pair is still a hold; the cond.wake
     * re-acquired the mutex at 3 and kept it until the release at 6 */
    int32_t o = -1;
    for (size_t i = 0; i < tr->nobjects; i++)
        if (tr->objects[i].addr == 0x10) o = (int32_t)i;
    CHECK(o >= 0);
    if (o >= 0) CHECK_EQ(tr->objects[o].nholds, 1);
    cvz_trace_free(tr);

    /* a mutex taken by a second thread while the first holds it: a lost release, counted,
     * and the first hold ends there (holds of a mutex never overlap); readers may share */
    tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":1,\"tid\":2,\"ts\":1,"
        "\"args\":{\"obj\":\"0x50\",\"res\":\"ok\"}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":1,\"tid\":3,\"ts\":2,"
        "\"args\":{\"obj\":\"0x50\",\"res\":\"ok\"}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.release\",\"cat\":\"cvz\",\"pid\":1,\"tid\":3,\"ts\":3,"
        "\"args\":{\"obj\":\"0x50\",\"depth\":0}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":1,\"tid\":2,\"ts\":4,"
        "\"args\":{\"obj\":\"0x60\",\"mode\":\"r\",\"res\":\"ok\"}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":1,\"tid\":3,\"ts\":5,"
        "\"args\":{\"obj\":\"0x60\",\"mode\":\"r\",\"res\":\"ok\"}},\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(tr->broken, 1);
    CHECK_EQ(tr->objects[0].nholds, 2);
    CHECK_EQ(tr->objects[0].holds[0].t_rel, US(2));
    CHECK_EQ(tr->objects[1].nholds, 2);
    CHECK_EQ(tr->objects[1].holds[0].t_rel, -1); /* two readers at once are fine */
    cvz_trace_free(tr);
}

/* a file cut in the middle of a line: everything before loads; offset and line reported */
static void test_truncated(void)
{
    const char *text = "[\n"
                       "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,"
                       "\"ts\":1,\"args\":{\"text\":\"a\"}},\n"
                       "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,"
                       "\"ts\":2,\"args\":{\"text\":\"b\"}},\n"
                       "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":1,\"ti";
    const char *cut = strrchr(text, '{');
    struct cvz_trace *tr = load_str(text);
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK(tr->truncated);
    CHECK_EQ(tr->nevents, 2);
    CHECK_EQ(tr->nmarks, 2);
    CHECK(tr->ndiags >= 1);
    CHECK_EQ(tr->diags[0].offset, cut - text);
    CHECK_EQ(tr->diags[0].line, 4);
    cvz_trace_free(tr);

    /* every prefix of a good trace loads or fails cleanly (never crashes) */
    FILE *f = fopen(MODEL_DATA_DIR "/mutex_perf.json", "rb");
    CHECK(f);
    if (!f) return;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t len = 0; len <= n; len += 7) {
        char *err = NULL;
        struct cvz_trace *t = cvz_trace_load_buffer(buf, len, "prefix", &err);
        if (t) {
            check_invariants(t);
            cvz_trace_free(t);
        } else {
            CHECK(err != NULL);
        }
        free(err);
    }
}

static void test_bad_files(void)
{
    char *err = NULL;
    /* missing file */
    struct cvz_trace *tr = cvz_trace_load("/nonexistent/dir/trace.json", &err);
    CHECK(!tr);
    CHECK(err && strstr(err, "/nonexistent/dir/trace.json") && strstr(err, "No such file"));
    free(err);
    err = NULL;
    /* empty */
    char path[] = "/tmp/cvz_test_model_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    tr = cvz_trace_load(path, &err);
    CHECK(!tr);
    CHECK(err && strstr(err, "empty"));
    free(err);
    err = NULL;
    /* not JSON at all */
    FILE *f = fopen(path, "w");
    fputs("This is not a trace.\nJust text\n\x01\x02\x03\n", f);
    fclose(f);
    tr = cvz_trace_load(path, &err);
    CHECK(!tr);
    CHECK(err && strstr(err, "not a trace"));
    free(err);
    err = NULL;
    /* JSON, but no events */
    f = fopen(path, "w");
    fputs("{\"hello\": [1,2,3]}\n", f);
    fclose(f);
    tr = cvz_trace_load(path, &err);
    CHECK(!tr || tr->nevents == 0);
    cvz_trace_free(tr);
    free(err);
    err = NULL;
    unlink(path);
    /* a directory */
    tr = cvz_trace_load("/tmp", &err);
    CHECK(!tr);
    CHECK(err != NULL);
    free(err);
    err = NULL;
    /* NULLs */
    CHECK(!cvz_trace_load(NULL, NULL));
    CHECK(!cvz_trace_load_buffer(NULL, 10, NULL, NULL));
    cvz_trace_free(NULL);
}

static const char *foreign_events[] = {
    "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"browser\"}}",
    "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":2,\"args\":{\"name\":\"CrMain\"}}",
    "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":2,\"args\":{\"sort_index\":1}}",
    "{\"ph\":\"X\",\"name\":\"Layout\",\"cat\":\"blink\",\"pid\":1,\"tid\":2,\"ts\":100,\"dur\":"
    "50}",
    "{\"ph\":\"B\",\"name\":\"Paint\",\"cat\":\"blink\",\"pid\":1,\"tid\":2,\"ts\":200}",
    "{\"ph\":\"E\",\"name\":\"Paint\",\"cat\":\"blink\",\"pid\":1,\"tid\":2,\"ts\":260}",
    "{\"ph\":\"i\",\"name\":\"Frame\",\"s\":\"t\",\"pid\":1,\"tid\":3,\"ts\":150}",
    "{\"ph\":\"C\",\"name\":\"Counter\",\"pid\":1,\"tid\":3,\"ts\":150,\"args\":{\"v\":1}}",
    "{\"ph\":\"X\",\"name\":\"RUNNING\",\"pid\":1,\"tid\":3,\"ts\":170,\"dur\":5}",
};

static void check_foreign(struct cvz_trace *tr, const char *form)
{
    CHECK(tr);
    if (!tr) return;
    fprintf(stderr, "foreign form: %s\n", form);
    check_invariants(tr);
    CHECK(!tr->is_conviz);
    CHECK_EQ(tr->sched_source, CVZ_SCHED_FOREIGN);
    CHECK_EQ(tr->nthreads, 2);
    CHECK_EQ(tr->nprocs, 1);
    CHECK(strcmp(tr->procs[0].cmdline, "browser") == 0);
    int32_t t2 = cvz_thread_find(tr, 1, 2);
    CHECK(t2 >= 0);
    if (t2 >= 0) CHECK(strcmp(tr->threads[t2].name, "CrMain") == 0);
    int regions = 0, users = 0;
    for (size_t i = 0; i < tr->nmarks; i++) {
        regions += tr->marks[i].kind == CVZ_MARK_REGION;
        users += tr->marks[i].kind == CVZ_MARK_USER;
    }
    CHECK_EQ(regions, 3); /* Layout, Paint, and the foreign "RUNNING" slice */
    CHECK_EQ(users, 1);
    CHECK_EQ(tr->unknown_events, 1); /* the counter */
    CHECK_EQ(state_at(tr, 1, 2, US(120)), CVZ_ST_UNKNOWN);
    CHECK_EQ(tr->t_min, US(100));
    CHECK_EQ(tr->t_max, US(260));
    cvz_trace_free(tr);
}

static void test_foreign(void)
{
    size_t n = sizeof foreign_events / sizeof *foreign_events;
    char buf[4096];
    /* array, one event per line, no closing bracket */
    size_t len = (size_t)snprintf(buf, sizeof buf, "[\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s,\n", foreign_events[i]);
    check_foreign(load_str(buf), "lines");
    /* the same with a UTF-8 byte order mark and CRLF line ends */
    {
        char crlf[4096];
        size_t cl = (size_t)snprintf(crlf, sizeof crlf, "\xef\xbb\xbf[\r\n");
        for (size_t i = 0; i < n; i++)
            cl += (size_t)snprintf(crlf + cl, sizeof crlf - cl, "%s,\r\n", foreign_events[i]);
        struct cvz_trace *t = load_str(crlf);
        CHECK(t && t->ndiags == 1);
        check_foreign(t, "BOM and CRLF");
    }
    /* whole array on one line */
    len = (size_t)snprintf(buf, sizeof buf, "[");
    for (size_t i = 0; i < n; i++)
        len +=
            (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "", foreign_events[i]);
    snprintf(buf + len, sizeof buf - len, "]");
    check_foreign(load_str(buf), "one-line array");
    /* object form, pretty-printed */
    len = (size_t)snprintf(buf, sizeof buf,
                           "{\n  \"displayTimeUnit\": \"ns\",\n  \"traceEvents\": [\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "    %s%s\n", foreign_events[i],
                                i + 1 < n ? "," : "");
    snprintf(buf + len, sizeof buf - len, "  ]\n}\n");
    check_foreign(load_str(buf), "object");
    /* object form with metadata after the events: read without a complaint */
    {
        char obj[4096];
        size_t ol = (size_t)snprintf(obj, sizeof obj, "{\"traceEvents\":[");
        for (size_t i = 0; i < n; i++)
            ol += (size_t)snprintf(obj + ol, sizeof obj - ol, "%s%s", i ? "," : "",
                                   foreign_events[i]);
        snprintf(obj + ol, sizeof obj - ol,
                 "],\n\"metadata\":{\"tags\":[\"a\",\"b\"],\"x\":{\"y\":1}}}");
        struct cvz_trace *t = load_str(obj);
        CHECK(t && t->ndiags == 1); /* only the summary of the unknown counter event */
        check_foreign(t, "object with metadata");
    }
    /* object form cut short: the events before the cut still load */
    buf[len - 40] = '\0';
    struct cvz_trace *tr = load_str(buf);
    CHECK(tr);
    if (tr) {
        check_invariants(tr);
        CHECK(tr->nevents >= 5);
        cvz_trace_free(tr);
    }
}

/* absurd values never crash: clamped or skipped with a diagnostic */
static void test_absurd(void)
{
    struct cvz_trace *tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"process.start\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":10,"
        "\"args\":{\"sched\":\"perf\",\"ncpu\":99999999}},\n"
        "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":9,\"tid\":9,\"ts\":10,"
        "\"dur\":-5,\"args\":{\"cpu\":1,\"out\":\"preempt\"}},\n"
        "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":9,\"tid\":9,\"ts\":20,"
        "\"dur\":5,\"args\":{\"cpu\":123456789,\"out\":\"bogus\"}},\n"
        "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":9,\"tid\":9,\"ts\":22,"
        "\"dur\":5,\"args\":{\"cpu\":0,\"out\":\"block\"}},\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":1e18,"
        "\"args\":{\"text\":\"far\"}},\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":\"soon\"},"
        "\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":1e12,\"tid\":9,\"ts\":30},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":31,"
        "\"args\":{\"obj\":\"0x10\",\"res\":\"ok\",\"wait_ns\":-7,\"depth\":-3,\"count\":-9}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":32,"
        "\"args\":{\"obj\":[1,2],\"res\":7,\"wait_ns\":1e300,\"depth\":1e9}},\n"
        "{\"ph\":\"i\",\"name\":\"block.begin\",\"cat\":\"cvz\",\"pid\":4242,\"tid\":4243,\"ts\":"
        "33,"
        "\"args\":{\"reason\":\"join\",\"target\":-1}},\n"
        "{\"ph\":\"i\",\"name\":\"block.end\",\"cat\":\"cvz\",\"pid\":4242,\"tid\":4243,\"ts\":34,"
        "\"args\":{\"reason\":\"join\",\"target\":77777}},\n"
        "{\"ph\":\"i\",\"name\":\"block.begin\",\"cat\":\"cvz\",\"pid\":4242,\"tid\":4243,\"ts\":"
        "35,"
        "\"args\":{\"reason\":\"child\",\"target\":99}},\n"
        "{\"ph\":\"i\",\"name\":\"block.end\",\"cat\":\"cvz\",\"pid\":4242,\"tid\":4243,\"ts\":36,"
        "\"args\":{\"reason\":\"child\",\"target\":-5}},\n"
        "{\"ph\":\"i\",\"name\":\"trace.lost\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":37,"
        "\"args\":{\"count\":-100}},\n"
        "{\"ph\":\"i\",\"name\":\"no.such.kind\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":38},\n"
        "{\"ph\":\"i\",\"name\":\"coro.switch\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":39,"
        "\"args\":{\"to\":-4}},\n"
        "this line is garbage\n"
        "{\"ph\":\"i\",\"name\":\"thread.exit\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":5},\n"
        "[1,2,3],\n"
        "\"a string\",\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":9,\"tid\":9,\"ts\":40},\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK(tr->t_max < US(1e6)); /* the 1e18 event did not stretch the trace */
    CHECK(tr->ncpu <= 4096);
    CHECK_EQ(tr->unknown_events, 1);
    CHECK_EQ(tr->lost_events, 0);
    CHECK(tr->ndiags >= 5);
    bool garbage_reported = false;
    for (size_t i = 0; i < tr->ndiags; i++)
        garbage_reported |= tr->diags[i].line == 18;
    CHECK(garbage_reported);
    /* the run with a bogus out and CPU still counts as RUNNING */
    CHECK_EQ(state_at(tr, 9, 9, US(21)), CVZ_ST_RUNNING);
    cvz_trace_free(tr);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static bool same_span(const struct cvz_span *x, const struct cvz_span *y)
{
    return x->t0 == y->t0 && x->t1 == y->t1 && x->state == y->state && x->reason == y->reason &&
           x->cpu == y->cpu && x->obj == y->obj && x->target == y->target;
}

static bool same_hold(const struct cvz_hold *x, const struct cvz_hold *y)
{
    return x->t_req == y->t_req && x->t_acq == y->t_acq && x->t_rel == y->t_rel &&
           x->thread == y->thread && x->result == y->result && x->mode == y->mode &&
           x->depth == y->depth && x->count == y->count;
}

/* field by field: structs have padding */
static bool same_model(const struct cvz_trace *a, const struct cvz_trace *b)
{
    bool same = a->nthreads == b->nthreads && a->nobjects == b->nobjects &&
                a->nwakes == b->nwakes && a->nmarks == b->nmarks && a->nevents == b->nevents &&
                a->broken == b->broken && a->nprocs == b->nprocs;
    for (size_t i = 0; same && i < a->nthreads; i++) {
        const struct cvz_thread *x = &a->threads[i], *y = &b->threads[i];
        same = x->nspans == y->nspans && x->tid == y->tid && strcmp(x->name, y->name) == 0;
        for (size_t k = 0; same && k < x->nspans; k++)
            same = same_span(&x->spans[k], &y->spans[k]);
    }
    for (size_t i = 0; same && i < a->nobjects; i++) {
        same = a->objects[i].nholds == b->objects[i].nholds &&
               strcmp(a->objects[i].name, b->objects[i].name) == 0;
        for (size_t k = 0; same && k < a->objects[i].nholds; k++)
            same = same_hold(&a->objects[i].holds[k], &b->objects[i].holds[k]);
    }
    for (size_t i = 0; same && i < a->nwakes; i++) {
        const struct cvz_wake *x = &a->wakes[i], *y = &b->wakes[i];
        same = x->t_from == y->t_from && x->t_to == y->t_to && x->from_thread == y->from_thread &&
               x->to_thread == y->to_thread && x->kind == y->kind && x->obj == y->obj;
    }
    if (!same) fprintf(stderr, "models differ\n");
    return same;
}

/* the fast scanner and cJSON must read the same events the same way: every line of a trace
 * gets an array field (which only cJSON takes) and the models must be identical */
static void test_fastpath(void)
{
    size_t len = 0;
    char *text = read_all(MODEL_DATA_DIR "/sync_none.json", &len);
    CHECK(text);
    if (!text) return;
    char *slow = malloc(len * 2 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        slow[n++] = text[i];
        if (text[i] == '{' && (i == 0 || text[i - 1] == '\n')) {
            memcpy(slow + n, "\"zz\":[0], ", 10);
            n += 10;
        }
    }
    struct cvz_trace *fast = cvz_trace_load_buffer(text, len, "fast", NULL);
    struct cvz_trace *viacjson = cvz_trace_load_buffer(slow, n, "slow", NULL);
    CHECK(fast && viacjson);
    if (fast && viacjson) {
        CHECK(same_model(fast, viacjson));
        CHECK_EQ(fast->nevents, 73);
    }
    cvz_trace_free(fast);
    cvz_trace_free(viacjson);
    /* escapes and unicode (cJSON's job) in names */
    struct cvz_trace *tr = load_str(
        "[\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,\"ts\":0,"
        "\"args\":{\"name\":\"a\\\"b\\u00e9\"}},\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":1,\"tid\":1,\"ts\":1.0005,"
        "\"args\":{\"text\":\"tab\\there\"}},\n");
    CHECK(tr);
    if (tr) {
        CHECK(strcmp(tr->threads[0].name, "a\"b\xc3\xa9") == 0);
        CHECK(tr->nmarks == 1 && strcmp(tr->marks[0].text, "tab\there") == 0);
        CHECK_EQ(tr->marks[0].t0, 1001); /* 1.0005 us, rounded to the ns */
        cvz_trace_free(tr);
    }
    free(slow);
    free(text);
}

/* a big file is parsed by two threads: events, order and reported lines are as with one */
static void test_two_parsers(void)
{
    const size_t nlines = 60000; /* ~6 MB: above the two-parser threshold */
    size_t cap = nlines * 120 + 64, len = 0;
    char *buf = malloc(cap);
    len += (size_t)snprintf(buf + len, cap - len, "[\n");
    size_t broken_line = 0;
    for (size_t i = 0; i < nlines; i++) {
        if (i == nlines * 3 / 4) {
            broken_line = i + 2;
            len += (size_t)snprintf(buf + len, cap - len, "{\"ph\":\"i\",\"name\":\"broken\n");
            continue;
        }
        len += (size_t)snprintf(buf + len, cap - len,
                                "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":1,"
                                "\"tid\":%d,\"ts\":%zu.%03zu,\"args\":{\"text\":\"m\"}},\n",
                                1 + (int)(i % 3), i, i % 1000);
    }
    CHECK(len > 4u << 20);
    struct cvz_trace *two = cvz_trace_load_buffer(buf, len, "two", NULL);
    setenv("CONVIZ_LOAD_THREADS", "1", 1);
    struct cvz_trace *one = cvz_trace_load_buffer(buf, len, "one", NULL);
    unsetenv("CONVIZ_LOAD_THREADS");
    CHECK(one && two);
    if (one && two) {
        CHECK_EQ(two->nevents, nlines - 1);
        CHECK(same_model(one, two));
        CHECK_EQ(one->nmarks, two->nmarks);
        bool marks_same = true;
        for (size_t i = 0; i < one->nmarks && marks_same; i++)
            marks_same = one->marks[i].t0 == two->marks[i].t0 &&
                         one->marks[i].thread == two->marks[i].thread;
        CHECK(marks_same);
        CHECK(two->ndiags >= 1 && one->ndiags >= 1);
        if (two->ndiags && one->ndiags) {
            CHECK_EQ(two->diags[0].line, (long long)broken_line);
            CHECK_EQ(one->diags[0].line, (long long)broken_line);
            CHECK_EQ(two->diags[0].offset, one->diags[0].offset);
        }
    }
    cvz_trace_free(one);
    cvz_trace_free(two);
    free(buf);
}

/* posix_spawn then exec in the child, waited for by the parent: edges, parent, reaper, the
 * exec'd command line, and marks */
static void test_spawn_exec(void)
{
    struct cvz_trace *tr = load_file("spawn_exec.json");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(tr->broken, 0);
    CHECK_EQ(tr->nprocs, 2);
    int32_t parent = cvz_thread_find(tr, 10, 10), child = cvz_thread_find(tr, 11, 11);
    CHECK(parent >= 0 && child >= 0);
    CHECK(strcmp(tr->caption, "sh -c x") == 0);
    CHECK(strcmp(tr->procs[1].cmdline, "y 1") == 0); /* the image after exec */
    CHECK_EQ(tr->procs[1].ppid, 10);
    CHECK_EQ(tr->procs[1].parent_thread, parent);
    CHECK_EQ(tr->procs[1].reaped_by, parent);
    CHECK_EQ(tr->procs[1].exit_status, 0);
    CHECK(has_wake(tr, CVZ_WAKE_FORK, parent, child, US(2), US(3)));
    CHECK(has_wake(tr, CVZ_WAKE_CHILD, child, parent, US(6), US(7)));
    CHECK_EQ(reason_at(tr, 10, 10, US(5)), CVZ_R_CHILD);
    CHECK_EQ(span_at(tr, 10, 10, US(5))->target, 1);
    int execs = 0;
    for (size_t i = 0; i < tr->nmarks; i++)
        if (tr->marks[i].kind == CVZ_MARK_PROCESS_EXEC) {
            execs++;
            CHECK(tr->marks[i].thread == child && strcmp(tr->marks[i].text, "/bin/y") == 0);
        }
    CHECK_EQ(execs, 1);
    cvz_trace_free(tr);
}

/* A second declare of a live object names it (conviz_name_object after its first use); after
 * an exec the same address is another object, of the new image. */
static void test_object_images(void)
{
    struct cvz_trace *tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"process.start\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":0,"
        "\"args\":{\"sched\":\"proc\",\"ncpu\":2,\"cmdline\":\"a\"}},\n"
        "{\"ph\":\"i\",\"name\":\"object.declare\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":1,"
        "\"args\":{\"obj\":\"0x100\",\"kind\":\"mutex\",\"name\":\"first\"}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":2,"
        "\"args\":{\"obj\":\"0x100\",\"mode\":\"w\",\"res\":\"ok\",\"wait_ns\":0,\"depth\":1}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.release\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":3,"
        "\"args\":{\"obj\":\"0x100\",\"mode\":\"w\",\"hold_ns\":1000,\"depth\":0}},\n"
        "{\"ph\":\"i\",\"name\":\"object.declare\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":4,"
        "\"args\":{\"obj\":\"0x100\",\"kind\":\"mutex\",\"name\":\"renamed\"}},\n"
        "{\"ph\":\"i\",\"name\":\"process.exec\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":5,"
        "\"args\":{\"path\":\"/bin/b\",\"argv\":\"b\"}},\n"
        "{\"ph\":\"i\",\"name\":\"object.declare\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":6,"
        "\"args\":{\"obj\":\"0x100\",\"kind\":\"mutex\",\"name\":\"second\"}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":7,"
        "\"args\":{\"obj\":\"0x100\",\"mode\":\"w\",\"res\":\"ok\",\"wait_ns\":0,\"depth\":1}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.release\",\"cat\":\"cvz\",\"pid\":7,\"tid\":7,\"ts\":8,"
        "\"args\":{\"obj\":\"0x100\",\"mode\":\"w\",\"hold_ns\":1000,\"depth\":0}},\n"
        "]\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(tr->broken, 0);
    CHECK_EQ(tr->nobjects, 2);
    if (tr->nobjects == 2) {
        CHECK(strcmp(tr->objects[0].name, "renamed") == 0);
        CHECK(strcmp(tr->objects[1].name, "second") == 0);
        CHECK_EQ(tr->objects[0].nholds, 1);
        CHECK_EQ(tr->objects[1].nholds, 1);
    }
    cvz_trace_free(tr);
}

/* /proc samples are written only on change: after a thread's last sample it kept its state,
 * and a lock request still pending at the end is where it is BLOCKED (a deadlock). */
static void test_proc_tail(void)
{
    struct cvz_trace *tr = load_str(
        "[\n"
        "{\"ph\":\"i\",\"name\":\"process.start\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":0,"
        "\"args\":{\"sched\":\"proc\",\"ncpu\":2,\"cmdline\":\"p\"}},\n"
        "{\"ph\":\"i\",\"name\":\"object.declare\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":1,"
        "\"args\":{\"obj\":\"0x200\",\"kind\":\"mutex\",\"name\":\"lock_b\"}},\n"
        "{\"ph\":\"i\",\"name\":\"sched.sample\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":2,"
        "\"args\":{\"state\":\"R\",\"cpu\":0,\"run_delay_ns\":0,\"runtime_ns\":1000}},\n"
        "{\"ph\":\"i\",\"name\":\"lock.request\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":10,"
        "\"args\":{\"obj\":\"0x200\",\"mode\":\"w\"}},\n"
        "{\"ph\":\"i\",\"name\":\"sched.sample\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":12,"
        "\"args\":{\"state\":\"S\",\"cpu\":0,\"run_delay_ns\":0,\"runtime_ns\":9000}},\n"
        "{\"ph\":\"i\",\"name\":\"user.mark\",\"cat\":\"cvz\",\"pid\":5,\"tid\":5,\"ts\":1000,"
        "\"args\":{\"text\":\"end\"}}\n"
        "]\n");
    CHECK(tr);
    if (!tr) return;
    check_invariants(tr);
    CHECK_EQ(state_at(tr, 5, 5, US(500)), CVZ_ST_BLOCKED);
    CHECK_EQ(reason_at(tr, 5, 5, US(500)), CVZ_R_LOCK);
    const struct cvz_span *sp = span_at(tr, 5, 5, US(500));
    CHECK(sp && sp->obj >= 0 && strcmp(tr->objects[sp->obj].name, "lock_b") == 0);
    cvz_trace_free(tr);
}

/* docs/trace-format.md has a "### `name`" heading per kind of cvz_events.def, and no other */
static void test_docs(void)
{
    FILE *f = fopen(MODEL_DOCS, "r");
    CHECK(f);
    if (!f) return;
    bool documented[CVZ_EV__COUNT] = {0};
    char line[1024];
    int unknown = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### ", 4) != 0) continue;
        for (char *p = strchr(line, '`'); p; p = strchr(p, '`')) {
            char *q = strchr(p + 1, '`');
            if (!q) break;
            *q = '\0';
            int k = cvz_event_kind_from_name(p + 1);
            if (k < 0) {
                fprintf(stderr, "docs: heading names `%s`, which is not in cvz_events.def\n",
                        p + 1);
                unknown++;
            } else {
                documented[k] = true;
            }
            p = q + 1;
        }
    }
    fclose(f);
    CHECK_EQ(unknown, 0);
    for (int k = 0; k < CVZ_EV__COUNT; k++) {
        if (!documented[k])
            fprintf(stderr, "docs: kind `%s` is not documented in %s\n", cvz_event_names[k],
                    MODEL_DOCS);
        CHECK(documented[k]);
    }
}

struct test_case {
    const char *name;
    void (*fn)(void);
};
static const struct test_case cases[] = {
    {"tables", test_tables},
    {"mutex_perf", test_mutex_perf},
    {"sync_none", test_sync_none},
    {"lifetimes", test_lifetimes},
    {"proc_samples", test_proc_samples},
    {"broken", test_broken},
    {"truncated", test_truncated},
    {"bad_files", test_bad_files},
    {"foreign", test_foreign},
    {"absurd", test_absurd},
    {"docs", test_docs},
    {"fastpath", test_fastpath},
    {"two_parsers", test_two_parsers},
    {"spawn_exec", test_spawn_exec},
    {"object_images", test_object_images},
    {"proc_tail", test_proc_tail},
};

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "check") == 0) { /* the invariants on any trace */
        char *err = NULL;
        struct cvz_trace *tr = cvz_trace_load(argv[2], &err);
        if (!tr) {
            fprintf(stderr, "test_model: %s\n", err ? err : "cannot load");
            free(err);
            return 1;
        }
        check_invariants(tr);
        printf("%s: %llu events, %zu threads, broken %llu: %s\n", argv[2],
               (unsigned long long)tr->nevents, tr->nthreads, (unsigned long long)tr->broken,
               failures ? "FAILED" : "ok");
        cvz_trace_free(tr);
        return failures ? 1 : 0;
    }
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc == 2 ? stdout : stderr, "usage: test_model CASE|all | check TRACE\ncases:");
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
            fprintf(argc == 2 ? stdout : stderr, " %s", cases[i].name);
        fprintf(argc == 2 ? stdout : stderr, "\n");
        return argc == 2 ? 0 : 2;
    }
    bool found = false;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (strcmp(argv[1], "all") != 0 && strcmp(argv[1], cases[i].name) != 0) continue;
        found = true;
        int before = failures;
        cases[i].fn();
        printf("%s: %s\n", cases[i].name, failures == before ? "ok" : "FAILED");
    }
    if (!found) {
        fprintf(stderr, "test_model: no case called '%s' (try --help)\n", argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
