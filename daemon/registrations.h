/*
 * registrations.h: registration.create / get / update / list and
 * report.registrations (docs/protocol.md "Registrations and reports").
 */
#ifndef SHELTERD_REGISTRATIONS_H
#define SHELTERD_REGISTRATIONS_H

struct call;

/* registration.create {registration} -> {registration}. */
void registrations_create(struct call *call);
/* registration.update {id, registration, if_version?} -> {registration}. */
void registrations_update(struct call *call);
/* registration.get {id} -> {registration}. */
void registrations_get(struct call *call);
/* registration.list {from?, to?, kind?, limit?} -> {registrations}. */
void registrations_list(struct call *call);
/* report.registrations {from, to, by} -> the protected cross-table. */
void registrations_report(struct call *call);

#endif
