/*
 * vocab.c: the one definition of shelterd's vocabularies (see
 * include/shelter/vocab.h). Each table is indexed by its enum, so a name
 * and its number cannot drift apart.
 */
#include <stddef.h>
#include <string.h>

#include "shelter/vocab.h"

static const char *const vocab_request_names[VOCAB_REQUEST_COUNT] = {
    [VOCAB_REQUEST_WAITING] = "waiting",
    [VOCAB_REQUEST_PROPOSED] = "proposed",
    [VOCAB_REQUEST_PLACED] = "placed",
    [VOCAB_REQUEST_ARRIVED] = "arrived",
    [VOCAB_REQUEST_DEPARTED] = "departed",
    [VOCAB_REQUEST_CANCELLED] = "cancelled",
};

static const char *const vocab_proposal_names[VOCAB_PROPOSAL_COUNT] = {
    [VOCAB_PROPOSAL_OPEN] = "open",
    [VOCAB_PROPOSAL_ACCEPTED] = "accepted",
    [VOCAB_PROPOSAL_REJECTED] = "rejected",
    [VOCAB_PROPOSAL_EXPIRED] = "expired",
    [VOCAB_PROPOSAL_CANCELLED] = "cancelled",
};

static const char *const vocab_placement_names[VOCAB_PLACEMENT_COUNT] = {
    [VOCAB_PLACEMENT_EXPECTED] = "expected",
    [VOCAB_PLACEMENT_RESIDENT] = "resident",
};

static const char *const vocab_topic_names[VOCAB_TOPIC_COUNT + 1] = {
    [VOCAB_TOPIC_PROPOSALS] = "proposals",
    [VOCAB_TOPIC_REQUESTS] = "requests",
    [VOCAB_TOPIC_CAPACITY] = "capacity",
    [VOCAB_TOPIC_PLACEMENTS] = "placements",
    [VOCAB_TOPIC_REGISTRATIONS] = "registrations",
    [VOCAB_TOPIC_SHELTER] = "_shelter",
};

static const struct vocab_event_def vocab_events[VOCAB_EVENT_COUNT] = {
    [VOCAB_EVENT_PROPOSAL_CREATED] = {"proposal.created",
        VOCAB_TOPIC_PROPOSALS},
    [VOCAB_EVENT_PROPOSAL_ACCEPTED] = {"proposal.accepted",
        VOCAB_TOPIC_PROPOSALS},
    [VOCAB_EVENT_PROPOSAL_REJECTED] = {"proposal.rejected",
        VOCAB_TOPIC_PROPOSALS, VOCAB_EFFECT_WAKE},
    [VOCAB_EVENT_PROPOSAL_EXPIRED] = {"proposal.expired", VOCAB_TOPIC_PROPOSALS,
        VOCAB_EFFECT_WAKE},
    [VOCAB_EVENT_PROPOSAL_EXPIRING] = {"proposal.expiring",
        VOCAB_TOPIC_PROPOSALS},
    [VOCAB_EVENT_REQUEST_WAITING] = {"request.waiting", VOCAB_TOPIC_REQUESTS,
        VOCAB_EFFECT_SETTLE},
    [VOCAB_EVENT_REQUEST_PLACED] = {"request.placed", VOCAB_TOPIC_REQUESTS},
    [VOCAB_EVENT_REQUEST_ARRIVED] = {"request.arrived", VOCAB_TOPIC_REQUESTS},
    [VOCAB_EVENT_REQUEST_DEPARTED] = {"request.departed", VOCAB_TOPIC_REQUESTS},
    [VOCAB_EVENT_REQUEST_CANCELLED] = {"request.cancelled",
        VOCAB_TOPIC_REQUESTS, VOCAB_EFFECT_WAKE},
    [VOCAB_EVENT_REQUEST_ESCALATED] = {"request.escalated",
        VOCAB_TOPIC_REQUESTS},
    [VOCAB_EVENT_CAPACITY_CHANGED] = {"capacity.changed", VOCAB_TOPIC_CAPACITY,
        VOCAB_EFFECT_REFRESH | VOCAB_EFFECT_WAKE},
    [VOCAB_EVENT_CAPACITY_STALE] = {"capacity.stale", VOCAB_TOPIC_CAPACITY},
    [VOCAB_EVENT_SHELTER_INTAKE] = {"shelter.intake", VOCAB_TOPIC_CAPACITY,
        VOCAB_EFFECT_REFRESH | VOCAB_EFFECT_WAKE},
    [VOCAB_EVENT_PLACEMENT_EXPECTED] = {"placement.expected",
        VOCAB_TOPIC_PLACEMENTS},
    [VOCAB_EVENT_PLACEMENT_ARRIVED] = {"placement.arrived",
        VOCAB_TOPIC_PLACEMENTS},
    /* A place came free and an apart co-victim left: wake the waitlist. */
    [VOCAB_EVENT_PLACEMENT_DEPARTED] = {"placement.departed",
        VOCAB_TOPIC_PLACEMENTS, VOCAB_EFFECT_WAKE},
    [VOCAB_EVENT_PLACEMENT_CANCELLED] = {"placement.cancelled",
        VOCAB_TOPIC_PLACEMENTS},
    [VOCAB_EVENT_REGISTRATION_CREATED] = {"registration.created",
        VOCAB_TOPIC_REGISTRATIONS},
    [VOCAB_EVENT_REGISTRATION_UPDATED] = {"registration.updated",
        VOCAB_TOPIC_REGISTRATIONS},
    [VOCAB_EVENT_SHELTER_PUT] = {"shelter.put", VOCAB_TOPIC_SHELTER,
        VOCAB_EFFECT_REFRESH},
    [VOCAB_EVENT_SHELTER_REMOVED] = {"shelter.removed", VOCAB_TOPIC_SHELTER,
        VOCAB_EFFECT_REMOVE},
    [VOCAB_EVENT_CLOCK_ADVANCED] = {"clock.advanced", VOCAB_TOPIC_SHELTER,
        VOCAB_EFFECT_CLOCK},
};

