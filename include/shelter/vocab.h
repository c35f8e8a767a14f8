/*
 * vocab.h: the shared vocabularies of shelterd, defined once: request and
 * proposal statuses, event topics and which role sees which, and event
 * types with their topic. The daemon, shelterctl and the tests use these
 * tables; tests/unit/test_vocab.c holds daemon/functions.lua against them.
 */
#ifndef SHELTER_VOCAB_H
#define SHELTER_VOCAB_H

#include "shelter/config.h"

/* Request statuses, in the order the protocol lists them. */
enum vocab_request_status {
	VOCAB_REQUEST_WAITING,
	VOCAB_REQUEST_PROPOSED,
	VOCAB_REQUEST_PLACED,
	VOCAB_REQUEST_ARRIVED,
	VOCAB_REQUEST_DEPARTED,
	VOCAB_REQUEST_CANCELLED,
	VOCAB_REQUEST_COUNT
};

/* Proposal statuses. */
enum vocab_proposal_status {
	VOCAB_PROPOSAL_OPEN,
	VOCAB_PROPOSAL_ACCEPTED,
	VOCAB_PROPOSAL_REJECTED,
	VOCAB_PROPOSAL_EXPIRED,
	VOCAB_PROPOSAL_CANCELLED,
	VOCAB_PROPOSAL_COUNT
};

/* Placement statuses (placement.list): expected = request placed, not
 * arrived; resident = arrived. */
enum vocab_placement_status {
	VOCAB_PLACEMENT_EXPECTED,
	VOCAB_PLACEMENT_RESIDENT,
	VOCAB_PLACEMENT_COUNT
};

/*
 * Event topics. The first VOCAB_TOPIC_COUNT are the ones a subscriber
 * names; VOCAB_TOPIC_SHELTER ("_shelter") carries the table refreshes
 * between daemons and no subscriber may name it.
 */
enum vocab_topic {
	VOCAB_TOPIC_PROPOSALS,
	VOCAB_TOPIC_REQUESTS,
	VOCAB_TOPIC_CAPACITY,
	VOCAB_TOPIC_PLACEMENTS,
	VOCAB_TOPIC_REGISTRATIONS,
	VOCAB_TOPIC_COUNT,
	VOCAB_TOPIC_SHELTER = VOCAB_TOPIC_COUNT
};
/* The bit of a topic in a set of topics. */
#define VOCAB_TOPIC_BIT(t) (1u << (t))

/* Event types, grouped by topic. */
enum vocab_event {
	VOCAB_EVENT_PROPOSAL_CREATED,
	VOCAB_EVENT_PROPOSAL_ACCEPTED,
	VOCAB_EVENT_PROPOSAL_REJECTED,
	VOCAB_EVENT_PROPOSAL_EXPIRED,
	VOCAB_EVENT_PROPOSAL_EXPIRING,
	VOCAB_EVENT_REQUEST_WAITING,
	VOCAB_EVENT_REQUEST_PLACED,
	VOCAB_EVENT_REQUEST_ARRIVED,
	VOCAB_EVENT_REQUEST_DEPARTED,
	VOCAB_EVENT_REQUEST_CANCELLED,
	VOCAB_EVENT_REQUEST_ESCALATED,
	VOCAB_EVENT_CAPACITY_CHANGED,
	VOCAB_EVENT_CAPACITY_STALE,
	VOCAB_EVENT_SHELTER_INTAKE,
	VOCAB_EVENT_PLACEMENT_EXPECTED,
	VOCAB_EVENT_PLACEMENT_ARRIVED,
	VOCAB_EVENT_PLACEMENT_DEPARTED,
	VOCAB_EVENT_PLACEMENT_CANCELLED,
	VOCAB_EVENT_REGISTRATION_CREATED,
	VOCAB_EVENT_REGISTRATION_UPDATED,
	VOCAB_EVENT_SHELTER_PUT,
	VOCAB_EVENT_SHELTER_REMOVED,
	VOCAB_EVENT_CLOCK_ADVANCED,
	VOCAB_EVENT_COUNT
};

/*
 * What an event does to every daemon that reads it, besides reaching the
 * subscribers of its topic: reload its shelter into the in-memory table,
 * drop its shelter from the table, wake the waitlist (a place may have
 * come free) or read it again when it settles, or follow the test clock.
 */
enum {
	VOCAB_EFFECT_REFRESH = 1 << 0,
	VOCAB_EFFECT_REMOVE = 1 << 1,
	VOCAB_EFFECT_WAKE = 1 << 2,
	/* the test clock moved: take the store's offset, run the timers */
	VOCAB_EFFECT_CLOCK = 1 << 3,
	/* a request joined the waitlist: read it again once it settles */
	VOCAB_EFFECT_SETTLE = 1 << 4,
};

/* One row per event type: adding a type is adding a row. */
struct vocab_event_def {
	const char *name; /* "proposal.created" */
	enum vocab_topic topic;
	unsigned effects; /* VOCAB_EFFECT_x bits */
};

/*
 * The names as one string for messages and help texts, in enum order:
 * "waiting, proposed, placed, arrived, departed, cancelled". Macros so that a
 * static help text can be put together at compile time; the unit test checks
 * them against the name tables.
 */
#define VOCAB_REQUEST_STATUS_LIST                                              \
	"waiting, proposed, placed, arrived, departed, cancelled"
#define VOCAB_TOPIC_LIST                                                       \
	"proposals, requests, capacity, placements, registrations"
#define VOCAB_PLACEMENT_STATUS_LIST "expected, resident"
extern const char vocab_request_status_list[];
extern const char vocab_topic_list[];

/* The name of request status s, or NULL when s is out of range. */
const char *vocab_request_status_name(int s);
/* The request status called name, or -1 when there is none (or NULL). */
int vocab_request_status_parse(const char *name);

/* The name of proposal status s, or NULL when s is out of range. */
const char *vocab_proposal_status_name(int s);
/* The proposal status called name, or -1 when there is none (or NULL). */
int vocab_proposal_status_parse(const char *name);

/* The name of placement status s, or NULL when s is out of range. */
const char *vocab_placement_status_name(int s);
/* The placement status called name, or -1 when there is none (or NULL). */
int vocab_placement_status_parse(const char *name);

/* The name of topic t ("_shelter" for VOCAB_TOPIC_SHELTER), or NULL. */
const char *vocab_topic_name(int t);
/* The topic called name, "_shelter" included, or -1 (also for NULL). */
int vocab_topic_parse(const char *name);
/*
 * The bit of the subscribable topic called name, or 0 when name is NULL,
 * unknown or "_shelter".
 */
unsigned vocab_topic_bit(const char *name);
/* The topic bits role may see: admin and coordinator all, shelter
 * capacity and placements, service capacity, anything else none. */
unsigned vocab_role_topics(enum role role);

/* The definition of event type e, or NULL when e is out of range. */
const struct vocab_event_def *vocab_event(int e);
/* The name of event type e, or NULL when e is out of range. */
const char *vocab_event_name(int e);
/* The event type called name, or -1 when there is none (or NULL). */
int vocab_event_parse(const char *name);

#endif
