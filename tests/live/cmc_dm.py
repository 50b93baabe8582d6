"""The configuration management client started from a DM-delivered initial
configuration, and its SIP subscription over TLS and TCP, against a live
mcxd (IdMS + CMS/GMS + SIP notifier on UDP/TCP and TLS) on 127.0.0.1.

  laptop: mcx dm offline (the DM server, on mcxd's data directory)
      ^  OMA DM session: the five MCPTT MOs, DevInfo read
  UE:  mcx dm client (tree in ue/)  -- ./MCPTT/UEInitialConfiguration/1, ./DevInfo/DevId
       mcx cmc sync|run --dm-tree ue/ ---HTTP---> mcxd (IdMS login, XCAP GETs)
                                      ---SIP/TLS (or TCP)--> mcxd notifier
                                         OPTIONS (the connection), SUBSCRIBE,
                                         NOTIFYs back on that connection

Checks: the DM session delivers the MO; sync --dm-tree logs in and fetches
everything, the instance ID being the tree's DevId and the kept initial
configuration the store's document (MO -> XML byte-equal); run over TLS
(the server's certificate checked against --cacert) gets an
administrator's change as a patch, cached bytes = the server's; a client
given another CA refuses the server and says why; mcxd restarted -> the
client sees its TLS connection lost, subscribes anew, a later change
arrives; the same over TCP; refusals (a tree without the MO, --dm-tree
with --init)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN, free_port  # noqa: E402
from cmc import (Client, cache_file, check, doc_ev, free_udp_tcp_port, xcap,  # noqa: E402
                 P0, SERVICE, GROUP)
import cmc  # noqa: E402

MCX = os.path.join(BIN, "mcx")
DEVID = "urn:gsma:imei:35209900-176148-0"
UECONF = "org.3gpp.mcptt.ue-config/users/%s/%s" % (DEVID, DEVID)
MASTER = "org.3gpp.mcptt.ue-init-config/users/sip:admin@example.org/ue-init-config.xml"


def mcx(*args, stdin=None, timeout=60):
    r = subprocess.run([MCX] + list(args), capture_output=True, timeout=timeout, input=stdin)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def set_name(d, name):
    st, _, body = xcap(d, "PUT", P0 + "/~~/mcptt-user-profile/ProfileName",
                       ('<ProfileName xml:lang="en">%s</ProfileName>' % name).encode(),
                       "application/xcap-el+xml")
    return xcap(d, "GET", P0)[1] if st == 200 else None


def certs(tmp):
    """A self-signed server certificate for 127.0.0.1, and an unrelated one."""
    out = []
    for name, subj, san in (("srv", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                            ("other", "/CN=other", "subjectAltName=IP:127.0.0.1")):
        cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + "-key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", subj,
                            "-addext", san, "-keyout", key, "-out", cert], capture_output=True)
        if r.returncode:
            raise RuntimeError("openssl: " + r.stderr.decode())
        out += [cert, key]
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="mcx-live-cmcdm-")
    cert, key, other, _ = certs(tmp)
    sip_port, tls_port = free_udp_tcp_port(), free_port()
    common = ("--idms", "yes", "--sip", "yes", "--sip-listen", "127.0.0.1:%d" % sip_port,
              "--sip-transports", "udp,tcp", "--sip-tls-listen", "127.0.0.1:%d" % tls_port,
              "--sip-tls-cert", cert, "--sip-tls-key", key)
    d = Mcxd(*common).start()
    client = None
    try:
        ue = os.path.join(tmp, "ue")
        cache = os.path.join(tmp, "cache")
        over = ["--xcap-root", d.url("/xcap-root"), "--idms", d.url("/idms")]

        # the UE's DM client gets its MOs from the laptop DM server
        dm_port = free_port()
        rc, out, err = mcx("dm", "client", "init", "--tree", ue, "--devid", DEVID)
        rc2, out2, err2 = mcx("dm", "client", "account", "add", "--tree", ue, "--server-id",
                              "laptop", "--addr", "http://127.0.0.1:%d/dm" % dm_port,
                              "--user", "ue", "--secret", "uepw")
        rc3, _, err3 = mcx("cmc", "sync", "--dm-tree", ue, "--cache", cache, "--user",
                           "sip:alice@example.org", "--password", "alice-demo", *over)
        check("a tree without the MO is refused, saying what to do",
              rc == 0 and rc2 == 0 and rc3 == 1 and "UEInitialConfiguration" in err3 and
              "DM session" in err3, out + err + out2 + err2 + err3)
        srv = subprocess.Popen(
            [MCX, "dm", "offline", "--mcptt-id", "sip:alice@example.org", "--ue", DEVID,
             "--ue-user", "ue", "--ue-secret", "uepw", "--data", d.dir, "--listen",
             "127.0.0.1:%d" % dm_port, "--addr", "http://127.0.0.1:%d/dm" % dm_port,
             "--server-id", "laptop", "--once"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", dm_port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        rc, out, err = mcx("dm", "client", "session", "--tree", ue)
        try:
            slog = srv.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            srv.kill()
            slog = srv.communicate()[0].decode()
        rc2, out2, _ = mcx("dm", "client", "show", "--tree", ue, "./MCPTT/UEInitialConfiguration")
        check("the DM session delivers the UE initial configuration MO",
              rc == 0 and "Atomic 200" in slog and rc2 == 0 and "OnNetwork" in out2,
              out + err + slog[-500:] + out2)

        xml = os.path.join(tmp, "init.xml")
        shutil.copy(os.path.join(os.path.dirname(__file__), "..", "..", "demo",
                                 "ue-init-config.xml"), xml)
        rc, _, err = mcx("cmc", "sync", "--dm-tree", ue, "--init", xml, "--cache", cache, *over)
        check("--dm-tree with --init is refused", rc == 1 and "not both" in err, err)

        # sync: configured from the tree; logs in and fetches everything
        rc, _, err = mcx("cmc", "sync", "--dm-tree", ue, "--cache", cache, "--user",
                         "sip:alice@example.org", *over, stdin=b"alice-demo\n")
        with open(os.path.join(cache, "state.json")) as f:
            state = json.load(f)
        docs = (P0, cmc.P1, UECONF, SERVICE, GROUP)
        same = all(os.path.exists(os.path.join(cache, "docs")) and
                   cache_file(cache, s) == xcap(d, "GET", s)[2] for s in docs)
        check("sync --dm-tree logs in and fetches the profiles, UE configuration, service "
              "configuration and group", rc == 0 and "logged in" in err and same and
              err.count("fetched") == 5, err)
        check("... the instance ID is the tree's DevId",
              state.get("instance_id") == DEVID and "users/%s/" % DEVID in err, state)
        with open(os.path.join(cache, "init.xml"), "rb") as f:
            kept = f.read()
        check("... the initial configuration kept is the store's document (MO -> XML)",
              kept == xcap(d, "GET", MASTER)[2], kept[:200])
        rc, out, err = mcx("cmc", "show", "--cache", cache)
        try:
            show = json.loads(out)
        except ValueError:
            show = {}
        check("show: the DM-delivered timers and the pre-selected profile",
              rc == 0 and show.get("timers", {}).get("T100") == 2 and
              show.get("profile", {}).get("sel") == P0, out[:400] + err)

        # run over TLS, the server's certificate checked against --cacert
        run = ["--dm-tree", ue, "--cache", cache, *over, "--backoff-min", "200",
               "--backoff-max", "1000"]
        client = Client(run + ["--sip-server", "127.0.0.1:%d" % tls_port, "--sip-transport",
                               "tls", "--cacert", cert])
        ok = client.wait(lambda e: e.get("event") == "subscribed")
        check("run --dm-tree subscribes over TLS (certificate verified)", ok is not None,
              client.events[-5:])
        m = client.mark()
        etag = set_name(d, "over-tls")
        ev = client.wait(doc_ev(P0, "patched"), m)
        check("an administrator's change arrives over TLS as a patch; bytes equal the server's",
              ev is not None and ev.get("etag") == etag and
              cache_file(cache, P0) == xcap(d, "GET", P0)[2], client.events[m:])

        # mcxd restarts: the TLS connection is gone; the client subscribes anew
        m = client.mark()
        code, _ = d.stop()
        d2 = Mcxd(*common, data_dir=d.dir)
        d2.port = d.port
        d2.start()
        d = d2
        lost = client.wait(lambda e: e.get("event") == "retry" and
                           "connection" in e.get("detail", "") and "lost" in e.get("detail", ""),
                           m, 10)
        ev = None
        deadline = time.time() + 20
        while ev is None and time.time() < deadline:
            m2 = client.mark()
            etag = set_name(d, "after-restart-%d" % int(time.time() * 1000))
            ev = client.wait(lambda e: e.get("event") == "doc" and e.get("sel") == P0 and
                             e.get("etag") == etag, m2, 4)
        check("after mcxd restarts, the lost TLS connection is noticed and a change arrives",
              code == 0 and lost is not None and ev is not None, client.events[m:][-8:])
        rc, err = client.stop()
        client = None
        check("run over TLS stops on SIGTERM", rc == 0, err[-400:])

        # another CA: the server is refused, and the client says why
        client = Client(run + ["--sip-server", "127.0.0.1:%d" % tls_port, "--sip-transport",
                               "tls", "--cacert", other])
        ev = client.wait(lambda e: e.get("event") in ("retry", "subscribed"))
        time.sleep(0.5)
        check("a server certificate the CA did not sign is refused, with the reason",
              ev is not None and ev.get("event") == "retry" and
              "certificate" in ev.get("detail", "") and
              not any(e.get("event") == "subscribed" for e in client.events),
              client.events[-4:])
        client.stop()
        client = None

        # TCP
        client = Client(run + ["--sip-server", "127.0.0.1:%d" % sip_port,
                               "--sip-transport", "tcp"])
        ok = client.wait(lambda e: e.get("event") == "subscribed")
        m = client.mark()
        etag = set_name(d, "over-tcp")
        ev = client.wait(doc_ev(P0, "patched"), m)
        check("over TCP: subscribed, and a change arrives as a patch",
              ok is not None and ev is not None and ev.get("etag") == etag, client.events[-6:])
        rc, err = client.stop()
        client = None
        check("run over TCP stops on SIGTERM", rc == 0, err[-400:])
    finally:
        if client:
            client.stop()
        code, err = d.stop()
        check("mcxd exits 0", code == 0, err[-500:])
        d.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (cmc.passed, cmc.failed))
    return 1 if cmc.failed else 0


if __name__ == "__main__":
    sys.exit(main())
