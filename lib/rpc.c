/*
 * rpc.c: the JSON-RPC 2.0 envelope codec.
 *
 * A line is first scanned by a small structure scanner (rpc_scan.c: depth,
 * and the path of a duplicate key or of a number out of range), then
 * parsed by Jansson, then the envelope is checked in the order
 * docs/protocol.md gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shelter/rpc.h"

static bool
rpc_valid_id(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

/* The id of an object message when it is valid, as a new reference. */
static json_t *
rpc_peek_id(const json_t *root)
{
	json_t *id = json_object_get(root, "id");

	return rpc_valid_id(id) ? json_incref(id) : NULL;
}

static int
rpc_check_envelope(struct rpc_msg *msg, json_t **id_out, struct sh_error *err)
{
	json_t *root = msg->root, *v;
	const char *key;

	v = json_object_get(root, "id");
	if (v != NULL && !rpc_valid_id(v))
		return sh_error_set(err, SH_INVALID_REQUEST, "bad_envelope",
		    NULL, "id must be a string or an integer");
	*id_out = v != NULL ? json_incref(v) : NULL;
	v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		return sh_error_set(err, SH_INVALID_REQUEST, "bad_envelope",
		    NULL, "jsonrpc must be \"2.0\"");
	v = json_object_get(root, "method");
	if (!json_is_string(v))
		return sh_error_set(err, SH_INVALID_REQUEST, "bad_envelope",
		    NULL, "method must be a string");
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "method") != 0 && strcmp(key, "params") != 0)
			return sh_error_set(err, SH_INVALID_REQUEST,
			    "bad_envelope", NULL,
			    "unknown envelope member (allowed: jsonrpc, id, "
			    "method, params)");
	}
	return 0;
}

/* Jansson's text ends with "near 'PEER BYTES'": keep only the reason. */
static void
rpc_clean_jansson_text(char *text)
{
	char *p;

	if ((p = strstr(text, " near ")) != NULL)
		*p = '\0';
	if ((p = strstr(text, " without JSON_ALLOW_NUL")) != NULL)
		*p = '\0';
}

/*
 * Parse one line: see rpc.h. A params member that is not an object is let
 * through with params_invalid set (it is a params error, reported after the
 * method, auth and role checks).
 */
int
rpc_parse(const char *line, size_t len, struct rpc_msg *msg, json_t **id_out,
    struct sh_error *err)
{
	json_error_t jerr;
	json_t *params;
	char dup[sizeof msg->bad_field], range[sizeof msg->bad_field];
	char *mended = NULL;
	const char *text = line;
	size_t flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES;
	bool has_dup = false, dup_seen = false;
	int depth;

	memset(msg, 0, sizeof *msg);
	*id_out = NULL;
	dup[0] = '\0';
	depth = rpc_scan(line, len, NULL, 0, NULL);
	if (depth > RPC_MAX_DEPTH)
		return sh_error_set(err, SH_PARSE_ERROR, "too_deep", NULL,
		    "nesting deeper than %d", RPC_MAX_DEPTH);
	if (depth < 0)
		return sh_error_set(
		    err, SH_PARSE_ERROR, "invalid_json", NULL, "invalid JSON");
	/* A duplicate key or a number out of range is valid JSON: find where,
	 * then take the message as it is (with such numbers as 0). */
	while ((msg->root = json_loadb(text, len, flags, &jerr)) == NULL) {
		if (json_error_code(&jerr) == json_error_numeric_overflow &&
		    mended == NULL &&
		    (mended = rpc_mend_numbers(
		         line, len, range, sizeof range)) != NULL) {
			text = mended;
		} else if (json_error_code(&jerr) == json_error_duplicate_key &&
		    (flags & JSON_REJECT_DUPLICATES)) {
			dup_seen = true;
			if (rpc_scan(text, len, dup, sizeof dup, &has_dup) < 0)
				has_dup = false;
			flags &= ~(size_t)JSON_REJECT_DUPLICATES;
		} else {
			break;
		}
	}
	free(mended);
	if (msg->root == NULL) {
		rpc_clean_jansson_text(jerr.text);
		return sh_error_set(err, SH_PARSE_ERROR, "invalid_json", NULL,
		    "invalid JSON at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
	}
	if (json_is_array(msg->root))
		goto fail_batch;
	if (!json_is_object(msg->root)) {
		sh_error_set(err, SH_INVALID_REQUEST, "not_an_object", NULL,
		    "a request must be a JSON object");
		goto fail;
	}
	if (has_dup && strncmp(dup, "params.", 7) == 0) {
		msg->bad_reason = "duplicate_key";
		snprintf(msg->bad_field, sizeof msg->bad_field, "%s", dup + 7);
	} else if (dup_seen) {
		/* In the envelope itself (or where the scanner could not
		 * tell): never last-wins. */
		*id_out =
		    strcmp(dup, "id") == 0 ? NULL : rpc_peek_id(msg->root);
		/* Without an id member it is a notification: invalid
		 * params, like a duplicate inside params, and unanswered. */
		msg->notification = has_dup && strcmp(dup, "id") != 0 &&
		    json_object_get(msg->root, "id") == NULL;
		sh_error_set(err, SH_INVALID_PARAMS, "duplicate_key",
		    has_dup ? dup : NULL, "duplicate key");
		goto fail;
	}
	if (mended != NULL && strcmp(range, "id") == 0) {
		sh_error_set(err, SH_INVALID_REQUEST, "bad_envelope", NULL,
		    "id must be a string or an integer of at most 64 bits");
		goto fail;
	}
	if (mended != NULL && msg->bad_reason == NULL &&
	    strncmp(range, "params.", 7) == 0) {
		msg->bad_reason = "invalid_field";
		snprintf(
		    msg->bad_field, sizeof msg->bad_field, "%s", range + 7);
	}
	if (rpc_check_envelope(msg, id_out, err) == -1)
		goto fail;
	msg->id = json_object_get(msg->root, "id");
	msg->method = json_string_value(json_object_get(msg->root, "method"));
	params = json_object_get(msg->root, "params");
	if (params == NULL) {
		params = json_object();
		if (params == NULL ||
		    json_object_set_new(msg->root, "params", params) == -1) {
			sh_error_set(err, SH_INTERNAL, "internal", NULL,
			    "out of memory");
			goto fail;
		}
	} else if (!json_is_object(params)) {
		msg->params_invalid = true;
	}
	msg->params = params;
	json_decref(*id_out);
	*id_out = NULL;
	return 0;

fail_batch:
	sh_error_set(err, SH_INVALID_REQUEST, "batch_unsupported", NULL,
	    "batch requests are not supported");
fail:
	json_decref(msg->root);
	msg->root = NULL;
	return -1;
}

/* Release what rpc_parse built; msg may be zeroed. */
void
rpc_msg_free(struct rpc_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof *msg);
}

