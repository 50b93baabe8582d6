"""The DM server on a laptop: `mcx dm offline` delivering the five MCPTT MOs
of a user to a UE in one Atomic (a scripted SyncML client in Python speaks
auth-md5), refusals (unknown DevId 403, no credentials 407 with a Chal),
the client-initiated bootstrap GET with curl, the artefacts of `mcx dm gen`,
`mcx dm push` (bootstrap message then Package 0) to a listening UE, and
`mcx dm dump`."""
import base64
import hashlib
import http.server
import os
import re
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


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "var")
        os.makedirs(data)
        d = Mcxd(data_dir=data).start()     # seeds the demo organisation
        d.stop()
        offline(tmp, data)
        artefacts(tmp)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
