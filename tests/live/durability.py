"""Durability: kill -9 mcxd during a PUT load, restart it, and check that
every acknowledged write is present and intact.

Each writer thread creates its own documents (every create acknowledged
with 201 must exist after the restart with exactly the bytes put) and keeps
replacing one document of its own (after the restart it must hold the last
acknowledged version or the one that was in flight when the kill came)."""
import http.client
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd  # noqa: E402

WRITERS = 6
SECONDS = 2.0
AS = {"X-3GPP-Asserted-Identity": "sip:admin@example.org",
      "Content-Type": "application/xml"}


def writer(port, t, stop, acked, state):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    while not stop.is_set():
        i += 1
        body = "<w t='%d' i='%d'>%s</w>\n" % (t, i, "x" * (i % 50))
        path = "/xcap-root/test-app/users/sip:admin@example.org/dur/%d/new-%d" % (t, i)
        rpath = "/xcap-root/test-app/users/sip:admin@example.org/dur/%d/rolling" % t
        try:
            conn.request("PUT", path, body, AS)
            r = conn.getresponse()
            r.read()
            if r.status == 201:
                acked.append((path, body))
            state[t]["inflight"] = body
            conn.request("PUT", rpath, body, AS)
            r = conn.getresponse()
            r.read()
            if r.status in (200, 201):
                state[t]["last"] = body
        except (OSError, http.client.HTTPException):
            return


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=AS)
    r = conn.getresponse()
    return r.status, r.read().decode()


def main():
    d = Mcxd().start()
    stop = threading.Event()
    acked = []
    state = [{"last": None, "inflight": None} for _ in range(WRITERS)]
    threads = [threading.Thread(target=writer, args=(d.port, t, stop, acked, state))
               for t in range(WRITERS)]
    for th in threads:
        th.start()
    time.sleep(SECONDS)
    d.kill9()
    stop.set()
    for th in threads:
        th.join()
    n_acked = len(acked)
    d2 = Mcxd(data_dir=d.dir)
    try:
        d2.start()
    except RuntimeError as e:
        print("not ok durability_restart — %s" % e)
        print("durability: 0 passed, 1 failed")
        return 1
    passed = failed = 0
    lost = [p for p, body in acked if get(d2.port, p) != (200, body)]
    if n_acked < 50:
        print("not ok durability_load — only %d acknowledged writes before the kill" % n_acked)
        failed += 1
    elif lost:
        print("not ok durability_creates — %d of %d acknowledged creates lost or changed, e.g. %s"
              % (len(lost), n_acked, lost[:3]))
        failed += 1
    else:
        print("ok durability_creates — all %d acknowledged creates intact after kill -9" % n_acked)
        passed += 1
    bad = []
    for t in range(WRITERS):
        if state[t]["last"] is None:
            continue
        st, body = get(d2.port, "/xcap-root/test-app/users/sip:admin@example.org/dur/%d/rolling" % t)
        if st != 200 or body not in (state[t]["last"], state[t]["inflight"]):
            bad.append((t, st, body[:60], state[t]["last"][:60]))
    if bad:
        print("not ok durability_replaces — %s" % bad)
        failed += 1
    else:
        print("ok durability_replaces — every writer's last acknowledged version (or the in-flight one) survived")
        passed += 1
    code, err = d2.stop()
    if code != 0:
        print("not ok durability_restart_exit — %s %s" % (code, err[-2000:]))
        failed += 1
    else:
        passed += 1
        print("ok durability_restart_exit — restarted daemon stopped cleanly")
    d2.cleanup()
    d.cleanup()
    print("durability: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
