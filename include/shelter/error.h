/*
 * error.h: the one error type of libshelter and shelterd.
 *
 * Every fallible function returns 0 / -1 (or a pointer / NULL) and fills a
 * struct sh_error. The fields map one to one onto a JSON-RPC error:
 * code -> error.code, reason -> error.data.reason, field -> error.data.field,
 * message -> error.message ("person.age: must be an integer from 0 to 120").
 */
#ifndef SHELTER_ERROR_H
#define SHELTER_ERROR_H

#define SH_PARSE_ERROR      -32700
#define SH_INVALID_REQUEST  -32600
#define SH_METHOD_NOT_FOUND -32601
#define SH_INVALID_PARAMS   -32602
#define SH_INTERNAL         -32603
#define SH_UNAUTHENTICATED  -32001
#define SH_FORBIDDEN        -32003
#define SH_NOT_FOUND        -32004
#define SH_CONFLICT         -32009
#define SH_UNAVAILABLE      -32010
#define SH_RATE_LIMITED     -32029

struct sh_error {
	int code;
	char reason[32];
	char field[128];   /* dotted path, "" when no field applies */
	char message[256]; /* one sentence that names the field or object */
};

/*
 * Fill err (if not NULL) and return -1. field may be NULL or "". When field
 * is set the message is "FIELD: " followed by the formatted text.
 */
int sh_error_set(struct sh_error *err, int code, const char *reason,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Every problem one validation found, in the order found: v[0] is the
 * one a single error names (data.field / data.reason), all of them are
 * data.errors. Problems beyond SH_ERRORS_MAX are counted in dropped.
 */
#define SH_ERRORS_MAX 16
struct sh_errors {
	struct sh_error v[SH_ERRORS_MAX];
	size_t n;
	size_t dropped;
};

/* Append a copy of err to all. */
void sh_errors_add(struct sh_errors *all, const struct sh_error *err);

/*
 * Problems of several objects, as many as they have (request.submit_batch:
 * each request's sh_errors in turn). sh_error_list_add appends a copy of
 * err: 0, or -1 when out of memory (the list is kept as it was).
 */
struct sh_error_list {
	struct sh_error *v;
	size_t n, cap;
};
int sh_error_list_add(struct sh_error_list *l, const struct sh_error *err);
void sh_error_list_free(struct sh_error_list *l);

/* Prefix err->field with "PREFIX." (or set it to PREFIX when empty;
 * "." is the object's own empty key and becomes "PREFIX.") and rebuild
 * the message to name the new path. */
void sh_error_prefix(struct sh_error *err, const char *prefix);

/* Name the object of every problem in all at the validated object itself
 * (field ".", an empty key at its top): "." becomes "OBJECT." (e.g.
 * "request."), as an empty key deeper in is named "person.". */
void sh_errors_name_object(struct sh_errors *all, const char *object);

#endif
