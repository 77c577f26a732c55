/* sched.c - where scheduler states come from: perf context-switch records (RUNNING spans) or,
 * when perf_event_open is denied, a /proc sampler (sched.sample events).  DESIGN.md §3.
 *
 * DESIGN: one perf event per CPU, opened once per process image after the collector thread
 * exists (so that the collector, not inherited, does not trace itself); inherit + inherit_thread
 * make every later thread of this process report into the same per-CPU buffer, and
 * remove_on_exec drops them at exec.  A thread runs on one CPU between its switch-in and its
 * switch-out, so pairing needs only "who is on CPU c since when": no per-thread table.  The
 * final switch-out of a thread is not reported; its PERF_RECORD_EXIT closes the span.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cvz_core.h"

#define MAX_CPUS 256

struct perf_cpu {
    int fd;
    int cpu;
    struct perf_event_mmap_page *meta;
    char *data;
    uint64_t data_size;
    size_t map_size;
    int run_tid; /* traced thread on this CPU since run_since, 0 = none known */
    uint64_t run_since;
    uint64_t run_cut; /* the thread was seen on another CPU from here (its switch-out here is
                         not visible yet); UINT64_MAX: not seen */
};

static struct perf_cpu perf_cpus[MAX_CPUS];
static int perf_ncpus;
static uint64_t perf_closed_at; /* runs were closed as "open" up to here (0: never) */
static bool perf_closed;        /* the image's last drain closed its runs: discard the rest */
/* The thread that opened the events was running already: its first run has no switch-in
 * record.  Its first switch-out (or exit) ends a run that began when the events were opened. */
static int perf_opener_tid;
static int perf_opener_cpu;
static uint64_t perf_opened_at;

