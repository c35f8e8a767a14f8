"""test_ctl.py: shelterctl as a user runs it.

First the offline commands (match, token, help: no daemon), then every
online command against a real redis-server and shelterd (harness.Env),
checking what a user sees: the output, --json parsed, and the exit status
(0 ok, 1 refused or invalid, 2 usage, 3 nothing fits).
"""

import hashlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "tests", "fixtures", "ctl")
SHELTERS = os.path.join(FIX, "shelters.yaml")
FITS = os.path.join(FIX, "fits.json")
NONE_FITS = os.path.join(FIX, "nothing-fits.json")
BAD_AGE = os.path.join(FIX, "bad-age.json")
UNKNOWN_FIELD = os.path.join(FIX, "unknown-field.json")
LANGUAGE_ONLY = os.path.join(FIX, "language-only.yaml")
DEMO_SHELTERS = os.path.join(ROOT, "config", "shelters.yaml")
EXAMPLES = os.path.join(ROOT, "config", "examples")

COMMANDS = ("status", "shelters", "shelter", "capacity", "intake", "submit",
            "preview", "requests", "accept", "reject", "cancel", "arrived",
            "departed", "watch", "token", "match")


def ctl(*args, env=None, role=None, unix=False, token=None, stdin=None,
        timeout=20):
    """Run shelterctl. With env: over TCP with role's token (role given),
    or the Unix socket (peer credentials: admin) when unix or no role."""
    e = dict(os.environ)
    e.pop("SHELTERCTL_TOKEN", None)
    e.pop("SHELTERD_SOCKET", None)
    pre = []
    if env is not None:
        if unix or role is None:
            pre = ["-s", env.daemon.unix_path]
        else:
            pre = ["--connect", "127.0.0.1:%d" % env.daemon.tcp_port]
            e["SHELTERCTL_TOKEN"] = env.daemon.tokens[role]
    if token is not None:
        e["SHELTERCTL_TOKEN"] = token
    return subprocess.run([h.shelterctl_path()] + pre + list(args),
                          input=stdin, capture_output=True, text=True,
                          env=e, timeout=timeout)


def expect(p, code):
    assert p.returncode == code, (
        "expected exit %d, got %d\nstdout:\n%s\nstderr:\n%s"
        % (code, p.returncode, p.stdout, p.stderr))
    return p


def table(text):
    """An aligned table as a list of dicts keyed by its header words."""
    lines = [l for l in text.splitlines() if l.strip()]
    head = lines[0].split()
    rows = []
    for l in lines[1:]:
        cells = l.split()
        assert len(cells) == len(head), "ragged row %r under %r" % (l, head)
        rows.append(dict(zip(head, cells)))
    return rows


def columns(text, headers):
    """An aligned table whose headers may hold spaces, as dicts: each
    cell is the text under its header, up to the next header."""
    lines = [l for l in text.splitlines() if l.strip()]
    head = lines[0]
    starts = [head.index(hd) for hd in headers]
    assert starts == sorted(starts), head
    rows = []
    for l in lines[1:]:
        if l.startswith(" ") or not l[:1].strip() or l.startswith("more "):
            continue
        cells = {}
        for i, hd in enumerate(headers):
            end = starts[i + 1] if i + 1 < len(starts) else None
            cells[hd] = l[starts[i]:end].strip()
        rows.append(cells)
    return rows


WORK = ["ID", "REF", "CASE", "STATUS", "HOUSEHOLD", "URGENCY",
        "WAITING FOR", "HOLD LEFT", "SHELTER/POOL", "PROPOSAL", "WHY"]
STATUS = ["PROGRAM", "SHELTERS", "OPEN", "FREE/TOTAL", "OCCUPIED", "HELD",
          "EXPECTED", "WAITING", "PROPOSED", "PLACED"]


def match(*args):
    return ctl("match", "--shelters", SHELTERS, *args)


# ---------------------------------------------------------------------------
# Offline: match


def test_match_prints_ranked_table_for_request_that_fits():
    p = expect(match(FITS), 0)
    rows = table(p.stdout)
    assert p.stdout.splitlines()[0].split()[:5] == [
        "RANK", "SHELTER", "POOL", "SCORE", "FREE"], p.stdout
    # ctl-amsterdam speaks the person's language; ctl-groningen does not;
    # OMM needs a psychiatric need, Maastricht is closed.
    assert [r["SHELTER"] for r in rows] == ["ctl-amsterdam", "ctl-groningen"]
    assert [r["RANK"] for r in rows] == ["1", "2"]
    assert rows[0]["POOL"] == "women" and rows[0]["FREE"] == "3"
    assert rows[0]["LANG"] == "100" and rows[1]["LANG"] == "0"
    assert float(rows[0]["SCORE"]) > float(rows[1]["SCORE"])
    assert p.stderr == ""


def test_match_explains_when_nothing_fits():
    p = expect(match(NONE_FITS), 3)
    first = p.stdout.splitlines()[0]
    assert first.startswith("0/4 shelters can take this request: "), first
    assert "no free place" in first and first.endswith("."), first
    assert "RANK" not in p.stdout
    reasons = {}
    near = {}
    block = None
    for line in p.stdout.splitlines()[1:]:
        words = line.split()
        if not words:
            continue
        if words[0] in ("REASON", "NEAR"):
            block = words[0]
        elif block == "REASON":
            reasons[words[0]] = int(words[1])
        elif block == "NEAR":
            near[words[0]] = words[1:]
    assert reasons["no_free_place"] == 1, p.stdout
    assert reasons["program"] == 3, p.stdout
    assert reasons["intake_closed"] == 1, p.stdout
    assert near.get("ctl-amsterdam") == ["no_free_place"], p.stdout


def test_match_invalid_request_names_the_field():
    p = expect(match(BAD_AGE), 1)
    assert p.stderr.strip() == (
        "shelterctl: person.age: must be an integer from 0 to 120"), p.stderr
    assert p.stdout == ""
    p = expect(match(UNKNOWN_FIELD), 1)
    assert p.stderr.startswith("shelterctl: person.birth_date: "), p.stderr
    with tempfile.TemporaryDirectory() as d:
        dup = os.path.join(d, "dup.json")
        with open(dup, "w") as f:
            f.write('{"ref": "A", "ref": "B", "person": {"gender": "f", '
                    '"age": 30}}\n')
        p = expect(match(dup), 1)
        assert "duplicate" in p.stderr and dup in p.stderr, p.stderr
        arr = os.path.join(d, "arr.json")
        with open(arr, "w") as f:
            f.write("[]\n")
        expect(match(arr), 1)
    p = expect(match(os.path.join(FIX, "no-such-file.json")), 1)
    assert "no-such-file.json" in p.stderr


