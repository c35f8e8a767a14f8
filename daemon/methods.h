/*
 * methods.h: the static method table. One entry per JSON-RPC method with
 * its roles and params, so dispatch, role checks and param checks happen
 * once, in dispatch.c. Adding a method is one row here and its handler.
 */
#ifndef SHELTERD_METHODS_H
#define SHELTERD_METHODS_H

#include <stdbool.h>

#include <stddef.h>

#include "shelter/model.h"

#include "call.h"

typedef void method_fn(struct call *call);

enum ptype {
	PT_STRING, /* a JSON string */
	PT_INT,    /* a JSON integer */
	PT_BOOL,
	PT_OBJECT,
	PT_ARRAY,
};

struct param_spec {
	const char *name; /* NULL ends the list */
	enum ptype type;
	bool required;
};

enum own_rule {
	OWN_NONE,     /* the role check is all */
	OWN_PARAM_ID, /* a shelter role may only name its own shelter as "id" */
	OWN_HANDLER,  /* the handler filters or checks ownership itself */
};

#define METHOD_MAX_PARAMS 6

struct method {
	const char *name;
	unsigned roles;   /* ROLE_x bits allowed */
	bool before_auth; /* callable before session.auth (auth, ping) */
	bool debug;       /* exists only with config debug.clock */
	bool audit; /* a state change: every call goes in the audit trail */
	enum own_rule own;
	/* The object param ("request", "shelter") whose fields are named
	 * relative to it in errors; NULL for none. */
	const char *object;
	struct param_spec params[METHOD_MAX_PARAMS + 1];
	method_fn *fn;
};

/* The method called name, or NULL (also for a debug method while
 * debug.clock is off: it does not exist then). */
const struct method *methods_find(const char *name);

#endif
