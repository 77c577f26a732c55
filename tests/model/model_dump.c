/* model_dump.c - prints what the model derived from a trace (threads and spans, objects and
 * holds, wakes, marks, diagnostics): for debugging the model and for writing test expectations.
 * Usage: model_dump TRACE [--spans]
 */
#include "cvz_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: model_dump TRACE [--spans]\n"
               "Loads TRACE with the conviz model and prints threads, states, objects, holds,\n"
               "wake edges, marks and the problems found.\n");
        return argc < 2 ? 2 : 0;
    }
    bool spans = argc > 2 && strcmp(argv[2], "--spans") == 0;
    char *err = NULL;
    struct cvz_trace *tr = cvz_trace_load(argv[1], &err);
    if (!tr) {
        fprintf(stderr, "model_dump: %s\n", err ? err : "cannot load");
        free(err);
        return 1;
    }
    char a[32], b[32];
    printf("conviz=%d version=%d sched=%d ncpu=%d events=%llu lost=%llu broken=%llu unknown=%llu "
           "truncated=%d t=[%lld,%lld] caption=%s\n",
           tr->is_conviz, tr->format_version, tr->sched_source, tr->ncpu,
           (unsigned long long)tr->nevents, (unsigned long long)tr->lost_events,
           (unsigned long long)tr->broken, (unsigned long long)tr->unknown_events, tr->truncated,
           (long long)tr->t_min, (long long)tr->t_max, tr->caption ? tr->caption : "-");
    for (size_t i = 0; i < tr->nprocs; i++) {
        const struct cvz_process *p = &tr->procs[i];
        printf("proc %zu pid=%d ppid=%d [%lld,%lld] exit=%d sig=%d parent_thread=%d reaped_by=%d "
               "threads=%zu cmd=%s\n",
               i, p->pid, p->ppid, (long long)p->t_start, (long long)p->t_end, p->exit_status,
               p->exit_signal, p->parent_thread, p->reaped_by, p->nthreads, p->cmdline);
    }
    for (size_t i = 0; i < tr->nthreads; i++) {
        const struct cvz_thread *t = &tr->threads[i];
        printf("thread %zu %d/%d '%s' proc=%d parent=%d coro_of=%d [%lld,%lld] spans=%zu run=%s "
               "ready=%s\n",
               i, t->pid, t->tid, t->name, t->proc, t->parent, t->coro_of, (long long)t->t_start,
               (long long)t->t_end, t->nspans, cvz_format_ns(t->time_in[CVZ_ST_RUNNING], a, 32),
               cvz_format_ns(t->time_in[CVZ_ST_READY], b, 32));
        if (!spans) continue;
        for (size_t k = 0; k < t->nspans; k++) {
            const struct cvz_span *s = &t->spans[k];
            printf("   [%lld,%lld] %s %s cpu=%d obj=%d target=%d\n", (long long)s->t0,
                   (long long)s->t1, cvz_state_names[s->state], cvz_reason_names[s->reason], s->cpu,
                   s->obj, s->target);
        }
    }
    for (size_t i = 0; i < tr->nobjects; i++) {
        const struct cvz_object *o = &tr->objects[i];
        printf("object %zu '%s' %s pid=%d contended=%d holds=%zu signals=%zu broadcasts=%zu\n", i,
               o->name, cvz_obj_kind_names[o->kind], o->pid, o->contended, o->nholds, o->nsignals,
               o->nbroadcasts);
        for (size_t k = 0; k < o->nholds && spans; k++) {
            const struct cvz_hold *h = &o->holds[k];
            printf("   thread=%d req=%lld acq=%lld rel=%lld res=%d mode=%c depth=%d count=%d\n",
                   h->thread, (long long)h->t_req, (long long)h->t_acq, (long long)h->t_rel,
                   h->result, h->mode, h->depth, h->count);
        }
    }
    for (size_t i = 0; i < tr->nwakes; i++) {
        const struct cvz_wake *w = &tr->wakes[i];
        printf("wake %s %d@%lld -> %d@%lld obj=%d\n", cvz_wake_names[w->kind], w->from_thread,
               (long long)w->t_from, w->to_thread, (long long)w->t_to, w->obj);
    }
    for (size_t i = 0; i < tr->nmarks; i++) {
        const struct cvz_mark *m = &tr->marks[i];
        printf("mark %d thread=%d [%lld,%lld] %s\n", m->kind, m->thread, (long long)m->t0,
               (long long)m->t1, m->text ? m->text : "");
    }
    for (int c = 0; c < tr->ncpu && tr->cpus; c++)
        printf("cpu %d runs=%zu\n", c, tr->cpus[c].nruns);
    for (size_t i = 0; i < tr->ndiags; i++)
        printf("diag offset=%lld line=%lld: %s\n", (long long)tr->diags[i].offset,
               (long long)tr->diags[i].line, tr->diags[i].message);
    cvz_trace_free(tr);
    return 0;
}