def test_match_invalid_shelters_file_is_reported_with_position():
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "shelters.yaml")
        with open(bad, "w") as f:
            f.write("- id: x-1\n  program: cosm\n  colour: blue\n")
        p = expect(ctl("match", "--shelters", bad, FITS), 1)
        assert re.search(re.escape(bad) + r":\d+:\d+: ", p.stderr), p.stderr


def test_match_usage_errors_exit_2():
    expect(ctl("match", FITS), 2)                    # no --shelters
    expect(ctl("match", "--shelters", SHELTERS), 2)  # no request
    expect(match(FITS, FITS), 2)                     # two requests
    expect(match("--gender", "f", FITS), 2)          # flags and a file
    expect(match("--bogus", FITS), 2)
    expect(match("--children", "four", "--gender", "f", "--age", "30"), 2)
    p = expect(ctl(), 2)
    assert "usage" in p.stderr
    p = expect(ctl("frobnicate"), 2)
    assert "frobnicate" in p.stderr
    expect(ctl("--timeout", "soon", "status"), 2)


def test_match_json_has_the_shape_of_preview():
    p = expect(match("--json", FITS), 0)
    out = json.loads(p.stdout)
    assert set(out) == {"candidates", "explanation"}, out
    c = out["candidates"][0]
    assert set(c) == {"shelter_id", "pool", "score", "scores", "free",
                      "distance_km"}, c
    # No location in this request: both distances null.
    assert c["distance_km"] == {"exploitation": None, "preferred": None}
    assert c["shelter_id"] == "ctl-amsterdam" and c["pool"] == "women"
    assert c["scores"]["language"] == 100
    e = out["explanation"]
    assert e["total"] == 4 and e["eligible"] == 2, e
    assert e["message"].startswith("2/4 shelters can take this request"), e
    # Nothing fits: still JSON, still exit 3.
    p = expect(match(NONE_FITS, "--json"), 3)
    out = json.loads(p.stdout)
    assert out["candidates"] == []
    assert out["explanation"]["eligible"] == 0
    assert out["explanation"]["message"].startswith("0/4 shelters")


def test_match_json_before_or_after_the_command():
    a = expect(ctl("--json", "match", "--shelters", SHELTERS, FITS), 0)
    b = expect(ctl("match", "--shelters", SHELTERS, FITS, "--json"), 0)
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    # Freshness depends on the clock; everything else is the same.
    for j in (ja, jb):
        for c in j["candidates"]:
            c["scores"].pop("freshness", None)
            c.pop("score")
    assert ja == jb


def test_match_table_and_json_rank_alike():
    """On the demo data: the table is the JSON, row for row."""
    names = {"LANG": "language", "SAFETY": "safety_distance",
             "PROX": "proximity", "CARE": "care_fit", "OCC": "occupancy",
             "FRESH": "freshness", "TOGETHER": "together"}
    compared = 0
    for f in sorted(os.listdir(EXAMPLES)):
        if not f.endswith(".json"):
            continue
        path = os.path.join(EXAMPLES, f)
        t = ctl("match", "--shelters", DEMO_SHELTERS, path)
        j = ctl("match", "--shelters", DEMO_SHELTERS, path, "--json")
        assert t.returncode == j.returncode, (f, t.returncode, j.returncode)
        if t.returncode != 0:
            assert t.returncode == 3, (f, t.stderr)
            msg = json.loads(j.stdout)["explanation"]["message"]
            assert t.stdout.splitlines()[0] == msg
            continue
        rows = table(t.stdout)
        cands = json.loads(j.stdout)["candidates"]
        assert len(rows) == len(cands) > 0
        for i, (r, c) in enumerate(zip(rows, cands)):
            assert int(r["RANK"]) == i + 1
            assert r["SHELTER"] == c["shelter_id"]
            assert r["POOL"] == c["pool"]
            assert abs(float(r["SCORE"]) - c["score"]) < 0.006
            assert int(r["FREE"]) == c["free"]
            for head, name in names.items():
                if name in c["scores"]:
                    assert int(r[head]) == c["scores"][name], (f, head)
        # Ranked: score descending.
        scores = [c["score"] for c in cands]
        assert scores == sorted(scores, reverse=True), (f, scores)
        compared += 1
    assert compared > 0, "no example request fits the demo shelters"


def test_match_config_weights_are_used():
    p = expect(match("--config", LANGUAGE_ONLY, FITS), 0)
    rows = table(p.stdout)
    # Only the language scorer is on: its column alone, scores 100 and 0.
    assert set(rows[0]) == {"RANK", "SHELTER", "POOL", "SCORE", "FREE",
                            "LANG"}, rows[0]
    assert [r["SCORE"] for r in rows] == ["100.00", "0.00"], rows
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.yaml")
        with open(bad, "w") as f:
            f.write("matching:\n  weights: {language: -1}\n")
        p = expect(match("--config", bad, FITS), 1)
        assert re.search(re.escape(bad) + r":\d+:\d+: ", p.stderr), p.stderr


def test_match_request_from_flags_equals_the_file():
    a = expect(match("--json", FITS), 0)
    b = expect(match("--json", "--ref", "CTL-FITS-1", "--gender", "f",
                     "--age", "30", "--languages", "ro",
                     "--nationality", "RO", "--residence", "reflection",
                     "--urgency", "days"), 0)
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    key = [(c["shelter_id"], c["pool"], c["scores"]["language"])
           for c in ja["candidates"]]
    assert key == [(c["shelter_id"], c["pool"], c["scores"]["language"])
                   for c in jb["candidates"]]
    # A bad value given as a flag gets the validator's message, named
    # by its flag.
    p = expect(match("--gender", "f", "--age", "old"), 1)
    assert p.stderr == "shelterctl: --age: must be an integer from 0 to " \
        "120\n", p.stderr
    p = expect(match("--gender", "f", "--age", "30", "--min-distance",
                     "-5"), 1)
    assert p.stderr.startswith("shelterctl: --min-distance: "), p.stderr
    p = expect(match("--gender", "f", "--age", "30", "--needs", "x"), 1)
    assert p.stderr.startswith("shelterctl: --needs"), p.stderr


def test_match_reads_request_from_stdin():
    with open(FITS) as f:
        text = f.read()
    p = expect(ctl("match", "--shelters", SHELTERS, "-", stdin=text), 0)
    assert table(p.stdout)[0]["SHELTER"] == "ctl-amsterdam"


