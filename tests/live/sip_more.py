"""More of the xcap-diff notifier against a real mcxd, SIPp as the UE
(tests/sip/subscribe_watch.xml: subscribe, answer every NOTIFY, unsubscribe
after 6 s of quiet):
- the patch of an xcap-patching NOTIFY, applied to the old bytes
  (`mcx patch apply`), gives the new document and its ETag is new-etag;
- a change committed by another process on the data directory (the mcx
  tool while mcxd runs) reaches the subscriber;
- the aggregation window (sip-notify-interval) folds changes into one
  NOTIFY, first previous-etag to last new-etag, no sooner than the window;
- sip-max-patch: a small change carries its patch, a larger one etags only;
- element and attribute subscriptions (RFC 5875 §4.4, §4.5): the initial
  NOTIFY has the element (in its own namespace) and the attribute value as
  GET gives them, a missing attribute exists="0"; a change of the element
  is notified with its new content, a change elsewhere in the document is
  not, an attribute's removal gives exists="0";
- NOTIFY over UDP is a client transaction of its own: unanswered, the same
  bytes come again after T1; answered, no more; the next has a higher CSeq;
- with sip-max-inflight 2 (and sip-max-unanswered 32), twenty subscribers that
  stopped answering do not hold up a live one (an unanswered NOTIFY leaves
  the window after T1);
- SIP over TLS (sip-tls-listen): a UE on a TLS connection, verifying the
  configured certificate, subscribes and gets its NOTIFYs on it, with a
  sips: Contact and with a Contact that names no transport."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd  # noqa: E402
import sip_subscribe as ss  # noqa: E402
from sip_subscribe import (Sipp, curl, documents, free_udp_tcp_port, mcx, token_setup,  # noqa: E402
                           ALICE_P0, XD, MCX)

UP = "{urn:3gpp:mcptt:user-profile:1.0}"
PNAME = ALICE_P0 + "/~~/mcptt-user-profile/ProfileName"
LANG = PNAME + "/@xml:lang"
NOATTR = PNAME + "/@no-such-attribute"
ALIAS = ALICE_P0 + "/~~/mcptt-user-profile/Common/UserAlias/alias-entry"


def check(name, cond, detail=""):
    ss.check(name, cond, detail)


def entries(*sels):
    return "".join('<entry uri="%s"/>' % s for s in sels)


def watch(tmp, sport, token, sels, event="xcap-diff;diff-processing=xcap-patching"):
    tmp = tempfile.mkdtemp(dir=tmp)     # a trace file of its own
    return Sipp(tmp, "subscribe_watch", sport, token,
                keys=(("entries", entries(*sels)), ("event", event)))


def get_bytes(d, sel, user="alice:alice-demo"):
    return subprocess.run(["curl", "-s", "--digest", "-u", user, d.url(ss.ROOT + sel)],
                          capture_output=True, timeout=30).stdout


def foreign_writer(d, tmp, sport, token, sipps):
    s = watch(tmp, sport, token, [ALICE_P0])
    sipps.append(s)
    got = s.wait_notifies(1)
    check("foreign_initial_notify", len(got) >= 1, s.errors())
    if not got:
        return
    _, docs = documents(got[0][3])
    old = get_bytes(d, ALICE_P0)
    path = os.path.join(tmp, "pn.xml")
    with open(path, "w") as f:
        f.write('<ProfileName xml:lang="en">from-the-tool</ProfileName>')
    r = subprocess.run([MCX, "--data-dir", d.dir, "doc", "put", PNAME, path],
                       capture_output=True, timeout=30)
    check("foreign_mcx_put_while_mcxd_runs", r.returncode == 0, r.stderr[-300:])
    got = s.wait_notifies(2, timeout=10)
    check("foreign_change_notified", len(got) >= 2, s.errors())
    if len(got) >= 2:
        _, ch = documents(got[1][3])
        st, etag, _ = curl(d, "GET", ALICE_P0)
        check("foreign_change_etags", ch == {ALICE_P0: (docs[ALICE_P0][1], etag)},
              (ch, etag))
        check("foreign_change_has_patch", "from-the-tool" in got[1][3], got[1][3])
        # the patch applied to the old bytes gives the new document, ETag checked
        for name, data in (("old.xml", old), ("notify.xml", got[1][3].encode())):
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        r = subprocess.run([MCX, "patch", "apply", os.path.join(tmp, "old.xml"),
                            os.path.join(tmp, "notify.xml"), "--sel", ALICE_P0],
                           capture_output=True, timeout=30)
        new = get_bytes(d, ALICE_P0)
        check("patch_applied_to_old_bytes_gives_the_new_document",
              r.returncode == 0 and r.stdout == new and b"from-the-tool" in new,
              (r.returncode, r.stderr[-300:]))
    check("foreign_sipp_scenario_passes", s.wait() == 0, s.errors())


def put_name(d, name):
    return curl(d, "PUT", PNAME, user="admin:admin-demo", ctype="application/xcap-el+xml",
                data='<ProfileName xml:lang="en">%s</ProfileName>' % name)


def window(d, tmp, sport, token, sipps):
    """With sip-notify-interval 1500 and sip-max-patch 400."""
    s = watch(tmp, sport, token, [ALICE_P0])
    sipps.append(s)
    got = s.wait_notifies(1)
    t0 = time.time()
    check("window_initial_notify", len(got) >= 1, s.errors())
    if not got:
        return
    _, docs = documents(got[0][3])
    put_name(d, "first")
    st, e2, out = put_name(d, "second")
    check("window_two_quick_changes", st == 200 and e2, out[:200])
    got = s.wait_notifies(2)
    t1 = time.time()
    time.sleep(0.5)
    got = s.notifies()
    check("window_one_notify_for_two_changes", len(got) == 2, len(got))
    check("window_not_before_the_window", t1 - t0 >= 1.2, t1 - t0)
    if len(got) < 2:
        return
    _, ch = documents(got[1][3])
    check("window_folded_first_previous_last_new", ch == {ALICE_P0: (docs[ALICE_P0][1], e2)},
          ch)
    check("window_folded_patch_gives_the_last", "second" in got[1][3] and
          "first" not in got[1][3], got[1][3])
    # sip-max-patch 400: a small change has its patch, a large one etags only
    time.sleep(1.6)
    st, e3, _ = put_name(d, "third")
    got = s.wait_notifies(3)
    ops = len(got) >= 3 and [c for x in ET.fromstring(got[2][3]) for c in x]
    check("max_patch_small_change_patched", ops and "third" in got[2][3], got[2:3])
    time.sleep(1.6)
    big = "x" * 600
    st, e4, _ = put_name(d, big)
    got = s.wait_notifies(4)
    if len(got) >= 4:
        _, ch = documents(got[3][3])
        kids = [c for x in ET.fromstring(got[3][3]) for c in x]
        check("max_patch_large_change_etags_only", ch == {ALICE_P0: (e3, e4)} and not kids,
              got[3][3][:400])
    else:
        check("max_patch_large_change_etags_only", False, s.errors())
    check("window_sipp_scenario_passes", s.wait() == 0, s.errors())


def elements(d, tmp, sport, token, sipps):
    s = watch(tmp, sport, token, [PNAME, LANG, NOATTR])
    sipps.append(s)
    got = s.wait_notifies(1)
    check("element_initial_notify", len(got) >= 1, s.errors())
    if not got:
        return
    root = ET.fromstring(got[0][3])
    els = {e.get("sel"): e for e in root.findall(XD + "element")}
    ats = {e.get("sel"): e for e in root.findall(XD + "attribute")}
    check("element_initial_has_no_documents", not root.findall(XD + "document"), got[0][3])
    st, _, body = curl(d, "GET", PNAME)
    want = body.split("\r\n\r\n", 1)[-1] if "\r\n\r\n" in body else body.split("\n\n", 1)[-1]
    e = els.get(PNAME)
    kid = list(e)[0] if e is not None and len(e) else None
    check("element_initial_content_in_its_namespace", kid is not None and
          kid.tag == UP + "ProfileName" and kid.text == ET.fromstring(
              want.replace('<ProfileName', '<ProfileName xmlns="urn:3gpp:mcptt:user-profile:1.0"', 1)).text,
          got[0][3])
    a = ats.get(LANG)
    check("attribute_initial_value", a is not None and a.text == "en", got[0][3])
    a = ats.get(NOATTR)
    check("attribute_missing_exists_0", a is not None and a.get("exists") == "0", got[0][3])
    put_name(d, "element-news")
    got = s.wait_notifies(2)
    check("element_change_notified", len(got) >= 2, s.errors())
    if len(got) >= 2:
        root = ET.fromstring(got[1][3])
        els = root.findall(XD + "element")
        check("element_change_new_content", len(els) == 1 and len(els[0]) == 1 and
              els[0][0].text == "element-news" and els[0][0].tag == UP + "ProfileName" and
              not root.findall(XD + "attribute"), got[1][3])
    # a change elsewhere in the document: nothing to say about these nodes
    st, _, out = curl(d, "PUT", ALIAS, user="admin:admin-demo", ctype="application/xcap-el+xml",
                      data='<alias-entry index="0" xml:lang="en">Al</alias-entry>')
    check("element_other_change_made", st == 200, out[:300])
    time.sleep(2)
    check("element_other_change_not_notified", len(s.notifies()) == 2,
          [n[3][:200] for n in s.notifies()[2:]])
    st, _, out = curl(d, "PUT", PNAME, user="admin:admin-demo", ctype="application/xcap-el+xml",
                      data='<ProfileName>no-lang</ProfileName>')
    got = s.wait_notifies(3)
    if len(got) >= 3:
        root = ET.fromstring(got[2][3])
        ats = {e.get("sel"): e for e in root.findall(XD + "attribute")}
        check("attribute_removed_exists_0", LANG in ats and ats[LANG].get("exists") == "0" and
              NOATTR not in ats and len(root.findall(XD + "element")) == 1, got[2][3])
    else:
        check("attribute_removed_exists_0", False, s.errors())
    check("element_sipp_scenario_passes", s.wait() == 0, s.errors())


def subscribe_request(tp, sport, lport, tag, contact, token):
    """A SUBSCRIBE to Alice's profile 0 with the access token in the body, as
    bytes: tp is "UDP" or "TLS" (sips: URIs then); contact the UE's Contact."""
    scheme = "sips" if tp == "TLS" else "sip"
    body = ('--b1\r\nContent-Type: application/vnd.3gpp.mcptt-info+xml\r\n\r\n'
            '<mcpttinfo xmlns="urn:3gpp:ns:mcpttInfo:1.0"><mcptt-Params><mcptt-access-token '
            'type="Normal"><mcpttString>%s</mcpttString></mcptt-access-token></mcptt-Params>'
            '</mcpttinfo>\r\n--b1\r\nContent-Type: application/resource-lists+xml\r\n\r\n'
            '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>'
            '<entry uri="%s"/></list></resource-lists>\r\n--b1--\r\n' % (token, ALICE_P0))
    return ("SUBSCRIBE %s:cms@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK-%s;rport\r\n"
            "From: <%s:alice@example.org>;tag=%s\r\nTo: <%s:cms@127.0.0.1:%d>\r\n"
            "Call-ID: call-%s\r\nCSeq: 1 SUBSCRIBE\r\n"
            "Contact: <%s>\r\nMax-Forwards: 70\r\n"
            "Event: xcap-diff\r\nExpires: 300\r\n"
            "Content-Type: multipart/mixed;boundary=b1\r\nContent-Length: %d\r\n\r\n%s" %
            (scheme, sport, tp, lport, tag, scheme, tag, scheme, sport, tag, contact,
             len(body), body)).encode()


