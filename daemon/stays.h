/*
 * stays.h: report.long_stays, the live overview of stays beyond the norm.
 */
#ifndef SHELTERD_STAYS_H
#define SHELTERD_STAYS_H

#include "methods.h"

method_fn stays_report; /* report.long_stays */

#endif
