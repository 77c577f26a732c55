/* tc_prog.c - one small program with known behaviour per tracer-core test (mode = argv[1]):
 *   exit N          take a lock 10 times, exit with status N
 *   segv | abort    take a lock 10 times, then crash
 *   fork_exit       the child locks 5 times and leaves through _exit(7); the parent reaps it
 *   fork_exec PROG  the child execs PROG exit 3; the parent waits and exits with its status
 *   spin N          N threads spinning ~0.6 s each (CPU-bound)
 *   threads N       N threads created in a loop, each locks once; joined at the end
 *   loop            prints its pid, then locks and sleeps 1 ms forever (to be SIGKILLed)
 *   lockloop        prints its pid, then locks and unlocks forever (a signal then almost
 *                   always lands while the tracer is writing a record)
 *   sleep           one thread sleeping 30 ms a few times (for the /proc sampler)
 *   exec_fail       execl of a missing program fails; then locks 3 times and sleeps 50 ms
 *   fd              prints the fd number open() returns (the tracer's fds must not show)
 *   closeall HOW    closes every fd above 2 like a daemon (HOW: loop, close_range, closefrom),
 *                   then opens 8 files, starts 2 threads that lock 500 times each, joins them,
 *                   and prints what close() said for fds 3..1023 ("EBADF N ok M")
 *   clock N         N times: print CLOCK_MONOTONIC ns before and after a lock+unlock, sleep 10 ms
 *                   (the tracer's timestamps must fall in between)
 *   exit_busy FILE N  N threads lock, unlock and sleep 50 us in a loop while main calls exit()
 *                   after 100 ms; each thread keeps (tid, completed lock+unlock pairs) in FILE
 *                   (MAP_SHARED, read by the test after the process died)
 *   vfork           3 times: vfork; the child writes its pid to a pipe and _exit(5)s; the
 *                   parent reaps it and reads the pipe; prints the write end's fd number
 *   ust             like liblttng-ust: a thread names itself "tc_prog-ust" first thing, then
 *                   locks and starts a thread that locks; main locks twice and prints both
 *                   tids; after main returns, a destructor locks 4 times (after process.exit)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void lock_n(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
    }
}

static void *lock_once(void *arg)
{
    lock_n(1);
    return arg;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
    double end = now_s() + 0.6;
    volatile unsigned long x = 0;
    while (now_s() < end)
        x++;
    return arg;
}

struct busy_count {
    volatile int tid;
    volatile long pairs; /* lock+unlock pairs done (the release was recorded before) */
};
static struct busy_count *busy;

static void *lock_busy(void *arg)
{
    struct busy_count *me = &busy[(long)arg];
    me->tid = (int)syscall(SYS_gettid);
    pthread_mutex_t *m = &counter_lock;
    for (;;) {
        pthread_mutex_lock(m);
        counter++;
        pthread_mutex_unlock(m);
        me->pairs++;
        struct timespec t = {0, 50000};
        nanosleep(&t, NULL); /* wakes up often: preempts the exiting thread on a shared CPU */
    }
    return NULL;
}

static int exit_busy(const char *file, int n)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, 4096) < 0) {
        perror(file);
        return 1;
    }
    busy = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (busy == MAP_FAILED) return 1;
    if (n < 1 || n > 64) n = 3;
    for (long i = 0; i < n; i++) {
        pthread_t th;
        if (pthread_create(&th, NULL, lock_busy, (void *)i) != 0) return 1;
    }
    usleep(100000);
    exit(0); /* the threads are still locking */
}

/* The child never returns from here (a vfork child must not return from vfork's caller). */
static pid_t vfork_writer(int wfd)
{
    pid_t child = vfork();
    if (child == 0) {
        char msg[16];
        int len = snprintf(msg, sizeof msg, "%d\n", (int)getpid());
        (void)!write(wfd, msg, (size_t)len); /* the write wrapper runs in the vfork child */
        _exit(5);
    }
    return child;
}

static int vfork_write(void)
{
    int p[2];
    if (pipe(p) < 0) return 1;
    for (int i = 0; i < 3; i++) {
        pid_t child = vfork_writer(p[1]);
        int st = 0;
        waitpid(child, &st, 0);
        char buf[32];
        if (read(p[0], buf, sizeof buf) <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 5) return 1;
    }
    printf("%d\n", p[1]);
    return 0;
}

static pid_t ust_tids[2];
static int ust_mode;

static void *ust_child(void *arg)
{
    ust_tids[1] = (pid_t)syscall(SYS_gettid);
    lock_n(2);
    return arg;
}

static void *ust_thread(void *arg)
{
    pthread_setname_np(pthread_self(), "tc_prog-ust");
    ust_tids[0] = (pid_t)syscall(SYS_gettid);
    lock_n(3);
    pthread_t th;
    if (pthread_create(&th, NULL, ust_child, NULL) == 0) pthread_join(th, NULL);
    return arg;
}

