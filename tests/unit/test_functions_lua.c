/*
 * test_functions_lua.c: daemon/functions.lua held against lib/vocab.c.
 *
 * The Lua library is read as text and cut into tokens (names, strings,
 * punctuation; comments dropped). Then:
 * - every string that looks like an event type ("request.placed"), and
 *   every value of a table called EVENT or EVENTS, must be a known type;
 * - a helper whose body builds a type as 'proposal.' .. PARAM gives, for
 *   each call, 'proposal.' .. that argument; a helper building
 *   'request.' .. (anything else) emits the status its caller set last;
 * - every status given to set_status must be a request status, every
 *   status given to release (or stored with HSET ... 'status', X) a
 *   request or proposal status, and so must every value of a STATUS table;
 * - emit(TOPIC, TYPE, ...) must put TYPE on its topic;
 * - and every known type and request status must turn up, so a scan that
 *   finds nothing fails.
 * An argument is a string literal or a reference into a table of the
 * file (STATUS.WAITING, EVENT.request.placed, T['x']).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/vocab.h"

#define LUA_FILE SHELTER_SRCDIR "/daemon/functions.lua"
#define MAXTOK   40000
#define MAXDEF   512
#define MAXSEEN  128

enum kind { T_NAME, T_STR, T_PUNCT };

struct tok {
	enum kind kind;
	char *text; /* name, string value (unescaped), or punctuation */
	int line;
};

/* A table entry: "STATUS.WAITING" -> "waiting". */
struct def {
	char *path, *value, *table;
	const char *key; /* the entry's own key, or "" for a list item */
};

/* A helper that builds its event type by concatenation. */
struct helper {
	char name[64];
	char prefix[32]; /* "proposal." */
	int param;       /* the argument appended, or -1: the status set */
};

static struct tok toks[MAXTOK];
static int ntok;
static struct def defs[MAXDEF];
static int ndef;
static struct helper helpers[32];
static int nhelper;
static char *seen_events[MAXSEEN], *seen_req[MAXSEEN];
static int nseen_events, nseen_req;

static char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	assert_non_null(p);
	return p;
}

static void
add_tok(enum kind kind, char *text, int line)
{
	assert_true(ntok < MAXTOK);
	toks[ntok].kind = kind;
	toks[ntok].text = text;
	toks[ntok].line = line;
	ntok++;
}

/* The end of a long bracket [[...]] / [==[...]==] starting at p, or NULL
 * when p does not start one. */
static const char *
long_bracket(const char *p, const char **body, size_t *len)
{
	const char *q = p + 1, *e;
	char close[16];
	int level = 0;

	while (*q == '=' && level < 10)
		q++, level++;
	if (*p != '[' || *q != '[')
		return NULL;
	close[0] = ']';
	memset(close + 1, '=', (size_t)level);
	close[level + 1] = ']';
	close[level + 2] = '\0';
	e = strstr(q + 1, close);
	if (e == NULL)
		return NULL;
	*body = q + 1;
	*len = (size_t)(e - *body);
	return e + level + 2;
}

static void
lex(const char *s)
{
	const char *p = s, *body, *end;
	size_t len;
	char *buf;
	int line = 1, n;
	char qc;

	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (isspace((unsigned char)*p)) {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			if ((end = long_bracket(p + 2, &body, &len)) == NULL)
				end = p + strcspn(p, "\n");
			for (; p < end; p++)
				line += *p == '\n';
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '_';
			     n++)
				;
			add_tok(T_NAME, xstrndup(p, (size_t)n), line);
			p += n;
		} else if (isdigit((unsigned char)*p)) {
			for (n = 0; isalnum((unsigned char)p[n]) || p[n] == '.';
			     n++)
				;
			add_tok(T_NAME, xstrndup(p, (size_t)n), line);
			p += n;
		} else if (*p == '\'' || *p == '"') {
			qc = *p++;
			buf = calloc(strlen(p) + 1, 1);
			assert_non_null(buf);
			for (n = 0; *p != '\0' && *p != qc && *p != '\n'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				buf[n++] = *p;
			}
			if (*p == qc)
				p++;
			add_tok(T_STR, buf, line);
		} else if ((end = long_bracket(p, &body, &len)) != NULL) {
			add_tok(T_STR, xstrndup(body, len), line);
			for (; p < end; p++)
				line += *p == '\n';
		} else if (p[0] == '.' && p[1] == '.') {
			n = p[2] == '.' ? 3 : 2;
			add_tok(T_PUNCT, xstrndup(p, (size_t)n), line);
			p += n;
		} else {
			add_tok(T_PUNCT, xstrndup(p, 1), line);
			p++;
		}
	}
}

