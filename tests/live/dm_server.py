"""The DM server: `mcx dm offline` on a laptop delivering the five MCPTT MOs
of a user to a UE in one Atomic (a scripted SyncML client in Python speaks
auth-md5), refusals (unknown DevId 403, no credentials 407 with a Chal),
the client-initiated bootstrap GET with curl, the artefacts of `mcx dm gen`,
`mcx dm push` (bootstrap message then Package 0) to a listening UE, and
`mcx dm dump`. The DM role of mcxd (--dm yes): routes, statuses and
content types, sessions from the store (the master UE initial configuration
of the administrator's directory for a UE without a user). End to end with
the real client (`mcx dm client`): offline session leaving the five MOs in
the UE tree, exported byte-equal to the store's documents; server-initiated
(push + Package 0 to `mcx dm client listen`) and client-initiated bootstrap
against mcxd; server delegation (DM 1.2 ACLs): the operator's session hands
the MCPTT roots to the service provider, whose commands outside them get
425, and the operator can no longer change them. Server authentication
(`mcx dm client session --require-server-auth`): the laptop server's and
mcxd's Cred (SRVCRED from the command line, the devices file or
dm-srv-secret) accepted, a UE's challenge answered on its new nonce, a
wrong server secret refused by the UE with nothing applied."""
import base64
import hashlib
import http.server
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN, free_port  # noqa: E402

MCX = os.path.join(BIN, "mcx")
UE = "urn:gsma:imei:35209900-176148-1"
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok -", name)
    else:
        failed += 1
        print("FAIL -", name, "—", str(detail)[:600])


def md5b64(b):
    return base64.b64encode(hashlib.md5(b).digest())


def cred(user, pwd, nonce):
    return md5b64(md5b64(f"{user}:{pwd}".encode()) + b":" + nonce).decode()


def pkg1(devid, sid, msgid, user=None, pwd=None, nonce=b""):
    c = ""
    if user:
        c = ('<Cred><Meta><Format xmlns="syncml:metinf">b64</Format><Type xmlns="syncml:metinf">'
             f'syncml:auth-md5</Type></Meta><Data>{cred(user, pwd, nonce)}</Data></Cred>')
    return (f'<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>'
            f'<SessionID>{sid}</SessionID><MsgID>{msgid}</MsgID><Target><LocURI>http://x/dm</LocURI></Target>'
            f'<Source><LocURI>{devid}</LocURI><LocName>{user or ""}</LocName></Source>{c}'
            '<Meta><MaxMsgSize xmlns="syncml:metinf">1048576</MaxMsgSize></Meta></SyncHdr><SyncBody>'
            '<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>'
            '<Replace><CmdID>2</CmdID><Item><Source><LocURI>./DevInfo/DevId</LocURI></Source>'
            f'<Data>{devid}</Data></Item></Replace><Final/></SyncBody></SyncML>')


def post(url, body):
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/vnd.syncml.dm+xml"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode()


def hdr_status(x):
    m = re.search(r"<Status><CmdID>\d+</CmdID><MsgRef>\d+</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>"
                  r".*?<Data>(\d+)</Data>", x)
    return int(m.group(1)) if m else 0


def next_nonce(x):
    m = re.search(r"<NextNonce[^>]*>([^<]+)</NextNonce>", x)
    return base64.b64decode(m.group(1)) if m else None


