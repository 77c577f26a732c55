/* io_models.c - lesson 14: three I/O models for three tasks that each wait for I/O.
 *
 * The course's figure: three tasks, each computes, waits for an I/O answer (the grey box),
 * then computes again.  The I/O here is a timer file descriptor (timerfd) that becomes
 * readable after --io-ms, like a disk or a server answering; read() on it blocks.
 *   --model sequential  one thread does task 0, then 1, then 2: the waits add up
 *   --model threads     one thread per task: the three waits overlap
 *   --model eventloop   one thread starts all three requests, then sleeps in poll() until any
 *                       answer is ready and runs that task's next step (a callback): the waits
 *                       overlap although there is a single thread, blocked only in poll()
 */
#include "lesson.h"

#include <getopt.h>
#include <poll.h>
#include <sys/timerfd.h>

#define TASKS 3
static enum { SEQUENTIAL, THREADS, EVENTLOOP } opt_model = SEQUENTIAL;
static long opt_io_ms = 100, opt_work_ms = 5;
static const char *const model_names[] = {"sequential", "threads", "eventloop"};

/* Start an I/O request: a timerfd that becomes readable after `ms`. */
static int start_request(long ms)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec when = {.it_value = {ms / 1000, (ms % 1000) * 1000000L}};
    if (fd < 0 || timerfd_settime(fd, 0, &when, NULL) != 0) {
        perror("timerfd");
        exit(1);
    }
    return fd;
}

/* Collect the answer: blocks in read() until the timer fired. */
static void finish_request(int fd)
{
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) != sizeof expirations) perror("read(timerfd)");
    close(fd);
}

static void run_task_blocking(long task)
{
    lesson_begin("task %ld", task);
    lesson_compute(opt_work_ms);              /* prepare the request */
    finish_request(start_request(opt_io_ms)); /* wait for the answer: BLOCKED io */
    lesson_compute(opt_work_ms);              /* use the answer */
    lesson_mark("task %ld done", task);
    lesson_end();
}

static void *task_thread(void *arg)
{
    lesson_name_thread("task-%ld", (long)arg);
    run_task_blocking((long)arg);
    return NULL;
}

static void run_event_loop(void)
{
    struct pollfd fds[TASKS];
    for (long task = 0; task < TASKS; task++) { /* start every request, wait for none */
        lesson_compute(opt_work_ms);
        fds[task].fd = start_request(opt_io_ms);
        fds[task].events = POLLIN;
        lesson_mark("task %ld request sent", task);
    }
    int pending = TASKS;
    while (pending > 0) {
        if (poll(fds, TASKS, -1) < 0) { /* the only place this thread blocks */
            perror("poll");
            exit(1);
        }
        for (long task = 0; task < TASKS; task++) {
            if (fds[task].fd >= 0 && (fds[task].revents & POLLIN)) {
                finish_request(fds[task].fd); /* readable: does not block */
                fds[task].fd = -1;            /* poll ignores negative fds */
                lesson_compute(opt_work_ms);  /* the callback: use the answer */
                lesson_mark("task %ld done", task);
                pending--;
            }
        }
    }
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-io-models [--model sequential|threads|eventloop] [--io-ms MS]\n"
                 "                          [--work MS]\n"
                 "Lesson 14: three I/O-waiting tasks, run sequentially, with threads, or with\n"
                 "an event loop in a single thread.\n"
                 "  --model M   sequential (default), threads or eventloop\n"
                 "  --io-ms MS  how long each I/O takes (default 100)\n"
                 "  --work MS   CPU work before and after each I/O (default 5)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"model", required_argument, 0, 'm'},
                                            {"io-ms", required_argument, 0, 'i'},
                                            {"work", required_argument, 0, 'w'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (!strcmp(optarg, "sequential"))
                opt_model = SEQUENTIAL;
            else if (!strcmp(optarg, "threads"))
                opt_model = THREADS;
            else if (!strcmp(optarg, "eventloop"))
                opt_model = EVENTLOOP;
            else {
                fprintf(stderr, "error: --model is sequential, threads or eventloop, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'i':
            opt_io_ms = lesson_parse_long("--io-ms", optarg, 1, 100000);
            break;
        case 'w':
            opt_work_ms = lesson_parse_long("--work", optarg, 0, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    lesson_settle();
    double start = lesson_now_ms();
    if (opt_model == THREADS) {
        lesson_name_thread("main");
        pthread_t threads[TASKS];
        for (long task = 0; task < TASKS; task++)
            pthread_create(&threads[task], NULL, task_thread, (void *)task);
        for (long task = 0; task < TASKS; task++)
            pthread_join(threads[task], NULL);
    } else if (opt_model == SEQUENTIAL) {
        lesson_name_thread("sequential");
        for (long task = 0; task < TASKS; task++)
            run_task_blocking(task);
    } else {
        lesson_name_thread("event-loop");
        run_event_loop();
    }
    printf("%s: %d tasks with %ld ms of I/O each took %.0f ms\n", model_names[opt_model], TASKS,
           opt_io_ms, lesson_now_ms() - start);
    return 0;
}
