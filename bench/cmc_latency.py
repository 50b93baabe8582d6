"""Benchmark of the configuration management client: the time from an
administrator's PUT (an element PUT of the user profile's ProfileName, over
XCAP) to the client's change callback (the "doc" event of `mcx cmc run`,
printed with its wall-clock time), median and p99 over N changes, and the
client's CPU time (user + system, from /proc) per applied patch.

Usage: MCX_BIN=bin python3 bench/cmc_latency.py [N] [udp|tcp|tls]   (default 1000 udp)
Everything on 127.0.0.1; mcxd with the demo organisation, IdMS and SIP (tls: a
self-signed certificate made with the openssl command, checked by the client)."""
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "live"))
from mcxd import Mcxd, BIN, free_port  # noqa: E402
from cmc import free_udp_tcp_port, UE, P0  # noqa: E402

MCX = os.path.join(BIN, "mcx")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tp = sys.argv[2] if len(sys.argv) > 2 else "udp"
    tmp = tempfile.mkdtemp(prefix="mcx-bench-cmc-")
    sip_port, tls_port = free_udp_tcp_port(), free_port()
    extra, sip_args = [], ["--sip-server", "127.0.0.1:%d" % sip_port, "--sip-transport", tp]
    if tp == "tls":
        cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                        key, "-out", cert], check=True, capture_output=True)
        extra = ["--sip-tls-listen", "127.0.0.1:%d" % tls_port, "--sip-tls-cert", cert,
                 "--sip-tls-key", key]
        sip_args = ["--sip-server", "127.0.0.1:%d" % tls_port, "--sip-transport", "tls",
                    "--cacert", cert]
    d = Mcxd("--idms", "yes", "--sip", "yes", "--sip-listen", "127.0.0.1:%d" % sip_port,
             "--sip-transports", "udp,tcp", "--access-log", "off", *extra).start()
    proc = None
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo",
                               "ue1-init-config.xml")) as f:
            init = f.read().replace("https://127.0.0.1:8080/idms", d.url("/idms"))
        init = init.replace("http://127.0.0.1:8080/xcap-root", d.url("/xcap-root"))
        ip = os.path.join(tmp, "init.xml")
        with open(ip, "w") as f:
            f.write(init)
        cache = os.path.join(tmp, "cache")
        subprocess.run([MCX, "cmc", "login", "-q", "--init", ip, "--instance-id", UE, "--user",
                        "sip:alice@example.org", "--password", "alice-demo", "--cache", cache],
                       check=True)
        proc = subprocess.Popen([MCX, "cmc", "run", "--cache", cache] + sip_args,
                                stdout=subprocess.PIPE)
        events, cond = [], threading.Condition()

        def reader():
            for line in proc.stdout:
                ev = json.loads(line)
                with cond:
                    events.append(ev)
                    cond.notify_all()
        threading.Thread(target=reader, daemon=True).start()
        with cond:
            cond.wait_for(lambda: any(e["event"] == "subscribed" for e in events), 20)
        conn = http.client.HTTPConnection("127.0.0.1", d.port)
        path = "/xcap-root/" + P0 + "/~~/mcptt-user-profile/ProfileName"
        hdrs = {"X-3GPP-Asserted-Identity": "sip:admin@example.org",
                "Content-Type": "application/xcap-el+xml"}
        lat, how = [], {}
        time.sleep(0.5)
        cpu0 = cpu_seconds(proc.pid)
        for i in range(n):
            body = '<ProfileName xml:lang="en">bench-%d</ProfileName>' % i
            mark = len(events)
            t0 = time.time()
            conn.request("PUT", path, body, hdrs)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError("PUT %d" % r.status)
            with cond:
                ok = cond.wait_for(lambda: any(e["event"] == "doc" and e.get("sel") == P0
                                               for e in events[mark:]), 10)
                ev = next(e for e in events[mark:] if e["event"] == "doc") if ok else None
            if not ev:
                raise RuntimeError("no callback for change %d" % i)
            lat.append((ev["t"] - t0) * 1000)
            how[ev["how"]] = how.get(ev["how"], 0) + 1
        cpu = cpu_seconds(proc.pid) - cpu0
        lat.sort()
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print("SIP over %s; changes: %d  callbacks: %s" % (tp.upper(), n, how))
        print("PUT -> callback: median %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms"
              % (statistics.median(lat), p99, statistics.mean(lat), lat[-1]))
        print("client CPU: %.1f ms total, %.0f us per applied patch"
              % (cpu * 1000, cpu * 1e6 / max(1, how.get("patched", 0))))
    finally:
        if proc:
            proc.terminate()
            proc.wait(15)
        d.stop()
        d.cleanup()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
