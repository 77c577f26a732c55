/* t_socket.c - a socketpair: a thread send()s N messages, the main thread poll()s then recv()s
 * each one; IO events say fdkind socket with the socket's inode. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2], nmsg;

static void *sender(void *arg)
{
    for (int i = 0; i < nmsg; i++) {
        if (send(sv[1], "x", 1, 0) != 1) return NULL;
        usleep(1000);
    }
    return arg;
}

int main(int argc, char **argv)
{
    nmsg = argc > 1 ? atoi(argv[1]) : 5;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    pthread_t th;
    pthread_create(&th, NULL, sender, NULL);
    int got = 0;
    char c;
    while (got < nmsg) {
        struct pollfd p = {.fd = sv[0], .events = POLLIN};
        if (poll(&p, 1, 5000) != 1 || recv(sv[0], &c, 1, 0) != 1) return 1;
        got++;
    }
    pthread_join(th, NULL);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
