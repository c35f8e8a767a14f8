/*
 * table_tabs.c: the packed form for shelters stored before it existed.
 *
 * A reload reads such a shelter as its JSON (shd_shelter_rows's fallback,
 * as slow as the old load). Its packed form is noted as it is parsed and,
 * once the reload is in, written with shd_shelter_tabs, each only while
 * the shelter is still at the version it was read at: a put in between
 * writes its own. So a register upgraded without a seed file loads in
 * the row form from the next start on. No event, no new version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "table.h"

#define TABS_CHUNK 100 /* shelters per shd_shelter_tabs (3 arguments each) */

struct tab_note {
	char id[MODEL_ID_MAX + 1];
	char version[24];
	char *tab;
};

static struct tab_note *notes;
static size_t nnotes, cap;

/* Note the packed form of s, read from its JSON by the reload in flight. */
void
table_tabs_note(const struct shelter *s)
{
	static char buf[MODEL_PACK_MAX];
	struct tab_note *v;
	size_t k;

	if (model_shelter_pack(s, buf, sizeof buf) < 0)
		return;
	if (nnotes == cap) {
		k = cap ? cap * 2 : 64;
		if ((v = reallocarray(notes, k, sizeof *v)) == NULL)
			return; /* the next start tries again */
		notes = v;
		cap = k;
	}
	if ((notes[nnotes].tab = strdup(buf)) == NULL)
		return;
	snprintf(notes[nnotes].id, sizeof notes[nnotes].id, "%s", s->id);
	snprintf(notes[nnotes].version, sizeof notes[nnotes].version, "%lld",
	    s->version);
	nnotes++;
}

static void
table_tabs_done(json_t *result, const struct sh_error *err, void *arg)
{
	if (result == NULL)
		log_warnx("table: packed forms not written: %s", err->message);
	else
		log_info("table: packed form written for %lld shelter(s)",
		    (long long)json_integer_value(
		        json_object_get(result, "set")));
}

/* The reload ended: write the noted forms (ok) or drop them. */
void
table_tabs_send(bool ok)
{
	const char *argv[3 * TABS_CHUNK];
	struct sh_error err;
	size_t i, k;

	for (i = 0; ok && i < nnotes; i += k) {
		for (k = 0; k < TABS_CHUNK && i + k < nnotes; k++) {
			argv[3 * k] = notes[i + k].id;
			argv[3 * k + 1] = notes[i + k].version;
			argv[3 * k + 2] = notes[i + k].tab;
		}
		if (store_shelter_tabs(argv, k, table_tabs_done, NULL, &err) ==
		    -1) {
			log_warnx(
			    "table: packed forms not sent: %s", err.message);
			break;
		}
	}
	table_tabs_free();
}

/* Drop the notes. */
void
table_tabs_free(void)
{
	size_t i;

	for (i = 0; i < nnotes; i++)
		free(notes[i].tab);
	free(notes);
	notes = NULL;
	nnotes = cap = 0;
}
