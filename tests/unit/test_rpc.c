/* test_rpc.c: the JSON-RPC envelope codec (lib/rpc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/rpc.h"

/* Parse s; expect failure with code and reason; return the echoed id as a
 * dumped string ("null" when none) in idbuf, and the field in err. */
static void
expect_fail(const char *s, int code, const char *reason, const char *id,
    const char *field)
{
	struct rpc_msg msg;
	struct sh_error err = {0};
	json_t *idv = NULL;
	char *d;

	assert_int_equal(rpc_parse(s, strlen(s), &msg, &idv, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(err.reason, reason);
	assert_null(msg.root);
	if (idv == NULL) {
		assert_string_equal(id, "null");
	} else {
		d = json_dumps(idv, JSON_ENCODE_ANY | JSON_COMPACT);
		assert_non_null(d);
		assert_string_equal(d, id);
		free(d);
		json_decref(idv);
	}
	assert_string_equal(err.field, field);
}

static void
test_parse_ok(void **state)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"m.x\","
	                "\"params\":{\"a\":1}}";
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;

	assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
	assert_null(id);
	assert_string_equal(msg.method, "m.x");
	assert_int_equal(json_integer_value(msg.id), 7);
	assert_int_equal(
	    json_integer_value(json_object_get(msg.params, "a")), 1);
	assert_null(msg.bad_reason);
	assert_false(msg.params_invalid);
	rpc_msg_free(&msg);
}

static void
test_parse_notification_no_params(void **state)
{
	const char *s = " {\"method\":\"session.ping\",\"jsonrpc\":\"2.0\"} ";
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;

	assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
	assert_null(msg.id);
	assert_true(json_is_object(msg.params));
	assert_int_equal(json_object_size(msg.params), 0);
	rpc_msg_free(&msg);
}

static void
test_parse_string_id(void **state)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":\"a-1\",\"method\":\"x\"}";
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;

	assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
	assert_string_equal(json_string_value(msg.id), "a-1");
	rpc_msg_free(&msg);
}

static void
test_parse_errors(void **state)
{
	expect_fail(
	    "{\"jsonrpc\":", SH_PARSE_ERROR, "invalid_json", "null", "");
	expect_fail("nope", SH_PARSE_ERROR, "invalid_json", "null", "");
	/* Trailing bytes after a complete object. */
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"} x",
	    SH_PARSE_ERROR, "invalid_json", "null", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}{}",
	    SH_PARSE_ERROR, "invalid_json", "null", "");
	/* \u0000 in a string. */
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\\u0000b\"}",
	    SH_PARSE_ERROR, "invalid_json", "null", "");
	/* Raw NUL bytes, outside and inside a string. */
	{
		static const char nul1[] = "abc\0def";
		static const char nul2[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
		                           "\"method\":\"a\0b\"}";
		struct rpc_msg msg;
		struct sh_error err;
		json_t *id;

		assert_int_equal(
		    rpc_parse(nul1, sizeof nul1 - 1, &msg, &id, &err), -1);
		assert_string_equal(err.reason, "invalid_json");
		assert_int_equal(
		    rpc_parse(nul2, sizeof nul2 - 1, &msg, &id, &err), -1);
		assert_string_equal(err.reason, "invalid_json");
		assert_null(id);
	}
	/* Invalid UTF-8. */
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}",
	    SH_PARSE_ERROR, "invalid_json", "null", "");
}

static void
test_depth(void **state)
{
	char buf[512];
	size_t n = 0;
	int i;

	/* 32 levels: params at depth 2 plus 30 more. */
	n += snprintf(buf + n, sizeof buf - n,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":");
	for (i = 0; i < 30; i++)
		n += snprintf(buf + n, sizeof buf - n, "{\"a\":");
	n += snprintf(buf + n, sizeof buf - n, "{}");
	for (i = 0; i < 31; i++)
		buf[n++] = '}';
	buf[n] = '\0';
	assert_int_equal(rpc_scan(buf, n, NULL, 0, NULL), 32);
	{
		struct rpc_msg msg;
		struct sh_error err;
		json_t *id;

		assert_int_equal(rpc_parse(buf, n, &msg, &id, &err), 0);
		rpc_msg_free(&msg);
	}
	/* One more level is too deep, with id null. */
	n = 0;
	n += snprintf(buf + n, sizeof buf - n,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":");
	for (i = 0; i < 31; i++)
		n += snprintf(buf + n, sizeof buf - n, "{\"a\":");
	n += snprintf(buf + n, sizeof buf - n, "[]");
	for (i = 0; i < 32; i++)
		buf[n++] = '}';
	buf[n] = '\0';
	expect_fail(buf, SH_PARSE_ERROR, "too_deep", "null", "");
}

