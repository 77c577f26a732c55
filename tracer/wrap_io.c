/* wrap_io.c - IO calls that may block (block.begin/end with reason "io", the fd, what it is and
 * its inode), and the fd-kind cache they use.
 *
 * DESIGN: the kind of an fd (pipe, socket, file, tty) and the inode of a pipe or socket (which
 * links a write to the read it wakes) cost an fstat, so they are cached per fd number.  The
 * cache is invalidated by the calls that close or create fds: close, dup2/dup3 (the target),
 * and every wrapped creator (pipe, socket, accept, open, eventfd, ...) forgets the fds it
 * returns.  Fds closed behind our back (fclose closes without the PLT) can leave a stale
 * entry until that number is handed out by a wrapped creator again.  Fds >= FD_CACHE are not
 * cached.
 */
#undef _FORTIFY_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "wrap_common.h"

/* The tracer's own fds are all below this (cvz_high_fd puts them at 700 and up, and the
 * ownership bitmap in core.c stops at 65536). */
#define OWN_FD_SCAN 65536

/* ==== fd kinds ================================================================================ */

#define FD_CACHE 4096
static uint8_t fd_kind1[FD_CACHE]; /* kind + 1; 0 = not known */
static uint64_t fd_inode[FD_CACHE];

static int stat_kind(int fd, uint64_t *inode)
{
    struct stat st;
    *inode = 0;
    if (fd < 0 || fstat(fd, &st) != 0) return CVZ_FD_NONE;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) *inode = (uint64_t)st.st_ino;
    if (S_ISFIFO(st.st_mode)) return CVZ_FD_PIPE;
    if (S_ISSOCK(st.st_mode)) return CVZ_FD_SOCKET;
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return CVZ_FD_FILE;
    if (S_ISCHR(st.st_mode)) {
        unsigned maj = major(st.st_rdev); /* 4: tty/ttyS, 5: tty/console/ptmx, 136-143: pts */
        if (maj == 4 || maj == 5 || (maj >= 136 && maj <= 143)) return CVZ_FD_TTY;
    }
    return CVZ_FD_OTHER;
}

int cvz_w_fd_kind(int fd, uint64_t *inode)
{
    if (fd < 0 || fd >= FD_CACHE) return stat_kind(fd, inode);
    uint8_t k = __atomic_load_n(&fd_kind1[fd], __ATOMIC_ACQUIRE);
    if (cvz_likely(k != 0)) {
        *inode = fd_inode[fd];
        return k - 1;
    }
    int kind = stat_kind(fd, inode);
    if (kind == CVZ_FD_NONE) return kind; /* not open (EBADF): do not remember */
    fd_inode[fd] = *inode;
    __atomic_store_n(&fd_kind1[fd], (uint8_t)(kind + 1), __ATOMIC_RELEASE);
    return kind;
}

void cvz_w_fd_forget(int fd)
{
    if (fd >= 0 && fd < FD_CACHE) __atomic_store_n(&fd_kind1[fd], 0, __ATOMIC_RELEASE);
}

/* ==== blocking IO ==============================================================================
 */

