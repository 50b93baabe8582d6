"""The configuration management client (mcx cmc) end to end against a live
mcxd (IdMS + CMS/GMS + SIP notifier) on 127.0.0.1.

    mcx cmc run ---UDP--- relay (this script) ---UDP--- mcxd --sip
                          adds Record-Route, so the NOTIFYs come through it;
                          can drop one NOTIFY (and its retransmissions) and
                          answer it 200 itself: the client never sees it

Checks: login (code + PKCE with the password; a wrong password is refused
with the IdMS's words); sync fetches the profiles, the UE configuration, the
service configuration and the group; run subscribes; an administrator
changes the profile over XCAP -> the NOTIFY's patch is applied and the cached
bytes equal the server's and the ETag matches; a dropped NOTIFY -> the next
one's previous-etag does not match -> the document is fetched again (not
patched) and the copy is right; a restarted client resumes from the cache
with 304s only; a restarted mcxd -> a change after the restart still
reaches the client; the access token (10 s) is refreshed before it expires
and the subscription carries on; mcx doc edit (If-Match PUT, 409 reason,
412 when someone else changed the document)."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN, free_udp_tcp_port  # noqa: E402

MCX = os.path.join(BIN, "mcx")
UE = "urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01"
P0 = "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"
P1 = "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-1.xml"
UECONF = "org.3gpp.mcptt.ue-config/users/sip:alice@example.org/" + UE
SERVICE = "org.3gpp.mcptt.service-config/global/service-config.xml"
GROUP = "org.openmobilealliance.groups/global/byGroupID/sip:group-all@example.org"
UEINIT = "org.3gpp.mcptt.ue-init-config/users/sip:%s/%s" % (UE, UE)
ADMIN = {"X-3GPP-Asserted-Identity": "sip:admin@example.org"}
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok -", name)
    else:
        failed += 1
        print("FAIL -", name, "—", " ".join(str(detail).split())[:700])
    return cond


def xcap(d, method, sel, body=None, ctype=None, headers=None):
    """(status, etag, bytes) of one XCAP request as the administrator."""
    h = dict(ADMIN)
    h.update(headers or {})
    if ctype:
        h["Content-Type"] = ctype
    req = urllib.request.Request(d.url("/xcap-root/" + sel), data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, (r.headers.get("ETag") or "").strip('"'), r.read()
    except urllib.error.HTTPError as e:
        return e.code, (e.headers.get("ETag") or "").strip('"'), e.read()


def set_name(d, name):
    """The administrator changes the profile's ProfileName (an element PUT)."""
    st, _, body = xcap(d, "PUT", P0 + "/~~/mcptt-user-profile/ProfileName",
                       ('<ProfileName xml:lang="en">%s</ProfileName>' % name).encode(),
                       "application/xcap-el+xml")
    if st != 200:
        raise RuntimeError("PUT ProfileName: %d %s" % (st, body[:200]))
    return xcap(d, "GET", P0)[1]


def cache_file(cache, sel):
    name = "".join(c if (c.isalnum() and c.isascii()) or c in "._~@+=,-" else "%%%02X" % ord(c)
                   for c in sel)
    with open(os.path.join(cache, "docs", name), "rb") as f:
        return f.read()


