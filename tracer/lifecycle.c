/* lifecycle.c - the wrappers for thread and process lifecycles: pthread_create/pthread_exit,
 * fork, the exec family, posix_spawn/system/popen, _exit/_Exit, exit (on_exit), and fatal
 * signals (with sigaction/signal wrappers that keep our handlers invisible to the program).
 *
 * DESIGN (DESIGN.md §4): vfork has no C wrapper (one that returns twice corrupts the parent);
 * on x86-64 an assembly trampoline marks the calling thread (cvz_tls_vfork, shared with the
 * child, which runs on the parent's TLS) and jumps to glibc's vfork, so the child and the
 * parent return straight to the caller; the core then checks the pid on that thread's next
 * recording and records nothing in the child.  Every hook here also checks
 * cvz_in_vfork_child() and does nothing there (posix_spawn's clone child never calls them).  The
 * execl* variadic forms are routed through execve/execvp so there is one code path.  The fork
 * mechanics (fresh ring file, perf fds and collector in the child) live in pthread_atfork
 * handlers (core.c), so forks that do not go through our fork() wrapper are handled too; the
 * wrapper only adds the process.fork event with the child's pid.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cvz_core.h"

extern char **environ;

#define REAL(name)                                                                                 \
    static __typeof__(name) *real_##name;                                                          \
    if (__builtin_expect(real_##name == NULL, 0))                                                  \
    real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* True when a wrapper here should record: tracing on and not inside tracer code. */
static bool may_record(void)
{
    if (!cvz_enter()) return false;
    cvz_leave();
    return !cvz_in_vfork_child();
}

/* ---- threads ------------------------------------------------------------------------------ */

/* pthread_t -> kernel tid of the threads created through pthread_create, for cvz_tid_of().
 * An entry is overwritten when glibc hands the same pthread_t to a new thread, which happens
 * inside pthread_create, before anyone can join the new one: lookups never see a stale tid. */
#define TIDMAP_SIZE  65536 /* power of two */
#define TIDMAP_PROBE 64
struct tidmap_entry {
    unsigned long th;
    pid_t tid;
};
static struct tidmap_entry *tidmap;
static atomic_flag tidmap_busy = ATOMIC_FLAG_INIT;

static void tidmap_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&tidmap_busy, memory_order_acquire))
        syscall(SYS_sched_yield);
}
static void tidmap_unlock(void)
{
    atomic_flag_clear_explicit(&tidmap_busy, memory_order_release);
}

void cvz_lifecycle_fork_child(void)
{
    /* another thread may have held the lock at fork: it does not exist in the child */
    atomic_flag_clear(&tidmap_busy);
}

static uint32_t tidmap_hash(unsigned long th)
{
    return (uint32_t)((th >> 4) * 0x9E3779B97F4A7C15ull >> 40) & (TIDMAP_SIZE - 1);
}