/* The one IO pattern: block.begin with the fd, the real call, block.end with its result. */
#define CVZ_IO(type, fn, fd, call)                                                                 \
    do {                                                                                           \
        if (!cvz_w_on()) return (call);                                                            \
        struct cvz_w_block blk_;                                                                   \
        cvz_w_io_begin(&blk_, CVZ_FN_##fn, (fd));                                                  \
        type ret_ = (call);                                                                        \
        cvz_w_block_end(&blk_, 0, (int64_t)ret_, 0);                                               \
        return ret_;                                                                               \
    } while (0)

ssize_t read(int fd, void *buf, size_t n)
{
    CVZ_IO(ssize_t, read, fd, REAL(read)(fd, buf, n));
}
ssize_t write(int fd, const void *buf, size_t n)
{
    CVZ_IO(ssize_t, write, fd, REAL(write)(fd, buf, n));
}
ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    CVZ_IO(ssize_t, readv, fd, REAL(readv)(fd, iov, cnt));
}
ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    CVZ_IO(ssize_t, writev, fd, REAL(writev)(fd, iov, cnt));
}
ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    CVZ_IO(ssize_t, pread, fd, REAL(pread)(fd, buf, n, off));
}
ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
    CVZ_IO(ssize_t, pread, fd, REAL(pread64)(fd, buf, n, off));
}
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    CVZ_IO(ssize_t, pwrite, fd, REAL(pwrite)(fd, buf, n, off));
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    CVZ_IO(ssize_t, pwrite, fd, REAL(pwrite64)(fd, buf, n, off));
}
ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    CVZ_IO(ssize_t, recv, fd, REAL(recv)(fd, buf, n, flags));
}
ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr, socklen_t *alen)
{
    CVZ_IO(ssize_t, recvfrom, fd, REAL(recvfrom)(fd, buf, n, flags, addr, alen));
}
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    CVZ_IO(ssize_t, recvmsg, fd, REAL(recvmsg)(fd, msg, flags));
}
ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    CVZ_IO(ssize_t, send, fd, REAL(send)(fd, buf, n, flags));
}
ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
               socklen_t alen)
{
    CVZ_IO(ssize_t, sendto, fd, REAL(sendto)(fd, buf, n, flags, addr, alen));
}
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    CVZ_IO(ssize_t, sendmsg, fd, REAL(sendmsg)(fd, msg, flags));
}
int connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
    CVZ_IO(int, connect, fd, REAL(connect)(fd, addr, alen));
}
int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    CVZ_IO(int, poll, nfds == 1 ? fds[0].fd : -1, REAL(poll)(fds, nfds, timeout));
}
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo, const sigset_t *mask)
{
    CVZ_IO(int, ppoll, nfds == 1 ? fds[0].fd : -1, REAL(ppoll)(fds, nfds, tmo, mask));
}
int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tmo)
{
    CVZ_IO(int, select, -1, REAL(select)(nfds, r, w, e, tmo));
}
int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *tmo,
            const sigset_t *mask)
{
    CVZ_IO(int, pselect, -1, REAL(pselect)(nfds, r, w, e, tmo, mask));
}
int epoll_wait(int epfd, struct epoll_event *ev, int max, int tmo)
{
    CVZ_IO(int, epoll_wait, epfd, REAL(epoll_wait)(epfd, ev, max, tmo));
}
int epoll_pwait(int epfd, struct epoll_event *ev, int max, int tmo, const sigset_t *mask)
{
    CVZ_IO(int, epoll_pwait, epfd, REAL(epoll_pwait)(epfd, ev, max, tmo, mask));
}
ssize_t mq_receive(mqd_t q, char *buf, size_t n, unsigned int *prio)
{
    CVZ_IO(ssize_t, mq_receive, q, REAL(mq_receive)(q, buf, n, prio));
}
int mq_send(mqd_t q, const char *buf, size_t n, unsigned int prio)
{
    CVZ_IO(int, mq_send, q, REAL(mq_send)(q, buf, n, prio));
}

/* _FORTIFY_SOURCE builds (every Debian package) call these instead of read, recv, poll, open. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    CVZ_IO(ssize_t, read, fd, REAL(__read_chk)(fd, buf, n, buflen));
}
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
    CVZ_IO(ssize_t, pread, fd, REAL(__pread_chk)(fd, buf, n, off, buflen));
}
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
    CVZ_IO(ssize_t, pread, fd, REAL(__pread64_chk)(fd, buf, n, off, buflen));
}
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    CVZ_IO(ssize_t, recv, fd, REAL(__recv_chk)(fd, buf, n, buflen, flags));
}
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
                       socklen_t *alen)
{
    CVZ_IO(ssize_t, recvfrom, fd, REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, addr, alen));
}
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
    CVZ_IO(int, poll, nfds == 1 ? fds[0].fd : -1, REAL(__poll_chk)(fds, nfds, timeout, fdslen));
}
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo, const sigset_t *mask,
                size_t fdslen)
{
    CVZ_IO(int, ppoll, nfds == 1 ? fds[0].fd : -1, REAL(__ppoll_chk)(fds, nfds, tmo, mask, fdslen));
}

/* accept blocks on the listening fd and creates a new one. */
static int accepted(int fd)
{
    cvz_w_fd_forget(fd);
    return fd;
}
int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
    CVZ_IO(int, accept, fd, accepted(REAL(accept)(fd, addr, alen)));
}
int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
    CVZ_IO(int, accept4, fd, accepted(REAL(accept4)(fd, addr, alen, flags)));
}

/* ==== calls that close or create fds: keep the cache right =====================================
 */

/* The tracer's own fds are not the program's: to the program they are not open (EBADF), and
 * the range closers go around them.  Otherwise a daemon's "close every fd" loop, closefrom(3)
 * or a close_range ends the trace silently, and a later open() could even receive the number
 * of the trace output.  (A raw syscall(SYS_close_range) still gets through.) */
int close(int fd)
{
    if (cvz_owns_fd(fd)) {
        errno = EBADF;
        return -1;
    }
    cvz_w_fd_forget(fd);
    return REAL(close)(fd);
}

