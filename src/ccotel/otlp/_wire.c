/* ccotel.otlp._wire: OTLP log and metric exports read straight from protobuf wire bytes.
 *
 * Why: turning upb's Python message objects into rows costs more CPU than everything else
 * ccotel does with a record; reading the wire here hands Python plain tuples instead.
 *
 * decode_logs(buffer) returns
 *     [(resource attributes, [(scope name, scope version, [record, ...]), ...]), ...]
 * where attributes are lists of (key, value) and a record is the tuple
 *     (time_unix_nano, observed_time_unix_nano, severity_number or None,
 *      severity_text or None, body, attributes, trace_id hex or None, span_id hex or None)
 * and a value is what ccotel.otlp.decode makes of an AnyValue: str, int, float, bool,
 * base64 text for bytes, "nan"/"inf"/"-inf" for a non-finite double, None when unset.
 * decode_metrics(buffer) returns the same with metrics for records:
 *     (name, description or None, unit or None, "sum" | "gauge" | None, temporality or None,
 *      is_monotonic (None for a gauge), [(start, time, attributes, value or None), ...])
 *
 * Exactness rule: whatever needs protobuf's merge semantics or is rare (a singular field
 * or a oneof given twice, a known field with another wire type, arrays and kvlists, entity
 * references, string indexes, exemplars, histograms and summaries, groups, tags or lengths
 * spelled in more bytes than usual) makes it return None, and the caller decodes that
 * request with upb as before. It raises ValueError only where upb fails too: truncated
 * fields, varints over 10 bytes, wire types 6 and 7, invalid UTF-8 in a string field.
 *
 * Hostile input: every read is checked against the end of its enclosing field; nesting is
 * fixed by the message types (no recursion: arrays and kvlists go to upb); memory is Python
 * objects for what the input holds, no more.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *p, *end;
} Rd;

enum { OK = 0, ERR = -1, FALLBACK = 1 };

/* Short strings (attribute keys, session ids, model names) repeat from record to record:
 * one object each per call, its hash computed once. */
#define CACHE_SIZE 512
#define CACHE_MAX_LEN 64
typedef struct {
    PyObject *s[CACHE_SIZE];
} Cache;

static int bad(const char *msg) {
    PyErr_SetString(PyExc_ValueError, msg);
    return ERR;
}

static int rd_varint(Rd *r, uint64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end) return bad("truncated varint");
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return OK;
        }
    }
    return bad("varint longer than 10 bytes");
}

static int rd_tag(Rd *r, uint32_t *field, int *wt) {
    const uint8_t *start = r->p;
    uint64_t v;
    int rc = rd_varint(r, &v);
    if (rc) return rc;
    if (r->p - start > 5 || v > 0xffffffffu || (v >> 3) == 0) return FALLBACK;
    *field = (uint32_t)(v >> 3);
    *wt = (int)(v & 7);
    if (*wt == 6 || *wt == 7) return bad("invalid wire type");
    if (*wt == 3 || *wt == 4) return FALLBACK; /* groups: upb's to judge */
    return OK;
}

static int rd_len(Rd *r, Rd *sub) {
    const uint8_t *start = r->p;
    uint64_t n;
    int rc = rd_varint(r, &n);
    if (rc) return rc;
    if (r->p - start > 5) return FALLBACK;
    if (n > (uint64_t)(r->end - r->p)) return bad("truncated length-delimited field");
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return OK;
}

static int rd_fixed64(Rd *r, uint64_t *out) {
    if (r->end - r->p < 8) return bad("truncated fixed64");
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | r->p[i];
    r->p += 8;
    *out = v;
    return OK;
}

static int skip(Rd *r, int wt) {
    uint64_t v;
    Rd sub;
    switch (wt) {
    case 0:
        return rd_varint(r, &v);
    case 1:
        return rd_fixed64(r, &v);
    case 2:
        return rd_len(r, &sub);
    case 5:
        if (r->end - r->p < 4) return bad("truncated fixed32");
        r->p += 4;
        return OK;
    }
    return FALLBACK;
}

static PyObject *mkstr(Cache *c, const uint8_t *p, Py_ssize_t n) {
    if (n == 0 || n > CACHE_MAX_LEN) return PyUnicode_DecodeUTF8((const char *)p, n, NULL);
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    h = (h ^ (h >> 15)) & (CACHE_SIZE - 1);
    PyObject *e = c->s[h];
    if (e != NULL) {
        Py_ssize_t len;
        const char *u = PyUnicode_AsUTF8AndSize(e, &len);
        if (u == NULL) return NULL;
        if (len == n && memcmp(u, p, (size_t)n) == 0) return Py_NewRef(e);
    }
    PyObject *s = PyUnicode_DecodeUTF8((const char *)p, n, NULL);
    if (s == NULL) return NULL;
    Py_XSETREF(c->s[h], Py_NewRef(s));
    return s;
}

