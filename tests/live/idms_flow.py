"""The identity management server's authorization code + PKCE flow driven
with curl, as the README promises: discovery and JWKS; the login page (form,
labels, hidden OAuth parameters, no external resources, no script); the form
POST (302 with the code and the same state); the token exchange (JWT claims
of the access and id tokens, ES256 signatures checked with openssl); the
tokens at the CMS/GMS (right scope 200, wrong scope 403 insufficient_scope);
userinfo; refresh-token rotation and reuse detection; revocation (also of
the access tokens at the CMS); the refusals (wrong password, unknown user,
PKCE missing/plain/wrong verifier, replayed code, expired code, redirect URI
mismatch, unknown client, unsupported response and grant types); scopes
limited to what the account allows; lockout after repeated failures
(--idms-max-failures 3); the audit log (logins, grants, refusals, no
secrets, nor in the access log or stderr); a second daemon with RS256 keys,
1 s codes, 10 s access tokens and configured audiences; key rotation with
`mcx idms rotate-keys` between two runs on the same data directory: issued
tokens keep working, new ones carry the new kid."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, BIN  # noqa: E402
from idmslib import (CLIENT, CMS, GMS, PROFILE, GROUP, IDMS_ARGS, Page, auth_params,  # noqa: E402
                     jwt_parts, pkce, query_of)

MCX = os.path.join(BIN, "mcx")
REDIRECT = "http://127.0.0.1:8123/callback"
passed = failed = skipped = 0
SECRETS = set()          # every password, code, verifier and token used: never in a log
TMP = tempfile.mkdtemp(prefix="mcx-idms-flow-")


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok", name)
    else:
        failed += 1
        print("not ok", name, "—", " ".join(str(detail).split())[:600])
    return cond


def skip(name, why):
    global skipped
    skipped += 1
    print("skip", name, "—", why)


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.text = body.decode("utf-8", "replace")

    def h(self, name):
        return self.headers.get(name.lower(), "")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def __repr__(self):
        return "%d %r %s" % (self.status, {k: v for k, v in self.headers.items()
                                           if k in ("location", "content-type", "www-authenticate")},
                             self.text[:160])


def curl(url, form=None, headers=(), method=None):
    """One request with curl (no redirects followed). form: [(name, value)]
    sent as application/x-www-form-urlencoded."""
    hf, bf = os.path.join(TMP, "h"), os.path.join(TMP, "b")
    args = ["curl", "-s", "-S", "--max-time", "20", "-o", bf, "-D", hf, "-w", "%{http_code}"]
    for k, v in form or ():
        args += ["--data-urlencode", "%s=%s" % (k, v)]
    for h in headers:
        args += ["-H", h]
    if method:
        args += ["-X", method]
    r = subprocess.run(args + [url], capture_output=True, timeout=30)
    if r.returncode:
        return Resp(0, {}, r.stderr)
    hdrs = {}
    with open(hf, "rb") as f:
        block = f.read().decode("latin-1").replace("\r\n", "\n").strip().split("\n\n")[-1]
    for line in block.split("\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            k = k.strip().lower()
            hdrs[k] = (hdrs[k] + ", " if k in hdrs else "") + v.strip()
    with open(bf, "rb") as f:
        body = f.read()
    return Resp(int(r.stdout or 0), hdrs, body)


class Idms:
    """The IdMS of one running mcxd, seen through curl."""

    def __init__(self, d):
        self.d = d
        self.iss = d.url("/idms")

    def get_authorize(self, params):
        return curl(self.iss + "/authorize?" + urllib.parse.urlencode(params))

    def post_authorize(self, params, user, password):
        SECRETS.add(password)
        return curl(self.iss + "/authorize", list(params) + [("username", user), ("password", password)])

    def login(self, user="alice", password=None, scope="openid " + CMS + " " + GMS,
              redirect=REDIRECT, nonce="n-0S6_WzA2Mj"):
        """Direct form POST (what a headless client does). (verifier, state, response)."""
        v, c = pkce()
        SECRETS.add(v)
        state = "st " + os.urandom(6).hex() + "&x=/?"
        r = self.post_authorize(auth_params(c, state, nonce, redirect, scope), user,
                                password or user + "-demo")
        code = query_of(r.h("location")).get("code")
        if code:
            SECRETS.add(code)
        return v, state, r

    def token(self, form):
        r = curl(self.iss + "/token", form)
        for k in ("access_token", "id_token", "refresh_token"):
            if r.json().get(k):
                SECRETS.add(r.json()[k])
        return r

    def exchange(self, code, verifier, redirect=REDIRECT, client=CLIENT):
        return self.token([("grant_type", "authorization_code"), ("code", code or ""),
                           ("redirect_uri", redirect), ("client_id", client),
                           ("code_verifier", verifier)])

    def refresh(self, rt, client=CLIENT):
        return self.token([("grant_type", "refresh_token"), ("refresh_token", rt), ("client_id", client)])

    def tokens(self, user="alice", scope="openid " + CMS + " " + GMS, password=None):
        """Log in and exchange: the token response's JSON ({} on failure)."""
        v, _, r = self.login(user, password=password, scope=scope)
        code = query_of(r.h("location")).get("code")
        if not code:
            return {}
        return self.exchange(code, v).json()

    def cms(self, token, path=PROFILE):
        return curl(self.d.url(path), headers=["Authorization: Bearer " + token])