static bool
is(int i, enum kind kind, const char *text)
{
	return i >= 0 && i < ntok && toks[i].kind == kind &&
	    (text == NULL || strcmp(toks[i].text, text) == 0);
}

/* The index of the token closing the bracket at i. */
static int
closing(int i)
{
	int depth = 0;

	for (; i < ntok; i++) {
		if (toks[i].kind != T_PUNCT)
			continue;
		if (strchr("([{", toks[i].text[0]) != NULL)
			depth++;
		else if (strchr(")]}", toks[i].text[0]) != NULL && --depth == 0)
			return i;
	}
	return ntok;
}

/* Record the entries of the table constructor at toks[i] ('{') as
 * path.KEY = value, recursively. */
static void
read_table(const char *table, const char *path, int i)
{
	int end = closing(i), j, n = 1;
	const char *key;
	char sub[256];

	for (j = i + 1; j < end; j++) {
		key = "";
		if (is(j, T_NAME, NULL) && is(j + 1, T_PUNCT, "=")) {
			snprintf(sub, sizeof sub, "%s.%s", path, toks[j].text);
			key = toks[j].text;
			j += 2;
		} else if (is(j, T_PUNCT, "[") && is(j + 1, T_STR, NULL) &&
		    is(j + 2, T_PUNCT, "]") && is(j + 3, T_PUNCT, "=")) {
			snprintf(
			    sub, sizeof sub, "%s.%s", path, toks[j + 1].text);
			key = toks[j + 1].text;
			j += 4;
		} else {
			snprintf(sub, sizeof sub, "%s.%d", path, n);
		}
		if (is(j, T_STR, NULL) &&
		    (is(j + 1, T_PUNCT, ",") || is(j + 1, T_PUNCT, ";") ||
		        j + 1 == end)) {
			assert_true(ndef < MAXDEF);
			defs[ndef].path = xstrndup(sub, strlen(sub));
			defs[ndef].value = toks[j].text;
			defs[ndef].table = xstrndup(table, strlen(table));
			defs[ndef].key = key;
			ndef++;
			n++;
		} else if (is(j, T_PUNCT, "{")) {
			read_table(table, sub, j);
			j = closing(j);
			n++;
		} else {
			/* Anything else: skip the value. */
			while (j < end && !is(j, T_PUNCT, ",") &&
			    !is(j, T_PUNCT, ";")) {
				if (is(j, T_PUNCT, "(") || is(j, T_PUNCT, "{"))
					j = closing(j);
				j++;
			}
			continue;
		}
		if (is(j + 1, T_PUNCT, ",") || is(j + 1, T_PUNCT, ";"))
			j++;
	}
}

/* The string the expression toks[i..end) stands for, or NULL. */
static const char *
resolve(int i, int end)
{
	char path[256];
	size_t off;
	int k;

	if (end == i + 1 && is(i, T_STR, NULL))
		return toks[i].text;
	if (!is(i, T_NAME, NULL))
		return NULL;
	off = (size_t)snprintf(path, sizeof path, "%s", toks[i].text);
	for (k = i + 1; k < end && off < sizeof path;) {
		if (is(k, T_PUNCT, ".") && is(k + 1, T_NAME, NULL)) {
			off += (size_t)snprintf(path + off, sizeof path - off,
			    ".%s", toks[k + 1].text);
			k += 2;
		} else if (is(k, T_PUNCT, "[") && is(k + 1, T_STR, NULL) &&
		    is(k + 2, T_PUNCT, "]")) {
			off += (size_t)snprintf(path + off, sizeof path - off,
			    ".%s", toks[k + 1].text);
			k += 3;
		} else {
			return NULL;
		}
	}
	for (k = 0; k < ndef; k++)
		if (strcmp(defs[k].path, path) == 0)
			return defs[k].value;
	return NULL;
}

