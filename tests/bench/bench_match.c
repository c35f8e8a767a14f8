/*
 * bench_match.c: the matching core on 10,000 synthetic shelters and 1,000
 * synthetic requests (fictional, deterministic). Prints per-request latency
 * p50/p99 in microseconds, shelters scored per second and heap allocations
 * per request.
 *
 * usage: bench_match [-s SHELTERS] [-r REQUESTS] [-j] [-p]
 *   -j also builds the candidates and explanation JSON in each timed call.
 *   -p the register and submits of the daemon benchmark (loadgen.c's put
 *      shelters, 9,990 places a pool; its submits), each match_run_top
 *      taking a place in its first candidate.
 *
 * Three lines: "match" is match_run (every shelter filtered, the whole
 * explanation), "match indexed" match_run_indexed as the daemon runs it
 * for a preview or the waitlist (only the shelters the index leaves; with
 * -j the JSON computes the explanation, as match.preview does), "match top
 * 8" match_run_top as a submit runs it (the first 8 candidates; with -j
 * the explanation is computed as well). Same requests, same ranking.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shelter/match.h"

struct bench_run {
	const struct shelter *const *ptr;
	struct shelter *sh;
	size_t ns;
	struct request *req;
	int nr, with_json;
	const struct match_options *opt;
	const struct match_index *idx; /* NULL: match_run */
	size_t top;                    /* > 0: match_run_top of that many */
	int hold; /* take a place in the first candidate, as a submit does */
	struct match_result *res;
	long long *lat, *cpu;
};

/* Count heap allocations by interposing the allocator (glibc); not under
 * AddressSanitizer, which brings its own. */
static unsigned long bench_allocs;
#ifdef __SANITIZE_ADDRESS__
#define BENCH_COUNTS_ALLOCS 0
#else
#define BENCH_COUNTS_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

void *
malloc(size_t n)
{
	bench_allocs++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	bench_allocs++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	bench_allocs++;
	return __libc_realloc(p, n);
}
#endif

static uint64_t bench_state = 0x5eed5eedULL;