def oauth_error(r, status, error):
    """RFC 6749 §5.2: status, JSON body with error, no-store."""
    return (r.status == status and r.json().get("error") == error
            and "no-store" in r.h("cache-control"))


def es256_verifies(token, jwks):
    """Check an ES256 JWS against the JWKS with the openssl command (the CMS
    is not the only judge): P-256 point to SubjectPublicKeyInfo, r||s to DER."""
    import base64
    try:
        h, p, sig = token.split(".")
        kid = jwt_parts(token)[0].get("kid")
        k = [x for x in jwks if x.get("kid") == kid][0]
        un = lambda t: base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))  # noqa: E731
        spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + \
            un(k["x"]) + un(k["y"])
        rs = un(sig)
        if len(rs) != 64 or k.get("crv") != "P-256":
            return False

        def der_int(b):
            b = b.lstrip(b"\0") or b"\0"
            if b[0] & 0x80:
                b = b"\0" + b
            return b"\x02" + bytes([len(b)]) + b
        body = der_int(rs[:32]) + der_int(rs[32:])
        files = {n: os.path.join(TMP, n) for n in ("pub.pem", "sig.der", "data")}
        with open(files["pub.pem"], "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n"
                    % base64.b64encode(spki).decode())
        with open(files["sig.der"], "wb") as f:
            f.write(b"\x30" + bytes([len(body)]) + body)
        with open(files["data"], "wb") as f:
            f.write((h + "." + p).encode())
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", files["pub.pem"], "-signature",
                            files["sig.der"], files["data"]], capture_output=True, timeout=20)
        return r.returncode == 0 and b"Verified OK" in r.stdout
    except (ValueError, IndexError, KeyError):
        return False


def discovery(i):
    r = curl(i.iss + "/.well-known/openid-configuration")
    doc = r.json()
    check("discovery_200_json", r.status == 200 and "json" in r.h("content-type"), r)
    check("discovery_issuer_is_the_base_url", doc.get("issuer") == i.iss, doc.get("issuer"))
    want = {"authorization_endpoint": "/authorize", "token_endpoint": "/token", "jwks_uri": "/jwks",
            "userinfo_endpoint": "/userinfo", "revocation_endpoint": "/revoke"}
    check("discovery_endpoints", all(doc.get(k) == i.iss + v for k, v in want.items()),
          {k: doc.get(k) for k in want})
    check("discovery_pkce_s256_only", doc.get("code_challenge_methods_supported") == ["S256"],
          doc.get("code_challenge_methods_supported"))
    check("discovery_code_flow", "code" in doc.get("response_types_supported", [])
          and "authorization_code" in doc.get("grant_types_supported", ["authorization_code"]), doc)
    check("discovery_mcptt_scopes", {"openid", CMS, GMS, "3gpp:mcptt:ptt_server",
                                     "3gpp:mcptt:key_management_server"} <= set(doc.get("scopes_supported", [])),
          doc.get("scopes_supported"))
    check("discovery_es256", "ES256" in doc.get("id_token_signing_alg_values_supported", []), doc)
    r = curl(doc.get("jwks_uri") or i.iss + "/jwks")
    keys = r.json().get("keys", [])
    check("jwks_public_keys_only", r.status == 200 and keys and all(
        k.get("kid") and k.get("kty") in ("EC", "RSA") and not ({"d", "p", "q", "dp", "dq", "qi"} & set(k))
        for k in keys), r)
    i.jwks = keys
    return {k.get("kid") for k in keys}