# ---------------------------------------------------------------------------
# Offline: token, help


def test_token_new_prints_token_and_config_line():
    p = expect(ctl("token", "new", "--role", "shelter", "--name",
                   "cosm-test", "--shelter", "ctl-amsterdam"), 0)
    lines = p.stdout.splitlines()
    assert len(lines) == 2, p.stdout
    token = lines[0]
    assert re.fullmatch(r"[0-9a-f]{64}", token), token
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert lines[1] == ('- {name: cosm-test, role: shelter, shelter: '
                        'ctl-amsterdam, sha256: "%s"}' % digest), lines[1]
    q = expect(ctl("token", "new", "--role", "coordinator", "--name",
                   "helpdesk-1"), 0)
    other = q.stdout.splitlines()
    assert other[0] != token
    assert other[1].startswith("- {name: helpdesk-1, role: coordinator, "
                               "sha256: \"")
    j = json.loads(expect(ctl("token", "new", "--role", "service",
                              "--name", "svc", "--json"), 0).stdout)
    assert j["sha256"] == hashlib.sha256(j["token"].encode()).hexdigest()
    assert j["role"] == "service" and "shelter" not in j


def test_token_new_usage_errors():
    expect(ctl("token", "new", "--role", "shelter", "--name", "x"), 2)
    expect(ctl("token", "new", "--role", "king", "--name", "x"), 2)
    expect(ctl("token", "new", "--role", "admin"), 2)
    expect(ctl("token", "new", "--role", "admin", "--name", "a b"), 2)
    expect(ctl("token", "new", "--role", "admin", "--name", "x",
               "--shelter", "ctl-amsterdam"), 2)
    expect(ctl("token", "old", "--role", "admin", "--name", "x"), 2)


def test_help_on_every_command():
    p = expect(ctl("help"), 0)
    for c in COMMANDS:
        assert re.search(r"^  %s " % c, p.stdout, re.M), c
    assert expect(ctl("--help"), 0).stdout == p.stdout
    for c in COMMANDS:
        q = expect(ctl(c, "--help"), 0)
        assert q.stdout.startswith("usage: shelterctl %s" % c), q.stdout
        assert expect(ctl("help", c), 0).stdout == q.stdout
    assert "--shelters" in expect(ctl("match", "--help"), 0).stdout
    expect(ctl("help", "frobnicate"), 2)


def test_no_daemon_is_exit_1_with_the_reason():
    with tempfile.TemporaryDirectory() as d:
        p = expect(ctl("-s", os.path.join(d, "none.sock"), "status"), 1)
        assert p.stderr.startswith("shelterctl: cannot connect to "), p.stderr
        assert "none.sock" in p.stderr
    p = expect(ctl("--connect", "127.0.0.1:%d" % h.free_port(), "status"), 1)
    assert "cannot connect" in p.stderr, p.stderr
    expect(ctl("--connect", "nonsense", "status"), 1)


def test_watch_without_daemon_is_exit_1():
    with tempfile.TemporaryDirectory() as d:
        p = expect(ctl("-s", os.path.join(d, "none.sock"), "watch"), 1)
        assert "cannot connect" in p.stderr, p.stderr


class FakeDaemon:
    """A Unix socket server that answers each line with replies(request),
    a list of raw byte strings; records the lines it received."""

    def __init__(self, replies):
        self.dir = tempfile.mkdtemp(prefix="shd-ctl-")
        self.path = os.path.join(self.dir, "fake.sock")
        self.replies = replies
        self.received = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            f = conn.makefile("rb")
            for line in f:
                req = json.loads(line)
                self.received.append(line)
                for chunk in self.replies(req):
                    conn.sendall(chunk)

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_client_frames_lines_and_skips_what_is_not_its_answer():
    stats = {"shelters": 7, "places": {"total": 9, "occupied": 1, "held": 0,
                                       "expected": 0, "free": 8},
             "requests": {"waiting": 0, "proposed": 0, "placed": 0,
                          "arrived": 0, "cancelled": 0},
             "connections": 1, "uptime_s": 3700}

    def replies(req):
        ev = {"jsonrpc": "2.0", "method": "event",
              "params": {"id": "1-0", "topic": "capacity"}}
        late = {"jsonrpc": "2.0", "id": 999, "result": {}}
        ok = {"jsonrpc": "2.0", "id": req["id"], "result": stats}
        # A notification, an empty line, a late answer to another id and
        # CRLF framing, the answer split across writes.
        text = (json.dumps(ev) + "\n\r\n" + json.dumps(late) + "\r\n" +
                json.dumps(ok) + "\r\n").encode()
        return [text[:40], text[40:]]

    fake = FakeDaemon(replies)
    try:
        p = expect(ctl("-s", fake.path, "status"), 0)
        assert re.search(r"^shelters\s+7$", p.stdout, re.M), p.stdout
        assert re.search(r"^uptime\s+1h01m$", p.stdout, re.M), p.stdout
        # The request went out as one JSON-RPC line.
        line = fake.received[0]
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        req = json.loads(line)
        assert req["jsonrpc"] == "2.0" and isinstance(req["id"], int)
        assert req["method"] == "stats.get" and req["params"] == {}
    finally:
        fake.close()


def test_client_reports_error_response_and_timeout():
    def refuse(req):
        err = {"jsonrpc": "2.0", "id": req["id"], "error": {
            "code": -32602, "message": "id: must match ^[a-z0-9]...$",
            "data": {"reason": "invalid_field", "field": "id"}}}
        return [(json.dumps(err) + "\n").encode()]

    fake = FakeDaemon(refuse)
    try:
        p = expect(ctl("-s", fake.path, "shelter", "X"), 1)
        assert p.stderr == "shelterctl: id: must match ^[a-z0-9]...$\n"
    finally:
        fake.close()
    fake = FakeDaemon(lambda req: [])  # never answers
    try:
        t0 = time.monotonic()
        p = expect(ctl("-s", fake.path, "--timeout", "0.5", "status"), 1)
        assert time.monotonic() - t0 < 5
        assert "no answer" in p.stderr, p.stderr
    finally:
        fake.close()


# ---------------------------------------------------------------------------
# Online: a real shelterd


def shelters_a_b():
    return [
        h.shelter(h.DEFAULT_SHELTER_ID, municipality="Rotterdam",
                  pools=[h.pool("main", total=3, occupied=0),
                         h.pool("family", genders=("f",), children_max=2,
                                total=2, occupied=2)]),
        h.shelter(h.OTHER_SHELTER_ID, municipality="Zwolle", total=1),
    ]