def answer(x, devid, sid, msgid, tree):
    """Statuses (and Results) for a server message; executes Add/Delete."""
    out, cid = [], 1
    ref = re.search(r"<MsgID>(\d+)</MsgID>", x).group(1)
    out.append(f"<Status><CmdID>{cid}</CmdID><MsgRef>{ref}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>"
               "<Data>200</Data></Status>")
    body = x[x.index("<SyncBody>"):]
    for m in re.finditer(r"<(Add|Delete|Replace|Get|Atomic)><CmdID>(\d+)</CmdID>(.*?)(?=<(?:Add|Delete|Replace|"
                         r"Get|Atomic|Status|Final)[ >/]|</SyncBody>)", body, re.S):
        cmd, cmdid, rest = m.groups()
        code = 200
        t = re.search(r"<Target><LocURI>([^<]*)</LocURI>", rest)
        uri = t.group(1) if t else ""
        if cmd == "Get":
            code = 404 if uri not in tree else 200
        elif cmd == "Add":
            d = re.search(r"<Data>(.*?)</Data>", rest, re.S)
            tree[uri] = d.group(1) if d else None
        elif cmd == "Delete":
            for k in [k for k in tree if k == uri or k.startswith(uri + "/")]:
                del tree[k]
        cid += 1
        out.append(f"<Status><CmdID>{cid}</CmdID><MsgRef>{ref}</MsgRef><CmdRef>{cmdid}</CmdRef>"
                   f"<Cmd>{cmd}</Cmd><Data>{code}</Data></Status>")
    more = "" if "<Final/>" in x else "<Alert><CmdID>99</CmdID><Data>1222</Data></Alert>"
    fin = "<Final/>" if "<Final/>" in x else ""
    return (f'<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>'
            f'<SessionID>{sid}</SessionID><MsgID>{msgid}</MsgID><Target><LocURI>http://x/dm</LocURI></Target>'
            f'<Source><LocURI>{devid}</LocURI></Source></SyncHdr><SyncBody>{"".join(out)}{more}{fin}'
            '</SyncBody></SyncML>')


