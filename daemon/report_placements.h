/*
 * report_placements.h: report.placements (docs/protocol.md
 * "report.placements").
 */
#ifndef SHELTERD_REPORT_PLACEMENTS_H
#define SHELTERD_REPORT_PLACEMENTS_H

struct call;

/* report.placements {from, to, by} -> the protected placement figures. */
void report_placements_method(struct call *call);

#endif