def login_page(i):
    v, c = pkce()
    state, nonce = "s-" + os.urandom(4).hex(), "nonce-" + os.urandom(4).hex()
    params = auth_params(c, state, nonce, REDIRECT)
    r = i.get_authorize(params)
    check("authorize_get_200_html", r.status == 200 and r.h("content-type").startswith("text/html"), r)
    pg = Page(r.text)
    check("page_has_title", pg.title.strip() != "", pg.title)
    check("page_has_lang", bool(pg.lang), pg.lang)
    check("page_one_post_form", len(pg.forms) == 1 and pg.forms[0].get("method", "").lower() == "post",
          pg.forms)
    u, p = pg.input("username"), pg.input("password")
    check("page_username_input", u is not None and u.get("type", "text").lower() in ("text", "email"), u)
    check("page_password_input", p is not None and p.get("type", "").lower() == "password", p)
    check("page_labels_tied_to_inputs", bool(pg.label_for("username")) and bool(pg.label_for("password")),
          (pg.labels, u, p))
    check("page_submit_button", len(pg.buttons) >= 1, pg.buttons)
    hidden = dict(pg.hidden())
    check("page_carries_oauth_params_hidden", all(hidden.get(k) == val for k, val in params),
          (hidden, params))
    check("page_no_external_resources", not pg.external, pg.external)
    check("page_works_without_javascript", pg.scripts == 0, pg.scripts)
    check("page_anti_framing", "DENY" in r.h("x-frame-options").upper()
          or "frame-ancestors" in r.h("content-security-policy"), r.headers)
    check("page_not_cached", "no-store" in r.h("cache-control"), r.headers)
    check("page_shows_client_and_scopes", CLIENT in pg.text and "configuration" in pg.text.lower(),
          pg.text[:300])

    # Submit the form as a browser would: its action, its hidden fields, the credentials.
    action = urllib.parse.urljoin(i.iss + "/authorize", (pg.forms or [{}])[0].get("action", ""))
    check("form_action_is_the_authorize_endpoint", action.split("?")[0] == i.iss + "/authorize", action)
    SECRETS.update([v, "alice-demo"])
    r = curl(action, pg.hidden() + [("username", "alice"), ("password", "alice-demo")])
    loc = r.h("location")
    q = query_of(loc)
    check("login_302_to_redirect_uri", r.status in (302, 303) and loc.startswith(REDIRECT + "?"), r)
    check("login_code_present", bool(q.get("code")), loc)
    check("login_state_echoed_exactly", q.get("state") == state, (q.get("state"), state))
    if "iss" in q:       # RFC 9207: optional, but if present must be the issuer
        check("login_iss_param_is_issuer", q["iss"] == i.iss, q["iss"])
    code = q.get("code", "")
    SECRETS.add(code)
    return code, v, nonce


def tokens_and_claims(i, code, verifier, nonce, kids):
    r = i.exchange(code, verifier)
    t = r.json()
    check("token_200_json_no_store", r.status == 200 and "json" in r.h("content-type")
          and "no-store" in r.h("cache-control"), r)
    check("token_type_bearer", t.get("token_type", "").lower() == "bearer", t.get("token_type"))
    check("token_expires_in", isinstance(t.get("expires_in"), int) and t["expires_in"] > 0, t.get("expires_in"))
    check("token_three_tokens", all(t.get(k) for k in ("access_token", "id_token", "refresh_token")), t.keys())
    ah, a = jwt_parts(t.get("access_token", ""))
    ih, idt = jwt_parts(t.get("id_token", ""))
    now = time.time()
    check("access_token_signed_es256_known_kid", ah.get("alg") == "ES256" and ah.get("kid") in kids, ah)
    check("id_token_signed_es256_known_kid", ih.get("alg") == "ES256" and ih.get("kid") in kids, ih)
    check("access_token_signature_verifies_openssl", es256_verifies(t.get("access_token", ""), i.jwks))
    check("id_token_signature_verifies_openssl", es256_verifies(t.get("id_token", ""), i.jwks))
    forged = t.get("access_token", "..").rsplit(".", 1)[0] + "." + "A" * 86
    check("openssl_check_rejects_a_bad_signature", not es256_verifies(forged, i.jwks))
    check("access_mcptt_id", a.get("mcptt_id") == "sip:alice@example.org", a)
    check("access_iss", a.get("iss") == i.iss, a.get("iss"))
    check("access_aud_present", bool(a.get("aud")), a.get("aud"))
    check("access_scope_granted", {"openid", CMS, GMS} <= set(str(a.get("scope", "")).split()), a.get("scope"))
    check("access_scope_matches_response", set(str(t.get("scope", a.get("scope"))).split())
          == set(str(a.get("scope", "")).split()), (t.get("scope"), a.get("scope")))
    check("access_times", isinstance(a.get("iat"), int) and isinstance(a.get("exp"), int)
          and a["iat"] <= now + 5 and a["exp"] > now, a)
    check("access_jti", bool(a.get("jti")), a)
    check("id_mcptt_id", idt.get("mcptt_id") == "sip:alice@example.org", idt)
    aud = idt.get("aud")
    check("id_aud_is_client", aud == CLIENT or (isinstance(aud, list) and CLIENT in aud), aud)
    check("id_iss", idt.get("iss") == i.iss, idt.get("iss"))
    check("id_nonce_echoed", idt.get("nonce") == nonce, (idt.get("nonce"), nonce))
    check("id_sub_and_times", bool(idt.get("sub")) and isinstance(idt.get("exp"), int)
          and idt["exp"] > now, idt)
    return t