static void
test_very_deep(void **state)
{
	size_t n = 100000, i;
	char *buf = malloc(n + 1);

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = '[';
	buf[n] = '\0';
	expect_fail(buf, SH_PARSE_ERROR, "too_deep", "null", "");
	free(buf);
}

static void
test_scan_strings(void **state)
{
	/* Brackets and escaped quotes inside strings are not structure. */
	const char *s = "{\"a\":\"}]\\\"{[\",\"b\":[1,\"\\\\\"]}";
	bool has_dup;
	char dup[64];

	assert_int_equal(rpc_scan(s, strlen(s), dup, sizeof dup, &has_dup), 2);
	assert_false(has_dup);
	assert_int_equal(rpc_scan("{\"a\":[}", 7, NULL, 0, NULL), -1);
	/* NUL bytes are text to skip, not an end (this used to spin). */
	assert_int_equal(rpc_scan("abc\0def", 7, NULL, 0, NULL), 0);
	assert_int_equal(rpc_scan("{\"a\":1\0}", 8, NULL, 0, NULL), 1);
	assert_int_equal(rpc_scan("{\"a", 3, NULL, 0, NULL), -1);
}

static void
test_scan_dup_path(void **state)
{
	const char *s = "{\"params\":{\"request\":{\"children\":[{\"age\":1},"
	                "{\"age\":2,\"age\":3}]}}}";
	const char *s2 = "{\"a\":{\"x\":1},\"b\":{\"x\":1,\"y\":{}},\"b\":2}";
	bool has_dup;
	char dup[128];

	assert_int_equal(rpc_scan(s, strlen(s), dup, sizeof dup, &has_dup), 5);
	assert_true(has_dup);
	assert_string_equal(dup, "params.request.children.1.age");
	/* Keys of closed objects do not count; the first duplicate wins. */
	assert_int_equal(
	    rpc_scan(s2, strlen(s2), dup, sizeof dup, &has_dup), 3);
	assert_true(has_dup);
	assert_string_equal(dup, "b");
}

static void
test_dup_in_params(void **state)
{
	const char *s =
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"r\","
	    "\"params\":{\"request\":{\"person\":{\"age\":1,\"age\":2}}}}";
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;

	assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
	assert_string_equal(msg.bad_reason, "duplicate_key");
	assert_string_equal(msg.bad_field, "request.person.age");
	assert_int_equal(json_integer_value(msg.id), 3);
	rpc_msg_free(&msg);
}

/* A key spelled with escapes is the same key: its path is found, in the
 * decoded form, inside params and in the envelope. */
static void
test_dup_spelled_with_escapes(void **state)
{
	const char *s = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"r\","
	                "\"params\":{\"request\":{\"person\":{\"age\":1,"
	                "\"\\u0061ge\":2}},\"n\\u00e9\":[{\"x\\/y\":1,"
	                "\"x/y\":2}]}}";
	const char *t = "{\"p\":{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}}";
	char dup[64];
	bool has_dup;
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;

	assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
	assert_string_equal(msg.bad_reason, "duplicate_key");
	assert_string_equal(msg.bad_field, "request.person.age");
	rpc_msg_free(&msg);
	assert_int_equal(rpc_scan(t, strlen(t), dup, sizeof dup, &has_dup), 2);
	assert_true(has_dup);
	assert_string_equal(dup, "p.\xf0\x9f\x98\x80");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"a\","
	            "\"m\\u0065thod\":\"b\"}",
	    SH_INVALID_PARAMS, "duplicate_key", "4", "method");
}

/* A number Jansson cannot hold is valid JSON: the params check names it
 * (the id is kept); the rest of the message reads, the number as 0. */
static void
test_number_out_of_range_in_params(void **state)
{
	static const struct {
		const char *params, *field;
	} cases[] = {
	    {"{\"request\":{\"person\":{\"age\":99999999999999999999}}}",
	        "request.person.age"},
	    {"{\"request\":{\"children\":[{\"age\":3},{\"age\":-1e400}]}}",
	        "request.children.1.age"},
	    {"{\"a\":[1,2,1E999],\"b\":1e400}", "a.2"},
	    {"{\"a\":{\"x\":1},\"b\":{\"a\":1,\"a\":2,\"c\":1e999}}", "b.c"},
	};
	char s[256];
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(s, sizeof s,
		    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"r\","
		    "\"params\":%s}",
		    cases[i].params);
		assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
		assert_string_equal(
		    msg.bad_reason, i == 3 ? "duplicate_key" : "invalid_field");
		assert_string_equal(
		    msg.bad_field, i == 3 ? "b.a" : cases[i].field);
		assert_int_equal(json_integer_value(msg.id), 9);
		rpc_msg_free(&msg);
	}
	/* Within range, at the edges: nothing to report. */
	snprintf(s, sizeof s,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"r\",\"params\":"
	    "{\"a\":9223372036854775807,\"b\":-9223372036854775808,"
	    "\"c\":1e-400,\"d\":1.7e308}}");
	assert_int_equal(rpc_parse(s, strlen(s), &msg, &id, &err), 0);
	assert_null(msg.bad_reason);
	rpc_msg_free(&msg);
}