static void tidmap_put(unsigned long th, pid_t tid)
{
    if (!tidmap) {
        void *m = mmap(NULL, TIDMAP_SIZE * sizeof *tidmap, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return;
        tidmap_lock();
        if (!tidmap) {
            tidmap = m;
            m = NULL;
        }
        tidmap_unlock();
        if (m) munmap(m, TIDMAP_SIZE * sizeof *tidmap);
    }
    uint32_t h = tidmap_hash(th);
    tidmap_lock();
    struct tidmap_entry *victim = &tidmap[h];
    for (uint32_t k = 0; k < TIDMAP_PROBE; k++) {
        struct tidmap_entry *e = &tidmap[(h + k) & (TIDMAP_SIZE - 1)];
        if (e->th == th || e->th == 0) {
            victim = e;
            break;
        }
    }
    victim->th = th; /* full neighbourhood: the home entry is evicted */
    victim->tid = tid;
    tidmap_unlock();
}

pid_t cvz_tid_of(unsigned long th)
{
    pid_t tid = 0;
    if (!tidmap || th == 0) return 0;
    uint32_t h = tidmap_hash(th);
    tidmap_lock();
    for (uint32_t k = 0; k < TIDMAP_PROBE; k++) {
        struct tidmap_entry *e = &tidmap[(h + k) & (TIDMAP_SIZE - 1)];
        if (e->th == th) {
            tid = e->tid;
            break;
        }
        if (e->th == 0) break;
    }
    tidmap_unlock();
    return tid;
}

/* glibc keeps the tid in struct pthread, set by the kernel when clone returns (and cleared
 * when the thread exits); its offset is found once by looking for our own tid in ours. */
static long pthread_tid_offset(void)
{
    static long offset = -1;
    if (offset != -1) return offset;
    const unsigned char *self = (const unsigned char *)pthread_self();
    pid_t me = cvz_tid(), v;
    offset = -2;
    for (long off = 0x2d0, k = 0; k < 0x200; k++, off = k * 4) {
        memcpy(&v, self + off, sizeof v);
        if (v == me) {
            offset = off;
            break;
        }
    }
    return offset;
}

struct start_box {
    void *(*fn)(void *);
    void *arg;
    pid_t parent;
    uint64_t ts;
    _Atomic pid_t tid; /* the child's, written first thing by the child */
    atomic_int refs;   /* the creator and the child both read the box */
};

static void box_put(struct start_box *box)
{
    if (atomic_fetch_sub(&box->refs, 1) == 1) free(box);
}

static void *thread_trampoline(void *p)
{
    struct start_box *pbox = p;
    pid_t me = cvz_tid();
    atomic_store(&pbox->tid, me);
    struct start_box box = {pbox->fn, pbox->arg, pbox->parent, pbox->ts, me, 0};
    box_put(pbox);
    /* thread.create belongs to the creator; the child writes it (with the creator's tid and
     * the time pthread_create was called) so that the creator never waits for the child. */
    cvz_rec_as(box.parent, CVZ_EV_THREAD_CREATE, 0, box.ts, (uint64_t)me, 0, 0, 0);
    cvz_thread_started(box.parent);
    void *ret = box.fn(box.arg);
    cvz_thread_exiting();
    return ret;
}

/* A thread created by an untraced thread (liblttng-ust's, or the tracer starting liblttng-ust)
 * is untraced from its first instruction. */
struct untraced_box {
    void *(*fn)(void *);
    void *arg;
};
static void *untraced_trampoline(void *p)
{
    struct untraced_box box = *(struct untraced_box *)p;
    free(p);
    cvz_set_untraced(false);
    return box.fn(box.arg);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    REAL(pthread_create);
    if (!real_pthread_create) return EAGAIN;
    if (cvz_untraced() && !cvz_in_vfork_child()) {
        struct untraced_box *ub = malloc(sizeof *ub);
        if (!ub) return real_pthread_create(thread, attr, fn, arg);
        ub->fn = fn;
        ub->arg = arg;
        int rc = real_pthread_create(thread, attr, untraced_trampoline, ub);
        if (rc != 0) free(ub);
        return rc;
    }
    if (!may_record()) return real_pthread_create(thread, attr, fn, arg);
    struct start_box *box = malloc(sizeof *box);
    if (!box) return real_pthread_create(thread, attr, fn, arg);
    box->fn = fn;
    box->arg = arg;
    box->parent = cvz_tid();
    box->ts = cvz_now();
    atomic_store(&box->tid, 0);
    atomic_store(&box->refs, 2);
    int rc = real_pthread_create(thread, attr, thread_trampoline, box);
    if (rc != 0) {
        free(box);
        return rc;
    }
    /* The child's tid without waiting for it: the child wrote it, or the kernel put it in
     * struct pthread at clone; if the child exited in between, it had written it. */
    pid_t tid = atomic_load(&box->tid);
    long off = pthread_tid_offset();
    if (!tid && off >= 0) memcpy(&tid, (const unsigned char *)*thread + off, sizeof tid);
    if (tid <= 0) tid = atomic_load(&box->tid);
    box_put(box);
    if (tid > 0) tidmap_put((unsigned long)*thread, tid);
    return rc;
}

void pthread_exit(void *retval)
{
    REAL(pthread_exit);
    cvz_thread_exiting();
    real_pthread_exit(retval);
    __builtin_unreachable();
}

/* ---- fork ---------------------------------------------------------------------------------- */

pid_t fork(void)
{
    REAL(fork);
    pid_t pid = real_fork();
    if (pid > 0 && may_record()) cvz_fork_parent(pid);
    return pid;
}

/* ---- exec family --------------------------------------------------------------------------- */

int execve(const char *path, char *const argv[], char *const envp[])
{
    REAL(execve);
    bool rec = may_record();
    if (rec) cvz_before_exec(path, argv);
    int rc = real_execve(path, argv, envp);
    if (rec) {
        int e = errno;
        cvz_exec_failed();
        errno = e;
    }
    return rc;
}

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    REAL(execvpe);
    bool rec = may_record();
    if (rec) cvz_before_exec(file, argv);
    int rc = real_execvpe(file, argv, envp);
    if (rec) {
        int e = errno;
        cvz_exec_failed();
        errno = e;
    }
    return rc;
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    REAL(fexecve);
    bool rec = may_record();
    if (rec) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        cvz_before_exec(path, argv);
    }
    int rc = real_fexecve(fd, argv, envp);
    if (rec) {
        int e = errno;
        cvz_exec_failed();
        errno = e;
    }
    return rc;
}

