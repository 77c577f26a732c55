/* t_annotate.c - the annotation API (conviz.h) and thread names; runs unchanged without the
 * tracer (every call is then a no-op). */
#include <pthread.h>
#include <semaphore.h>
#include <sys/prctl.h>

#include "conviz.h"

static pthread_mutex_t q = PTHREAD_MUTEX_INITIALIZER;

static sem_t named_go;

static void *waits(void *arg)
{
    sem_wait(&named_go);
    return arg;
}

static void *named(void *arg)
{
    prctl(PR_SET_NAME, "prctl-named", 0, 0, 0);
    return arg;
}

int main(void)
{
    conviz_name_thread("producer");
    conviz_name_object(&q, "mutex", "my queue");
    pthread_mutex_lock(&q);
    pthread_mutex_unlock(&q);
    conviz_mark("checkpoint \"1\"");
    conviz_begin("outer");
    conviz_begin("inner");
    conviz_end();
    conviz_end();
    conviz_coro_switch(3, "reader");
    conviz_coro_switch(0, 0);
    pthread_t th;
    pthread_create(&th, NULL, named, NULL);
    pthread_join(th, NULL);
    pthread_setname_np(pthread_self(), "pthread-named");
    /* a name given to another thread belongs to that thread */
    sem_init(&named_go, 0, 0);
    pthread_create(&th, NULL, waits, NULL);
    pthread_setname_np(th, "by-main");
    sem_post(&named_go);
    pthread_join(th, NULL);
    return 0;
}
