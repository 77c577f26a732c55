/* t_pipe.c - a writer thread sends N messages through a pipe to the main thread; then a regular
 * file is read.  IO events carry fdkind pipe and the same inode on both ends. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static int fds[2], nmsg;
/* Lengths and flags the compiler cannot see: with _FORTIFY_SOURCE they make read() and open()
 * the checking variants (__read_chk, __open_2), as in Debian's own binaries. */
static volatile size_t one = 1;
static volatile int rdonly = O_RDONLY;

static void *writer(void *arg)
{
    for (int i = 0; i < nmsg; i++) {
        char c = (char)('a' + i % 26);
        if (write(fds[1], &c, 1) != 1) return NULL;
        usleep(2000);
    }
    close(fds[1]);
    return arg;
}

int main(int argc, char **argv)
{
    nmsg = argc > 1 ? atoi(argv[1]) : 5;
    if (pipe(fds) != 0) return 1;
    pthread_t th;
    pthread_create(&th, NULL, writer, NULL);
    char c[4];
    int got = 0;
    while (read(fds[0], c, one) == 1)
        got++;
    pthread_join(th, NULL);
    close(fds[0]);
    int fd = open("/proc/self/exe", rdonly);
    char buf[64];
    if (fd < 0 || read(fd, buf, one * sizeof buf) <= 0) return 1;
    close(fd);
    return got == nmsg ? 0 : 1;
}
