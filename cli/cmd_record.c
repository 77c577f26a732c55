/* cmd_record.c - `conviz record`: run a program with libconviz.so preloaded and finish its
 * trace; `conviz finish`: finish the trace of a recording whose recorder died.
 *
 * DESIGN: the preload library knows nothing of this command: settings travel as CONVIZ_*
 * environment variables.  The child prepares the output (it knows its own pid, which names the
 * default output) and reports a failed exec through a close-on-exec pipe, so that "cannot run"
 * is told apart from a program that exits 127.  Finishing is in cvz_spool (tracer/spool.c): it
 * recovers records a killed process left in its ring file and closes the JSON array.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "cvz_spool.h"
#include "state_slices.h"

static void add_state_slices(const char *who, const char *trace, const struct cvz_finish_stats *st);

struct record_opts {
    const char *out;
    const char *sched; /* NULL = library default (perf, else proc, else none) */
    const char *buffer;
    bool follow;
    bool quiet;
    bool state_slices; /* append derived READY/BLOCKED slices for Perfetto (default) */
    const char *lttng; /* NULL, "1" or "only" */
};

static void record_usage(FILE *f)
{
    fprintf(
        f, "usage: conviz record [OPTIONS] [--] PROGRAM [ARGS...]\n"
           "\n"
           "Run PROGRAM with the conviz tracer preloaded (libconviz.so) and write a JSON trace of\n"
           "its threads, processes, locks and scheduler states.  The exit status is PROGRAM's\n"
           "(128+N when a signal N killed it).\n"
           "\n"
           "options:\n"
           "  -o, --output FILE        trace file (default: conviz-<prog>-<pid>.json here)\n"
           "  --sched=perf|proc|none   scheduler-state source (default: perf, falling back to\n"
           "                           proc when perf_event_open is denied)\n"
           "  --no-sched               same as --sched=none\n"
           "  --buffer-size BYTES      ring buffer per thread, e.g. 256K, 1M (default), 4M\n"
           "  --follow-children        trace child processes too (default)\n"
           "  --no-follow-children     trace only PROGRAM's own process\n"
           "  --lttng[=only]           also (or only) emit LTTng-UST events (needs a session)\n"
           "  --no-state-slices        do not append the derived READY/BLOCKED slices that\n"
           "                           Perfetto shows (saves loading the trace once at the end)\n"
           "  -q, --quiet              no summary line\n"
           "  -h, --help               this help\n"
           "\n"
           "environment: CONVIZ_LIB overrides where libconviz.so is found.\n"
           "Events still buffered when PROGRAM is killed (even SIGKILL) are recovered.\n");
}

static bool valid_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || v == 0) return false;
    if (*end == 'k' || *end == 'K' || *end == 'm' || *end == 'M' || *end == 'g' || *end == 'G')
        end++;
    if (*end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B' || *end == 'b')
        end++;
    return *end == 0;
}

static bool find_lib(char *path, size_t len)
{
    const char *env = getenv("CONVIZ_LIB");
    if (env && *env) {
        snprintf(path, len, "%s", env);
        return access(path, R_OK) == 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = 0;
    if (snprintf(path, len, "%s/../lib/libconviz.so", exe) >= (int)len) return false;
    if (access(path, R_OK) == 0) {
        char *real = realpath(path, NULL);
        if (real) {
            snprintf(path, len, "%s", real);
            free(real);
        }
        return true;
    }
    return false;
}

static void absolute(char *dst, size_t len, const char *path)
{
    char cwd[PATH_MAX];
    int n;
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        n = snprintf(dst, len, "%s", path);
    else
        n = snprintf(dst, len, "%s/%s", cwd, path);
    if (n >= (int)len) dst[len - 1] = 0; /* truncated: open() will say so */
}

static void default_output(char *dst, size_t len, const char *prog, int pid)
{
    const char *base = strrchr(prog, '/');
    char name[PATH_MAX];
    snprintf(name, sizeof name, "conviz-%s-%d.json", base ? base + 1 : prog, pid);
    absolute(dst, len, name);
}

/* Create the trace with its "[" and an empty ring directory. */
static int prepare_output(const char *out)
{
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int ok = write(fd, "[\n", 2) == 2;
    close(fd);
    if (!ok) return -1;
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s.d", out);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -1;
    DIR *d = opendir(dir);
    if (d) { /* stale ring files of an earlier run with the same output */
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strncmp(de->d_name, "ring-", 5) != 0) continue;
            char p[PATH_MAX + 300];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    return 0;
}

static volatile pid_t child_pid;

static void forward_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* A terminal's ^C already reached the child (same process group); forward only what was
     * sent to us alone (kill, a supervisor). */
    if (child_pid > 0 && si && si->si_code != SI_KERNEL) kill(child_pid, sig);
}

