/* t_semopen.c - a named semaphore shared by a parent and its fork child: the child posts, the
 * parent waits.  Both processes declare it with its name and the same "shared" key. */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    char name[64];
    snprintf(name, sizeof name, "/cvz-test-%d", (int)getpid());
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (s == SEM_FAILED) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        sem_post(s);
        _exit(0);
    }
    int ok = sem_wait(s) == 0 && waitpid(pid, NULL, 0) == pid;
    sem_close(s);
    sem_unlink(name);
    return ok ? 0 : 1;
}