def adult_flags(ref):
    return ["--ref", ref, "--gender", "f", "--age", "30", "--languages",
            "en", "--residence", "reflection"]


def test_ctl_missing_required_flag_is_a_usage_error():
    """Each required request flag missing is exit 2 (usage) with
    "shelterctl CMD: --FLAG is required", as --ref was; --gender and --age
    had come back from the daemon as "shelterctl: --gender: is required",
    exit 1 (refused)."""
    with h.Env(shelters=shelters_a_b()) as env:
        for flags, missing in (
                (["--gender", "f", "--age", "30"], "--ref"),
                (["--ref", "FL-3", "--age", "30"], "--gender"),
                (["--ref", "FL-3", "--gender", "f"], "--age"),
                (["--ref", "FL-3", "--languages", "nl"], "--gender")):
            for cmd in ("submit", "preview"):
                if cmd == "preview" and missing == "--ref":
                    continue  # preview makes up a ref
                p = expect(ctl(cmd, *flags, env=env, role="coordinator"), 2)
                assert "shelterctl %s: %s is required\n" % (cmd, missing) \
                    in p.stderr, p.stderr
            if missing != "--ref":
                p = expect(match(*flags), 2)
                assert "shelterctl match: %s is required\n" % missing in \
                    p.stderr, p.stderr
        # Nothing was submitted.
        c = env.client("coordinator")
        assert c.call("request.list", {})["requests"] == []


def test_ctl_status_shelters_and_shelter():
    with h.Env(shelters=shelters_a_b()) as env:
        p = expect(ctl("status", env=env), 0)
        assert re.search(r"^shelters\s+2$", p.stdout, re.M), p.stdout
        assert re.search(r"^places\s+4/6 free ", p.stdout, re.M), p.stdout
        # By program: COSM, OMM, the others, as free/total.
        progs = columns(p.stdout.split("\n\n")[1], STATUS)
        assert [r["PROGRAM"] for r in progs] == ["cosm", "omm", "others"]
        assert progs[0]["FREE/TOTAL"] == "4/6" and progs[0]["SHELTERS"] == \
            "2" and progs[1]["FREE/TOTAL"] == "0/0", progs
        j = json.loads(expect(ctl("--json", "status", env=env,
                                  role="coordinator"), 0).stdout)
        assert j["shelters"] == 2 and j["places"]["free"] == 4, j

        p = expect(ctl("shelters", env=env, role="coordinator"), 0)
        lines = p.stdout.splitlines()
        assert lines[0].split() == ["ID", "PROGRAM", "MUNICIPALITY",
                                    "INTAKE", "FREE"]
        a = [l for l in lines if l.startswith(h.DEFAULT_SHELTER_ID)][0]
        assert "Rotterdam" in a and "main 3/3, family 0/2" in a, a
        # Columns are aligned: FREE starts at the same offset in each row.
        col = lines[0].index("FREE")
        assert all(l[col - 2:col] == "  " and l[col] != " "
                   for l in lines[1:]), lines
        j = json.loads(expect(ctl("shelters", "--json", env=env,
                                  role="coordinator"), 0).stdout)
        assert [s["id"] for s in j["shelters"]] == [
            h.DEFAULT_SHELTER_ID, h.OTHER_SHELTER_ID]

        # A shelter token sees only its own shelter.
        p = expect(ctl("shelters", env=env, role="shelter"), 0)
        assert h.OTHER_SHELTER_ID not in p.stdout

        p = expect(ctl("shelter", h.DEFAULT_SHELTER_ID, env=env,
                       role="coordinator"), 0)
        assert re.search(r"^program\s+cosm$", p.stdout, re.M), p.stdout
        assert re.search(r"^family\s+f\s+18-120\s+2, boys to 12\s+2\s+2\s+"
                         r"0\s+0\s+0$", p.stdout, re.M), p.stdout
        p = expect(ctl("shelter", "no-such-shelter", env=env), 1)
        assert p.stderr.startswith("shelterctl: ") and "no-such-shelter" \
            in p.stderr, p.stderr
        p = expect(ctl("shelter", h.OTHER_SHELTER_ID, env=env,
                       role="shelter"), 1)
        expect(ctl("shelter", env=env), 2)


def test_match_reads_a_register_saved_with_json_shelters():
    """`shelterctl --json shelters > FILE` then `match --shelters FILE`
    ranks on the register as it was: a place held there is not free. The
    output had been refused ("must be a list of shelter objects"): a
    what-if on today's register meant writing a seed file by hand."""
    with tempfile.TemporaryDirectory() as tmp:
        saved_register_matches(pathlib.Path(tmp))


def saved_register_matches(tmp_path):
    with h.Env(shelters=shelters_a_b()) as env:
        c = env.client("coordinator")
        before = str(tmp_path / "before.json")
        open(before, "w").write(expect(ctl("--json", "shelters", env=env),
                                       0).stdout)
        # t-shelter-b's one place is held for this person.
        r = c.call("request.submit", {"request": h.request("SAVED-1")})
        assert r["proposal"]["shelter_id"] == h.OTHER_SHELTER_ID, r
        after = str(tmp_path / "after.json")
        open(after, "w").write(expect(ctl("--json", "shelters", env=env),
                                      0).stdout)
    flags = adult_flags("SAVED-2")
    rows = table(expect(ctl("match", "--shelters", before, *flags),
                        0).stdout)
    assert [r["SHELTER"] for r in rows] == [h.OTHER_SHELTER_ID,
                                            h.DEFAULT_SHELTER_ID], rows
    rows = table(expect(ctl("match", "--shelters", after, *flags),
                        0).stdout)
    assert [r["SHELTER"] for r in rows] == [h.DEFAULT_SHELTER_ID], rows
    # The result's list alone (jq .shelters) is read the same way.
    only = str(tmp_path / "list.json")
    json.dump(json.load(open(after))["shelters"], open(only, "w"))
    assert table(expect(ctl("match", "--shelters", only, *flags),
                        0).stdout) == rows
    # Anything else in the object is refused at its place.
    for doc, msg in (({"shelters": 3}, "1:14: shelters: must be a list of "
                      "shelter objects"),
                     ({"shelters": [], "cursor": 1},
                      "1:1: must be a list of shelter objects, or an "
                      "object with only \"shelters\"")):
        bad = str(tmp_path / "bad.json")
        json.dump(doc, open(bad, "w"))
        p = expect(ctl("match", "--shelters", bad, *flags), 1)
        assert msg in p.stderr, p.stderr