static json_t *
rpc_envelope(json_t *id)
{
	json_t *m = json_object();

	if (m == NULL)
		return NULL;
	if (json_object_set_new(m, "jsonrpc", json_string("2.0")) == -1 ||
	    json_object_set(m, "id", id != NULL ? id : json_null()) == -1) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Build a success response: see rpc.h. NULL on ENOMEM (result freed). */
json_t *
rpc_result(json_t *id, json_t *result)
{
	json_t *m = rpc_envelope(id);

	if (m == NULL || result == NULL ||
	    json_object_set_new(m, "result", result) == -1) {
		if (m == NULL)
			json_decref(result);
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Write a response: see rpc.h. */
size_t
rpc_reply_dump(const struct rpc_reply *r, char *buf, size_t size)
{
	/* rpc_envelope's members in its order, then the result. */
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	static const char mid[] = ",\"result\":";
	const size_t hl = sizeof head - 1, ml = sizeof mid - 1;
	size_t nid, total;
	char none[1];

	if (r->msg != NULL)
		return json_dumpb(r->msg, buf, size, RPC_DUMP_FLAGS);
	if (r->text == NULL || r->len == 0)
		return 0;
	nid = json_dumpb(r->id != NULL ? r->id : json_null(),
	    size > hl ? buf + hl : none, size > hl ? size - hl : 0,
	    RPC_DUMP_FLAGS | JSON_ENCODE_ANY);
	if (nid == 0)
		return 0;
	total = hl + nid + ml + r->len + 1;
	if (total <= size) {
		memcpy(buf, head, hl);
		memcpy(buf + hl + nid, mid, ml);
		memcpy(buf + hl + nid + ml, r->text, r->len);
		buf[total - 1] = '}';
	}
	return total;
}

/* A JSON string of s, dropping what is not valid UTF-8 (a truncated
 * message may end inside a sequence). */
static json_t *
rpc_string(const char *s)
{
	json_t *j = json_string(s);
	char buf[512];
	size_t i, n = 0;

	if (j != NULL)
		return j;
	for (i = 0; s[i] != '\0' && n + 1 < sizeof buf; i++) {
		if ((unsigned char)s[i] < 0x80)
			buf[n++] = s[i];
	}
	buf[n] = '\0';
	return json_string(buf);
}

/* Build an error response: see rpc.h. NULL on ENOMEM. */
json_t *
rpc_error(json_t *id, const struct sh_error *err)
{
	json_t *m = rpc_envelope(id), *e = json_object(), *data = json_object();

	if (m == NULL || e == NULL || data == NULL)
		goto fail;
	if (json_object_set_new(data, "reason", rpc_string(err->reason)) == -1)
		goto fail;
	if (err->field[0] != '\0' &&
	    json_object_set_new(data, "field", rpc_string(err->field)) == -1)
		goto fail;
	/* Every invalid params error lists its problems (call_error_all
	 * replaces this one-entry list when there are more). */
	if (err->code == SH_INVALID_PARAMS &&
	    json_object_set_new(data, "errors",
	        json_pack("[{s:o, s:o, s:o}]", "field", rpc_string(err->field),
	            "reason", rpc_string(err->reason), "message",
	            rpc_string(err->message))) == -1)
		goto fail;
	if (json_object_set_new(e, "code", json_integer(err->code)) == -1 ||
	    json_object_set_new(e, "message", rpc_string(err->message)) == -1 ||
	    json_object_set_new(e, "data", data) == -1) {
		data = NULL;
		goto fail;
	}
	data = NULL;
	if (json_object_set_new(m, "error", e) == -1) {
		e = NULL;
		goto fail;
	}
	return m;
fail:
	json_decref(m);
	json_decref(e);
	json_decref(data);
	return NULL;
}

/* Build a notification: see rpc.h. NULL on ENOMEM (params freed). */
json_t *
rpc_notification(const char *method, json_t *params)
{
	json_t *m = json_object();

	if (m == NULL || params == NULL ||
	    json_object_set_new(m, "jsonrpc", json_string("2.0")) == -1 ||
	    json_object_set_new(m, "method", json_string(method)) == -1) {
		json_decref(m);
		json_decref(params);
		return NULL;
	}
	if (json_object_set_new(m, "params", params) == -1) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Serialise msg as one line: see rpc.h. NULL on ENOMEM. */
char *
rpc_dump_line(const json_t *msg, size_t *len)
{
	char *s = json_dumps(msg, RPC_DUMP_FLAGS), *line;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}
