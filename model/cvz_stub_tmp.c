/* cvz_stub_tmp.c - temporary: the reader lands within the hour; this lets others link now. */
#include "cvz_model.h"
#include <stdlib.h>
#include <string.h>
struct cvz_trace *cvz_trace_load(const char *path, char **err)
{
    if (err) *err = strdup("cvz_trace_load: reader not implemented yet");
    return NULL;
}
struct cvz_trace *cvz_trace_load_buffer(const char *data, size_t len, const char *name, char **err)
{
    return cvz_trace_load(name, err);
}
void cvz_trace_free(struct cvz_trace *trace) { free(trace); }
