/* cmd_view.c - `conviz view`: run the viewer (conviz-view), which lives next to `conviz`.
 *
 * DESIGN: the viewer is its own executable (it links SDL2; the `conviz` command must not), so
 * this command only finds it in the directory of /proc/self/exe and execs it with the same
 * arguments.  No option is interpreted here except --help when the viewer is not built.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static void view_usage(void)
{
    printf("usage: conviz view [VIEWER OPTIONS] TRACE\n\n"
           "Opens TRACE in conviz-view (the SDL2 viewer).  Every argument is passed to\n"
           "conviz-view; run 'conviz-view --help' for its options (e.g. --png FILE to render\n"
           "a picture without a display).\n");
}

/* The directory of this executable, so that a build tree works without installing. */
static int viewer_path(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash) return -1;
    *slash = '\0';
    int w = snprintf(out, len, "%s/conviz-view", self);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

int cmd_view(int argc, char **argv)
{
    char path[PATH_MAX];
    int want_help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (viewer_path(path, sizeof(path)) != 0 || access(path, X_OK) != 0) {
        if (want_help) {
            view_usage();
            printf("\n(conviz-view is not built here: it needs SDL2 and -DCONVIZ_VIEWER=ON)\n");
            return 0;
        }
        fprintf(stderr, "conviz view: the viewer is not built (no conviz-view next to conviz).\n"
                        "Build it with -DCONVIZ_VIEWER=ON (needs libsdl2-dev, libsdl2-ttf-dev),\n"
                        "or use 'conviz report TRACE' for text output.\n");
        return 1;
    }
    if (argc < 2) {
        view_usage();
        return 2;
    }
    char **args = calloc((size_t)argc + 1, sizeof(*args));
    if (!args) {
        fprintf(stderr, "conviz view: out of memory\n");
        return 1;
    }
    args[0] = path;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    fflush(stdout);
    execv(path, args);
    fprintf(stderr, "conviz view: cannot run %s: %s\n", path, strerror(errno));
    free(args);
    return 1;
}
