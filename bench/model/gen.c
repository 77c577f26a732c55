/* gen.c - writes a synthetic conviz trace that looks like a recorded one: 2 processes of 4
 * threads, perf scheduler runs, contended and uncontended mutexes, a condvar, sleeps; lines
 * written per thread in chunks (as the tracer's collector flushes per-thread rings), so the
 * file is not sorted by time and the reader has to sort.
 */
#include "gen.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#define NPROC 2
#define NTHR  4
#define NLOCK 16
#define CHUNK 64   /* events per thread per flush */
#define SLOT  20.0 /* us: lock ownership slots (see below) */
#define HOLD  1.0  /* us: how long a lock is held */

#define RUN_FMT                                                                                    \
    "{\"ph\":\"X\",\"name\":\"RUNNING\",\"cat\":\"cvz.sched\",\"pid\":%d,\"tid\":%d,"              \
    "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"cpu\":%d,\"out\":\"%s\"}},\n"
#define REQ_FMT                                                                                    \
    "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"lock.request\",\"cat\":\"cvz\",\"pid\":%d,"              \
    "\"tid\":%d,\"ts\":%.3f,\"args\":{\"obj\":\"0x55d0c3a4%04x\",\"mode\":\"w\"}},\n"
#define ACQ_FMT                                                                                    \
    "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"lock.acquire\",\"cat\":\"cvz\",\"pid\":%d,"              \
    "\"tid\":%d,\"ts\":%.3f,\"args\":{\"obj\":\"0x55d0c3a4%04x\",\"mode\":\"w\",\"res\":\"ok\","   \
    "\"wait_ns\":%d,\"depth\":1}},\n"
#define REL_FMT                                                                                    \
    "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"lock.release\",\"cat\":\"cvz\",\"pid\":%d,"              \
    "\"tid\":%d,\"ts\":%.3f,\"args\":{\"obj\":\"0x55d0c3a4%04x\",\"mode\":\"w\",\"hold_ns\":%d,"   \
    "\"depth\":0}},\n"

struct gthread {
    int pid, tid, cpu;
    double ts; /* microseconds */
    unsigned phase;
    char buf[CHUNK * 400];
    size_t len;
    int nbuf;
};

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

#define EMIT(t, ...)                                                                               \
    do {                                                                                           \
        (t)->len += (size_t)snprintf((t)->buf + (t)->len, sizeof(t)->buf - (t)->len, __VA_ARGS__); \
        (t)->nbuf++;                                                                               \
        n++;                                                                                       \
    } while (0)

uint64_t cvz_gen_trace(FILE *out, uint64_t nevents, unsigned seed)
{
    uint64_t n = 0;
    struct gthread *th = calloc(NPROC * NTHR, sizeof *th);
    if (!th) return 0;
    fputs("[\n", out);
    for (int p = 0; p < NPROC; p++) {
        int pid = 4000 + p * 100;
        fprintf(out,
                "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":%d,\"ts\":0,"
                "\"args\":{\"name\":\"synth\"}},\n",
                pid, pid);
        fprintf(out,
                "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"process.start\",\"cat\":\"cvz\",\"pid\":%d,"
                "\"tid\":%d,\"ts\":1000.000,\"args\":{\"ppid\":1,\"via\":\"start\",\"cmdline\":"
                "\"synth --threads 4\",\"exe\":\"/usr/bin/synth\",\"ncpu\":2,\"sched\":\"perf\","
                "\"version\":1,\"mono_ns\":1000000,\"real_ns\":1764720000000000000}},\n",
                pid, pid);
        for (int l = 0; l < NLOCK; l++)
            fprintf(out,
                    "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"object.declare\",\"cat\":\"cvz\","
                    "\"pid\":%d,\"tid\":%d,\"ts\":1000.500,\"args\":{\"obj\":\"0x55d0c3a4%04x\","
                    "\"kind\":\"mutex\",\"name\":\"lock_%d\"}},\n",
                    pid, pid, l * 64, l);
        n += 2 + NLOCK;
        for (int k = 0; k < NTHR; k++) {
            struct gthread *t = &th[p * NTHR + k];
            t->pid = pid;
            t->tid = pid + k;
            t->cpu = k % 2;
            t->ts = 1001.0 + k * 0.25;
        }
    }
    while (n < nevents) {
        for (int i = 0; i < NPROC * NTHR && n < nevents; i++) {
            struct gthread *t = &th[i];
            while (t->nbuf < CHUNK && n < nevents) {
                unsigned r = rnd(&seed);
                int lock = (int)(r % NLOCK);
                double run = 2.0 + (r % 50) / 10.0, gap = 1.0 + (r % 7);
                /* lock ownership in time slots: in slot s, lock L may only be held by thread
                 * (s + L) % NTHR of its process, and holds stay inside the slot, so holds
                 * never overlap whatever order the lines are written in */
                double want = t->ts + run * 0.5;
                long slot = (long)(want / SLOT);
                int k = t->tid - t->pid;
                bool mine = (slot + lock) % NTHR == k;
                bool contended = !(mine && want + HOLD + 0.1 < (double)(slot + 1) * SLOT);
                const char *out_kind = (r & 1) ? "preempt" : "block";
                double acq = want;
                if (contended) {
                    long next = slot + ((k - lock - slot) % NTHR + NTHR) % NTHR;
                    if (next == slot) next += NTHR;
                    acq = (double)next * SLOT + 0.1;
                    EMIT(t, RUN_FMT, t->pid, t->tid, t->ts, want + 0.05 - t->ts, t->cpu, "block");
                    EMIT(t, REQ_FMT, t->pid, t->tid, want, lock * 64);
                    t->ts = acq - 0.05;
                    run = HOLD + 0.5;
                    out_kind = "preempt";
                }
                EMIT(t, RUN_FMT, t->pid, t->tid, t->ts, contended ? run : run, t->cpu, out_kind);
                EMIT(t, ACQ_FMT, t->pid, t->tid, acq, lock * 64,
                     contended ? (int)((acq - want) * 1000) : 0);
                EMIT(t, REL_FMT, t->pid, t->tid, acq + HOLD, lock * 64, (int)(HOLD * 1000));
                t->ts += run + gap;
                t->phase++;
            }
            fwrite(t->buf, 1, t->len, out);
            t->len = 0;
            t->nbuf = 0;
        }
    }
    for (int i = 0; i < NPROC * NTHR; i++) {
        struct gthread *t = &th[i];
        fwrite(t->buf, 1, t->len, out);
    }
    free(th);
    return n;
}