def parse_head(head):
    """(start line, {lower-case header: first value}) of a message head."""
    lines = head.split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    return lines[0], hdrs


def ok_for(h):
    """A 200 to the request whose headers are h."""
    return ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
            "CSeq: %s\r\nContent-Length: 0\r\n\r\n" %
            (h["via"], h["from"], h["to"], h["call-id"], h["cseq"])).encode()


class TlsUe:
    """A UE over SIP/TLS (SIPp in Debian has no TLS): one connection, the
    Contact on it, so mcxd's NOTIFYs come back the same way."""

    def __init__(self, port, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False            # the test certificate names localhost
        deadline = time.time() + 10
        while True:     # mcxd answers HTTP before its SIP thread is up
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except ConnectionRefusedError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.s = ctx.wrap_socket(raw)
        self.lport = self.s.getsockname()[1]
        self.buf = b""

    def recv(self, timeout=10):
        """(start line, {header: value}, body) of the next message."""
        self.s.settimeout(timeout)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        line, hdrs = parse_head(head.decode())
        n = int(hdrs.get("content-length", hdrs.get("l", "0")))
        while len(rest) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            rest += chunk
        self.buf = rest[n:]
        return line, hdrs, rest[:n].decode()


def tls(d, tport, token, cert, contact, tag):
    """contact: the UE's Contact, %d for its port ("sips:" or no transport:
    both must reach it back on its TLS connection)."""
    try:
        ue = TlsUe(tport, cert)
    except OSError as e:
        check("tls_connect_" + tag, False, repr(e) + d.stderr()[-1500:])
        return
    ue.s.sendall(subscribe_request("TLS", tport, ue.lport, "tls-" + tag, contact % ue.lport,
                                   token))
    step = "200"
    try:
        line, hdrs, _ = ue.recv()
        step = "initial NOTIFY"
        check("tls_subscribe_accepted_" + tag, line.startswith("SIP/2.0 200"), line)
        line, hdrs, body = ue.recv()
        _, docs = documents(body) if line.startswith("NOTIFY") else (None, {})
        check("tls_initial_notify_over_tls_" + tag, line.startswith("NOTIFY") and ALICE_P0 in docs and
              "TLS" in hdrs.get("via", ""), (line, hdrs.get("via")))
        ue.s.sendall(ok_for(hdrs))
        st, etag, _ = put_name(d, "over-tls-" + tag)
        step = "change NOTIFY"
        line, hdrs, body = ue.recv()
        _, ch = documents(body) if line.startswith("NOTIFY") else (None, {})
        check("tls_change_notify_" + tag, ch.get(ALICE_P0, (None, None))[1] == etag, (line, body[:300]))
        ue.s.sendall(ok_for(hdrs))
    except (OSError, EOFError, ValueError) as e:
        check("tls_exchange_" + tag, False, step + ": " + repr(e) + d.stderr()[-1200:].replace("\n", " | "))
    finally:
        ue.s.close()


class UdpUe:
    """Subscribers on one UDP socket, by hand: SUBSCRIBE with a token body,
    answer NOTIFYs with 200."""

    def __init__(self, sport, token):
        self.u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.u.bind(("127.0.0.1", 0))
        self.u.settimeout(5)
        self.lport = self.u.getsockname()[1]
        self.sport, self.token = sport, token

    def subscribe(self, tag):
        self.u.sendto(subscribe_request("UDP", self.sport, self.lport, tag,
                                        "sip:alice@127.0.0.1:%d" % self.lport, self.token),
                      ("127.0.0.1", self.sport))

    def recv(self):
        """(start line, headers, body, the datagram, its source)."""
        data, src = self.u.recvfrom(65536)
        head, _, b = data.decode().partition("\r\n\r\n")
        line, hdrs = parse_head(head)
        return line, hdrs, b, data, src

    def ok(self, h, src):
        self.u.sendto(ok_for(h), src)

    def serve(self, want, timeout):
        """Answer NOTIFYs until want have come (or timeout): their bodies."""
        got = []
        deadline = time.time() + timeout
        while len(got) < want and time.time() < deadline:
            self.u.settimeout(max(0.05, deadline - time.time()))
            try:
                line, h, b, _, src = self.recv()
            except socket.timeout:
                break
            if line.startswith("NOTIFY"):
                self.ok(h, src)
                got.append(b)
        return got


def udp_retransmission(d, sport, token):
    """Our own UDP client transaction: an unanswered NOTIFY is sent again
    with the same bytes (CSeq, Via branch) after T1, not after an answer;
    then nothing more; the next change comes with a higher CSeq."""
    ue = UdpUe(sport, token)
    recv, ok = ue.recv, ue.ok
    try:
        ue.subscribe("udp-1")
        line, h, _, _, _ = recv()
        while not line.startswith("SIP/2.0 200"):      # a 100 Trying first, if any
            line, h, _, _, _ = recv()
        line, h1, _, raw1, _ = recv()
        t1 = time.time()
        check("udp_initial_notify", line.startswith("NOTIFY"), line)
        line, h2, _, raw2, src = recv()             # not answered: it comes again
        dt = time.time() - t1
        check("udp_notify_retransmitted_same_bytes", raw2 == raw1 and 0.3 < dt < 1.5,
              (dt, h1.get("cseq"), h2.get("cseq"), h1.get("via"), h2.get("via")))
        ok(h2, src)
        ue.u.settimeout(1.5)
        try:
            extra = recv()[0]
        except socket.timeout:
            extra = None
        check("udp_answered_no_more_retransmissions", extra is None, extra)
        ue.u.settimeout(5)
        _, etag, _ = put_name(d, "udp-next")
        line, h3, b3, _, src = recv()
        check("udp_next_notify_higher_cseq", line.startswith("NOTIFY") and
              int(h3["cseq"].split()[0]) > int(h1["cseq"].split()[0]) and
              documents(b3)[1].get(ALICE_P0, (0, 0))[1] == etag, (line, h3.get("cseq"), b3))
        ok(h3, src)
    except (OSError, ValueError, KeyError) as e:
        check("udp_exchange", False, repr(e))
    finally:
        ue.u.close()


def dead_subscribers(d, sport, token):
    """sip-max-inflight 2 and 20 subscribers that stopped answering (their
    phones are off), subscribed before a live one: the live one still gets
    the change within seconds, not after the dead ones' 32 s timeouts."""
    dead, live = UdpUe(sport, token), UdpUe(sport, token)
    for i in range(20):
        dead.subscribe("dead%d" % i)
    got = dead.serve(20, 20)
    check("dead_subscribed_and_initial_notifies", len(got) == 20, len(got))
    dead.u.close()
    live.subscribe("live")
    check("live_subscribed", len(live.serve(1, 10)) == 1)
    t0 = time.time()
    _, etag, _ = put_name(d, "while-others-sleep")
    got = live.serve(1, 20)
    took = time.time() - t0
    check("live_notified_despite_dead_ones", got and documents(got[0])[1].get(
        ALICE_P0, (0, 0))[1] == etag and took < 10, (took, got[:1]))
    live.u.close()


def main():
    if not shutil.which("sipp"):
        print("sipp is not installed (Debian package sip-tester)")
        print("sip more: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="mcx-sip2-")
    jwks, tok = token_setup(tmp)
    token = tok()
    cert, keyf = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k2.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", keyf, "-out", cert],
                   capture_output=True, check=True, timeout=60)
    sipps = []
    for label, extra, tests in (
            ("a", ["--sip-poll-ms", "200"], (foreign_writer, elements, "udp")),
            ("b", ["--sip-notify-interval", "1500", "--sip-max-patch", "400"], (window,)),
            ("d", ["--sip-max-inflight", "2", "--sip-max-unanswered", "32"], ("dead",)),
            ("c", ["--sip-transports", "udp", "--sip-tls-listen", "127.0.0.1:TPORT",
                   "--sip-tls-cert", cert, "--sip-tls-key", keyf], ("tls",))):
        sport = free_udp_tcp_port()
        tport = free_udp_tcp_port()
        if label == "c":
            extra = [x.replace("TPORT", str(tport)) for x in extra]
        d = Mcxd("--jwks-file", jwks, "--sip", "yes", "--sip-listen", "127.0.0.1:%d" % sport,
                 "--log-level", os.environ.get("SIPLOG", "info"), *extra)
        try:
            d.start()
            for t in tests:
                if t == "udp":
                    udp_retransmission(d, sport, token)
                elif t == "dead":
                    dead_subscribers(d, sport, token)
                elif t == "tls":
                    tls(d, tport, token, cert, "sips:alice@127.0.0.1:%d", "sips")
                    tls(d, tport, token, cert, "sip:alice@127.0.0.1:%d", "no_transport")
                else:
                    t(d, tmp, sport, token, sipps)
        finally:
            for s in sipps:
                s.stop()
            code, err = d.stop()
            d.cleanup()
            check("clean_exit_" + label, code == 0, err[-800:])
    shutil.rmtree(tmp, ignore_errors=True)
    print("sip more: %d passed, %d failed" % (ss.passed, ss.failed))
    return 1 if ss.failed else 0


if __name__ == "__main__":
    sys.exit(main())
