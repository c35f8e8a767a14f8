/*
 * rpc.h: the JSON-RPC 2.0 envelope codec (docs/protocol.md "Transport and
 * framing", "Envelope").
 */
#ifndef SHELTER_RPC_H
#define SHELTER_RPC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "shelter/error.h"

#define RPC_MAX_DEPTH 32

/* How messages are written: compact, and reals with 15 significant digits
 * so that 87.5 and 41.67 go out as written, not as 41.670000000000002. */
#define RPC_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct rpc_msg {
	json_t *root;       /* owned */
	json_t *id;         /* borrowed from root; NULL: notification */
	const char *method; /* borrowed from root */
	json_t *params;     /* borrowed; an empty object when absent (owned by
	                       root then too) */
	/* A duplicate key inside params, or a number Jansson cannot hold (an
	 * integer beyond 64 bits, a real beyond double), found by the scanner:
	 * bad_reason "duplicate_key" or "invalid_field" (NULL: none), its path
	 * relative to params ("request.person.age"), reported at the params
	 * check. Such a number reads as 0 in params meanwhile. */
	const char *bad_reason;
	char bad_field[128];
	/* On -1 too: the message was an object without an id member whose
	 * only fault is a duplicate key in the envelope (not of id): a
	 * notification with invalid params, which is never answered. */
	bool notification;
	/* params is present but not an object (null included): -32602
	 * invalid_field "params", reported at the params check. params then
	 * points at that value. */
	bool params_invalid;
};

/*
 * Parse one line (without its terminator) into msg. Returns 0, or -1 with
 * err filled: -32700 invalid_json / too_deep, -32600 batch_unsupported /
 * not_an_object / bad_envelope (an id beyond 64 bits included), -32602
 * duplicate_key (a duplicate in the envelope itself). On -1, *id_out is the
 * request id when it could be read (a new reference the caller releases),
 * else NULL, and msg->notification says not to answer. Duplicate keys and
 * numbers out of range inside params do not fail here: see bad_reason.
 */
int rpc_parse(const char *line, size_t len, struct rpc_msg *msg,
    json_t **id_out, struct sh_error *err);
void rpc_msg_free(struct rpc_msg *msg);

/*
 * Scan JSON text without building it: returns the maximum nesting depth
 * (outermost object or array = 1), or -1 when the text is not well formed
 * enough to scan. When a duplicate key is found, the first one's dotted path
 * is written to dup (e.g. "params.request.person.age", array members by
 * index) and *has_dup set.
 */
int rpc_scan(
    const char *text, size_t len, char *dup, size_t duplen, bool *has_dup);
/*
 * A copy of line[0..len) with every number Jansson refuses as out of range
 * (an integer beyond 64 bits, a real beyond double) written over with 0
 * and spaces, the first one's dotted path into path; NULL when there is
 * none (or on ENOMEM). The caller frees it.
 */
char *rpc_mend_numbers(
    const char *line, size_t len, char *path, size_t pathlen);

/* {"jsonrpc":"2.0","id":ID,"result":RESULT}; steals result, borrows id
 * (NULL: id null). */
json_t *rpc_result(json_t *id, json_t *result);

/*
 * A response as a transport writes it: a whole message (msg), or, with msg
 * NULL, the success envelope of id around a result that is already JSON
 * text (text, len: a JSON object, written as it is, never decoded).
 */
struct rpc_reply {
	const json_t *msg;
	const json_t *id; /* NULL: id null */
	const char *text;
	size_t len;
};

/*
 * Write r as rpc_result's message would be written (RPC_DUMP_FLAGS; with
 * text: {"jsonrpc":"2.0","id":ID,"result":TEXT}) into buf of size bytes,
 * without a newline or NUL. Returns the length of the whole response, or 0
 * on failure; buf holds it only when that is <= size (call again with a
 * larger buf).
 */
size_t rpc_reply_dump(const struct rpc_reply *r, char *buf, size_t size);

/* {"jsonrpc":"2.0","id":ID,"error":{code, message, data:{reason, field?}}} */
json_t *rpc_error(json_t *id, const struct sh_error *err);

/* A notification {"jsonrpc":"2.0","method":M,"params":P}; steals params. */
json_t *rpc_notification(const char *method, json_t *params);

/* Serialise compactly plus "\n" into a new malloc'ed buffer; *len set. */
char *rpc_dump_line(const json_t *msg, size_t *len);

#endif
