/* Word overlap of a message's segments with every example, in one call: the arithmetic
 * of bot.core.index.OverlapIndex.score_all and Matcher._score_segments, done in the same
 * order so that every score is the same double, to the bit.
 *
 * In numpy a message costs about a hundred array calls, each one's code fetched again
 * after the rest of an answer has passed through the CPU's caches: in the Slack app that
 * made matching cost twice what it does in a loop. Here it is one call, and a loop over
 * the few postings a message touches. The numpy path stays as the fallback (a machine
 * with no C compiler) and as the reference the tests hold this to.
 *
 * Built with -ffp-contract=off: a fused multiply-add would round differently.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Py_buffer view;
    int held;
} Array;

/* A flat, contiguous buffer whose items have ``size`` bytes and one of ``kinds`` as
 * their struct format (numpy's "d", "q"/"l", "i", "?"). */
static int
take(PyObject *obj, Array *array, Py_ssize_t size, const char *kinds, int writable,
     const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &array->view, flags) < 0) {
        return -1;
    }
    array->held = 1;
    const char *format = array->view.format ? array->view.format : "B";
    char kind = format[strlen(format) - 1];
    if (array->view.ndim != 1 || array->view.itemsize != size || !strchr(kinds, kind)) {
        PyErr_Format(PyExc_TypeError, "%s: not a flat array of the expected type", name);
        return -1;
    }
    return 0;
}

static void
let_go(Array *arrays, int count)
{
    for (int i = 0; i < count; i++) {
        if (arrays[i].held) {
            PyBuffer_Release(&arrays[i].view);
        }
    }
}

enum {
    BY_STARTS, BY_EXAMPLES, BY_WEIGHTS, TOTALS, INTENT_OF,
    TI_STARTS, TI_INTENTS, TI_WEIGHTS, TOPICAL, NEAR_MISS, BEST, SUBSTANTIVE, ARRAYS
};

typedef struct {
    const int64_t *by_starts, *intent_of, *ti_starts;
    const int32_t *by_examples, *ti_intents;
    const double *by_weights, *totals, *ti_weights;
    const char *topical, *near_miss;
    double *best, *substantive;
    Py_ssize_t terms, examples, intents;
    /* scratch, clean between segments */
    char *mark, *seen;
    double *shared, *coverage, *best_overlap;
    int64_t *candidates, *columns, *pick, *touched;
} Index;

/* One segment: its ``columns`` (ascending, each once), weight of its known words, whether
 * it is short, and its two penalties; raises ``into`` per intent it overlaps. */
