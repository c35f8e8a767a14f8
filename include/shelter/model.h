/*
 * model.h: shelters and placement requests, the data contract of
 * docs/protocol.md's "Objects" section.
 *
 * Parsing is strict: unknown fields, missing required fields, wrong types,
 * out-of-range numbers, bad enum values and malformed ids are errors with
 * code SH_INVALID_PARAMS, reason unknown_field / missing_field /
 * invalid_field, and a dotted field path relative to the object being
 * parsed ("person.age", "children.1.age", "pools.0.total").
 *
 * The structs are fixed size: parsing never allocates, and a shelter can be
 * copied with memcpy.
 */
#ifndef SHELTER_MODEL_H
#define SHELTER_MODEL_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "shelter/error.h"

struct gazetteer;

#define MODEL_ID_MAX        63  /* ^[a-z0-9][a-z0-9-]{0,62}$ */
#define MODEL_REF_MAX       64  /* ^[A-Za-z0-9._-]{1,64}$ */
#define MODEL_TEXT_MAX      128 /* shelter name, organisation (bytes) */
#define MODEL_POOL_NAME_MAX 32  /* ^[a-z0-9][a-z0-9_-]{0,31}$ */
#define MODEL_MUNI_MAX      64  /* municipality label (bytes) */
#define MODEL_CASE_MAX      64  /* safety.case, same pattern as ref */
#define MODEL_LANG_MAX      16  /* languages per shelter or person */
#define MODEL_POOL_MAX      16  /* pools per shelter */
#define MODEL_DEPARTURE_MAX 16  /* planned departure dates per pool */
#define MODEL_CHILD_MAX     12  /* accompanying children per request */

enum program {
	PROGRAM_COSM,
	PROGRAM_OMM,
	PROGRAM_CRISIS,
	PROGRAM_SCREENING,
	PROGRAM_LABOUR,
	PROGRAM_REGULAR,
	PROGRAM_COUNT,
	PROGRAM_ANY = PROGRAM_COUNT /* requests only */
};

enum security { SECURITY_STANDARD, SECURITY_PROTECTED, SECURITY_SECRET };

enum gender { GENDER_F, GENDER_M, GENDER_X, GENDER_COUNT };

/* Care tags, used as bits: 1u << CARE_x. */
enum care_tag {
	CARE_PSYCHIATRIC,
	CARE_ADDICTION,
	CARE_INTELLECTUAL_DISABILITY,
	CARE_MEDICAL,
	CARE_TRAUMA,
	CARE_WHEELCHAIR,
	CARE_PREGNANCY,
	CARE_COUNT
};
#define CARE_SPECIALISED                                                       \
	((1u << CARE_PSYCHIATRIC) | (1u << CARE_ADDICTION) |                   \
	    (1u << CARE_INTELLECTUAL_DISABILITY) | (1u << CARE_MEDICAL))

/* Optional enums have a _NONE value: absent from input, absent from output. */
enum sector {
	SECTOR_NONE,
	SECTOR_SEXUAL,
	SECTOR_LABOUR,
	SECTOR_CRIMINAL,
	SECTOR_OTHER,
	SECTOR_UNKNOWN
};
enum co_victims { CO_VICTIMS_ANY, CO_VICTIMS_APART, CO_VICTIMS_TOGETHER };
enum urgency { URGENCY_IMMEDIATE, URGENCY_DAYS, URGENCY_PLANNED };
enum referrer {
	REFERRER_NONE,
	REFERRER_POLICE,
	REFERRER_KMAR,
	REFERRER_NLA,
	REFERRER_FAIRWORK,
	REFERRER_CARE,
	REFERRER_LAWYER,
	REFERRER_COA,
	REFERRER_SELF,
	REFERRER_OTHER
};
/* Bits: 1u << RESIDENCE_x (program rules hold a mask). */
enum residence {
	RESIDENCE_NONE,
	RESIDENCE_REFLECTION,
	RESIDENCE_B8_PERMIT,
	RESIDENCE_ASYLUM,
	RESIDENCE_EU,
	RESIDENCE_NL,
	RESIDENCE_UNKNOWN,
	RESIDENCE_COUNT
};

