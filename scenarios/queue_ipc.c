/* queue_ipc.c - lesson 17: passing data between processes through a queue.
 *
 * The course's multiprocessing.Queue example: a writer process puts 'A'..'E' into the queue,
 * pausing between items; a reader process gets them as they come.  The queue is a pipe (what
 * multiprocessing.Queue uses underneath); each item is one write() and one read().  The reader
 * is BLOCKED on the pipe until the writer's write wakes it: a wake edge from one process to
 * the other.  --mq uses a POSIX message queue instead.
 */
#include "lesson.h"

#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <sys/wait.h>

static long opt_pause_ms = 60;
static int opt_mq = 0;
static const char items[] = "ABCDE";

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-queue-ipc [--pause-ms MS] [--mq]\n"
                 "Lesson 17: a writer process puts A..E into a queue, a reader process gets them.\n"
                 "  --pause-ms MS  the writer's pause between items (default 60; the course: 500)\n"
                 "  --mq           a POSIX message queue instead of a pipe\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"pause-ms", required_argument, 0, 'p'},
                                            {"mq", no_argument, 0, 'q'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            opt_pause_ms = lesson_parse_long("--pause-ms", optarg, 0, 100000);
            break;
        case 'q':
            opt_mq = 1;
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
    lesson_name_thread("main");
    int queue[2] = {-1, -1};
    mqd_t mq = (mqd_t)-1;
    char mq_name[64];
    if (opt_mq) {
        snprintf(mq_name, sizeof mq_name, "/conviz-lesson-%d", (int)getpid());
        struct mq_attr attr = {.mq_maxmsg = 8, .mq_msgsize = 1};
        mq = mq_open(mq_name, O_CREAT | O_RDWR, 0600, &attr);
        if (mq == (mqd_t)-1) {
            perror("mq_open");
            return 1;
        }
    } else if (pipe(queue) != 0) {
        perror("pipe");
        return 1;
    }

    pid_t writer = fork();
    if (writer == 0) {
        lesson_name_thread("writer");
        if (!opt_mq) close(queue[0]);
        for (const char *item = items; *item; item++) {
            printf("Put %c to queue\n", *item);
            int ok = opt_mq ? mq_send(mq, item, 1, 0) == 0 : write(queue[1], item, 1) == 1;
            if (!ok) _exit(1);
            lesson_sleep_ms(opt_pause_ms);
        }
        _exit(0);
    }
    pid_t reader = fork();
    if (reader == 0) {
        lesson_name_thread("reader");
        if (!opt_mq) close(queue[1]);
        int got = 0;
        for (;;) {
            char item;
            ssize_t n = opt_mq ? mq_receive(mq, &item, 1, NULL) : read(queue[0], &item, 1);
            if (n != 1) break; /* pipe: end of file when the writer is gone */
            printf("Get %c from queue\n", item);
            lesson_mark("got %c", item);
            if (++got == (int)strlen(items)) break;
        }
        lesson_mark("items=%d", got);
        _exit(got == (int)strlen(items) ? 0 : 1);
    }
    if (!opt_mq) {
        close(queue[0]);
        close(queue[1]);
    }
    int status, failed = 0;
    for (int i = 0; i < 2; i++)
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) failed = 1;
    if (opt_mq) {
        mq_close(mq);
        mq_unlink(mq_name);
    }
    printf(failed ? "a process failed\n" : "all 5 items passed through the queue\n");
    return failed;
}