/* splitmix64: small, fast, the same sequence everywhere. */
static uint64_t
bench_next(void)
{
	uint64_t z = (bench_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
bench_int(int lo, int hi)
{
	return lo + (int)(bench_next() % (uint64_t)(hi - lo + 1));
}

static double
bench_real(double lo, double hi)
{
	return lo +
	    (hi - lo) * (double)(bench_next() >> 11) / 9007199254740992.0;
}

static bool
bench_chance(int percent)
{
	return bench_int(1, 100) <= percent;
}

static const char bench_langs[][3] = {"nl", "en", "ro", "bg", "pl", "uk", "ru",
    "es", "pt", "fr", "ar", "ti", "vi", "zh", "th", "hu"};
#define NLANGS (int)(sizeof bench_langs / sizeof bench_langs[0])

static lang_t
bench_lang(void)
{
	const char *c =
	    bench_langs[bench_int(1, 6) <= 3 ? bench_int(0, 2)
	                                     : bench_int(0, NLANGS - 1)];

	return (lang_t)(c[0] << 8 | c[1]);
}

static void
bench_point(struct location *l)
{
	/* The Dutch mainland, roughly. */
	l->lat = bench_real(50.80, 53.40);
	l->lon = bench_real(3.60, 7.10);
}

static void
bench_pool(struct pool *p, const char *name, unsigned genders, int kids)
{
	snprintf(p->name, sizeof p->name, "%s", name);
	p->genders = genders;
	p->min_age = bench_chance(15) ? 12 : 18;
	p->max_age = bench_chance(10) ? 23 : 120;
	p->children_max = kids;
	p->boys_max_age = 12;
	p->total = bench_int(1, 12);
	p->occupied = bench_int(0, p->total);
	p->held = p->occupied < p->total && bench_chance(10) ? 1 : 0;
}

static void
bench_shelter(struct shelter *s, int i, long long now)
{
	static const enum program progs[] = {PROGRAM_REGULAR, PROGRAM_REGULAR,
	    PROGRAM_REGULAR, PROGRAM_CRISIS, PROGRAM_CRISIS, PROGRAM_SCREENING,
	    PROGRAM_LABOUR, PROGRAM_LABOUR, PROGRAM_COSM, PROGRAM_OMM};
	const unsigned f = 1u << GENDER_F, m = 1u << GENDER_M;
	int k;

	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "shelter-%05d", i);
	s->program = progs[bench_int(0, 9)];
	bench_point(&s->location);
	for (k = 0; k < CARE_COUNT; k++)
		if (bench_chance(k == CARE_TRAUMA ? 60 : 20))
			s->care |= 1u << k;
	s->languages[s->nlanguages++] = ('n' << 8 | 'l');
	for (k = bench_int(0, 4); k > 0; k--)
		s->languages[s->nlanguages++] = bench_lang();
	s->security = (enum security)(bench_int(0, 9) < 6 ? 0
	        : bench_int(0, 9) < 8                     ? 1
	                                                  : 2);
	s->intake_open = bench_chance(90);
	s->intake_always = bench_chance(30);
	switch (bench_int(0, 3)) {
	case 0:
		bench_pool(&s->pools[s->npools++], "women", f, 0);
		break;
	case 1:
		bench_pool(&s->pools[s->npools++], "women", f, 0);
		bench_pool(&s->pools[s->npools++], "family", f, 3);
		break;
	case 2:
		bench_pool(&s->pools[s->npools++], "men", m, 0);
		break;
	default:
		bench_pool(&s->pools[s->npools++], "women", f, 0);
		bench_pool(&s->pools[s->npools++], "men", m, 0);
		bench_pool(&s->pools[s->npools++], "family", f | m, 2);
		bench_pool(&s->pools[s->npools++], "x", 1u << GENDER_X, 0);
		break;
	}
	s->version = 1;
	s->updated_at = now - (long long)bench_int(0, 96) * 3600000;
}

/* The shelters tests/bench/loadgen.c puts (--places 9990): every one fits
 * most submits, so the ranking is decided by ties of score and free. */
static void
bench_put_shelter(struct shelter *s, int i, long long now)
{
	static const enum program progs[] = {PROGRAM_REGULAR, PROGRAM_CRISIS,
	    PROGRAM_SCREENING, PROGRAM_LABOUR, PROGRAM_REGULAR, PROGRAM_COSM,
	    PROGRAM_OMM, PROGRAM_REGULAR};
	static const unsigned care[] = {1u << CARE_TRAUMA,
	    1u << CARE_TRAUMA | 1u << CARE_PSYCHIATRIC, 0,
	    1u << CARE_MEDICAL | 1u << CARE_ADDICTION,
	    1u << CARE_TRAUMA | 1u << CARE_PREGNANCY};
	struct pool *p;

	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "bench-%05d", i);
	s->program = progs[i % 8];
	s->location.lat = 50.8 + (i * 37 % 250) / 100.0;
	s->location.lon = 3.6 + (i * 53 % 350) / 100.0;
	s->care = care[i % 5];
	s->languages[s->nlanguages++] = ('n' << 8 | 'l');
	s->languages[s->nlanguages++] = ('e' << 8 | 'n');
	s->security = i % 4 == 0 ? SECURITY_PROTECTED : SECURITY_STANDARD;
	s->intake_open = true;
	p = &s->pools[s->npools++];
	snprintf(p->name, sizeof p->name, "women");
	p->genders = 1u << GENDER_F | 1u << GENDER_X;
	p->min_age = 18;
	p->max_age = 120;
	p->children_max = 2;
	p->boys_max_age = 12;
	p->total = 9990 + i % 9;
	p = &s->pools[s->npools++];
	snprintf(p->name, sizeof p->name, "men");
	p->genders = 1u << GENDER_M;
	p->min_age = 18;
	p->max_age = 120;
	p->total = 4995 + i % 5;
	s->version = 1;
	s->updated_at = now;
}

/* A submit as loadgen.c sends it (--method submit, kind normal). */
static void
bench_put_request(struct request *r, int i)
{
	static const enum gender genders[] = {
	    GENDER_F, GENDER_F, GENDER_M, GENDER_X};
	static const char langs[][3] = {
	    "en", "ro", "bg", "pl", "uk", "es", "nl", "ar"};

	memset(r, 0, sizeof *r);
	snprintf(r->ref, sizeof r->ref, "LG-%06d", i);
	r->program = PROGRAM_ANY;
	r->gender = genders[i % 4];
	r->age = 18 + (i * 7) % 40;
	r->languages[r->nlanguages++] =
	    (lang_t)(langs[i % 8][0] << 8 | langs[i % 8][1]);
	r->urgency = i % 3 == 0 ? URGENCY_IMMEDIATE : URGENCY_DAYS;
	r->residence = RESIDENCE_REFLECTION;
}

