/*
 * ctl_req.c: a placement request for submit, preview and match, read from
 * a file (a bare request object) or built from flags. Flags are turned into
 * JSON as typed; checking the values is the validator's job, so the
 * messages are the same whichever way a request comes in.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

enum {
	REQ_REF = 256,
	REQ_GENDER,
	REQ_AGE,
	REQ_LANGUAGES,
	REQ_NATIONALITY,
	REQ_CHILDREN,
	REQ_NEEDS,
	REQ_PREFERS,
	REQ_PROGRAM,
	REQ_URGENCY,
	REQ_MIN_DISTANCE,
	REQ_EXPLOITATION,
	REQ_SECTOR,
	REQ_PREFERRED,
	REQ_CASE,
	REQ_CO_VICTIMS,
	REQ_SECURITY,
	REQ_RESIDENCE,
	REQ_REFERRER,
	REQ_SHELTERS,
	REQ_CONFIG,
	REQ_GAZETTEER,
};

static const struct option ctl_req_opts[] = {
    {"ref", required_argument, NULL, REQ_REF},
    {"gender", required_argument, NULL, REQ_GENDER},
    {"age", required_argument, NULL, REQ_AGE},
    {"languages", required_argument, NULL, REQ_LANGUAGES},
    {"nationality", required_argument, NULL, REQ_NATIONALITY},
    {"children", required_argument, NULL, REQ_CHILDREN},
    {"needs", required_argument, NULL, REQ_NEEDS},
    {"prefers", required_argument, NULL, REQ_PREFERS},
    {"program", required_argument, NULL, REQ_PROGRAM},
    {"urgency", required_argument, NULL, REQ_URGENCY},
    {"min-distance", required_argument, NULL, REQ_MIN_DISTANCE},
    {"exploitation", required_argument, NULL, REQ_EXPLOITATION},
    {"sector", required_argument, NULL, REQ_SECTOR},
    {"preferred", required_argument, NULL, REQ_PREFERRED},
    {"case", required_argument, NULL, REQ_CASE},
    {"co-victims", required_argument, NULL, REQ_CO_VICTIMS},
    {"security", required_argument, NULL, REQ_SECURITY},
    {"residence", required_argument, NULL, REQ_RESIDENCE},
    {"referrer", required_argument, NULL, REQ_REFERRER},
    {"shelters", required_argument, NULL, REQ_SHELTERS},
    {"config", required_argument, NULL, REQ_CONFIG},
    {"gazetteer", required_argument, NULL, REQ_GAZETTEER},
    {NULL, 0, NULL, 0},
};

/* The request was built from flags: messages name the flag. */
static bool ctl_req_flags;

/* The field each flag fills, for messages ("--min-distance: ..."). */
static const struct {
	const char *field, *flag;
} ctl_req_fields[] = {
    {"person.gender", "--gender"},
    {"person.age", "--age"},
    {"person.languages", "--languages"},
    {"person.nationality", "--nationality"},
    {"children", "--children"},
    {"needs", "--needs"},
    {"prefers", "--prefers"},
    {"program", "--program"},
    {"urgency", "--urgency"},
    {"residence", "--residence"},
    {"referrer", "--referrer"},
    {"exploitation.sector", "--sector"},
    {"exploitation.location", "--exploitation"},
    {"exploitation", "--exploitation"},
    {"preferred_location", "--preferred"},
    {"safety.min_distance_km", "--min-distance"},
    {"safety.min_security", "--security"},
    {"safety.case", "--case"},
    {"safety.co_victims", "--co-victims"},
    {"ref", "--ref"},
};

/*
 * msg as shelterctl prints it: when the request came from flags, a
 * leading "request.FIELD..: " or "FIELD..: " of a flag's field becomes
 * "--FLAG: " ("--min-distance: must be a number from 0 to 1000"). Else
 * msg itself.
 */
const char *
ctl_req_flag_message(const char *msg, char *buf, size_t len)
{
	const char *m = msg, *colon;
	size_t i, n;

	if (!ctl_req_flags)
		return msg;
	if (strncmp(m, "request.", 8) == 0)
		m += 8;
	if ((colon = strstr(m, ": ")) == NULL)
		return msg;
	for (i = 0; i < sizeof ctl_req_fields / sizeof ctl_req_fields[0]; i++) {
		n = strlen(ctl_req_fields[i].field);
		/* The field itself or inside it ("needs.0": --needs). */
		if (strncmp(m, ctl_req_fields[i].field, n) == 0 &&
		    (m + n == colon || m[n] == '.')) {
			snprintf(
			    buf, len, "%s%s", ctl_req_fields[i].flag, colon);
			return buf;
		}
	}
	return msg;
}