/* A string field: its text, or None when empty and `none_if_empty`. */
static int str_field(Cache *c, Rd *r, int wt, PyObject **slot, int none_if_empty) {
    Rd sub;
    int rc;
    if (wt != 2) return FALLBACK;
    if ((rc = rd_len(r, &sub))) return rc;
    PyObject *s;
    if (none_if_empty && sub.p == sub.end)
        s = Py_NewRef(Py_None);
    else if ((s = mkstr(c, sub.p, sub.end - sub.p)) == NULL)
        return ERR;
    Py_XSETREF(*slot, s);
    return OK;
}

/* A string field ccotel does not keep, checked as upb checks it. */
static int unused_str(Cache *c, Rd *r, int wt) {
    PyObject *s = NULL;
    int rc = str_field(c, r, wt, &s, 1);
    Py_XDECREF(s);
    return rc;
}

static PyObject *hex_or_none(Rd sub) {
    Py_ssize_t n = sub.end - sub.p;
    if (n == 0) Py_RETURN_NONE;
    static const char digits[] = "0123456789abcdef";
    PyObject *s = PyUnicode_New(2 * n, 127);
    if (s == NULL) return NULL;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        d[2 * i] = (Py_UCS1)digits[sub.p[i] >> 4];
        d[2 * i + 1] = (Py_UCS1)digits[sub.p[i] & 15];
    }
    return s;
}

static PyObject *base64_text(Rd sub) {
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    Py_ssize_t n = sub.end - sub.p;
    PyObject *s = PyUnicode_New(4 * ((n + 2) / 3), 127);
    if (s == NULL) return NULL;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(s);
    const uint8_t *p = sub.p;
    Py_ssize_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        *d++ = (Py_UCS1)abc[v >> 18];
        *d++ = (Py_UCS1)abc[(v >> 12) & 63];
        *d++ = (Py_UCS1)abc[(v >> 6) & 63];
        *d++ = (Py_UCS1)abc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        *d++ = (Py_UCS1)abc[v >> 18];
        *d++ = (Py_UCS1)abc[(v >> 12) & 63];
        *d++ = i + 1 < n ? (Py_UCS1)abc[(v >> 6) & 63] : '=';
        *d++ = '=';
    }
    return s;
}

static PyObject *double_value(uint64_t bits) {
    double x;
    memcpy(&x, &bits, sizeof x);
    if (isnan(x)) return PyUnicode_FromString("nan");
    if (isinf(x)) return PyUnicode_FromString(x > 0 ? "inf" : "-inf");
    return PyFloat_FromDouble(x);
}

/* AnyValue -> a new reference to its value (None when unset). */
static int any_value(Cache *c, Rd r, PyObject **out) {
    PyObject *val = NULL;
    int rc, wt;
    uint32_t f;
    uint64_t v;
    Rd sub;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f < 1 || f > 8) {
            if ((rc = skip(&r, wt))) goto fail;
            continue;
        }
        rc = FALLBACK; /* a oneof set twice, arrays, kvlists, string indexes */
        if (val != NULL || f == 5 || f == 6 || f == 8) goto fail;
        switch (f) {
        case 1:
            if ((rc = str_field(c, &r, wt, &val, 0))) goto fail;
            break;
        case 2:
        case 3:
            if (wt != 0) goto fail;
            if ((rc = rd_varint(&r, &v))) goto fail;
            val = f == 2 ? PyBool_FromLong(v != 0) : PyLong_FromLongLong((long long)(int64_t)v);
            break;
        case 4:
            if (wt != 1) goto fail;
            if ((rc = rd_fixed64(&r, &v))) goto fail;
            val = double_value(v);
            break;
        case 7:
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            val = base64_text(sub);
            break;
        }
        if (val == NULL) return ERR;
    }
    *out = val != NULL ? val : Py_NewRef(Py_None);
    return OK;
fail:
    Py_XDECREF(val);
    return rc;
}