def cms_and_userinfo(i, t):
    r = i.cms(t["access_token"])
    check("cms_accepts_idms_token", r.status == 200 and 'XUI-URI="sip:alice@example.org"' in r.text, r)
    r = i.cms(t["access_token"], GROUP)
    check("gms_accepts_idms_token", r.status == 200, r)
    r = i.cms(t["access_token"], PROFILE.replace("alice", "bob"))
    check("cms_other_users_profile_403", r.status == 403, r)
    g = i.tokens(scope="openid " + GMS)
    ga = g.get("access_token", "")
    check("group_only_token_issued", bool(ga) and CMS not in jwt_parts(ga)[1].get("scope", ""), g)
    r = i.cms(ga)
    check("cms_refuses_group_scope_token_403_insufficient_scope",
          r.status == 403 and 'error="insufficient_scope"' in r.h("www-authenticate"), r)
    r = i.cms(ga, GROUP)
    check("group_scope_token_works_at_gms", r.status == 200, r)
    c = i.tokens(scope="openid " + CMS)
    r = i.cms(c.get("access_token", "x"), GROUP)
    check("gms_refuses_cms_scope_token_403", r.status == 403
          and 'error="insufficient_scope"' in r.h("www-authenticate"), r)
    r = i.cms(t["access_token"] + "x")
    check("cms_tampered_token_401", r.status == 401, r)

    r = curl(i.iss + "/userinfo", headers=["Authorization: Bearer " + t["access_token"]])
    u = r.json()
    check("userinfo_200", r.status == 200 and u.get("mcptt_id") == "sip:alice@example.org"
          and u.get("sub") == jwt_parts(t["id_token"])[1].get("sub"), r)
    r = curl(i.iss + "/userinfo")
    check("userinfo_without_token_401", r.status == 401 and "bearer" in r.h("www-authenticate").lower(), r)


def refresh_rotation(i, t):
    rt1 = t["refresh_token"]
    r = i.refresh(rt1)
    t2 = r.json()
    check("refresh_200_new_tokens", r.status == 200 and t2.get("access_token")
          and t2.get("refresh_token") and t2["refresh_token"] != rt1
          and t2["access_token"] != t["access_token"], r)
    rt2 = t2.get("refresh_token", "")
    at2 = t2.get("access_token", "")
    check("refreshed_access_token_claims", jwt_parts(at2)[1].get("mcptt_id") == "sip:alice@example.org"
          and jwt_parts(at2)[1].get("jti") != jwt_parts(t["access_token"])[1].get("jti"), jwt_parts(at2))
    check("refreshed_access_token_at_cms", i.cms(at2).status == 200)
    r = i.refresh(rt1)
    check("old_refresh_token_refused_invalid_grant", oauth_error(r, 400, "invalid_grant"), r)
    r = i.refresh(rt2)
    check("reuse_of_old_refresh_token_kills_the_new_one", oauth_error(r, 400, "invalid_grant"), r)
    r = curl(i.iss + "/userinfo", headers=["Authorization: Bearer " + at2])
    check("reuse_revokes_the_family_access_token_at_userinfo", r.status == 401, r)
    r = i.cms(at2)
    check("reuse_revokes_the_family_access_token_at_cms", r.status == 401, r)

    t3 = i.tokens()
    r = curl(i.iss + "/revoke", [("token", t3.get("refresh_token", "")), ("client_id", CLIENT)])
    check("revoke_200", r.status == 200, r)
    r = i.refresh(t3.get("refresh_token", ""))
    check("revoked_refresh_token_refused", oauth_error(r, 400, "invalid_grant"), r)
    t4 = i.tokens()
    at4 = t4.get("access_token", "x")
    r = curl(i.iss + "/revoke", [("token", at4), ("token_type_hint", "access_token"), ("client_id", CLIENT)])
    check("revoke_access_token_200", r.status == 200, r)
    r = curl(i.iss + "/userinfo", headers=["Authorization: Bearer " + at4])
    check("revoked_access_token_refused_at_userinfo", r.status == 401, r)
    r = i.cms(at4)
    check("revoked_access_token_refused_at_cms", r.status == 401, r)
    r = curl(i.iss + "/revoke", [("token", "no-such-token"), ("client_id", CLIENT)])
    check("revoke_unknown_token_200", r.status == 200, r)      # RFC 7009 §2.2


