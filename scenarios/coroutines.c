/* coroutines.c - lesson 15: coroutines, A and B taking turns inside ONE thread.
 *
 * The course's generator example: B prints "----B---", resumes A (next(a)); A prints
 * "----A---" and yields back to B; both pause between steps.  Here A and B are C coroutines
 * (ucontext: each has its own stack, swapcontext saves one and resumes the other).  The
 * operating system sees one thread; conviz shows A and B as coroutine lanes under it, through
 * the annotation API (conviz_coro_switch), alternating: B, A, B, A...
 */
#include "lesson.h"

#include <getopt.h>
#include <ucontext.h>

enum { CORO_THREAD = 0, CORO_B = 1, CORO_A = 2 };
static ucontext_t thread_ctx, a_ctx, b_ctx;
static long opt_rounds = 6, opt_pause_ms = 40;
static char a_stack[64 * 1024], b_stack[64 * 1024];

static void switch_to(ucontext_t *from, ucontext_t *to, int to_id, const char *to_name)
{
    lesson_coro_switch(to_id, to_name); /* tell conviz who runs from now on */
    swapcontext(from, to);
}

static void coroutine_a(void) /* def A(): while True: print; yield; sleep */
{
    for (;;) {
        printf("----A---\n");
        lesson_mark("A");
        switch_to(&a_ctx, &b_ctx, CORO_B, "B"); /* yield */
        lesson_sleep_ms(opt_pause_ms);
    }
}

static void coroutine_b(void) /* def B(c): while True: print; next(c); sleep */
{
    for (long round = 0; round < opt_rounds; round++) {
        printf("----B---\n");
        lesson_mark("B");
        switch_to(&b_ctx, &a_ctx, CORO_A, "A"); /* next(a) */
        lesson_sleep_ms(opt_pause_ms);
    }
    lesson_coro_switch(CORO_THREAD, NULL); /* B returns: back to the thread (uc_link) */
}

static void usage(FILE *out)
{
    fprintf(out, "usage: scenario-coroutines [--rounds N] [--pause-ms MS]\n"
                 "Lesson 15: two coroutines (ucontext) alternating in one thread.\n"
                 "  --rounds N     B->A rounds (default 6)\n"
                 "  --pause-ms MS  pause after each step (default 40; the course: 500)\n");
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"rounds", required_argument, 0, 'r'},
                                            {"pause-ms", required_argument, 0, 'p'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            opt_rounds = lesson_parse_long("--rounds", optarg, 1, 100000);
            break;
        case 'p':
            opt_pause_ms = lesson_parse_long("--pause-ms", optarg, 0, 100000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    lesson_settle();
    lesson_name_thread("main");
    getcontext(&a_ctx);
    a_ctx.uc_stack.ss_sp = a_stack;
    a_ctx.uc_stack.ss_size = sizeof a_stack;
    a_ctx.uc_link = &thread_ctx; /* never reached: A loops forever, like the generator */
    makecontext(&a_ctx, coroutine_a, 0);
    getcontext(&b_ctx);
    b_ctx.uc_stack.ss_sp = b_stack;
    b_ctx.uc_stack.ss_size = sizeof b_stack;
    b_ctx.uc_link = &thread_ctx; /* when B returns, the thread continues here */
    makecontext(&b_ctx, coroutine_b, 0);

    switch_to(&thread_ctx, &b_ctx, CORO_B, "B"); /* B(a) */
    lesson_mark("rounds=%ld", opt_rounds);
    printf("done: %ld rounds in one thread\n", opt_rounds);
    return 0;
}