/* KeyValue -> appends (key, value) to `list`. */
static int key_value(Cache *c, Rd r, PyObject *list) {
    PyObject *key = NULL, *val = NULL, *pair;
    uint32_t f, seen = 0;
    int rc, wt;
    Rd sub;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f == 1 || f == 2 || f == 3) {
            rc = FALLBACK;
            if (seen & (1u << f)) goto fail;
            seen |= 1u << f;
        }
        if (f == 1) {
            if ((rc = str_field(c, &r, wt, &key, 0))) goto fail;
        } else if (f == 2) {
            rc = FALLBACK;
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            if ((rc = any_value(c, sub, &val))) goto fail;
        } else if (f == 3) { /* key_strindex: not read by ccotel */
            rc = FALLBACK;
            if (wt != 0) goto fail;
            if ((rc = skip(&r, wt))) goto fail;
        } else if ((rc = skip(&r, wt))) {
            goto fail;
        }
    }
    if (key == NULL && (key = PyUnicode_New(0, 0)) == NULL) goto error;
    if (val == NULL) val = Py_NewRef(Py_None);
    if ((pair = PyTuple_New(2)) == NULL) goto error;
    PyTuple_SET_ITEM(pair, 0, key);
    PyTuple_SET_ITEM(pair, 1, val);
    /* Text, numbers and None only: no cycle can pass through it, so the collector need not
     * visit it (CPython untracks such tuples itself, at its next collection). */
    PyObject_GC_UnTrack(pair);
    rc = PyList_Append(list, pair);
    Py_DECREF(pair);
    return rc < 0 ? ERR : OK;
error:
    rc = ERR;
fail:
    Py_XDECREF(key);
    Py_XDECREF(val);
    return rc;
}

/* A repeated KeyValue field (one element) appended to `list`. */
static int attribute(Cache *c, Rd *r, int wt, PyObject *list) {
    Rd sub;
    int rc;
    if (wt != 2) return FALLBACK;
    if ((rc = rd_len(r, &sub))) return rc;
    return key_value(c, sub, list);
}

#define ONCE(bit)                      \
    do {                               \
        rc = FALLBACK;                 \
        if (seen & (1u << (bit))) goto fail; \
        seen |= 1u << (bit);           \
    } while (0)

/* LogRecord -> appends its tuple to `list`. */
static int log_record(Cache *c, Rd r, PyObject *list) {
    uint64_t t = 0, observed = 0, v;
    int64_t sev = 0;
    PyObject *sev_text = NULL, *body = NULL, *trace = NULL, *span = NULL, *rec;
    PyObject *attrs = PyList_New(0);
    uint32_t f, seen = 0;
    int rc, wt;
    Rd sub;
    if (attrs == NULL) return ERR;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f >= 1 && f <= 12 && f != 6 && f != 4) ONCE(f);
        rc = FALLBACK;
        switch (f) {
        case 1: /* time_unix_nano */
        case 11: /* observed_time_unix_nano */
            if (wt != 1) goto fail;
            if ((rc = rd_fixed64(&r, f == 1 ? &t : &observed))) goto fail;
            break;
        case 2: /* severity_number: an open enum, int32 */
            if (wt != 0) goto fail;
            if ((rc = rd_varint(&r, &v))) goto fail;
            sev = (int32_t)(uint32_t)v;
            break;
        case 3:
            if ((rc = str_field(c, &r, wt, &sev_text, 1))) goto fail;
            break;
        case 5: /* body */
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            if ((rc = any_value(c, sub, &body))) goto fail;
            break;
        case 6:
            if ((rc = attribute(c, &r, wt, attrs))) goto fail;
            break;
        case 7: /* dropped_attributes_count */
            if (wt != 0) goto fail;
            if ((rc = skip(&r, wt))) goto fail;
            break;
        case 8: /* flags */
            if (wt != 5) goto fail;
            if ((rc = skip(&r, wt))) goto fail;
            break;
        case 9:
        case 10:
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            if ((f == 9 ? (trace = hex_or_none(sub)) : (span = hex_or_none(sub))) == NULL) {
                rc = ERR;
                goto fail;
            }
            break;
        case 12: /* event_name: not read by ccotel (event.name or the body name events) */
            if ((rc = unused_str(c, &r, wt))) goto fail;
            break;
        default:
            if ((rc = skip(&r, wt))) goto fail;
        }
    }
    rc = ERR;
    rec = Py_BuildValue("(KKNNNONN)", (unsigned long long)t, (unsigned long long)observed,
                        sev ? PyLong_FromLongLong(sev) : Py_NewRef(Py_None),
                        sev_text ? sev_text : Py_NewRef(Py_None),
                        body ? body : Py_NewRef(Py_None), attrs,
                        trace ? trace : Py_NewRef(Py_None), span ? span : Py_NewRef(Py_None));
    Py_DECREF(attrs); /* "N" stole the rest, also when building failed */
    if (rec == NULL) return ERR;
    rc = PyList_Append(list, rec);
    Py_DECREF(rec);
    return rc < 0 ? ERR : OK;
fail:
    Py_XDECREF(sev_text);
    Py_XDECREF(body);
    Py_XDECREF(trace);
    Py_XDECREF(span);
    Py_DECREF(attrs);
    return rc;
}