/* Collect the variadic arguments of execl* into an argv on the stack. */
#define COLLECT_ARGS(first, ap, argv_out, envp_out, with_env)                                      \
    size_t argc_ = 1;                                                                              \
    va_start(ap, first);                                                                           \
    while (va_arg(ap, char *))                                                                     \
        argc_++;                                                                                   \
    va_end(ap);                                                                                    \
    char **argv_out = __builtin_alloca((argc_ + 1) * sizeof(char *));                              \
    char *const *envp_out = environ;                                                               \
    va_start(ap, first);                                                                           \
    argv_out[0] = (char *)(first);                                                                 \
    for (size_t i_ = 1; i_ <= argc_; i_++)                                                         \
        argv_out[i_] = i_ < argc_ ? va_arg(ap, char *) : NULL;                                     \
    if (with_env) {                                                                                \
        (void)va_arg(ap, char *); /* the terminating NULL */                                       \
        envp_out = va_arg(ap, char *const *);                                                      \
    }                                                                                              \
    va_end(ap)

int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    COLLECT_ARGS(arg, ap, argv, envp, 0);
    return execve(path, argv, envp);
}

int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    COLLECT_ARGS(arg, ap, argv, envp, 0);
    return execvpe(file, argv, envp);
}

int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    COLLECT_ARGS(arg, ap, argv, envp, 1);
    return execve(path, argv, envp);
}

/* ---- spawn, system, popen ------------------------------------------------------------------ */

static void record_spawn(uint64_t ts, pid_t child, const char *path, const char *how)
{
    char args[4400], *p = args;
    p = cvz_fmt_str(p, "\"child\":");
    p = cvz_fmt_i64(p, child);
    p = cvz_fmt_str(p, ",\"path\":\"");
    if (path) p = cvz_fmt_json_escaped(p, 4096, path, strlen(path));
    p = cvz_fmt_str(p, "\",\"how\":\"");
    p = cvz_fmt_str(p, how);
    p = cvz_fmt_str(p, "\"");
    *p = 0;
    cvz_rec_str(CVZ_EV_PROCESS_SPAWN, ts, args);
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    REAL(posix_spawn);
    bool rec = may_record();
    uint64_t ts = rec ? cvz_now() : 0;
    pid_t child = 0;
    int rc = real_posix_spawn(&child, path, fa, attr, argv, envp);
    if (pid) *pid = child;
    if (rec && rc == 0) record_spawn(ts, child, path, "posix_spawn");
    return rc;
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    REAL(posix_spawnp);
    bool rec = may_record();
    uint64_t ts = rec ? cvz_now() : 0;
    pid_t child = 0;
    int rc = real_posix_spawnp(&child, file, fa, attr, argv, envp);
    if (pid) *pid = child;
    if (rec && rc == 0) record_spawn(ts, child, file, "posix_spawn");
    return rc;
}

int system(const char *command)
{
    REAL(system);
    if (command && may_record()) record_spawn(cvz_now(), 0, command, "system");
    return real_system(command);
}

FILE *popen(const char *command, const char *type)
{
    REAL(popen);
    bool rec = may_record();
    uint64_t ts = rec ? cvz_now() : 0;
    FILE *f = real_popen(command, type);
    if (rec && f) record_spawn(ts, 0, command, "popen");
    return f;
}

/* ---- exit ------------------------------------------------------------------------------------ */

void _exit(int status)
{
    REAL(_exit);
    if (may_record()) cvz_process_exit(status, 0, "_exit");
    real__exit(status);
    __builtin_unreachable();
}

void _Exit(int status)
{
    REAL(_Exit);
    if (may_record()) cvz_process_exit(status, 0, "_exit");
    real__Exit(status);
    __builtin_unreachable();
}

/* exit() and the return from main: on_exit hands us the status. */
static void on_exit_handler(int status, void *arg)
{
    (void)arg;
    if (!cvz_in_vfork_child()) cvz_process_exit(status, 0, "exit");
}

/* Our constructor runs (from ld.so) before __libc_start_main registers the dynamic linker's
 * fini handler, so an on_exit registered there would run after the destructors.  Registering
 * from a trampoline around main puts ours after the program's start-up and before them. */
typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int main_trampoline(int argc, char **argv, char **envp)
{
    on_exit(on_exit_handler, NULL);
    return real_main(argc, argv, envp);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end)
{
    static int (*real_start)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
                             void *);
    if (!real_start) real_start = dlsym(RTLD_NEXT, "__libc_start_main");
    real_main = main;
    return real_start(main_trampoline, argc, argv, init, fini, rtld_fini, stack_end);
}

