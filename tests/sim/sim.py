#!/usr/bin/env python3
"""sim.py: replay seeded raids and a synthetic year through a real
redis-server and a real shelterd (`make sim`), and print figures.

    python3 tests/sim/sim.py [--raids N] [--seed S] [--no-year]

1. Raids: N seeded raid batches (10-30 people of one case, some of them
   `apart`, some with children) against tight capacity, in a fresh store
   each. Each raid is previewed (match.preview: the candidates and scores
   the daemon sees), submitted once with request.submit_batch and once as
   single request.submit calls in a second fresh store, and both are
   compared with the offline optimum of the same candidates and scores
   (most people placed, then the highest total score; exact: min-cost
   flow, with the apart rule by enumerating which shelters take an apart
   member).
   The options are read from the daemon at the moment of the batch
   (shelter.list and match.preview on the same store, nothing between):
   the candidates and scores are the daemon's, the pools of a candidate
   those of its pools with a free place that admit the household. Every
   place the daemon then proposes is checked to be one of those options
   at that score ("choices outside the options", must be 0).
2. A synthetic year on the test clock (debug.clock; one day is
   debug.advance 86400): about 230 single referrals and 3-4 raids as
   batches, every shelter sending a heartbeat daily, every proposal
   accepted and arrived the day it is made, stays of 60-120 days ending
   with placement.departed (which frees the place for the waitlist).
   Prints the placement rate, the median and p90 wait in days (the
   request's created_at to the offer, on the daemon's clock), apart
   violations among those expected or resident at each day's end, and
   request-days waiting while a place they fit was free: at each day's
   end, after every proposal is accepted, each waiting request is
   previewed; one with a candidate that still has it GRACE_S later
   counts (both must be 0).

Figures only: nothing here asserts a time. Python 3 standard library.
"""

import argparse
import calendar
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness as h  # noqa: E402

TOWNS = ["Amsterdam", "Rotterdam", "Zwolle", "Enschede", "Leeuwarden",
         "Almere", "Alkmaar", "Eindhoven", "Groningen", "Utrecht",
         "Maastricht", "Arnhem"]
LANGS = ["en", "pl", "ro", "bg", "uk", "vi", "ar", "es", "pt", "nl"]


# ---------------------------------------------------------------------------
# The world


def pools_for(rng, places):
    """Women, men and family pools sharing about `places` free places."""
    w = max(0, int(places * rng.uniform(0.3, 0.6)))
    m = max(0, int(places * rng.uniform(0.2, 0.5)))
    f = max(0, places - w - m)
    out = []
    for name, genders, kids, n in (("women", ("f",), 0, w),
                                   ("men", ("m",), 0, m),
                                   ("family", ("f",), 3, f)):
        if n > 0 or rng.random() < 0.3:
            out.append(h.pool(name, genders=genders, children_max=kids,
                              total=n + 1, occupied=1))
    if not out:
        out.append(h.pool("women", genders=("f",), total=1, occupied=1))
    return out


def world(rng, nshelters, places):
    out = []
    for i in range(nshelters):
        langs = rng.sample(LANGS, rng.randint(2, 4))
        if "nl" not in langs:
            langs.append("nl")
        out.append(h.shelter(
            "sim-%02d" % i, municipality=TOWNS[i % len(TOWNS)],
            languages=sorted(langs),
            care=sorted(rng.sample(["trauma", "medical", "psychiatric"],
                                   rng.randint(1, 2))),
            pools=pools_for(rng, rng.randint(0, places))))
    return out


def person(rng, ref, case, apart_share, town, ages=(18, 60)):
    gender = "f" if rng.random() < 0.55 else "m"
    r = h.request(ref, gender=gender, age=rng.randint(*ages))
    r["person"]["languages"] = rng.sample(LANGS[:9], rng.randint(1, 2))
    if gender == "f" and rng.random() < 0.15:
        r["children"] = [{"age": rng.randint(1, 10),
                          "gender": rng.choice(["f", "m"])}
                         for _ in range(rng.randint(1, 2))]
    safety = {"min_distance_km": 20}
    if case:
        safety["case"] = case
        safety["co_victims"] = "apart" if rng.random() < apart_share \
            else "any"
    r["safety"] = safety
    r["exploitation"] = {"sector": "labour",
                         "location": {"municipality": town}}
    if rng.random() < 0.5:
        r["preferred_location"] = {"municipality": rng.choice(TOWNS)}
    return r