def test_ctl_capacity_and_intake():
    with h.Env(shelters=shelters_a_b()) as env:
        c = env.client("admin")
        sid = h.DEFAULT_SHELTER_ID
        p = expect(ctl("capacity", sid, "main=1/4", env=env,
                       role="shelter"), 0)
        assert re.search(r"^main\s.*\s4\s+1\s+0\s+0\s+3$", p.stdout,
                         re.M), p.stdout
        s = c.call("shelter.get", {"id": sid})["shelter"]
        assert h.pool_of(s)["total"] == 4 and h.pool_of(s)["occupied"] == 1
        # POOL=OCCUPIED keeps the total.
        expect(ctl("capacity", sid, "main=2", env=env, role="shelter"), 0)
        s = c.call("shelter.get", {"id": sid})["shelter"]
        assert h.pool_of(s)["total"] == 4 and h.pool_of(s)["occupied"] == 2
        version = s["version"]
        j = json.loads(expect(ctl("capacity", sid, "main=0/4",
                                  "--if-version", str(version), "--json",
                                  env=env), 0).stdout)
        assert j["shelter"]["version"] == version + 1
        p = expect(ctl("capacity", sid, "main=0/4", "--if-version",
                       str(version), env=env), 1)
        assert "version" in p.stderr, p.stderr
        # Refused by the daemon: exit 1 and its message.
        p = expect(ctl("capacity", sid, "main=9/4", env=env), 1)
        assert "pools.main.occupied" in p.stderr, p.stderr
        expect(ctl("capacity", h.OTHER_SHELTER_ID, "main=0/1", env=env,
                   role="shelter"), 1)
        expect(ctl("capacity", sid, "main", env=env), 2)
        expect(ctl("capacity", sid, "main=x/4", env=env), 2)
        # No pools: a heartbeat.
        p = expect(ctl("capacity", sid, env=env), 0)
        assert "counts confirmed, nothing changed" in p.stdout, p.stdout

        p = expect(ctl("intake", sid, "closed", "--reason", "renovation",
                       env=env, role="shelter"), 0)
        assert "closed" in p.stdout
        s = c.call("shelter.get", {"id": sid})["shelter"]
        assert s["intake"]["open"] is False
        p = expect(ctl("shelters", env=env), 0)
        assert re.search(r"^%s\s+cosm\s+Rotterdam\s+closed\s" % sid,
                         p.stdout, re.M), p.stdout
        expect(ctl("intake", sid, "open", env=env, role="shelter"), 0)
        assert c.call("shelter.get", {"id": sid})["shelter"]["intake"][
            "open"] is True
        expect(ctl("intake", sid, "ajar", env=env), 2)
        expect(ctl("intake", sid, env=env), 2)


def test_ctl_submit_accept_arrived():
    with h.Env(shelters=shelters_a_b()) as env:
        p = expect(ctl("submit", *adult_flags("CTL-1"), env=env,
                       role="coordinator"), 0)
        m = re.search(r"^request\s+(req-\S+) \(ref CTL-1\), proposed$",
                      p.stdout, re.M)
        assert m, p.stdout
        rid = m.group(1)
        m = re.search(r"^proposal\s+(prop-\S+): (\S+), pool (\S+), score "
                      r"\d+\.\d\d$", p.stdout, re.M)
        assert m, p.stdout
        pid, sid = m.group(1), m.group(2)
        # The same ref again: the stored request, nothing changes.
        j = json.loads(expect(ctl("submit", "--json", *adult_flags("CTL-1"),
                                  env=env, role="coordinator"), 0).stdout)
        assert j["duplicate"] is True and j["request"]["id"] == rid

        p = expect(ctl("requests", "--status", "proposed", env=env,
                       role="coordinator"), 0)
        rows = columns(p.stdout, WORK)
        assert [r["ID"] for r in rows] == [rid], p.stdout
        assert re.fullmatch(r"\d+ s|\d+ min", rows[0]["WAITING FOR"]), \
            rows[0]

        p = expect(ctl("accept", pid, env=env, role="coordinator"), 0)
        assert p.stdout.strip() == "%s accepted: %s is placed at %s, " \
            "pool main" % (pid, rid, sid), p.stdout
        p = expect(ctl("accept", pid, env=env, role="coordinator"), 1)
        assert p.stderr.startswith("shelterctl: "), p.stderr

        # Only the shelter it was placed in records the arrival.
        other = "shelter_b" if sid == h.DEFAULT_SHELTER_ID else "shelter"
        mine = "shelter" if other == "shelter_b" else "shelter_b"
        expect(ctl("arrived", rid, env=env, role=other), 1)
        p = expect(ctl("arrived", rid, env=env, role=mine), 0)
        assert p.stdout.strip() == "%s arrived at %s, pool main" % (rid, sid)
        expect(ctl("arrived", rid, env=env, role=mine), 1)
        j = json.loads(expect(ctl("requests", "--status", "all", "--json",
                                  env=env), 0).stdout)
        assert [(r["id"], r["status"]) for r in j["requests"]] == [
            (rid, "arrived")]

        # The departure, by the same shelter only, once.
        expect(ctl("departed", rid, env=env, role=other), 1)
        p = expect(ctl("departed", rid, env=env, role=mine), 0)
        assert p.stdout.strip() == "%s departed from %s, pool main" % (
            rid, sid)
        p = expect(ctl("departed", rid, env=env, role=mine), 1)
        assert "not arrived" in p.stderr, p.stderr
        p = expect(ctl("requests", "--status", "departed", env=env,
                       role="coordinator"), 0)
        assert [r["ID"] for r in columns(p.stdout, WORK)] == [rid], p.stdout