/* An id beyond 64 bits is no id: bad_envelope with id null. Elsewhere in
 * the envelope the checks as for any other wrong value. */
static void
test_number_out_of_range_in_envelope(void **state)
{
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901,"
	            "\"method\":\"a\"}",
	    SH_INVALID_REQUEST, "bad_envelope", "null", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":1e999}",
	    SH_INVALID_REQUEST, "bad_envelope", "5", "");
	expect_fail("1e999", SH_INVALID_REQUEST, "not_an_object", "null", "");
	/* Where no key holds it (not JSON past the number): invalid JSON, as
	 * it was (the fuzzer's first find here crashed the path). */
	expect_fail("{99999999999999999999:1}", SH_PARSE_ERROR, "invalid_json",
	    "null", "");
	expect_fail(
	    "{\"a\":{[1e400]}}", SH_PARSE_ERROR, "invalid_json", "null", "");
	/* Not a number that overflows: still invalid JSON. */
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":1e999x}",
	    SH_PARSE_ERROR, "invalid_json", "null", "");
}

static void
test_dup_in_envelope(void **state)
{
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"a\","
	            "\"method\":\"b\"}",
	    SH_INVALID_PARAMS, "duplicate_key", "4", "method");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":4,\"id\":5,\"method\":\"a\"}",
	    SH_INVALID_PARAMS, "duplicate_key", "null", "id");
}

/* Without an id member such a message is a notification: not answered.
 * With one, or when the duplicate is the id, it is answered. */
static void
test_dup_in_envelope_of_a_notification(void **state)
{
	static const struct {
		const char *s;
		bool notification;
	} cases[] = {
	    {"{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"method\":\"a\"}", true},
	    {"{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"method\":\"a\"}",
	        true},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"method\":\"a\"}",
	        false},
	    {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"a\",\"method\":"
	     "\"a\"}",
	        false},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"method\":\"a\"}", false},
	};
	struct rpc_msg msg;
	struct sh_error err;
	json_t *id;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(
		    rpc_parse(cases[i].s, strlen(cases[i].s), &msg, &id, &err),
		    -1);
		assert_string_equal(err.reason, "duplicate_key");
		assert_int_equal(msg.notification, cases[i].notification);
		json_decref(id);
	}
}

static void
test_envelope_errors(void **state)
{
	expect_fail("[]", SH_INVALID_REQUEST, "batch_unsupported", "null", "");
	expect_fail("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}]",
	    SH_INVALID_REQUEST, "batch_unsupported", "null", "");
	expect_fail("42", SH_INVALID_REQUEST, "not_an_object", "null", "");
	expect_fail("\"x\"", SH_INVALID_REQUEST, "not_an_object", "null", "");
	expect_fail("null", SH_INVALID_REQUEST, "not_an_object", "null", "");
	/* id neither string nor integer: id null. */
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}",
	    SH_INVALID_REQUEST, "bad_envelope", "null", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\"}",
	    SH_INVALID_REQUEST, "bad_envelope", "null", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"x\"}",
	    SH_INVALID_REQUEST, "bad_envelope", "null", "");
	/* Other envelope errors echo a readable id. */
	expect_fail("{\"jsonrpc\":\"1.0\",\"id\":9,\"method\":\"x\"}",
	    SH_INVALID_REQUEST, "bad_envelope", "9", "");
	expect_fail("{\"id\":\"q\",\"method\":\"x\"}", SH_INVALID_REQUEST,
	    "bad_envelope", "\"q\"", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":5}",
	    SH_INVALID_REQUEST, "bad_envelope", "9", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":9}", SH_INVALID_REQUEST,
	    "bad_envelope", "9", "");
	expect_fail("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"x\",\"x\":1}",
	    SH_INVALID_REQUEST, "bad_envelope", "9", "");
}

static void
test_params_invalid(void **state)
{
	const char *v[] = {"null", "[]", "1", "\"a\""};
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct rpc_msg msg;
		struct sh_error err;
		json_t *id;

		snprintf(buf, sizeof buf,
		    "{\"jsonrpc\":\"2.0\",\"id\":1,"
		    "\"method\":\"x\",\"params\":%s}",
		    v[i]);
		assert_int_equal(
		    rpc_parse(buf, strlen(buf), &msg, &id, &err), 0);
		assert_true(msg.params_invalid);
		rpc_msg_free(&msg);
	}
}

