/*
 * methods.c: the method table.
 *
 * dispatch.c finds a method with methods_find(): it checks the roles, the
 * own shelter (OWN_PARAM_ID) and the params against the specs below before
 * a handler runs, so handlers only validate what a spec cannot say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "debug.h"
#include "events.h"
#include "methods.h"
#include "placements.h"
#include "registrations.h"
#include "report_placements.h"
#include "requests.h"
#include "shelterd.h"
#include "shelters.h"
#include "stats.h"
#include "stays.h"

#define ALL    (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SHELTER | ROLE_SERVICE)
#define COORD  (ROLE_ADMIN | ROLE_COORDINATOR)
#define READ   (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SERVICE)
#define OWNER  (ROLE_ADMIN | ROLE_SHELTER)
#define PLACES (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SHELTER)

static const struct method methods[] = {
    {.name = "session.auth",
        .roles = ALL,
        .before_auth = true,
        .params = {{"token", PT_STRING, true}},
        .fn = auth_session},
    {.name = "session.ping",
        .roles = ALL,
        .before_auth = true,
        .fn = auth_ping},
    {.name = "session.subscribe",
        .roles = ALL,
        .params = {{"topics", PT_ARRAY, true}, {"since", PT_STRING, false}},
        .fn = events_subscribe},
    {.name = "session.unsubscribe",
        .roles = ALL,
        .params = {{"topics", PT_ARRAY, true}},
        .fn = events_unsubscribe},
    {.name = "shelter.put",
        .audit = true,
        .roles = ROLE_ADMIN,
        .object = "shelter",
        .params = {{"shelter", PT_OBJECT, true}},
        .fn = shelters_put},
    {.name = "shelter.remove",
        .audit = true,
        .roles = ROLE_ADMIN,
        .params = {{"id", PT_STRING, true}},
        .fn = shelters_remove},
    {.name = "shelter.get",
        .roles = ALL,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}},
        .fn = shelters_get},
    {.name = "shelter.list",
        .roles = ALL,
        .own = OWN_HANDLER,
        .params = {{"program", PT_STRING, false},
            {"available_only", PT_BOOL, false}},
        .fn = shelters_list},
    {.name = "shelter.capacity",
        .audit = true,
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"pools", PT_OBJECT, false},
            {"if_version", PT_INT, false}},
        .fn = shelters_capacity},
    {.name = "shelter.intake",
        .audit = true,
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"open", PT_BOOL, true},
            {"reason", PT_STRING, false}},
        .fn = shelters_intake},
    {.name = "shelter.departures",
        .audit = true,
        .roles = OWNER,
        .own = OWN_PARAM_ID,
        .params = {{"id", PT_STRING, true}, {"pools", PT_OBJECT, true}},
        .fn = shelters_departures},
    {.name = "request.submit",
        .audit = true,
        .roles = COORD,
        .object = "request",
        .params = {{"request", PT_OBJECT, true}},
        .fn = requests_submit},
    {.name = "request.submit_batch",
        .audit = true,
        .roles = COORD,
        .params = {{"requests", PT_ARRAY, true}},
        .fn = requests_submit_batch},
    {.name = "request.cancel",
        .audit = true,
        .roles = COORD,
        .params = {{"id", PT_STRING, true}, {"reason", PT_STRING, true}},
        .fn = requests_cancel},
    {.name = "request.get",
        .roles = COORD,
        .params = {{"id", PT_STRING, false}, {"ref", PT_STRING, false}},
        .fn = requests_get},
    {.name = "request.list",
        .roles = COORD,
        .params = {{"status", PT_ARRAY, false}, {"limit", PT_INT, false},
            {"order", PT_STRING, false}, {"case", PT_STRING, false},
            {"explain", PT_BOOL, false}},
        .fn = requests_list},
    {.name = "match.preview",
        .roles = READ,
        .object = "request",
        .params = {{"request", PT_OBJECT, true}},
        .fn = requests_preview},
    {.name = "proposal.accept",
        .audit = true,
        .roles = COORD,
        .params = {{"id", PT_STRING, true}},
        .fn = requests_accept},
    {.name = "proposal.reject",
        .audit = true,
        .roles = COORD,
        .params = {{"id", PT_STRING, true}, {"reason", PT_STRING, true}},
        .fn = requests_reject},
    {.name = "placement.arrived",
        .audit = true,
        .roles = OWNER,
        .own = OWN_HANDLER,
        .params = {{"request_id", PT_STRING, true}},
        .fn = requests_arrived},
    {.name = "placement.departed",
        .audit = true,
        .roles = OWNER,
        .own = OWN_HANDLER,
        .params = {{"request_id", PT_STRING, true}},
        .fn = requests_departed},
    {.name = "placement.list",
        .roles = PLACES,
        .own = OWN_HANDLER,
        .params = {{"status", PT_ARRAY, false}},
        .fn = placements_list},
    {.name = "stats.get", .roles = READ, .fn = stats_get},
    {.name = "report.long_stays",
        .roles = COORD | ROLE_SHELTER,
        .own = OWN_HANDLER,
        .params = {{"program", PT_STRING, false}},
        .fn = stays_report},
    {.name = "debug.advance",
        .audit = true,
        .roles = ROLE_ADMIN,
        .debug = true,
        .params = {{"seconds", PT_INT, true}},
        .fn = debug_advance},
    {.name = "registration.create",
        .roles = COORD,
        .audit = true,
        .object = "registration",
        .params = {{"registration", PT_OBJECT, true}},
        .fn = registrations_create},
    {.name = "registration.get",
        .roles = COORD,
        .params = {{"id", PT_STRING, true}},
        .fn = registrations_get},
    {.name = "registration.update",
        .roles = COORD,
        .audit = true,
        .object = "registration",
        .params = {{"id", PT_STRING, true}, {"registration", PT_OBJECT, true},
            {"if_version", PT_INT, false}},
        .fn = registrations_update},
    {.name = "registration.list",
        .roles = COORD,
        .params = {{"from", PT_STRING, false}, {"to", PT_STRING, false},
            {"kind", PT_STRING, false}, {"limit", PT_INT, false}},
        .fn = registrations_list},
    {.name = "report.registrations",
        .roles = READ,
        .params = {{"from", PT_STRING, true}, {"to", PT_STRING, true},
            {"by", PT_ARRAY, true}},
        .fn = registrations_report},
    {.name = "report.placements",
        .roles = READ,
        .params = {{"from", PT_STRING, true}, {"to", PT_STRING, true},
            {"by", PT_ARRAY, true}},
        .fn = report_placements_method},
    {.name = "audit.list",
        .roles = ROLE_ADMIN,
        .params = {{"from", PT_STRING, false}, {"to", PT_STRING, false},
            {"who", PT_STRING, false}, {"method", PT_STRING, false},
            {"limit", PT_INT, false}},
        .fn = audit_list},
    {.name = "retention.sweep",
        .roles = ROLE_ADMIN,
        .audit = true,
        .fn = audit_retention_sweep},
};

/* The method called name, or NULL. */
const struct method *
methods_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return methods[i].debug && !sd.cfg->debug_clock
			    ? NULL
			    : &methods[i];
	return NULL;
}
