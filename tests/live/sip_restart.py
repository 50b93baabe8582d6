"""SIP subscriptions that survive a restart of mcxd, and `mcx sip` to list,
show and end them, against a real mcxd with SIPp playing the UE
(tests/sip/restart_*.xml, admin_end.xml).

  restart_flow: subscribe -> initial NOTIFY -> SIGTERM mcxd -> start it on
    the same data directory -> the same dialog (Call-ID, tags) gets a NOTIFY
    with the full state and a higher CSeq -> a change made with curl arrives
    in that dialog -> a refresh works in the restored dialog -> unsubscribe
    (the stored row is gone). `mcx sip list/show` show it meanwhile.
  admin_end: `mcx sip end ID --reason rejected` while mcxd runs -> the final
    NOTIFY says terminated;reason=rejected and the row is gone; the same with
    mcxd stopped (--reason giveup): the row stays marked, the next start
    sends the final NOTIFY.
  restart_expired: a subscription that expires while mcxd is down is not
    restored (no NOTIFY, row deleted, the log counts it)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN  # noqa: E402
from sip_subscribe import (Sipp, free_udp_tcp_port, mcx, curl, documents, token_setup,  # noqa: E402
                           ALICE_UE, ALICE_P0, ALICE_P1, SERVICE)

MCX = os.path.join(BIN, "mcx")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok -", name)
    else:
        failed += 1
        print("FAIL -", name, "—", str(detail)[:800])


def rows(d):
    """The stored subscriptions, as `mcx sip list --json` gives them."""
    return json.loads(mcx("--data-dir", d.dir, "sip", "list", "--json"))


def wait_rows(d, pred, timeout=10):
    deadline = time.time() + timeout
    while True:
        got = rows(d)
        if pred(got) or time.time() > deadline:
            return got
        time.sleep(0.1)


def tag(hdr):
    m = re.search(r";\s*tag=([^;>\s]+)", hdr or "")
    return m.group(1) if m else None


def cseq(n):
    return int(n[2]["cseq"].split()[0])


def restart(d):
    code, err = d.stop()
    check("sigterm_clean_exit", code == 0, err[-600:])
    d.start()


def restart_flow(d, tmp, sport, token, sipps):
    s = Sipp(tmp, "restart_flow", sport, token)
    sipps.append(s)
    got = s.wait_notifies(1)
    check("flow_initial_notify", len(got) >= 1, s.errors())
    if not got:
        return
    ok = [r for r in s.responses() if r[1].startswith("SIP/2.0 200")]
    ours = tag(ok[0][2].get("to")) if ok else None
    first = got[0]
    _, docs = documents(first[3])
    listed = rows(d)
    check("mcx_sip_list_shows_it", len(listed) == 1 and listed[0]["id"] == ours and
          listed[0]["subscriber"] == "sip:alice@example.org" and listed[0]["resources"] == 4 and
          listed[0]["remote-target"].startswith("sip:alice@127.0.0.1:") and
          listed[0]["ending"] is None, (ours, listed))
    text = mcx("--data-dir", d.dir, "sip", "list")
    check("mcx_sip_list_text", ours in text and "sip:alice@example.org" in text, text)
    show = mcx("--data-dir", d.dir, "sip", "show", ours[:6])
    check("mcx_sip_show_by_prefix", first[2]["call-id"] in show and ours in show and
          token not in show and "not shown" in show, show)

    restart(d)
    got = s.wait_notifies(2, timeout=30)
    check("restored_notify", len(got) >= 2, (s.errors(), d.stderr()[-800:]))
    if len(got) < 2:
        return
    second = got[1]
    check("restored_same_dialog",
          second[2]["call-id"] == first[2]["call-id"] and
          tag(second[2].get("from")) == ours == tag(first[2].get("from")) and
          tag(second[2].get("to")) == tag(first[2].get("to")),
          (first[2], second[2]))
    check("restored_cseq_higher", cseq(second) > cseq(first), (cseq(first), cseq(second)))
    check("restored_active", second[2].get("subscription-state", "").startswith("active"),
          second[2].get("subscription-state"))
    _, full = documents(second[3])
    check("restored_full_state", full == docs and
          set(full) == {ALICE_UE, ALICE_P0, ALICE_P1, SERVICE}, (full, docs))
    check("restored_logged", re.search(r"stored subscriptions: 1 restored", d.stderr()),
          d.stderr()[-800:])

    st, new_etag, out = curl(d, "PUT", ALICE_P0 + "/~~/mcptt-user-profile/ProfileName",
                             user="admin:admin-demo", ctype="application/xcap-el+xml",
                             data='<ProfileName xml:lang="en">after-restart</ProfileName>')
    check("change_after_restart", st in (200, 201) and new_etag, out[:300])
    got = s.wait_notifies(3, timeout=20)
    check("change_notify_in_restored_dialog", len(got) >= 3 and
          got[2][2]["call-id"] == first[2]["call-id"] and cseq(got[2]) > cseq(second),
          s.errors())
    if len(got) >= 3:
        _, ch = documents(got[2][3])
        check("change_etags", ch == {ALICE_P0: (docs[ALICE_P0][1], new_etag)}, ch)

    rc = s.wait()
    check("restart_flow_sipp_scenario_passes", rc == 0, (rc, s.errors()))
    got = s.notifies()
    ok = [r for r in s.responses() if r[1].startswith("SIP/2.0 200") and "SUBSCRIBE" in r[2]["cseq"]]
    check("refresh_in_restored_dialog", len(ok) >= 2 and ok[1][2].get("expires") == "900" and
          len(got) == 5 and got[3][2].get("subscription-state", "").startswith("active"),
          ([r[2].get("expires") for r in ok], [n[2].get("subscription-state") for n in got]))
    check("unsubscribe_terminated", len(got) == 5 and
          got[4][2].get("subscription-state", "").startswith("terminated"),
          [n[2].get("subscription-state") for n in got])
    check("unsubscribed_row_gone", wait_rows(d, lambda r: not r) == [], rows(d))


def admin_end(d, tmp, sport, token, sipps, running):
    """mcx sip end while mcxd runs (running) or is stopped."""
    reason = "rejected" if running else "giveup"
    what = "admin_end_" + ("running" if running else "stopped")
    run = os.path.join(tmp, what)      # SIPp's trace files are named by scenario
    os.mkdir(run)
    s = Sipp(run, "admin_end", sport, token)
    sipps.append(s)
    got = s.wait_notifies(1)
    check(what + "_initial_notify", len(got) >= 1, s.errors())
    listed = rows(d)
    if not got or len(listed) != 1:
        check(what + "_listed", False, listed)
        return
    sid = listed[0]["id"]
    if not running:
        code, err = d.stop()
        check(what + "_sigterm_clean_exit", code == 0, err[-600:])
    out = mcx("--data-dir", d.dir, "sip", "end", sid, "--reason", reason)
    check(what + "_mcx_sip_end", sid in out and reason in out, out)
    marked = rows(d)
    # a running mcxd may have ended it already (it looks every sip-admin-poll-ms)
    check(what + "_row_marked", (len(marked) == 1 and marked[0]["ending"] == reason) or
          (running and not marked), marked)
    if not running:
        time.sleep(1)
        got = s.notifies()
        check(what + "_nothing_while_down", len(got) == 1, len(got))
        d.start()
    rc = s.wait(timeout=40)
    got = s.notifies()
    state = got[-1][2].get("subscription-state", "") if got else ""
    check(what + "_final_notify_reason", rc == 0 and len(got) == 2 and
          state.replace(" ", "") == "terminated;reason=" + reason, (rc, state, s.errors()))
    check(what + "_row_gone", wait_rows(d, lambda r: not r) == [], rows(d))


def routed(d, tmp, sport, token, sipps):
    """Our own dialog state routes NOTIFYs loosely (RFC 3261 12.2.1.1)."""
    s = Sipp(tmp, "notify_routed", sport, token)
    sipps.append(s)
    rc = s.wait()
    got = s.notifies()
    check("routed_sipp_scenario_passes", rc == 0, (rc, s.errors()))
    check("routed_request_uri_is_contact_route_is_record_route", len(got) == 2 and all(
        n[1] == "NOTIFY sip:alice@192.0.2.99:5999 SIP/2.0" and
        re.fullmatch(r"<sip:edge@127\.0\.0\.1:\d+;lr>, <sip:core\.invalid;lr>",
                     n[2].get("route", "")) for n in got),
          [(n[1], n[2].get("route")) for n in got])
    try:
        with open(s.msgs, encoding="utf-8", errors="replace") as f:
            heads = [c.split("\n\n")[0] for c in f.read().split("NOTIFY sip:")[1:]]
    except OSError:
        heads = []
    check("routed_notify_headers_once", len(heads) == 2 and all(
        h.count("\nMax-Forwards: 70") == 1 and h.count("\nCSeq:") == 1 and
        h.count("\nTo:") == 1 and h.count("\nFrom:") == 1 and h.count("\nCall-ID:") == 1 and
        h.count("\nRoute:") == 1 and h.count("\nContact:") == 1 for h in heads), heads)


def run_mcx(*args):
    return subprocess.run([MCX] + list(args), capture_output=True, text=True, timeout=30)


def refusals(d):
    r = run_mcx("--data-dir", d.dir, "sip", "end", "abcd1234", "--reason", "because")
    check("mcx_sip_end_bad_reason", r.returncode == 2 and "RFC 6665" in r.stderr, r.stderr)
    r = run_mcx("--data-dir", d.dir, "sip", "show", "abcd1234")
    check("mcx_sip_show_unknown", r.returncode == 1 and "no subscription" in r.stderr, r.stderr)
    r = run_mcx("sip", "--help")
    check("mcx_sip_help", r.returncode == 0 and "list" in r.stdout and "end ID" in r.stdout,
          r.stdout)


def expired(d, tmp, sport, token, sipps):
    s = Sipp(tmp, "restart_expired", sport, token)
    sipps.append(s)
    t0 = time.time()
    got = s.wait_notifies(1)
    check("expired_initial_notify", len(got) >= 1, s.errors())
    code, err = d.stop()
    check("expired_sigterm_clean_exit", code == 0, err[-600:])
    time.sleep(max(0, t0 + 5.5 - time.time()))   # Expires: 4 has passed
    d.start()
    rc = s.wait(timeout=40)
    check("expired_not_restored", rc == 0 and len(s.notifies()) == 1,
          (rc, [n[1] for n in s.notifies()], s.errors()))
    check("expired_row_deleted", rows(d) == [], rows(d))
    check("expired_logged", re.search(r"stored subscriptions: 0 restored, 0 restored to be "
                                      r"ended, 1 expired", d.stderr()), d.stderr()[-800:])


def main():
    if not shutil.which("sipp"):
        print("sipp is not installed (Debian package sip-tester)")
        print("sip_restart: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="mcx-sip-restart-")
    jwks, tok = token_setup(tmp)
    token = tok()
    sport = free_udp_tcp_port()
    d = Mcxd("--jwks-file", jwks, "--token-skew", "0", "--sip", "yes",
             "--sip-listen", "127.0.0.1:%d" % sport, "--sip-min-expires", "1",
             "--sip-admin-poll-ms", "200", "--log-level", "info")
    sipps = []
    try:
        d.start()
        restart_flow(d, tmp, sport, token, sipps)
        admin_end(d, tmp, sport, token, sipps, running=True)
        admin_end(d, tmp, sport, token, sipps, running=False)
        expired(d, tmp, sport, token, sipps)
        routed(d, tmp, sport, token, sipps)
        refusals(d)
    except Exception as e:  # a step that cannot go on is one failure, not a traceback
        check("no_unexpected_error", False, repr(e))
    finally:
        for s in sipps:
            s.stop()
        code, err = d.stop()
        if os.environ.get("KEEP"):
            print(err)
        d.cleanup()
        check("clean_exit", code == 0, err[-800:])
    shutil.rmtree(tmp, ignore_errors=True)
    print("sip_restart: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
