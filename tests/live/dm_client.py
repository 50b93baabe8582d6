"""The DM client end to end against the real DM server (`mcx dm offline`) on
127.0.0.1: a tree, the four bootstrap methods (customized account, smartcard
image, server-initiated push with SEC/MAC then Package 0, client-initiated
fetch), a full offline session delivering the five MCPTT MOs, their export
back to XML byte-equal to the store's documents, and refusals (bad DevId,
bad credentials, a wrong bootstrap MAC, a forged Package 0).

  UE (mcx dm client)                       laptop (mcx dm offline)
   |-- POST /dm  Alert 1201 + DevInfo ------->|
   |<-- 212, Get/Add..., Atomic --------------|
   |-- statuses, Results ------------------->|   ... until a package with no commands
   (push)  laptop --POST /push bootstrap (SEC/MAC)--> UE;  --Package 0--> UE --> session 1200
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN, free_port  # noqa: E402

MCX = os.path.join(BIN, "mcx")
DEVID = "urn:gsma:imei:35209900-176148-0"
NETID = "001010123456789"
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("FAIL - %s: %s" % (name, str(detail)[:800]))


def mcx(*args, timeout=60):
    r = subprocess.run([MCX] + list(args), capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def client(tree, *args):
    return mcx("dm", "client", *args[:1], "--tree", tree, *args[1:])


class Bg:
    """A background mcx process, stopped with SIGTERM."""

    def __init__(self, *args):
        self.out = tempfile.TemporaryFile()
        self.p = subprocess.Popen([MCX] + list(args), stdout=self.out, stderr=subprocess.STDOUT)

    def wait_port(self, port):
        import socket
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
        try:
            rc = self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.out.seek(0)
        return rc, self.out.read().decode("utf-8", "replace")


def laptop(data, port, server_id, *extra):
    b = Bg("dm", "offline", "--mcptt-id", "sip:alice@example.org", "--ue", DEVID,
           "--ue-user", "ue", "--ue-secret", "uepw", "--data", data,
           "--listen", "127.0.0.1:%d" % port, "--addr", "http://127.0.0.1:%d/dm" % port,
           "--server-id", server_id, "--networkid", NETID, *extra)
    if not b.wait_port(port):
        print(b.stop()[1])
        raise RuntimeError("mcx dm offline did not listen")
    return b


def store_doc(data, path):
    rc, out, err = mcx("--data-dir", data, "doc", "get", path)
    return out.encode() if rc == 0 else None


def main():
    rc, out, err = mcx("dm", "client", "--help")
    if rc != 0 or "session" not in out:
        print("FAIL - mcx dm client is not available: " + (out + err)[:300])
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="mcx-dmc-")
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    Mcxd(data_dir=data).start().stop()  # seeds the demo documents
    try:
        run(tmp, data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run(tmp, data):
    ue = os.path.join(tmp, "ue")
    rc, out, err = mcx("dm", "client", "init", "--tree", ue, "--devid", "IMEI:493005100592800")
    check("init refuses a DevId that is not urn:gsma:imei/urn:uuid", rc == 1 and "DevId" in err, err)
    rc, out, err = mcx("dm", "client", "init", "--tree", ue, "--devid", DEVID)
    check("init makes a tree", rc == 0 and os.path.exists(os.path.join(ue, "tree.xml")), err)
    rc, out, err = client(ue, "show", "./DevInfo/DevId")
    check("show reads DevInfo/DevId", rc == 0 and DEVID in out, out + err)

    # customized: an account from flags, then a full offline session
    port = free_port()
    rc, out, err = client(ue, "account", "add", "--server-id", "laptop", "--addr",
                          "http://127.0.0.1:%d/dm" % port, "--user", "ue", "--secret", "uepw")
    rc2, lst, err2 = client(ue, "account", "list")
    check("account add (customized) and list", rc == 0 and rc2 == 0 and
          "laptop\tlaptop\thttp://127.0.0.1:%d/dm\tcustomized" % port in lst, out + err + lst + err2)
    srv = laptop(data, port, "laptop", "--once")
    rc, out, err = client(ue, "session")
    src, slog = srv.stop()
    check("offline session with the laptop server completes", rc == 0 and "ok" in out and
          "done" in slog and "Atomic 200" in slog, out + err + slog)
    rc, out, err = client(ue, "show", "./MCPTT/UEInitialConfiguration")
    check("the UE initial configuration MO is in the tree", rc == 0 and "OnNetwork" in out, out + err)
    exp = os.path.join(tmp, "export")
    rc, out, err = client(ue, "export", "--out", exp)
    files = sorted(os.listdir(exp)) if os.path.isdir(exp) else []
    kinds = {f.split(".")[0].rsplit("-", 1)[0] if f[-6:-4].strip("-").isdigit() else f[:-4]
             for f in files}
    check("export writes the five MCPTT documents", rc == 0 and
          {"ue-init-config", "ue-config", "user-profile", "service-config",
           "group-config"} <= kinds, files)
    want = store_doc(data, "org.3gpp.mcptt.ue-init-config/users/sip:admin@example.org/"
                           "ue-init-config.xml")
    got = open(os.path.join(exp, "ue-init-config.xml"), "rb").read() if files else b""
    check("exported UE initial configuration is byte-equal to the store's", want and got == want,
          (want or b"")[:200])
    tree = open(os.path.join(ue, "tree.xml"), "rb").read()
    check("the tree file is saved (TNDS, root '.')", tree.startswith(b"<MgmtTree") and
          b"<NodeName>.</NodeName>" in tree, tree[:200])

    # bad credentials: the server refuses, the client says so
    port = free_port()
    bad = os.path.join(tmp, "bad")
    mcx("dm", "client", "init", "--tree", bad, "--devid", DEVID)
    client(bad, "account", "add", "--server-id", "laptop", "--addr",
           "http://127.0.0.1:%d/dm" % port, "--user", "ue", "--secret", "WRONG")
    srv = laptop(data, port, "laptop")
    rc, out, err = client(bad, "session")
    srv.stop()
    check("wrong credentials: the session fails naming 401", rc == 1 and "401" in err, out + err)

    # server-initiated: bootstrap push (SEC/MAC) then Package 0 -> session 1200
    port, pport = free_port(), free_port()
    ue2 = os.path.join(tmp, "ue2")
    mcx("dm", "client", "init", "--tree", ue2, "--devid", DEVID)
    srv = laptop(data, port, "laptop2", "--once")
    lis = Bg("dm", "client", "listen", "--tree", ue2, "--push", "127.0.0.1:%d" % pport,
             "--networkid", NETID)
    lis.wait_port(pport)
    rc, out, err = mcx("dm", "push", "--to", "http://127.0.0.1:%d/push" % pport,
                       "--server-id", "laptop2", "--addr", "http://127.0.0.1:%d/dm" % port,
                       "--ue-user", "ue", "--ue-secret", "uepw", "--networkid", "999999",
                       "--srv-user", "laptop2", "--srv-secret", "srvpw")
    check("push with a wrong NETWORKID MAC is refused", rc != 0 or "403" in out + err, out + err)
    rc, out, err = mcx("dm", "push", "--to", "http://127.0.0.1:%d/push" % pport,
                       "--server-id", "laptop2", "--addr", "http://127.0.0.1:%d/dm" % port,
                       "--ue-user", "ue", "--ue-secret", "uepw", "--networkid", NETID,
                       "--srv-user", "laptop2", "--srv-secret", "srvpw", "--srv-nonce", "n0nce",
                       "--session", "4660")
    deadline = time.time() + 20
    while time.time() < deadline and srv.p.poll() is None:
        time.sleep(0.1)
    # a forged Package 0 (digest with another password) is refused
    pkgfile = os.path.join(tmp, "pkg0")
    subprocess.run([MCX, "dm", "gen", "pkg0", "--server-id", "laptop2", "--srv-secret",
                    "forged", "--srv-nonce", "n0nce", "--session", "1", "--out", pkgfile],
                   capture_output=True, timeout=10)
    pkg = open(pkgfile, "rb").read() if os.path.exists(pkgfile) else b""
    code = 0
    try:
        req = urllib.request.Request("http://127.0.0.1:%d/push" % pport, data=pkg,
                                     headers={"Content-Type": "application/vnd.syncml.notification"})
        code = urllib.request.urlopen(req, timeout=10).status
    except urllib.error.HTTPError as e:
        code = e.code
    lrc, llog = lis.stop()
    src, slog = srv.stop()
    check("listener exits 0 on SIGTERM", lrc == 0, llog)
    check("pushed bootstrap adds the account (origin push)", "bootstrap (push): account" in llog and
          "ServerID laptop2" in llog, llog)
    check("Package 0 verified with SRVCRED starts a server-initiated session",
          "Package 0 from account" in llog and "session 4660" in llog and
          "session (server-initiated)" in llog and "ok" in llog and "session 4660 done" in slog,
          llog + slog)
    check("a forged Package 0 is refused (403)", code == 403 and "wrong digest" in llog,
          (code, llog))

    # client-initiated: fetch the bootstrap message from the server's URL
    port = free_port()
    ue3 = os.path.join(tmp, "ue3")
    mcx("dm", "client", "init", "--tree", ue3, "--devid", DEVID)
    srv = laptop(data, port, "laptop3", "--once")
    url = "http://127.0.0.1:%d/dm/bootstrap?devid=%s" % (port, DEVID)
    rc, out, err = client(ue3, "bootstrap", "--url", url, "--userpin", "1234")
    check("fetched bootstrap with a key it was not made with is refused", rc == 1 and
          "NETWORKID" in err, out + err)
    rc, out, err = client(ue3, "bootstrap", "--url", url, "--networkid", NETID,
                          "--session-after-bootstrap")
    srv.stop()
    check("client-initiated bootstrap then session", rc == 0 and "bootstrap (fetch)" in out and
          "session (client-initiated)" in out and "ok" in out, out + err)

    # smartcard: read at start; accounts gone from the card are removed
    card = os.path.join(tmp, "card")
    rc, out, err = mcx("dm", "gen", "smartcard", "--server-id", "cardsrv", "--acc", "card",
                       "--addr", "http://127.0.0.1:1/dm", "--ue-user", "ue", "--ue-secret", "pw",
                       "--networkid", NETID, "--out", card)
    rc, out, err = client(ue3, "account", "list", "--smartcard", card, "--networkid", NETID)
    check("smartcard account appears (origin smartcard)", rc == 0 and
          "card\tcardsrv\thttp://127.0.0.1:1/dm\tsmartcard" in out, out + err)
    with open(card, "wb") as f:
        f.write(b"MCX-DM-CARD 1\n")
    rc, out, err = client(ue3, "account", "list", "--smartcard", card, "--networkid", NETID)
    check("account removed when gone from the card, others kept", rc == 0 and
          "cardsrv" not in out and "laptop3" in out and "removed" in out, out + err)


if __name__ == "__main__":
    sys.exit(main())
