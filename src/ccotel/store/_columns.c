/* ccotel.store._columns: a batch's rows (dicts) turned into Arrow's column buffers in one
 * pass, for the writer's table (`store/columns.py`).
 *
 * Why: building an Arrow struct array from dicts (`pyarrow.array(rows, type=...)`) costs
 * the writer more of its interpreter lock than any other step of a commit; here each
 * column is a few buffers laid out as Arrow lays them out, which `pyarrow.Array.from_buffers`
 * wraps without copying.
 *
 * columns(rows, names, kinds) -> list of (null_count, validity or None, offsets or None, data)
 * or None. `kinds` holds one letter per name: 'i' int64 (timestamps too), 'u' uint64,
 * 'd' float64, 'b' bool, 's' UTF-8 string. A row without the name, or with None, is null.
 *
 * Exactness rule: only values whose conversion Arrow makes without judgement are taken here
 * (an exact int in range for 'i'/'u', an exact float, or an int of at most 53 bits, for
 * 'd', True/False for 'b', a str that encodes to UTF-8 for 's'); anything else (another
 * type, a subclass, an int out of range, a lone surrogate, more than 2 GiB of text in one
 * column, a row that is no dict) makes it return None, and the caller builds the table
 * with pyarrow as before, whose answer (or error) stands.
 *
 * Memory: the buffers, sized by the rows; nothing is kept between calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *p;
    Py_ssize_t len, cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t more) {
    if (b->len + more <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more) {
        if (cap > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *p = PyMem_Realloc(b->p, (size_t)cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static PyObject *buf_bytes(Buf *b) {
    return PyBytes_FromStringAndSize(b->len ? b->p : "", b->len);
}

#define MAX_EXACT_DOUBLE_INT (1LL << 53)

typedef struct {
    char kind;
    uint8_t *valid;
    Buf data, offsets;
    Py_ssize_t nulls;
} Col;

/* Row i's value of one column into its buffers: 1 done, 0 fall back (no exception set),
 * -1 error. */
static int put(Col *c, Py_ssize_t i, PyObject *v) {
    if (v == NULL || v == Py_None) {
        c->nulls++;
        v = NULL;
    } else {
        c->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    switch (c->kind) {
    case 'i': {
        int64_t x = 0;
        if (v != NULL) {
            if (!PyLong_CheckExact(v)) return 0;
            int overflow = 0;
            long long y = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow || (y == -1 && PyErr_Occurred())) {
                PyErr_Clear();
                return 0;
            }
            x = (int64_t)y;
        }
        memcpy(c->data.p + c->data.len, &x, 8);
        c->data.len += 8;
        return 1;
    }
    case 'u': {
        uint64_t x = 0;
        if (v != NULL) {
            if (!PyLong_CheckExact(v)) return 0;
            unsigned long long y = PyLong_AsUnsignedLongLong(v);
            if (y == (unsigned long long)-1 && PyErr_Occurred()) {
                PyErr_Clear();  /* negative or too large */
                return 0;
            }
            x = (uint64_t)y;
        }
        memcpy(c->data.p + c->data.len, &x, 8);
        c->data.len += 8;
        return 1;
    }
    case 'd': {
        double x = 0.0;
        if (v != NULL) {
            if (PyFloat_CheckExact(v)) {
                x = PyFloat_AS_DOUBLE(v);
            } else if (PyLong_CheckExact(v)) {
                int overflow = 0;
                long long y = PyLong_AsLongLongAndOverflow(v, &overflow);
                if (overflow || (y == -1 && PyErr_Occurred()) || y > MAX_EXACT_DOUBLE_INT ||
                    y < -MAX_EXACT_DOUBLE_INT) {
                    PyErr_Clear();
                    return 0;
                }
                x = (double)y;
            } else {
                return 0;
            }
        }
        memcpy(c->data.p + c->data.len, &x, 8);
        c->data.len += 8;
        return 1;
    }
    case 'b':
        if (v == Py_True) {
            ((uint8_t *)c->data.p)[i >> 3] |= (uint8_t)(1u << (i & 7));
        } else if (v != NULL && v != Py_False) {
            return 0;
        }
        return 1;
    case 's': {
        if (v != NULL) {
            if (!PyUnicode_CheckExact(v)) return 0;
            Py_ssize_t len;
            const char *s = PyUnicode_AsUTF8AndSize(v, &len);
            if (s == NULL) {  /* a lone surrogate: pyarrow's error to give */
                PyErr_Clear();
                return 0;
            }
            if (c->data.len + len > INT32_MAX) return 0;
            if (buf_reserve(&c->data, len) < 0) return -1;
            memcpy(c->data.p + c->data.len, s, (size_t)len);
            c->data.len += len;
        }
        int32_t end = (int32_t)c->data.len;
        memcpy(c->offsets.p + c->offsets.len, &end, 4);
        c->offsets.len += 4;
        return 1;
    }
    }
    PyErr_Format(PyExc_ValueError, "unknown column kind %c", c->kind);
    return -1;
}