/* An ISO 639-1 code packed as ('e' << 8 | 'n'). */
typedef uint16_t lang_t;

/* Municipality level only. After parsing, has_coords is always true: a
 * name-only location was resolved through the gazetteer. */
struct location {
	bool has_name;
	char municipality[MODEL_MUNI_MAX + 1];
	double lat, lon;
};

/* A planned departure: neither free nor occupied until it happens. */
struct departure {
	int day;   /* days since 1970-01-01 (UTC) */
	int count; /* places, >= 1 */
};

struct pool {
	char name[MODEL_POOL_NAME_MAX + 1];
	unsigned genders; /* bits 1u << GENDER_x */
	int min_age, max_age;
	int children_max;
	int boys_max_age;
	int total, occupied, held, expected;              /* live counts */
	struct departure departures[MODEL_DEPARTURE_MAX]; /* live, by date */
	int ndepartures;
};

struct shelter {
	char id[MODEL_ID_MAX + 1];
	char name[MODEL_TEXT_MAX + 1]; /* "" when not given */
	char organisation[MODEL_TEXT_MAX + 1];
	enum program program;
	struct location location;
	unsigned care; /* bits 1u << CARE_x */
	lang_t languages[MODEL_LANG_MAX];
	int nlanguages;
	enum security security;
	bool intake_open;   /* live */
	bool intake_always; /* static: 24/7 intake */
	int npools;
	long long version;    /* live: bumped by put, capacity, intake */
	long long updated_at; /* live: ms since epoch, last capacity report */
	/* live: places whose planned departure passed unconfirmed */
	int departures_unconfirmed;
	/* Last, so that a copy may hold only the first npools (the daemon's
	 * table: MODEL_SHELTER_SIZE); nothing reads past pools[npools - 1]. */
	struct pool pools[MODEL_POOL_MAX];
};

/* The bytes of a shelter up to its last pool. */
#define MODEL_SHELTER_SIZE(npools)                                             \
	(offsetof(struct shelter, pools) +                                     \
	    (size_t)(npools) * sizeof(struct pool))

struct child {
	int age;            /* 0..17 */
	enum gender gender; /* GENDER_X when not given */
	bool has_gender;
};

struct request {
	char ref[MODEL_REF_MAX + 1];
	enum program program; /* PROGRAM_COSM, PROGRAM_OMM or PROGRAM_ANY */
	enum gender gender;
	int age;
	lang_t languages[MODEL_LANG_MAX];
	int nlanguages;
	char nationality[3]; /* "" when not given */
	struct child children[MODEL_CHILD_MAX];
	int nchildren;
	unsigned needs;   /* hard requirements, bits 1u << CARE_x */
	unsigned prefers; /* scoring only */
	bool has_exploitation;
	enum sector sector;
	bool has_exploitation_location;
	struct location exploitation_location;
	bool has_safety;
	double min_distance_km; /* 0: no minimum */
	enum security min_security;
	char case_id[MODEL_CASE_MAX + 1]; /* "" when not given */
	enum co_victims co_victims;
	bool has_preferred_location;
	struct location preferred_location;
	enum urgency urgency;
	enum referrer referrer;
	enum residence residence;
	char registration[MODEL_ID_MAX + 1]; /* "reg-N", "" when not given */
};

/*
 * Parse flags. MODEL_STORED: also accept the live output fields of a
 * shelter (held, expected, free, overbooked, version, updated_at); used for
 * documents the daemon wrote.
 */
#define MODEL_STORED 0x1