/* InstrumentationScope -> its name and version (None when empty); attributes checked. */
static int scope(Cache *c, Rd r, PyObject **name, PyObject **version) {
    uint32_t f, seen = 0;
    int rc, wt;
    PyObject *unused = PyList_New(0);
    if (unused == NULL) return ERR;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f == 1 || f == 2 || f == 4) ONCE(f);
        if (f == 1 || f == 2) {
            if ((rc = str_field(c, &r, wt, f == 1 ? name : version, 1))) goto fail;
        } else if (f == 3) {
            if ((rc = attribute(c, &r, wt, unused))) goto fail;
        } else if (f == 4 && wt != 0) {
            rc = FALLBACK;
            goto fail;
        } else if ((rc = skip(&r, wt))) {
            goto fail;
        }
    }
    rc = OK;
fail:
    Py_DECREF(unused);
    return rc;
}

/* NumberDataPoint -> appends (start, time, attributes, value) to `list`: the value a float
 * (an integer's too), None when unset or not finite. */
static int number_point(Cache *c, Rd r, PyObject *list) {
    uint64_t start = 0, t = 0, v;
    double value = 0;
    int has_value = 0, rc, wt;
    uint32_t f, seen = 0;
    PyObject *item, *attrs = PyList_New(0);
    if (attrs == NULL) return ERR;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f == 2 || f == 3 || f == 8) ONCE(f);
        rc = FALLBACK;
        switch (f) {
        case 2: /* start_time_unix_nano */
        case 3: /* time_unix_nano */
            if (wt != 1) goto fail;
            if ((rc = rd_fixed64(&r, f == 2 ? &start : &t))) goto fail;
            break;
        case 4: /* as_double */
        case 6: /* as_int, sfixed64 */
            if (wt != 1 || has_value) goto fail; /* the value oneof set twice */
            if ((rc = rd_fixed64(&r, &v))) goto fail;
            if (f == 4)
                memcpy(&value, &v, sizeof value);
            else
                value = (double)(int64_t)v;
            has_value = 1;
            break;
        case 5: /* exemplars: rare, upb's to check */
            goto fail;
        case 7:
            if ((rc = attribute(c, &r, wt, attrs))) goto fail;
            break;
        case 8: /* flags */
            if (wt != 0) goto fail;
            if ((rc = skip(&r, wt))) goto fail;
            break;
        default:
            if ((rc = skip(&r, wt))) goto fail;
        }
    }
    item = Py_BuildValue("(KKON)", (unsigned long long)start, (unsigned long long)t, attrs,
                         has_value && isfinite(value) ? PyFloat_FromDouble(value)
                                                      : Py_NewRef(Py_None));
    Py_DECREF(attrs);
    if (item == NULL) return ERR;
    rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc < 0 ? ERR : OK;
fail:
    Py_DECREF(attrs);
    return rc;
}

/* Sum or Gauge -> its points appended to `points`; a sum's temporality and monotonicity. */
static int number_data(Cache *c, Rd r, PyObject *points, int is_sum, int32_t *temporality,
                       int *monotonic) {
    uint32_t f, seen = 0;
    int rc, wt;
    uint64_t v;
    Rd sub;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) return rc;
        if (f == 1) {
            if (wt != 2) return FALLBACK;
            if ((rc = rd_len(&r, &sub)) || (rc = number_point(c, sub, points))) return rc;
        } else if (is_sum && (f == 2 || f == 3)) {
            ONCE(f);
            if (wt != 0) return FALLBACK;
            if ((rc = rd_varint(&r, &v))) return rc;
            if (f == 2)
                *temporality = (int32_t)(uint32_t)v;
            else
                *monotonic = v != 0;
        } else if ((rc = skip(&r, wt))) {
            return rc;
        }
    }
    return OK;
fail:
    return rc;
}

/* Metric -> appends (name, description or None, unit or None, kind ("sum", "gauge", None
 * without data), temporality or None, is_monotonic (None for a gauge), points). Histograms
 * and summaries go to upb. */