static void
bench_request(struct request *r, int i)
{
	int k;

	memset(r, 0, sizeof *r);
	snprintf(r->ref, sizeof r->ref, "BENCH-%06d", i);
	r->program = bench_chance(80) ? PROGRAM_ANY
	    : bench_chance(50)        ? PROGRAM_COSM
	                              : PROGRAM_OMM;
	r->gender = bench_chance(60) ? GENDER_F
	    : bench_chance(95)       ? GENDER_M
	                             : GENDER_X;
	r->age = bench_chance(10) ? bench_int(14, 17) : bench_int(18, 55);
	for (k = bench_int(0, 2); k > 0; k--)
		r->languages[r->nlanguages++] = bench_lang();
	if (bench_chance(20))
		for (k = bench_int(1, 3); k > 0; k--) {
			r->children[r->nchildren].age = bench_int(0, 15);
			r->children[r->nchildren].gender =
			    bench_chance(50) ? GENDER_F : GENDER_M;
			r->children[r->nchildren++].has_gender = true;
		}
	if (bench_chance(30))
		r->needs = 1u << bench_int(0, CARE_COUNT - 1);
	if (bench_chance(40))
		r->prefers = 1u << bench_int(0, CARE_COUNT - 1);
	r->has_exploitation_location = bench_chance(70);
	if (r->has_exploitation_location)
		bench_point(&r->exploitation_location);
	r->has_safety = bench_chance(60);
	if (r->has_safety) {
		r->min_distance_km = bench_chance(50) ? 50 : 25;
		r->min_security =
		    bench_chance(30) ? SECURITY_PROTECTED : SECURITY_STANDARD;
		if (bench_chance(15)) {
			snprintf(
			    r->case_id, sizeof r->case_id, "CASE-%d", i / 10);
			r->co_victims = bench_chance(50) ? CO_VICTIMS_APART
			                                 : CO_VICTIMS_TOGETHER;
		}
	}
	r->has_preferred_location = bench_chance(40);
	if (r->has_preferred_location)
		bench_point(&r->preferred_location);
	r->urgency = (enum urgency)bench_int(0, 2);
	r->residence = (enum residence)bench_int(0, RESIDENCE_COUNT - 1);
}

/* The ranking the header promises: score desc, free desc, id asc. */
static int
bench_check_order(const struct match_result *res)
{
	const struct match_candidate *a, *b;
	size_t i;

	for (i = 1; i < res->ncandidates; i++) {
		a = &res->candidates[i - 1];
		b = &res->candidates[i];
		if (a->score > b->score)
			continue;
		if (a->score == b->score && a->free > b->free)
			continue;
		if (a->score == b->score && a->free == b->free &&
		    strcmp(a->shelter->id, b->shelter->id) < 0)
			continue;
		fprintf(stderr, "bench_match: bad order at %zu: %s, %s\n", i,
		    a->shelter->id, b->shelter->id);
		return -1;
	}
	return 0;
}

static long long
bench_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
bench_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Hold a place in c's pool and tell the index, as the daemon's table
 * does after a proposal. */
static void
bench_hold(struct bench_run *b, const struct match_candidate *c)
{
	struct shelter *s = &b->sh[c->shelter - b->sh];

	s->pools[c->pool].held++;
	if (b->idx != NULL)
		match_index_counts(
		    (struct match_index *)b->idx, (size_t)(s - b->sh), s);
}

/* Time every request of b once; print one line. 0 or -1. */
static int
bench_loop(struct bench_run *b, const char *label)
{
	const char *rejected[2], *cases[3];
	struct match_input in;
	long long t0, t1, c0, total = 0, *lat = b->lat, *cpu = b->cpu;
	unsigned long allocs;
	size_t eligible = 0, ns = b->ns;
	int nr = b->nr, i, rc;
	json_t *j;

	allocs = bench_allocs;
	for (i = 0; i < nr; i++) {
		memset(&in, 0, sizeof in);
		if (i % 5 == 0) { /* some rejected shelters */
			rejected[0] = b->sh[(i * 7) % ns].id;
			rejected[1] = b->sh[(i * 13) % ns].id;
			in.rejected = rejected;
			in.nrejected = 2;
		}
		if (b->req[i].case_id[0] != '\0') {
			cases[0] = b->sh[(i * 3) % ns].id;
			cases[1] = b->sh[(i * 11) % ns].id;
			cases[2] = b->sh[(i * 17) % ns].id;
			in.case_shelters = cases;
			in.ncase_shelters = 3;
		}
		c0 = bench_ns(CLOCK_THREAD_CPUTIME_ID);
		t0 = bench_ns(CLOCK_MONOTONIC);
		rc = b->top > 0 ? match_run_top(b->idx, b->ptr, ns, &b->req[i],
		                      &in, b->opt, b->top, b->res)
		    : b->idx != NULL
		    ? match_run_indexed(
		          b->idx, b->ptr, ns, &b->req[i], &in, b->opt, b->res)
		    : match_run(b->ptr, ns, &b->req[i], &in, b->opt, b->res);
		if (rc == -1)
			return -1;
		if (b->with_json) {
			j = match_result_json(b->res);
			json_decref(j);
		}
		t1 = bench_ns(CLOCK_MONOTONIC);
		cpu[i] = bench_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		lat[i] = t1 - t0;
		total += lat[i];
		eligible += b->res->eligible;
		if (bench_check_order(b->res) == -1)
			return -1;
		if (b->hold && b->res->ncandidates > 0)
			bench_hold(b, &b->res->candidates[0]);
	}
	allocs = bench_allocs - allocs;
	qsort(lat, (size_t)nr, sizeof *lat, bench_cmp);
	qsort(cpu, (size_t)nr, sizeof *cpu, bench_cmp);
	/* Wall time includes preemption on a busy machine; CPU time not. */
	printf(
	    "match%s%s: %zu shelters x %d requests: p50 %.0f us, p99 %.0f us, "
	    "max %.0f us (cpu p50 %.0f us, p99 %.0f us); %.2fM shelters/s; "
	    "%.1f eligible/request; %.2f allocations/request%s\n",
	    label, b->with_json ? "+json" : "", ns, nr, lat[nr / 2] / 1e3,
	    lat[(nr * 99 + 99) / 100 - 1] / 1e3, lat[nr - 1] / 1e3,
	    cpu[nr / 2] / 1e3, cpu[(nr * 99 + 99) / 100 - 1] / 1e3,
	    (double)ns * nr / (total / 1e9) / 1e6, (double)eligible / nr,
	    (double)allocs / nr,
	    BENCH_COUNTS_ALLOCS ? "" : " (not counted under ASan)");
	return 0;
}

