/*
 * model_enum.c: the names of enum values as on the wire, and back.
 */
#include <stdio.h>
#include <string.h>

#include "model_enum.h"

const struct model_enum model_programs[] = {{"cosm", PROGRAM_COSM},
    {"omm", PROGRAM_OMM}, {"crisis", PROGRAM_CRISIS},
    {"screening", PROGRAM_SCREENING}, {"labour", PROGRAM_LABOUR},
    {"regular", PROGRAM_REGULAR}, {NULL, 0}};

const struct model_enum model_request_programs[] = {{"cosm", PROGRAM_COSM},
    {"omm", PROGRAM_OMM}, {"any", PROGRAM_ANY}, {NULL, 0}};

const struct model_enum model_securities[] = {{"standard", SECURITY_STANDARD},
    {"protected", SECURITY_PROTECTED}, {"secret", SECURITY_SECRET}, {NULL, 0}};

const struct model_enum model_genders[] = {
    {"f", GENDER_F}, {"m", GENDER_M}, {"x", GENDER_X}, {NULL, 0}};

const struct model_enum model_cares[] = {{"psychiatric", CARE_PSYCHIATRIC},
    {"addiction", CARE_ADDICTION},
    {"intellectual_disability", CARE_INTELLECTUAL_DISABILITY},
    {"medical", CARE_MEDICAL}, {"trauma", CARE_TRAUMA},
    {"wheelchair", CARE_WHEELCHAIR}, {"pregnancy", CARE_PREGNANCY}, {NULL, 0}};

const struct model_enum model_sectors[] = {{"sexual", SECTOR_SEXUAL},
    {"labour", SECTOR_LABOUR}, {"criminal", SECTOR_CRIMINAL},
    {"other", SECTOR_OTHER}, {"unknown", SECTOR_UNKNOWN}, {NULL, 0}};

const struct model_enum model_co_victims[] = {{"apart", CO_VICTIMS_APART},
    {"together", CO_VICTIMS_TOGETHER}, {"any", CO_VICTIMS_ANY}, {NULL, 0}};

const struct model_enum model_urgencies[] = {{"immediate", URGENCY_IMMEDIATE},
    {"days", URGENCY_DAYS}, {"planned", URGENCY_PLANNED}, {NULL, 0}};

const struct model_enum model_referrers[] = {{"police", REFERRER_POLICE},
    {"kmar", REFERRER_KMAR}, {"nla", REFERRER_NLA},
    {"fairwork", REFERRER_FAIRWORK}, {"care", REFERRER_CARE},
    {"lawyer", REFERRER_LAWYER}, {"coa", REFERRER_COA}, {"self", REFERRER_SELF},
    {"other", REFERRER_OTHER}, {NULL, 0}};

const struct model_enum model_residences[] = {
    {"reflection", RESIDENCE_REFLECTION}, {"b8_permit", RESIDENCE_B8_PERMIT},
    {"asylum", RESIDENCE_ASYLUM}, {"eu", RESIDENCE_EU}, {"nl", RESIDENCE_NL},
    {"unknown", RESIDENCE_UNKNOWN}, {NULL, 0}};

/* "a, b, c" from an enum table. */
const char *
model_enum_list(const struct model_enum *tab, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; tab->name != NULL && n < len; tab++)
		n += snprintf(
		    buf + n, len - n, "%s%s", n ? ", " : "", tab->name);
	return buf;
}

/* The value called s in tab, or -1. */
int
model_enum_lookup(const struct model_enum *tab, const char *s)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, s) == 0)
			return tab->value;
	return -1;
}

/* The name of value in tab, or "?". */
const char *
model_enum_name(const struct model_enum *tab, int value)
{
	for (; tab->name != NULL; tab++)
		if (tab->value == value)
			return tab->name;
	return "?";
}

/* Enum names; "?" for a value out of range. */

/* The name of program p ("any" for PROGRAM_ANY), or "?". */
const char *
model_program_name(enum program p)
{
	if (p == PROGRAM_ANY)
		return "any";
	return model_enum_name(model_programs, p);
}

/* The name of co-victims mode co ("any" for an unknown value). */
const char *
model_co_victims_name(enum co_victims co)
{
	const char *n = model_enum_name(model_co_victims, co);

	return n[0] == '?' ? "any" : n;
}

/* The name of security level s, or "?". */
const char *
model_security_name(enum security s)
{
	return model_enum_name(model_securities, s);
}

/* The name of gender g, or "?". */
const char *
model_gender_name(enum gender g)
{
	return model_enum_name(model_genders, g);
}

/* The name of care tag c, or "?". */
const char *
model_care_name(enum care_tag c)
{
	return model_enum_name(model_cares, c);
}

/* The name of residence status r, or "?". */
const char *
model_residence_name(enum residence r)
{
	return model_enum_name(model_residences, r);
}

/* The name of urgency u, or "?". */
const char *
model_urgency_name(enum urgency u)
{
	return model_enum_name(model_urgencies, u);
}

/* Enum values by name ("any" is PROGRAM_ANY); -1 when unknown. */

/* The program called s ("any": PROGRAM_ANY), or -1 (also for NULL). */
int
model_program_parse(const char *s)
{
	if (s != NULL && strcmp(s, "any") == 0)
		return PROGRAM_ANY;
	return s == NULL ? -1 : model_enum_lookup(model_programs, s);
}

/* The care tag called s, or -1 (also for NULL). */
int
model_care_parse(const char *s)
{
	return s == NULL ? -1 : model_enum_lookup(model_cares, s);
}

/* The residence status called s, or -1 (also for NULL). */
int
model_residence_parse(const char *s)
{
	return s == NULL ? -1 : model_enum_lookup(model_residences, s);
}

/* The allowed values of a request field: see model.h. */
const char *
model_values(const char *field, char *buf, size_t len)
{
	static const struct {
		const char *field;
		const struct model_enum *tab;
	} fields[] = {
	    {"needs", model_cares},
	    {"sector", model_sectors},
	    {"referrer", model_referrers},
	    {"residence", model_residences},
	    {"security", model_securities},
	    {"gender", model_genders},
	    {"urgency", model_urgencies},
	    {"program", model_request_programs},
	    {"co_victims", model_co_victims},
	};
	size_t i;

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i].field, field) == 0)
			return model_enum_list(fields[i].tab, buf, len);
	return NULL;
}
