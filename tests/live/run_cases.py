"""Data-driven protocol cases against a live mcxd, sent with curl.

Each tests/cases/*.case file holds one or more exchanges:

    # what the case checks (first comment line = its name)
    >>> METHOD /request-target           (sent as is: curl --request-target)
    Header: value                        (request headers)
    Auth: user:password                  (pseudo-header: curl --digest -u)
    As: sip:alice@example.org            (pseudo-header: X-3GPP-Asserted-Identity,
                                          the runner is a trusted proxy)
                                         (blank line, then the body, if any)
    <<< STATUS
    Header: value                        (must be present with exactly this value)
    Header: ~regex                       (must be present and match)
    !Header                              (must be absent)
    Body-Contains: text
    Body-Schema: xcap-error              (body validates against schemas/xcap-error.xsd,
                                          and ../shared/spec/ietf/xcap-error.xsd when present)
                                         (blank line, then the exact expected body, if any)

${ETAG} is the ETag (with quotes) of the previous response, ${ETAG1}... of
response n; ${CASE} is the case file's name (for unique document names).
A body whose last line ends with a backslash ends there, without a newline.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd  # noqa: E402

SPEC = os.environ.get("MCX_SPEC_DIR", os.path.join("..", "shared", "spec"))


def parse(path):
    exchanges, cur, mode, body = [], None, None, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("#") else path

    def close_body():
        if cur is not None and body is not None:
            text = "\n".join(body)
            if text.endswith("\\"):
                text = text[:-1]
            else:
                text += "\n"
            cur[mode]["body"] = text

    for line in lines:
        if line.startswith(">>> ") or line.startswith("<<< "):
            close_body()
            body = None
            if line.startswith(">>> "):
                method, _, target = line[4:].partition(" ")
                cur = {"req": {"method": method, "target": target, "headers": [], "body": None},
                       "exp": {"status": None, "headers": [], "body": None}}
                exchanges.append(cur)
                mode = "req"
            else:
                cur["exp"]["status"] = int(line[4:].split()[0])
                mode = "exp"
            continue
        if cur is None or line.startswith("#") and body is None:
            continue
        if body is not None:
            body.append(line)
            continue
        if line == "":
            body = []
            continue
        cur[mode]["headers"].append(line)
    close_body()
    # a trailing empty body (blank line at end of file) means no body
    for ex in exchanges:
        for k in ("req", "exp"):
            if ex[k]["body"] is not None and ex[k]["body"].strip() == "" and ex[k]["body"] != "":
                ex[k]["body"] = None
    return title, exchanges


def subst(s, env):
    for k, v in env.items():
        s = s.replace("${%s}" % k, v)
    return s


def send(d, req, env):
    args = ["curl", "-s", "-g", "--path-as-is", "-X", req["method"], "-H", "Expect:"]
    tmp = None
    for h in req["headers"]:
        h = subst(h, env)
        name, _, val = h.partition(":")
        val = val.strip()
        if name == "Auth":
            args += ["--digest", "-u", val]
        elif name == "As":
            args += ["-H", "X-3GPP-Asserted-Identity: " + val]
        else:
            args += ["-H", h]
    if req["body"] is not None:
        tmp = tempfile.NamedTemporaryFile(delete=False)
        tmp.write(subst(req["body"], env).encode("utf-8"))
        tmp.close()
        args += ["--data-binary", "@" + tmp.name]
    hdr = tempfile.NamedTemporaryFile(delete=False)
    hdr.close()
    args += ["-D", hdr.name, d.url(subst(req["target"], env))]
    out = subprocess.run(args[:1] + ["-o", "-"] + args[1:], capture_output=True, timeout=30).stdout
    if tmp:
        os.unlink(tmp.name)
    with open(hdr.name, "rb") as f:
        raw = f.read()
    os.unlink(hdr.name)
    blocks = [b for b in raw.split(b"\r\n\r\n") if b.startswith(b"HTTP/")]
    if not blocks:
        return None, {}, b""
    hl = blocks[-1].decode("latin-1").split("\r\n")
    status = int(hl[0].split()[1])
    headers = {}
    for l in hl[1:]:
        n, _, v = l.partition(":")
        headers.setdefault(n.strip().lower(), []).append(v.strip())
    return status, headers, out


def schema_ok(body, name):
    paths = [os.path.join("schemas", name + ".xsd")]
    ietf = os.path.join(SPEC, "ietf", name + ".xsd")
    if os.path.exists(ietf):
        paths.append(ietf)
    for p in paths:
        with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as t:
            t.write(body)
        r = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", p, t.name],
                           capture_output=True)
        os.unlink(t.name)
        if r.returncode != 0:
            return "does not validate against %s: %s" % (p, r.stderr.decode()[:300])
    return None


def check(ex, status, headers, body, env):
    exp = ex["exp"]
    errs = []
    if status != exp["status"]:
        errs.append("status %s, expected %s" % (status, exp["status"]))
    for h in exp["headers"]:
        if h.startswith("!"):
            if h[1:].strip().lower() in headers:
                errs.append("header %s present" % h[1:])
            continue
        name, _, val = subst(h, env).partition(":")
        val = val.strip()
        if name == "Body-Contains":
            if val.encode() not in body:
                errs.append("body lacks %r" % val)
            continue
        if name == "Body-Schema":
            e = schema_ok(body, val)
            if e:
                errs.append(e)
            continue
        got = headers.get(name.lower())
        if got is None:
            errs.append("header %s missing" % name)
        elif val.startswith("~"):
            if not any(re.search(val[1:], g) for g in got):
                errs.append("header %s = %r does not match %s" % (name, got, val[1:]))
        elif val not in got:
            errs.append("header %s = %r, expected %r" % (name, got, val))
    if exp["body"] is not None and body != subst(exp["body"], env).encode("utf-8"):
        errs.append("body %r, expected %r" % (body[:400], exp["body"][:400]))
    return errs


def main():
    cases = sorted(os.path.join(sys.argv[1], f) for f in os.listdir(sys.argv[1])
                   if f.endswith(".case"))
    only = sys.argv[2] if len(sys.argv) > 2 else None
    d = Mcxd().start()
    passed = failed = 0
    try:
        for path in cases:
            if only and only not in path:
                continue
            title, exchanges = parse(path)
            env = {"CASE": os.path.basename(path)[:-5]}
            errs = []
            for n, ex in enumerate(exchanges, 1):
                status, headers, body = send(d, ex["req"], env)
                e = check(ex, status, headers, body, env)
                if e:
                    errs.append("exchange %d (%s %s): %s" % (n, ex["req"]["method"],
                                ex["req"]["target"][:80], "; ".join(e)))
                    break
                if "etag" in headers:
                    env["ETAG"] = headers["etag"][0]
                    env["ETAG%d" % n] = headers["etag"][0]
            name = os.path.basename(path)
            if errs:
                failed += 1
                print("not ok %s — %s\n     %s" % (name, title, "\n     ".join(errs)))
            else:
                passed += 1
                print("ok %s — %s" % (name, title))
    finally:
        code, err = d.stop()
        if code != 0:
            failed += 1
            print("not ok mcxd exit — code %s on SIGTERM\n%s" % (code, err[-3000:]))
        else:
            passed += 1
            print("ok mcxd exit — clean shutdown on SIGTERM")
        d.cleanup()
    print("cases: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
