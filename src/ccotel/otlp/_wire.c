/* ccotel.otlp._wire: OTLP ExportLogsServiceRequest read straight from protobuf wire bytes.
 *
 * Why: turning upb's Python message objects into rows costs more CPU than everything else
 * ccotel does with a log record; reading the wire here hands Python plain tuples instead.
 *
 * decode_logs(buffer) returns
 *     [(resource attributes, [(scope name, scope version, [record, ...]), ...]), ...]
 * where attributes are lists of (key, value) and a record is the tuple
 *     (time_unix_nano, observed_time_unix_nano, severity_number or None,
 *      severity_text or None, body, attributes, trace_id hex or None, span_id hex or None)
 * and a value is what ccotel.otlp.decode makes of an AnyValue: str, int, float, bool,
 * base64 text for bytes, "nan"/"inf"/"-inf" for a non-finite double, None when unset.
 *
 * Exactness rule: whatever needs protobuf's merge semantics or is rare (a singular field
 * or a oneof given twice, a known field with another wire type, arrays and kvlists, entity
 * references, string indexes, groups, tags or lengths spelled in more bytes than usual)
 * makes it return None, and the caller decodes that request with upb as before. It raises
 * ValueError only where upb fails too: truncated fields, varints over 10 bytes, wire types
 * 6 and 7, invalid UTF-8 in a string field.
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

/* ScopeLogs -> appends (name, version, records) to `list`. */
static int scope_logs(Cache *c, Rd r, PyObject *list) {
    PyObject *name = NULL, *version = NULL, *item;
    PyObject *records = PyList_New(0);
    uint32_t f, seen = 0;
    int rc, wt;
    Rd sub;
    if (records == NULL) return ERR;
    while (r.p < r.end) {
        if ((rc = rd_tag(&r, &f, &wt))) goto fail;
        if (f == 1 || f == 3) ONCE(f);
        rc = FALLBACK;
        if (f == 1 || f == 2) {
            if (wt != 2) goto fail;
            if ((rc = rd_len(&r, &sub))) goto fail;
            if ((rc = f == 1 ? scope(c, sub, &name, &version) : log_record(c, sub, records)))
                goto fail;
        } else if (f == 3) {
            if ((rc = unused_str(c, &r, wt))) goto fail;
        } else if ((rc = skip(&r, wt))) {
            goto fail;
        }
    }
    item = Py_BuildValue("(NNO)", name ? name : Py_NewRef(Py_None),
                         version ? version : Py_NewRef(Py_None), records);
    Py_DECREF(records);
    if (item == NULL) return ERR;
    rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc < 0 ? ERR : OK;
fail:
    Py_XDECREF(name);
    Py_XDECREF(version);
    Py_DECREF(records);
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

/* ResourceLogs -> appends (resource attributes, scopes) to `list`. */
static int resource_logs(Cache *c, Rd r, PyObject *list) {
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
            if ((rc = f == 1 ? resource(c, sub, attrs) : scope_logs(c, sub, scopes))) goto fail;
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

static PyObject *decode_logs(PyObject *module, PyObject *arg) {
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
            if (wt == 2 && (rc = rd_len(&r, &sub)) == OK) rc = resource_logs(&cache, sub, out);
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

/* The fields this module reads or skips knowingly, per message: name -> (number, type as
 * in google.protobuf's FieldDescriptor). Python compares them with the installed
 * descriptors and uses this module only when they agree. */
static PyObject *fields_table(void) {
    return Py_BuildValue(
        "{s{s(ii)}"
        "s{s(ii)s(ii)s(ii)}"
        "s{s(ii)s(ii)s(ii)}"
        "s{s(ii)s(ii)s(ii)}"
        "s{s(ii)s(ii)s(ii)s(ii)}"
        "s{s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)}"
        "s{s(ii)s(ii)s(ii)}"
        "s{s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)s(ii)}}",
        "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest",
        "resource_logs", 1, 11,
        "opentelemetry.proto.logs.v1.ResourceLogs",
        "resource", 1, 11, "scope_logs", 2, 11, "schema_url", 3, 9,
        "opentelemetry.proto.resource.v1.Resource",
        "attributes", 1, 11, "dropped_attributes_count", 2, 13, "entity_refs", 3, 11,
        "opentelemetry.proto.logs.v1.ScopeLogs",
        "scope", 1, 11, "log_records", 2, 11, "schema_url", 3, 9,
        "opentelemetry.proto.common.v1.InstrumentationScope",
        "name", 1, 9, "version", 2, 9, "attributes", 3, 11, "dropped_attributes_count", 4, 13,
        "opentelemetry.proto.logs.v1.LogRecord",
        "time_unix_nano", 1, 6, "severity_number", 2, 14, "severity_text", 3, 9, "body", 5, 11,
        "attributes", 6, 11, "dropped_attributes_count", 7, 13, "flags", 8, 7,
        "trace_id", 9, 12, "span_id", 10, 12, "observed_time_unix_nano", 11, 6,
        "event_name", 12, 9,
        "opentelemetry.proto.common.v1.KeyValue",
        "key", 1, 9, "value", 2, 11, "key_strindex", 3, 5,
        "opentelemetry.proto.common.v1.AnyValue",
        "string_value", 1, 9, "bool_value", 2, 8, "int_value", 3, 3, "double_value", 4, 1,
        "array_value", 5, 11, "kvlist_value", 6, 11, "bytes_value", 7, 12,
        "string_value_strindex", 8, 5);
}

static PyMethodDef methods[] = {
    {"decode_logs", decode_logs, METH_O,
     "ExportLogsServiceRequest bytes -> resources, scopes and records as tuples; None when "
     "the request needs the general (upb) path; ValueError when it is malformed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_wire", "OTLP log exports read from protobuf wire bytes.", -1,
    methods,
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
