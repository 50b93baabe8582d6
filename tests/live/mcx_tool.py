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


def userdb(data):
    """The user database view: pull, update through the commit path, watch."""
    rc, out, err = mcx(data, "--demo", "yes", "userdb", "pull", "sip:alice@example.org")
    # the demo is seeded by mcxd, not mcx: seed it with a daemon run
    d = Mcxd(data_dir=data).start()
    d.stop()
    rc, out, err = mcx(data, "userdb", "pull", "sip:alice@example.org")
    lines = out.strip().splitlines()
    check("userdb_pull_lists_profiles", rc == 0 and len(lines) == 2 and "index=0 pre-selected" in lines[0]
          and "index=1" in lines[1], out + err)
    rc, out, err = mcx(data, "userdb", "pull", "sip:alice@example.org", "--xml")
    check("userdb_pull_xml", rc == 0 and out.count("<mcptt-user-profile") == 2, out[:200])
    # from the start of the feed: Bob's seeded profile, then the update below
    watcher = subprocess.Popen([MCX, "--data-dir", data, "userdb", "watch", "sip:bob@example.org",
                                "--from", "0", "--count", "2"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    prof = ('<mcptt-user-profile xmlns="urn:3gpp:mcptt:user-profile:1.0" XUI-URI="sip:bob@example.org" '
            'user-profile-index="4"><Status>true</Status></mcptt-user-profile>')
    rc, out, err = mcx(data, "userdb", "update", "sip:bob@example.org", "-", stdin=prof.encode())
    check("userdb_update_creates_by_index", rc == 0 and "mcptt-user-profile-4.xml" in err, err)
    try:
        wout, werr = watcher.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        watcher.kill()
        wout, werr = watcher.communicate()
    line = wout.decode().strip().splitlines()[-1] if wout.strip() else ""
    check("userdb_watch_sees_the_change", '"mcptt_id":"sip:bob@example.org"' in line and
          "mcptt-user-profile-4.xml" in line and '"previous_etag":""' in line, line + werr.decode())
    rc, out, err = mcx(data, "userdb", "update", "sip:bob@example.org", "-",
                       stdin=prof.replace("sip:bob@", "sip:eve@").encode())
    check("userdb_update_validates", rc == 1 and "409" in err, err)


def mcxd_cli(tmp):
    mcxd = os.path.join(BIN, "mcxd")
    conf = os.path.join(tmp, "mcxd.conf")
    with open(conf, "w") as f:
        f.write("# test\nhttp-port 9191\nxcap_root \"/x\"\nmax-document-size 2m\n")
    r = subprocess.run([mcxd, "--config", conf, "--http-port", "9292", "--dump-config"],
                       capture_output=True, timeout=10)
    out = r.stdout.decode()
    check("mcxd_dump_config_file_and_cli", r.returncode == 0 and "http-port 9292" in out and
          'xcap-root "/x"' in out and "max-document-size 2097152" in out, out + r.stderr.decode())
    with open(conf, "a") as f:
        f.write("no-such-key 1\n")
    r = subprocess.run([mcxd, "--config", conf, "--check-config"], capture_output=True, timeout=10)
    check("mcxd_check_config_names_file_and_line", r.returncode == 2 and
          b"mcxd.conf:5: no-such-key: unknown configuration key" in r.stderr, r.stderr.decode())
    r = subprocess.run([mcxd, "--check-config", "--http-bind", "nowhere"], capture_output=True, timeout=10)
    check("mcxd_check_config_bad_bind", r.returncode == 2 and b"http-bind" in r.stderr, r.stderr.decode())
    r = subprocess.run([mcxd, "--http-threads", "0"], capture_output=True, timeout=10)
    check("mcxd_cli_range_error", r.returncode == 2 and b"out of range" in r.stderr, r.stderr.decode())
    r = subprocess.run([mcxd, "--help"], capture_output=True, timeout=10)
    check("mcxd_help", r.returncode == 0 and b"--check-config" in r.stdout)
    r = subprocess.run([mcxd, "--config-doc"], capture_output=True, timeout=10)
    with open("docs/config.md") as f:
        doc = f.read()
    check("docs_config_md_is_current", r.returncode == 0 and r.stdout.decode() in doc,
          "regenerate docs/config.md: sh scripts/gen-config-doc.sh")
    r = subprocess.run([mcxd, "--config-example"], capture_output=True, timeout=10)
    with open("etc/mcxd.conf") as f:
        example = f.read()
    check("etc_mcxd_conf_is_current", r.returncode == 0 and r.stdout.decode() == example,
          "regenerate etc/mcxd.conf: sh scripts/gen-config-doc.sh")
    r = subprocess.run([mcxd, "--config", "etc/mcxd.conf", "--check-config"], capture_output=True,
                       timeout=10)
    check("etc_mcxd_conf_loads", r.returncode == 0, r.stderr.decode())


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
    userdb(data)
    mcxd_cli(data)
    subprocess.run(["rm", "-rf", data])
    print("mcx tool: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