/* The arguments of the call whose '(' is at i: their token ranges. */
static int
call_args(int i, int *from, int *to, int max)
{
	int end = closing(i), j, n = 0, start = i + 1;

	for (j = i + 1; j <= end && n < max; j++) {
		if (is(j, T_PUNCT, "(") || is(j, T_PUNCT, "{") ||
		    is(j, T_PUNCT, "[")) {
			j = closing(j);
			continue;
		}
		if (j == end || is(j, T_PUNCT, ",")) {
			if (j > start) {
				from[n] = start;
				to[n] = j;
				n++;
			}
			start = j + 1;
		}
	}
	return n;
}

static void
seen(char **list, int *n, const char *s)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], s) == 0)
			return;
	assert_true(*n < MAXSEEN);
	list[(*n)++] = xstrndup(s, strlen(s));
}

static void
check_event(const char *type, int line)
{
	if (vocab_event_parse(type) < 0)
		fail_msg("functions.lua:%d: event type '%s' is not in "
		         "lib/vocab.c",
		    line, type);
	seen(seen_events, &nseen_events, type);
}

static void
check_request_status(const char *s, int line)
{
	if (vocab_request_status_parse(s) < 0)
		fail_msg("functions.lua:%d: request status '%s' is not in "
		         "lib/vocab.c",
		    line, s);
	seen(seen_req, &nseen_req, s);
}

static void
check_any_status(const char *s, int line)
{
	if (vocab_request_status_parse(s) < 0 &&
	    vocab_proposal_status_parse(s) < 0)
		fail_msg("functions.lua:%d: status '%s' is not in lib/vocab.c",
		    line, s);
}

/* Does s look like an event type: a known family, a dot, a word? */
static bool
looks_like_event(const char *s)
{
	static const char *const fam[] = {
	    "proposal.", "request.", "placement.", "capacity.", "shelter.",
	    "clock.", "registration."};
	size_t i, n;

	for (i = 0; i < sizeof fam / sizeof fam[0]; i++) {
		n = strlen(fam[i]);
		if (strncmp(s, fam[i], n) == 0 && s[n] != '\0' &&
		    strspn(s + n, "abcdefghijklmnopqrstuvwxyz_") ==
		        strlen(s + n))
			return true;
	}
	return false;
}

/*
 * One entry of an EVENT table: a type ('proposal.created'), or a topic
 * keyed by its type (['proposal.created'] = 'proposals', which must then
 * be that type's topic), or a topic beside a type ({type = ..., topic =
 * ...}, checked where it is emitted).
 */
static void
check_table_event(const struct def *d)
{
	const char *key = d->key;
	int e, t;

	if (looks_like_event(d->value)) {
		check_event(d->value, 0);
		return;
	}
	if ((t = vocab_topic_parse(d->value)) < 0)
		fail_msg("functions.lua: %s = '%s' is neither an event type "
		         "nor a topic",
		    d->path, d->value);
	if (!looks_like_event(key))
		return;
	check_event(key, 0);
	e = vocab_event_parse(key);
	if ((int)vocab_event(e)->topic != t)
		fail_msg("functions.lua: %s is on topic %s, not %s", key,
		    vocab_topic_name((int)vocab_event(e)->topic), d->value);
}

/* Find the helpers: local function F(a, b) ... 'x.' .. b ... end. */
static void
find_helpers(void)
{
	int i, j, k, p, body, nparams;
	const char *params[8];

	for (i = 0; i + 3 < ntok; i++) {
		if (!is(i, T_NAME, "function") || !is(i + 1, T_NAME, NULL) ||
		    !is(i + 2, T_PUNCT, "("))
			continue;
		nparams = 0;
		for (j = i + 3; j < ntok && !is(j, T_PUNCT, ")"); j++)
			if (toks[j].kind == T_NAME && nparams < 8)
				params[nparams++] = toks[j].text;
		body = j + 1;
		for (k = body; k + 2 < ntok && !is(k, T_NAME, "function");
		     k++) {
			char probe[64];

			/* 'proposal.' .. x: a string ending in a dot that
			 * starts an event type, then a concatenation. */
			if (toks[k].kind != T_STR || !is(k + 1, T_PUNCT, ".."))
				continue;
			snprintf(probe, sizeof probe, "%sx", toks[k].text);
			if (toks[k].text[0] == '\0' ||
			    toks[k].text[strlen(toks[k].text) - 1] != '.' ||
			    !looks_like_event(probe))
				continue;
			assert_true(nhelper < 32);
			snprintf(helpers[nhelper].name,
			    sizeof helpers[nhelper].name, "%s",
			    toks[i + 1].text);
			snprintf(helpers[nhelper].prefix,
			    sizeof helpers[nhelper].prefix, "%s", toks[k].text);
			helpers[nhelper].param = -1;
			for (p = 0; p < nparams; p++)
				if (is(k + 2, T_NAME, params[p]) &&
				    !is(k + 3, T_PUNCT, "[") &&
				    !is(k + 3, T_PUNCT, "."))
					helpers[nhelper].param = p;
			nhelper++;
			break;
		}
	}
}

