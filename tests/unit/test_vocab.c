/* test_vocab.c: the shared vocabularies (lib/vocab.c) and event ids
 * (lib/evid.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shelter/evid.h"
#include "shelter/vocab.h"

/* names(0..n) joined with ", ", as the list strings must be. */
static void
join(const char *(*name)(int), int n, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s", i ? ", " : "", name(i));
}

static void
test_request_statuses(void **state)
{
	static const char *const want[] = {"waiting", "proposed", "placed",
	    "arrived", "departed", "cancelled"};
	char buf[256];
	int i;

	assert_int_equal(VOCAB_REQUEST_COUNT, 6);
	for (i = 0; i < VOCAB_REQUEST_COUNT; i++) {
		assert_string_equal(vocab_request_status_name(i), want[i]);
		assert_int_equal(vocab_request_status_parse(want[i]), i);
	}
	assert_null(vocab_request_status_name(-1));
	assert_null(vocab_request_status_name(VOCAB_REQUEST_COUNT));
	assert_int_equal(vocab_request_status_parse("open"), -1);
	assert_int_equal(vocab_request_status_parse("Waiting"), -1);
	assert_int_equal(vocab_request_status_parse("waiting "), -1);
	assert_int_equal(vocab_request_status_parse(""), -1);
	assert_int_equal(vocab_request_status_parse(NULL), -1);
	/* The wording of request.list's error. */
	join(vocab_request_status_name, VOCAB_REQUEST_COUNT, buf, sizeof buf);
	assert_string_equal(vocab_request_status_list, buf);
	assert_string_equal(vocab_request_status_list,
	    "waiting, proposed, placed, arrived, departed, cancelled");
}

static void
test_proposal_statuses(void **state)
{
	static const char *const want[] = {
	    "open", "accepted", "rejected", "expired", "cancelled"};
	int i;

	assert_int_equal(VOCAB_PROPOSAL_COUNT, 5);
	for (i = 0; i < VOCAB_PROPOSAL_COUNT; i++) {
		assert_string_equal(vocab_proposal_status_name(i), want[i]);
		assert_int_equal(vocab_proposal_status_parse(want[i]), i);
	}
	assert_null(vocab_proposal_status_name(VOCAB_PROPOSAL_COUNT));
	assert_null(vocab_proposal_status_name(-1));
	assert_int_equal(vocab_proposal_status_parse("waiting"), -1);
	assert_int_equal(vocab_proposal_status_parse(NULL), -1);
}

static void
test_topics(void **state)
{
	static const char *const want[] = {
	    "proposals", "requests", "capacity", "placements", "registrations"};
	char buf[256];
	int i;

	for (i = 0; i < VOCAB_TOPIC_COUNT; i++) {
		assert_string_equal(vocab_topic_name(i), want[i]);
		assert_int_equal(vocab_topic_parse(want[i]), i);
		/* The bits the daemon has always used: 1, 2, 4, 8, 16. */
		assert_int_equal(vocab_topic_bit(want[i]), 1u << i);
	}
	join(vocab_topic_name, VOCAB_TOPIC_COUNT, buf, sizeof buf);
	assert_string_equal(vocab_topic_list, buf);
	/* The internal topic parses, but no subscriber can name it. */
	assert_string_equal(vocab_topic_name(VOCAB_TOPIC_SHELTER), "_shelter");
	assert_int_equal(vocab_topic_parse("_shelter"), VOCAB_TOPIC_SHELTER);
	assert_int_equal(vocab_topic_bit("_shelter"), 0);
	assert_null(vocab_topic_name(VOCAB_TOPIC_SHELTER + 1));
	assert_null(vocab_topic_name(-1));
	assert_int_equal(vocab_topic_parse("events"), -1);
	assert_int_equal(vocab_topic_parse(NULL), -1);
	assert_int_equal(vocab_topic_bit("capacities"), 0);
	assert_int_equal(vocab_topic_bit(""), 0);
	assert_int_equal(vocab_topic_bit(NULL), 0);
}

static void
test_role_topics(void **state)
{
	assert_int_equal(vocab_role_topics(ROLE_ADMIN), 0x1f);
	assert_int_equal(vocab_role_topics(ROLE_COORDINATOR), 0x1f);
	assert_true(vocab_role_topics(ROLE_COORDINATOR) &
	    vocab_topic_bit("registrations"));
	assert_int_equal(vocab_role_topics(ROLE_SHELTER),
	    vocab_topic_bit("capacity") | vocab_topic_bit("placements"));
	assert_int_equal(
	    vocab_role_topics(ROLE_SERVICE), vocab_topic_bit("capacity"));
	assert_int_equal(vocab_role_topics(ROLE_NONE), 0);
}

