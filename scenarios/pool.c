/* pool.c - lesson 11: a pool of 3 workers running 10 tasks (Pool(3) and ThreadPoolExecutor).
 *
 *   --with threads  3 worker threads take tasks from a shared queue (task_lock + task_ready)
 *   --with procs    3 worker processes read task numbers from a pipe and write results back
 *                   through another pipe (what multiprocessing.Pool does underneath)
 * Only 3 tasks ever run at once, whatever the number of tasks; a worker that finished a task
 * takes the next one.  Each task is a region "task N" on its worker's lane, and leaves a mark
 * "task N done" (the checker counts each task exactly once).
 */
#include "lesson.h"

#include <getopt.h>
#include <sys/wait.h>

static long opt_workers = 3, opt_tasks = 10, opt_unit_ms = 20;
static int opt_processes = 0;

/* The task itself: task i takes (i % 3 + 1) units, half computing, half waiting. */
static long long_time_task(long task, long worker)
{
    lesson_begin("task %ld", task);
    printf("worker %ld runs task %ld\n", worker, task);
    lesson_compute((task % 3 + 1) * opt_unit_ms / 2);
    lesson_sleep_ms((task % 3 + 1) * opt_unit_ms / 2);
    lesson_mark("task %ld done", task);
    lesson_end();
    return task * task;
}

/* ---- thread pool ----------------------------------------------------------------------- */
static pthread_mutex_t task_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t task_ready = PTHREAD_COND_INITIALIZER;
static long next_task, tasks_submitted, results_sum;
static int pool_closed;

static void *thread_worker(void *arg)
{
    long worker = (long)arg;
    lesson_name_thread("pool-worker-%ld", worker);
    for (;;) {
        pthread_mutex_lock(&task_lock);
        while (next_task == tasks_submitted && !pool_closed)
            pthread_cond_wait(&task_ready, &task_lock);
        if (next_task == tasks_submitted) { /* closed and nothing left */
            pthread_mutex_unlock(&task_lock);
            return NULL;
        }
        long task = next_task++;
        pthread_mutex_unlock(&task_lock);
        long result = long_time_task(task, worker);
        pthread_mutex_lock(&task_lock);
        results_sum += result;
        pthread_mutex_unlock(&task_lock);
    }
}

static int run_thread_pool(void)
{
    pthread_t workers[64];
    for (long w = 0; w < opt_workers; w++)
        pthread_create(&workers[w], NULL, thread_worker, (void *)w);
    for (long i = 0; i < opt_tasks; i++) { /* submit(), like apply_async */
        pthread_mutex_lock(&task_lock);
        tasks_submitted++;
        pthread_cond_signal(&task_ready);
        pthread_mutex_unlock(&task_lock);
    }
    pthread_mutex_lock(&task_lock); /* close(): no more tasks, wake idle workers to leave */
    pool_closed = 1;
    pthread_cond_broadcast(&task_ready);
    pthread_mutex_unlock(&task_lock);
    for (long w = 0; w < opt_workers; w++) /* join() */
        pthread_join(workers[w], NULL);
    return 0;
}

/* ---- process pool ---------------------------------------------------------------------- */
static int run_process_pool(void)
{
    int task_pipe[2], result_pipe[2];
    if (pipe(task_pipe) || pipe(result_pipe)) {
        perror("pipe");
        return 1;
    }
    for (long w = 0; w < opt_workers; w++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            close(task_pipe[1]);
            close(result_pipe[0]);
            lesson_name_thread("pool-worker-%ld", w);
            long task;
            /* 8-byte reads and writes on a pipe are atomic: each task goes to one worker */
            while (read(task_pipe[0], &task, sizeof task) == sizeof task) {
                long result = long_time_task(task, w);
                if (write(result_pipe[1], &result, sizeof result) != sizeof result) _exit(1);
            }
            _exit(0);
        }
    }
    close(task_pipe[0]);
    close(result_pipe[1]);
    for (long task = 0; task < opt_tasks; task++)
        if (write(task_pipe[1], &task, sizeof task) != sizeof task) {
            perror("write(task)");
            return 1;
        }
    close(task_pipe[1]); /* close(): workers see end-of-file when the tasks run out */
    long result;
    while (read(result_pipe[0], &result, sizeof result) == sizeof result)
        results_sum += result;
    while (wait(NULL) > 0) { /* join() */
    }
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scenario-pool [--with threads|procs] [--workers N] [--tasks N] [--unit-ms MS]\n"
            "Lesson 11: a pool of workers (Pool(3)) running more tasks than workers.\n"
            "  --with threads|procs  a thread pool (default) or a process pool\n"
            "  --workers N           pool size (default 3)\n"
            "  --tasks N             tasks submitted (default 10)\n"
            "  --unit-ms MS          task i takes (i %% 3 + 1) units (default 20)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"with", required_argument, 0, 'm'},  {"workers", required_argument, 0, 'n'},
        {"tasks", required_argument, 0, 't'}, {"unit-ms", required_argument, 0, 'u'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "threads") && strcmp(optarg, "procs")) {
                fprintf(stderr, "error: --with is 'threads' or 'procs', not '%s'\n", optarg);
                return 2;
            }
            opt_processes = !strcmp(optarg, "procs");
            break;
        case 'n':
            opt_workers = lesson_parse_long("--workers", optarg, 1, 64);
            break;
        case 't':
            opt_tasks = lesson_parse_long("--tasks", optarg, 0, 100000);
            break;
        case 'u':
            opt_unit_ms = lesson_parse_long("--unit-ms", optarg, 0, 10000);
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
    int rc = opt_processes ? run_process_pool() : run_thread_pool();
    long expected = 0;
    for (long t = 0; t < opt_tasks; t++)
        expected += t * t;
    lesson_mark("tasks=%ld workers=%ld results_sum=%ld expected=%ld", opt_tasks, opt_workers,
                results_sum, expected);
    printf("%ld tasks on %ld workers: sum of results %ld (expected %ld)\n", opt_tasks, opt_workers,
           results_sum, expected);
    return rc || results_sum != expected;
}