static void
scan(void)
{
	int from[16], to[16], i, j, n, h;
	const char *s, *t, *last = NULL;
	char type[128];

	/* Tables first: a reference may come before its use. */
	for (i = 0; i + 3 < ntok; i++)
		if (is(i, T_NAME, "local") && is(i + 1, T_NAME, NULL) &&
		    is(i + 2, T_PUNCT, "=") && is(i + 3, T_PUNCT, "{"))
			read_table(toks[i + 1].text, toks[i + 1].text, i + 3);
	for (i = 0; i < ndef; i++) {
		if (strcmp(defs[i].table, "EVENT") == 0 ||
		    strcmp(defs[i].table, "EVENTS") == 0)
			check_table_event(&defs[i]);
		else if (strcmp(defs[i].table, "STATUS") == 0 ||
		    strcmp(defs[i].table, "STATUSES") == 0)
			check_any_status(defs[i].value, 0);
	}
	find_helpers();

	for (i = 0; i < ntok; i++) {
		if (is(i, T_NAME, "function"))
			last = NULL;
		if (toks[i].kind == T_STR && looks_like_event(toks[i].text))
			check_event(toks[i].text, toks[i].line);
		if (!is(i, T_NAME, NULL) || !is(i + 1, T_PUNCT, "(") ||
		    is(i - 1, T_NAME, "function"))
			continue;
		n = call_args(i + 1, from, to, 16);
		if (is(i, T_NAME, "call") && n >= 1 &&
		    (s = resolve(from[0], to[0])) != NULL &&
		    strcmp(s, "HSET") == 0) {
			/* HSET key field value ...: a status stored as is. */
			for (j = 2; j + 1 < n; j += 2)
				if ((s = resolve(from[j], to[j])) != NULL &&
				    strcmp(s, "status") == 0 &&
				    (t = resolve(from[j + 1], to[j + 1])) !=
				        NULL)
					check_any_status(t, toks[i].line);
		} else if (is(i, T_NAME, "set_status") && n >= 2 &&
		    (s = resolve(from[1], to[1])) != NULL) {
			check_request_status(s, toks[i].line);
			last = s;
		} else if (is(i, T_NAME, "release") && n >= 2 &&
		    (s = resolve(from[1], to[1])) != NULL) {
			check_any_status(s, toks[i].line);
		} else if (is(i, T_NAME, "emit") && n >= 2 &&
		    (t = resolve(from[1], to[1])) != NULL &&
		    (s = resolve(from[0], to[0])) != NULL) {
			check_event(t, toks[i].line);
			if (vocab_topic_parse(s) < 0 ||
			    vocab_event(vocab_event_parse(t))->topic !=
			        (enum vocab_topic)vocab_topic_parse(s))
				fail_msg("functions.lua:%d: %s emitted on "
				         "topic %s",
				    toks[i].line, t, s);
		}
		for (h = 0; h < nhelper; h++) {
			if (!is(i, T_NAME, helpers[h].name))
				continue;
			s = NULL;
			if (helpers[h].param >= 0 && helpers[h].param < n)
				s = resolve(from[helpers[h].param],
				    to[helpers[h].param]);
			else if (helpers[h].param < 0)
				s = last;
			if (s == NULL)
				fail_msg("functions.lua:%d: cannot tell which "
				         "event %s emits",
				    toks[i].line, helpers[h].name);
			if (strchr(s, '.') != NULL)
				snprintf(type, sizeof type, "%s", s);
			else
				snprintf(type, sizeof type, "%s%s",
				    helpers[h].prefix, s);
			check_event(type, toks[i].line);
		}
	}
}

