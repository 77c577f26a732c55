/* gen.h - the synthetic conviz trace generator shared by gen_trace and bench_load. */
#ifndef CVZ_BENCH_GEN_H
#define CVZ_BENCH_GEN_H

#include <stdint.h>
#include <stdio.h>

/* Writes a conviz trace of about `nevents` events to `out`; returns the number written. */
uint64_t cvz_gen_trace(FILE *out, uint64_t nevents, unsigned seed);

#endif