static int ust(void)
{
    ust_mode = 1;
    lock_n(2);
    pthread_t th;
    if (pthread_create(&th, NULL, ust_thread, NULL) != 0) return 1;
    pthread_join(th, NULL);
    printf("%d %d\n", (int)ust_tids[0], (int)ust_tids[1]);
    return 0;
}

/* runs after the tracer's exit hook (destructors come after on_exit handlers) */
__attribute__((destructor)) static void teardown(void)
{
    if (ust_mode) lock_n(4);
}

static int run_threads(int n, void *(*fn)(void *))
{
    pthread_t *t = calloc((size_t)n, sizeof *t);
    if (!t) return 1;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
    return 0;
}

static void *lock_500(void *arg)
{
    lock_n(500);
    return arg;
}

static int close_all(const char *how)
{
    int ebadf = 0, ok = 0;
    if (strcmp(how, "loop") == 0) {
        for (int fd = 3; fd < 1024; fd++) {
            if (close(fd) == 0)
                ok++;
            else if (errno == EBADF)
                ebadf++;
        }
    } else if (strcmp(how, "close_range") == 0) {
        if (close_range(3, ~0U, 0) != 0) perror("close_range");
    } else {
        closefrom(3);
    }
    int fds[8];
    for (int i = 0; i < 8; i++)
        fds[i] = open("/dev/null", O_WRONLY);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, lock_500, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    printf("EBADF %d ok %d counter %ld\n", ebadf, ok, counter);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "exit";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    if (strcmp(mode, "exit") == 0) {
        lock_n(10);
        return n;
    }
    if (strcmp(mode, "segv") == 0) {
        lock_n(10);
        int *volatile nowhere = NULL; /* volatile: the compiler cannot see the fault */
        *nowhere = 1;
    }
    if (strcmp(mode, "abort") == 0) {
        lock_n(10);
        abort();
    }
    if (strcmp(mode, "fork_exit") == 0) {
        lock_n(2);
        pid_t p = fork();
        if (p == 0) {
            lock_n(5);
            _exit(7);
        }
        int st = 0;
        waitpid(p, &st, 0);
        printf("child %d status %d\n", (int)p, WEXITSTATUS(st));
        return 0;
    }
    if (strcmp(mode, "fork_exec") == 0) {
        pid_t p = fork();
        if (p == 0) {
            execl(argv[2], argv[2], "exit", "3", (char *)NULL);
            _exit(127);
        }
        int st = 0;
        waitpid(p, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    if (strcmp(mode, "spin") == 0) return run_threads(n ? n : 4, spin);
    if (strcmp(mode, "threads") == 0) {
        int rc = run_threads(n ? n : 2000, lock_once);
        printf("%ld\n", counter);
        return rc;
    }
    if (strcmp(mode, "loop") == 0) {
        printf("%d\n", (int)getpid());
        fflush(stdout);
        for (;;) {
            lock_n(1);
            usleep(1000);
        }
    }
    if (strcmp(mode, "lockloop") == 0) {
        printf("%d\n", (int)getpid());
        fflush(stdout);
        for (;;)
            lock_n(1);
    }
    if (strcmp(mode, "exec_fail") == 0) {
        execl("/nonexistent/program", "program", (char *)NULL);
        lock_n(3);
        usleep(50000); /* the collector runs in between: it must not be locked out */
        lock_n(3);
        return 0;
    }
    if (strcmp(mode, "closeall") == 0 && argc > 2) return close_all(argv[2]);
    if (strcmp(mode, "fd") == 0) {
        printf("%d\n", open("/dev/null", O_RDONLY));
        return 0;
    }
    if (strcmp(mode, "clock") == 0) {
        for (int i = 0; i < (n ? n : 100); i++) {
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            lock_n(1);
            clock_gettime(CLOCK_MONOTONIC, &b);
            printf("%lld %lld\n", (long long)a.tv_sec * 1000000000 + a.tv_nsec,
                   (long long)b.tv_sec * 1000000000 + b.tv_nsec);
            usleep(10000);
        }
        return 0;
    }
    if (strcmp(mode, "exit_busy") == 0 && argc > 3) return exit_busy(argv[2], atoi(argv[3]));
    if (strcmp(mode, "vfork") == 0) return vfork_write();
    if (strcmp(mode, "ust") == 0) return ust();
    if (strcmp(mode, "sleep") == 0) {
        for (int i = 0; i < 5; i++)
            usleep(30000);
        return 0;
    }
    fprintf(stderr, "tc_prog: unknown mode '%s'\n", mode);
    return 2;
}
