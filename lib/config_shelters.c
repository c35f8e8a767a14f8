/*
 * config_shelters.c: the shelters seed file, a YAML list of shelter
 * objects. Each is converted to JSON and checked by model_shelter_parse;
 * its error is reported at the YAML position of the offending field. With
 * CONFIG_SHELTERS_LIVE also what shelter.list answers (shelterctl match
 * reads a register saved with `shelterctl --json shelters`).
 */
#include <stdlib.h>
#include <string.h>

#include "ld.h"

/* Check one shelter node into *out; 0, or -1 with its error reported. */
static int
config_shelters_one(struct ld *ld, yaml_node_t *item,
    const struct gazetteer *gaz, int mflags, struct shelter *out)
{
	struct sh_error err;
	json_t *j;
	int rc;

	if (item->type != YAML_MAPPING_NODE) {
		ld_err(ld, item->start_mark,
		    "must be a shelter object (a mapping)");
		return -1;
	}
	if ((j = ld_json(ld, item, "", 1)) == NULL)
		return -1;
	memset(&err, 0, sizeof err);
	rc = model_shelter_parse(j, gaz, mflags, out, &err);
	json_decref(j);
	if (rc < 0)
		ld_err(ld,
		    ld_locate(ld, item, err.field,
		        strcmp(err.reason, "unknown_field") == 0),
		    "%s", err.message);
	return rc;
}

/*
 * The list of shelters in root: root itself, or with CONFIG_SHELTERS_LIVE
 * the list of a mapping that has only "shelters" (shelter.list's result);
 * NULL with the error reported.
 */
static yaml_node_t *
config_shelters_list(struct ld *ld, yaml_node_t *root, int flags)
{
	yaml_node_t *list;

	if (root->type == YAML_SEQUENCE_NODE)
		return root;
	if (!(flags & CONFIG_SHELTERS_LIVE) ||
	    root->type != YAML_MAPPING_NODE) {
		ld_err(
		    ld, root->start_mark, "must be a list of shelter objects");
		return NULL;
	}
	list = ld_get(ld, root, "shelters");
	if (list == NULL ||
	    root->data.mapping.pairs.top - root->data.mapping.pairs.start !=
	        1) {
		ld_err(ld, root->start_mark,
		    "must be a list of shelter objects, or an object with "
		    "only \"shelters\" (what shelter.list answers)");
		return NULL;
	}
	if (list->type != YAML_SEQUENCE_NODE) {
		ld_err(ld, list->start_mark,
		    "shelters: must be a list of shelter objects");
		return NULL;
	}
	return list;
}

/*
 * Load the shelters file at path (see config.h). An empty file is an empty
 * list. On success *out is a malloc'ed array (NULL when empty).
 */
int
config_load_shelters(const char *path, const struct gazetteer *gaz, int flags,
    struct shelter **out, size_t *n, struct config_errors *errs)
{
	struct shelter *v = NULL;
	yaml_node_t *root, *item, **nodes = NULL;
	yaml_node_item_t *it;
	yaml_node_t *first;
	size_t count = 0, i, cap;
	struct ld ld;

	*out = NULL;
	*n = 0;
	if (ld_open(&ld, path, errs) < 0)
		goto out;
	if ((root = yaml_document_get_root_node(&ld.doc)) == NULL)
		goto out;
	if ((root = config_shelters_list(&ld, root, flags)) == NULL)
		goto out;
	cap = (size_t)(root->data.sequence.items.top -
	    root->data.sequence.items.start);
	if ((v = calloc(cap ? cap : 1, sizeof *v)) == NULL ||
	    (nodes = calloc(cap ? cap : 1, sizeof *nodes)) == NULL) {
		config_errors_add(errs, path, 0, 0, "out of memory");
		ld.nerr++;
		goto out;
	}
	for (it = root->data.sequence.items.start;
	     it < root->data.sequence.items.top; it++) {
		item = ld_node(&ld, *it);
		if (config_shelters_one(&ld, item, gaz,
		        (flags & CONFIG_SHELTERS_LIVE) ? MODEL_STORED : 0,
		        &v[count]) < 0)
			continue;
		for (i = 0; i < count; i++)
			if (strcmp(v[i].id, v[count].id) == 0)
				break;
		if (i < count) {
			first = ld_get(&ld, nodes[i], "id");
			ld_err(&ld, ld_get(&ld, item, "id")->start_mark,
			    "id: duplicate shelter id '%s' (first at line %zu)",
			    v[count].id, first->start_mark.line + 1);
			continue;
		}
		nodes[count++] = item;
	}
out:
	ld_close(&ld);
	free(nodes);
	if (ld.nerr > 0) {
		free(v);
		return -1;
	}
	if (count == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = count;
	return 0;
}