static void print_summary(const char *out, const struct cvz_finish_stats *st)
{
    fprintf(stderr,
            "conviz: trace written to %s: %u processes, %u threads, %llu events, %llu lost, "
            "sched=%s\n",
            out, st->processes, st->threads, (unsigned long long)st->events,
            (unsigned long long)st->lost, st->sched);
    if (st->running)
        fprintf(stderr,
                "conviz: %u traced processes are still running; run 'conviz finish %s' "
                "when they have ended\n",
                st->running, out);
}

struct child_report {
    int stage; /* 1 = output, 2 = exec */
    int err;
};

int cmd_record(int argc, char **argv)
{
    struct record_opts o = {.follow = true, .state_slices = true};
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-') break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            record_usage(stdout);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "conviz record: %s needs a file name\n", a);
                return 2;
            }
            o.out = argv[i];
        } else if (strncmp(a, "--output=", 9) == 0) {
            o.out = a + 9;
        } else if (strncmp(a, "--sched=", 8) == 0) {
            o.sched = a + 8;
            if (strcmp(o.sched, "perf") && strcmp(o.sched, "proc") && strcmp(o.sched, "none")) {
                fprintf(stderr, "conviz record: --sched must be perf, proc or none, not '%s'\n",
                        o.sched);
                return 2;
            }
        } else if (strcmp(a, "--no-sched") == 0) {
            o.sched = "none";
        } else if (strcmp(a, "--buffer-size") == 0 || strncmp(a, "--buffer-size=", 14) == 0) {
            const char *v = a[13] == '=' ? a + 14 : (++i < argc ? argv[i] : NULL);
            if (!v || !valid_size(v)) {
                fprintf(stderr, "conviz record: --buffer-size needs a size such as 262144, 256K "
                                "or 4M\n");
                return 2;
            }
            o.buffer = v;
        } else if (strcmp(a, "--follow-children") == 0) {
            o.follow = true;
        } else if (strcmp(a, "--no-follow-children") == 0) {
            o.follow = false;
        } else if (strcmp(a, "--lttng") == 0) {
            o.lttng = "1";
        } else if (strcmp(a, "--lttng=only") == 0) {
            o.lttng = "only";
        } else if (strcmp(a, "--no-state-slices") == 0) {
            o.state_slices = false;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o.quiet = true;
        } else {
            fprintf(stderr, "conviz record: unknown option '%s'; see 'conviz record --help'\n", a);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "conviz record: no program to run; usage: conviz record [OPTIONS] -- "
                        "PROGRAM [ARGS...]\n");
        return 2;
    }
    char **prog = argv + i;
    char lib[PATH_MAX];
    if (!find_lib(lib, sizeof lib)) {
        fprintf(stderr,
                "conviz record: cannot find libconviz.so (looked at %s); build it, or "
                "set CONVIZ_LIB to its path\n",
                getenv("CONVIZ_LIB") ? getenv("CONVIZ_LIB") : "<conviz dir>/../lib/libconviz.so");
        return 2;
    }
    char out[PATH_MAX];
    if (o.out) absolute(out, sizeof out, o.out);

    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        perror("conviz record: pipe");
        return 2;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("conviz record: fork");
        return 2;
    }
    if (pid == 0) {
        close(report[0]);
        struct child_report rep = {0, 0};
        char myout[PATH_MAX];
        if (o.out)
            snprintf(myout, sizeof myout, "%s", out);
        else
            default_output(myout, sizeof myout, prog[0], getpid());
        if (prepare_output(myout) < 0) {
            rep = (struct child_report){1, errno};
            (void)!write(report[1], &rep, sizeof rep);
            _exit(2);
        }
        const char *old = getenv("LD_PRELOAD");
        char *preload = malloc(strlen(lib) + (old ? strlen(old) : 0) + 2);
        if (!preload) _exit(2);
        size_t first = old ? strcspn(old, ": ") : 0;
        if (old && first && (memmem(old, first, "libasan", 7) || memmem(old, first, "libtsan", 7)))
            /* a sanitizer runtime must stay first in the list (sanitizer builds of conviz) */
            sprintf(preload, "%.*s:%s%s", (int)first, old, lib, old + first);
        else
            sprintf(preload, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
        char pidbuf[24];
        snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
        setenv("LD_PRELOAD", preload, 1);
        setenv("CONVIZ_OUT", myout, 1);
        setenv("CONVIZ_ROOT_PID", pidbuf, 1);
        setenv("CONVIZ_KEEP_RINGS", "1", 1);
        setenv("CONVIZ_FOLLOW", o.follow ? "1" : "0", 1);
        if (o.sched) setenv("CONVIZ_SCHED", o.sched, 1);
        if (o.buffer) setenv("CONVIZ_BUFFER", o.buffer, 1);
        if (o.quiet) setenv("CONVIZ_QUIET", "1", 1);
        if (o.lttng) setenv("CONVIZ_LTTNG", o.lttng, 1);
        execvp(prog[0], prog);
        rep = (struct child_report){2, errno};
        (void)!write(report[1], &rep, sizeof rep);
        _exit(127);
    }
    child_pid = pid;
    close(report[1]);
    /* Under a file-size limit (ulimit -f) the program's lines stop at the limit; the trace's
     * closing lines may not fit either, and a SIGXFSZ must not kill the recorder for that
     * (the child keeps the disposition it was given). */
    signal(SIGXFSZ, SIG_IGN);
    if (!o.out) default_output(out, sizeof out, prog[0], pid);

    struct sigaction sa, old_int, old_term, old_hup, old_quit;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    sigaction(SIGQUIT, &sa, &old_quit);

    struct child_report rep = {0, 0};
    ssize_t got;
    do
        got = read(report[0], &rep, sizeof rep);
    while (got < 0 && errno == EINTR);
    close(report[0]);

    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("conviz record: waitpid");
            return 2;
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);

    if (got == (ssize_t)sizeof rep && rep.stage) {
        if (rep.stage == 1) {
            fprintf(stderr, "conviz record: cannot create the trace '%s': %s\n", out,
                    strerror(rep.err));
            return 2;
        }
        fprintf(stderr, "conviz record: cannot run '%s': %s\n", prog[0], strerror(rep.err));
        char dir[PATH_MAX + 8];
        snprintf(dir, sizeof dir, "%s.d", out);
        rmdir(dir);
        unlink(out);
        return rep.err == ENOENT ? 127 : 126;
    }

    struct cvz_finish_stats st;
    char err[512];
    if (cvz_spool_finish(out, pid, status, &st, err, sizeof err) < 0) {
        fprintf(stderr, "conviz record: %s\n", err);
    } else if (st.processes == 0 && !st.running) {
        /* the program ran, but the tracer never started in it */
        fprintf(stderr,
                "conviz record: nothing was traced in '%s'; '%s' holds no events.\n"
                "  Either the tracer said why above, or the program never loaded it (%s):\n"
                "  a statically linked or set-user-ID program, or one that clears LD_PRELOAD\n"
                "  before it runs its work, cannot be traced by conviz.\n",
                prog[0], out, lib);
    } else {
        if (o.state_slices) add_state_slices("conviz record", out, &st);
        if (!o.quiet) print_summary(out, &st);
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        if (!o.quiet)
            fprintf(stderr, "conviz: %s killed by signal %d (SIG%s)\n", prog[0], sig,
                    abbrev ? abbrev : "?");
        return 128 + sig;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Once every process has ended, append the states Perfetto cannot derive (state_slices.c).
 * A failure costs only those slices: the trace itself is complete already. */
static void add_state_slices(const char *who, const char *trace, const struct cvz_finish_stats *st)
{
    if (st->running) return; /* a process still writes: the array is not closed yet */
    char err[512];
    if (cvz_append_state_slices(trace, NULL, err, sizeof err) < 0)
        fprintf(stderr, "%s: %s (the trace is complete; Perfetto shows runs only)\n", who, err);
}

int cmd_finish(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc == 2 ? stdout : stderr;
        fprintf(f, "usage: conviz finish TRACE\n\n"
                   "Complete a trace whose `conviz record` was killed: recover the events still\n"
                   "in TRACE.d/ring files, mark processes that died without a word as killed,\n"
                   "close the JSON array and remove the ring files.\n");
        return argc == 2 ? 0 : 2;
    }
    struct stat sb;
    if (stat(argv[1], &sb) < 0) {
        fprintf(stderr, "conviz finish: cannot open '%s': %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct cvz_finish_stats st;
    char err[512];
    if (cvz_spool_finish(argv[1], 0, -1, &st, err, sizeof err) < 0) {
        fprintf(stderr, "conviz finish: %s\n", err);
        return 1;
    }
    add_state_slices("conviz finish", argv[1], &st);
    print_summary(argv[1], &st);
    return 0;
}
