/* cvz_lttng_fields.h - one conviz event decoded into named fields, as the generated
 * tracepoints (cvz_lttng_tp.h) read them: every key of every event kind has a member here,
 * typed by cvz_lttng_args.def. */
#ifndef CVZ_LTTNG_FIELDS_H
#define CVZ_LTTNG_FIELDS_H

#include <stdint.h>

#define CVZ_LTTNG_T_INT int64_t
#define CVZ_LTTNG_T_HEX uint64_t
#define CVZ_LTTNG_T_STR const char *

struct cvz_lttng_fields {
    uint64_t ts;  /* the record's CLOCK_MONOTONIC time (the JSON "ts"), ns */
    uint64_t dur; /* "X" events (RUNNING): duration, ns */
    int32_t pid, tid;
#define CVZ_ARG(key, type)                CVZ_LTTNG_T_##type key;
#define CVZ_KARG(kind, key, type, member) CVZ_LTTNG_T_##type member;
#include "cvz_lttng_args.def"
#undef CVZ_ARG
#undef CVZ_KARG
};

#endif
