/* wrap_name.c - thread names: pthread_setname_np and prctl(PR_SET_NAME) become thread_name events
 * (the last one wins).  A name given to another thread is recorded for that thread's tid. */
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>

#include "wrap_common.h"

int pthread_setname_np(pthread_t th, const char *name)
{
    if (!cvz_w_on()) return REAL(pthread_setname_np)(th, name);
    pid_t tid = th == pthread_self() ? 0 : cvz_w_tid_of((unsigned long)th);
    int ret = REAL(pthread_setname_np)(th, name);
    if (ret == 0 && (th == pthread_self() || tid > 0)) CVZ_KEEP_ERRNO(cvz_w_thread_name(tid, name));
    return ret;
}

int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    int ret = REAL(prctl)(option, a2, a3, a4, a5);
    if (ret == 0 && option == PR_SET_NAME && a2 && cvz_w_on()) {
        char name[16]; /* the kernel keeps 15 bytes */
        strncpy(name, (const char *)a2, sizeof name - 1);
        name[sizeof name - 1] = '\0';
        CVZ_KEEP_ERRNO(cvz_w_thread_name(0, name));
    }
    return ret;
}
