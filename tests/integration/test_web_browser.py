"""The web view in a real browser: Debian's chromium, headless, driven by
chromedriver through python3-selenium. One browser session walks a
morning's work: the board and a live capacity change, the worklist with
accept and reject, a raid batch, a shelter's page; names and reasons with
markup stay text. A second session sees why requests wait (forecast,
escalation) and opens the reports: no suppressed count anywhere in the
page. The console shows no CSP violation or error; the pages fit
1280x800 and a 390 px phone. Screenshots go to build/screenshots/."""

import datetime
import os
import re
import shutil
import sys
import tempfile
import time

try:
    import selenium  # noqa: F401
except ImportError:  # Debian's package, when python3 is not Debian's
    sys.path.append("/usr/lib/python3/dist-packages")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import (ElementNotInteractableException,
                                        NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import (Env, build_dir, free_port, pool, request, shelter,
                     unique_ref, wait_until)

SHOTS = os.path.join(build_dir(), "screenshots")
# Under valgrind (make valgrind) the daemon is many times slower.
SLOW = 4 if os.environ.get("SHELTERD_WRAPPER") else 1
XSS_NAME = "<script>window.__xss=1</script> Noord"
XSS_REASON = "<img src=x onerror=\"window.__xss=2\"> verbouwing"


def find_binary(*names):
    for n in names:
        p = shutil.which(n) or (os.path.exists(n) and n)
        if p:
            return p
    raise AssertionError("none of %s is installed (make deps)" % (names,))


class Browser:
    """chromedriver on a free port with a fresh profile; stopped by pid."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="shd-chrome-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = find_binary("chromium", "/usr/bin/chromium")
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-quic", "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,800",
                  "--user-data-dir=" + self.profile):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(
            find_binary("chromedriver", "/usr/bin/chromedriver"),
            port=free_port(), log_path=os.path.join(self.profile, "driver.log"))
        self.d = webdriver.Chrome(service=self.service, options=opts)
        self.viewport(1280, 800)
        self.logs = []

    def viewport(self, width, height):
        """The page's viewport, exactly (screenshots are this size)."""
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1,
            "mobile": width < 600})

    def unlabelled(self):
        """Controls on the page without an accessible name."""
        return self.d.execute_script("""
            const bad = [];
            document.querySelectorAll('input, select, textarea, button')
              .forEach(function (e) {
                if (e.type === 'hidden' || e.hidden) return;
                const named = (e.labels && e.labels.length) ||
                  e.getAttribute('aria-label') ||
                  (e.tagName === 'BUTTON' && e.textContent.trim()) ||
                  (e.closest('label'));
                if (!named) bad.push(e.outerHTML.slice(0, 120));
              });
            return bad;""")

    def quit(self):
        try:
            self.d.quit()
        finally:
            proc = getattr(self.service, "process", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)
            shutil.rmtree(self.profile, ignore_errors=True)

    def console(self):
        self.logs += self.d.get_log("browser")
        return self.logs

    def wait(self, pred, timeout=5, what="condition"):
        return WebDriverWait(
            self.d, timeout * SLOW, poll_frequency=0.05,
            ignored_exceptions=(StaleElementReferenceException,
                                NoSuchElementException,
                                ElementNotInteractableException)).until(
            lambda d: pred(), message=what)

    def attr(self, sel, name):
        """An attribute of the element at sel now (pages re-render live)."""
        return self.wait(lambda: [self.css(sel).get_attribute(name)])[0]

    def click(self, sel):
        """Click sel, looked up again if a live re-render replaced it."""
        self.wait(lambda: self.css(sel).click() or True, what="click " + sel)

    def fill(self, sel, value):
        """Make the field at sel hold value, typed as a user types it. A
        live re-render may replace the field mid-way (the page keeps what
        was typed); the field is looked up again until it holds value."""
        def typed():
            e = self.css(sel)
            if e.get_attribute("value") != value:
                e.clear()
                e.send_keys(value)
            return self.css(sel).get_attribute("value") == value
        self.wait(typed, what="%s holds %r" % (sel, value))

    def keys(self, sel, *keys):
        """Press keys in the field at sel, looked up again if a live
        re-render replaced or hid it meanwhile."""
        self.wait(lambda: self.css(sel).send_keys(*keys) or True,
                  what="keys to " + sel)

    def text(self, sel):
        return self.wait(lambda: [self.css(sel).text])[0]

    def css(self, sel):
        return self.d.find_element(By.CSS_SELECTOR, sel)

    def all(self, sel):
        return self.d.find_elements(By.CSS_SELECTOR, sel)

    def low_contrast(self):
        """Text whose contrast with its background is below WCAG AA
        (4.5:1; 3:1 for large text), as computed styles say."""
        return self.d.execute_script("""
            function rgb(s) {
              const m = s.match(/rgba?\\(([^)]*)\\)/);
              if (!m) return null;
              const p = m[1].split(',').map(Number);
              return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
            }
            function lum(c) {
              return [c.r, c.g, c.b].map(function (v) {
                v /= 255;
                return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
              }).reduce(function (a, v, i) { return a + v * [0.2126, 0.7152, 0.0722][i]; }, 0);
            }
            function bg(e) {
              for (; e; e = e.parentElement) {
                const c = rgb(getComputedStyle(e).backgroundColor);
                if (c && c.a > 0.5) return c;
              }
              return {r: 255, g: 255, b: 255, a: 1};
            }
            const bad = [];
            document.querySelectorAll('body *').forEach(function (e) {
              const own = Array.from(e.childNodes).some(function (n) {
                return n.nodeType === 3 && n.textContent.trim();
              });
              if (!own || !e.getClientRects().length) return;
              const st = getComputedStyle(e);
              if (st.visibility === 'hidden' || parseFloat(st.opacity) < 1) return;
              const fg = rgb(st.color), b = bg(e);
              const l1 = lum(fg), l2 = lum(b);
              const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
              const size = parseFloat(st.fontSize), weight = parseInt(st.fontWeight, 10);
              const large = size >= 24 || (size >= 18.66 && weight >= 700);
              if (ratio < (large ? 3 : 4.5))
                bad.push(e.tagName + '.' + e.className + ' ' + ratio.toFixed(2) +
                  ' "' + e.textContent.trim().slice(0, 30) + '"');
            });
            return bad;""")

    def shot(self, name):
        assert not self.unlabelled(), (name, self.unlabelled())
        assert not self.low_contrast(), (name, self.low_contrast())
        os.makedirs(SHOTS, exist_ok=True)
        self.d.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def login(self, base, token):
        self.d.get(base + "/")
        self.wait(lambda: self.all("#token"), what="the login form")
        self.css("#token").send_keys(token)
        self.click("#login-button")
        self.wait(lambda: self.css("#logout").is_displayed(), what="logged in")

    def logout(self):
        self.click("#logout")
        self.wait(lambda: self.all("#token"), what="the login form again")

    def fits(self, width):
        sw = self.d.execute_script(
            "return document.documentElement.scrollWidth")
        assert sw <= width + 1, "page is %d px wide at %d" % (sw, width)