static void
score_segment(Index *ix, const int64_t *columns, Py_ssize_t count, double known, int short_,
              double penalty, double near_miss_penalty, double *into)
{
    if (count == 0) {
        return;
    }
    if (!(known > 0)) {
        known = INFINITY; /* no known weight: no precision or coverage (x / inf is 0) */
    }
    Py_ssize_t picked = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (ix->topical[columns[i]]) {
            ix->pick[picked++] = columns[i];
        }
    }
    const int64_t *pick = ix->pick;
    if (picked == 0) {
        if (!short_) {
            return;
        }
        pick = columns; /* a short message: any shared word makes a candidate */
        picked = count;
    }
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < picked; i++) {
        for (int64_t k = ix->by_starts[pick[i]]; k < ix->by_starts[pick[i] + 1]; k++) {
            int32_t example = ix->by_examples[k];
            if (!ix->mark[example]) {
                ix->mark[example] = 1;
                ix->candidates[found++] = example;
            }
        }
    }
    if (found == 0) {
        return;
    }
    /* Each candidate's shared weight, its terms added in ascending order (as bincount),
     * and each intent's coverage likewise. */
    for (Py_ssize_t i = 0; i < count; i++) {
        for (int64_t k = ix->by_starts[columns[i]]; k < ix->by_starts[columns[i] + 1]; k++) {
            int32_t example = ix->by_examples[k];
            if (ix->mark[example]) {
                ix->shared[example] += ix->by_weights[k];
            }
        }
        for (int64_t k = ix->ti_starts[columns[i]]; k < ix->ti_starts[columns[i] + 1]; k++) {
            ix->coverage[ix->ti_intents[k]] += ix->ti_weights[k];
        }
    }
    /* Each intent's best overlap: a maximum, the same in any order (numpy takes it over
     * the candidates sorted, grouped by intent), so the candidates need no sorting. */
    Py_ssize_t intents = 0;
    for (Py_ssize_t i = 0; i < found; i++) {
        int64_t example = ix->candidates[i];
        int64_t intent = ix->intent_of[example];
        double shared = ix->shared[example];
        double precision = shared / known;
        double recall = shared / ix->totals[example];
        double overlap = 2 * precision * recall / (precision + recall);
        if (!ix->seen[intent]) {
            ix->seen[intent] = 1;
            ix->touched[intents++] = intent;
            ix->best_overlap[intent] = overlap;
        } else if (overlap > ix->best_overlap[intent]) {
            ix->best_overlap[intent] = overlap;
        }
        ix->mark[example] = 0;
        ix->shared[example] = 0.0;
    }
    for (Py_ssize_t i = 0; i < intents; i++) {
        int64_t intent = ix->touched[i];
        double best = ix->best_overlap[intent];
        if (best > 0) {
            double coverage = ix->coverage[intent] / known;
            double factor = ix->near_miss[intent] ? near_miss_penalty : penalty;
            double total = (0.7 * best + 0.3 * coverage) * factor;
            if (total > into[intent]) {
                into[intent] = total;
            }
        }
        ix->seen[intent] = 0;
    }
    memset(ix->coverage, 0, (size_t)ix->intents * sizeof(double));
}

