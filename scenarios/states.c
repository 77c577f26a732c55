/* states.c - lesson 1: the three process states, RUNNING, READY and BLOCKED.
 *
 * Like the course's first example (compute, `input('>>>')`, `time.sleep(1)`), each process:
 *   1. computes               -> RUNNING (or READY while another process has the CPU)
 *   2. waits for a line on stdin -> BLOCKED, reason "io" (a pipe or the terminal)
 *   3. computes again
 *   4. sleeps                 -> BLOCKED, reason "sleep"
 *   5. computes and exits.
 * With 3 processes on a 2-CPU machine, at most 2 can run at once: the third is READY.
 *
 * By default a "keyboard" process types one line per process into a pipe after a short pause,
 * so the lesson runs unattended; `--stdin` reads the real stdin instead (type a line per
 * process and press Enter).
 */
#include "lesson.h"

#include <getopt.h>
#include <sys/wait.h>

static long opt_procs = 3;
static long opt_work_ms = 60; /* units of lesson_compute per phase */
static long opt_sleep_ms = 150;
static long opt_typing_ms = 120; /* the keyboard's pause before each line */
static int opt_real_stdin = 0;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scenario-states [--procs N] [--work MS] [--sleep MS] [--typing MS] [--stdin]\n"
            "Lesson 1: each process computes (RUNNING), waits for a line on stdin (BLOCKED io),\n"
            "computes, sleeps (BLOCKED sleep), computes.  More processes than CPUs -> READY.\n"
            "  --procs N    processes (default 3; 1 shows only RUNNING/BLOCKED)\n"
            "  --work MS    CPU work per phase, ~ms on an idle core (default 60)\n"
            "  --sleep MS   the sleep phase (default 150)\n"
            "  --typing MS  pause of the built-in keyboard before each line (default 120)\n"
            "  --stdin      read the lines from the real stdin instead of the built-in keyboard\n");
}

static void one_process(int index)
{
    char line[64];
    lesson_name_thread("proc-%d", index);
    lesson_compute(opt_work_ms); /* RUNNING (READY when the CPUs are busy) */

    /* BLOCKED on stdin: read one line (byte by byte, so each process takes only its own). */
    size_t len = 0;
    while (len + 1 < sizeof line) {
        ssize_t n = read(STDIN_FILENO, line + len, 1);
        if (n <= 0 || line[len] == '\n') break;
        len++;
    }
    line[len] = '\0';
    printf("proc-%d read '%s'\n", index, line);
    fflush(stdout);

    lesson_compute(opt_work_ms);   /* RUNNING again */
    lesson_sleep_ms(opt_sleep_ms); /* BLOCKED: sleeping */
    lesson_compute(opt_work_ms / 2);
    lesson_mark("proc-%d done", index);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"procs", required_argument, 0, 'p'},
                                            {"work", required_argument, 0, 'w'},
                                            {"sleep", required_argument, 0, 's'},
                                            {"typing", required_argument, 0, 't'},
                                            {"stdin", no_argument, 0, 'i'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            opt_procs = lesson_parse_long("--procs", optarg, 1, 64);
            break;
        case 'w':
            opt_work_ms = lesson_parse_long("--work", optarg, 0, 100000);
            break;
        case 's':
            opt_sleep_ms = lesson_parse_long("--sleep", optarg, 0, 100000);
            break;
        case 't':
            opt_typing_ms = lesson_parse_long("--typing", optarg, 0, 100000);
            break;
        case 'i':
            opt_real_stdin = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }

    int keyboard[2];
    pid_t typist = -1;
    if (!opt_real_stdin) {
        /* The keyboard: a process that types one line per process into a pipe, which becomes
         * everybody's stdin. */
        if (pipe(keyboard) != 0) {
            perror("pipe");
            return 1;
        }
        typist = fork();
        if (typist == 0) {
            close(keyboard[0]);
            lesson_name_thread("keyboard");
            for (long i = 0; i < opt_procs; i++) {
                lesson_sleep_ms(opt_typing_ms);
                if (write(keyboard[1], "hello\n", 6) != 6) _exit(1);
            }
            _exit(0);
        }
        dup2(keyboard[0], STDIN_FILENO);
        close(keyboard[0]);
        close(keyboard[1]);
    }

    lesson_name_thread("main");
    for (long i = 0; i < opt_procs; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            one_process((int)i);
            fflush(stdout);
            _exit(0);
        }
    }
    int failed = 0, status;
    pid_t pid;
    while ((pid = wait(&status)) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    lesson_mark("processes=%ld failed=%d", opt_procs, failed);
    printf("%ld processes finished, %d failed\n", opt_procs, failed);
    return failed ? 1 : 0;
}