def refusals(i):
    # wrong password: no code, the page says so, the password is not echoed
    v, c = pkce()
    r = i.post_authorize(auth_params(c, "s1", "n1", REDIRECT), "bob", "wrong-pass-1")
    pg = Page(r.text)
    check("wrong_password_no_redirect", not r.h("location") and r.status not in (301, 302, 303, 307), r)
    check("wrong_password_page_shows_alert", r.h("content-type").startswith("text/html")
          and pg.alerts and pg.alerts[0].strip(), r)
    check("wrong_password_not_echoed", "wrong-pass-1" not in r.text)
    check("wrong_password_form_again", pg.input("password") is not None
          and dict(pg.hidden()).get("code_challenge") == c, pg.inputs)
    r2 = i.post_authorize(auth_params(c, "s1", "n1", REDIRECT), "nobody", "wrong-pass-2")
    pg2 = Page(r2.text)
    check("unknown_user_same_answer_as_wrong_password", r2.status == r.status and not r2.h("location")
          and pg2.alerts == pg.alerts, (r.status, pg.alerts, r2.status, pg2.alerts))

    # usernames: alice, alice@example.org, sip:alice@example.org
    for user in ("alice@example.org", "sip:alice@example.org"):
        _, _, r = i.login(user, password="alice-demo")
        check("username_form_" + user.replace(":", "_").replace("@", "_at_"),
              bool(query_of(r.h("location")).get("code")), r)

    # PKCE: required, S256 only, verifier checked
    r = i.post_authorize(auth_params(None, "s2", "n2", REDIRECT), "alice", "alice-demo")
    q = query_of(r.h("location"))
    check("pkce_required_no_code", "code" not in q and (q.get("error") == "invalid_request"
                                                        or r.status == 400), r)
    v, c = pkce()
    r = i.post_authorize(auth_params(v, "s3", "n3", REDIRECT, method="plain"), "alice", "alice-demo")
    q = query_of(r.h("location"))
    check("pkce_plain_refused", "code" not in q and (q.get("error") == "invalid_request" or r.status == 400), r)
    v, _, r = i.login()
    code = query_of(r.h("location")).get("code")
    r = i.exchange(code, pkce()[0])
    check("wrong_pkce_verifier_invalid_grant", oauth_error(r, 400, "invalid_grant"), r)
    v, _, r = i.login()
    code = query_of(r.h("location")).get("code")
    r = i.token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT),
                 ("client_id", CLIENT)])
    check("missing_pkce_verifier_refused", r.status == 400 and r.json().get("error") in
          ("invalid_grant", "invalid_request"), r)

    # replayed code: refused, and the tokens of the first exchange are revoked (RFC 6749 §4.1.2)
    v, _, r = i.login()
    code = query_of(r.h("location")).get("code")
    first = i.exchange(code, v).json()
    check("first_exchange_ok", bool(first.get("access_token")), first)
    r = i.exchange(code, v)
    check("replayed_code_invalid_grant", oauth_error(r, 400, "invalid_grant"), r)
    r = curl(i.iss + "/userinfo", headers=["Authorization: Bearer " + first.get("access_token", "x")])
    check("replayed_code_revokes_first_access_token_at_userinfo", r.status == 401, r)
    r = i.cms(first.get("access_token", "x"))
    check("replayed_code_revokes_first_access_token_at_cms", r.status == 401, r)
    r = i.refresh(first.get("refresh_token", "x"))
    check("replayed_code_revokes_first_refresh_token", oauth_error(r, 400, "invalid_grant"), r)

    # redirect URIs: exact match; loopback IP may change the port only (RFC 8252 §7.3)
    v, c = pkce()
    for name, uri in (("other_host", "http://evil.example/callback"),
                      ("other_path", "http://127.0.0.1:8123/callback/../x"),
                      ("extra_query", "http://127.0.0.1:8123/callback?x=1"),
                      ("localhost_other_port", "http://localhost:9999/callback")):
        r = i.get_authorize(auth_params(c, "s4", "n4", uri))
        check("redirect_mismatch_%s_get_error_page_no_redirect" % name,
              r.status == 400 and not r.h("location") and r.h("content-type").startswith("text/html"), r)
        r = i.post_authorize(auth_params(c, "s4", "n4", uri), "alice", "alice-demo")
        check("redirect_mismatch_%s_post_no_redirect" % name, r.status == 400 and not r.h("location"), r)
    v, _, r = i.login(redirect="http://127.0.0.1:9999/callback")
    loc = r.h("location")
    check("loopback_ip_other_port_allowed", loc.startswith("http://127.0.0.1:9999/callback?")
          and query_of(loc).get("code"), r)
    r = i.exchange(query_of(loc).get("code"), v, redirect=REDIRECT)
    check("token_redirect_uri_must_match_authorize", oauth_error(r, 400, "invalid_grant"), r)

    # unknown client: no redirect anywhere
    r = i.get_authorize(auth_params(c, "s5", "n5", REDIRECT, client="no-such-client"))
    check("unknown_client_get_error_page_no_redirect", r.status in (400, 401) and not r.h("location"), r)
    r = i.post_authorize(auth_params(c, "s5", "n5", REDIRECT, client="no-such-client"), "alice", "alice-demo")
    check("unknown_client_post_no_redirect", r.status in (400, 401) and not r.h("location"), r)
    v, _, r = i.login()
    code = query_of(r.h("location")).get("code")
    r = i.exchange(code, v, client="no-such-client")
    check("unknown_client_at_token_invalid_client",
          r.status in (400, 401) and r.json().get("error") == "invalid_client", r)

    # errors that go back to a trusted redirect URI (RFC 6749 §4.1.2.1)
    v, c = pkce()
    p = [(k, "token" if k == "response_type" else val) for k, val in auth_params(c, "s6", "n6", REDIRECT)]
    r = i.get_authorize(p)
    q = query_of(r.h("location"))
    check("unsupported_response_type_redirects_error_with_state",
          r.h("location").startswith(REDIRECT) and q.get("error") == "unsupported_response_type"
          and q.get("state") == "s6", r)
    r = i.token([("grant_type", "password"), ("username", "alice"), ("password", "alice-demo"),
                 ("client_id", CLIENT)])
    check("password_grant_unsupported", oauth_error(r, 400, "unsupported_grant_type"), r)
    r = curl(i.iss + "/token", method="GET")
    check("token_get_405", r.status == 405, r)
    r = i.token([("grant_type", "authorization_code"), ("code", "no-such-code"), ("redirect_uri", REDIRECT),
                 ("client_id", CLIENT), ("code_verifier", pkce()[0])])
    check("unknown_code_invalid_grant", oauth_error(r, 400, "invalid_grant"), r)


