/* tc_static.c - a statically linked program: LD_PRELOAD never loads the tracer into it, and
 * `conviz record` must say so instead of leaving an empty trace without a word. */
#include <stdio.h>

int main(void)
{
    puts("static");
    return 0;
}