static int
read_segment(PyObject *segment, int64_t *columns, Py_ssize_t terms, Py_ssize_t *count,
             double *known, int *short_, double *penalty, double *near_miss_penalty)
{
    PyObject *list;
    if (!PyArg_ParseTuple(segment, "O!dpdd", &PyList_Type, &list, known, short_, penalty,
                          near_miss_penalty)) {
        return -1;
    }
    *count = PyList_GET_SIZE(list);
    for (Py_ssize_t i = 0; i < *count; i++) {
        long long column = PyLong_AsLongLong(PyList_GET_ITEM(list, i));
        if (column == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (column < 0 || column >= terms || (i && column <= columns[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "a segment's columns must be known, ascending");
            return -1;
        }
        columns[i] = column;
    }
    return 0;
}

static PyObject *
raise_scores(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *objects[ARRAYS], *segments;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOO!:raise_scores", &objects[BY_STARTS],
                          &objects[BY_EXAMPLES], &objects[BY_WEIGHTS], &objects[TOTALS],
                          &objects[INTENT_OF], &objects[TI_STARTS], &objects[TI_INTENTS],
                          &objects[TI_WEIGHTS], &objects[TOPICAL], &objects[NEAR_MISS],
                          &objects[BEST], &objects[SUBSTANTIVE], &PyList_Type, &segments)) {
        return NULL;
    }
    static const struct { Py_ssize_t size; const char *kinds; int writable; const char *name; }
    wanted[ARRAYS] = {
        {8, "qlnNQL", 0, "posting starts"}, {4, "iI", 0, "posting examples"},
        {8, "d", 0, "posting weights"}, {8, "d", 0, "example totals"},
        {8, "qlnNQL", 0, "intent of example"}, {8, "qlnNQL", 0, "intent starts"},
        {4, "iI", 0, "intents of term"}, {8, "d", 0, "intent weights"},
        {1, "?", 0, "topical"}, {1, "?", 0, "near miss"},
        {8, "d", 1, "best"}, {8, "d", 1, "substantive"},
    };
    Array arrays[ARRAYS];
    memset(arrays, 0, sizeof arrays);
    for (int i = 0; i < ARRAYS; i++) {
        if (take(objects[i], &arrays[i], wanted[i].size, wanted[i].kinds, wanted[i].writable,
                 wanted[i].name) < 0) {
            let_go(arrays, ARRAYS);
            return NULL;
        }
    }
    Index ix = {
        .by_starts = arrays[BY_STARTS].view.buf, .by_examples = arrays[BY_EXAMPLES].view.buf,
        .by_weights = arrays[BY_WEIGHTS].view.buf, .totals = arrays[TOTALS].view.buf,
        .intent_of = arrays[INTENT_OF].view.buf, .ti_starts = arrays[TI_STARTS].view.buf,
        .ti_intents = arrays[TI_INTENTS].view.buf, .ti_weights = arrays[TI_WEIGHTS].view.buf,
        .topical = arrays[TOPICAL].view.buf, .near_miss = arrays[NEAR_MISS].view.buf,
        .best = arrays[BEST].view.buf, .substantive = arrays[SUBSTANTIVE].view.buf,
        .terms = arrays[TOPICAL].view.shape[0], .examples = arrays[TOTALS].view.shape[0],
        .intents = arrays[NEAR_MISS].view.shape[0],
    };
    int consistent = arrays[BY_STARTS].view.shape[0] == ix.terms + 1
                     && arrays[TI_STARTS].view.shape[0] == ix.terms + 1
                     && arrays[INTENT_OF].view.shape[0] == ix.examples
                     && arrays[BEST].view.shape[0] == ix.intents
                     && arrays[SUBSTANTIVE].view.shape[0] == ix.intents;
    if (!consistent) {
        PyErr_SetString(PyExc_ValueError, "the index's arrays do not fit together");
        let_go(arrays, ARRAYS);
        return NULL;
    }
    ix.mark = calloc((size_t)ix.examples + 1, 1);
    ix.shared = calloc((size_t)ix.examples + 1, sizeof(double));
    ix.coverage = calloc((size_t)ix.intents + 1, sizeof(double));
    ix.seen = calloc((size_t)ix.intents + 1, 1);
    ix.best_overlap = malloc(((size_t)ix.intents + 1) * sizeof(double));
    ix.touched = malloc(((size_t)ix.intents + 1) * sizeof(int64_t));
    ix.candidates = malloc(((size_t)ix.examples + 1) * sizeof(int64_t));
    ix.columns = malloc(((size_t)ix.terms + 1) * sizeof(int64_t));
    ix.pick = malloc(((size_t)ix.terms + 1) * sizeof(int64_t));
    PyObject *result = Py_None;
    if (!ix.mark || !ix.shared || !ix.coverage || !ix.candidates || !ix.columns || !ix.pick
        || !ix.seen || !ix.best_overlap || !ix.touched) {
        result = PyErr_NoMemory();
    }
    for (Py_ssize_t s = 0; result && s < PyList_GET_SIZE(segments); s++) {
        Py_ssize_t count;
        double known, penalty, near_miss_penalty;
        int short_;
        if (read_segment(PyList_GET_ITEM(segments, s), ix.columns, ix.terms, &count, &known,
                         &short_, &penalty, &near_miss_penalty) < 0) {
            result = NULL;
            break;
        }
        score_segment(&ix, ix.columns, count, known, short_, penalty, near_miss_penalty,
                      s == 0 ? ix.best : ix.substantive);
    }
    free(ix.mark);
    free(ix.shared);
    free(ix.coverage);
    free(ix.candidates);
    free(ix.columns);
    free(ix.pick);
    free(ix.seen);
    free(ix.best_overlap);
    free(ix.touched);
    let_go(arrays, ARRAYS);
    Py_XINCREF(result);
    return result;
}

static PyMethodDef methods[] = {
    {"raise_scores", raise_scores, METH_VARARGS,
     "raise_scores(by_starts, by_examples, by_weights, totals, intent_of, ti_starts, "
     "ti_intents, ti_weights, topical, near_miss, best, substantive, segments)\n\n"
     "Raise best (the first segment's) and substantive (the others') to each segment's "
     "overlap score per intent; segments: (columns, known_weight, short, penalty, "
     "near_miss_penalty) each."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_overlap", "Word overlap scoring (see bot.core.index).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__overlap(void)
{
    return PyModule_Create(&module);
}