static int col_init(Col *c, char kind, Py_ssize_t n) {
    Py_ssize_t bitmap_len = (n + 7) / 8 + 1;
    c->kind = kind;
    c->valid = PyMem_Calloc((size_t)bitmap_len, 1);
    if (c->valid == NULL) goto nomem;
    if (kind == 'b') {
        if (buf_reserve(&c->data, bitmap_len) < 0) return -1;
        memset(c->data.p, 0, (size_t)bitmap_len);
        c->data.len = (n + 7) / 8;
    } else if (kind == 's') {
        if (buf_reserve(&c->offsets, (n + 1) * 4) < 0) return -1;
        memset(c->offsets.p, 0, 4);
        c->offsets.len = 4;
        if (buf_reserve(&c->data, n * 16) < 0) return -1;
    } else if (kind == 'i' || kind == 'u' || kind == 'd') {
        if (buf_reserve(&c->data, n * 8 + 8) < 0) return -1;
    } else {
        PyErr_Format(PyExc_ValueError, "unknown column kind %c", kind);
        return -1;
    }
    return 0;
nomem:
    PyErr_NoMemory();
    return -1;
}

static PyObject *col_result(Col *c, Py_ssize_t n) {
    PyObject *validity = c->nulls ? PyBytes_FromStringAndSize((char *)c->valid, (n + 7) / 8)
                                  : Py_NewRef(Py_None);
    PyObject *offs = c->kind == 's' ? buf_bytes(&c->offsets) : Py_NewRef(Py_None);
    PyObject *values = buf_bytes(&c->data);
    PyObject *item = NULL;
    if (validity && offs && values) item = Py_BuildValue("(nOOO)", c->nulls, validity, offs, values);
    Py_XDECREF(validity);
    Py_XDECREF(offs);
    Py_XDECREF(values);
    return item;
}

/* Key object address -> column (-1: not a column): open addressing, no deletes. */
#define SLOTS 1024
typedef struct {
    PyObject *key;
    Py_ssize_t col;
} Slot;

/* The column of key `k`, -1 when none, -2 to fall back (a key that is not an exact str)
 * or on error (exception set). */
static Py_ssize_t column_of(Slot *slots, PyObject *index, PyObject *k) {
    size_t h = ((uintptr_t)k >> 4) & (SLOTS - 1);
    for (int probe = 0; probe < 16; probe++, h = (h + 1) & (SLOTS - 1)) {
        if (slots[h].key == k) return slots[h].col;
        if (slots[h].key == NULL) break;
    }
    if (!PyUnicode_CheckExact(k)) return -2;
    PyObject *num = PyDict_GetItemWithError(index, k);
    if (num == NULL && PyErr_Occurred()) return -2;
    Py_ssize_t col = num == NULL ? -1 : PyLong_AsSsize_t(num);
    /* Remember it where the probe stopped, if free: the row holds a reference to `k` for
     * the whole call, so its address is not reused meanwhile. */
    if (slots[h].key == NULL) {
        slots[h].key = k;
        slots[h].col = col;
    }
    return col;
}