class Relay:
    """UDP relay between the client and mcxd that Record-Routes the
    SUBSCRIBE and can swallow one NOTIFY carrying a patch."""

    def __init__(self, server_port):
        self.server = ("127.0.0.1", server_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.client = None
        self.drop_next = False
        self.dropped = set()      # (Call-ID, CSeq) swallowed
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    @staticmethod
    def hdr(msg, name):
        m = re.search(r"(?im)^%s:\s*(.*?)\r$" % re.escape(name), msg)
        return m.group(1) if m else ""

    def answer(self, msg, src):
        keep = [ln for ln in msg.split("\r\n")
                if re.match(r"(?i)^(via|from|to|call-id|cseq):", ln)]
        resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
        self.sock.sendto(resp.encode(), src)

    def loop(self):
        while self.running:
            try:
                data, src = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            msg = data.decode("utf-8", "replace")
            if src == self.server:
                key = (self.hdr(msg, "Call-ID"), self.hdr(msg, "CSeq"))
                if msg.startswith("NOTIFY "):
                    if key in self.dropped:
                        self.answer(msg, src)
                        continue
                    if self.drop_next and "previous-etag" in msg:
                        self.drop_next = False
                        self.dropped.add(key)
                        self.answer(msg, src)
                        continue
                if self.client:
                    self.sock.sendto(data, self.client)
            else:
                self.client = src
                if msg.startswith("SUBSCRIBE ") and ";tag=" not in self.hdr(msg, "To"):
                    first, rest = msg.split("\r\n", 1)
                    msg = "%s\r\nRecord-Route: <sip:127.0.0.1:%d;lr>\r\n%s" % (first, self.port, rest)
                    data = msg.encode()
                self.sock.sendto(data, self.server)

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


class Client:
    """mcx cmc run; its JSON lines collected."""

    def __init__(self, args):
        self.events = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen([MCX, "cmc", "run"] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(ev)

    def mark(self):
        with self.lock:
            return len(self.events)

    def wait(self, pred, since=0, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for ev in self.events[since:]:
                    if pred(ev):
                        return ev
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        return self.proc.returncode, self.proc.stderr.read().decode("utf-8", "replace")


def doc_ev(sel, how):
    return lambda e: e.get("event") == "doc" and e.get("sel") == sel and e.get("how") == how


def mcx_cmc(*args, stdin=None):
    r = subprocess.run([MCX, "cmc"] + list(args), capture_output=True, timeout=60, input=stdin)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def main():
    tmp = tempfile.mkdtemp(prefix="mcx-live-cmc-")
    sip_port = free_udp_tcp_port()
    common = ("--idms", "yes", "--idms-access-ttl", "10", "--sip", "yes",
              "--sip-listen", "127.0.0.1:%d" % sip_port, "--sip-transports", "udp",
              "--sip-min-expires", "2")
    d = Mcxd(*common).start()
    relay = Relay(sip_port)
    client = None
    try:
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "demo",
                               "ue1-init-config.xml")) as f:
            init = f.read()
        init = init.replace("https://127.0.0.1:8080/idms", d.url("/idms"))
        init = init.replace("http://127.0.0.1:8080/xcap-root", d.url("/xcap-root"))
        init_path = os.path.join(tmp, "init.xml")
        with open(init_path, "w") as f:
            f.write(init)
        cache = os.path.join(tmp, "cache")
        base = ["--cache", cache]

        rc, _, err = mcx_cmc("login", "--init", init_path, "--instance-id", UE,
                             "--user", "sip:alice@example.org", "--password", "wrong", *base)
        check("a wrong password is refused with the IdMS's words",
              rc == 1 and "login" in err and "Wrong MCPTT ID or password" in err, err)
        rc, _, err = mcx_cmc("login", "--init", init_path, "--instance-id", UE,
                             "--user", "sip:alice@example.org", *base, stdin=b"alice-demo\n")
        st = os.stat(os.path.join(cache, "state.json"))
        with open(os.path.join(cache, "state.json")) as f:
            state = json.load(f)
        check("login with code + PKCE (password on stdin); tokens kept 0600",
              rc == 0 and state.get("refresh_token") and state.get("access_token") and
              (st.st_mode & 0o777) == 0o600, err)

        rc, _, err = mcx_cmc("sync", *base)
        got = {s: cache_file(cache, s) for s in (P0, P1, UECONF, SERVICE, GROUP, UEINIT)}
        same = all(got[s] == xcap(d, "GET", s)[2] for s in got)
        check("sync fetches the profiles, UE configuration, UE initial configuration, service "
              "configuration and group", rc == 0 and same and err.count("fetched") == 6, err)
        rc, out, err = mcx_cmc("show", *base)
        try:
            show = json.loads(out)
        except ValueError:
            show = {}
        check("show: timers, servers, the pre-selected profile and its groups",
              rc == 0 and show.get("timers", {}).get("T100") == 2 and
              show.get("profile", {}).get("sel") == P0 and
              show.get("profile", {}).get("groups", [{}])[0].get("uri") == "sip:group-all@example.org"
              and show.get("groups", [{}])[0].get("display-name") == "All hands" and
              show.get("servers", {}).get("cms-xcap-root") == d.url("/xcap-root"), out[:600] + err)

        run_args = base + ["--sip-server", "127.0.0.1:%d" % relay.port, "--expires", "4",
                           "--token-margin", "4", "--backoff-min", "200", "--backoff-max", "2000"]
        client = Client(run_args)
        ok = client.wait(lambda e: e.get("event") == "subscribed")
        check("run subscribes (through the relay)", ok is not None, client.events[-5:])

        m = client.mark()
        etag = set_name(d, "night-shift")
        ev = client.wait(doc_ev(P0, "patched"), m)
        cached = cache_file(cache, P0)
        st_, server_etag, server_bytes = xcap(d, "GET", P0)
        check("an administrator's change arrives as a patch, applied",
              ev is not None and ev.get("etag") == etag, client.events[m:])
        check("the cached bytes equal the server's and the ETag matches",
              cached == server_bytes and ev is not None and ev.get("etag") == server_etag,
              (len(cached), len(server_bytes)))

        # the UE's own initial configuration on the CMS is followed too
        m = client.mark()
        st, _, body = xcap(d, "PUT", UEINIT + "/~~/mcptt-UE-initial-configuration/on-network/"
                           "Timers/T100", b"<T100>7</T100>", "application/xcap-el+xml")
        ev = client.wait(doc_ev(UEINIT, "patched"), m)
        check("a change of the UE initial configuration arrives as a patch, applied",
              st == 200 and ev is not None and cache_file(cache, UEINIT) == xcap(d, "GET", UEINIT)[2],
              (st, body[:200], client.events[m:]))
        rc, out, err = mcx_cmc("show", *base)
        try:
            t100 = json.loads(out).get("timers", {}).get("T100")
        except ValueError:
            t100 = None
        check("... and its new timer is in effect (show)", rc == 0 and t100 == 7, out[:300] + err)

        # a NOTIFY lost on the way: the next one does not follow the cached copy
        relay.drop_next = True
        m = client.mark()
        set_name(d, "lost-change")
        time.sleep(1.0)
        lost = [e for e in client.events[m:] if e.get("event") == "doc"]
        etag = set_name(d, "after-the-loss")
        ev = client.wait(lambda e: e.get("event") == "doc" and e.get("sel") == P0, m)
        time.sleep(0.2)
        check("a dropped NOTIFY is never seen by the client",
              len(relay.dropped) == 1 and not lost, (relay.dropped, lost))
        check("the next NOTIFY leads to a re-fetch, not a patch on the wrong copy",
              ev is not None and ev.get("how") == "fetched" and "missed" in ev.get("detail", "")
              and ev.get("etag") == etag, client.events[m:])
        check("after the re-fetch the cache is the server's document",
              cache_file(cache, P0) == xcap(d, "GET", P0)[2])

        # the access token lives 10 s: refreshed before it expires
        m0 = 0
        ev = client.wait(lambda e: e.get("event") == "login" and e.get("how") == "refresh", m0, 20)
        check("the access token is refreshed before it expires", ev is not None,
              [e for e in client.events if e.get("event") in ("login", "error", "retry")])
        time.sleep(8)  # past the first token's expiry
        m = client.mark()
        etag = set_name(d, "token-refreshed")
        ev = client.wait(doc_ev(P0, "patched"), m)
        check("after the first token expired, changes still arrive", ev is not None and
              ev.get("etag") == etag, client.events[m:])

        # mcxd restarts: the client ends up subscribed again
        code, _ = d.stop()
        d2 = Mcxd(*common, data_dir=d.dir)
        d2.port = d.port
        d2.start()
        d = d2
        time.sleep(1)
        deadline = time.time() + 30
        ev = None
        while ev is None and time.time() < deadline:
            m = client.mark()
            etag = set_name(d, "after-restart-%d" % int(time.time()))
            ev = client.wait(lambda e: e.get("event") == "doc" and e.get("sel") == P0 and
                             e.get("etag") == etag, m, 5)
        check("after mcxd restarts, a change reaches the client", ev is not None and code == 0,
              client.events[-8:])
        check("... and the cache is the server's document",
              cache_file(cache, P0) == xcap(d, "GET", P0)[2])

        rc, err = client.stop()
        client = None
        check("run stops on SIGTERM", rc == 0, err[-400:])

        rc, _, err = mcx_cmc("sync", *base)
        check("a restarted client resumes from the cache with 304s only",
              rc == 0 and err.count("unchanged") == 6 and "fetched" not in err, err)
        with open(os.path.join(d.dir, "access.log")) as f:
            log = [ln for ln in f.read().splitlines() if "/xcap-root/" in ln][-7:]
        check("... the server saw conditional GETs answered 304",
              sum("status=304" in ln for ln in log) == 6, log)

        # sync against a server that is gone: which step failed, and why
        rc, _, err = mcx_cmc("sync", "--xcap-root", "http://127.0.0.1:1/xcap-root", *base)
        check("a failing fetch names the step and the cause",
              rc == 1 and "fetch org.3gpp.mcptt.user-profile" in err and "onnect" in err, err)

        # mcx doc edit
        env = dict(os.environ, EDITOR="sed -i s/after-restart-[0-9]*/edited-by-hand/")
        server = ["--server", d.url("/xcap-root"), "--user", "admin@example.org",
                  "--password", "admin-demo", "doc", "edit", P0]
        r = subprocess.run([MCX] + server, capture_output=True, env=env, timeout=30)
        check("doc edit PUTs the edited document with If-Match",
              r.returncode == 0 and b"edited-by-hand" in xcap(d, "GET", P0)[2], r.stderr)
        env["EDITOR"] = 'sed -i "s/XUI-URI=.sip:alice@example.org./XUI-URI=\\"sip:bob@example.org\\"/"'
        r = subprocess.run([MCX] + server, capture_output=True, env=env, timeout=30)
        check("doc edit shows a 409's reason",
              r.returncode == 1 and b"409" in r.stderr and b"constraint-failure" in r.stderr
              and b"does not agree with the directory" in r.stderr, r.stderr)
        script = os.path.join(tmp, "meddle.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncurl -s -o /dev/null -X PUT -H 'X-3GPP-Asserted-Identity: "
                    "sip:admin@example.org' -H 'Content-Type: application/xcap-el+xml' "
                    "--data-binary '<ProfileName xml:lang=\"en\">meddler</ProfileName>' "
                    "'%s'\nsed -i s/edited-by-hand/mine/ \"$1\"\n"
                    % d.url("/xcap-root/" + P0 + "/~~/mcptt-user-profile/ProfileName"))
        os.chmod(script, 0o755)
        env["EDITOR"] = script
        r = subprocess.run([MCX] + server, capture_output=True, env=env, timeout=30)
        body = xcap(d, "GET", P0)[2]
        check("doc edit does not overwrite someone else's change (412)",
              r.returncode == 1 and b"412" in r.stderr and b"meddler" in body and
              b">mine<" not in body, r.stderr)
    finally:
        if client:
            client.stop()
        relay.stop()
        code, err = d.stop()
        check("mcxd exits 0", code == 0, err[-500:])
        d.cleanup()
        subprocess.run(["rm", "-rf", tmp])
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
