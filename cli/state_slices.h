/* state_slices.h - derived thread-state slices appended to a finished trace, so that Perfetto
 * and chrome://tracing show what each thread did between its runs. */
#ifndef CVZ_STATE_SLICES_H
#define CVZ_STATE_SLICES_H

#include <stddef.h>
#include <stdint.h>

/* Load the finished trace at `path`, derive its states, and append one "cvz.state" X event
 * per READY/BLOCKED span (and RUNNING span, when the trace has no perf runs), keeping the file
 * a closed JSON array.  Returns 0, or -1 with a message in err. */
int cvz_append_state_slices(const char *path, uint64_t *nslices, char *err, size_t errlen);

#endif
