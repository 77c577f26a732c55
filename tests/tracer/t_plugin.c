/* t_plugin.c - a shared library loaded by t_dlopen after the tracer has listed the modules:
 * its static lock must still be named by its symbol. */
#include <pthread.h>

static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;

int plugin_work(void);
int plugin_work(void)
{
    pthread_mutex_lock(&plugin_lock);
    pthread_mutex_unlock(&plugin_lock);
    return 42;
}