def pool_text(b, shelter_id, pool_name="main"):
    els = b.all('tr[data-shelter="%s"] li[data-pool="%s"] .pool-free'
                % (shelter_id, pool_name))
    return els[0].text if els else None


def test_a_morning_in_the_browser():
    port = free_port()
    seed = [
        shelter("t-shelter-a", municipality="Groningen",
                pools=[pool("main", total=6, occupied=1)]),
        shelter("t-shelter-b", program="omm", municipality="Zwolle",
                name=XSS_NAME),
        shelter("t-shelter-c", municipality="Enschede", total=3),
    ]
    with Env(shelters=seed, extra={"http": "127.0.0.1:%d" % port,
                                   "web": {"enabled": True}}) as env:
        base = "http://127.0.0.1:%d" % port
        admin = env.client("admin")
        coord = env.client("coordinator")
        b = Browser()
        try:
            # -- the board, live -------------------------------------------
            b.login(base, env.daemon.tokens["coordinator"])
            b.wait(lambda: pool_text(b, "t-shelter-a") == "5/6",
                   what="the board")
            assert b.css("html").get_attribute("lang") == "nl"
            name = b.text('tr[data-shelter="t-shelter-b"] .shelter-name')
            assert name == XSS_NAME, name
            b.wait(lambda: "Live" in b.css("#live").text, what="the stream")
            admin.call("shelter.intake", {"id": "t-shelter-c", "open": False,
                                          "reason": XSS_REASON})
            b.wait(lambda: XSS_REASON in b.css(
                'tr[data-shelter="t-shelter-c"] [data-intake]').text,
                what="the intake reason")
            closed = 'tr[data-shelter="t-shelter-c"] [data-intake]'
            assert b.attr(closed, "data-intake") == "closed"
            assert b.d.execute_script("return window.__xss") is None
            assert not b.all("#board img"), "markup became an element"
            fresh = 'tr[data-shelter="t-shelter-a"] [data-freshness]'
            assert b.attr(fresh, "data-freshness") == "fresh"
            assert "actueel" in b.text(fresh)  # words, not colour alone
            t0 = time.monotonic()
            admin.call("shelter.capacity", {"id": "t-shelter-a", "pools": {
                "main": {"occupied": 4}}})
            b.wait(lambda: pool_text(b, "t-shelter-a") == "2/6", timeout=3,
                   what="the capacity change on the board")
            took = time.monotonic() - t0
            assert took < 1.0 * SLOW, "the change took %.2fs to show" % took
            b.shot("board")
            # English is one select away.
            Select(b.css("#lang")).select_by_value("en")
            b.wait(lambda: b.css("h1").text == "Places by program",
                   what="English")
            Select(b.css("#lang")).select_by_value("nl")

            # -- the worklist: accept and reject ---------------------------
            r1 = coord.call("request.submit", {"request": request(
                unique_ref("ACC"), preferred_location={
                    "municipality": "Groningen"})})
            r2 = coord.call("request.submit", {"request": request(
                unique_ref("REJ"))})
            assert r1["proposal"] and r2["proposal"]
            b.click("#nav-work")
            acc = '.accept[data-proposal="%s"]' % r1["proposal"]["id"]
            b.wait(lambda: b.all(acc), what="the proposal card")
            cd_sel = ('#list-proposals [data-request="%s"] .countdown'
                      % r1["request"]["id"])
            cd = b.text(cd_sel)
            assert cd.startswith("Vervalt over 29:") or \
                cd.startswith("Vervalt over 30:"), cd
            b.wait(lambda: b.text(cd_sel) != cd, timeout=3,
                   what="the countdown ticking")
            assert b.all('#list-proposals [data-request="%s"] meter'
                         % r1["request"]["id"])
            # Only the distances the request has a place for: r1 names a
            # preferred municipality and no exploitation, r2 neither.
            card = '#list-proposals [data-request="%s"] .distance'
            assert b.text(card % r1["request"]["id"]) == \
                "Afstand: 0 km van voorkeur", b.text(card % r1["request"]["id"])
            assert not b.all(card % r2["request"]["id"])
            b.shot("worklist")
            # Reject needs a reason.
            rej = '.reject[data-proposal="%s"]' % r2["proposal"]["id"]
            b.click(rej)
            err = b.text("#reason-%s-err" % r2["proposal"]["id"])
            assert err == "Geef een reden.", err
            b.fill("#reason-%s" % r2["proposal"]["id"],
                   "past niet bij de hulpvraag")
            # Enter in the reason rejects, as the button does.
            b.keys("#reason-%s" % r2["proposal"]["id"], Keys.ENTER)
            wait_until(lambda: coord.call("request.get", {
                "id": r2["request"]["id"]})["request"]["proposal"] is None or
                coord.call("request.get", {"id": r2["request"]["id"]})[
                    "request"]["proposal"]["id"] != r2["proposal"]["id"],
                what="the reject")
            b.wait(lambda: b.all(acc), what="the card after a reload")
            b.click(acc)
            wait_until(lambda: coord.call("request.get", {
                "id": r1["request"]["id"]})["request"]["status"] == "placed",
                what="the accept")
            b.wait(lambda: b.all('#list-placed [data-request="%s"]'
                                 % r1["request"]["id"]),
                   what="the placed request")
            # A request's detail page.
            link = '#list-placed [data-request="%s"] a.ref' % r1["request"][
                "id"]
            b.wait(lambda: b.d.execute_script(
                "return location.hash").startswith("#/request/") or
                b.click(link), what="the link to the detail page")
            b.wait(lambda: b.all("#request-detail [data-status]"),
                   timeout=10, what="the detail page")
            assert b.attr("#request-detail [data-status]",
                          "data-status") == "placed"
            # Its history is a table in words, no data dump: no stray
            # "null", no JSON, and it fits a phone.
            b.wait(lambda: len(b.all("#request-detail table.history tbody tr"))
                   >= 3, what="the history table")
            page = b.text("#request-detail")
            assert "ingediend" in page and "geaccepteerd" in page, page
            assert "null" not in page and '{"' not in page, page
            b.viewport(400, 800)
            b.fits(400)
            b.viewport(1280, 800)
            # A request with an open proposal is accepted on its own page
            # too, without going back to the worklist.
            r3 = coord.call("request.submit", {"request": request(
                unique_ref("DET"))})
            assert r3["proposal"]
            b.d.execute_script("location.hash = arguments[0]",
                               "#/request/" + r3["request"]["id"])
            acc3 = '#detail-proposal .accept[data-proposal="%s"]' % r3[
                "proposal"]["id"]
            b.wait(lambda: b.all(acc3), what="the proposal on its page")
            assert "Vervalt over" in b.text("#detail-proposal .countdown")
            b.click(acc3)
            b.wait(lambda: b.attr("#request-detail [data-status]",
                                  "data-status") == "placed",
                   what="the page after the accept")
            assert not b.all("#detail-proposal")
            assert coord.call("request.get", {"id": r3["request"]["id"]})[
                "request"]["status"] == "placed"
            # The page is drawn again on every event of its request: a
            # cancel reason being typed stays, with its focus, when a
            # colleague rejects the proposal meanwhile.
            admin.call("shelter.capacity", {"id": "t-shelter-a", "pools": {
                "main": {"occupied": 0}}})
            r4 = coord.call("request.submit", {"request": request(
                unique_ref("TYP"))})
            assert r4["proposal"]
            b.d.execute_script("location.hash = arguments[0]",
                               "#/request/" + r4["request"]["id"])
            b.wait(lambda: b.all("#detail-proposal"), what="r4's page")
            b.fill("#cancel-reason", "dubbel aangemeld")
            coord.call("proposal.reject", {"id": r4["proposal"]["id"],
                                           "reason": "collega"})
            b.wait(lambda: not b.all('#detail-proposal .accept[data-proposal='
                                     '"%s"]' % r4["proposal"]["id"]),
                   what="the page after a colleague's reject")
            assert b.css("#cancel-reason").get_attribute("value") == \
                "dubbel aangemeld"
            assert b.d.switch_to.active_element.get_attribute("id") == \
                "cancel-reason"
            b.click("#cancel-request")
            b.wait(lambda: b.attr("#request-detail [data-status]",
                                  "data-status") == "cancelled",
                   what="the cancel with the kept reason")

            # -- new request: a field error, then a raid batch -------------
            b.click("#nav-new")
            b.wait(lambda: b.all("#f-ref"), what="the form")
            assert "nooit een naam" in b.text("#f-ref-hint")
            # A page without a stream shows no live dot.
            assert "on" not in b.attr("#live", "class").split()
            b.css("#f-ref").send_keys(unique_ref("ONE"))
            b.css("#f-person-age").send_keys("200")
            b.click("#submit-one")
            b.wait(lambda: b.css("#f-person-age").get_attribute(
                "aria-invalid") == "true", what="the field error")
            assert b.css("#f-person-age-err").text
            # Every label is words, none a raw key.
            raw = b.d.execute_script("""return Array.from(
                document.querySelectorAll('label')).map(function (l) {
                return l.textContent; }).filter(function (x) {
                return /^f_|_km$/.test(x); });""")
            assert raw == [], raw
            # ... and values are words too, not the protocol's codes.
            assert b.css('#f-urgency option[value="immediate"]').text == \
                "direct"
            assert b.css('#f-residence option[value="b8_permit"]').text == \
                "B8-vergunning"
            assert "psychiatrisch" in b.text("#f-needs")
            # Submitted: the form is emptied for the next person, the
            # result links to the request. Typed again, it says it was
            # there already; the same ref with another age is marked at
            # the ref.
            one = b.css("#f-ref").get_attribute("value")
            b.fill("#f-person-age", "30")
            b.click("#submit-one")
            b.wait(lambda: b.css("#new-result").text.startswith("Aanvraag"),
                   what="the submission")
            assert b.css("#f-ref").get_attribute("value") == ""
            assert b.css("#f-person-age").get_attribute("value") == ""
            assert b.d.switch_to.active_element.get_attribute("id") == "f-ref"
            assert b.attr("#new-result-link", "href").split("#")[1] == \
                "/request/" + coord.call("request.get", {"ref": one})[
                    "request"]["id"]
            b.fill("#f-ref", one)
            b.fill("#f-person-age", "30")
            b.click("#submit-one")
            b.wait(lambda: "al ingediend" in b.css("#new-result").text,
                   what="the duplicate said")
            b.fill("#f-ref", one)
            b.fill("#f-person-age", "31")
            b.click("#submit-one")
            b.wait(lambda: b.attr("#f-ref", "aria-invalid") == "true",
                   what="the ref conflict at the ref")
            # What was typed survives a language switch and another tab.
            typed = b.css("#f-ref").get_attribute("value")
            Select(b.css("#lang")).select_by_value("en")
            b.wait(lambda: b.css("#f-person-age").get_attribute("value")
                   == "31", what="the form kept in English")
            assert b.css("#f-ref").get_attribute("value") == typed
            b.click("#nav-work")
            b.wait(lambda: not b.all("#f-ref"), what="the worklist")
            b.click("#nav-new")
            b.wait(lambda: b.all("#f-ref") and b.css("#f-ref").get_attribute(
                "value") == typed, what="the form kept across tabs")
            Select(b.css("#lang")).select_by_value("nl")
            b.wait(lambda: b.all("#f-ref"), what="the form in Dutch")
            case = unique_ref("RAID")
            b.css("#raid-safety-case").send_keys(case)
            Select(b.css("#raid-exploitation-sector")).select_by_value(
                "labour")
            b.css("#raid-exploitation-location-municipality").send_keys(
                "Utrecht")
            refs = [unique_ref("R%d" % i) for i in range(3)]
            for i, ref in enumerate(refs):
                b.css("#raid-%d-ref" % i).send_keys(ref)
                Select(b.css("#raid-%d-person-gender" % i)).select_by_value(
                    "m")
                b.css("#raid-%d-person-age" % i).send_keys(str(25 + i))
                b.css("#raid-%d-person-languages" % i).send_keys("ro")
            # One row without an age: shown at that row, nothing stored.
            b.css("#raid-1-person-age").clear()
            b.click("#raid-submit")
            b.wait(lambda: b.attr("#raid-1-person-age", "aria-invalid") ==
                   "true", what="the error at row 2")
            assert b.text("#raid-1-person-age-err")
            assert b.attr("#raid-0-person-age", "aria-invalid") is None
            assert not [r for r in coord.call("request.list", {
                "limit": 500})["requests"] if r["ref"] in refs]
            b.css("#raid-1-person-age").send_keys("26")
            # A shared field's error is shown at the shared field.
            muni = "#raid-exploitation-location-municipality"
            b.fill(muni, "Atlantis")
            b.click("#raid-submit")
            b.wait(lambda: b.attr(muni, "aria-invalid") == "true",
                   what="the error at the shared municipality")
            # At the field, without the wire path of one row's copy.
            msg = b.text(muni + "-err")
            assert msg.startswith("unknown municipality"), msg
            # Correcting the field takes its error away.
            b.fill(muni, "Utrecht")
            b.wait(lambda: b.attr(muni, "aria-invalid") is None and
                   b.text(muni + "-err") == "",
                   what="the error gone from the corrected field")
            # An empty row is left out, not an error.
            b.click("#raid-add")
            b.shot("new-request")
            b.click("#raid-submit")
            b.wait(lambda: len(b.all("#raid-results li")) == 3, timeout=10,
                   what="the raid results")
            got = coord.call("request.list", {"limit": 500})["requests"]
            mine = [r for r in got if r.get("safety", {}).get("case") == case]
            assert sorted(r["ref"] for r in mine) == sorted(refs)
            b.shot("raid-submitted")
            b.viewport(390, 844)
            b.fits(390)
            b.viewport(1280, 800)
            b.click("#nav-work")
            b.wait(lambda: b.all("#list-placed"), what="the worklist")
            # A raid member who waits says why (match.preview's sentence).
            b.wait(lambda: any("shelters can take this request" in w.text
                               for w in b.all("#list-waiting .why")),
                   what="why a request waits")
            b.viewport(390, 844)
            b.fits(390)
            b.shot("worklist-phone")
            b.viewport(1280, 800)

            # -- phone width -----------------------------------------------
            b.viewport(390, 844)
            b.click("#nav-board")
            b.wait(lambda: pool_text(b, "t-shelter-a") is not None,
                   what="the board on a phone")
            b.fits(390)
            b.shot("board-phone")
            b.viewport(1280, 800)

            # -- the shelter's page ------------------------------------------
            b.logout()
            # Keyboard only: the token field has the focus; Enter submits.
            b.d.switch_to.active_element.send_keys(
                env.daemon.tokens["shelter"] + Keys.ENTER)
            b.wait(lambda: b.css("#logout").is_displayed(), what="logged in")
            b.wait(lambda: b.all("#occupied-main"), what="the shelter page")
            assert not b.all("#nav-board") and not b.all("#nav-work")
            # The accepted request is expected here; it arrives.
            arr = '#arrivals .arrived[data-request="%s"]' % r1["request"]["id"]
            b.wait(lambda: b.all(arr), what="the expected arrival")
            b.fill("#occupied-main", "3")
            b.click("#report")
            wait_until(lambda: admin.call("shelter.get", {
                "id": "t-shelter-a"})["shelter"]["pools"][0]["occupied"] == 3,
                what="the reported count")
            b.wait(lambda: b.all(arr), what="the page after the report")
            # An emptied count is an error at the field, never a 0 sent.
            b.keys("#occupied-main", Keys.CONTROL + "a", Keys.BACKSPACE)
            b.wait(lambda: b.css("#occupied-main").get_attribute("value")
                   == "", what="the count emptied")
            b.click("#report")
            b.wait(lambda: b.attr("#occupied-main", "aria-invalid") == "true",
                   what="the empty count marked")
            assert "aantal" in b.text("#occupied-main-err")
            assert admin.call("shelter.get", {"id": "t-shelter-a"})[
                "shelter"]["pools"][0]["occupied"] == 3
            # Someone else reports while a count is being typed: the
            # report is refused as stale, not written over theirs.
            b.fill("#occupied-main", "2")
            admin.call("shelter.capacity", {"id": "t-shelter-a", "pools": {
                "main": {"occupied": 4}}})
            b.click("#report")
            b.wait(lambda: "Iemand anders" in b.css("#notice").text,
                   what="the stale report said")
            assert admin.call("shelter.get", {"id": "t-shelter-a"})[
                "shelter"]["pools"][0]["occupied"] == 4
            b.wait(lambda: b.css("#occupied-main").get_attribute("value")
                   == "4", what="the new count shown")
            # Arrived takes a second click: a stray one does nothing.
            b.click(arr)
            b.wait(lambda: "Zeker" in b.text(arr), what="the arrival armed")
            assert coord.call("request.get", {"id": r1["request"]["id"]})[
                "request"]["status"] == "placed"
            b.click(arr)
            wait_until(lambda: coord.call("request.get", {
                "id": r1["request"]["id"]})["request"]["status"] == "arrived",
                what="the arrival")
            b.wait(lambda: b.all('#residents [data-request="%s"]'
                                 % r1["request"]["id"]),
                   what="the resident")
            b.fill("#intake-reason", "tijdelijk vol")
            b.click("#intake-toggle")
            wait_until(lambda: not admin.call("shelter.get", {
                "id": "t-shelter-a"})["shelter"]["intake"]["open"],
                what="intake closed")
            b.wait(lambda: b.css("[data-intake]").get_attribute(
                "data-intake") == "closed", what="closed on the page")
            b.shot("shelter")
            b.viewport(390, 844)
            b.fits(390)
            b.shot("shelter-phone")

            # -- the console ---------------------------------------------------
            bad = [e for e in b.console()
                   if e["level"] in ("SEVERE", "ERROR") or
                   "Content Security Policy" in e["message"] or
                   "Content-Security-Policy" in e["message"]]
            assert not bad, bad
            assert b.d.execute_script("return window.__xss") is None
        except BaseException:
            os.makedirs(SHOTS, exist_ok=True)
            b.d.save_screenshot(os.path.join(SHOTS, "failure.png"))
            print("page at failure: %s\n%s" % (
                b.d.current_url, b.css("body").text[:2000]))
            raise
        finally:
            b.quit()