const char vocab_request_status_list[] = VOCAB_REQUEST_STATUS_LIST;
const char vocab_topic_list[] = VOCAB_TOPIC_LIST;

/* The index of name in names[0..n), or -1. */
static int
vocab_find(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* Request status s by name; NULL out of range. */
const char *
vocab_request_status_name(int s)
{
	return s >= 0 && s < VOCAB_REQUEST_COUNT ? vocab_request_names[s]
	                                         : NULL;
}

/* The request status called name, or -1. */
int
vocab_request_status_parse(const char *name)
{
	return vocab_find(vocab_request_names, VOCAB_REQUEST_COUNT, name);
}

/* Proposal status s by name; NULL out of range. */
const char *
vocab_proposal_status_name(int s)
{
	return s >= 0 && s < VOCAB_PROPOSAL_COUNT ? vocab_proposal_names[s]
	                                          : NULL;
}

/* The proposal status called name, or -1. */
int
vocab_proposal_status_parse(const char *name)
{
	return vocab_find(vocab_proposal_names, VOCAB_PROPOSAL_COUNT, name);
}

/* Placement status s by name; NULL out of range. */
const char *
vocab_placement_status_name(int s)
{
	return s >= 0 && s < VOCAB_PLACEMENT_COUNT ? vocab_placement_names[s]
	                                           : NULL;
}

/* The placement status called name, or -1. */
int
vocab_placement_status_parse(const char *name)
{
	return vocab_find(vocab_placement_names, VOCAB_PLACEMENT_COUNT, name);
}

/* Topic t by name, "_shelter" included; NULL out of range. */
const char *
vocab_topic_name(int t)
{
	return t >= 0 && t <= VOCAB_TOPIC_SHELTER ? vocab_topic_names[t] : NULL;
}

/* The topic called name, "_shelter" included, or -1. */
int
vocab_topic_parse(const char *name)
{
	return vocab_find(vocab_topic_names, VOCAB_TOPIC_SHELTER + 1, name);
}

/* The bit of a subscribable topic; 0 for "_shelter" or an unknown name. */
unsigned
vocab_topic_bit(const char *name)
{
	int t = vocab_find(vocab_topic_names, VOCAB_TOPIC_COUNT, name);

	return t >= 0 ? VOCAB_TOPIC_BIT(t) : 0;
}

/* What each role may see: the protocol's "who sees them" column. */
unsigned
vocab_role_topics(enum role role)
{
	switch (role) {
	case ROLE_ADMIN:
	case ROLE_COORDINATOR:
		return VOCAB_TOPIC_BIT(VOCAB_TOPIC_PROPOSALS) |
		    VOCAB_TOPIC_BIT(VOCAB_TOPIC_REQUESTS) |
		    VOCAB_TOPIC_BIT(VOCAB_TOPIC_CAPACITY) |
		    VOCAB_TOPIC_BIT(VOCAB_TOPIC_PLACEMENTS) |
		    VOCAB_TOPIC_BIT(VOCAB_TOPIC_REGISTRATIONS);
	case ROLE_SHELTER:
		return VOCAB_TOPIC_BIT(VOCAB_TOPIC_CAPACITY) |
		    VOCAB_TOPIC_BIT(VOCAB_TOPIC_PLACEMENTS);
	case ROLE_SERVICE:
		return VOCAB_TOPIC_BIT(VOCAB_TOPIC_CAPACITY);
	case ROLE_NONE:
		break;
	}
	return 0;
}

/* Event type e's definition; NULL out of range. */
const struct vocab_event_def *
vocab_event(int e)
{
	return e >= 0 && e < VOCAB_EVENT_COUNT ? &vocab_events[e] : NULL;
}

/* Event type e by name; NULL out of range. */
const char *
vocab_event_name(int e)
{
	return e >= 0 && e < VOCAB_EVENT_COUNT ? vocab_events[e].name : NULL;
}

/* The event type called name, or -1. */
int
vocab_event_parse(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < VOCAB_EVENT_COUNT; i++)
		if (strcmp(name, vocab_events[i].name) == 0)
			return i;
	return -1;
}
