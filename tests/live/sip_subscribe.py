"""SIP SUBSCRIBE/NOTIFY with the xcap-diff event package (RFC 6665, RFC 5875,
TS 24.484 A.2.2) against a real mcxd, with SIPp playing the UE (scenarios
in tests/sip/). The initial NOTIFY's etags are the ones HTTP GET gives; a
change made with curl arrives as previous-etag/new-etag (with
diff-processing=aggregate, with the RFC 5261 operations), a deletion with a
previous-etag only; refresh and unsubscribe; another user's document in the
list is left out; refusals (bad token 403, missing body 400, other event
489, nothing readable 403, too brief 423); a NOTIFY answered with 481 ends
the subscription, one answered with 408 is sent again (also over TCP); an
access token that expires ends the subscription with reason=deactivated."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN, free_udp_tcp_port  # noqa: E402

MCX = os.path.join(BIN, "mcx")
SCEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sip")
CMS = "3gpp:mcptt:config_management_server"
XD = "{urn:ietf:params:xml:ns:xcap-diff}"
ROOT = "/xcap-root/"
ALICE_UE = "org.3gpp.mcptt.ue-config/users/sip:alice@example.org/urn:uuid:7c1e3f60-1a2b-4c3d-8e9f-0a1b2c3d4e01"
ALICE_P0 = "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"
ALICE_P1 = "org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-1.xml"
SERVICE = "org.3gpp.mcptt.service-config/global/service-config.xml"
BOB_P0 = "org.3gpp.mcptt.user-profile/users/sip:bob@example.org/mcptt-user-profile-0.xml"
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok", name)
    else:
        failed += 1
        print("not ok", name, "—", str(detail)[:600])


def mcx(*args):
    r = subprocess.run([MCX] + list(args), capture_output=True, timeout=30)
    if r.returncode:
        raise RuntimeError(r.stderr.decode())
    return r.stdout.decode().strip()


def token_setup(tmp):
    """A signing key in tmp, its JWKS file for mcxd (--jwks-file), and a
    signer of Alice's CMS access tokens: tok(key=that key, ttl="3600")."""
    key = os.path.join(tmp, "k.pem")
    mcx("token", "keygen", "--out", key)
    jwks = os.path.join(tmp, "jwks.json")
    with open(jwks, "w") as f:
        f.write(mcx("token", "jwks", "--key", key, "--kid", "k1"))

    def tok(k=key, ttl="3600"):
        return mcx("token", "sign", "--key", k, "--kid", "k1", "--mcptt-id",
                   "sip:alice@example.org", "--scope", "openid " + CMS, "--ttl", ttl)
    return jwks, tok


def curl(d, method, sel, user="alice:alice-demo", data=None, ctype=None):
    """(status, ETag without quotes, body) of one XCAP request by curl."""
    args = ["curl", "-s", "-S", "--max-time", "20", "--digest", "-u", user, "-X", method,
            "-D", "-", "-o", "-", d.url(ROOT + sel)]
    if data is not None:
        args += ["--data-binary", data]
    if ctype:
        args += ["-H", "Content-Type: " + ctype]
    out = subprocess.run(args, capture_output=True, timeout=30).stdout.decode("utf-8", "replace")
    last = out.rfind("HTTP/1.")          # Digest: the challenge comes first
    out = out[last:] if last >= 0 else out
    m = re.match(r"HTTP/\S+ (\d+)", out)
    etag = re.search(r'(?im)^ETag:\s*"?([^"\r\n]*)"?', out)
    return (int(m.group(1)) if m else 0), (etag.group(1) if etag else None), out