/* close_range(2) on [lo, hi] minus the tracer's fds, as a few calls of the syscall. */
static int close_range_around_own(unsigned int lo, unsigned int hi, int flags)
{
    if (flags & CLOSE_RANGE_UNSHARE) { /* unshare once, then close in the private table */
        if (unshare(CLONE_FILES) != 0) return -1;
        flags &= ~CLOSE_RANGE_UNSHARE;
    }
    if (!(flags & CLOSE_RANGE_CLOEXEC))
        for (unsigned int fd = lo; fd <= hi && fd < FD_CACHE; fd++)
            cvz_w_fd_forget((int)fd);
    unsigned int from = lo;
    for (unsigned int fd = lo; fd <= hi && fd <= INT_MAX; fd++) {
        if (fd >= OWN_FD_SCAN) break; /* the tracer's fds are all below: no need to look on */
        if (!cvz_owns_fd((int)fd)) continue;
        if (fd > from && syscall(SYS_close_range, from, fd - 1, flags) != 0) return -1;
        from = fd + 1;
    }
    if (from > hi) return 0; /* the last fd of the range was ours */
    return (int)syscall(SYS_close_range, from, hi, flags);
}

int close_range(unsigned int lo, unsigned int hi, int flags)
{
    if (lo > hi || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))) {
        errno = EINVAL;
        return -1;
    }
    return close_range_around_own(lo, hi, flags);
}

void closefrom(int lo)
{
    if (lo < 0) lo = 0;
    if (close_range_around_own((unsigned int)lo, ~0U, 0) == 0) return;
    /* no close_range (kernel before 5.9): close() each number up to the fd limit */
    struct rlimit rl;
    long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < OWN_FD_SCAN
                   ? (long)rl.rlim_cur
                   : OWN_FD_SCAN;
    for (long fd = lo; fd < max; fd++)
        close((int)fd);
}
int dup(int fd)
{
    return accepted(REAL(dup)(fd));
}
int dup2(int fd, int to)
{
    int ret = REAL(dup2)(fd, to);
    cvz_w_fd_forget(to);
    return ret;
}
int dup3(int fd, int to, int flags)
{
    int ret = REAL(dup3)(fd, to, flags);
    cvz_w_fd_forget(to);
    return ret;
}
int pipe(int fds[2])
{
    int ret = REAL(pipe)(fds);
    if (ret == 0) {
        cvz_w_fd_forget(fds[0]);
        cvz_w_fd_forget(fds[1]);
    }
    return ret;
}
int pipe2(int fds[2], int flags)
{
    int ret = REAL(pipe2)(fds, flags);
    if (ret == 0) {
        cvz_w_fd_forget(fds[0]);
        cvz_w_fd_forget(fds[1]);
    }
    return ret;
}
int socket(int domain, int type, int proto)
{
    return accepted(REAL(socket)(domain, type, proto));
}
int socketpair(int domain, int type, int proto, int fds[2])
{
    int ret = REAL(socketpair)(domain, type, proto, fds);
    if (ret == 0) {
        cvz_w_fd_forget(fds[0]);
        cvz_w_fd_forget(fds[1]);
    }
    return ret;
}
int eventfd(unsigned int count, int flags)
{
    return accepted(REAL(eventfd)(count, flags));
}
int epoll_create(int size)
{
    return accepted(REAL(epoll_create)(size));
}
int epoll_create1(int flags)
{
    return accepted(REAL(epoll_create1)(flags));
}
int timerfd_create(int clk, int flags)
{
    return accepted(REAL(timerfd_create)(clk, flags));
}

static inline mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}
#define CVZ_OPEN(call)                                                                             \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t mode = mode_arg(flags, ap);                                                         \
        va_end(ap);                                                                                \
        return accepted(call);                                                                     \
    } while (0)
int open(const char *path, int flags, ...)
{
    CVZ_OPEN(REAL(open)(path, flags, mode));
}
int open64(const char *path, int flags, ...)
{
    CVZ_OPEN(REAL(open64)(path, flags, mode));
}
int openat(int dir, const char *path, int flags, ...)
{
    CVZ_OPEN(REAL(openat)(dir, path, flags, mode));
}
int openat64(int dir, const char *path, int flags, ...)
{
    CVZ_OPEN(REAL(openat64)(dir, path, flags, mode));
}
int __open_2(const char *path, int flags)
{
    return accepted(REAL(__open_2)(path, flags));
}
int __open64_2(const char *path, int flags)
{
    return accepted(REAL(__open64_2)(path, flags));
}
int __openat_2(int dir, const char *path, int flags)
{
    return accepted(REAL(__openat_2)(dir, path, flags));
}
int __openat64_2(int dir, const char *path, int flags)
{
    return accepted(REAL(__openat64_2)(dir, path, flags));
}
