/* bank.c - lesson 16: synchronous/asynchronous x blocking/non-blocking, the course's bank story.
 *
 * A customer (the main thread) needs the teller (another thread) to serve them; the teller
 * takes --serve-ms.  Four ways to wait, each a region on the customer's lane:
 *   sync-blocking      stand in the queue and do nothing: a blocking read() on a pipe until
 *                      the teller answers (BLOCKED io the whole time)
 *   sync-nonblocking   stand in the queue playing on the phone, looking up now and then:
 *                      a non-blocking read() that returns EAGAIN, some work, try again
 *   async-blocking     take a number and just sit there: the teller will call the number (a
 *                      callback that posts `number_called`), the customer blocks in sem_wait
 *   async-nonblocking  take a number and read a book: the callback runs on the teller's side,
 *                      the customer keeps working and only notices the flag between pages
 * --mode all (default) runs the four one after another.
 */
#include "lesson.h"

#include <fcntl.h>
#include <getopt.h>
#include <semaphore.h>
#include <stdatomic.h>

static long opt_serve_ms = 120, opt_look_ms = 20;
static int counter_pipe[2];    /* the teller writes "served" here (synchronous variants) */
static sem_t number_called;    /* the callback posts it (async-blocking) */
static atomic_int served_flag; /* the callback sets it (async-nonblocking) */
static void (*callback)(void); /* registered by the customer, called by the teller */
static pthread_mutex_t desk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t customer_arrived = PTHREAD_COND_INITIALIZER;
static int customers_waiting = 0, closing = 0;

static void *teller(void *arg)
{
    lesson_name_thread("teller");
    for (;;) {
        pthread_mutex_lock(&desk_lock);
        while (customers_waiting == 0 && !closing)
            pthread_cond_wait(&customer_arrived, &desk_lock);
        if (customers_waiting == 0) {
            pthread_mutex_unlock(&desk_lock);
            return NULL;
        }
        customers_waiting--;
        void (*call)(void) = callback;
        pthread_mutex_unlock(&desk_lock);
        lesson_begin("serving");
        lesson_sleep_ms(opt_serve_ms); /* the teller's work */
        lesson_end();
        if (call)
            call(); /* asynchronous: "the bank calls your number" */
        else if (write(counter_pipe[1], "x", 1) != 1) /* synchronous: the answer itself */
            perror("write");
    }
}

static void arrive(void (*call)(void))
{
    pthread_mutex_lock(&desk_lock);
    callback = call;
    customers_waiting++;
    pthread_cond_signal(&customer_arrived);
    pthread_mutex_unlock(&desk_lock);
}

static void call_number_blocking(void)
{
    sem_post(&number_called);
}
static void call_number_flag(void)
{
    atomic_store(&served_flag, 1);
}

static void sync_blocking(void)
{
    char answer;
    arrive(NULL);
    if (read(counter_pipe[0], &answer, 1) != 1) /* blocks until served */
        perror("read");
}

static void sync_nonblocking(void)
{
    char answer;
    int flags = fcntl(counter_pipe[0], F_GETFL);
    fcntl(counter_pipe[0], F_SETFL, flags | O_NONBLOCK);
    arrive(NULL);
    int looks = 0;
    while (read(counter_pipe[0], &answer, 1) != 1) { /* EAGAIN: not yet */
        looks++;
        lesson_compute(opt_look_ms); /* play on the phone, then look up again */
    }
    fcntl(counter_pipe[0], F_SETFL, flags);
    lesson_mark("looked up %d times", looks);
}

static void async_blocking(void)
{
    arrive(call_number_blocking);
    sem_wait(&number_called); /* wait for the call, doing nothing else */
}

static void async_nonblocking(void)
{
    atomic_store(&served_flag, 0);
    arrive(call_number_flag);
    int pages = 0;
    while (!atomic_load(&served_flag)) {
        lesson_compute(opt_look_ms); /* read a page of the book */
        pages++;
    }
    lesson_mark("read %d pages", pages);
}

static const struct {
    const char *name;
    void (*run)(void);
} variants[] = {{"sync-blocking", sync_blocking},
                {"sync-nonblocking", sync_nonblocking},
                {"async-blocking", async_blocking},
                {"async-nonblocking", async_nonblocking}};

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-bank [--mode all|sync-blocking|sync-nonblocking|async-blocking|\n"
                 "                     async-nonblocking] [--serve-ms MS] [--look-ms MS]\n"
                 "Lesson 16: four ways for a customer to wait for a bank teller.\n"
                 "  --mode M       one variant, or all four one after another (default all)\n"
                 "  --serve-ms MS  the teller's time per customer (default 120)\n"
                 "  --look-ms MS   work between two looks at the counter (default 20)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"mode", required_argument, 0, 'm'},
                                            {"serve-ms", required_argument, 0, 's'},
                                            {"look-ms", required_argument, 0, 'l'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    const char *mode = "all";
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            mode = optarg;
            break;
        case 's':
            opt_serve_ms = lesson_parse_long("--serve-ms", optarg, 1, 100000);
            break;
        case 'l':
            opt_look_ms = lesson_parse_long("--look-ms", optarg, 1, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    int known = !strcmp(mode, "all");
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        known |= !strcmp(mode, variants[i].name);
    if (!known) {
        fprintf(stderr, "error: unknown --mode '%s' (see --help)\n", mode);
        return 2;
    }
    lesson_name_thread("customer");
    if (pipe(counter_pipe) != 0) {
        perror("pipe");
        return 1;
    }
    sem_init(&number_called, 0, 0);
    pthread_t teller_thread;
    pthread_create(&teller_thread, NULL, teller, NULL);
    lesson_sleep_ms(20); /* walking into the bank */
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        if (strcmp(mode, "all") && strcmp(mode, variants[i].name)) continue;
        double start = lesson_now_ms();
        lesson_begin("%s", variants[i].name);
        variants[i].run();
        lesson_mark("%s served", variants[i].name);
        lesson_end();
        printf("%-18s served after %.0f ms\n", variants[i].name, lesson_now_ms() - start);
        lesson_sleep_ms(30); /* a gap between the variants in the picture */
    }
    pthread_mutex_lock(&desk_lock);
    closing = 1;
    pthread_cond_signal(&customer_arrived);
    pthread_mutex_unlock(&desk_lock);
    pthread_join(teller_thread, NULL);
    return 0;
}
