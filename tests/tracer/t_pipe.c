/* t_pipe.c - a writer thread sends N messages through a pipe to the main thread; then a regular
 * file is read.  IO events carry fdkind pipe and the same inode on both ends. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static int fds[2], nmsg;

static void *writer(void *arg)
{
    for (int i = 0; i < nmsg; i++) {
        char c = (char)('a' + i % 26);
        if (write(fds[1], &c, 1) != 1)
            return NULL;
        usleep(2000);
    }
    close(fds[1]);
    return arg;
}

int main(int argc, char **argv)
{
    nmsg = argc > 1 ? atoi(argv[1]) : 5;
    if (pipe(fds) != 0)
        return 1;
    pthread_t th;
    pthread_create(&th, NULL, writer, NULL);
    char c;
    int got = 0;
    while (read(fds[0], &c, 1) == 1)
        got++;
    pthread_join(th, NULL);
    close(fds[0]);
    int fd = open("/proc/self/exe", O_RDONLY);
    char buf[64];
    if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
        return 1;
    close(fd);
    return got == nmsg ? 0 : 1;
}