def raid_requests(rng, k, tag):
    town = rng.choice(TOWNS)
    return [person(rng, "%s-%02d" % (tag, i), tag, 0.2, town)
            for i in range(k)]


# ---------------------------------------------------------------------------
# The offline optimum


def admits(p, r):
    per = r["person"]
    kids = r.get("children", [])
    if per["gender"] not in p["genders"]:
        return False
    if not p["min_age"] <= per["age"] <= p["max_age"]:
        return False
    if len(kids) > p["children_max"]:
        return False
    return all(c["gender"] != "m" or c["age"] <= p["boys_max_age"]
               for c in kids)


def mcmf(n, edges, s, t):
    """Min-cost max-flow (SPFA). edges: [u, v, cap, cost]. -> (flow, cost,
    flow per input edge)."""
    g = [[] for _ in range(n)]
    E = []
    for u, v, cap, cost in edges:
        g[u].append(len(E))
        E.append([v, cap, cost])
        g[v].append(len(E))
        E.append([u, 0, -cost])
    flow = cost = 0
    while True:
        dist = [None] * n
        inq = [False] * n
        prev = [-1] * n
        dist[s] = 0
        q = [s]
        while q:
            u = q.pop()
            inq[u] = False
            for ei in g[u]:
                v, cap, c = E[ei]
                if cap > 0 and (dist[v] is None or dist[u] + c < dist[v]):
                    dist[v] = dist[u] + c
                    prev[v] = ei
                    if not inq[v]:
                        inq[v] = True
                        q.append(v)
        if dist[t] is None:
            break
        v = t
        while v != s:
            ei = prev[v]
            E[ei][1] -= 1
            E[ei ^ 1][1] += 1
            v = E[ei ^ 1][0]
        flow += 1
        cost += dist[t]
    return flow, cost, [E[2 * i + 1][1] for i in range(len(edges))]


def flow_solve(n, options, free, pools, forbid):
    """Max people, then max score, ignoring apart; forbid: {(i, shelter)}.
    -> (placed, score in hundredths, shelter per request)."""
    pidx = {p: k for k, p in enumerate(pools)}
    base, sink = n + 1, n + 1 + len(pools)
    edges, which = [], []
    for i in range(n):
        edges.append([0, 1 + i, 1, 0])
        which.append(None)
    for i in range(n):
        for (s, p, sc) in options[i]:
            if (i, s) not in forbid:
                edges.append([1 + i, base + pidx[(s, p)], 1, 10000 - sc])
                which.append((i, s))
    for p in pools:
        edges.append([base + pidx[p], sink, free[p], 0])
        which.append(None)
    f, cost, used = mcmf(sink + 1, edges, 0, sink)
    where = [None] * n
    for e, w in zip(used, which):
        if w is not None and e > 0:
            where[w[0]] = w[1]
    return f, f * 10000 - cost, where


def first_conflict(reqs, where):
    for i in range(len(reqs)):
        for j in range(i + 1, len(reqs)):
            a, b = reqs[i].get("safety", {}), reqs[j].get("safety", {})
            if (where[i] is not None and where[i] == where[j] and
                    a.get("case") and a.get("case") == b.get("case") and
                    "apart" in (a.get("co_victims"), b.get("co_victims"))):
                return i, j, where[i]
    return None


def optimum(reqs, options, free, max_nodes=20000):
    """(placed, total score, exact) of the best assignment: min-cost flow
    for capacity, branch and bound on the first apart conflict (forbid
    one of the two at that shelter). options[i]: [(shelter, pool,
    score in hundredths)]; free[(shelter, pool)]: places."""
    pools = sorted(free)
    best = (-1, -1)
    stack, nodes = [frozenset()], 0
    while stack and nodes < max_nodes:
        forbid = stack.pop()
        nodes += 1
        f, sc, where = flow_solve(len(reqs), options, free, pools, forbid)
        if (f, sc) <= best:
            continue
        cf = first_conflict(reqs, where)
        if cf is None:
            best = (f, sc)
            continue
        # a says apart: either a is not at s, or no other member of its
        # case is (every valid assignment is in one of the two).
        i, j, s = cf
        a = i if reqs[i]["safety"].get("co_victims") == "apart" else j
        case = reqs[a]["safety"]["case"]
        others = {(k, s) for k, r in enumerate(reqs)
                  if k != a and r.get("safety", {}).get("case") == case}
        stack.append(forbid | {(a, s)})
        stack.append(forbid | others)
    return best[0], best[1] / 100.0, not stack


