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
 * By default a "keyboard" process plays the user, so the lesson runs unattended: each process
 * gets its own stdin (a pipe); when a process shows its prompt (">>>", sent to the keyboard),
 * the keyboard "types" for --typing ms and sends "hello".  `--stdin` reads the real stdin
 * instead (type a line per process and press Enter).
 */
#include "lesson.h"

#include <getopt.h>
#include <sys/wait.h>

static long opt_procs = 3;
static long opt_work_ms = 30; /* units of lesson_compute per phase */
static int prompt_fd = -1;    /* where a process shows its prompt to the keyboard */
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
            "  --work MS    CPU work per phase, ~ms on an idle core (default 30)\n"
            "  --sleep MS   the sleep phase (default 150)\n"
            "  --typing MS  how long the built-in keyboard types each line (default 120)\n"
            "  --stdin      read the lines from the real stdin instead of the built-in keyboard\n");
}

static void one_process(int index)
{
    char line[64];
    lesson_name_thread("proc-%d", index);
    lesson_compute(opt_work_ms); /* RUNNING (READY when the CPUs are busy) */

    /* input('>>>'): show the prompt, then BLOCKED on stdin until a line arrives */
    char me = (char)index;
    if (prompt_fd >= 0 && write(prompt_fd, &me, 1) != 1) perror("write(prompt)");
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

    /* The keyboard: one stdin pipe per process, and a prompt pipe it watches. */
    int stdin_pipe[64][2], prompt_pipe[2];
    if (!opt_real_stdin) {
        if (pipe(prompt_pipe) != 0) {
            perror("pipe");
            return 1;
        }
        for (long i = 0; i < opt_procs; i++)
            if (pipe(stdin_pipe[i]) != 0) {
                perror("pipe");
                return 1;
            }
        pid_t typist = fork();
        if (typist == 0) {
            lesson_name_thread("keyboard");
            close(prompt_pipe[1]);
            char who;
            /* for each prompt: type for a while (BLOCKED sleep), then send the line */
            for (long i = 0; i < opt_procs && read(prompt_pipe[0], &who, 1) == 1; i++) {
                lesson_sleep_ms(opt_typing_ms);
                if (who < 0 || who >= opt_procs ||
                    write(stdin_pipe[(int)who][1], "hello\n", 6) != 6)
                    _exit(1);
            }
            _exit(0);
        }
        close(prompt_pipe[0]);
        prompt_fd = prompt_pipe[1];
    }

    lesson_name_thread("main");
    for (long i = 0; i < opt_procs; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            if (!opt_real_stdin) { /* this process's stdin is its own pipe from the keyboard */
                dup2(stdin_pipe[i][0], STDIN_FILENO);
                for (long j = 0; j < opt_procs; j++)
                    close(stdin_pipe[j][0]), close(stdin_pipe[j][1]);
            }
            one_process((int)i);
            fflush(stdout);
            _exit(0);
        }
    }
    if (!opt_real_stdin) {
        close(prompt_fd);
        for (long j = 0; j < opt_procs; j++)
            close(stdin_pipe[j][0]), close(stdin_pipe[j][1]);
    }
    int failed = 0, status;
    pid_t pid;
    while ((pid = wait(&status)) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    lesson_mark("processes=%ld failed=%d", opt_procs, failed);
    printf("%ld processes finished, %d failed\n", opt_procs, failed);
    return failed ? 1 : 0;
}