def scopes_per_account(i):
    """A user gets only the scopes its account allows: the administrator has no
    MCPTT user profile, so no ptt_server or key_management_server scope."""
    ptt, kms = "3gpp:mcptt:ptt_server", "3gpp:mcptt:key_management_server"
    # "admin" alone is ambiguous (admin@example.org and admin@rescue.example)
    t = i.tokens("admin@example.org", scope=" ".join(["openid", ptt, CMS, kms]), password="admin-demo")
    got = set(jwt_parts(t.get("access_token", ""))[1].get("scope", "").split())
    check("admin_token_issued", bool(t.get("access_token")), t)
    check("admin_no_ptt_or_kms_scope", ptt not in got and kms not in got and CMS in got, got)
    check("admin_response_scope_tells_the_reduction", set(t.get("scope", "").split()) == got,
          (t.get("scope"), got))
    t = i.tokens("alice", scope=" ".join(["openid", ptt, kms]))
    got = set(jwt_parts(t.get("access_token", ""))[1].get("scope", "").split())
    check("alice_gets_ptt_and_kms", {ptt, kms} <= got and CMS not in got, got)
    t = i.tokens("alice", scope="openid 3gpp:mcptt:no_such_scope")
    got = set(jwt_parts(t.get("access_token", ""))[1].get("scope", "").split())
    check("unknown_scope_dropped", t.get("access_token") and got == {"openid"}, (t, got))


