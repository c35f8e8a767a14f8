"""The web view's live stream across a dropped connection, in a real
browser: the page reaches the daemon through a small TCP relay that the
test cuts and restores. What changed while the page was cut off shows
once it reconnects, also when no event had arrived before the cut (the
stream's first id is where EventSource resumes from)."""

import socket
import time
import threading

from harness import Env, free_port, pool, shelter
from test_web_browser import SLOW, Browser, pool_text


class Relay:
    """127.0.0.1:port -> 127.0.0.1:target, one thread per direction. cut()
    closes every connection and refuses new ones until restore()."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.lock = threading.Lock()
        self.socks = []
        self.refusing = False
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", self.port))
        self.ls.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            with self.lock:
                refusing = self.refusing
            if refusing:
                c.close()
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.refusing = True
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self):
        with self.lock:
            self.refusing = False

    def close(self):
        self.cut()
        self.ls.close()


def test_board_catches_up_after_a_cut_before_any_event():
    port = free_port()
    seed = [shelter("t-shelter-a", pools=[pool("main", total=6, occupied=1)])]
    with Env(shelters=seed, extra={"http": "127.0.0.1:%d" % port,
                                   "web": {"enabled": True}}) as env:
        relay = Relay(port)
        admin = env.client("admin")
        b = Browser()
        try:
            b.login("http://127.0.0.1:%d" % relay.port,
                    env.daemon.tokens["coordinator"])
            b.wait(lambda: pool_text(b, "t-shelter-a") == "5/6",
                   what="the board")
            b.wait(lambda: "Live" in b.css("#live").text, what="the stream")
            relay.cut()
            b.wait(lambda: "Live" not in b.css("#live").text, timeout=10,
                   what="the page noticing the cut")
            # Changed while the page is cut off, before any event reached
            # it.
            admin.call("shelter.capacity", {"id": "t-shelter-a", "pools": {
                "main": {"occupied": 4}}})
            relay.restore()
            b.wait(lambda: "Live" in b.css("#live").text, timeout=10,
                   what="the stream back")
            b.wait(lambda: pool_text(b, "t-shelter-a") == "2/6",
                   timeout=5 * SLOW, what="the change made during the cut")
            assert not [e for e in b.console()
                        if "Content Security Policy" in e.get("message", "")]
        finally:
            b.quit()
            relay.close()


def test_typing_keeps_the_session_alive():
    # web.session_idle_min of 0.5 (30 s): someone typing a request for
    # 40 s is still logged in when they submit; the session did not
    # expire under their hands.
    port = free_port()
    with Env(extra={"http": "127.0.0.1:%d" % port,
                    "web": {"enabled": True, "session_idle_min": 0.5}}) as env:
        b = Browser()
        try:
            b.login("http://127.0.0.1:%d" % port,
                    env.daemon.tokens["coordinator"])
            b.click("#nav-new")
            b.wait(lambda: b.all("#f-ref"), what="the form")
            for ch in "TYPE-ALI":  # a letter every 5 s
                b.css("#f-ref").send_keys(ch)
                time.sleep(5)
            b.css("#f-person-age").send_keys("30")
            b.click("#submit-one")
            b.wait(lambda: b.css("#new-result").text.startswith("Aanvraag"),
                   timeout=10, what="the submission, still logged in")
            assert not b.all("#token")
        finally:
            b.quit()