static int metric(Cache *c, Rd r, PyObject *list) {
    PyObject *name = NULL, *description = NULL, *unit = NULL, *item;
    PyObject *points = PyList_New(0), *unused = PyList_New(0);
    const char *kind = NULL;
    int32_t temporality = 0;
    int monotonic = 0, rc, wt;
    uint32_t f, seen = 0;
    Rd sub;
    if (points == NULL || unused == NULL) {
        rc = ERR;
        goto fail;
    }
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f >= 1 && f <= 3) ONCE(f);
        rc = FALLBACK;
        if (f >= 1 && f <= 3) {
            if ((rc = str_field(c, &r, wt, f == 1 ? &name : f == 2 ? &description : &unit,
                                f != 1)))
                goto fail;
        } else if (f == 5 || f == 7) {
            if (wt != 2 || kind != NULL) goto fail; /* the data oneof set twice: merged */
            kind = f == 7 ? "sum" : "gauge";
            if ((rc = rd_len(&r, &sub)) ||
                (rc = number_data(c, sub, points, f == 7, &temporality, &monotonic)))
                goto fail;
        } else if (f == 9 || f == 10 || f == 11) {
            goto fail;
        } else if (f == 12) { /* metadata: not read by ccotel */
            if ((rc = attribute(c, &r, wt, unused))) goto fail;
        } else if ((rc = skip(&r, wt))) {
            goto fail;
        }
    }
    rc = ERR;
    if (name == NULL && (name = PyUnicode_New(0, 0)) == NULL) goto fail;
    item = Py_BuildValue(
        "(NNNNNNO)", name, description ? description : Py_NewRef(Py_None),
        unit ? unit : Py_NewRef(Py_None),
        kind ? PyUnicode_InternFromString(kind) : Py_NewRef(Py_None),
        temporality ? PyLong_FromLong(temporality) : Py_NewRef(Py_None),
        kind == NULL || kind[0] == 'g' ? Py_NewRef(Py_None) : PyBool_FromLong(monotonic),
        points);
    name = description = unit = NULL; /* stolen, also when building failed */
    if (item != NULL) {
        rc = PyList_Append(list, item) < 0 ? ERR : OK;
        Py_DECREF(item);
    }
fail:
    Py_XDECREF(name);
    Py_XDECREF(description);
    Py_XDECREF(unit);
    Py_XDECREF(points);
    Py_XDECREF(unused);
    return rc;
}

typedef int (*ItemFn)(Cache *, Rd, PyObject *);

/* ScopeLogs or ScopeMetrics -> appends (name, version, items) to `list`. */
static int scope_items(Cache *c, Rd r, PyObject *list, ItemFn read_item) {
    PyObject *name = NULL, *version = NULL, *item;
    PyObject *items = PyList_New(0);
    uint32_t f, seen = 0;
    int rc, wt;
    Rd sub;
    if (items == NULL) return ERR;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f == 1 || f == 3) ONCE(f);
        rc = FALLBACK;
        if (f == 1 || f == 2) {
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            if ((rc = f == 1 ? scope(c, sub, &name, &version) : read_item(c, sub, items)))
                goto fail;
        } else if (f == 3) {
            if ((rc = unused_str(c, &r, wt))) goto fail;
        } else if ((rc = skip(&r, wt))) {
            goto fail;
        }
    }
    item = Py_BuildValue("(NNO)", name ? name : Py_NewRef(Py_None),
                         version ? version : Py_NewRef(Py_None), items);
    Py_DECREF(items);
    if (item == NULL) return ERR;
    rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc < 0 ? ERR : OK;
fail:
    Py_XDECREF(name);
    Py_XDECREF(version);
    Py_DECREF(items);
    return rc;
}

/* Resource -> its attributes appended to `attrs`. */
static int resource(Cache *c, Rd r, PyObject *attrs) {
    uint32_t f, seen = 0;
    int rc, wt;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) return rc;
        if (f == 1) {
            if ((rc = attribute(c, &r, wt, attrs))) return rc;
        } else if (f == 2) { /* dropped_attributes_count */
            ONCE(f);
            if (wt != 0) return FALLBACK;
            if ((rc = skip(&r, wt))) return rc;
        } else if (f == 3) { /* entity_refs: rare, upb's to check */
            return FALLBACK;
        } else if ((rc = skip(&r, wt))) {
            return rc;
        }
    }
    return OK;
fail:
    return rc;
}

/* ResourceLogs or ResourceMetrics -> appends (resource attributes, scopes) to `list`. */
static int resource_items(Cache *c, Rd r, PyObject *list, ItemFn read_item) {
    PyObject *attrs = PyList_New(0), *scopes = PyList_New(0), *item;
    uint32_t f, seen = 0;
    int rc, wt;
    Rd sub;
    if (attrs == NULL || scopes == NULL) {
        rc = ERR;
        goto fail;
    }
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f == 1 || f == 3) ONCE(f);
        rc = FALLBACK;
        if (f == 1 || f == 2) {
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            if ((rc = f == 1 ? resource(c, sub, attrs) : scope_items(c, sub, scopes, read_item)))
                goto fail;
        } else if (f == 3) {
            if ((rc = unused_str(c, &r, wt))) goto fail;
        } else if ((rc = skip(&r, wt))) {
            goto fail;
        }
    }
    rc = ERR;
    item = PyTuple_Pack(2, attrs, scopes);
    if (item != NULL) {
        rc = PyList_Append(list, item) < 0 ? ERR : OK;
        Py_DECREF(item);
    }