# report.registrations by sector and gender over these registrations: two
# cells below min_cell (10), so they and whatever would give them away are
# suppressed.
REPORT_COUNTS = {("labour", "m"): 14, ("labour", "f"): 12,
                 ("sexual", "f"): 11, ("sexual", "m"): 3,
                 ("criminal", "f"): 5}
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
GEOMETRY = ("x", "y", "x1", "x2", "y1", "y2", "width", "height", "viewBox",
            "patternTransform", "colspan", "value")


def true_counts(rep):
    """Every entry of the report with the count it hides or shows."""
    out = []
    dims = rep["by"]
    for c in rep["cells"]:
        k = tuple(c["key"][d] for d in dims)
        out.append((c, REPORT_COUNTS.get(k, 0)))
    for i, d in enumerate(dims):
        for m in rep["margins"][d]:
            out.append((m, sum(n for k, n in REPORT_COUNTS.items()
                               if k[i] == m["value"])))
    out.append(({"count": rep["total"], "suppressed": rep["total_suppressed"]},
                sum(REPORT_COUNTS.values())))
    return out


def page_numbers(b):
    """Every number in the page's text, SVG text and titles included, and
    in its attributes other than geometry and form values; dates left out."""
    text = b.d.execute_script("""
        const geometry = arguments[0];
        const parts = [document.body.textContent];
        document.querySelectorAll('body *').forEach(function (e) {
          for (const a of e.attributes)
            if (!geometry.includes(a.name)) parts.push(a.value);
        });
        return parts.join(' ');""", list(GEOMETRY))
    return {int(n) for n in re.findall(r"\d+", DATE_RE.sub(" ", text))}


