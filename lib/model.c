/* model.c: shelters and requests (stub; being filled in). */
#include <stdio.h>
#include <string.h>

#include "shelter/model.h"

int
model_shelter_parse(const json_t *obj, const struct gazetteer *gaz,
    int flags, struct shelter *out, struct sh_error *err)
{
	return sh_error_set(err, SH_INTERNAL, "internal", NULL,
	    "shelter parsing not implemented");
}

int
model_request_parse(const json_t *obj, const struct gazetteer *gaz,
    struct request *out, struct sh_error *err)
{
	return sh_error_set(err, SH_INTERNAL, "internal", NULL,
	    "request parsing not implemented");
}

json_t *
model_shelter_to_json(const struct shelter *s, int flags)
{
	return NULL;
}

json_t *
model_request_to_json(const struct request *r)
{
	return NULL;
}

json_t *
model_household_json(const struct request *r)
{
	return NULL;
}

bool
model_pool_admits(const struct pool *p, const struct request *r)
{
	return false;
}

const char *
model_program_name(enum program p)
{
	return "?";
}

const char *
model_security_name(enum security s)
{
	return "?";
}

const char *
model_gender_name(enum gender g)
{
	return "?";
}

const char *
model_care_name(enum care_tag c)
{
	return "?";
}

const char *
model_residence_name(enum residence r)
{
	return "?";
}

const char *
model_urgency_name(enum urgency u)
{
	return "?";
}

int
model_program_parse(const char *s)
{
	return -1;
}

int
model_care_parse(const char *s)
{
	return -1;
}

int
model_residence_parse(const char *s)
{
	return -1;
}

bool
model_valid_id(const char *s)
{
	return false;
}

bool
model_valid_ref(const char *s)
{
	return false;
}

bool
model_valid_pool_name(const char *s)
{
	return false;
}

char *
model_time_format(long long ms, char *buf, size_t len)
{
	if (len > 0)
		buf[0] = '\0';
	return buf;
}

long long
model_time_parse(const char *s)
{
	return -1;
}
