/* cvz_lttng_tp.c - the `conviz` tracepoint provider: instantiates the probes declared in the
 * generated cvz_lttng_tp.h (one per event kind of model/cvz_events.def). */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "cvz_lttng_tp.h"