def test_ctl_submit_file_invalid_and_waiting():
    with h.Env(shelters=[h.shelter(total=1)]) as env:
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "r.json")
            with open(f, "w") as fh:
                json.dump(h.request("CTL-F1"), fh)
            expect(ctl("submit", f, env=env, role="coordinator"), 0)
        p = expect(ctl("submit", BAD_AGE, env=env, role="coordinator"), 1)
        assert p.stderr.strip() == ("shelterctl: person.age: must be an "
                                    "integer from 0 to 120"), p.stderr
        p = expect(ctl("submit", UNKNOWN_FIELD, env=env), 1)
        assert "person.birth_date" in p.stderr, p.stderr
        expect(ctl("submit", "--gender", "f", env=env), 2)  # no --ref

        # The only place is held: the next request waits (exit 3).
        p = expect(ctl("submit", *adult_flags("CTL-W1"), env=env,
                       role="coordinator"), 3)
        assert re.search(r"^request\s+req-\S+ \(ref CTL-W1\), waiting$",
                         p.stdout, re.M), p.stdout
        assert "0/1 shelters can take this request: 1 no free place." \
            in p.stdout, p.stdout
        p = expect(ctl("submit", "--json", *adult_flags("CTL-W2"), env=env,
                       role="coordinator"), 3)
        j = json.loads(p.stdout)
        assert j["proposal"] is None and j["request"]["status"] == "waiting"
        assert j["explanation"]["reasons"] == {"no_free_place": 1}, j

        # The waiting ones, oldest first.
        rows = columns(expect(ctl("requests", "--status", "waiting",
                                  "--oldest", env=env, role="coordinator"),
                              0).stdout, WORK)
        assert [r["REF"] for r in rows] == ["CTL-W1", "CTL-W2"], rows
        assert all(r["STATUS"] == "waiting" for r in rows)
        rows = columns(expect(ctl("requests", "--status", "waiting,proposed",
                                  "--oldest", "--limit", "2", env=env),
                              0).stdout, WORK)
        assert [r["REF"] for r in rows] == ["CTL-F1", "CTL-W1"], rows
        expect(ctl("requests", "--limit", "many", env=env), 2)
        expect(ctl("requests", "--limit", "0", env=env), 2)


def test_ctl_submit_batch_accept_case_and_requests_case():
    case = {"case": "RAID-1"}
    reqs = [h.request("CTL-B%d" % i, safety=case) for i in range(3)]
    with h.Env(shelters=[h.shelter(total=2)]) as env:
        with tempfile.TemporaryDirectory() as d:
            arr = os.path.join(d, "raid.json")
            with open(arr, "w") as fh:
                json.dump(reqs, fh)
            # A JSON array is one batch: two places, so one waits (exit 3).
            p = expect(ctl("submit", arr, env=env, role="coordinator"), 3)
            assert "3 requests: 2 proposed, 1 waiting, 0 submitted before" \
                in p.stdout, p.stdout
            assert re.search(r"^CTL-B2\s+req-3\s+waiting\s+-\s+-\s+0/1 "
                             r"shelters", p.stdout, re.M), p.stdout
            # One per line: the same refs again are duplicates (exit 3:
            # one of them still waits).
            lines = os.path.join(d, "raid.jsonl")
            with open(lines, "w") as fh:
                fh.write("\n".join(json.dumps(r) for r in reqs) + "\n\n")
            j = json.loads(expect(ctl("submit", "--json", lines, env=env,
                                      role="coordinator"), 3).stdout)
            assert [r["duplicate"] for r in j["results"]] == [True] * 3
            # An invalid line names the batch position.
            bad = os.path.join(d, "bad.jsonl")
            with open(bad, "w") as fh:
                fh.write(json.dumps(reqs[0]) + "\n" + json.dumps(
                    h.request("CTL-BX", person={"gender": "f", "age": 300}))
                    + "\n")
            p = expect(ctl("submit", bad, env=env, role="coordinator"), 1)
            assert "requests.1.person.age" in p.stderr, p.stderr
            with open(bad, "w") as fh:
                fh.write("{\"ref\": \n nonsense\n")
            p = expect(ctl("submit", bad, env=env, role="coordinator"), 1)
            assert p.stderr.startswith("shelterctl: " + bad + ":"), p.stderr

        rows = columns(expect(ctl("requests", "--case", "RAID-1", "--order",
                                  "oldest", env=env,
                                  role="coordinator"), 0).stdout, WORK)
        assert [r["REF"] for r in rows] == ["CTL-B0", "CTL-B1", "CTL-B2"]
        rows = columns(expect(ctl("requests", "--case", "RAID-1",
                                  "--status", "proposed", env=env,
                                  role="coordinator"), 0).stdout, WORK)
        assert [r["REF"] for r in rows] == ["CTL-B1", "CTL-B0"], rows
        expect(ctl("requests", "--order", "sideways", env=env), 1)

        p = expect(ctl("accept", "--case", "RAID-1", env=env,
                       role="coordinator"), 0)
        assert len(re.findall(r"^prop-\S+ accepted: req-\S+ is placed at ",
                              p.stdout, re.M)) == 2, p.stdout
        j = json.loads(expect(ctl("requests", "--case", "RAID-1", "--oldest",
                                  "--json", env=env), 0).stdout)
        assert [r["status"] for r in j["requests"]] == [
            "placed", "placed", "waiting"], j
        p = expect(ctl("accept", "--case", "RAID-1", env=env,
                       role="coordinator"), 0)
        assert p.stdout.strip() == "case RAID-1 has no open proposal"
        expect(ctl("accept", "--case", "RAID-1", "prop-1", env=env), 2)
        expect(ctl("accept", env=env), 2)


def test_ctl_preview_ranks_like_offline_match():
    shelters = shelters_a_b() + [
        h.shelter("t-shelter-c", municipality="Groningen", total=4,
                  languages=["nl", "ro"])]
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "shelters.json")
        with open(f, "w") as fh:
            json.dump(shelters, fh)
        with h.Env(shelters=shelters) as env:
            for flags in (["--languages", "ro"], ["--languages", "en",
                                                  "--preferred", "Zwolle"]):
                args = ["--gender", "f", "--age", "30",
                        "--residence", "reflection"] + flags
                on = expect(ctl("preview", "--json", *args, env=env,
                                role="service"), 0)
                off = expect(ctl("match", "--shelters", f, "--json", *args),
                             0)
                a = [(c["shelter_id"], c["pool"]) for c in
                     json.loads(on.stdout)["candidates"]]
                b = [(c["shelter_id"], c["pool"]) for c in
                     json.loads(off.stdout)["candidates"]]
                assert a == b and len(a) == 3, (a, b)
                t = table(expect(ctl("preview", *args, env=env), 0).stdout)
                assert [(r["SHELTER"], r["POOL"]) for r in t] == a
            # Nothing fits: exit 3 and the sentence.
            p = expect(ctl("preview", "--gender", "m", "--age", "40",
                           "--program", "omm", env=env), 3)
            assert p.stdout.startswith("0/3 shelters can take this "
                                       "request: "), p.stdout
            # preview has no side effects.
            assert env.client().call("stats.get")["places"]["held"] == 0


