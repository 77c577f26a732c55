/* cmd_lessons.c - `conviz lessons`: list, show, check and record the lessons of
 * traces/lessons.txt (docs/lessons.md is the teacher's guide).
 *
 * DESIGN: a thin front over what already exists, so nothing is done two ways: recording is
 * scripts/lessons.sh, checking is lesson-check (tests/lessons), showing is conviz-view.  This
 * file only reads the lesson list and execs the right program.  The source tree (traces/,
 * scripts/) is found from $CONVIZ_SOURCE_DIR, else from the build directory this `conviz` lives
 * in (<build>/bin/conviz: <build>/CMakeCache.txt names the source, or <build>/.. is it).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

struct lesson {
    char name[64], check[64], caption[256], view_options[128];
};

static void lessons_usage(FILE *out)
{
    fprintf(
        out,
        "usage: conviz lessons [list]                 the lessons, one a line\n"
        "       conviz lessons show NAME              open traces/NAME.json in the viewer\n"
        "       conviz lessons check NAME [TRACE]     check the property lesson NAME teaches\n"
        "                                             (default: the committed traces/NAME.json)\n"
        "       conviz lessons record [NAME]          record, check and draw every lesson (or\n"
        "                                             those starting with NAME) into traces/\n"
        "The list is traces/lessons.txt; the teacher's guide is docs/lessons.md.\n"
        "Set CONVIZ_SOURCE_DIR when conviz does not run from its build directory.\n");
}

/* printf into a path buffer; 0, or -1 when it does not fit (said on stderr). */
static int pathf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len) {
        fprintf(stderr, "conviz lessons: path too long: %s...\n", out);
        return -1;
    }
    return 0;
}

/* The directory holding this executable (<build>/bin). */
static int self_dir(char *out, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", out, len - 1);
    if (n <= 0) return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash) return -1;
    *slash = '\0';
    return 0;
}

static int has_list(const char *root)
{
    char path[PATH_MAX];
    pathf(path, sizeof path, "%s/traces/lessons.txt", root);
    return access(path, R_OK) == 0;
}

/* Find the source tree; fills root.  Returns 0, or -1 after saying what to do. */
static int source_dir(char *root, size_t len)
{
    const char *env = getenv("CONVIZ_SOURCE_DIR");
    if (env && *env) {
        pathf(root, len, "%s", env);
        if (has_list(root)) return 0;
        fprintf(stderr, "conviz lessons: CONVIZ_SOURCE_DIR=%s has no traces/lessons.txt\n", env);
        return -1;
    }
    char bin[PATH_MAX];
    if (self_dir(bin, sizeof bin) == 0) {
        char cache[PATH_MAX + 32], line[PATH_MAX + 64];
        pathf(cache, sizeof cache, "%s/../CMakeCache.txt", bin);
        FILE *f = fopen(cache, "r");
        while (f && fgets(line, sizeof line, f)) {
            const char *key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
            if (strncmp(line, key, strlen(key)) == 0) {
                line[strcspn(line, "\n")] = '\0';
                pathf(root, len, "%s", line + strlen(key));
                break;
            }
        }
        if (f) fclose(f);
        if (has_list(root)) return 0;
        pathf(root, len, "%s/../..", bin);
        if (has_list(root)) return 0;
    }
    fprintf(stderr, "conviz lessons: cannot find the source tree (traces/lessons.txt); set\n"
                    "CONVIZ_SOURCE_DIR to the conviz checkout\n");
    return -1;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

/* Read the lesson list; returns how many (at most max), or -1 when it cannot be read. */
static int read_lessons(const char *root, struct lesson *out, int max)
{
    char path[PATH_MAX + 32], line[1024];
    pathf(path, sizeof path, "%s/traces/lessons.txt", root);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *fields[5] = {0};
        char *save = NULL, *p = strtok_r(line, "|", &save);
        for (int i = 0; i < 5 && p; i++, p = strtok_r(NULL, "|", &save))
            fields[i] = p;
        if (!fields[3]) continue;
        struct lesson *l = &out[n++];
        memset(l, 0, sizeof *l);
        pathf(l->name, sizeof l->name, "%s", fields[0]);
        pathf(l->check, sizeof l->check, "%s", fields[1]);
        pathf(l->caption, sizeof l->caption, "%s", fields[3]);
        if (fields[4]) pathf(l->view_options, sizeof l->view_options, "%s", fields[4]);
        trim(l->name), trim(l->check), trim(l->caption), trim(l->view_options);
    }
    fclose(f);
    return n;
}

static const struct lesson *find_lesson(const struct lesson *all, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(all[i].name, name) == 0) return &all[i];
    fprintf(stderr, "conviz lessons: no lesson '%s'; 'conviz lessons list' shows them\n", name);
    return NULL;
}

static int exec_program(char **args)
{
    execv(args[0], args);
    fprintf(stderr, "conviz lessons: cannot run %s: ", args[0]);
    perror(NULL);
    return 1;
}

int cmd_lessons(int argc, char **argv)
{
    const char *action = argc >= 2 ? argv[1] : "list";
    if (!strcmp(action, "--help") || !strcmp(action, "-h") || !strcmp(action, "help")) {
        lessons_usage(stdout);
        return 0;
    }
    char root[PATH_MAX] = "", bin[PATH_MAX];
    static struct lesson lessons[256];
    if (source_dir(root, sizeof root) != 0 || self_dir(bin, sizeof bin) != 0) return 1;
    int n = read_lessons(root, lessons, 256);
    if (n < 0) return 1;

    if (!strcmp(action, "list") && argc <= 2) {
        for (int i = 0; i < n; i++)
            printf("%-22s %s\n", lessons[i].name, lessons[i].caption);
        return 0;
    }
    if (!strcmp(action, "show") && argc == 3) {
        const struct lesson *l = find_lesson(lessons, n, argv[2]);
        if (!l) return 2;
        char viewer[PATH_MAX + 16], trace[PATH_MAX + 300], caption[300];
        pathf(viewer, sizeof viewer, "%s/conviz-view", bin);
        pathf(trace, sizeof trace, "%s/traces/%s.json", root, l->name);
        pathf(caption, sizeof caption, "%s", l->caption);
        char *args[] = {viewer, trace, "--caption", caption, NULL};
        return exec_program(args);
    }
    if (!strcmp(action, "check") && (argc == 3 || argc == 4)) {
        const struct lesson *l = find_lesson(lessons, n, argv[2]);
        if (!l) return 2;
        char checker[PATH_MAX + 16], trace[PATH_MAX + 300], check[64];
        pathf(checker, sizeof checker, "%s/lesson-check", bin);
        pathf(check, sizeof check, "%s", l->check);
        if (argc == 4)
            pathf(trace, sizeof trace, "%s", argv[3]);
        else
            pathf(trace, sizeof trace, "%s/traces/%s.json", root, l->name);
        char *args[] = {checker, check, trace, NULL};
        return exec_program(args);
    }
    if (!strcmp(action, "record") && (argc == 2 || argc == 3)) {
        char script[PATH_MAX + 32], build[PATH_MAX + 8], only[] = "--only";
        pathf(script, sizeof script, "%s/scripts/lessons.sh", root);
        pathf(build, sizeof build, "%s/..", bin);
        char *with_name[] = {script, only, argc == 3 ? argv[2] : NULL, build, NULL};
        char *all[] = {script, build, NULL};
        return exec_program(argc == 3 ? with_name : all);
    }
    lessons_usage(stderr);
    return 2;
}