fail:
    Py_XDECREF(attrs);
    Py_XDECREF(scopes);
    return rc;
}

/* An Export*ServiceRequest (field 1: its resources) -> list, None for upb, or NULL. */
static PyObject *decode(PyObject *arg, ItemFn read_item) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    Cache cache;
    memset(&cache, 0, sizeof cache);
    Rd r = {(const uint8_t *)view.buf, (const uint8_t *)view.buf + view.len}, sub;
    PyObject *out = PyList_New(0);
    uint32_t f;
    int rc = out == NULL ? ERR : OK, wt;
    while (rc == OK && r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) break;
        if (f == 1) {
            rc = FALLBACK;
            if (wt == 2 && (rc = rd_len(&r, &sub)) == OK)
                rc = resource_items(&cache, sub, out, read_item);
        } else {
            rc = skip(&r, wt);
        }
    }
    for (int i = 0; i < CACHE_SIZE; i++) Py_XDECREF(cache.s[i]);
    PyBuffer_Release(&view);
    if (rc == OK) return out;
    Py_XDECREF(out);
    if (rc == ERR) return NULL;
    Py_RETURN_NONE;
}

static PyObject *decode_logs(PyObject *Py_UNUSED(module), PyObject *arg) {
    return decode(arg, log_record);
}

static PyObject *decode_metrics(PyObject *Py_UNUSED(module), PyObject *arg) {
    return decode(arg, metric);
}

/* The fields this module reads or skips knowingly, per message: (message, field, number,
 * type as in google.protobuf's FieldDescriptor). Python compares them with the installed
 * descriptors and uses this module only when they agree. */
static const struct {
    const char *message, *field;
    int number, type;
} FIELD_ROWS[] = {
    {"collector.logs.v1.ExportLogsServiceRequest", "resource_logs", 1, 11},
    {"logs.v1.ResourceLogs", "resource", 1, 11},
    {"logs.v1.ResourceLogs", "scope_logs", 2, 11},
    {"logs.v1.ResourceLogs", "schema_url", 3, 9},
    {"logs.v1.ScopeLogs", "scope", 1, 11},
    {"logs.v1.ScopeLogs", "log_records", 2, 11},
    {"logs.v1.ScopeLogs", "schema_url", 3, 9},
    {"logs.v1.LogRecord", "time_unix_nano", 1, 6},
    {"logs.v1.LogRecord", "severity_number", 2, 14},
    {"logs.v1.LogRecord", "severity_text", 3, 9},
    {"logs.v1.LogRecord", "body", 5, 11},
    {"logs.v1.LogRecord", "attributes", 6, 11},
    {"logs.v1.LogRecord", "dropped_attributes_count", 7, 13},
    {"logs.v1.LogRecord", "flags", 8, 7},
    {"logs.v1.LogRecord", "trace_id", 9, 12},
    {"logs.v1.LogRecord", "span_id", 10, 12},
    {"logs.v1.LogRecord", "observed_time_unix_nano", 11, 6},
    {"logs.v1.LogRecord", "event_name", 12, 9},
    {"collector.metrics.v1.ExportMetricsServiceRequest", "resource_metrics", 1, 11},
    {"metrics.v1.ResourceMetrics", "resource", 1, 11},
    {"metrics.v1.ResourceMetrics", "scope_metrics", 2, 11},
    {"metrics.v1.ResourceMetrics", "schema_url", 3, 9},
    {"metrics.v1.ScopeMetrics", "scope", 1, 11},
    {"metrics.v1.ScopeMetrics", "metrics", 2, 11},
    {"metrics.v1.ScopeMetrics", "schema_url", 3, 9},
    {"metrics.v1.Metric", "name", 1, 9},
    {"metrics.v1.Metric", "description", 2, 9},
    {"metrics.v1.Metric", "unit", 3, 9},
    {"metrics.v1.Metric", "gauge", 5, 11},
    {"metrics.v1.Metric", "sum", 7, 11},
    {"metrics.v1.Metric", "histogram", 9, 11},
    {"metrics.v1.Metric", "exponential_histogram", 10, 11},
    {"metrics.v1.Metric", "summary", 11, 11},
    {"metrics.v1.Metric", "metadata", 12, 11},
    {"metrics.v1.Gauge", "data_points", 1, 11},
    {"metrics.v1.Sum", "data_points", 1, 11},
    {"metrics.v1.Sum", "aggregation_temporality", 2, 14},
    {"metrics.v1.Sum", "is_monotonic", 3, 8},
    {"metrics.v1.NumberDataPoint", "start_time_unix_nano", 2, 6},
    {"metrics.v1.NumberDataPoint", "time_unix_nano", 3, 6},
    {"metrics.v1.NumberDataPoint", "as_double", 4, 1},
    {"metrics.v1.NumberDataPoint", "exemplars", 5, 11},
    {"metrics.v1.NumberDataPoint", "as_int", 6, 16},
    {"metrics.v1.NumberDataPoint", "attributes", 7, 11},
    {"metrics.v1.NumberDataPoint", "flags", 8, 13},
    {"resource.v1.Resource", "attributes", 1, 11},
    {"resource.v1.Resource", "dropped_attributes_count", 2, 13},
    {"resource.v1.Resource", "entity_refs", 3, 11},
    {"common.v1.InstrumentationScope", "name", 1, 9},
    {"common.v1.InstrumentationScope", "version", 2, 9},
    {"common.v1.InstrumentationScope", "attributes", 3, 11},
    {"common.v1.InstrumentationScope", "dropped_attributes_count", 4, 13},
    {"common.v1.KeyValue", "key", 1, 9},
    {"common.v1.KeyValue", "value", 2, 11},
    {"common.v1.KeyValue", "key_strindex", 3, 5},
    {"common.v1.AnyValue", "string_value", 1, 9},
    {"common.v1.AnyValue", "bool_value", 2, 8},
    {"common.v1.AnyValue", "int_value", 3, 3},
    {"common.v1.AnyValue", "double_value", 4, 1},
    {"common.v1.AnyValue", "array_value", 5, 11},
    {"common.v1.AnyValue", "kvlist_value", 6, 11},
    {"common.v1.AnyValue", "bytes_value", 7, 12},
    {"common.v1.AnyValue", "string_value_strindex", 8, 5},
};

