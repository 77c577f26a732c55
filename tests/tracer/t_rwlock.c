/* t_rwlock.c - readers share table_lock, writers hold it alone. */
#include <pthread.h>
#include <unistd.h>

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static int table[16];

static void *reader(void *arg)
{
    long sum = 0;
    for (int r = 0; r < 50; r++) {
        pthread_rwlock_rdlock(&table_lock);
        for (int i = 0; i < 16; i++)
            sum += table[i];
        usleep(100);
        pthread_rwlock_unlock(&table_lock);
    }
    return (void *)sum;
}

static void *writer(void *arg)
{
    for (int r = 0; r < 20; r++) {
        pthread_rwlock_wrlock(&table_lock);
        table[r % 16]++;
        pthread_rwlock_unlock(&table_lock);
        usleep(200);
    }
    return arg;
}

int main(void)
{
    pthread_t th[4];
    pthread_create(&th[0], NULL, reader, NULL);
    pthread_create(&th[1], NULL, reader, NULL);
    pthread_create(&th[2], NULL, writer, NULL);
    pthread_create(&th[3], NULL, reader, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    return 0;
}