/*
 * Parse and validate a shelter object (the input of shelter.put, or with
 * MODEL_STORED a shelter as written by model_shelter_to_json). gaz resolves
 * name-only locations; it may be NULL, then such a location is an error.
 * Live fields not in the input are 0 (version, updated_at, held, expected)
 * and intake_open is true unless intake.open says otherwise. Returns 0, or
 * -1 with err filled; *out is undefined after a failure.
 */
int model_shelter_parse(const json_t *obj, const struct gazetteer *gaz,
    int flags, struct shelter *out, struct sh_error *err);
/* model_shelter_parse with each problem into all (at most SH_ERRORS_MAX,
 * the first as model_shelter_parse reports it): 0, or -1. */
int model_shelter_parse_all(const json_t *obj, const struct gazetteer *gaz,
    int flags, struct shelter *out, struct sh_errors *all);

/*
 * unknown_field for key at path (-1). When key is a personal identifier
 * (name, birth_date, email, ...) the message says that shelterd does not
 * store that kind of data; an empty key says so.
 */
int model_field_unknown(
    struct sh_error *err, const char *path, const char *key);

/*
 * Parse and validate a request object, reporting every problem found
 * into all (zeroed first): 0, or -1 with all->n >= 1.
 */
int model_request_parse_all(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_errors *all);
/* Parse and validate a request object (request.submit, match.preview):
 * the first problem only. */
int model_request_parse(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_error *err);

/*
 * Output flags. MODEL_LIVE: add per pool held, expected, free, overbooked
 * and per shelter version and updated_at (RFC 3339).
 */
#define MODEL_LIVE 0x1

/* The shelter as a new JSON object (caller owns it), or NULL on ENOMEM. */
json_t *model_shelter_to_json(const struct shelter *s, int flags);

/*
 * Copy the counts of obj, the live JSON of shelter s, into s when only
 * they can differ (same version, updated_at and pools, no departures):
 * 0, or -1 with s untouched (parse obj in full).
 */
int model_shelter_put_counts(struct shelter *s, const json_t *obj);
/*
 * Copy the counts of data, a capacity.changed event's data about s, into s
 * (the caller knows that only counts changed): the same shelter_id,
 * version and pool names in order, every count a whole number >= 0. 0,
 * or -1 with s untouched (reload it).
 */
int model_shelter_event_counts(struct shelter *s, const json_t *data);

/* The request's input fields, normalised (locations carry municipality if
 * given, lat and lon; program and urgency always present). Caller owns. */
json_t *model_request_to_json(const struct request *r);

/* The household summary events carry: {gender, age, children, needs,
 * languages}. Nothing else about the person. Caller owns. */
json_t *model_household_json(const struct request *r);

/*
 * The planned departures of a stored pool, a JSON array [{date, count}]
 * by date, into p (path names it in errors): 0, or -1 with err set.
 */
int model_departures_array(
    const json_t *a, const char *path, struct pool *p, struct sh_error *err);

/*
 * The row form of a shelter in the store (lib/model_pack.c, docs/store.md):
 * its static part packed into one text at shelter.put, the live fields
 * beside it.
 */
#define MODEL_PACK_FORM "s1" /* the first word of a packed text */
#define MODEL_PACK_MAX  4096 /* a packed shelter always fits */

/* Bytes of a stored field; s NULL: the field is absent. */
struct model_text {
	const char *s;
	size_t len;
};

/* The fields of a row, in the order the store sends them. */
enum model_row_field {
	MODEL_ROW_TAB,        /* the packed static part */
	MODEL_ROW_POOLS,      /* the pool names (not read: the tab has them) */
	MODEL_ROW_OPEN,       /* "1": intake open */
	MODEL_ROW_ALWAYS,     /* "1": 24/7 intake */
	MODEL_ROW_VERSION,    /* integer */
	MODEL_ROW_UPDATED_AT, /* ms since the epoch */
	MODEL_ROW_DU,         /* unconfirmed departures, JSON [{..., count}] */
	MODEL_ROW_CSEQ,       /* the shelter's change number (the table's) */
	MODEL_ROW_N
};
/* Per pool: total, occupied, held, expected, departures (JSON). */
#define MODEL_ROW_POOL_N 5

