/* gen_trace.c - writes a synthetic conviz trace of N events (for the load benchmark and for
 * trying the viewer at scale).  Big outputs belong in /tmp or a build dir, never in git.
 */
#include "gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: gen_trace N PATH\n"
                "Writes a synthetic conviz trace of about N events (e.g. 1000000; 1M events is\n"
                "~140 MB) to PATH. Put it in /tmp or the build dir, never in the source tree.\n");
        return argc == 2 ? 0 : 2;
    }
    char *end;
    unsigned long long n = strtoull(argv[1], &end, 10);
    if (*end || n == 0) {
        fprintf(stderr, "gen_trace: N must be a positive number of events, not '%s'\n", argv[1]);
        return 2;
    }
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        fprintf(stderr, "gen_trace: cannot write %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    uint64_t got = cvz_gen_trace(f, n, 1);
    if (fclose(f) != 0 || got == 0) {
        fprintf(stderr, "gen_trace: writing %s failed: %s\n", argv[2], strerror(errno));
        return 1;
    }
    printf("%s: %llu events\n", argv[2], (unsigned long long)got);
    return 0;
}