bool cvz_perf_open(void)
{
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    if (ncpu < 1) ncpu = 1;
    if (ncpu > MAX_CPUS) ncpu = MAX_CPUS;
    long page = sysconf(_SC_PAGESIZE);
    perf_ncpus = 0;
    perf_closed = false;
    perf_closed_at = 0;
    for (int cpu = 0; cpu < ncpu; cpu++) {
        struct perf_event_attr pa;
        memset(&pa, 0, sizeof pa);
        pa.size = sizeof pa;
        pa.type = PERF_TYPE_SOFTWARE;
        pa.config = PERF_COUNT_SW_DUMMY;
        pa.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
        pa.sample_id_all = 1;
        pa.context_switch = 1;
        pa.task = 1; /* PERF_RECORD_EXIT closes a thread's last run */
        pa.exclude_kernel = 1;
        pa.exclude_hv = 1;
        pa.inherit = 1;
        pa.inherit_thread = 1;
        pa.remove_on_exec = 1;
        pa.use_clockid = 1;
        pa.clockid = CLOCK_MONOTONIC;
        pa.watermark = 1;
        int fd = -1;
        size_t pages = 64;
        void *m = MAP_FAILED;
        for (; pages >= 8; pages /= 2) { /* the mlock limit may allow less than 64 pages */
            pa.wakeup_watermark = (uint32_t)(pages * (size_t)page / 2);
            fd = cvz_high_fd(
                (int)syscall(SYS_perf_event_open, &pa, 0, cpu, -1, PERF_FLAG_FD_CLOEXEC));
            if (fd < 0) break;
            m = mmap(NULL, (pages + 1) * (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (m != MAP_FAILED) break;
            cvz_close_own(fd);
            fd = -1;
        }
        if (fd < 0) {
            if (errno == ENODEV || errno == EINVAL) continue; /* offline CPU */
            cvz_perf_close();
            return false;
        }
        struct perf_cpu *pc = &perf_cpus[perf_ncpus++];
        memset(pc, 0, sizeof *pc);
        pc->fd = fd;
        pc->cpu = cpu;
        pc->meta = m;
        pc->data = (char *)m + (pc->meta->data_offset ? pc->meta->data_offset : (uint64_t)page);
        pc->data_size = pc->meta->data_size ? pc->meta->data_size : pages * (uint64_t)page;
        pc->map_size = (pages + 1) * (size_t)page;
    }
    if (perf_ncpus > 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now); /* the clock the perf records carry */
        perf_opened_at = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
        perf_opener_tid = (int)syscall(SYS_gettid);
        perf_opener_cpu = sched_getcpu();
    }
    return perf_ncpus > 0;
}

void cvz_perf_close(void)
{
    for (int i = 0; i < perf_ncpus; i++) {
        munmap(perf_cpus[i].meta, perf_cpus[i].map_size);
        cvz_close_own(perf_cpus[i].fd);
    }
    perf_ncpus = 0;
}

int cvz_perf_pollfds(struct pollfd *fds, int max)
{
    int n = 0;
    for (int i = 0; i < perf_ncpus && n < max; i++)
        fds[n++] = (struct pollfd){.fd = perf_cpus[i].fd, .events = POLLIN};
    return n;
}

struct sample_id { /* TID | TIME | CPU, at the end of every record (sample_id_all) */
    uint32_t pid, tid;
    uint64_t time;
    uint32_t cpu, res;
};

static void emit_run(struct cvz_obuf *o, struct perf_cpu *pc, uint64_t end, uint16_t out)
{
    if (!pc->run_tid) return;
    if (end >= pc->run_since && !cvz_untraced_tid(pc->run_tid)) {
        struct cvz_record rec = {.ts = pc->run_since,
                                 .kind = CVZ_EV_RUNNING,
                                 .sub = out,
                                 .tid = pc->run_tid,
                                 .a = (uint64_t)pc->cpu,
                                 .b = end - pc->run_since};
        cvz_obuf_record(o, &rec, cvz_pid);
    }
    pc->run_tid = 0;
}

static void handle(struct cvz_obuf *o, struct perf_cpu *pc, const struct perf_event_header *eh)
{
    if (eh->size < sizeof *eh + sizeof(struct sample_id)) return;
    struct sample_id sid;
    memcpy(&sid, (const char *)eh + eh->size - sizeof sid, sizeof sid);
    switch (eh->type) {
    case PERF_RECORD_SWITCH:
        if ((int)sid.pid != cvz_pid) return;
        if ((int)sid.tid == perf_opener_tid) {
            if ((eh->misc & PERF_RECORD_MISC_SWITCH_OUT) && pc->run_tid != (int)sid.tid &&
                sid.time >= perf_opened_at && perf_opened_at >= perf_closed_at) {
                pc->run_tid = (int)sid.tid; /* its run since the events were opened */
                pc->run_since = perf_opened_at;
                pc->run_cut = UINT64_MAX;
            }
            perf_opener_tid = 0; /* from its first record on, it is like any thread */
        }
        if (eh->misc & PERF_RECORD_MISC_SWITCH_OUT) {
            if (pc->run_tid == (int)sid.tid)
                emit_run(o, pc, sid.time,
                         (eh->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) ? CVZ_OUT_PREEMPT
                                                                          : CVZ_OUT_BLOCK);
            pc->run_tid = 0;
        } else if (sid.time < perf_closed_at) {
            /* before the end given to runs closed as "open" (exec that failed): unknown */
            pc->run_tid = 0;
        } else {
            /* a switch-in while another run is open means we missed its switch-out (lost) */
            pc->run_tid = (int)sid.tid;
            pc->run_since = sid.time;
            pc->run_cut = UINT64_MAX;
            /* Records are handled in time order across CPUs: the same thread still "running"
             * on another CPU left it before now, its switch-out is just not visible yet. */
            for (int i = 0; i < perf_ncpus; i++)
                if (&perf_cpus[i] != pc && perf_cpus[i].run_tid == (int)sid.tid &&
                    perf_cpus[i].run_cut > sid.time)
                    perf_cpus[i].run_cut = sid.time;
        }
        break;
    case PERF_RECORD_EXIT: {
        struct {
            uint32_t pid, ppid, tid, ptid;
            uint64_t time;
        } ex;
        if (eh->size < sizeof *eh + sizeof ex) return;
        memcpy(&ex, eh + 1, sizeof ex);
        if ((int)ex.tid == perf_opener_tid) { /* it never left its CPU until it ended */
            perf_opener_tid = 0;
            if (pc->run_tid != (int)ex.tid && ex.time >= perf_opened_at) {
                pc->run_tid = (int)ex.tid;
                pc->run_since = perf_opened_at;
                pc->run_cut = UINT64_MAX;
            }
        }
        if (pc->run_tid == (int)ex.tid) emit_run(o, pc, ex.time, CVZ_OUT_EXIT);
        break;
    }
    case PERF_RECORD_LOST: {
        uint64_t lost[2];
        memcpy(lost, eh + 1, sizeof lost);
        atomic_fetch_add(&cvz_hdr->lost[CVZ_LOST_PERF], lost[1]);
        pc->run_tid = 0; /* the pairing is unreliable across a gap */
        break;
    }
    default:
        break;
    }
}

/* Copy the record at `tail` of CPU buffer `pc` into `buf`; returns its size (0: none whole). */
static uint32_t peek(const struct perf_cpu *pc, uint64_t tail, uint64_t head, char *buf, size_t cap)
{
    if (tail >= head) return 0;
    uint64_t off = tail % pc->data_size;
    struct perf_event_header eh;
    for (size_t k = 0; k < sizeof eh; k++) /* the header itself may wrap */
        ((char *)&eh)[k] = pc->data[(off + k) % pc->data_size];
    if (eh.size < sizeof eh || tail + eh.size > head) return 0;
    if (eh.size > cap) { /* never seen: skip it, keep the header only */
        memcpy(buf, &eh, sizeof eh);
        return eh.size;
    }
    uint64_t first = pc->data_size - off;
    if (first >= eh.size) {
        memcpy(buf, pc->data + off, eh.size);
    } else {
        memcpy(buf, pc->data + off, first);
        memcpy(buf + first, pc->data, eh.size - first);
    }
    return eh.size;
}

static uint64_t rec_time(const char *buf, uint32_t size)
{
    const struct perf_event_header *eh = (const void *)buf;
    if (size > 1024 || eh->size < sizeof *eh + sizeof(struct sample_id)) return 0;
    struct sample_id sid;
    memcpy(&sid, buf + eh->size - sizeof sid, sizeof sid);
    return sid.time;
}

/* DESIGN: the per-CPU buffers are merged by time, so that a thread's switch-in on one CPU is
 * handled after its earlier runs on the others.  Only the image's last drain (final) closes
 * the runs still open, as "open", at the last time known: the drain's own start or the latest
 * record seen, whichever is later; then the source is closed and what the buffers receive
 * later (the exiting threads keep running) is discarded, so that no later drain starts a run
 * before that end.  Intermediate drains leave open runs open. */
void cvz_perf_drain(struct cvz_obuf *o, bool final)
{
    uint64_t known = cvz_now(); /* before the heads are read: every run lasted until here */
    static uint64_t heads[MAX_CPUS], tails[MAX_CPUS]; /* static: the drain lock is held */
    for (int i = 0; i < perf_ncpus; i++) {
        heads[i] = __atomic_load_n(&perf_cpus[i].meta->data_head, __ATOMIC_ACQUIRE);
        tails[i] = perf_cpus[i].meta->data_tail;
    }
    if (perf_closed) { /* discard */
        for (int i = 0; i < perf_ncpus; i++)
            __atomic_store_n(&perf_cpus[i].meta->data_tail, heads[i], __ATOMIC_RELEASE);
        return;
    }
    static union {
        struct perf_event_header h;
        char bytes[1024];
    } next[MAX_CPUS];
    static uint32_t size[MAX_CPUS];
    static uint64_t when[MAX_CPUS];
    for (int i = 0; i < perf_ncpus; i++) {
        size[i] = peek(&perf_cpus[i], tails[i], heads[i], next[i].bytes, sizeof next[i]);
        when[i] = size[i] ? rec_time(next[i].bytes, size[i]) : 0;
    }
    for (;;) {
        int best = -1;
        for (int i = 0; i < perf_ncpus; i++)
            if (size[i] && (best < 0 || when[i] < when[best])) best = i;
        if (best < 0) break;
        if (size[best] <= sizeof next[best]) handle(o, &perf_cpus[best], &next[best].h);
        if (when[best] > known) known = when[best];
        tails[best] += size[best];
        size[best] =
            peek(&perf_cpus[best], tails[best], heads[best], next[best].bytes, sizeof next[best]);
        when[best] = size[best] ? rec_time(next[best].bytes, size[best]) : 0;
    }
    for (int i = 0; i < perf_ncpus; i++)
        __atomic_store_n(&perf_cpus[i].meta->data_tail, tails[i], __ATOMIC_RELEASE);
    if (!final) return;
    for (int i = 0; i < perf_ncpus; i++) {
        struct perf_cpu *pc = &perf_cpus[i];
        if (perf_opener_tid && pc->cpu == perf_opener_cpu && !pc->run_tid &&
            known >= perf_opened_at) {
            /* the opener never left its CPU: one run from the opening to the end */
            pc->run_tid = perf_opener_tid;
            pc->run_since = perf_opened_at;
            pc->run_cut = UINT64_MAX;
            perf_opener_tid = 0;
        }
        emit_run(o, pc, pc->run_cut < known ? pc->run_cut : known, CVZ_OUT_OPEN);
    }
    perf_closed = true;
    perf_closed_at = known;
}

/* An exec failed after the final drain closed the runs: the image goes on recording. */
void cvz_perf_resume(void)
{
    perf_closed = false;
}

/* ---- /proc sampler ----------------------------------------------------------------------- */

struct proc_prev {
    int tid;
    char state;
    int cpu;
    uint64_t run_delay, runtime;
};
#define PROC_MAX 1024
static struct proc_prev proc_prev[PROC_MAX];
static int proc_nprev;
static int proc_collector_tid;

void cvz_proc_reset(void)
{
    proc_nprev = 0;
    proc_collector_tid = 0;
}

static size_t slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    return (size_t)n;
}