def test_match_scores_like_a_daemon_just_seeded_from_the_file():
    """Offline match on a seed file gives the scores, freshness included,
    that preview gives on a daemon just seeded from that file: a shelter
    without updated_at counts as just reported (offline had scored its
    freshness 0, the daemon 100)."""
    shelters = shelters_a_b()
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "shelters.json")
        with open(f, "w") as fh:
            json.dump(shelters, fh)
        args = ["--gender", "f", "--age", "30", "--languages", "en"]
        with h.Env(shelters=shelters) as env:
            on = json.loads(expect(ctl("preview", "--json", *args, env=env,
                                       role="service"), 0).stdout)
        off = json.loads(expect(ctl("match", "--shelters", f, "--json",
                                    *args), 0).stdout)
        a = [(c["shelter_id"], c["pool"], c["score"], c["scores"])
             for c in on["candidates"]]
        b = [(c["shelter_id"], c["pool"], c["score"], c["scores"])
             for c in off["candidates"]]
        assert a == b, (a, b)
        assert all(c["scores"]["freshness"] == 100
                   for c in off["candidates"]), off


def test_ctl_reject_and_cancel():
    with h.Env(shelters=shelters_a_b()) as env:
        j = json.loads(expect(ctl("submit", "--json", *adult_flags("CTL-R1"),
                                  env=env, role="coordinator"), 0).stdout)
        rid, pid = j["request"]["id"], j["proposal"]["id"]
        first = j["proposal"]["shelter_id"]
        expect(ctl("reject", pid, env=env), 2)  # --reason is required
        p = expect(ctl("reject", pid, "--reason", "no bed after all",
                       env=env, role="coordinator"), 0)
        assert p.stdout.startswith("%s rejected" % pid), p.stdout
        m = re.search(r"^next\s+(prop-\S+): (\S+), pool", p.stdout, re.M)
        assert m and m.group(2) != first, p.stdout
        p = expect(ctl("reject", m.group(1), "--reason", "no", env=env,
                       role="coordinator"), 0)
        assert "%s waits" % rid in p.stdout, p.stdout
        p = expect(ctl("cancel", rid, "--reason", "went home", env=env,
                       role="coordinator"), 0)
        assert p.stdout.strip() == "%s cancelled" % rid
        p = expect(ctl("cancel", rid, "--reason", "again", env=env,
                       role="coordinator"), 1)
        assert rid in p.stderr, p.stderr
        expect(ctl("cancel", "req-999999", "--reason", "x", env=env), 1)
        expect(ctl("cancel", rid, env=env), 2)


def test_ctl_request_history_and_status_by_program():
    with h.Env(shelters=shelters_a_b()) as env:
        c = env.client("coordinator")
        j = json.loads(expect(ctl("submit", "--json", *adult_flags("CTL-H1"),
                                  env=env, role="coordinator"), 0).stdout)
        rid, p1 = j["request"]["id"], j["proposal"]["id"]
        s1 = j["proposal"]["shelter_id"]
        # Any program counts under others; the request is proposed.
        by = c.call("stats.get")["requests_by_program"]
        assert by["others"] == {"waiting": 0, "proposed": 1, "placed": 0}
        assert by["cosm"] == by["omm"] == {"waiting": 0, "proposed": 0,
                                           "placed": 0}, by
        p = expect(ctl("status", env=env), 0)
        progs = columns(p.stdout.split("\n\n")[1], STATUS)
        assert [(r["PROGRAM"], r["WAITING"], r["PROPOSED"], r["PLACED"])
                for r in progs] == [("cosm", "0", "0", "0"),
                                    ("omm", "0", "0", "0"),
                                    ("others", "0", "1", "0")], p.stdout

        p = expect(ctl("reject", p1, "--reason", "no bed", env=env,
                       role="coordinator"), 0)
        p2 = re.search(r"^next\s+(prop-\S+): ", p.stdout, re.M).group(1)
        s2 = c.call("request.get", {"id": rid})["request"]["proposal"][
            "shelter_id"]
        expect(ctl("accept", p2, env=env, role="coordinator"), 0)
        mine = "shelter" if s2 == h.DEFAULT_SHELTER_ID else "shelter_b"
        expect(ctl("arrived", rid, env=env, role=mine), 0)

        hist = c.call("request.get", {"id": rid})["request"]["history"]
        assert [(e["what"], e["proposal_id"], e["shelter_id"])
                for e in hist] == [
            ("submitted", None, None), ("proposed", p1, s1),
            ("rejected", p1, s1), ("waiting", None, None),
            ("proposed", p2, s2), ("accepted", p2, s2),
            ("arrived", p2, s2)], hist
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", e["at"])
                   for e in hist), hist
        # No reason is kept: "no bed" is nowhere in the history.
        assert "no bed" not in json.dumps(hist)

        p = expect(ctl("request", rid, env=env, role="coordinator"), 0)
        assert re.search(r"^proposals had\s+%s at %s, %s at %s$" % (
            p1, s1, p2, s2), p.stdout, re.M), p.stdout
        part = p.stdout[p.stdout.index("TIME"):]
        rows = columns(part.split("\n\n")[0],
                       ["TIME", "WHAT", "PROPOSAL", "SHELTER"])
        assert [(r["WHAT"], r["PROPOSAL"], r["SHELTER"]) for r in rows] == [
            (w, pid or "-", sid or "-") for w, pid, sid in
            [(e["what"], e["proposal_id"], e["shelter_id"])
             for e in hist]], p.stdout
        # Later by program: placed no longer counts (it arrived).
        assert c.call("stats.get")["requests_by_program"]["others"] == {
            "waiting": 0, "proposed": 0, "placed": 0}


def test_ctl_auth_and_roles():
    with h.Env(shelters=shelters_a_b()) as env:
        port = "127.0.0.1:%d" % env.daemon.tcp_port
        bad = "not-the-token-" + "7" * 20
        p = expect(ctl("--connect", port, "status", token=bad), 1)
        assert bad not in p.stderr and bad not in p.stdout, p.stderr
        assert p.stderr.startswith("shelterctl: "), p.stderr
        # TCP without a token: the daemon asks for authentication.
        expect(ctl("--connect", port, "status"), 1)
        # A token file works like $SHELTERCTL_TOKEN.
        with tempfile.TemporaryDirectory() as d:
            tf = os.path.join(d, "token")
            with open(tf, "w") as f:
                f.write(env.daemon.tokens["service"] + "\n")
            p = expect(ctl("--connect", port, "--token-file", tf,
                           "status"), 0)
            assert "shelters" in p.stdout
            expect(ctl("--connect", port, "--token-file", tf, "submit",
                       *adult_flags("CTL-X")), 1)
            p = expect(ctl("--connect", port, "--token-file",
                           os.path.join(d, "missing"), "status"), 1)
            assert "missing" in p.stderr
        # A role without the right: exit 1 and the daemon's message.
        p = expect(ctl("status", env=env, role="shelter"), 1)
        assert p.stderr.startswith("shelterctl: "), p.stderr
        # $SHELTERD_SOCKET is the default socket.
        e = dict(os.environ, SHELTERD_SOCKET=env.daemon.unix_path)
        e.pop("SHELTERCTL_TOKEN", None)
        q = subprocess.run([h.shelterctl_path(), "status"],
                           capture_output=True, text=True, env=e, timeout=20)
        assert q.returncode == 0, q.stderr