/* {"opentelemetry.proto.<message>": {field: (number, type)}} */
static PyObject *fields_table(void) {
    PyObject *out = PyDict_New(), *fields, *entry;
    if (out == NULL) return NULL;
    for (size_t i = 0; i < sizeof FIELD_ROWS / sizeof FIELD_ROWS[0]; i++) {
        PyObject *name = PyUnicode_FromFormat("opentelemetry.proto.%s", FIELD_ROWS[i].message);
        if (name == NULL) goto fail;
        fields = PyDict_GetItemWithError(out, name); /* borrowed */
        if (fields == NULL && !PyErr_Occurred() && (fields = PyDict_New()) != NULL) {
            if (PyDict_SetItem(out, name, fields) < 0) fields = NULL;
            Py_XDECREF(fields); /* the dict holds it */
        }
        Py_DECREF(name);
        if (fields == NULL) goto fail;
        entry = Py_BuildValue("(ii)", FIELD_ROWS[i].number, FIELD_ROWS[i].type);
        if (entry == NULL || PyDict_SetItemString(fields, FIELD_ROWS[i].field, entry) < 0) {
            Py_XDECREF(entry);
            goto fail;
        }
        Py_DECREF(entry);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* split_pairs(pairs, specs, row) -> extra: ccotel.otlp.decode._py_split_pairs, step for
 * step (that function is the definition; tests/otlp/test_wire.py holds the two equal).
 * `pairs` is a list of (key, value) tuples; `specs` maps a key to its column's name (a text
 * column) or to (coercer, kept type, column, column type, bounds): the coercer is not called
 * on a value of the type it returns unchanged. Hot values go into `row`, the rest into the
 * dict returned. */
/* What the coercer that keeps `keep` (int or float: catalogue.KEEPS) makes of `val` when
 * that is plain decimal digits, the form Claude Code sends string-typed numbers in: for
 * int, an optional '-' and up to 18 digits; for float, up to 15 digits (exact in a double,
 * never -0.0). NULL without an exception for anything else: the coercer decides. */
static PyObject *digits(PyObject *val, PyObject *keep) {
    int as_int = keep == (PyObject *)&PyLong_Type;
    if (!PyUnicode_CheckExact(val) || !PyUnicode_IS_ASCII(val)
        || (!as_int && keep != (PyObject *)&PyFloat_Type))
        return NULL;
    const char *p = (const char *)PyUnicode_DATA(val);
    Py_ssize_t n = PyUnicode_GET_LENGTH(val), i = 0;
    int negative = as_int && n > 0 && p[0] == '-';
    i = negative;
    if (n - i < 1 || n - i > (as_int ? 18 : 15)) return NULL;
    long long v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return NULL;
        v = v * 10 + (p[i] - '0');
    }
    return as_int ? PyLong_FromLongLong(negative ? -v : v) : PyFloat_FromDouble((double)v);
}

