/* t_recursive.c - a recursive mutex taken three deep: depths 1,2,3 then 2,1,0. */
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t rec_lock;

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec_lock, &attr);
    pthread_mutex_lock(&rec_lock);
    pthread_mutex_lock(&rec_lock);
    if (pthread_mutex_trylock(&rec_lock) != 0) return 1;
    usleep(1000);
    pthread_mutex_unlock(&rec_lock);
    pthread_mutex_unlock(&rec_lock);
    pthread_mutex_unlock(&rec_lock);
    return 0;
}
