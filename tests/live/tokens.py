"""Access tokens at the CMS/GMS over HTTP (TS 33.180 / RFC 6750): a token
signed with the identity management server's key (ES256 and RS256) is
accepted for the right scope and refused otherwise; the forged-token suite
(wrong key, alg none, HMAC with the public key, expired, not yet valid,
wrong issuer and audience, no mcptt_id, truncated, oversized, tampered)."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN  # noqa: E402

MCX = os.path.join(BIN, "mcx")
PROFILE = "/xcap-root/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"
GROUP = "/xcap-root/org.openmobilealliance.groups/global/byGroupID/sip:group-fire@example.org"
CMS = "3gpp:mcptt:config_management_server"
GMS = "3gpp:mcptt:group_management_server"
passed = failed = 0


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mcx(*args):
    r = subprocess.run([MCX] + list(args), capture_output=True, timeout=30)
    if r.returncode:
        raise RuntimeError(r.stderr.decode())
    return r.stdout.decode().strip()


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok", name)
    else:
        failed += 1
        print("not ok", name, "—", str(detail)[:400])


def get(port, path, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    return r.status, [v for k, v in r.getheaders() if k.lower() == "www-authenticate"]


def jwks_url(tmp):
    """Keys fetched from the IdMS's JWKS URL and refreshed: rotation without restart."""
    import http.server
    import threading
    a, b = os.path.join(tmp, "a.pem"), os.path.join(tmp, "b.pem")
    mcx("token", "keygen", "--out", a)
    mcx("token", "keygen", "--out", b)
    served = {"body": mcx("token", "jwks", "--key", a, "--kid", "ka").encode()}

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(served["body"])))
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass
    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/jwks" % srv.server_address[1]
    d = Mcxd("--jwks-url", url, "--jwks-refresh", "1").start()
    try:
        ta = mcx("token", "sign", "--key", a, "--kid", "ka", "--mcptt-id", "sip:alice@example.org",
                 "--scope", CMS)
        tb = mcx("token", "sign", "--key", b, "--kid", "kb", "--mcptt-id", "sip:alice@example.org",
                 "--scope", CMS)
        st, _ = get(d.port, PROFILE, ta)
        check("jwks_url_key_accepted", st == 200, st)
        st, _ = get(d.port, PROFILE, tb)
        check("jwks_url_unknown_key_refused", st == 401, st)
        served["body"] = mcx("token", "jwks", "--key", b, "--kid", "kb").encode()
        ok = False
        for _ in range(40):
            time.sleep(0.25)
            if get(d.port, PROFILE, tb)[0] == 200:
                ok = True
                break
        check("jwks_url_rotation_picked_up_without_restart", ok)
        st, _ = get(d.port, PROFILE, ta)
        check("jwks_url_removed_key_refused", st == 401, st)
    finally:
        code, err = d.stop()
        d.cleanup()
        srv.shutdown()
        check("jwks_url_clean_exit", code == 0, err[-500:])