/*
 * The first flag of a field every request needs (--ref aside, which has a
 * default for preview and match) that r, built from flags, lacks; NULL
 * when it has them all. A missing flag is a usage error (exit 2), not a
 * refusal of the request.
 */
static const char *
ctl_req_missing(const json_t *r)
{
	const json_t *person = json_object_get(r, "person");

	if (json_object_get(person, "gender") == NULL)
		return "--gender";
	if (json_object_get(person, "age") == NULL)
		return "--age";
	return NULL;
}

/* "24" as an integer; anything else stays a string for the validator to
 * name ("person.age: must be an integer from 0 to 120"). */
static json_t *
ctl_req_int(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0')
		return json_integer(v);
	return json_string(s);
}

static json_t *
ctl_req_number(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0')
		return json_string(s);
	if (strchr(s, '.') == NULL && strchr(s, 'e') == NULL &&
	    strchr(s, 'E') == NULL)
		return ctl_req_int(s);
	return json_real(v);
}

/* "ro,en" -> ["ro", "en"]; empty items are dropped. */
static json_t *
ctl_req_list(const char *s)
{
	json_t *arr = json_array();
	const char *p = s;
	size_t n;

	while (arr != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 &&
		    json_array_append_new(arr, json_stringn(p, n)) == -1) {
			json_decref(arr);
			return NULL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return arr;
}

/* "Utrecht" -> {municipality}; "52.09,5.12" -> {lat, lon}. */
static json_t *
ctl_req_location(const char *s)
{
	double lat, lon;
	char *end;

	errno = 0;
	lat = strtod(s, &end);
	if (errno == 0 && end != s && *end == ',') {
		const char *q = end + 1;

		lon = strtod(q, &end);
		if (errno == 0 && end != q && *end == '\0')
			return json_pack("{s:f, s:f}", "lat", lat, "lon", lon);
	}
	return json_pack("{s:s}", "municipality", s);
}

/* "4m,7f,2" -> [{age: 4, gender: m}, {age: 7, gender: f}, {age: 2}].
 * NULL for a malformed list (*bad set) or ENOMEM. */
static json_t *
ctl_req_children(const char *s, bool *bad)
{
	json_t *arr = json_array(), *child;
	const char *p = s;
	char gender[2] = {0};
	long age;
	char *end;

	*bad = false;
	while (arr != NULL && *p != '\0') {
		errno = 0;
		if (!isdigit((unsigned char)*p))
			goto bad;
		age = strtol(p, &end, 10);
		if (errno != 0 || age > 1000)
			goto bad;
		gender[0] = '\0';
		if (*end == 'm' || *end == 'f' || *end == 'x')
			gender[0] = *end++;
		if (*end != ',' && *end != '\0')
			goto bad;
		child = gender[0]
		    ? json_pack("{s:i, s:s}", "age", (int)age, "gender", gender)
		    : json_pack("{s:i}", "age", (int)age);
		if (json_array_append_new(arr, child) == -1) {
			json_decref(arr);
			return NULL;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return arr;
bad:
	*bad = true;
	json_decref(arr);
	return NULL;
}

/* obj[key] (an object), created when missing; NULL on ENOMEM. */
static json_t *
ctl_req_sub(json_t *obj, const char *key)
{
	json_t *sub = json_object_get(obj, key);

	if (sub != NULL)
		return sub;
	sub = json_object();
	if (json_object_set_new(obj, key, sub) == -1)
		return NULL;
	return sub;
}

/* Set obj[key] = v (stolen); -1 when v is NULL or on ENOMEM. */
static int
ctl_req_set(json_t *obj, const char *key, json_t *v)
{
	if (obj == NULL || v == NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(obj, key, v);
}

/*
 * Read a request file ("-" is stdin): a bare request object, duplicate keys
 * refused. Returns it (caller owns), or NULL after printing
 * "shelterctl: FILE:LINE:COL: what" on stderr.
 */
json_t *
ctl_req_load(const char *path)
{
	json_error_t jerr;
	json_t *req;

	if (strcmp(path, "-") == 0)
		req = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		req = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		if (jerr.line > 0)
			ctl_fail("%s:%d:%d: %s", path, jerr.line, jerr.column,
			    jerr.text);
		else
			ctl_fail("%s: %s", path, jerr.text);
		return NULL;
	}
	if (!json_is_object(req)) {
		json_decref(req);
		ctl_fail("%s: a request must be a JSON object", path);
		return NULL;
	}
	return req;
}

/*
 * Read a file of requests ("-" is stdin) for submit: one request object,
 * a JSON array of them, or one object per line (JSON lines; blank lines
 * skipped). Returns the object, or an array for an array or JSON lines
 * (caller owns), or NULL after printing "shelterctl: FILE:LINE:COL: what"
 * on stderr.
 */
json_t *
ctl_req_load_many(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	json_t *all, *v;
	json_error_t jerr, lerr;
	char *buf = NULL, *p, *end;
	size_t len = 0;
	int lineno;

	if (f == NULL) {
		ctl_fail("%s: %s", path, strerror(errno));
		return NULL;
	}
	/* The whole file: one document, or else JSON lines. */
	{
		FILE *m = open_memstream(&buf, &len);
		char chunk[8192];
		size_t n;

		if (m == NULL) {
			if (f != stdin)
				fclose(f);
			ctl_nomem();
			return NULL;
		}
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			fwrite(chunk, 1, n, m);
		fclose(m);
	}
	if (f != stdin)
		fclose(f);
	if (buf == NULL) {
		ctl_nomem();
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v != NULL) {
		free(buf);
		if (json_is_object(v) || json_is_array(v))
			return v;
		json_decref(v);
		ctl_fail("%s: expected a request object, an array of them or "
		         "one per line",
		    path);
		return NULL;
	}
	if ((all = json_array()) == NULL) {
		free(buf);
		ctl_nomem();
		return NULL;
	}
	for (p = buf, lineno = 1; p < buf + len; p = end + 1, lineno++) {
		if ((end = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			end = buf + len;
		if (strspn(p, " \t\r") >= (size_t)(end - p))
			continue;
		v = json_loadb(
		    p, (size_t)(end - p), JSON_REJECT_DUPLICATES, &lerr);
		if (!json_is_object(v)) {
			json_decref(v);
			json_decref(all);
			free(buf);
			/* Not JSON lines either: report the document's error.
			 */
			ctl_fail("%s:%d:%d: %s", path, jerr.line, jerr.column,
			    jerr.text);
			return NULL;
		}
		if (json_array_append_new(all, v) == -1) {
			json_decref(all);
			free(buf);
			ctl_nomem();
			return NULL;
		}
	}
	free(buf);
	return all;
}

/*
 * Parse the arguments of submit, preview or match: one FILE.json, or the
 * request flags (--ref, --gender, --age ...). With o->offline the match
 * options --shelters, --config and --gazetteer are taken into o. On CTL_OK
 * *req is the request object (caller owns); else the error was printed and
 * the exit code is returned (CTL_USAGE or CTL_FAIL).
 */
int
ctl_req_parse(const struct ctl *ctl, int argc, char **argv,
    struct ctl_req_opts *o, json_t **req)
{
	json_t *r, *person, *safety, *expl, *v;
	const char *missing;
	bool flags = false, bad;
	int ch, rc = 0;

	*req = NULL;
	r = json_object();
	if (r == NULL)
		return ctl_nomem();
	while ((ch = getopt_long(argc, argv, "", ctl_req_opts, NULL)) != -1) {
		if (ch == REQ_SHELTERS || ch == REQ_CONFIG ||
		    ch == REQ_GAZETTEER) {
			if (!o->offline) {
				json_decref(r);
				return ctl_usage(ctl, "--%s is for match only",
				    ctl_req_opts[ch - REQ_REF].name);
			}
			if (ch == REQ_SHELTERS)
				o->shelters = optarg;
			else if (ch == REQ_CONFIG)
				o->config = optarg;
			else
				o->gazetteer = optarg;
			continue;
		}
		if (ch == '?' || ch == ':') {
			json_decref(r);
			return ctl_usage(ctl, NULL);
		}
		flags = true;
		person = ctl_req_sub(r, "person");
		switch (ch) {
		case REQ_REF:
			rc = ctl_req_set(r, "ref", json_string(optarg));
			break;
		case REQ_GENDER:
			rc = ctl_req_set(person, "gender", json_string(optarg));
			break;
		case REQ_AGE:
			rc = ctl_req_set(person, "age", ctl_req_int(optarg));
			break;
		case REQ_LANGUAGES:
			rc = ctl_req_set(
			    person, "languages", ctl_req_list(optarg));
			break;
		case REQ_NATIONALITY:
			rc = ctl_req_set(
			    person, "nationality", json_string(optarg));
			break;
		case REQ_CHILDREN:
			v = ctl_req_children(optarg, &bad);
			if (bad) {
				json_decref(r);
				return ctl_usage(ctl,
				    "--children: expected AGE[m|f|x],... "
				    "such as 4m,7f, got '%s'",
				    optarg);
			}
			rc = ctl_req_set(r, "children", v);
			break;
		case REQ_NEEDS:
			rc = ctl_req_set(r, "needs", ctl_req_list(optarg));
			break;
		case REQ_PREFERS:
			rc = ctl_req_set(r, "prefers", ctl_req_list(optarg));
			break;
		case REQ_PROGRAM:
			rc = ctl_req_set(r, "program", json_string(optarg));
			break;
		case REQ_URGENCY:
			rc = ctl_req_set(r, "urgency", json_string(optarg));
			break;
		case REQ_RESIDENCE:
			rc = ctl_req_set(r, "residence", json_string(optarg));
			break;
		case REQ_REFERRER:
			rc = ctl_req_set(r, "referrer", json_string(optarg));
			break;
		case REQ_EXPLOITATION:
		case REQ_SECTOR:
			expl = ctl_req_sub(r, "exploitation");
			if (ch == REQ_SECTOR)
				rc = ctl_req_set(
				    expl, "sector", json_string(optarg));
			else
				rc = ctl_req_set(
				    expl, "location", ctl_req_location(optarg));
			break;
		case REQ_PREFERRED:
			rc = ctl_req_set(
			    r, "preferred_location", ctl_req_location(optarg));
			break;
		case REQ_MIN_DISTANCE:
		case REQ_CASE:
		case REQ_CO_VICTIMS:
		case REQ_SECURITY:
			safety = ctl_req_sub(r, "safety");
			if (ch == REQ_MIN_DISTANCE)
				rc = ctl_req_set(safety, "min_distance_km",
				    ctl_req_number(optarg));
			else if (ch == REQ_CASE)
				rc = ctl_req_set(
				    safety, "case", json_string(optarg));
			else if (ch == REQ_CO_VICTIMS)
				rc = ctl_req_set(
				    safety, "co_victims", json_string(optarg));
			else
				rc = ctl_req_set(safety, "min_security",
				    json_string(optarg));
			break;
		}
		if (rc == -1) {
			json_decref(r);
			return ctl_nomem();
		}
	}
	/* "person" was made at the first flag: drop it when no flag filled
	 * it, so the validator reports the missing person as such. */
	if (json_object_size(json_object_get(r, "person")) == 0)
		json_object_del(r, "person");
	if (optind < argc) {
		json_decref(r);
		if (flags)
			return ctl_usage(ctl,
			    "give FILE.json or request "
			    "flags, not both");
		if (optind + 1 < argc)
			return ctl_usage(ctl,
			    "one request file only, got "
			    "'%s' too",
			    argv[optind + 1]);
		*req = o->many ? ctl_req_load_many(argv[optind])
		               : ctl_req_load(argv[optind]);
		return *req != NULL ? CTL_OK : CTL_FAIL;
	}
	if (!flags) {
		json_decref(r);
		return ctl_usage(ctl, "give FILE.json or request flags");
	}
	ctl_req_flags = true;
	if (json_object_get(r, "ref") == NULL) {
		if (o->default_ref == NULL) {
			json_decref(r);
			return ctl_usage(ctl, "--ref is required");
		}
		if (ctl_req_set(r, "ref", json_string(o->default_ref)) == -1) {
			json_decref(r);
			return ctl_nomem();
		}
	}
	if ((missing = ctl_req_missing(r)) != NULL) {
		json_decref(r);
		return ctl_usage(ctl, "%s is required", missing);
	}
	*req = r;
	return CTL_OK;
}
