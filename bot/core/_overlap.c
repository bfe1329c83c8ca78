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
    /* One character: the machine's own byte order and size ("<i4" from elsewhere is
     * not read as if it were). */
    const char *format = array->view.format ? array->view.format : "B";
    if (array->view.ndim != 1 || array->view.itemsize != size || strlen(format) != 1
        || !strchr(kinds, format[0])) {
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
    Py_ssize_t terms, examples, intents, postings, pairs;
    int broken; /* an id or a row out of range: the arrays are not one index's */
    /* scratch, clean between segments */
    char *mark, *seen;
    double *shared, *coverage, *best_overlap;
    int64_t *candidates, *pick, *touched;
} Index;

/* Row ``row`` of a posting list: its first and end cell, if they lie within ``cells``. */
static int
row(const int64_t *starts, int64_t row, Py_ssize_t cells, int64_t *first, int64_t *end)
{
    *first = starts[row];
    *end = starts[row + 1];
    return 0 <= *first && *first <= *end && *end <= cells;
}

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
    int64_t first, end;
    for (Py_ssize_t i = 0; i < picked; i++) {
        if (!row(ix->by_starts, pick[i], ix->postings, &first, &end)) {
            ix->broken = 1;
            continue;
        }
        for (int64_t k = first; k < end; k++) {
            int32_t example = ix->by_examples[k];
            if (example < 0 || example >= ix->examples || ix->intent_of[example] < 0
                || ix->intent_of[example] >= ix->intents) {
                ix->broken = 1;
            } else if (!ix->mark[example]) {
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
        if (!row(ix->by_starts, columns[i], ix->postings, &first, &end)) {
            ix->broken = 1;
            continue;
        }
        for (int64_t k = first; k < end; k++) {
            int32_t example = ix->by_examples[k];
            if (example >= 0 && example < ix->examples && ix->mark[example]) {
                ix->shared[example] += ix->by_weights[k];
            }
        }
        if (!row(ix->ti_starts, columns[i], ix->pairs, &first, &end)) {
            ix->broken = 1;
            continue;
        }
        for (int64_t k = first; k < end; k++) {
            int32_t intent = ix->ti_intents[k];
            if (intent < 0 || intent >= ix->intents) {
                ix->broken = 1;
            } else {
                ix->coverage[intent] += ix->ti_weights[k];
            }
        }
    }
    /* Each intent's best overlap: a maximum, the same in any order (numpy takes it over
     * the candidates sorted, grouped by intent), so the candidates need no sorting. No
     * overlap is NaN: every term weighs 0.1 or more, so a candidate shares a weight. */
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

typedef struct {
    Py_ssize_t first, count; /* its columns: Segments.columns[first:first + count] */
    double known, penalty, near_miss_penalty;
    int short_;
} Segment;

/* A number given as an exact float or int (no Python code runs to read it). */
static int
number(PyObject *obj, double *value)
{
    if (PyFloat_CheckExact(obj)) {
        *value = PyFloat_AS_DOUBLE(obj);
        return 0;
    }
    if (PyLong_CheckExact(obj)) {
        *value = PyLong_AsDouble(obj);
        return *value == -1.0 && PyErr_Occurred() ? -1 : 0;
    }
    PyErr_SetString(PyExc_TypeError, "a segment's weights must be floats");
    return -1;
}

/* Every segment read and checked before any score is touched: a bad one changes
 * nothing. Exact types only, so no Python code runs (and changes the list) meanwhile.
 * ``columns`` gets room for all their columns (free it). */
static Segment *
read_segments(PyObject *list, Py_ssize_t terms, int64_t **columns)
{
    Py_ssize_t n = PyList_GET_SIZE(list), total = 0;
    for (Py_ssize_t s = 0; s < n; s++) {
        PyObject *item = PyList_GET_ITEM(list, s);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 5
            || !PyList_CheckExact(PyTuple_GET_ITEM(item, 0))
            || !PyBool_Check(PyTuple_GET_ITEM(item, 2))) {
            PyErr_SetString(PyExc_TypeError,
                            "a segment is (columns, known_weight, short, penalty, "
                            "near_miss_penalty): a list, three floats and a bool");
            return NULL;
        }
        total += PyList_GET_SIZE(PyTuple_GET_ITEM(item, 0));
    }
    Segment *segments = calloc((size_t)n + 1, sizeof(Segment));
    *columns = malloc(((size_t)total + 1) * sizeof(int64_t));
    if (!segments || !*columns) {
        free(segments);
        free(*columns);
        *columns = NULL;
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t s = 0; s < n; s++) {
        PyObject *item = PyList_GET_ITEM(list, s), *given = PyTuple_GET_ITEM(item, 0);
        Segment *segment = &segments[s];
        segment->first = at;
        segment->count = PyList_GET_SIZE(given);
        segment->short_ = PyTuple_GET_ITEM(item, 2) == Py_True;
        int ok = number(PyTuple_GET_ITEM(item, 1), &segment->known) == 0
                 && number(PyTuple_GET_ITEM(item, 3), &segment->penalty) == 0
                 && number(PyTuple_GET_ITEM(item, 4), &segment->near_miss_penalty) == 0;
        for (Py_ssize_t i = 0; ok && i < segment->count; i++, at++) {
            PyObject *column = PyList_GET_ITEM(given, i);
            long long value = PyLong_CheckExact(column) ? PyLong_AsLongLong(column) : -1;
            if (value < 0 || value >= terms || (i && value <= (*columns)[at - 1])) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ValueError,
                                "a segment's columns must be known terms, ascending");
                ok = 0;
                break;
            }
            (*columns)[at] = value;
        }
        if (!ok) {
            free(segments);
            free(*columns);
            *columns = NULL;
            return NULL;
        }
    }
    return segments;
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
        {8, "qln", 0, "posting starts"}, {4, "i", 0, "posting examples"},
        {8, "d", 0, "posting weights"}, {8, "d", 0, "example totals"},
        {8, "qln", 0, "intent of example"}, {8, "qln", 0, "intent starts"},
        {4, "i", 0, "intents of term"}, {8, "d", 0, "intent weights"},
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
        .postings = arrays[BY_EXAMPLES].view.shape[0], .pairs = arrays[TI_INTENTS].view.shape[0],
    };
    int consistent = arrays[BY_STARTS].view.shape[0] == ix.terms + 1
                     && arrays[TI_STARTS].view.shape[0] == ix.terms + 1
                     && arrays[INTENT_OF].view.shape[0] == ix.examples
                     && arrays[BEST].view.shape[0] == ix.intents
                     && arrays[SUBSTANTIVE].view.shape[0] == ix.intents
                     && arrays[BY_WEIGHTS].view.shape[0] == ix.postings
                     && arrays[TI_WEIGHTS].view.shape[0] == ix.pairs;
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
    ix.pick = malloc(((size_t)ix.terms + 1) * sizeof(int64_t));
    PyObject *result = Py_None;
    if (!ix.mark || !ix.shared || !ix.coverage || !ix.candidates || !ix.pick
        || !ix.seen || !ix.best_overlap || !ix.touched) {
        result = PyErr_NoMemory();
    }
    int64_t *columns = NULL;
    Segment *read = result ? read_segments(segments, ix.terms, &columns) : NULL;
    if (!read) {
        result = NULL;
    }
    for (Py_ssize_t s = 0; read && s < PyList_GET_SIZE(segments); s++) {
        score_segment(&ix, columns + read[s].first, read[s].count, read[s].known,
                      read[s].short_, read[s].penalty, read[s].near_miss_penalty,
                      s == 0 ? ix.best : ix.substantive);
    }
    if (read && ix.broken) {
        PyErr_SetString(PyExc_ValueError, "the index's arrays are not one index's");
        result = NULL;
    }
    free(read);
    free(columns);
    free(ix.mark);
    free(ix.shared);
    free(ix.coverage);
    free(ix.candidates);
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