/* The static part of s packed into buf (len bytes, NUL-terminated): its
 * length, or -1 when it does not fit. */
int model_shelter_pack(const struct shelter *s, char *buf, size_t len);
/* The static part of a packed text into out (live fields 0, intake
 * open): 0, or -1 when it is not of MODEL_PACK_FORM or does not read. */
int model_shelter_unpack(const char *text, size_t len, struct shelter *out);
/*
 * A shelter from its row: row holds MODEL_ROW_N fields, pools
 * MODEL_ROW_POOL_N per pool of the packed text in its order. Fills out as
 * model_shelter_parse fills it from the JSON form of the same shelter.
 * 0, or -1 with err set.
 */
int model_shelter_row(const struct model_text *row,
    const struct model_text *pools, size_t npools, struct shelter *out,
    struct sh_error *err);

/* Free places of a pool: total - occupied - held - expected (may be < 0). */
static inline int
model_pool_free(const struct pool *p)
{
	return p->total - p->occupied - p->held - p->expected;
}

/*
 * Has a pool of s more free places than snap (nsnap of them; < 0: none
 * yet), or other pools? snap then holds the free places now.
 */
bool model_pools_freed(const struct shelter *s, int *snap, int *nsnap);
/* Have a and b the same pools, by name and in order? */
bool model_pools_same(const struct shelter *a, const struct shelter *b);

/* Does pool p admit the request's person and children? */
bool model_pool_admits(const struct pool *p, const struct request *r);

/* What model_pool_admits reads of a request, found once for a request
 * tried against many pools. */
struct model_household {
	unsigned gender_bit; /* 1u << gender */
	int age, nchildren;
	int boy_age; /* the oldest child given as a boy; INT_MIN: none */
};

void model_household_of(const struct request *r, struct model_household *h);

/* model_pool_admits of the request h was found for. */
static inline bool
model_household_admits(const struct pool *p, const struct model_household *h)
{
	return (p->genders & h->gender_bit) && h->age >= p->min_age &&
	    h->age <= p->max_age && h->nchildren <= p->children_max &&
	    h->boy_age <= p->boys_max_age;
}

/* Names of enum values, as on the wire. */
const char *model_program_name(enum program p);
const char *model_security_name(enum security s);
const char *model_co_victims_name(enum co_victims co);
const char *model_gender_name(enum gender g);
const char *model_care_name(enum care_tag c);
const char *model_residence_name(enum residence r);
const char *model_urgency_name(enum urgency u);
/*
 * The allowed values of a request field, "a, b, c", into buf: field is
 * "needs" (care tags), "sector", "referrer", "residence", "security",
 * "gender", "urgency", "program" (of a request) or "co_victims". NULL for
 * another field.
 */
const char *model_values(const char *field, char *buf, size_t len);
/* Parse an enum value name; -1 when unknown. */
int model_program_parse(const char *s);
int model_care_parse(const char *s);
int model_residence_parse(const char *s);

/* Validate id / ref / pool name patterns. */
bool model_valid_id(const char *s);
bool model_valid_ref(const char *s);
bool model_valid_pool_name(const char *s);

/* Format ms since the epoch as RFC 3339 UTC ("2026-11-28T00:00:00Z") into
 * buf (at least 32 bytes). Returns buf. */
char *model_time_format(long long ms, char *buf, size_t len);
/* Parse RFC 3339 UTC ("...Z", optional fraction); -1 on failure. */
long long model_time_parse(const char *s);
/* "YYYY-MM-DD" as days since 1970-01-01 (UTC); -1 when it is not a date
 * from 1970 on. */
long long model_date_parse(const char *s);
/* Days since the epoch as "YYYY-MM-DD" into buf (>= 11 bytes). */
char *model_date_format(long long day, char *buf, size_t len);

#endif