static void
test_events(void **state)
{
	const struct vocab_event_def *d;
	const char *dot;
	size_t n;
	int i;

	assert_int_equal(VOCAB_EVENT_COUNT, 23);
	for (i = 0; i < VOCAB_EVENT_COUNT; i++) {
		d = vocab_event(i);
		assert_non_null(d);
		assert_string_equal(vocab_event_name(i), d->name);
		assert_int_equal(vocab_event_parse(d->name), i);
		/* "proposal.x" is on topic proposals, "request.x" on
		 * requests, and so on; shelter.* are capacity or internal. */
		dot = strchr(d->name, '.');
		assert_non_null(dot);
		n = (size_t)(dot - d->name);
		if (strncmp(d->name, "shelter", n) == 0 && n == 7)
			assert_true(d->topic == VOCAB_TOPIC_CAPACITY ||
			    d->topic == VOCAB_TOPIC_SHELTER);
		else if (strncmp(d->name, "capacity.", 9) == 0)
			assert_int_equal(d->topic, VOCAB_TOPIC_CAPACITY);
		else if (strcmp(d->name, "clock.advanced") == 0)
			assert_int_equal(d->topic, VOCAB_TOPIC_SHELTER);
		else
			assert_true(strncmp(vocab_topic_name((int)d->topic),
			                d->name, n) == 0 &&
			    vocab_topic_name((int)d->topic)[n] == 's');
	}
	assert_int_equal(
	    vocab_event(vocab_event_parse("shelter.intake"))->topic,
	    VOCAB_TOPIC_CAPACITY);
	assert_int_equal(vocab_event(vocab_event_parse("shelter.put"))->topic,
	    VOCAB_TOPIC_SHELTER);
	/* A departure frees a place: the waitlist is matched again. */
	assert_true(
	    vocab_event(vocab_event_parse("placement.departed"))->effects &
	    VOCAB_EFFECT_WAKE);
	assert_int_equal(
	    vocab_event(vocab_event_parse("request.departed"))->topic,
	    VOCAB_TOPIC_REQUESTS);
	assert_int_equal(
	    vocab_event(vocab_event_parse("clock.advanced"))->effects,
	    VOCAB_EFFECT_CLOCK);
	assert_int_equal(vocab_event_parse("request.proposed"), -1);
	assert_int_equal(vocab_event_parse("proposal"), -1);
	assert_int_equal(vocab_event_parse("capacity.changed "), -1);
	assert_int_equal(vocab_event_parse(NULL), -1);
	assert_null(vocab_event(VOCAB_EVENT_COUNT));
	assert_null(vocab_event(-1));
	assert_null(vocab_event_name(VOCAB_EVENT_COUNT));
}

static void
test_evid_parse(void **state)
{
	static const char *const bad[] = {"", "-", "1", "1-", "-1", "-1-2",
	    "+1-2", " 1-2", "1-2 ", "1- 2", "1-+2", "1--2", "1-2-3", "a-1",
	    "1-a", "1.5-2", "0x1-2", "1-2\n"};
	struct evid id;
	size_t i;

	assert_int_equal(evid_parse("0-0", &id), 0);
	assert_true(id.ms == 0 && id.seq == 0);
	assert_int_equal(evid_parse("1795831725060-1", &id), 0);
	assert_true(id.ms == 1795831725060ULL && id.seq == 1);
	assert_int_equal(
	    evid_parse("18446744073709551615-18446744073709551615", &id), 0);
	assert_true(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
	assert_int_equal(evid_parse("007-010", &id), 0);
	assert_true(id.ms == 7 && id.seq == 10);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (evid_parse(bad[i], &id) != -1)
			fail_msg("'%s' parsed as an event id", bad[i]);
	assert_int_equal(evid_parse(NULL, &id), -1);
}

static void
test_evid_cmp(void **state)
{
	struct evid a = {5, 3}, b = {5, 3}, c = {5, 4}, d = {6, 0};
	struct evid big = {10, 0}, small = {9, 99};

	assert_int_equal(evid_cmp(&a, &b), 0);
	assert_true(evid_cmp(&a, &c) < 0);
	assert_true(evid_cmp(&c, &a) > 0);
	assert_true(evid_cmp(&c, &d) < 0);
	assert_true(evid_cmp(&d, &a) > 0);
	/* As numbers, not as text: "10-0" is newer than "9-99". */
	assert_true(evid_cmp(&big, &small) > 0);
	assert_true(evid_cmp(&small, &big) < 0);
}

static void
test_evid_format(void **state)
{
	static const char *const ids[] = {"0-0", "1795831725060-1",
	    "18446744073709551615-18446744073709551615"};
	char buf[EVID_STRLEN], small[5] = "xxxx";
	struct evid id, back;
	size_t i;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		assert_int_equal(evid_parse(ids[i], &id), 0);
		assert_ptr_equal(evid_format(&id, buf, sizeof buf), buf);
		assert_string_equal(buf, ids[i]);
		assert_int_equal(evid_parse(buf, &back), 0);
		assert_int_equal(evid_cmp(&id, &back), 0);
	}
	/* Leading zeros are dropped; a short buffer is cut, not overrun. */
	assert_int_equal(evid_parse("007-010", &id), 0);
	assert_string_equal(evid_format(&id, buf, sizeof buf), "7-10");
	id.ms = 12345;
	id.seq = 6;
	assert_string_equal(evid_format(&id, small, sizeof small), "1234");
	assert_string_equal(evid_format(&id, small, 0), "1234");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_statuses),
	    cmocka_unit_test(test_proposal_statuses),
	    cmocka_unit_test(test_topics),
	    cmocka_unit_test(test_role_topics),
	    cmocka_unit_test(test_events),
	    cmocka_unit_test(test_evid_parse),
	    cmocka_unit_test(test_evid_cmp),
	    cmocka_unit_test(test_evid_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