def preview_options(c, reqs, shelters):
    """Per request: [(shelter, pool, score in hundredths)] as the daemon
    sees them, every admitting pool with a free place."""
    live = {s["id"]: s for s in c.call("shelter.list")["shelters"]}
    free = {}
    for s in live.values():
        for p in s["pools"]:
            if p["free"] > 0:
                free[(s["id"], p["name"])] = p["free"]
    out = []
    for r in reqs:
        cands = c.call("match.preview", {"request": r})["candidates"]
        opts = []
        for cd in cands:
            for p in live[cd["shelter_id"]]["pools"]:
                if p["free"] > 0 and admits(p, r):
                    opts.append((cd["shelter_id"], p["name"],
                                 int(round(cd["score"] * 100))))
        out.append(opts)
    return out, free


def apart_violations(reqs, where):
    """Pairs of one case in one shelter where either says apart."""
    n = 0
    for i in range(len(reqs)):
        for j in range(i + 1, len(reqs)):
            a, b = reqs[i].get("safety", {}), reqs[j].get("safety", {})
            if not a.get("case") or a.get("case") != b.get("case"):
                continue
            if "apart" not in (a.get("co_victims"), b.get("co_victims")):
                continue
            if where[i] is not None and where[i] == where[j]:
                n += 1
    return n


def run_raid(seed, mode):
    rng = random.Random(seed)
    shelters = world(rng, rng.randint(5, 9), 6)
    k = rng.randint(10, 30)
    reqs = raid_requests(rng, k, "R%02d" % seed)
    with h.Env(shelters=shelters, limits={"rate_per_s": 100000},
               matching={"alternatives": 2}) as env:
        c = env.client("coordinator")
        opts, free = preview_options(c, reqs, shelters)
        t0 = time.monotonic()
        if mode == "batch":
            res = c.call("request.submit_batch", {"requests": reqs},
                         timeout=30)["results"]
        else:
            res = [c.call("request.submit", {"request": r}) for r in reqs]
        took = time.monotonic() - t0
        props = [r["proposal"] for r in res]
        for p in props:
            if p is not None:
                c.call("proposal.accept", {"id": p["id"]})
    placed = sum(1 for p in props if p is not None)
    score = sum(p["score"] for p in props if p is not None)
    where = [p["shelter_id"] if p else None for p in props]
    # The optimum is only a bound on the batch if the daemon chose among
    # the same options: every choice must be one of them, at its score.
    # (Single submits see the scores change as the raid takes places.)
    foreign = sum(1 for p, o in zip(props, opts) if p is not None and
                  (p["shelter_id"], p["pool"],
                   int(round(p["score"] * 100))) not in o)
    return {"k": k, "placed": placed, "score": score, "opts": opts,
            "foreign": foreign,
            "free": free, "reqs": reqs, "took": took,
            "apart": apart_violations(reqs, where),
            "free_total": sum(free.values())}