/* ---- fatal signals ----------------------------------------------------------------------------
 */

static const int fatal_signals[] = {SIGSEGV, SIGBUS,  SIGABRT, SIGFPE,  SIGILL, SIGTERM,
                                    SIGINT,  SIGQUIT, SIGHUP,  SIGPIPE, SIGSYS, SIGXCPU};
static atomic_int ours[65]; /* our handler is installed for this signal */

static void fatal_handler(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    int saved = errno;
    REAL(sigaction);
    cvz_process_exit(-1, sig, "signal");
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    if (real_sigaction) real_sigaction(sig, &dfl, NULL);
    atomic_store(&ours[sig], 0);
    /* Still blocked while we are in the handler: delivered with the default action on return
     * (a synchronous fault would also simply happen again). */
    syscall(SYS_tgkill, (int)syscall(SYS_getpid), (int)syscall(SYS_gettid), sig);
    errno = saved;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    REAL(sigaction);
    if (sig <= 0 || sig >= 65 || !atomic_load(&ours[sig])) return real_sigaction(sig, act, old);
    int rc = real_sigaction(sig, act, old);
    if (rc == 0) {
        if (act) atomic_store(&ours[sig], 0); /* the program's own disposition replaces ours */
        if (old) {
            memset(old, 0, sizeof *old);
            old->sa_handler = SIG_DFL; /* what the program would have seen without us */
        }
    }
    return rc;
}

/* signal() and its older spellings: the program's disposition replaces ours, and the previous
 * one it is told is SIG_DFL, as it would be untraced. */
#define SIGNAL_LIKE(name)                                                                          \
    sighandler_t name(int sig, sighandler_t handler)                                               \
    {                                                                                              \
        static sighandler_t (*real_fn)(int, sighandler_t);                                         \
        if (!real_fn) real_fn = (sighandler_t(*)(int, sighandler_t))dlsym(RTLD_NEXT, #name);       \
        if (!real_fn) {                                                                            \
            errno = ENOSYS;                                                                        \
            return SIG_ERR;                                                                        \
        }                                                                                          \
        if (sig <= 0 || sig >= 65 || !atomic_load(&ours[sig])) return real_fn(sig, handler);       \
        sighandler_t prev = real_fn(sig, handler);                                                 \
        if (prev == SIG_ERR) return prev;                                                          \
        if (handler != SIG_HOLD) atomic_store(&ours[sig], 0);                                      \
        return SIG_DFL;                                                                            \
    }
sighandler_t bsd_signal(int sig, sighandler_t handler);
sighandler_t sysv_signal(int sig, sighandler_t handler);
sighandler_t sigset(int sig, sighandler_t handler);
SIGNAL_LIKE(signal)
SIGNAL_LIKE(bsd_signal)
SIGNAL_LIKE(sysv_signal)
SIGNAL_LIKE(sigset)

/* ---- vfork ----------------------------------------------------------------------------------
 */
__attribute__((visibility("hidden"))) pid_t (*cvz_real_vfork)(void);

/* glibc's vfork could not be found (never expected): fork is a valid vfork. */
__attribute__((visibility("hidden"), used)) pid_t cvz_vfork_fallback(void)
{
    return (pid_t)syscall(SYS_fork);
}

#if defined(__x86_64__)
__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork,@function\n"
        "vfork:\n"
        "    endbr64\n"
        "    movq cvz_tls_vfork@gottpoff(%rip), %rax\n"
        "    movl $1, %fs:(%rax)\n" /* this thread may be a vfork child from now on */
        "    movq cvz_real_vfork(%rip), %rax\n"
        "    testq %rax, %rax\n"
        "    jz 1f\n"
        "    jmp *%rax\n" /* tail jump: no frame of ours for the child to clobber */
        "1:  jmp cvz_vfork_fallback\n"
        ".size vfork, .-vfork\n");
#endif

void cvz_lifecycle_init(void)
{
    if (!cvz_real_vfork) cvz_real_vfork = (pid_t(*)(void))dlsym(RTLD_NEXT, "vfork");
    static bool done;
    if (done || !cvz_active()) return;
    done = true;
    REAL(sigaction);
    if (!real_sigaction) return;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
        int sig = fatal_signals[i];
        struct sigaction cur;
        if (real_sigaction(sig, NULL, &cur) != 0) continue;
        if (cur.sa_handler != SIG_DFL || (cur.sa_flags & SA_SIGINFO)) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = fatal_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        atomic_store(&ours[sig], 1);
        if (real_sigaction(sig, &sa, NULL) != 0) atomic_store(&ours[sig], 0);
    }
    on_exit(on_exit_handler, NULL);
}
