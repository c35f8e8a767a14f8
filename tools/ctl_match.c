/*
 * ctl_match.c: shelterctl match, the matching core without a daemon: a
 * what-if tool for the helpdesk and for tests. The shelters come from a
 * file (as the seed file), weights and programs from a config if given,
 * and the output is the same as preview's.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shelter/config.h"
#include "shelter/geo.h"
#include "shelter/match.h"
#include "shelter/model.h"

/* Print every collected error as "shelterctl: FILE:LINE:COL: message". */
static int
ctl_match_errors(struct config_errors *errs, const char *what)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		ctl_fail("%s", errs->v[i]);
	if (errs->n == 0)
		ctl_fail("%s: cannot be loaded", what);
	config_errors_free(errs);
	return CTL_FAIL;
}

/* Rank the shelters for req and print the result. */
static int
ctl_match_print(const struct ctl *ctl, const struct shelter *shelters, size_t n,
    const struct request *req, const struct match_options *opt)
{
	const struct shelter **ptrs;
	struct match_result res;
	json_t *out;
	size_t i;
	int rc;

	ptrs = calloc(n > 0 ? n : 1, sizeof *ptrs);
	if (ptrs == NULL)
		return ctl_nomem();
	for (i = 0; i < n; i++)
		ptrs[i] = &shelters[i];
	match_result_init(&res);
	if (match_run(ptrs, n, req, NULL, opt, &res) == -1) {
		free(ptrs);
		match_result_free(&res);
		return ctl_nomem();
	}
	/* People and programs see the same thing: the table is drawn from
	 * the JSON that --json prints, so the two cannot disagree. */
	out = match_result_json(&res);
	if (out == NULL)
		rc = ctl_nomem();
	else if (ctl->json) {
		ctl_out_json(out);
		rc = res.ncandidates == 0 ? CTL_NOFIT : CTL_OK;
	} else
		rc = ctl_out_candidates(out);
	json_decref(out);
	match_result_free(&res);
	free(ptrs);
	return rc;
}

/*
 * shelterctl match --shelters FILE [--config FILE] [--gazetteer FILE]
 * REQUEST.json (or request flags). Exit 0 with the ranked candidates, 3
 * with the explanation when nothing fits, 1 for invalid input.
 */
int
ctl_match_run(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_req_opts o = {.offline = true, .default_ref = "what-if"};
	struct config_errors errs = {0};
	struct config *cfg = NULL;
	struct gazetteer *gaz = NULL;
	struct shelter *shelters = NULL;
	struct match_options opt;
	struct sh_error err = {0};
	struct request *req = NULL;
	const char *gpath;
	json_t *rj = NULL;
	char gerr[512];
	size_t i, n = 0;
	int rc;

	if ((rc = ctl_req_parse(ctl, argc, argv, &o, &rj)) != CTL_OK)
		return rc;
	if (o.shelters == NULL) {
		json_decref(rj);
		return ctl_usage(ctl, "--shelters FILE is required");
	}
	rc = CTL_FAIL;
	if (o.config != NULL) {
		cfg = config_load(o.config, &errs);
		if (cfg == NULL) {
			ctl_match_errors(&errs, o.config);
			goto out;
		}
		opt = cfg->match;
	} else
		match_options_default(&opt);
	opt.now_ms = ctl_out_now_ms();

	gpath = o.gazetteer;
	if (gpath == NULL && cfg != NULL)
		gpath = cfg->gazetteer_path;
	if (gpath == NULL)
		gpath = geo_default_path();
	gaz = geo_gazetteer_load(gpath, gerr, sizeof gerr);
	if (gaz == NULL) {
		ctl_fail("%s", gerr);
		goto out;
	}
	if (config_load_shelters(
	        o.shelters, gaz, CONFIG_SHELTERS_LIVE, &shelters, &n, &errs)) {
		ctl_match_errors(&errs, o.shelters);
		goto out;
	}
	/* A seed file has no report times: each shelter counts as just
	 * reported, as the daemon records one it seeds (freshness 100). A
	 * saved register (shelter.list's answer) keeps its own. */
	for (i = 0; i < n; i++)
		if (shelters[i].updated_at <= 0)
			shelters[i].updated_at = opt.now_ms;
	/* struct request is large: keep it off the stack. */
	if ((req = malloc(sizeof *req)) == NULL) {
		rc = ctl_nomem();
		goto out;
	}
	if (model_request_parse(rj, gaz, req, &err) == -1) {
		ctl_fail(
		    "%s", ctl_req_flag_message(err.message, gerr, sizeof gerr));
		goto out;
	}
	rc = ctl_match_print(ctl, shelters, n, req, &opt);
out:
	free(req);
	free(shelters);
	geo_gazetteer_free(gaz);
	config_free(cfg);
	json_decref(rj);
	return rc;
}
