/* prodcons.c - lesson 10: producer/consumer with a bounded queue (a mutex and two condvars).
 *
 * Producers put numbered items into a queue of --capacity slots; consumers take them out.
 *   - a producer finding the queue full waits on `not_full` (BLOCKED, condvar)
 *   - a consumer finding it empty waits on `not_empty`
 *   - every put signals `not_empty`, every get signals `not_full`: the wake edges.
 * To show both waits in one run, the first half of the items is produced fast and consumed
 * slowly (the queue fills up: producers wait), the second half the other way round (the
 * queue runs dry: consumers wait).  Every item is consumed exactly once; the sum is checked.
 */
#include "lesson.h"

#include <getopt.h>

static long opt_producers = 2, opt_consumers = 2, opt_items = 24, opt_capacity = 4;
static long opt_slow_ms = 15;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long queue[256];
static long queue_head, queue_len;
static long items_consumed, sum_consumed;

static void put(long item)
{
    pthread_mutex_lock(&queue_lock);
    while (queue_len == opt_capacity)
        pthread_cond_wait(&not_full, &queue_lock); /* full: wait for a consumer */
    queue[(queue_head + queue_len) % opt_capacity] = item;
    queue_len++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&queue_lock);
}

static long get(void)
{
    pthread_mutex_lock(&queue_lock);
    while (queue_len == 0)
        pthread_cond_wait(&not_empty, &queue_lock); /* empty: wait for a producer */
    long item = queue[queue_head];
    queue_head = (queue_head + 1) % opt_capacity;
    queue_len--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&queue_lock);
    return item;
}

/* Items 1..items are split between producers; item < items/2 is the "fast producer" half. */
static void *producer(void *arg)
{
    long index = (long)arg;
    lesson_name_thread("producer-%ld", index);
    for (long item = index + 1; item <= opt_items; item += opt_producers) {
        if (item > opt_items / 2)
            lesson_sleep_ms(opt_slow_ms); /* second half: slow producers, the queue runs dry */
        put(item);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long index = (long)arg;
    lesson_name_thread("consumer-%ld", index);
    for (long n = 0; n < opt_items / opt_consumers + (index < opt_items % opt_consumers); n++) {
        long item = get();
        if (item <= opt_items / 2)
            lesson_sleep_ms(opt_slow_ms); /* first half: slow consumers, the queue fills up */
        pthread_mutex_lock(&queue_lock);
        items_consumed++;
        sum_consumed += item;
        pthread_mutex_unlock(&queue_lock);
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-prodcons [--producers N] [--consumers N] [--items N]\n"
                 "                         [--capacity N] [--slow-ms MS]\n"
                 "Lesson 10: a bounded queue with a mutex and two condition variables.\n"
                 "  --producers N  (default 2)   --consumers N  (default 2)\n"
                 "  --items N      items in all (default 24)\n"
                 "  --capacity N   queue slots (default 4, at most 256)\n"
                 "  --slow-ms MS   the slow side's pause per item (default 15)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"producers", required_argument, 0, 'p'},
                                            {"consumers", required_argument, 0, 'c'},
                                            {"items", required_argument, 0, 'n'},
                                            {"capacity", required_argument, 0, 'q'},
                                            {"slow-ms", required_argument, 0, 's'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            opt_producers = lesson_parse_long("--producers", optarg, 1, 64);
            break;
        case 'c':
            opt_consumers = lesson_parse_long("--consumers", optarg, 1, 64);
            break;
        case 'n':
            opt_items = lesson_parse_long("--items", optarg, 1, 1000000);
            break;
        case 'q':
            opt_capacity = lesson_parse_long("--capacity", optarg, 1, 256);
            break;
        case 's':
            opt_slow_ms = lesson_parse_long("--slow-ms", optarg, 0, 10000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    lesson_name_thread("main");
    pthread_t threads[128];
    int n = 0;
    for (long i = 0; i < opt_consumers; i++)
        pthread_create(&threads[n++], NULL, consumer, (void *)i);
    for (long i = 0; i < opt_producers; i++)
        pthread_create(&threads[n++], NULL, producer, (void *)i);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    long expected_sum = opt_items * (opt_items + 1) / 2;
    lesson_mark("consumed=%ld expected=%ld sum=%ld expected_sum=%ld", items_consumed, opt_items,
                sum_consumed, expected_sum);
    printf("%ld items consumed (sum %ld, expected %ld)\n", items_consumed, sum_consumed,
           expected_sum);
    return items_consumed == opt_items && sum_consumed == expected_sum ? 0 : 1;
}
