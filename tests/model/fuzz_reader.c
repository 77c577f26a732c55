/* fuzz_reader.c - libFuzzer target for the trace reader and the derivation: any bytes must load
 * or fail cleanly, and what loads must keep the model's invariants (spans tile each thread's
 * life in order; wake edges and CPU runs point at real threads).
 * Build: clang -fsanitize=fuzzer,address,undefined (tests/model/CMakeLists.txt does it when
 * clang is found); run: fuzz_reader -max_total_time=60 NEW_CORPUS_DIR tests/model/corpus
 */
#include "cvz_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

static void check(const struct cvz_trace *tr)
{
    for (size_t i = 0; i < tr->nthreads; i++) {
        const struct cvz_thread *t = &tr->threads[i];
        REQUIRE(t->nspans > 0);
        REQUIRE(t->spans[0].t0 == t->t_start);
        REQUIRE(t->spans[t->nspans - 1].t1 == t->t_end);
        for (size_t k = 0; k < t->nspans; k++) {
            REQUIRE(t->spans[k].t0 <= t->spans[k].t1);
            if (k) REQUIRE(t->spans[k].t0 == t->spans[k - 1].t1);
        }
        REQUIRE(cvz_span_at(t, t->t_start) >= 0);
        REQUIRE(t->proc >= 0 && (size_t)t->proc < tr->nprocs);
        REQUIRE(t->name != NULL);
    }
    for (size_t i = 0; i < tr->nwakes; i++) {
        REQUIRE((size_t)tr->wakes[i].from_thread < tr->nthreads);
        REQUIRE((size_t)tr->wakes[i].to_thread < tr->nthreads);
        REQUIRE(tr->wakes[i].t_from <= tr->wakes[i].t_to);
    }
    for (size_t i = 0; i < tr->nobjects; i++)
        for (size_t k = 0; k < tr->objects[i].nholds; k++)
            REQUIRE((size_t)tr->objects[i].holds[k].thread < tr->nthreads);
    for (int c = 0; c < tr->ncpu && tr->cpus; c++)
        for (size_t k = 0; k < tr->cpus[c].nruns; k++)
            REQUIRE((size_t)tr->cpus[c].runs[k].thread < tr->nthreads);
    for (size_t i = 0; i < tr->nmarks; i++)
        REQUIRE(tr->marks[i].thread >= 0 && (size_t)tr->marks[i].thread < tr->nthreads);
    REQUIRE(tr->ndiags <= CVZ_MAX_DIAGS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *err = NULL;
    struct cvz_trace *tr = cvz_trace_load_buffer((const char *)data, size, "fuzz", &err);
    if (tr) {
        REQUIRE(err == NULL);
        check(tr);
    } else {
        REQUIRE(err != NULL);
    }
    cvz_trace_free(tr);
    free(err);
    return 0;
}
