"""The README's promise, as a newcomer would live it: start mcxd with the
demo organisation, take the curl commands it prints, and run them: Alice
reads her profile, Bob is refused it, the administrator changes it, Alice
sees the change; every other printed command succeeds."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import BIN, free_port  # noqa: E402

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok", name)
    else:
        failed += 1
        print("not ok", name, "—", str(detail)[:500])


def commands(banner):
    cmds, cur = [], ""
    for line in banner.splitlines():
        s = line.strip()
        if s.startswith("curl ") or cur:
            cur += s[:-1] + " " if s.endswith("\\") else s
            if not s.endswith("\\"):
                cmds.append(cur)
                cur = ""
    return cmds


def main():
    import tempfile
    data = tempfile.mkdtemp(prefix="mcx-newcomer-")
    port, sport = free_port(), free_port()
    out = open(os.path.join(data, "out"), "w+")
    p = subprocess.Popen([os.path.join(BIN, "mcxd"), "--data-dir", data, "--demo", "yes",
                          "--idms", "yes", "--idms-audit-log", "off", "--sip", "yes",
                          "--sip-listen", "127.0.0.1:%d" % sport,
                          "--http-port", str(port), "--access-log", "off"],
                         stdout=out, stderr=subprocess.DEVNULL)
    banner = ""
    for _ in range(100):
        time.sleep(0.1)
        out.seek(0)
        banner = out.read()
        if "bin/mcx cmc run" in banner:
            break
    try:
        cmds = commands(banner)
        check("banner_prints_commands", len(cmds) >= 9, banner)
        run = [subprocess.run(["bash", "-c", c + " -s"], capture_output=True, timeout=20) for c in cmds[:4]]
        check("alice_reads_her_profile", b'XUI-URI="sip:alice@example.org"' in run[0].stdout, run[0].stdout[:200])
        check("bob_is_refused", run[1].stdout.strip().endswith(b"403"), run[1].stdout[-100:])
        check("admin_updates", run[2].returncode == 0, run[2])
        check("alice_sees_the_change", b"night-shift" in run[3].stdout, run[3].stdout)
        token_flow = [c for c in cmds if "Bearer $TOKEN" in c]
        cmds = [c for c in cmds if c not in token_flow and "/idms/" not in c]
        lines = banner.splitlines()
        start = next(i for i, l in enumerate(lines) if l.strip().startswith("V=$(openssl"))
        end = next(i for i, l in enumerate(lines) if "Bearer $TOKEN" in l)
        script = "\n".join(l.strip() for l in lines[start:end + 1])
        r = subprocess.run(["bash", "-c", "set -e\n" + script], capture_output=True, timeout=60)
        check("printed_idms_token_flow_reads_the_profile",
              b'XUI-URI="sip:alice@example.org"' in r.stdout, (r.stdout[:300], r.stderr[-300:]))
        for c in cmds[4:]:
            r = subprocess.run(["bash", "-c", c + " -s -f -o /dev/null -w '%{http_code}'"],
                               capture_output=True, timeout=20)
            check("printed_command_works " + c.split("'")[1].split("/xcap-root/")[-1][:60],
                  r.stdout == b"200", (c, r.stdout))
        # the client walk-through: sync as printed (from the repository root), then run
        # until it is subscribed
        cmc = [" ".join(l.strip().rstrip("\\").strip() for l in lines[i:i + 2])
               for i, l in enumerate(lines) if l.strip().startswith("bin/mcx cmc sync")]
        runl = [l.strip() for l in lines if l.strip().startswith("bin/mcx cmc run")]
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        env = dict(os.environ, MCX_PASSWORD="alice-demo")
        fix = lambda c: c.replace("bin/mcx", os.path.join(BIN, "mcx"), 1).replace(
            "var/cmc", os.path.join(data, "cmc"))
        check("banner_prints_the_client", len(cmc) == 1 and len(runl) == 1, banner[-800:])
        if cmc and runl:
            r = subprocess.run(["bash", "-c", fix(cmc[0])], cwd=root, env=env,
                               capture_output=True, timeout=60)
            check("printed_cmc_sync_works", r.returncode == 0 and b"fetched" in r.stderr,
                  r.stderr[-400:])
            q = subprocess.Popen(["bash", "-c", "exec " + fix(runl[0])], cwd=root, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            seen = b""
            deadline = time.time() + 15
            while time.time() < deadline and b'"subscribed"' not in seen:
                line = q.stdout.readline()
                if not line:
                    break
                seen += line
            q.terminate()
            q.wait(10)
            check("printed_cmc_run_subscribes", b'"subscribed"' in seen, seen[-400:])
    finally:
        p.terminate()
        p.wait(10)
        out.close()
        subprocess.run(["rm", "-rf", data])
    print("newcomer: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
