/* t_prodcons.c - one producer, one consumer, a bounded queue with two condvars. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 4
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int queue[CAP], head, count, items;

static void *producer(void *arg)
{
    for (int i = 1; i <= items; i++) {
        pthread_mutex_lock(&queue_lock);
        while (count == CAP)
            pthread_cond_wait(&not_full, &queue_lock);
        queue[(head + count++) % CAP] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&queue_lock);
    }
    return arg;
}

int main(int argc, char **argv)
{
    items = argc > 1 ? atoi(argv[1]) : 200;
    pthread_t th;
    pthread_create(&th, NULL, producer, NULL);
    long sum = 0;
    for (int i = 1; i <= items; i++) {
        pthread_mutex_lock(&queue_lock);
        while (count == 0)
            pthread_cond_wait(&not_empty, &queue_lock);
        sum += queue[head];
        head = (head + 1) % CAP;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&queue_lock);
    }
    pthread_join(th, NULL);
    return sum == (long)items * (items + 1) / 2 ? 0 : 1;
}