class Sipp:
    """One SIPp run of a scenario as the UE; always stopped by stop()."""

    def __init__(self, tmp, name, sip_port, token="", transport="u1", keys=()):
        self.name = name
        self.msgs = os.path.join(tmp, name + transport + ".msg")
        self.errs = os.path.join(tmp, name + transport + ".err")
        self.port = free_udp_tcp_port()
        args = [shutil.which("sipp"), "-sf", os.path.join(SCEN, name + ".xml"), "-m", "1",
                "-i", "127.0.0.1", "-p", str(self.port), "-t", transport,
                "127.0.0.1:%d" % sip_port, "-key", "token", token or "none",
                "-trace_msg", "-message_file", self.msgs, "-trace_err", "-error_file", self.errs,
                "-timeout", "60s", "-timeout_error", "-nostdin"]
        for k, v in keys:
            args += ["-key", k, v]
        self.proc = subprocess.Popen(args, cwd=tmp, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def messages(self):
        """[(received?, start line, headers dict (lower-case names), body)]"""
        try:
            with open(self.msgs, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        out = []
        for chunk in re.split(r"(?m)^-{20,} .*$", text):
            m = re.search(r"(?s)message (sent|received)[^\n]*\n\n(.*)", chunk)
            if not m:
                continue
            msg = m.group(2).replace("\r\n", "\n")
            head, _, body = msg.partition("\n\n")
            lines = head.split("\n")
            hdrs = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                hdrs.setdefault(k.strip().lower(), v.strip())
            out.append((m.group(1) == "received", lines[0], hdrs, body.strip()))
        return out

    def notifies(self):
        return [m for m in self.messages() if m[0] and m[1].startswith("NOTIFY ")]

    def responses(self):
        return [m for m in self.messages() if m[0] and m[1].startswith("SIP/2.0 ")]

    def wait_notifies(self, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.notifies()
            if len(got) >= n:
                return got
            if self.proc.poll() is not None:
                return got
            time.sleep(0.05)
        return self.notifies()

    def wait(self, timeout=70):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return -1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def errors(self):
        try:
            with open(self.errs, encoding="utf-8", errors="replace") as f:
                return f.read()[-800:]
        except OSError:
            return ""


def documents(body):
    """xcap-root and {sel: (previous-etag, new-etag)} of an xcap-diff body."""
    root = ET.fromstring(body)
    if root.tag != XD + "xcap-diff":
        raise ValueError("not xcap-diff: " + root.tag)
    docs = {}
    for d in root.findall(XD + "document"):
        docs[d.get("sel")] = (d.get("previous-etag"), d.get("new-etag"))
    return root.get("xcap-root"), docs


def flow(d, tmp, sport, token, sipps):
    """Subscribe, initial state, a change, refresh, unsubscribe."""
    s = Sipp(tmp, "subscribe_flow", sport, token)
    sipps.append(s)
    got = s.wait_notifies(1)
    check("flow_initial_notify", len(got) >= 1, s.errors())
    if not got:
        return
    ok = [r for r in s.responses() if r[1].startswith("SIP/2.0 200")]
    check("flow_200_expires_granted", ok and ok[0][2].get("expires") == "600", ok[:1])
    root, docs = documents(got[0][3])
    check("flow_xcap_root", root == d.url("/xcap-root"), root)
    check("flow_initial_state_documents", set(docs) == {ALICE_UE, ALICE_P0, ALICE_P1, SERVICE},
          sorted(docs))
    check("flow_other_users_document_left_out", BOB_P0 not in docs and
          "bob" not in got[0][3], got[0][3])
    same = True
    for sel, (prev, new) in docs.items():
        st, etag, _ = curl(d, "GET", sel)
        same = same and st == 200 and etag == new and prev is None
        if not same:
            check("flow_initial_etags_are_the_stores", False, (sel, st, etag, new))
            return
    check("flow_initial_etags_are_the_stores", same)
    st, new_etag, out = curl(d, "PUT", ALICE_P0 + "/~~/mcptt-user-profile/ProfileName",
                             user="admin:admin-demo", ctype="application/xcap-el+xml",
                             data='<ProfileName xml:lang="en">night-shift</ProfileName>')
    check("flow_admin_changes_profile", st in (200, 201) and new_etag, out[:300])
    got = s.wait_notifies(2)
    check("flow_change_notify", len(got) >= 2, s.errors())
    if len(got) < 2:
        return
    _, ch = documents(got[1][3])
    check("flow_change_previous_and_new_etag",
          ch == {ALICE_P0: (docs[ALICE_P0][1], new_etag)}, (ch, docs[ALICE_P0], new_etag))
    st, etag, _ = curl(d, "GET", ALICE_P0)
    check("flow_change_new_etag_is_the_stores", etag == new_etag, (etag, new_etag))
    c1, c2 = (int(n[2]["cseq"].split()[0]) for n in got[:2])
    check("flow_cseq_increases", c2 > c1, (c1, c2))
    rc = s.wait()
    check("flow_sipp_scenario_passes", rc == 0, (rc, s.errors()))
    got = s.notifies()
    check("flow_four_notifies", len(got) == 4, [n[2].get("subscription-state") for n in got])
    if len(got) != 4:
        return
    ok = [r for r in s.responses() if r[1].startswith("SIP/2.0 200") and "SUBSCRIBE" in r[2]["cseq"]]
    check("flow_refresh_expires_900", len(ok) >= 2 and ok[1][2].get("expires") == "900",
          [r[2].get("expires") for r in ok])
    _, full = documents(got[2][3])
    check("flow_refresh_notify_full_state", full.get(ALICE_P0) == (None, new_etag) and
          len(full) == 4, full)
    state = got[3][2].get("subscription-state", "")
    check("flow_unsubscribe_terminated", state.startswith("terminated"), state)
    if got[3][3]:
        _, last = documents(got[3][3])
        check("flow_unsubscribe_final_state", last.get(ALICE_P0) == (None, new_etag), last)


def asserted(d, tmp, sport, sipps):
    """P-Asserted-Identity from the trusted SIP core; a deletion."""
    s = Sipp(tmp, "subscribe_asserted", sport)
    sipps.append(s)
    got = s.wait_notifies(1)
    check("asserted_initial_notify", len(got) >= 1, s.errors())
    if not got:
        return
    _, docs = documents(got[0][3])
    check("asserted_collection_expanded", set(docs) == {ALICE_P0, ALICE_P1}, sorted(docs))
    st, old_body, _ = curl(d, "GET", ALICE_P0)
    st, new_etag, out = curl(d, "PUT", ALICE_P0 + "/~~/mcptt-user-profile/ProfileName",
                             user="admin:admin-demo", ctype="application/xcap-el+xml",
                             data='<ProfileName xml:lang="en">day-shift</ProfileName>')
    check("asserted_admin_changes", st in (200, 201), out[:300])
    got = s.wait_notifies(2)
    check("asserted_change_notify", len(got) >= 2, s.errors())
    if len(got) >= 2:
        _, ch = documents(got[1][3])
        ops = [c for d_ in ET.fromstring(got[1][3]) for c in d_]
        check("aggregate_change_etags", ch == {ALICE_P0: (docs[ALICE_P0][1], new_etag)}, ch)
        check("aggregate_change_has_patch_ops",
              ops and all(o.tag in (XD + "add", XD + "replace", XD + "remove") for o in ops) and
              "day-shift" in got[1][3], got[1][3])
    st, _, out = curl(d, "DELETE", ALICE_P1, user="admin:admin-demo")
    check("asserted_admin_deletes", st == 200, out[:300])
    got = s.wait_notifies(3)
    check("asserted_delete_notify", len(got) >= 3, s.errors())
    if len(got) >= 3:
        _, ch = documents(got[2][3])
        check("asserted_delete_previous_etag_only", ch == {ALICE_P1: (docs[ALICE_P1][1], None)}, ch)
    rc = s.wait()
    check("asserted_sipp_scenario_passes", rc == 0, (rc, s.errors()))


def refusals(d, tmp, sport, token, bad_token, sipps):
    for name, tok in (("refuse_bad_token", bad_token), ("refuse_no_body", token),
                      ("refuse_bad_event", token), ("refuse_other_user", token),
                      ("refuse_too_brief", token)):
        s = Sipp(tmp, name, sport, tok)
        sipps.append(s)
        rc = s.wait()
        check(name, rc == 0, (rc, s.errors(), [r[1] for r in s.responses()]))
        if name == "refuse_bad_event":
            r = s.responses()
            check("refuse_bad_event_allow_events", r and r[0][2].get("allow-events") == "xcap-diff", r)
    s = Sipp(tmp, "refuse_other_user", sport, token)
    sipps.append(s)
    s.wait()
    check("refusal_leaks_nothing", not s.notifies() and
          all("bob" not in r[3] and "zoe" not in r[3] for r in s.responses()), s.messages())


def failures(d, tmp, sport, token, tok, sipps):
    s = Sipp(tmp, "notify_481", sport, token)
    sipps.append(s)
    rc = s.wait()
    check("notify_481_ends_subscription", rc == 0, (rc, s.errors()))
    s = Sipp(tmp, "notify_408", sport, token)
    sipps.append(s)
    rc = s.wait()
    got = s.notifies()
    check("notify_408_sent_again", rc == 0 and len(got) == 2 and got[0][3] == got[1][3] and
          int(got[1][2]["cseq"].split()[0]) > int(got[0][2]["cseq"].split()[0]), (rc, s.errors()))
    s = Sipp(tmp, "notify_408", sport, token, transport="t1")
    sipps.append(s)
    rc = s.wait()
    got = s.notifies()
    check("tcp_subscribe_and_notify_again", rc == 0 and len(got) == 2 and
          "SIP/2.0/TCP" in got[0][2].get("via", ""), (rc, s.errors()))
    s = Sipp(tmp, "token_expiry", sport, tok(ttl="4"))   # signed now: it lives 4 s
    sipps.append(s)
    rc = s.wait()
    check("token_expiry_terminates_deactivated", rc == 0, (rc, s.errors(),
          [n[2].get("subscription-state") for n in s.notifies()]))


def main():
    if not shutil.which("sipp"):
        print("sipp is not installed (Debian package sip-tester)")
        print("sip: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="mcx-sip-")
    jwks, tok = token_setup(tmp)
    other = os.path.join(tmp, "other.pem")       # a key mcxd does not know
    mcx("token", "keygen", "--out", other)
    sport = free_udp_tcp_port()
    d = Mcxd("--jwks-file", jwks, "--token-skew", "0", "--sip", "yes",
             "--sip-listen", "127.0.0.1:%d" % sport, "--sip-trusted-proxies", "127.0.0.1",
             "--sip-min-expires", "60", "--log-level", "info")
    sipps = []
    try:
        d.start()
        token = tok()
        flow(d, tmp, sport, token, sipps)
        asserted(d, tmp, sport, sipps)
        refusals(d, tmp, sport, token, tok(other), sipps)
        failures(d, tmp, sport, token, tok, sipps)
    finally:
        for s in sipps:
            s.stop()
        code, err = d.stop()
        d.cleanup()
        check("clean_exit", code == 0, err[-800:])
    shutil.rmtree(tmp, ignore_errors=True)
    print("sip: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