/* Forget everything lex and scan found. */
static void
reset(void)
{
	int i;

	for (i = 0; i < ntok; i++)
		free(toks[i].text);
	for (i = 0; i < ndef; i++) {
		free(defs[i].path);
		free(defs[i].table);
	}
	for (i = 0; i < nseen_events; i++)
		free(seen_events[i]);
	for (i = 0; i < nseen_req; i++)
		free(seen_req[i]);
	ntok = ndef = nhelper = nseen_events = nseen_req = 0;
}

/* Lex the whole file at path. */
static void
lex_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long len = -1;

	if (f == NULL)
		fail_msg("%s: cannot open", path);
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0)
		text = calloc((size_t)len + 1, 1);
	if (text == NULL || fread(text, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(text);
		fail_msg("%s: cannot read", path);
	}
	fclose(f);
	lex(text);
	free(text);
}

static bool
was_seen(char **list, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/*
 * The scanner on a small library written the way functions.lua may be
 * written: literal types, types and statuses from tables, helpers that
 * concatenate, comments that mention types it must not count.
 */
static void
test_scanner(void **state)
{
	static const char lua[] =
	    "local STATUS = {WAITING = 'waiting', PLACED = \"placed\",\n"
	    "    proposal = {OPEN = 'open'}}\n"
	    "local EVENT = {['CAP'] = 'capacity.changed', 'shelter.put',\n"
	    "    ['shelter.intake'] = 'capacity',\n"
	    "    T = {type = 'request.placed', topic = 'requests'}}\n"
	    "-- emit('capacity', 'capacity.bogus') is a comment\n"
	    "--[[ 'proposal.bogus' too ]]\n"
	    "local function emit(topic, type, shelter, data) end\n"
	    "local function emit_proposal(pid, type)\n"
	    "\temit('proposals', 'proposal.' .. type, 'x', '{}')\n"
	    "end\n"
	    "local function emit_request(rid, shelter)\n"
	    "\tlocal h = {}\n"
	    "\temit('requests', 'request.' .. h[2], shelter, '{}')\n"
	    "end\n"
	    "local function f(rid, pid)\n"
	    "\tset_status(rid, STATUS.WAITING)\n"
	    "\tredis.call('HSET', 'k', 'status', STATUS.proposal.OPEN)\n"
	    "\temit_request(rid, '')\n"
	    "\temit_proposal(pid, 'created')\n"
	    "\temit('capacity', EVENT.CAP, 'x', '{}')\n"
	    "end\n"
	    "local function g(rid)\n"
	    "\tset_status(rid, 'placed')\n"
	    "\temit_request(rid, 'x')\n"
	    "end\n";

	assert_true(looks_like_event("request.placed"));
	assert_false(looks_like_event("request."));
	assert_false(looks_like_event("request.x y"));
	assert_false(looks_like_event("status:waiting"));
	lex(lua);
	scan();
	assert_int_equal(nhelper, 2);
	assert_int_equal(nseen_events, 6);
	assert_true(was_seen(seen_events, nseen_events, "request.waiting"));
	assert_true(was_seen(seen_events, nseen_events, "request.placed"));
	assert_true(was_seen(seen_events, nseen_events, "proposal.created"));
	assert_true(was_seen(seen_events, nseen_events, "capacity.changed"));
	assert_true(was_seen(seen_events, nseen_events, "shelter.put"));
	assert_true(was_seen(seen_events, nseen_events, "shelter.intake"));
	assert_int_equal(nseen_req, 2);
	reset();
}

static void
test_lua_matches_vocab(void **state)
{
	int i;

	reset(); /* a failed test before may have left its tokens */
	lex_file(LUA_FILE);
	scan();
	for (i = 0; i < VOCAB_EVENT_COUNT; i++)
		if (!was_seen(seen_events, nseen_events, vocab_event_name(i)))
			fail_msg("event type %s is in lib/vocab.c but "
			         "functions.lua never emits it",
			    vocab_event_name(i));
	for (i = 0; i < VOCAB_REQUEST_COUNT; i++)
		if (!was_seen(
		        seen_req, nseen_req, vocab_request_status_name(i)))
			fail_msg("request status %s is in lib/vocab.c but "
			         "functions.lua never sets it",
			    vocab_request_status_name(i));
	reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scanner),
	    cmocka_unit_test(test_lua_matches_vocab),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
