/*
 * methods.h: the static method table. One entry per JSON-RPC method with
 * its roles and params, so dispatch, role checks and param checks happen
 * once, in server.c.
 */
#ifndef SHELTERD_METHODS_H
#define SHELTERD_METHODS_H

#include <stdbool.h>

#include <stddef.h>

#include "shelter/model.h"
#include "server.h"

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
	enum own_rule own;
	/* The object param ("request", "shelter") whose fields are named
	 * relative to it in errors; NULL for none. */
	const char *object;
	struct param_spec params[METHOD_MAX_PARAMS + 1];
	method_fn *fn;
};

/* The method called name, or NULL. */
const struct method *method_find(const char *name);

/*
 * The store came up (at start or after a reconnect): reload the shelter
 * table, apply the seed shelters if they are pending, wake the waitlist.
 * ready (may be NULL) runs once the table is loaded and the seed applied;
 * from the first time on, sd.ready is true. main.c calls it from the
 * store's on_up.
 */
void methods_store_up(void (*ready)(void));
/*
 * Set the seed shelters from the config (shelters: file), to be applied with
 * shelter.put semantics now if the store is up, else at the next
 * methods_store_up. Takes ownership of the array (malloc'ed).
 */
void methods_set_seed(struct shelter *shelters, size_t n);
void methods_free(void);

/* Handlers that live outside methods.c. */
method_fn session_auth;        /* server.c */
method_fn session_ping;        /* server.c */
method_fn session_subscribe;   /* events.c */
method_fn session_unsubscribe; /* events.c */

#endif