def mcx(*args, timeout=30):
    r = subprocess.run([MCX] + list(args), capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr.decode()


def offline(tmp, data):
    port = free_port()
    srv = subprocess.Popen([MCX, "dm", "offline", "--mcptt-id", "sip:alice@example.org", "--ue", UE,
                            "--data", data, "--listen", f"127.0.0.1:{port}", "--ue-user", "ue1",
                            "--ue-secret", "s3cret", "--once", "--networkid", "001010123456789"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/dm"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/bootstrap?devid=nobody", timeout=1)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)
        st, x = post(url, pkg1("urn:gsma:imei:00000000-000000-0", "1", 1, "ue1", "s3cret"))
        check("dm_unknown_devid_403", st == 200 and hdr_status(x) == 403, x)
        st, x = post(url, pkg1(UE, "1", 1))
        nonce = next_nonce(x)
        check("dm_no_credentials_407_with_chal", hdr_status(x) == 407 and nonce, x)
        st, x = post(url, pkg1(UE, "1", 2, "ue1", "wrong", nonce))
        nonce2 = next_nonce(x)
        check("dm_bad_credentials_401_new_nonce", hdr_status(x) == 401 and nonce2 and nonce2 != nonce, x)
        st, x = post(url, pkg1(UE, "1", 3, "ue1", "s3cret", nonce2))
        check("dm_md5_accepted_212", hdr_status(x) == 212 and "<Get>" in x, x)
        tree, msgid, atomics, rounds = {}, 4, 0, 0
        while rounds < 50:
            rounds += 1
            reply = answer(x, UE, "1", msgid, tree)
            msgid += 1
            st, x = post(url, reply)
            atomics += x.count("<Atomic>")
            cmds = re.findall(r"<(Add|Delete|Replace|Get|Atomic|Alert)>", x)
            if "<Final/>" in x and not cmds:
                break
        kinds = {k.split("/")[2] for k in tree if k.startswith("./MCPTT/")}
        check("dm_offline_one_atomic_five_mos", atomics == 1 and kinds == {
            "UEInitialConfiguration", "UEConfiguration", "UserProfile", "ServiceConfiguration",
            "GroupConfiguration"}, (atomics, kinds))
        check("dm_offline_two_profiles_two_groups",
              "./MCPTT/UserProfile/2" in tree and "./MCPTT/GroupConfiguration/2" in tree
              and "./MCPTT/GroupConfiguration/3" not in tree, sorted(k for k in tree if k.count("/") == 3))
        r = subprocess.run(["curl", "-s", "-D", "-", "-o", os.path.join(tmp, "boot.wbxml"),
                            url + "/bootstrap?devid=" + UE], capture_output=True, timeout=10)
        h = r.stdout.decode()
        check("dm_bootstrap_get_sec_mac", "200" in h.split("\n")[0] and
              re.search(r"application/vnd.syncml.dm\+wbxml; SEC=NETWORKID; MAC=[0-9A-F]{40}", h), h)
        rc, out, err = mcx("dm", "dump", os.path.join(tmp, "boot.wbxml"))
        check("dm_dump_decodes_bootstrap", rc == 0 and b"<MgmtTree" in out and b"ServerID" in out, err)
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        check("dm_offline_exits_0_after_session", srv.returncode == 0,
              srv.stderr.read().decode() if srv.returncode is not None else "still running")
    finally:
        if srv.poll() is None:
            srv.terminate()
            srv.wait(timeout=10)


class Push(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        Push.got.append((self.headers.get("Content-Type"), self.rfile.read(n)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


def artefacts(tmp):
    acc = ["--server-id", "mcx-laptop", "--addr", "http://127.0.0.1:8443/dm", "--ue-user", "ue1",
           "--ue-secret", "s3cret", "--srv-secret", "srvsecret", "--srv-nonce", "srvnonce"]
    for what, needle in (("dmacc", b"<MgmtTree"), ("w7", b'name="APPID" value="w7"'),
                         ("smartcard", b"MCX-DM-CARD 1\n"), ("pkg0", b"mcx-laptop")):
        f = os.path.join(tmp, what)
        rc, out, err = mcx("dm", "gen", what, *acc, "--out", f)
        data = open(f, "rb").read() if os.path.exists(f) else b""
        check(f"dm_gen_{what}", rc == 0 and needle in data, err)
    rc, out, err = mcx("dm", "gen", "dmacc", "--server-id", "x")
    check("dm_gen_says_what_is_missing", rc != 0 and "--addr" in err, err)
    port = free_port()
    httpd = http.server.HTTPServer(("127.0.0.1", port), Push)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    try:
        rc, out, err = mcx("dm", "push", "--to", f"http://127.0.0.1:{port}/push", "--userpin", "1234", *acc)
        types = [g[0] for g in Push.got]
        check("dm_push_bootstrap_then_pkg0", rc == 0 and len(types) == 2 and
              "SEC=USERPIN; MAC=" in types[0] and types[1] == "application/vnd.syncml.notification"
              and Push.got[1][1][24:].startswith(b"mcx-laptop") if len(Push.got) > 1 else False,
              (rc, types, err))
    finally:
        httpd.shutdown()
    rc, out, err = mcx("dm", "--help")
    check("dm_help", rc == 0 and b"offline --mcptt-id" in out, err)


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Bg:
    """A background command, its output in files; stop() ends it."""

    def __init__(self, tmp, name, args):
        self.out, self.err = os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".err")
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            self.p = subprocess.Popen(args, stdout=o, stderr=e)

    def wait(self, timeout=30):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def text(self):
        return "".join(open(f, encoding="utf-8", errors="replace").read() for f in (self.out, self.err))


def client(tree, cmd, *args, timeout=60):
    """mcx dm client CMD --tree TREE ... (DM-CLIENT's command line)."""
    argv = cmd.split() + ["--tree", tree] + list(args)
    rc, out, err = mcx("dm", "client", *argv, timeout=timeout)
    return rc, out.decode("utf-8", "replace") + err


def delivered(log, devid):
    """{MO instance URI: store path} from the server's 'DEVID: PATH -> URI' lines."""
    return {uri: path for d, path, uri in re.findall(r"dm: (\S+): (\S+) -> (\./MCPTT/\S+)", log)
            if d == devid}


def exported_equal(tree, outdir, data, sent):
    """Export the tree's MOs; each file byte-equal to the store document sent there."""
    rc, out = client(tree, "export", "--out", outdir)
    files = dict((uri, f) for f, uri in re.findall(r"^(\S+) <- (\./MCPTT/\S+)$", out, re.M))
    bad = []
    for uri, path in sent.items():
        f = files.get(uri)
        r = subprocess.run([MCX, "--data-dir", data, "doc", "get", path], capture_output=True, timeout=30)
        if not f or r.returncode or open(f, "rb").read() != r.stdout:
            bad.append((uri, path, f))
    kinds = {u.split("/")[2] for u in files}
    return rc == 0 and not bad and set(files) == set(sent), kinds, (rc, bad, out[-600:])


FIVE = {"UEInitialConfiguration", "UEConfiguration", "UserProfile", "ServiceConfiguration",
        "GroupConfiguration"}


def e2e_offline(tmp, data):
    """The laptop server and DM-CLIENT's client: one session, one Atomic, five MOs."""
    ue = "urn:gsma:imei:35209900-176148-7"
    tree = os.path.join(tmp, "ue-e2e")
    port = free_port()
    rc, out = client(tree, "init", "--devid", ue)
    rc2, out2 = client(tree, "account add", "--server-id", "mcx-dm", "--addr",
                       f"http://127.0.0.1:{port}/dm", "--user", "ue7", "--secret", "s7",
                       "--srv-user", "mcx-dm", "--srv-secret", "unused")
    check("e2e_client_tree_and_account", rc == 0 and rc2 == 0, out + out2)
    srv = Bg(tmp, "e2e-offline", [MCX, "dm", "offline", "--mcptt-id", "sip:alice@example.org", "--ue", ue,
                                  "--data", data, "--listen", f"127.0.0.1:{port}", "--ue-user", "ue7",
                                  "--ue-secret", "s7", "--once"])
    try:
        wait_port(port)
        rc, out = client(tree, "session", "--max-msg-size", "1048576")
        src = srv.wait()
        log = srv.text()
        check("e2e_offline_one_session_one_atomic",
              rc == 0 and src == 0 and len(re.findall(r"session \S+ done", log)) == 1 and
              "Atomic 200" in log and "one Atomic per subtree" not in log and "0 denied" in out,
              (rc, src, out, log[-800:]))
        sent = delivered(log, ue)
        ok, kinds, why = exported_equal(tree, os.path.join(tmp, "e2e-export"), data, sent)
        check("e2e_offline_five_mos_in_ue_tree", kinds == FIVE and len(sent) == 7, (kinds, sent))
        check("e2e_export_byte_equal_to_store", ok, why)
    finally:
        srv.stop()


def srv_auth_offline(tmp, data):
    """`mcx dm offline` authenticating itself to a UE that requires it."""
    ue = "urn:gsma:imei:35209900-176148-8"
    tree = os.path.join(tmp, "ue-srvauth")
    port = free_port()
    client(tree, "init", "--devid", ue)
    rc, out = client(tree, "account add", "--server-id", "mcx-dm", "--addr", f"http://127.0.0.1:{port}/dm",
                     "--user", "ue8", "--secret", "s8", "--srv-user", "laptop", "--srv-secret", "srv8",
                     "--srv-nonce", base64.b64encode(b"n0").decode())
    check("srvauth_client_account_with_srvcred", rc == 0, out)
    base = [MCX, "dm", "offline", "--mcptt-id", "sip:alice@example.org", "--ue", ue, "--data", data,
            "--listen", f"127.0.0.1:{port}", "--ue-user", "ue8", "--ue-secret", "s8", "--once",
            "--srv-user", "laptop", "--srv-nonce", "n0"]

    def run(name, secret):
        srv = Bg(tmp, name, base + ["--srv-secret", secret])
        try:
            wait_port(port)
            rc, out = client(tree, "session", "--require-server-auth", "--max-msg-size", "1048576")
            src = srv.wait(timeout=10) if rc == 0 else None
        finally:
            srv.stop()
        return rc, out, src, srv.text()

    # the right SRVCRED on the nonce the UE holds: accepted at once
    rc, out, src, log = run("srvauth-good", "srv8")
    sent = delivered(log, ue)
    check("srvauth_offline_require_server_auth_ok",
          rc == 0 and src == 0 and "server authenticated" in out and
          "accepted the server's credentials (0 challenge(s))" in log and
          {u.split("/")[2] for u in sent} == FIVE, (rc, src, out, log[-800:]))
    before = show(tree, "./MCPTT")
    # a wrong server secret: the UE refuses the server, nothing is applied
    rc, out, src, log = run("srvauth-wrong", "not-srv8")
    check("srvauth_offline_wrong_server_secret_refused_by_ue",
          rc != 0 and "refused (401): the UE refused the server's credentials" in log and
          "Atomic" not in log and show(tree, "./MCPTT") == before, (rc, out, log[-800:]))
    # the UE's challenges gave it a new SRVCRED nonce: the right server is
    # challenged once, answers on that nonce and is accepted
    rc, out, src, log = run("srvauth-again", "srv8")
    check("srvauth_offline_challenge_answered_on_new_nonce",
          rc == 0 and src == 0 and "server authenticated" in out and
          "accepted the server's credentials (1 challenge(s))" in log, (rc, src, out, log[-800:]))


def mcxd_role(tmp):
    """mcxd --dm yes: routes and refusals, sessions from the store, bootstrap both ways."""
    ua, um, ub, up, us, uw = ("urn:gsma:imei:35209900-176148-%d" % i for i in (1, 5, 4, 3, 6, 9))
    devices = os.path.join(tmp, "devices")
    with open(devices, "w") as f:
        f.write("# DEVID USER SECRET [NONCE_B64|-] [MCPTT_ID]\n"
                f"{ua} ue1 s3cret - sip:alice@example.org\n{um} ue5 pw5\n"
                f"{ub} ue4 pw4 - sip:bob@example.org\n{up} ue3 pw3 - sip:alice@example.org\n"
                "# DEVID USER SECRET NONCE MCPTT_ID|- SRV_USER SRV_SECRET [SRV_NONCE_B64]\n"
                f"{us} ue6 pw6 - - mcxd-dev devsec6 bjA=\n{uw} ue9 pw9 - - mcxd-dev other\n")
    d = Mcxd("--dm", "yes", "--dm-devices", devices, "--dm-networkid", "001010123456789",
             "--dm-srv-secret", "srvsec", "--log-level", "info").start()
    url = d.url("/dm")
    data = d.dir
    try:
        st, x = post(url, pkg1("urn:gsma:imei:00000000-000000-0", "1", 1, "ue1", "s3cret"))
        check("mcxd_dm_unknown_devid_403", st == 200 and hdr_status(x) == 403, x)
        st, x = post(url, pkg1(ua, "7", 1))
        nonce = next_nonce(x)
        st, x = post(url, pkg1(ua, "7", 2, "ue1", "s3cret", nonce))
        check("mcxd_dm_md5_212_and_resp_uri", hdr_status(x) == 212 and f"<RespURI>{url}?s=" in x, x)
        resp = re.search(r"<RespURI>([^<]+)</RespURI>", x)
        if resp:
            st, y = post(resp.group(1).replace("&amp;", "&"),
                         answer(x, "urn:gsma:imei:35209900-176148-9", "7", 3, {}))
            check("mcxd_dm_wrong_devid_in_session_403", hdr_status(y) == 403, y)
        tree, msgid, rounds = {}, 3, 0
        while rounds < 50 and resp:
            rounds += 1
            st, x = post(resp.group(1), answer(x, ua, "7", msgid, tree))
            msgid += 1
            if "<Final/>" in x and not re.findall(r"<(Add|Delete|Replace|Get|Atomic|Alert)>", x):
                break
        kinds = {k.split("/")[2] for k in tree if k.startswith("./MCPTT/")}
        check("mcxd_dm_session_five_mos", kinds == FIVE, kinds)
        # HTTP routes
        codes = {}
        for name, args in (("bootstrap_unknown_404", [url + "/bootstrap?devid=urn:uuid:nobody"]),
                           ("bootstrap_post_405", ["-X", "POST", "--data", "x", url + "/bootstrap?devid=" + ua]),
                           ("get_405", [url]),
                           ("text_plain_415", ["-H", "Content-Type: text/plain", "--data", "x", url]),
                           ("garbage_400", ["-H", "Content-Type: application/vnd.syncml.dm+xml",
                                            "--data", "<SyncML>", url]),
                           ("other_path_404", [url + "/other"])):
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"] + args,
                               capture_output=True, timeout=10)
            codes[name] = r.stdout.decode()
        check("mcxd_dm_http_statuses", codes == {"bootstrap_unknown_404": "404", "bootstrap_post_405": "405",
                                                  "get_405": "405", "text_plain_415": "415",
                                                  "garbage_400": "400", "other_path_404": "404"}, codes)
        r = subprocess.run(["curl", "-s", "-D", "-", "-o", os.path.join(tmp, "mcxd-boot.wbxml"),
                            url + "/bootstrap?devid=" + ua.replace(":", "%3A")], capture_output=True, timeout=10)
        h = r.stdout.decode()
        check("mcxd_dm_bootstrap_get_sec_mac", "200" in h.split("\n")[0] and
              re.search(r"application/vnd.syncml.dm\+wbxml; SEC=NETWORKID; MAC=[0-9A-F]{40}", h), h)
        # a UE without a user: the master UE initial configuration only
        tm = os.path.join(tmp, "ue-master")
        client(tm, "init", "--devid", um)
        client(tm, "account add", "--server-id", "mcxd", "--addr", url, "--user", "ue5", "--secret", "pw5",
               "--srv-user", "mcxd", "--srv-secret", "srvsec")
        rc, out = client(tm, "session")
        sent = delivered(d.stderr(), um)
        ok, kinds, why = exported_equal(tm, os.path.join(tmp, "exp-master"), data, sent)
        check("mcxd_dm_master_ue_init_config_only",
              rc == 0 and kinds == {"UEInitialConfiguration"} and list(sent.values()) ==
              ["org.3gpp.mcptt.ue-init-config/users/sip:admin@example.org/ue-init-config.xml"] and ok,
              (rc, out, sent, why))
        # server authentication: dm-srv-secret for a device without its own SRVCRED
        rc, out = client(tm, "session", "--require-server-auth")
        check("mcxd_dm_require_server_auth_dm_srv_secret", rc == 0 and "server authenticated" in out, out)
        # ... and the devices file's SRVCRED columns
        for dev, user, pw in ((us, "ue6", "pw6"), (uw, "ue9", "pw9")):
            tt = os.path.join(tmp, "ue-" + user)
            client(tt, "init", "--devid", dev)
            client(tt, "account add", "--server-id", "mcxd", "--addr", url, "--user", user, "--secret", pw,
                   "--srv-user", "mcxd-dev", "--srv-secret", "devsec6", "--srv-nonce", "bjA=")
        rc, out = client(os.path.join(tmp, "ue-ue6"), "session", "--require-server-auth")
        sent = delivered(d.stderr(), us)
        check("mcxd_dm_require_server_auth_devices_srvcred",
              rc == 0 and "server authenticated" in out and
              {u.split("/")[2] for u in sent} == {"UEInitialConfiguration"}, (rc, out, sent))
        rc, out = client(os.path.join(tmp, "ue-ue9"), "session", "--require-server-auth")
        check("mcxd_dm_wrong_server_secret_refused_by_ue",
              rc != 0 and re.search(rf"{re.escape(uw)} session \S+ refused \(401\): the UE refused the "
                                    r"server's credentials", d.stderr()) and
              "no node" in show(os.path.join(tmp, "ue-ue9"), "./MCPTT"),
              (rc, out, d.stderr()[-600:]))
        # client-initiated bootstrap: GET from mcxd, then a session with it (WBXML)
        tb = os.path.join(tmp, "ue-boot")
        client(tb, "init", "--devid", ub)
        rc, out = client(tb, "bootstrap", "--url", url + "/bootstrap?devid=" + ub, "--networkid",
                         "001010123456789", "--session-after-bootstrap", "--wbxml")
        sent = delivered(d.stderr(), ub)
        ok, kinds, why = exported_equal(tb, os.path.join(tmp, "exp-boot"), data, sent)
        check("mcxd_dm_client_initiated_bootstrap_then_session",
              rc == 0 and "bootstrap (fetch)" in out and kinds == FIVE and ok, (rc, out, why))
        # server-initiated: bootstrap message + Package 0 pushed to the UE, which
        # then opens the session with mcxd
        tp = os.path.join(tmp, "ue-push")
        client(tp, "init", "--devid", up)
        pport = free_port()
        lst = Bg(tmp, "listen", [MCX, "dm", "client", "listen", "--tree", tp, "--push",
                                 f"127.0.0.1:{pport}", "--networkid", "001010123456789", "--count", "2"])
        try:
            wait_port(pport)
            rc, pout, perr = mcx("dm", "push", "--to", f"http://127.0.0.1:{pport}/push", "--ue", up,
                                 "--server-id", "mcxd", "--addr", url, "--ue-user", "ue3", "--ue-secret", "pw3",
                                 "--srv-secret", "srvsec", "--srv-nonce", "n0", "--networkid", "001010123456789")
            lrc = lst.wait()
            lout = lst.text()
        finally:
            lst.stop()
        sent = delivered(d.stderr(), up)
        ok, kinds, why = exported_equal(tp, os.path.join(tmp, "exp-push"), data, sent)
        check("mcxd_dm_server_initiated_push_then_session",
              rc == 0 and lrc == 0 and "Package 0 from account" in lout and
              "session (server-initiated)" in lout and kinds == FIVE and ok, (rc, perr, lout, why))
    finally:
        code, err = d.stop()
        d.cleanup()
    check("mcxd_dm_exits_0", code == 0, err[-800:])


def show(tree, uri):
    rc, out = client(tree, "show", uri)
    return out


def delegation(tmp, data):
    """Operator op hands the MCPTT MOs to service provider sp (DM 1.2 ACLs)."""
    ue = "urn:gsma:imei:35209900-176148-2"
    tree = os.path.join(tmp, "ue-deleg")
    op_port, sp_port = free_port(), free_port()
    client(tree, "init", "--devid", ue)
    client(tree, "account add", "--name", "op", "--server-id", "op", "--addr",
           f"http://127.0.0.1:{op_port}/dm", "--user", "ue-op", "--secret", "op-s",
           "--srv-user", "op", "--srv-secret", "op-srv")
    srv = Bg(tmp, "delegate", [MCX, "dm", "delegate", "--ue", ue, "--ue-user", "ue-op", "--ue-secret", "op-s",
                               "--server-id", "op", "--listen", f"127.0.0.1:{op_port}", "--once",
                               "--to-server-id", "sp", "--to-addr", f"http://127.0.0.1:{sp_port}/dm",
                               "--to-user", "ue-sp", "--to-secret", "sp-s", "--to-srv-secret", "sp-srv"])
    try:
        wait_port(op_port)
        rc, out = client(tree, "session", "--account", "op")
        src = srv.wait()
    finally:
        srv.stop()
    rc2, accs = client(tree, "account list")
    check("deleg_op_session_adds_sp_account", rc == 0 and src == 0 and
          re.search(rf"^sp\tsp\thttp://127.0.0.1:{sp_port}/dm", accs, re.M), (out, srv.text(), accs))
    tr = show(tree, "./MCPTT")
    roots = re.findall(r"^  (\w+)  \[node ACL (\S+)\]", tr, re.M)
    check("deleg_acls_on_mcptt_roots",
          len(roots) == 5 and all(a == "Add=sp&Delete=sp&Get=op+sp&Replace=sp" for _, a in roots) and
          "MCPTT  [node ACL Add=op&Delete=op&Get=op+sp&Replace=op]" in tr, tr)
    # the service provider's session: its MOs land; a Get outside them is refused
    srv = Bg(tmp, "sp", [MCX, "dm", "offline", "--server-id", "sp", "--mcptt-id", "sip:alice@example.org",
                         "--ue", ue, "--ue-user", "ue-sp", "--ue-secret", "sp-s", "--data", data,
                         "--listen", f"127.0.0.1:{sp_port}", "--once", "--get", "./DMAcc/op"])
    try:
        wait_port(sp_port)
        rc, out = client(tree, "session", "--account", "sp", "--max-msg-size", "1048576")
        src = srv.wait()
    finally:
        srv.stop()
    log = srv.text()
    before = show(tree, "./MCPTT")
    check("deleg_sp_manages_the_mcptt_mos", rc == 0 and "Atomic 200" in log and
          all(k in before for k in FIVE) and "./MCPTT/UserProfile/2" in str(delivered(log, ue)), (out, log[-600:]))
    check("deleg_sp_command_outside_gets_425", src == 1 and "status 425 on ./DMAcc/op" in log and
          "1 denied" in out, (src, out, log[-600:]))
    # the operator can no longer change the MCPTT MOs: its Atomic fails, the tree stays
    srv = Bg(tmp, "op2", [MCX, "dm", "offline", "--server-id", "op", "--mcptt-id", "sip:alice@example.org",
                          "--ue", ue, "--ue-user", "ue-op", "--ue-secret", "op-s", "--data", data,
                          "--listen", f"127.0.0.1:{op_port}", "--once"])
    try:
        wait_port(op_port)
        rc, out = client(tree, "session", "--account", "op", "--max-msg-size", "1048576")
        src = srv.wait()
    finally:
        srv.stop()
    log = srv.text()
    check("deleg_op_refused_425_on_mcptt_mos", src == 1 and re.search(r"status 425 on \./MCPTT/", log)
          and "Atomic 200" not in log and show(tree, "./MCPTT") == before, (out, log[-600:]))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "var")
        os.makedirs(data)
        d = Mcxd(data_dir=data).start()     # seeds the demo organisation
        d.stop()
        offline(tmp, data)
        artefacts(tmp)
        e2e_offline(tmp, data)
        srv_auth_offline(tmp, data)
        delegation(tmp, data)
        mcxd_role(tmp)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