static int split_one(PyObject *key, PyObject *val, PyObject *specs, PyObject *row,
                     PyObject *extra) {
    PyObject *spec = PyDict_GetItemWithError(specs, key); /* borrowed */
    int rc, in_row;
    if (spec == NULL) {
        if (PyErr_Occurred()) return -1;
        return PyDict_SetItem(extra, key, val);
    }
    if (PyUnicode_Check(spec)) { /* a text column, taken as sent */
        if (!PyUnicode_CheckExact(val)) return PyDict_SetItem(extra, key, val);
        if ((in_row = PyDict_Contains(row, spec)) < 0) return -1;
        return PyDict_SetItem(in_row ? extra : row, in_row ? key : spec, val);
    }
    if (!PyTuple_CheckExact(spec) || PyTuple_GET_SIZE(spec) != 5) {
        PyErr_SetString(PyExc_TypeError, "split_pairs: a spec is a str or a 5-tuple");
        return -1;
    }
    PyObject *fn = PyTuple_GET_ITEM(spec, 0), *keep = PyTuple_GET_ITEM(spec, 1),
             *col = PyTuple_GET_ITEM(spec, 2), *typ = PyTuple_GET_ITEM(spec, 3),
             *bounds = PyTuple_GET_ITEM(spec, 4);
    Py_INCREF(val);
    if (fn != Py_None && (PyObject *)Py_TYPE(val) != keep) {
        PyObject *typed = digits(val, keep);
        if (typed == NULL && !PyErr_Occurred()) typed = PyObject_CallOneArg(fn, val);
        Py_DECREF(val);
        if (typed == NULL) return -1;
        val = typed;
    }
    int to_extra = col == Py_None || (PyObject *)Py_TYPE(val) != typ;
    if (!to_extra) {
        if ((in_row = PyDict_Contains(row, col)) < 0) goto error;
        to_extra = in_row;
    }
    if (!to_extra && bounds != Py_None) { /* not lo <= val <= hi (NaN included) */
        if (!PyTuple_CheckExact(bounds) || PyTuple_GET_SIZE(bounds) != 2) {
            PyErr_SetString(PyExc_TypeError, "split_pairs: bounds are a 2-tuple");
            goto error;
        }
        int ok = PyObject_RichCompareBool(PyTuple_GET_ITEM(bounds, 0), val, Py_LE);
        if (ok > 0) ok = PyObject_RichCompareBool(val, PyTuple_GET_ITEM(bounds, 1), Py_LE);
        if (ok < 0) goto error;
        to_extra = !ok;
    }
    rc = PyDict_SetItem(to_extra ? extra : row, to_extra ? key : col, val);
    Py_DECREF(val);
    return rc;
error:
    Py_DECREF(val);
    return -1;
}

static PyObject *split_pairs(PyObject *Py_UNUSED(module), PyObject *const *args,
                             Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_CheckExact(args[0]) || !PyDict_CheckExact(args[1])
        || !PyDict_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "split_pairs(list, dict, dict)");
        return NULL;
    }
    PyObject *pairs = args[0], *extra = PyDict_New();
    if (extra == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pairs); i++) {
        PyObject *pair = PyList_GET_ITEM(pairs, i);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "split_pairs: pairs are (key, value) tuples");
            goto error;
        }
        /* The pair keeps its key and value alive even if a coercer changes the list. */
        Py_INCREF(pair);
        int rc = split_one(PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1), args[1],
                           args[2], extra);
        Py_DECREF(pair);
        if (rc < 0) goto error;
    }
    return extra;
error:
    Py_DECREF(extra);
    return NULL;
}

static PyMethodDef methods[] = {
    {"decode_logs", decode_logs, METH_O,
     "ExportLogsServiceRequest bytes -> resources, scopes and records as tuples; None when "
     "the request needs the general (upb) path; ValueError when it is malformed."},
    {"decode_metrics", decode_metrics, METH_O,
     "ExportMetricsServiceRequest bytes -> resources, scopes, metrics and their sum or gauge "
     "points as tuples; None when the request needs the general (upb) path; ValueError "
     "when it is malformed."},
    {"split_pairs", (PyCFunction)(void (*)(void))split_pairs, METH_FASTCALL,
     "split_pairs(pairs, specs, row) -> extra: ccotel.otlp.decode._py_split_pairs in C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_wire", "OTLP log and metric exports read from protobuf wire bytes.",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__wire(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    PyObject *fields = fields_table();
    if (fields == NULL || PyModule_AddObject(m, "FIELDS", fields) < 0) {
        Py_XDECREF(fields);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