def lockout(i):
    """--idms-max-failures 3: erin locked after three wrong passwords, even with the right one."""
    for n in range(3):
        _, _, r = i.login("erin", password="erin-wrong-%d" % n)
        if not check("lockout_failure_%d_no_code" % (n + 1), not query_of(r.h("location")).get("code"), r):
            return
    _, _, r = i.login("erin", password="erin-demo")
    pg = Page(r.text)
    check("lockout_right_password_refused", not query_of(r.h("location")).get("code")
          and not r.h("location"), r)
    check("lockout_page_says_so", bool(pg.alerts) or r.status == 429, r)
    for user in ("erin@example.org", "sip:erin@example.org"):
        _, _, r = i.login(user, password="erin-demo")
        check("lockout_holds_for_username_%s" % user.replace(":", "_").replace("@", "_at_"),
              not query_of(r.h("location")).get("code"), r)
    _, _, r = i.login("dave")
    check("lockout_is_per_account_dave_still_logs_in", bool(query_of(r.h("location")).get("code")), r)


class Short:
    """A second mcxd: RS256 keys, 1 s codes, 10 s access tokens, access
    tokens for the configured resource servers (the CMS checks its audience)."""

    def __init__(self):
        self.d = Mcxd(*IDMS_ARGS, "--idms-code-ttl", "1", "--idms-access-ttl", "10",
                      "--idms-key-alg", "RS256", "--idms-audit-log", "off", "--token-skew", "1",
                      "--idms-audiences", "https://cms.example.org https://gms.example.org",
                      "--token-audience", "https://cms.example.org")
        self.token = {}

    def begin(self):
        self.d.start()
        i = Idms(self.d)
        t = self.token = i.tokens()
        ah, a = jwt_parts(t.get("access_token", ""))
        check("rs256_daemon_signs_rs256", ah.get("alg") == "RS256", ah)
        check("rs256_jwks_has_rsa_key", any(k.get("kty") == "RSA" and k.get("kid") == ah.get("kid")
                                            for k in curl(i.iss + "/jwks").json().get("keys", [])))
        check("access_ttl_configurable", t.get("expires_in") == 10 and a.get("exp", 0) - a.get("iat", 0) == 10,
              (t.get("expires_in"), a))
        check("rs256_token_accepted_at_cms", i.cms(t.get("access_token", "x")).status == 200)
        aud = a.get("aud")
        check("access_aud_is_the_configured_resource_servers",
              sorted(aud if isinstance(aud, list) else [aud]) == ["https://cms.example.org",
                                                                  "https://gms.example.org"], aud)
        check("id_token_aud_still_the_client", jwt_parts(t.get("id_token", ""))[1].get("aud") == CLIENT)
        v, _, r = i.login()
        code = query_of(r.h("location")).get("code")
        check("short_ttl_code_issued", bool(code), r)
        time.sleep(2.2)
        r = i.exchange(code, v)
        check("expired_code_invalid_grant", oauth_error(r, 400, "invalid_grant"), r)

    def end(self):
        """After the other tests: the 10 s access token has expired."""
        a = jwt_parts(self.token.get("access_token", ""))[1]
        wait = a.get("exp", 0) + 1.5 - time.time()
        if wait > 0:
            time.sleep(wait)
        i = Idms(self.d)
        r = i.cms(self.token.get("access_token", "x"))
        check("expired_access_token_401_at_cms", r.status == 401 and "invalid_token" in r.h("www-authenticate"), r)
        r = i.refresh(self.token.get("refresh_token", ""))
        check("refresh_after_access_expiry", r.status == 200 and i.cms(r.json().get("access_token", "x")).status == 200, r)
        self.stop()

    def stop(self):
        if self.d.proc is not None and not getattr(self.d, "stopped", False):
            self.d.stopped = True
            rc, err = self.d.stop()
            check("short_daemon_clean_exit", rc == 0, err[-400:])
        self.d.cleanup()