def raids(n, seed0):
    print("raids: %d seeded batches of 10-30 people, tight capacity" % n)
    print("%-5s %4s %5s | %6s %8s | %6s %8s | %6s %8s %6s" % (
        "raid", "n", "free", "opt", "score", "batch", "score", "single",
        "score", "ms"))
    tot = {"opt_p": 0, "opt_s": 0.0, "b_p": 0, "b_s": 0.0, "s_p": 0,
           "s_s": 0.0, "b_short": 0, "s_short": 0, "apart": 0,
           "inexact": 0, "s_apart": 0, "foreign": 0}
    for i in range(n):
        seed = seed0 + i
        b = run_raid(seed, "batch")
        s = run_raid(seed, "single")
        op, osc, exact = optimum(b["reqs"], b["opts"], b["free"])
        tot["inexact"] += not exact
        tot["foreign"] += b["foreign"]
        print("%-5d %4d %5d | %6d %8.2f | %6d %8.2f | %6d %8.2f %6.0f" % (
            seed, b["k"], b["free_total"], op, osc, b["placed"], b["score"],
            s["placed"], s["score"], b["took"] * 1000))
        tot["opt_p"] += op
        tot["opt_s"] += osc
        tot["b_p"] += b["placed"]
        tot["b_s"] += b["score"]
        tot["s_p"] += s["placed"]
        tot["s_s"] += s["score"]
        tot["b_short"] += b["placed"] < op
        tot["s_short"] += s["placed"] < op
        tot["apart"] += b["apart"]
        tot["s_apart"] += s["apart"]
    print("batch:  placed %.4f of the optimum's people, score %.4f of its "
          "score; %d of %d raids leave someone the optimum houses" % (
              tot["b_p"] / max(1, tot["opt_p"]),
              tot["b_s"] / max(1e-9, tot["opt_s"]), tot["b_short"], n))
    print("single: placed %.4f of the optimum's people, score %.4f of its "
          "score; %d of %d raids leave someone the optimum houses" % (
              tot["s_p"] / max(1, tot["opt_p"]),
              tot["s_s"] / max(1e-9, tot["opt_s"]), tot["s_short"], n))
    print("apart violations: batch %d, single %d (single matching only "
          "keeps a request that says apart away)" % (tot["apart"],
                                                      tot["s_apart"]))
    print("batch choices outside the options the optimum was computed "
          "over: %d (must be 0)" % tot["foreign"])
    if tot["inexact"]:
        print("optimum: the search stopped early in %d raids (a bound, "
              "not exact)" % tot["inexact"])


# ---------------------------------------------------------------------------
# The year


HOLD_S = 1800
DAY_S = 86400
# A waiting request beside a fitting free place is given this long (wall
# time) for the daemon's waitlist pass before it counts.
GRACE_S = 2.0


def when(iso):
    """RFC 3339 UTC -> seconds since the epoch."""
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))


def settle_day(c, adm, docs, stats, day, leave, where, stays):
    """Accept and arrive every open proposal (those the waitlist pass
    makes after today's departures too), until no proposal is open and no
    waiting request has a candidate in match.preview (a place it fits is
    free). A request still beside a free place GRACE_S after that is one
    request-day of waiting while a place it fit was free."""
    deadline = None
    while True:
        props = c.call("request.list", {"status": ["proposed"],
                                        "limit": 500})["requests"]
        for r in props:
            got = c.call("request.get", {"id": r["id"]})["request"]
            p = got["proposal"]
            c.call("proposal.accept", {"id": p["id"]})
            adm.call("placement.arrived", {"request_id": r["id"]})
            offered = when(p["expires_at"]) - HOLD_S
            stats["waits"].append((offered - when(got["created_at"])) /
                                  DAY_S)
            stats["placed"] += 1
            where[r["id"]] = p["shelter_id"]
            leave.setdefault(day + stays.randint(60, 120),
                             []).append(r["id"])
        idle = [r["id"] for r in c.call("request.list", {
            "status": ["waiting"], "limit": 500})["requests"]
            if c.call("match.preview",
                      {"request": docs[r["id"]]})["candidates"]]
        if not props and not idle:
            return
        if props:
            deadline = None
            continue
        if deadline is None:
            deadline = time.monotonic() + GRACE_S
        elif time.monotonic() > deadline:
            stats["idle_waits"] += len(idle)
            stats["idle_days"].add(day)
            return
        time.sleep(0.05)


