/* t_dlopen.c - take a heap lock (the tracer lists the loaded modules to name it), then dlopen
 * a library and use its static lock: the new module is found and its symbol names the lock. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: t_dlopen PLUGIN.so\n");
        return 2;
    }
    pthread_mutex_t *heap_lock = malloc(sizeof *heap_lock);
    pthread_mutex_init(heap_lock, NULL);
    pthread_mutex_lock(heap_lock);
    pthread_mutex_unlock(heap_lock);
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "t_dlopen: %s\n", dlerror());
        return 1;
    }
    int (*work)(void) = (int (*)(void))dlsym(h, "plugin_work");
    return work && work() == 42 ? 0 : 1;
}
