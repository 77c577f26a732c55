/* handshake.c - lesson 9: Semaphore(0) as a handshake between two threads.
 *
 * As in the course: the semaphore starts at 0, so the consumer's acquire blocks at once; the
 * producer works (sleeps), makes an item and posts; only then does the consumer wake up and
 * use the item.  Four rounds, each with a fresh producer and consumer thread.  The picture
 * shows the consumer BLOCKED on `item_ready` and a wake edge from the producer's post.
 */
#include "lesson.h"

#include <getopt.h>
#include <semaphore.h>

static long opt_rounds = 4, opt_work_ms = 100;
static sem_t item_ready; /* Semaphore(0) */
static int item;

static void *consumer(void *arg)
{
    lesson_name_thread("consumer-%ld", (long)arg);
    printf("---- waiting for the producer ----\n");
    sem_wait(&item_ready); /* value 0: blocks until the producer posts */
    printf("---- consumer done, item %d ----\n", item);
    lesson_mark("consumed item=%d", item);
    return NULL;
}

static void *producer(void *arg)
{
    long round = (long)arg;
    lesson_name_thread("producer-%ld", round);
    lesson_sleep_ms(opt_work_ms);   /* the course: time.sleep(3) */
    item = (int)(round * 37 % 101); /* the course: random.randint(0, 100) */
    printf("producer made item %d\n", item);
    sem_post(&item_ready); /* wakes the consumer */
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-handshake [--rounds N] [--work MS]\n"
                 "Lesson 9: Semaphore(0): the consumer waits until the producer posts.\n"
                 "  --rounds N  producer/consumer pairs, one after another (default 4)\n"
                 "  --work MS   how long the producer works before posting (default 100)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"rounds", required_argument, 0, 'r'},
                                            {"work", required_argument, 0, 'w'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            opt_rounds = lesson_parse_long("--rounds", optarg, 1, 1000);
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
    setvbuf(stdout, NULL, _IOLBF, 0);
    lesson_name_thread("main");
    sem_init(&item_ready, 0, 0);
    for (long round = 0; round < opt_rounds; round++) {
        pthread_t p, q;
        pthread_create(&p, NULL, producer, (void *)round);
        pthread_create(&q, NULL, consumer, (void *)round);
        pthread_join(p, NULL);
        pthread_join(q, NULL);
    }
    printf("done\n");
    sem_destroy(&item_ready);
    return 0;
}