def year(seed):
    rng = random.Random(seed)
    # Stays from their own stream: the referrals do not depend on how
    # many were placed before them.
    stays = random.Random(seed + 1000003)
    shelters = []
    for i, (town, n) in enumerate([("Amsterdam", 20), ("Rotterdam", 18),
                                   ("Leeuwarden", 14)]):
        shelters.append(h.shelter(
            "cosm-%d" % i, municipality=town, languages=sorted(
                set(rng.sample(LANGS, 4)) | {"nl", "en"}),
            pools=[h.pool("women", genders=("f",), total=n // 2),
                   h.pool("men", genders=("m",), total=n // 3),
                   h.pool("family", genders=("f",), children_max=3,
                          total=n - n // 2 - n // 3)]))
    places = sum(p["total"] for s in shelters for p in s["pools"])
    raid_days = sorted(rng.sample(range(20, 340), rng.randint(3, 4)))
    stats = {"placed": 0, "waits": [], "apart": 0, "idle_waits": 0,
             "idle_days": set(), "departures": 0, "stay_days": 0}
    with h.Env(shelters=shelters, limits={"rate_per_s": 100000},
               matching={"hold_ttl_s": HOLD_S},
               extra={"debug": {"clock": True}}) as env:
        c = env.client("coordinator")
        adm = env.client("admin")
        docs = {}      # request id -> request document
        leave = {}     # day -> [request ids]
        where = {}     # request id -> shelter (while there)
        seq = 0
        for day in range(365):
            if day:
                adm.call("debug.advance", {"seconds": DAY_S})
            # Every shelter reports daily (a heartbeat), so none turns
            # stale and freshness scores alike.
            for s in shelters:
                adm.call("shelter.capacity", {"id": s["id"]})
            # Departures first: their places free up for today.
            for rid in leave.pop(day, []):
                adm.call("placement.departed", {"request_id": rid})
                stats["departures"] += 1
                where.pop(rid, None)
            # The waitlist takes the freed places before today's
            # referrals arrive (so the order does not depend on timing).
            settle_day(c, adm, docs, stats, day, leave, where, stays)
            for _ in range(sum(1 for _ in range(3) if rng.random() < 0.2)):
                seq += 1
                r = person(rng, "Y-%04d" % seq, None, 0, rng.choice(TOWNS))
                res = c.call("request.submit", {"request": r})
                docs[res["request"]["id"]] = r
            if day in raid_days:
                seq += 1
                reqs = raid_requests(rng, rng.randint(10, 30),
                                     "YR%04d" % seq)
                res = c.call("request.submit_batch", {"requests": reqs},
                             timeout=30)["results"]
                for r, doc in zip(res, reqs):
                    docs[r["request"]["id"]] = doc
            settle_day(c, adm, docs, stats, day, leave, where, stays)
            # Apart among those expected or resident now.
            present = list(where)
            stats["apart"] += apart_violations(
                [docs[r] for r in present], [where[r] for r in present])
            stats["stay_days"] += len(where)
        waiting = c.call("request.list", {"status": ["waiting"],
                                          "limit": 500})["requests"]
    n = len(docs)
    w = sorted(stats["waits"])
    print("year: %d referrals (%d in %d raids on days %s), %d places, "
          "stays of 60-120 days, one day = debug.advance 86400" % (
              n, n - seq + len(raid_days), len(raid_days),
              ",".join(str(d) for d in raid_days), places))
    print("  demand: about %.0f place-days asked (90 a referral) for %d "
          "place-days; %.2f of the place-days used" % (
              90 * n, 365 * places, stats["stay_days"] / (365 * places)))
    print("  departures: %d via placement.departed" % stats["departures"])
    print("  placement rate %.3f (%d placed, %d still waiting at the end)" %
          (stats["placed"] / max(1, n), stats["placed"], len(waiting)))
    if w:
        print("  wait (days, request created to place offered, daemon "
              "clock): median %.1f, p90 %.1f, placed the same day %.2f" % (
                  statistics.median(w),
                  w[min(len(w) - 1, int(0.9 * len(w)))],
                  sum(1 for x in w if x < 1) / len(w)))
    print("  apart violations: %d (day-end checks of those expected or "
          "resident)" % stats["apart"])
    print("  request-days waiting while a place they fit was free: %d "
          "(match.preview of every waiting request at each day's end, "
          "%gs after the last proposal)" % (stats["idle_waits"], GRACE_S))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raids", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-year", action="store_true")
    a = ap.parse_args()
    try:
        raids(a.raids, a.seed)
        if not a.no_year:
            year(a.seed)
    finally:
        h.cleanup_all()


if __name__ == "__main__":
    main()
