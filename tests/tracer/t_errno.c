/* t_errno.c - the tracer never changes errno: failed calls keep the errno of the real call, and
 * successful calls (even the first use of an object, whose declaration reads ELF files and
 * /proc) leave the caller's errno as it was. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures;

#define EXPECT_ERRNO(call, want)                                                                   \
    do {                                                                                           \
        errno = 4321;                                                                              \
        (void)(call);                                                                              \
        if (errno != (want)) {                                                                     \
            fprintf(stderr, "t_errno: %s left errno %d, want %d\n", #call, errno, (want));         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main(void)
{
    sem_t sem;
    int fds[2];
    char c = 'x';
    struct timespec ms = {0, 1000000};
    sem_init(&sem, 0, 0);
    if (pipe(fds) != 0) return 1;

    EXPECT_ERRNO(pthread_mutex_lock(&first_lock), 4321); /* first use: declared here */
    EXPECT_ERRNO(pthread_mutex_unlock(&first_lock), 4321);
    EXPECT_ERRNO(sem_trywait(&sem), EAGAIN);
    EXPECT_ERRNO(sem_post(&sem), 4321);
    EXPECT_ERRNO(sem_wait(&sem), 4321);
    EXPECT_ERRNO(write(fds[1], &c, 1), 4321);
    EXPECT_ERRNO(read(fds[0], &c, 1), 4321);
    EXPECT_ERRNO(read(-1, &c, 1), EBADF);
    EXPECT_ERRNO(write(12345, &c, 1), EBADF);
    EXPECT_ERRNO(nanosleep(&ms, NULL), 4321);
    EXPECT_ERRNO(close(fds[0]), 4321);
    EXPECT_ERRNO(close(fds[0]), EBADF);
    EXPECT_ERRNO(open("/nonexistent/conviz", O_RDONLY), ENOENT);
    return failures ? 1 : 0;
}