void cvz_proc_sample(struct cvz_obuf *o)
{
    if (!proc_collector_tid) proc_collector_tid = cvz_tid();
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    char dbuf[8192];
    uint64_t now = cvz_now();
    for (;;) {
        long n = syscall(SYS_getdents64, fd, dbuf, sizeof dbuf);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *de = (void *)(dbuf + off);
            off += de->reclen;
            int tid = atoi(de->name);
            if (tid <= 0 || tid == proc_collector_tid) continue;
            char path[96], buf[1024];
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
            if (!slurp(path, buf, sizeof buf)) continue;
            char *rp = strrchr(buf, ')');
            if (!rp || rp[1] != ' ') continue;
            char state = rp[2];
            /* field 39 (processor): count fields after the state (field 3) */
            int field = 3, cpu = -1;
            for (char *p = rp + 2; *p; p++)
                if (*p == ' ' && ++field == 39) {
                    cpu = atoi(p + 1);
                    break;
                }
            snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid);
            unsigned long long runtime = 0, delay = 0;
            if (slurp(path, buf, sizeof buf)) sscanf(buf, "%llu %llu", &runtime, &delay);
            struct proc_prev *pp = NULL;
            for (int k = 0; k < proc_nprev; k++)
                if (proc_prev[k].tid == tid) pp = &proc_prev[k];
            if (!pp && proc_nprev < PROC_MAX) {
                pp = &proc_prev[proc_nprev++];
                memset(pp, 0, sizeof *pp);
                pp->tid = tid;
                pp->cpu = -2;
            }
            if (pp && pp->state == state && pp->cpu == cpu && pp->runtime == runtime &&
                pp->run_delay == delay)
                continue; /* nothing changed: no line */
            if (pp) {
                pp->state = state;
                pp->cpu = cpu;
                pp->runtime = runtime;
                pp->run_delay = delay;
            }
            struct cvz_record rec = {.ts = now,
                                     .kind = CVZ_EV_SCHED_SAMPLE,
                                     .sub = (uint16_t)(unsigned char)state,
                                     .tid = tid,
                                     .a = (uint64_t)(cpu < 0 ? 0 : cpu),
                                     .b = delay,
                                     .c = runtime};
            cvz_obuf_record(o, &rec, cvz_pid);
        }
    }
    close(fd);
    if (proc_nprev >= PROC_MAX) proc_nprev = 0; /* forget exited threads now and then */
}
