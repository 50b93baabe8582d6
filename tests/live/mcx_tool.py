"""The mcx tool end to end: accounts and documents on a data directory (the
same commit path as HTTP: validation, history, rollback) and on a running
mcxd over HTTP with Digest."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN  # noqa: E402

MCX = os.path.join(BIN, "mcx")
DOC = "test-app/users/sip:dave@example.org/notes"
passed = failed = 0


def mcx(data, *args, stdin=None):
    r = subprocess.run([MCX, "--data-dir", data, "--test-usage", "yes"] + list(args),
                       input=stdin, capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok", name)
    else:
        failed += 1
        print("not ok", name, "—", detail[:500])


def main():
    data = tempfile.mkdtemp(prefix="mcx-tool-")
    rc, out, err = mcx(data, "user", "add", "sip:dave@example.org", "--password", "pw1")
    check("user_add", rc == 0, err)
    rc, out, err = mcx(data, "user", "add", "sip:dave@example.org", "--password", "pw1")
    check("user_add_twice_refused", rc != 0 and "already exists" in err, err)
    rc, out, err = mcx(data, "user", "add", "not-a-xui", "--password", "x")
    check("user_add_bad_xui_refused", rc == 2 and "not a valid XUI" in err, err)
    rc, out, err = mcx(data, "user", "add", "sip:erin@example.org", "--admin", stdin=b"pw2\n")
    rc2, out, _ = mcx(data, "user", "list")
    check("user_list_roles", rc == 0 and rc2 == 0 and "sip:erin@example.org" in out and
          "admin" in out.split("sip:erin@example.org")[1].split("\n")[0], out)
    with open(os.path.join(data, "doc.xml"), "w") as f:
        f.write("<n>\n  <i>one</i>\n</n>\n")
    rc, out, err = mcx(data, "doc", "put", DOC, os.path.join(data, "doc.xml"))
    check("doc_put_create", rc == 0 and "201" in err, err)
    rc, out, err = mcx(data, "doc", "put", DOC + "/~~/n/i[2]", "-", stdin=b"<i>two</i>")
    check("doc_put_element", rc == 0 and "201" in err, err)
    rc, out, err = mcx(data, "doc", "get", DOC)
    check("doc_get_bytes", rc == 0 and out == "<n>\n  <i>one</i><i>two</i>\n</n>\n", repr(out))
    rc, out, err = mcx(data, "doc", "put", DOC, "-", stdin=b"<n><broken></n>")
    check("doc_put_invalid_shows_409_reason", rc == 1 and "409" in err and "not-well-formed" in err, err)
    rc, out, err = mcx(data, "doc", "history", DOC)
    lines = [l for l in out.splitlines() if l.startswith("v")]
    check("doc_history_two_versions", rc == 0 and len(lines) == 2 and lines[0].startswith("v2"), out)
    rc, out, err = mcx(data, "doc", "rollback", DOC, "1")
    rc2, out2, _ = mcx(data, "doc", "get", DOC)
    check("doc_rollback", rc == 0 and out2 == "<n>\n  <i>one</i>\n</n>\n", err + out2)
    rc, out, err = mcx(data, "doc", "get", DOC, "--version", "2")
    check("doc_get_old_version", rc == 0 and "<i>two</i>" in out, out)
    rc, out, err = mcx(data, "doc", "list", "test-app/")
    check("doc_list", rc == 0 and "test-app/users/sip:dave@example.org/notes" in out, out)
    rc, out, err = mcx(data, "user", "passwd", "sip:dave@example.org", "--password", "pw3")
    check("user_passwd", rc == 0, err)

    d = Mcxd(data_dir=data).start()
    try:
        base = d.url("/xcap-root")
        r = subprocess.run([MCX, "--server", base, "--user", "dave", "--password", "pw3",
                            "doc", "get", DOC], capture_output=True, timeout=30)
        check("remote_get_with_digest", r.returncode == 0 and b"<i>one</i>" in r.stdout, r.stderr.decode())
        r = subprocess.run([MCX, "--server", base, "--user", "dave", "--password", "pw1",
                            "doc", "get", DOC], capture_output=True, timeout=30)
        check("remote_get_old_password_refused", r.returncode == 1 and b"401" in r.stderr,
              r.stderr.decode())
        r = subprocess.run([MCX, "--server", base, "--user", "dave", "--password", "pw3",
                            "doc", "put", DOC + "/~~/n/@k", "-"], input=b"v", capture_output=True, timeout=30)
        check("remote_put_attribute", r.returncode == 0 and b"201" in r.stderr, r.stderr.decode())
        r = subprocess.run([MCX, "--server", base, "--user", "dave", "--password", "pw3",
                            "doc", "delete", DOC], capture_output=True, timeout=30)
        check("remote_delete", r.returncode == 0, r.stderr.decode())
    finally:
        code, err = d.stop()
        d.cleanup()
    rc, out, err = mcx(data, "user", "delete", "sip:dave@example.org")
    rc2, out2, _ = mcx(data, "user", "list")
    check("user_delete", rc == 0 and "dave" not in out2, out2)
    rc, out, err = subprocess.run([MCX, "--help"], capture_output=True).returncode, "", ""
    check("help", rc == 0)
    subprocess.run(["rm", "-rf", data])
    print("mcx tool: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
