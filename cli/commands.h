/* commands.h - the `conviz` subcommands.  conviz.c is only a table of these; each lives in
 * cmd_<name>.c and takes the arguments after its name (argv[0] is the command name). */
#ifndef CVZ_COMMANDS_H
#define CVZ_COMMANDS_H

int cmd_record(int argc, char **argv); /* cmd_record.c: run a program under the tracer      */
int cmd_finish(int argc, char **argv); /* cmd_record.c: finish a trace a killed run left      */
int cmd_report(int argc, char **argv); /* cmd_report.c: statistics, contention, deadlocks     */
int cmd_view(int argc, char **argv);   /* cmd_view.c: runs conviz-view                        */
int cmd_import(int argc, char **argv); /* cmd_import.c: CTF (LTTng) trace -> conviz JSON      */
int cmd_lessons(int argc, char **argv);/* cmd_lessons.c: list/record/check the lessons        */

#endif