def test_ctl_token_new_is_accepted_by_the_daemon():
    p = expect(ctl("token", "new", "--role", "coordinator", "--name",
                   "ctl-helpdesk"), 0)
    token, line = p.stdout.splitlines()
    digest = re.search(r'sha256: "([0-9a-f]{64})"', line).group(1)
    auth = {"tokens": [{"name": "ctl-helpdesk", "role": "coordinator",
                        "sha256": digest}]}
    with h.Env(shelters=shelters_a_b(), auth=auth) as env:
        port = "127.0.0.1:%d" % env.daemon.tcp_port
        p = expect(ctl("--connect", port, "shelters", token=token), 0)
        assert h.DEFAULT_SHELTER_ID in p.stdout
        assert token not in env.daemon.log_text()


class Watch:
    """shelterctl watch in the background; lines read on demand."""

    def __init__(self, args, env_vars=None):
        e = dict(os.environ)
        e.pop("SHELTERCTL_TOKEN", None)
        e.update(env_vars or {})
        self.err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([h.shelterctl_path()] + args,
                                     stdout=subprocess.PIPE, stderr=self.err,
                                     text=True, env=e)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buf = ""
        self.lines = []

    def poll_lines(self):
        try:
            chunk = self.proc.stdout.read()
        except (BlockingIOError, TypeError):
            chunk = None
        if chunk:
            self.buf += chunk
            *done, self.buf = self.buf.split("\n")
            self.lines.extend(done)
        return self.lines

    def wait_lines(self, n, timeout=15):
        return h.wait_until(lambda: len(self.poll_lines()) >= n and
                            self.lines, timeout=timeout,
                            what="%d watch lines (have %r)" % (n, self.lines))

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.err.close()


def test_ctl_watch_prints_events():
    with h.Env(shelters=shelters_a_b()) as env:
        port = "127.0.0.1:%d" % env.daemon.tcp_port
        w = Watch(["--connect", port, "watch", "--json"],
                  {"SHELTERCTL_TOKEN": env.daemon.tokens["coordinator"]})
        try:
            h.wait_until(lambda: env.client().call("stats.get")[
                "connections"] >= 2, what="watch connected")
            time.sleep(0.3)
            expect(ctl("submit", *adult_flags("CTL-E1"), env=env), 0)
            lines = w.wait_lines(2)
            evs = [json.loads(l) for l in lines]
            types = [e["type"] for e in evs]
            assert "proposal.created" in types, types
            assert all(set(e) >= {"id", "topic", "type", "at", "data"}
                       for e in evs), evs
        finally:
            w.stop()
        # For people: one line per event, --count stops it.
        w = Watch(["-s", env.daemon.unix_path, "--utc", "watch", "--count",
                   "1", "requests"])
        try:
            time.sleep(0.5)
            c = env.client("coordinator")
            r = c.call("request.submit", {"request": h.request("CTL-E2")})
            c.call("request.cancel", {"id": r["request"]["id"],
                                      "reason": "test"})
            assert w.proc.wait(timeout=10) == 0
            lines = w.wait_lines(1)
            assert len(lines) == 1, lines
            # Aligned: event id, local time (UTC with --utc), the type
            # padded to the longest, then what happened.
            assert re.match(r"^\d+-\d+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                            r"UTC  request\.cancelled +req-\S+ \(ref "
                            r"CTL-E2\) cancelled$", lines[0]), lines
        finally:
            w.stop()
        # A shelter token watches what it may see, by default.
        w = Watch(["--connect", port, "watch", "--count", "1", "--json"],
                  {"SHELTERCTL_TOKEN": env.daemon.tokens["shelter"]})
        try:
            time.sleep(0.5)
            expect(ctl("capacity", h.DEFAULT_SHELTER_ID, "main=1", env=env),
                   0)
            assert w.proc.wait(timeout=10) == 0, w.stderr()
            ev = json.loads(w.wait_lines(1)[0])
            assert ev["type"] == "capacity.changed", ev
        finally:
            w.stop()
        # A topic the role may not see: refused, exit 1.
        p = expect(ctl("watch", "proposals", env=env, role="service"), 1)
        assert p.stderr.startswith("shelterctl: "), p.stderr


def test_ctl_watch_resumes_without_loss_or_repeat():
    topics = ["proposals", "requests"]
    with h.Env(shelters=shelters_a_b()) as env:
        w = Watch(["-s", env.daemon.unix_path, "watch", "--json"] + topics)
        try:
            time.sleep(0.5)
            c = env.client("coordinator")
            # Four places: four proposals, then two requests that wait.
            refs = ["CTL-RS%d" % i for i in range(6)]
            for ref in refs[:2]:
                c.call("request.submit", {"request": h.request(ref)})
            w.wait_lines(2)
            # The daemon goes away; events happen meanwhile through a
            # second daemon on the same store.
            env.daemon.stop()
            d2 = env.second_daemon(name="second")
            try:
                c2 = d2.client("coordinator")
                for ref in refs[2:4]:
                    c2.call("request.submit", {"request": h.request(ref)})
                c2.close()
            finally:
                d2.__exit__(None, None, None)
            env.daemon.start()
            c = env.client("coordinator")
            for ref in refs[4:]:
                c.call("request.submit", {"request": h.request(ref)})
            # Every event, in order, once, across the drop.
            want = [(e["id"], e["type"]) for e in all_events(env, topics)]
            types = [t for _, t in want]
            assert types.count("proposal.created") == 4, want
            assert types.count("request.waiting") == 2, want
            h.wait_until(lambda: len(w.poll_lines()) >= len(want),
                         timeout=30, what="the watch to catch up")
            time.sleep(0.5)
            got = [json.loads(l) for l in w.poll_lines()]
            assert [(e["id"], e["type"]) for e in got] == want
            assert "reconnecting" in w.stderr(), w.stderr()
        finally:
            w.stop()


def all_events(env, topics):
    """Every retained event of topics, through a fresh subscriber."""
    c = env.client("admin")
    c.call("session.subscribe", {"topics": topics, "since": "0-0"})
    return c.events(timeout=1.0)