def main():
    tmp = tempfile.mkdtemp(prefix="mcx-tok-")
    ec, rsa, other = (os.path.join(tmp, n) for n in ("ec.pem", "rsa.pem", "other.pem"))
    mcx("token", "keygen", "--out", ec)
    mcx("token", "keygen", "--alg", "RS256", "--out", rsa)
    mcx("token", "keygen", "--out", other)
    jwks = os.path.join(tmp, "jwks.json")
    with open(jwks, "w") as f:
        f.write(mcx("token", "jwks", "--key", ec, "--kid", "ec1", "--key", rsa, "--kid", "rsa1"))
    iss, aud = "https://idms.example.org", "https://cms.example.org"

    def tok(key=ec, kid="ec1", who="sip:alice@example.org", scope="openid " + CMS, *extra):
        return mcx("token", "sign", "--key", key, "--kid", kid, "--mcptt-id", who, "--scope", scope,
                   "--iss", iss, "--aud", aud, *extra)

    d = Mcxd("--jwks-file", jwks, "--token-issuer", iss, "--token-audience", aud).start()
    try:
        p = d.port
        st, _ = get(p, PROFILE, tok())
        check("es256_token_accepted", st == 200, st)
        st, _ = get(p, PROFILE, tok(rsa, "rsa1"))
        check("rs256_token_accepted", st == 200, st)
        st, _ = get(p, PROFILE, tok(who="sip:bob@example.org"))
        check("token_identity_is_mcptt_id_other_user_refused", st == 403, st)
        st, wa = get(p, PROFILE, tok(scope="openid " + GMS))
        check("wrong_scope_403_insufficient_scope", st == 403 and any('error="insufficient_scope"' in w for w in wa), (st, wa))
        st, _ = get(p, GROUP, tok(scope="openid " + GMS))
        check("group_scope_accepted_at_gms", st == 200, st)
        st, _ = get(p, GROUP, tok(scope="openid " + CMS))
        check("cms_scope_refused_at_gms", st == 403, st)
        st, _ = get(p, PROFILE, tok(scope="openid 3gpp:mc:ptt_config_management_service"))
        check("rel14_scope_name_accepted", st == 200, st)

        def refused(name, token):
            s, w = get(p, PROFILE, token)
            check(name, s == 401 and any('error="invalid_token"' in x for x in w), (s, w))
        refused("wrong_key_same_kid", tok(other, "ec1"))
        good = tok()
        h, pl, sig = good.split(".")
        none_hdr = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "ec1"}).encode())
        refused("alg_none", none_hdr + "." + pl + ".")
        with open(jwks) as f:
            pub = json.load(f)["keys"][1]
        hs_hdr = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa1"}).encode())
        for secret in (json.dumps(pub).encode(), pub["n"].encode()):
            mac = hmac.new(secret, (hs_hdr + "." + pl).encode(), hashlib.sha256).digest()
            refused("hmac_with_public_key_confusion", hs_hdr + "." + pl + "." + b64(mac))
        refused("expired", tok(ec, "ec1", "sip:alice@example.org", "openid " + CMS, "--ttl", "-3600"))
        refused("not_yet_valid", tok(ec, "ec1", "sip:alice@example.org", "openid " + CMS, "--nbf-in", "3600"))
        refused("wrong_issuer", mcx("token", "sign", "--key", ec, "--kid", "ec1", "--mcptt-id",
                                    "sip:alice@example.org", "--scope", CMS, "--iss", "https://evil", "--aud", aud))
        refused("wrong_audience", mcx("token", "sign", "--key", ec, "--kid", "ec1", "--mcptt-id",
                                      "sip:alice@example.org", "--scope", CMS, "--iss", iss, "--aud", "https://other"))
        claims = json.loads(base64.urlsafe_b64decode(pl + "=" * (-len(pl) % 4)))
        nomid = mcx("token", "sign", "--key", ec, "--kid", "ec1", "--mcptt-id", "", "--scope", CMS,
                    "--iss", iss, "--aud", aud)
        refused("missing_mcptt_id", nomid)
        refused("truncated", good[:len(good) // 2])
        refused("tampered_payload", h + "." + pl[:-2] + ("A" if pl[-2] != "A" else "B") + pl[-1] + "." + sig)
        refused("unknown_kid", tok(ec, "nokid"))
        claims["mcptt_id"] = "sip:alice@example.org"
        claims["pad"] = "x" * 9000
        refused("oversized", h + "." + b64(json.dumps(claims).encode()) + "." + sig)
        st, _ = get(p, PROFILE, "not.a.jwt.at.all")
        check("garbage_bearer_401", st == 401, st)
    finally:
        code, err = d.stop()
        d.cleanup()
        check("clean_exit", code == 0, err[-500:])
    jwks_url(tmp)
    subprocess.run(["rm", "-rf", tmp])
    print("tokens: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