def test_reports_and_why_in_the_browser():
    port = free_port()
    seed = [shelter("t-full", municipality="Groningen",
                    pools=[pool("main", total=1, occupied=1)])]
    with Env(shelters=seed, extra={"http": "127.0.0.1:%d" % port,
                                   "web": {"enabled": True},
                                   "debug": {"clock": True},
                                   "escalation": {"immediate_min": 1}}) as env:
        base = "http://127.0.0.1:%d" % port
        admin = env.client("admin")
        coord = env.client("coordinator")
        today = datetime.date.today()
        n = 0
        for (sector, gender), count in sorted(REPORT_COUNTS.items()):
            for _ in range(count):
                n += 1
                coord.call("registration.create", {"registration": {
                    "ref": unique_ref("REG"),
                    "date": (today - datetime.timedelta(days=n % 20)).isoformat(),
                    "kind": "registration", "sector": sector,
                    "person": {"gender": gender, "age": 30,
                               "nationality": "RO"},
                    "referrer": "police", "region": "rotterdam"}})
        frm = (today - datetime.timedelta(days=30)).isoformat()
        rep = coord.call("report.registrations", {
            "from": frm, "to": today.isoformat(), "by": ["sector", "gender"]})
        entries = true_counts(rep)
        hidden = [c for e, c in entries if e["suppressed"]]
        shown = {e["count"] for e, c in entries if not e["suppressed"]}
        assert any(0 < c < 10 for c in hidden), rep
        # A count hidden here that the page must not show anywhere.
        secret = {c for c in hidden if c not in shown and c != rep["min_cell"]}
        assert secret

        # A full shelter with a planned departure: the request waits, and
        # says where a place is expected; an immediate request waits past
        # its limit and escalates.
        admin.call("shelter.departures", {"id": "t-full", "pools": {
            "main": [{"date": (today + datetime.timedelta(days=2))
                      .isoformat()}]}})
        w1 = coord.call("request.submit", {"request": request(
            unique_ref("WAIT"))})
        w2 = coord.call("request.submit", {"request": request(
            unique_ref("ESC"), urgency="immediate")})
        assert w1["proposal"] is None and w1["explanation"]["forecast"]
        admin.call("debug.advance", {"seconds": 180})
        wait_until(lambda: coord.call("request.get", {
            "id": w2["request"]["id"]})["request"]["escalated"],
            what="the escalation")

        b = Browser()
        try:
            b.login(base, env.daemon.tokens["coordinator"])
            # -- the worklist: escalated first, the forecast ----------------
            b.click("#nav-work")
            b.wait(lambda: len(b.all("#list-waiting li[data-request]")) == 2,
                   what="the waiting requests")
            first = b.all("#list-waiting li[data-request]")[0]
            assert first.get_attribute("data-request") == w2["request"]["id"]
            assert b.all('#list-waiting [data-request="%s"] [data-escalated]'
                         % w2["request"]["id"])
            assert "geëscaleerd" in b.text(
                '#list-waiting [data-request="%s"] [data-escalated]'
                % w2["request"]["id"])
            b.wait(lambda: "verwacht: een passende plaats bij" in b.text(
                '#list-waiting [data-request="%s"] .forecast'
                % w1["request"]["id"]), what="the forecast")
            b.d.get(base + "/#/request/" + w1["request"]["id"])
            b.wait(lambda: b.all("#detail-why .forecast"),
                   what="the forecast on the detail page")
            assert "t-full" in b.text("#detail-why .forecast")

            # -- reports --------------------------------------------------
            b.click("#nav-reports")
            b.wait(lambda: b.all("#report-form"), what="the report form")
            b.d.execute_script(
                "document.getElementById('rep-from').value = arguments[0];"
                "document.getElementById('rep-to').value = arguments[1];",
                frm, today.isoformat())
            Select(b.css("#rep-by-0")).select_by_value("sector")
            Select(b.css("#rep-by-1")).select_by_value("gender")
            b.click("#rep-show")
            b.wait(lambda: b.all("#rep-table") and b.all("svg.chart"),
                   what="the report")
            legend = b.text("#rep-legend")
            assert "<10" in legend and "niet gepubliceerd" in legend, legend
            cells = b.all("#rep-table td[data-suppressed]")
            assert len(cells) == sum(1 for e, c in entries if e["suppressed"])
            assert {c.text for c in cells} == {"<10"}
            leaked = secret & page_numbers(b)
            assert not leaked, "suppressed count(s) %s in the page" % leaked
            # An unpublished bar has one length, whatever it hides, and
            # says so in words.
            bars = b.all("svg.chart rect.bar.suppressed")
            assert bars and len({r.get_attribute("width") for r in bars}) == 1
            for g in b.all("svg.chart g[data-suppressed]"):
                assert "niet gepubliceerd" in g.find_element(
                    By.CSS_SELECTOR, ".bar-value").get_attribute(
                        "textContent")
            b.shot("reports")
            b.d.execute_script("document.querySelector('.charts')"
                               ".scrollIntoView({block: 'center'})")
            b.shot("reports-charts")
            b.viewport(390, 844)
            b.fits(390)
            b.viewport(1280, 800)
            Select(b.css("#lang")).select_by_value("en")
            b.wait(lambda: b.css("h1").text == "Reports", what="English")
            Select(b.css("#lang")).select_by_value("nl")

            bad = [e for e in b.console()
                   if e["level"] in ("SEVERE", "ERROR") or
                   "Content Security Policy" in e["message"] or
                   "Content-Security-Policy" in e["message"]]
            assert not bad, bad
        except BaseException:
            os.makedirs(SHOTS, exist_ok=True)
            b.d.save_screenshot(os.path.join(SHOTS, "failure-reports.png"))
            print("page at failure: %s\n%s" % (
                b.d.current_url, b.css("body").text[:2000]))
            raise
        finally:
            b.quit()
