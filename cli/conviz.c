/* conviz.c - the `conviz` command: a table of subcommands, one file each (cmd_<name>.c).
 *
 * DESIGN: like perf's perf.c, this file only dispatches.  A command whose file is absent from
 * this build (import needs the optional LTTng/babeltrace2 build) is a weak symbol that stays
 * NULL, so the hub can say it is not available instead of failing to link.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#ifndef CONVIZ_VERSION
#define CONVIZ_VERSION "0.1.0"
#endif

#pragma weak cmd_record
#pragma weak cmd_finish
#pragma weak cmd_report
#pragma weak cmd_view
#pragma weak cmd_import
#pragma weak cmd_lessons

struct cmd_struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help; /* one line for `conviz --help` */
};

static struct cmd_struct commands[] = {
    {"record", cmd_record, "run a program under the tracer, write a JSON trace"},
    {"finish", cmd_finish, "complete the trace a killed recording left"},
    {"report", cmd_report, "state times, lock contention, parallelism, deadlocks"},
    {"view", cmd_view, "open a trace in the viewer (or render a PNG)"},
    {"import", cmd_import, "convert an LTTng (CTF) trace to conviz JSON"},
    {"lessons", cmd_lessons, "list, record and check the lessons"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: conviz COMMAND [ARGS...]\n"
                 "       conviz help COMMAND      (same as conviz COMMAND --help)\n"
                 "       conviz --version\n\n"
                 "conviz traces threads, processes and locks of a Linux program and shows where\n"
                 "the time went.  Commands:\n\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-9s %s%s\n", commands[i].name, commands[i].help,
                commands[i].fn ? "" : " [not built]");
    fprintf(out, "\nTypical use:\n"
                 "  conviz record -o trace.json -- ./myprog args\n"
                 "  conviz report trace.json\n"
                 "  conviz view trace.json\n");
}

static struct cmd_struct *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int unknown(const char *name)
{
    fprintf(stderr, "conviz: '%s' is not a conviz command; see 'conviz --help'\n", name);
    return 2;
}

static int run(struct cmd_struct *cmd, int argc, char **argv)
{
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    if (!cmd->fn && help) {
        printf("conviz %s: %s.\nThis build does not include it%s.\n", cmd->name, cmd->help,
               strcmp(cmd->name, "import") == 0 ? " (it needs the LTTng/babeltrace2 build)" : "");
        return 0;
    }
    if (!cmd->fn) {
        fprintf(stderr, "conviz: '%s' is not available in this build%s\n", cmd->name,
                strcmp(cmd->name, "import") == 0
                    ? " (configure with -DCONVIZ_WITH_LTTNG=ON and libbabeltrace2-dev)"
                    : "");
        return 1;
    }
    fflush(stdout);
    return cmd->fn(argc, argv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("conviz %s\n", CONVIZ_VERSION);
        return 0;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        struct cmd_struct *cmd = find_command(argv[2]);
        if (!cmd) return unknown(argv[2]);
        char *help_argv[] = {(char *)cmd->name, "--help", NULL};
        return run(cmd, 2, help_argv);
    }
    if (name[0] == '-') {
        fprintf(stderr, "conviz: unknown option '%s'; see 'conviz --help'\n", name);
        return 2;
    }
    struct cmd_struct *cmd = find_command(name);
    if (!cmd) return unknown(name);
    return run(cmd, argc - 1, argv + 1);
}