static void
test_build(void **state)
{
	struct sh_error err;
	json_t *id = json_integer(7), *m;
	char *line;
	size_t len;

	m = rpc_result(id, json_pack("{s:i}", "a", 1));
	line = rpc_dump_line(m, &len);
	assert_string_equal(
	    line, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"a\":1}}\n");
	assert_int_equal(len, strlen(line));
	free(line);
	json_decref(m);

	sh_error_set(&err, SH_INVALID_PARAMS, "invalid_field", "person.age",
	    "must be an integer from 0 to 120");
	m = rpc_error(id, &err);
	line = rpc_dump_line(m, &len);
	assert_string_equal(line,
	    "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32602,"
	    "\"message\":\"person.age: must be an integer from 0 to 120\","
	    "\"data\":{\"reason\":\"invalid_field\",\"field\":"
	    "\"person.age\",\"errors\":[{\"field\":\"person.age\","
	    "\"reason\":\"invalid_field\",\"message\":\"person.age: must "
	    "be an integer from 0 to 120\"}]}}}\n");
	free(line);
	json_decref(m);

	sh_error_set(&err, SH_PARSE_ERROR, "invalid_json", NULL, "bad");
	m = rpc_error(NULL, &err);
	line = rpc_dump_line(m, &len);
	assert_string_equal(line,
	    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	    "\"message\":\"bad\",\"data\":{\"reason\":\"invalid_json\"}}}\n");
	free(line);
	json_decref(m);

	m = rpc_notification("event", json_pack("{s:s}", "id", "1-0"));
	line = rpc_dump_line(m, &len);
	assert_string_equal(line,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
	    "\"params\":{\"id\":\"1-0\"}}\n");
	free(line);
	json_decref(m);
	json_decref(id);
}

/*
 * A result in text is written as rpc_result's message of the same result
 * would be, for every kind of id, and the length comes back when the
 * buffer is short.
 */
static void
test_reply_text(void **state)
{
	static const char text[] =
	    "{\"request\":{\"id\":\"req-1\",\"lat\":52.09},"
	    "\"proposal\":null,\"explanation\":null,\"duplicate\":false}";
	json_t *ids[] = {json_integer(7), json_integer(-9007199254740993LL),
	    json_string("a\"b/\xc3\xa9\n"), json_null()};
	struct rpc_reply r = {.text = text, .len = strlen(text)};
	char buf[512], small[8];
	json_t *m;
	char *want;
	size_t i, n;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		r.id = ids[i];
		m = rpc_result(ids[i], json_loads(text, 0, NULL));
		want = json_dumps(m, RPC_DUMP_FLAGS);
		n = rpc_reply_dump(&r, buf, sizeof buf);
		assert_int_equal(n, strlen(want));
		assert_memory_equal(buf, want, n);
		/* Short: nothing written past small, the length returned. */
		assert_int_equal(rpc_reply_dump(&r, small, sizeof small), n);
		assert_int_equal(rpc_reply_dump(&r, buf, n - 1), n);
		free(want);
		json_decref(m);
		json_decref(ids[i]);
	}
	/* No id: id null, as rpc_result(NULL, ...). */
	r.id = NULL;
	n = rpc_reply_dump(&r, buf, sizeof buf);
	assert_true(n > 0 && n < sizeof buf);
	assert_memory_equal(buf, "{\"jsonrpc\":\"2.0\",\"id\":null,", 27);
	/* A whole message goes as json_dumpb writes it. */
	m = json_pack("{s:s}", "jsonrpc", "2.0");
	r.msg = m;
	n = rpc_reply_dump(&r, buf, sizeof buf);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "{\"jsonrpc\":\"2.0\"}", 17);
	json_decref(m);
	/* No text and no message: a failure. */
	r.msg = NULL;
	r.text = NULL;
	assert_int_equal(rpc_reply_dump(&r, buf, sizeof buf), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_notification_no_params),
	    cmocka_unit_test(test_parse_string_id),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_very_deep),
	    cmocka_unit_test(test_scan_strings),
	    cmocka_unit_test(test_scan_dup_path),
	    cmocka_unit_test(test_dup_in_params),
	    cmocka_unit_test(test_dup_spelled_with_escapes),
	    cmocka_unit_test(test_number_out_of_range_in_params),
	    cmocka_unit_test(test_number_out_of_range_in_envelope),
	    cmocka_unit_test(test_dup_in_envelope),
	    cmocka_unit_test(test_dup_in_envelope_of_a_notification),
	    cmocka_unit_test(test_envelope_errors),
	    cmocka_unit_test(test_params_invalid),
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_reply_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
