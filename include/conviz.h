/* conviz.h - annotate a program for the conviz tracer: name threads and objects, mark instants and
 * regions, and tell it about user-level context switches (coroutines).
 *
 * Self-contained and free to copy (MIT licence, see the end of this file).  Include it and call
 * the functions; nothing to link.  When the program runs without the tracer (libconviz.so not
 * preloaded) every call is a test of a NULL pointer and nothing else: the entry points are weak
 * references that the dynamic linker fills only when libconviz.so is present.
 *
 *     conviz_name_thread("producer");
 *     conviz_name_object(&queue_lock, "mutex", "queue_lock");
 *     conviz_begin("fill buffer"); ... conviz_end();
 *     conviz_mark("checkpoint");
 *     conviz_coro_switch(3, "reader");      // coroutine 3 runs on this thread from now on
 *     conviz_coro_switch(0, 0);             // back to the thread itself
 */
#ifndef CONVIZ_H
#define CONVIZ_H

#ifdef __cplusplus
extern "C" {
#endif

/* Entry points exported by libconviz.so (tracer/annotate.c). */
extern void conviz__name_thread(const char *name) __attribute__((weak));
extern void conviz__name_object(const void *addr, const char *kind, const char *name)
    __attribute__((weak));
extern void conviz__mark(const char *text) __attribute__((weak));
extern void conviz__begin(const char *text) __attribute__((weak));
extern void conviz__end(void) __attribute__((weak));
extern void conviz__coro_switch(unsigned long long id, const char *name) __attribute__((weak));

/* Name the calling thread (like pthread_setname_np, without its 15-character limit). */
static inline void conviz_name_thread(const char *name)
{
    if (conviz__name_thread) conviz__name_thread(name);
}

/* Name a synchronisation object; kind is "mutex", "rwlock", "spin", "condvar", "sem",
 * "barrier" or "other".  Call it before the object's first use to name it from the start. */
static inline void conviz_name_object(const void *addr, const char *kind, const char *name)
{
    if (conviz__name_object) conviz__name_object(addr, kind, name);
}

/* An instant on this thread's lane, with a label. */
static inline void conviz_mark(const char *text)
{
    if (conviz__mark) conviz__mark(text);
}

/* A named region on this thread's lane; regions nest, conviz_end() closes the innermost. */
static inline void conviz_begin(const char *text)
{
    if (conviz__begin) conviz__begin(text);
}

static inline void conviz_end(void)
{
    if (conviz__end) conviz__end();
}

/* From now on coroutine `id` runs on this thread (0 = the thread itself); `name` (may be NULL)
 * names it, which is only needed on its first switch. */
static inline void conviz_coro_switch(unsigned long long id, const char *name)
{
    if (conviz__coro_switch) conviz__coro_switch(id, name);
}

#ifdef __cplusplus
}
#endif

/* Copyright (c) conviz authors.  Permission is hereby granted, free of charge, to any person
 * obtaining a copy of this file, to deal in it without restriction, including without
 * limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
 * sell copies, subject to keeping this notice.  THE FILE IS PROVIDED "AS IS", WITHOUT WARRANTY
 * OF ANY KIND. */
#endif
