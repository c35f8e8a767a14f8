/*
 * test_store_fn.c: the daemon's table of Redis functions (daemon/store_fn.h)
 * against the registrations of daemon/functions.lua, read as text: the same
 * names, argument counts and repeated tails; and the Lua's error codes
 * against include/shelter/error.h.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/error.h"

#include "../../daemon/store_fn.h"

#define LUA_PATH SHELTER_SRCDIR "/daemon/functions.lua"

/* The table as the daemon builds it (store_fn.c), from the same macro. */
#define DEF_(id, name, argc, group, args) {name, argc, group, args},
static const struct store_fn_def fns[] = {STORE_FUNCTIONS(DEF_)};
#undef DEF_
#define NFNS (sizeof fns / sizeof fns[0])

struct lua_fn {
	char name[64];
	int argc, group;
	bool readonly;
};

/* The functions store_fn.h lists as reads. */
static const enum store_fn reads[] = {STORE_FN_READS};

static char *
read_lua(void)
{
	FILE *f = fopen(LUA_PATH, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The integer after "key = " in [p, end), or def when absent. */
static int
entry_int(const char *p, const char *end, const char *key, int def)
{
	char pat[32];
	const char *k;

	snprintf(pat, sizeof pat, "%s = ", key);
	k = strstr(p, pat);
	if (k == NULL || k >= end)
		return def;
	return atoi(k + strlen(pat));
}

/*
 * The entries {name = 'shd_x', argc = N[, group = G], ...} of the Lua's
 * FUNCTIONS table into out. Returns how many.
 */
static size_t
parse_functions(const char *lua, struct lua_fn *out, size_t max)
{
	const char *p = strstr(lua, "local FUNCTIONS = {"), *end, *e, *q;
	size_t n = 0, len;

	assert_non_null(p);
	end = strstr(p, "\n}\n");
	assert_non_null(end);
	while ((p = strstr(p, "{name = '")) != NULL && p < end) {
		p += strlen("{name = '");
		q = strchr(p, '\'');
		e = strchr(p, '}');
		assert_non_null(q);
		assert_non_null(e);
		assert_true(n < max);
		len = (size_t)(q - p);
		assert_true(len < sizeof out[n].name);
		memcpy(out[n].name, p, len);
		out[n].name[len] = '\0';
		out[n].argc = entry_int(q, e, "argc", -1);
		out[n].group = entry_int(q, e, "group", 0);
		out[n].readonly = memmem(q, (size_t)(e - q), "readonly = true",
		                      strlen("readonly = true")) != NULL;
		assert_true(out[n].argc >= 0);
		n++;
		p = e;
	}
	return n;
}

/* Words of args outside and inside the brackets of the repeated tail. */
static void
count_args(const char *args, int *fixed, int *group)
{
	const char *s = args;
	int in = 0, *c;

	*fixed = *group = 0;
	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (*s == '[')
			in = 1, s++;
		c = in ? group : fixed;
		(*c)++;
		while (*s != '\0' && *s != ' ')
			if (*s++ == ']')
				in = 0;
	}
}

/* Every C entry is registered in Lua with the same counts, and back. */
static void
test_c_and_lua_agree(void **state)
{
	struct lua_fn lua[64];
	char *text = read_lua();
	size_t n = parse_functions(text, lua, 64), i, k;

	assert_int_equal(n, NFNS);
	assert_int_equal(NFNS, STORE_FN_COUNT);
	for (i = 0; i < NFNS; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(lua[k].name, fns[i].name) == 0)
				break;
		if (k == n)
			fail_msg("%s is not registered in functions.lua",
			    fns[i].name);
		if (lua[k].argc != fns[i].argc || lua[k].group != fns[i].group)
			fail_msg("%s: C argc %d group %d, Lua argc %d group %d",
			    fns[i].name, fns[i].argc, fns[i].group, lua[k].argc,
			    lua[k].group);
	}
	for (k = 0; k < n; k++) {
		for (i = 0; i < NFNS; i++)
			if (strcmp(lua[k].name, fns[i].name) == 0)
				break;
		if (i == NFNS)
			fail_msg("%s is registered in functions.lua but not in "
			         "store_fn.h",
			    lua[k].name);
	}
	/* Every registration goes through the table. */
	assert_non_null(strstr(text, "register_function"));
	assert_null(
	    strstr(strstr(text, "register_function") + 1, "register_function"));
	free(text);
}