def audit_log(path, d):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        check("audit_log_written", False, e)
        return
    check("audit_log_written", len(lines) > 0, path)
    def has(*pats):
        return any(all(re.search(p, x, re.I) for p in pats) for x in lines)
    check("audit_login_success_alice", has(r'event="login"', r'outcome="ok"', r'user="sip:alice@example\.org"'),
          lines[:6])
    check("audit_login_failure_bob", has(r'event="login"', r'outcome="(failed|refused)"', r'user="[^"]*bob'),
          [x for x in lines if "bob" in x])
    check("audit_lockout_recorded", has(r'event="login"', r'erin', r'lock'), [x for x in lines if "erin" in x])
    check("audit_token_grant", has(r'event="token"', r'outcome="granted"', r'client_id="mcptt-demo-client"',
                                   r'user="sip:alice@example\.org"'), lines[:10])
    check("audit_refresh_reuse", has(r'event="refresh"', r'reuse'), [x for x in lines if "refresh" in x])
    check("audit_token_refusals", has(r'event="token"', r'outcome="(refused|failed|denied)"'),
          [x for x in lines if 'event="token"' in x][:8])
    logs = {"audit": "\n".join(lines)}
    for name in ("access.log", "mcxd.stderr"):
        try:
            with open(os.path.join(d.dir, name), encoding="utf-8", errors="replace") as f:
                logs[name] = f.read()
        except OSError:
            logs[name] = ""
    secrets = [s for s in SECRETS if s and len(s) >= 8]
    for name, text in logs.items():
        leaked = [s[:12] + "…" for s in secrets if s in text]
        check("no_secret_in_%s" % name.replace(".", "_"), not leaked, leaked)


def rotation(d, audit_path, started):
    """Stop mcxd, `mcx idms rotate-keys`, start it again on the same data
    directory and port: the old token keeps working, new ones have a new kid."""
    i = Idms(d)
    t = i.tokens()
    old_kid = jwt_parts(t.get("access_token", ""))[0].get("kid")
    check("token_before_rotation", i.cms(t.get("access_token", "x")).status == 200, t)
    d.stopped = True
    rc, err = d.stop()
    check("clean_exit_before_rotation", rc == 0, err[-400:])
    r = subprocess.run([MCX, "--data-dir", d.dir, "idms", "rotate-keys"], capture_output=True, timeout=60)
    if r.returncode and re.search(rb"unknown|usage|not supported", r.stderr + r.stdout, re.I):
        skip("key_rotation", "mcx idms rotate-keys not available: %r" % (r.stderr[:200],))
        return
    check("mcx_idms_rotate_keys", r.returncode == 0, r.stderr[-300:])
    d2 = Mcxd(*IDMS_ARGS, "--idms-audit-log", audit_path, data_dir=d.dir)
    d2.port = d.port                       # same issuer URL
    started.append(d2)
    d2.start()
    i2 = Idms(d2)
    r = curl(i2.iss + "/jwks")
    kids = {k.get("kid") for k in r.json().get("keys", [])}
    check("jwks_keeps_old_key_after_rotation", old_kid in kids and len(kids) >= 2, kids)
    r = i2.cms(t.get("access_token", "x"))
    check("old_token_still_accepted_after_rotation", r.status == 200, r)
    t2 = i2.tokens()
    new_kid = jwt_parts(t2.get("access_token", ""))[0].get("kid")
    check("new_token_has_new_kid", new_kid and new_kid != old_kid and new_kid in kids, (old_kid, new_kid, kids))
    check("new_token_accepted", i2.cms(t2.get("access_token", "x")).status == 200, t2)
    r = i2.refresh(t.get("refresh_token", ""))
    check("refresh_token_survives_restart_and_rotation", r.status == 200
          and jwt_parts(r.json().get("access_token", ""))[0].get("kid") == new_kid, r)


def main():
    audit_path = os.path.join(TMP, "audit.log")
    d = Mcxd(*IDMS_ARGS, "--idms-audit-log", audit_path, "--idms-max-failures", "3")
    short = Short()
    started = [d]
    t0 = time.time()
    try:
        short.begin()
        d.start()
        i = Idms(d)
        kids = discovery(i)
        code, verifier, nonce = login_page(i)
        t = tokens_and_claims(i, code, verifier, nonce, kids)
        if t.get("access_token"):
            cms_and_userinfo(i, t)
            refresh_rotation(i, t)
        refusals(i)
        scopes_per_account(i)
        lockout(i)
        audit_log(audit_path, d)
        rotation(d, audit_path, started)
        short.end()
    except Exception as e:  # a crash is one failure, with what is known
        import traceback
        check("no_exception", False, "%s: %s\n%s\n%s" % (type(e).__name__, e, traceback.format_exc()[-800:],
                                                        d.stderr()[-600:]))
    finally:
        for x in reversed(started):
            if x.proc is not None and not getattr(x, "stopped", False):
                x.stopped = True
                rc, err = x.stop()
                check("clean_exit", rc == 0, err[-500:])
        short.stop()
        d.cleanup()
        subprocess.run(["rm", "-rf", TMP])
    print("# %.1f s" % (time.time() - t0))
    print("idms_flow: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