static PyObject *columns(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_Check(args[0]) || !PyTuple_Check(args[1]) ||
        !PyBytes_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "columns(rows: list, names: tuple, kinds: bytes)");
        return NULL;
    }
    PyObject *rows = args[0], *names = args[1], *out = NULL;
    const char *kinds = PyBytes_AS_STRING(args[2]);
    Py_ssize_t ncols = PyTuple_GET_SIZE(names);
    if (PyBytes_GET_SIZE(args[2]) != ncols) {
        PyErr_SetString(PyExc_ValueError, "one kind per name");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(rows);
    Col *cols = PyMem_Calloc((size_t)(ncols ? ncols : 1), sizeof(Col));
    if (cols == NULL) return PyErr_NoMemory();
    int rc = 1;
    for (Py_ssize_t c = 0; c < ncols && rc > 0; c++) {
        if (col_init(&cols[c], kinds[c], n) < 0) rc = -1;
    }
    /* Row by row, each row's items once: a key's column is found by the key object's
     * address (rows share their key objects), else through `index`, and remembered. */
    PyObject *index = PyDict_New();
    Py_ssize_t *seen = PyMem_Calloc((size_t)(ncols ? ncols : 1), sizeof(Py_ssize_t));
    Slot slots[SLOTS];
    memset(slots, 0, sizeof slots);
    if (index == NULL || seen == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        rc = -1;
    }
    for (Py_ssize_t c = 0; c < ncols && rc > 0; c++) {
        PyObject *num = PyLong_FromSsize_t(c);
        if (num == NULL || PyDict_SetItem(index, PyTuple_GET_ITEM(names, c), num) < 0) rc = -1;
        Py_XDECREF(num);
    }
    for (Py_ssize_t i = 0; i < n && rc > 0; i++) {
        PyObject *row = PyList_GET_ITEM(rows, i), *k, *v;
        if (!PyDict_CheckExact(row)) {
            rc = 0;
            break;
        }
        Py_ssize_t pos = 0;
        while (rc > 0 && PyDict_Next(row, &pos, &k, &v)) {
            Py_ssize_t c = column_of(slots, index, k);
            if (c == -2) rc = PyErr_Occurred() ? -1 : 0;
            else if (c >= 0) {
                rc = put(&cols[c], i, v);
                seen[c] = i + 1;
            }
        }
        for (Py_ssize_t c = 0; c < ncols && rc > 0; c++) {
            if (seen[c] != i + 1) rc = put(&cols[c], i, NULL);
        }
    }
    Py_XDECREF(index);
    PyMem_Free(seen);
    if (rc > 0) {
        out = PyList_New(ncols);
        for (Py_ssize_t c = 0; out != NULL && c < ncols; c++) {
            PyObject *item = col_result(&cols[c], n);
            if (item == NULL) Py_CLEAR(out);
            else PyList_SET_ITEM(out, c, item);
        }
    } else if (rc == 0) {
        out = Py_NewRef(Py_None);
    }
    for (Py_ssize_t c = 0; c < ncols; c++) {
        PyMem_Free(cols[c].valid);
        PyMem_Free(cols[c].data.p);
        PyMem_Free(cols[c].offsets.p);
    }
    PyMem_Free(cols);
    return out;
}

static PyMethodDef methods[] = {
    {"columns", (PyCFunction)(void (*)(void))columns, METH_FASTCALL,
     "columns(rows, names, kinds) -> [(null_count, validity, offsets, data), ...] in "
     "Arrow's layout, or None when pyarrow must build them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_columns", "A batch's rows as Arrow column buffers.",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__columns(void) { return PyModule_Create(&module); }
