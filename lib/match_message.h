/*
 * match_message.h: the explanation's sentence, for match.c.
 */
#ifndef SHELTER_MATCH_MESSAGE_H
#define SHELTER_MATCH_MESSAGE_H

#include "shelter/match.h"
#include "shelter/model.h"

/*
 * Write res->message from res's histogram, near misses, dead end,
 * referral and forecast for req: one sentence, truncated to fit.
 */
void match_message(struct match_result *res, const struct request *req);

#endif