int
main(int argc, char **argv)
{
	const long long now = 1795824000000LL; /* 2026-11-28 */
	struct shelter *sh;
	const struct shelter **ptr;
	struct request *req;
	struct match_options opt;
	struct match_result res;
	struct match_index idx;
	struct bench_run b;
	long long *lat, *cpu;
	int ns = 10000, nr = 1000, with_json = 0, put = 0, c, i;

	while ((c = getopt(argc, argv, "s:r:jp")) != -1) {
		switch (c) {
		case 'p':
			put = 1;
			break;
		case 's':
			ns = atoi(optarg);
			break;
		case 'r':
			nr = atoi(optarg);
			break;
		case 'j':
			with_json = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-s N] [-r N] [-j] [-p]\n",
			    argv[0]);
			return 2;
		}
	}
	if (ns < 1 || nr < 1)
		return 2;
	sh = calloc((size_t)ns, sizeof *sh);
	ptr = calloc((size_t)ns, sizeof *ptr);
	req = calloc((size_t)nr, sizeof *req);
	lat = calloc((size_t)nr, sizeof *lat);
	cpu = calloc((size_t)nr, sizeof *cpu);
	if (sh == NULL || ptr == NULL || req == NULL || lat == NULL ||
	    cpu == NULL) {
		fprintf(stderr, "bench_match: out of memory\n");
		return 1;
	}
	for (i = 0; i < ns; i++) {
		if (put)
			bench_put_shelter(&sh[i], i, now);
		else
			bench_shelter(&sh[i], i, now);
		ptr[i] = &sh[i];
	}
	for (i = 0; i < nr; i++)
		if (put)
			bench_put_request(&req[i], i);
		else
			bench_request(&req[i], i);
	match_options_default(&opt);
	opt.now_ms = now;
	match_result_init(&res);

	/* Warm-up: grows the result buffers once, faults the pages in. */
	if (match_run(ptr, (size_t)ns, &req[0], NULL, &opt, &res) == -1)
		return 1;

	b = (struct bench_run){.ptr = ptr,
	    .sh = sh,
	    .ns = (size_t)ns,
	    .req = req,
	    .nr = nr,
	    .with_json = with_json,
	    .opt = &opt,
	    .res = &res,
	    .lat = lat,
	    .cpu = cpu};
	if (bench_loop(&b, "") == -1)
		return 1;
	/* Built once, as the daemon keeps it; warmed up like the first. */
	match_index_init(&idx);
	if (match_index_build(&idx, ptr, (size_t)ns) == -1 ||
	    match_run_indexed(
	        &idx, ptr, (size_t)ns, &req[0], NULL, &opt, &res) == -1)
		return 1;
	b.idx = &idx;
	if (bench_loop(&b, " indexed") == -1)
		return 1;
	/* The window a submit sends (PLACEMENT_WINDOW 4 + 3 alternatives)
	 * and one more; with -p each takes a place in its first candidate,
	 * as a submit does. */
	b.top = 8;
	b.hold = put;
	if (bench_loop(&b, put ? " top 8 (submits)" : " top 8") == -1)
		return 1;
	match_index_free(&idx);
	match_result_free(&res);
	free(sh);
	free(ptr);
	free(req);
	free(lat);
	free(cpu);
	return 0;
}