/*
 * A function is a read in C (no WAIT, store_unavailable when no answer
 * came) exactly when Lua registers it no-writes: one missing in C waits
 * for replicas after every call, one missing in Lua could write.
 */
static void
test_reads_are_lua_readonly(void **state)
{
	struct lua_fn lua[64];
	char *text = read_lua();
	size_t n = parse_functions(text, lua, 64), i, k, r;
	bool c_reads;

	for (i = 0; i < NFNS; i++) {
		for (k = 0; k < n && strcmp(lua[k].name, fns[i].name) != 0; k++)
			;
		assert_true(k < n);
		c_reads = false;
		for (r = 0; r < sizeof reads / sizeof reads[0]; r++)
			if (reads[r] == (enum store_fn)i)
				c_reads = true;
		if (c_reads != lua[k].readonly)
			fail_msg("%s: %s in store_fn.h's STORE_FN_READS, %s "
			         "readonly in functions.lua",
			    fns[i].name, c_reads ? "listed" : "not listed",
			    lua[k].readonly ? "registered" : "not registered");
	}
	free(text);
}

/* The argument names of each entry match its counts. */
static void
test_args_match_counts(void **state)
{
	int fixed, group;
	size_t i, k;

	for (i = 0; i < NFNS; i++) {
		count_args(fns[i].args, &fixed, &group);
		if (fixed != fns[i].argc || group != fns[i].group)
			fail_msg("%s: args \"%s\" name %d and %d, table says "
			         "%d and %d",
			    fns[i].name, fns[i].args, fixed, group, fns[i].argc,
			    fns[i].group);
		for (k = 0; k < i; k++)
			assert_string_not_equal(fns[i].name, fns[k].name);
	}
}

/* The Lua's CODE table: "name = -32602, -- SH_INVALID_PARAMS". */
static void
test_lua_codes_are_error_h(void **state)
{
	static const struct {
		const char *macro;
		int code;
	} codes[] = {
	    {"SH_INVALID_PARAMS", SH_INVALID_PARAMS},
	    {"SH_INTERNAL", SH_INTERNAL},
	    {"SH_FORBIDDEN", SH_FORBIDDEN},
	    {"SH_NOT_FOUND", SH_NOT_FOUND},
	    {"SH_CONFLICT", SH_CONFLICT},
	};
	char *text = read_lua();
	const char *p = strstr(text, "local CODE = {"), *end, *line, *eq, *m;
	size_t i, seen = 0;
	char macro[64];

	assert_non_null(p);
	end = strstr(p, "\n}\n");
	assert_non_null(end);
	for (line = strchr(p, '\n') + 1; line < end;
	     line = strchr(line, '\n') + 1) {
		eq = strstr(line, " = ");
		m = strstr(line, "-- ");
		assert_non_null(eq);
		assert_non_null(m);
		assert_int_equal(sscanf(m + 3, "%63s", macro), 1);
		for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
			if (strcmp(codes[i].macro, macro) == 0)
				break;
		if (i == sizeof codes / sizeof codes[0])
			fail_msg("functions.lua CODE names %s", macro);
		assert_int_equal(atoi(eq + 3), codes[i].code);
		seen++;
	}
	assert_int_equal(seen, sizeof codes / sizeof codes[0]);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_c_and_lua_agree),
	    cmocka_unit_test(test_args_match_counts),
	    cmocka_unit_test(test_reads_are_lua_readonly),
	    cmocka_unit_test(test_lua_codes_are_error_h),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
