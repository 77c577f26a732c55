/* daemon.c - lesson 12: a daemon thread is cut off when the main thread ends; a joined one
 * finishes its work.
 *
 * As in the course: a worker loops 6 times ("Thread-1: i", sleeping between steps).
 *   --daemon (default)  the main thread does not wait: it returns from main after a short
 *                       while, exit() ends the process, and the worker dies mid-loop.  Its
 *                       lane ends at the process exit, with steps left undone.
 *   --join              the main thread joins the worker (t1.join()): all 6 steps run.
 *   --process           the worker is a daemon *process* (multiprocessing's p.daemon = True):
 *                       when the main program ends it terminates the daemon child (SIGTERM),
 *                       which is cut off mid-work the same way.
 * Each finished step is a mark "step N"; the main marks "main ends".
 */
#include "lesson.h"

#include <getopt.h>
#include <signal.h>
#include <sys/wait.h>

static long opt_steps = 6, opt_step_ms = 60, opt_main_ms = 150;
static int opt_join = 0, opt_process = 0;

static void *loop(void *arg)
{
    const char *name = opt_process ? "Process-1" : "Thread-1";
    lesson_name_thread("%s", name);
    printf("%s start\n", name);
    for (long i = 0; i < opt_steps; i++) {
        lesson_sleep_ms(opt_step_ms);
        printf("%s: %ld\n", name, i);
        lesson_mark("step %ld", i);
    }
    printf("%s stop\n", name);
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-daemon [--daemon|--join] [--process] [--steps N] [--step-ms MS] "
                 "[--main-ms MS]\n"
                 "Lesson 12: a daemon thread dies with the main thread; a joined thread finishes.\n"
                 "  --daemon      the main thread ends without waiting (default)\n"
                 "  --join        the main thread waits for the worker\n"
                 "  --process     a daemon process instead of a thread (terminated at the end)\n"
                 "  --steps N     worker steps (default 6)\n"
                 "  --step-ms MS  one step (default 60)\n"
                 "  --main-ms MS  how long the main thread works before ending (default 150)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"daemon", no_argument, 0, 'd'},        {"join", no_argument, 0, 'j'},
        {"process", no_argument, 0, 'p'},       {"steps", required_argument, 0, 's'},
        {"step-ms", required_argument, 0, 't'}, {"main-ms", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            opt_join = 0;
            break;
        case 'j':
            opt_join = 1;
            break;
        case 'p':
            opt_process = 1;
            break;
        case 's':
            opt_steps = lesson_parse_long("--steps", optarg, 1, 100000);
            break;
        case 't':
            opt_step_ms = lesson_parse_long("--step-ms", optarg, 0, 100000);
            break;
        case 'm':
            opt_main_ms = lesson_parse_long("--main-ms", optarg, 0, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    lesson_name_thread("MainThread");
    printf("MainThread start\n");
    if (opt_process) {
        pid_t child = fork();
        if (child < 0) {
            perror("fork");
            return 1;
        }
        if (child == 0) {
            loop(NULL);
            _exit(0);
        }
        if (opt_join) {
            waitpid(child, NULL, 0); /* p.join() */
        } else {
            lesson_sleep_ms(opt_main_ms);
            kill(child, SIGTERM); /* the end of the main program terminates daemon children */
            waitpid(child, NULL, 0);
        }
        printf("MainThread stop\n");
        lesson_mark("main ends");
        return 0;
    }
    pthread_t t1;
    pthread_create(&t1, NULL, loop, NULL);
    if (opt_join) {
        pthread_join(t1, NULL); /* t1.join(): wait for the worker */
    } else {
        pthread_detach(t1); /* t1.setDaemon(True): nobody waits for it */
        lesson_sleep_ms(opt_main_ms);
    }
    printf("MainThread stop\n");
    lesson_mark("main ends");
    return 0; /* exit(): every other thread of the process ends here, mid-work or not */
}
