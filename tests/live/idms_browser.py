"""The IdMS login in a real headless browser (Debian's chromium, driven
through chromedriver's W3C WebDriver HTTP API with urllib only): open the
authorization URL (code + PKCE), check the page's title and accessible
labels, type a wrong password (the page shows the error, no redirect), then
alice / alice-demo, click the button and land on the loopback redirect
with a code and the state; exchange the code and read Alice's profile at
the CMS with the access token. A screenshot of the login page is kept in
/tmp/idms-login.png. Without chromium (or if it can't start) the browser
checks are reported as skipped. MCX_CHROMIUM / MCX_CHROMEDRIVER override
/usr/bin/chromium and /usr/bin/chromedriver."""
import base64
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd, free_port  # noqa: E402
from idmslib import CLIENT, CMS, GMS, PROFILE, IDMS_ARGS, auth_params, jwt_parts, pkce, query_of  # noqa: E402

CHROMIUM = os.environ.get("MCX_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MCX_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOT = "/tmp/idms-login.png"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"      # W3C WebDriver element reference key
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback: never a proxy
passed = failed = skipped = 0


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
    print("skip", name, "—", str(why)[:400])


class WebDriverError(Exception):
    pass


class Browser:
    """chromedriver on a free loopback port and one headless chromium session."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.sid = self.browser_pid = None
        self.log = open(os.path.join(tmp, "chromedriver.log"), "wb")
        self.proc = subprocess.Popen([CHROMEDRIVER, "--port=%d" % self.port, "--allowed-ips=127.0.0.1",
                                      "--allowed-origins=http://127.0.0.1"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 15
            while True:
                if self.proc.poll() is not None:
                    raise WebDriverError("chromedriver exited: %d" % self.proc.returncode)
                try:
                    if self.cmd("GET", "/status").get("ready"):
                        break
                except (OSError, WebDriverError):
                    pass
                if time.time() > deadline:
                    raise WebDriverError("chromedriver not ready")
                time.sleep(0.1)
            args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-proxy-server", "--window-size=900,700",
                    "--user-data-dir=" + os.path.join(tmp, "profile")]
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome", "pageLoadStrategy": "normal",
                "timeouts": {"pageLoad": 20000, "script": 10000, "implicit": 0},
                "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}}
            v = self.cmd("POST", "/session", caps)
            self.sid = v["sessionId"]
            self.browser_pid = v.get("capabilities", {}).get("goog:processID")
        except BaseException:
            self.quit()
            raise

    def cmd(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        rq = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                    headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with DIRECT.open(rq, timeout=60) as f:
                out = json.loads(f.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                v = json.loads(e.read()).get("value", {})
            except ValueError:
                v = {}
            raise WebDriverError("%s %s: %s: %s" % (method, path, v.get("error", e.code),
                                                   str(v.get("message", ""))[:300]))
        return out.get("value")

    def s(self, method, path, body=None):
        return self.cmd(method, "/session/%s%s" % (self.sid, path), body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def url(self):
        return self.s("GET", "/url")

    def title(self):
        return self.s("GET", "/title")

    def find(self, css):
        """Elements matching css (a list of element ids)."""
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def one(self, css):
        e = self.find(css)
        if not e:
            raise WebDriverError("no element " + css)
        return e[0]

    def el(self, method, eid, what, body=None):
        return self.s(method, "/element/%s/%s" % (eid, what), body)

    def type(self, css, text):
        e = self.one(css)
        self.el("POST", e, "clear")
        self.el("POST", e, "value", {"text": text})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def quit(self):
        try:
            if self.sid:
                self.cmd("DELETE", "/session/" + self.sid)
        except (OSError, WebDriverError):
            pass
        self.sid = None
        pid = self.browser_pid
        if pid:                            # the browser we started, should the session not have ended it
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(pid, 15)
                except OSError:
                    pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Callback:
    """The native app's loopback redirect target (RFC 8252 §7.3): answers
    200 "ok" and records the queries it receives on /callback."""

    def __init__(self):
        self.hits = []
        hits = self.hits

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                if u.path == "/callback":
                    hits.append(u.query)
                body = b"ok"
                self.send_response(200 if u.path == "/callback" else 404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        try:
            self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 8123), H)
        except OSError:
            self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        self.uri = "http://127.0.0.1:%d/callback" % self.port
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()
        self.thread.join(10)


def post_form(url, form):
    rq = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with DIRECT.open(rq, timeout=20) as f:
            return f.status, json.loads(f.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def get(url, token):
    rq = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    try:
        with DIRECT.open(rq, timeout=20) as f:
            return f.status, f.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def wait_for(pred, secs=10):
    deadline = time.time() + secs
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def flow(b, d, cb, tmp):
    iss = d.url("/idms")
    verifier, challenge = pkce()
    state = "browser-" + os.urandom(4).hex()
    nonce = "n-" + os.urandom(4).hex()
    url = iss + "/authorize?" + urllib.parse.urlencode(
        auth_params(challenge, state, nonce, cb.uri, scope="openid " + CMS + " " + GMS))
    b.go(url)
    check("browser_opens_login_page", b.url().startswith(iss + "/authorize"), b.url())
    title = b.title()
    check("browser_page_title", bool(title and title.strip()), title)
    user, pw = b.one("input[name=username]"), b.one("input[name=password]")
    ulabel = b.el("GET", user, "computedlabel")
    plabel = b.el("GET", pw, "computedlabel")
    check("browser_username_has_accessible_label", bool(ulabel and ulabel.strip()), ulabel)
    check("browser_password_has_accessible_label", bool(plabel and plabel.strip()), plabel)
    check("browser_password_is_masked", b.el("GET", pw, "property/type") == "password")
    button = b.one("form button[type=submit], form input[type=submit], form button")
    check("browser_submit_button_displayed", b.el("GET", button, "displayed") is True
          and bool((b.el("GET", button, "text") or b.el("GET", button, "property/value") or "").strip()))
    b.screenshot(os.path.join(tmp, "login.png"))
    shutil.copyfile(os.path.join(tmp, "login.png"), SHOT)
    with open(SHOT, "rb") as f:
        check("browser_screenshot_png", f.read(8) == b"\x89PNG\r\n\x1a\n", SHOT)

    # wrong password: the page says so, nothing reaches the app
    b.type("input[name=username]", "alice")
    b.type("input[name=password]", "not-alices-password")
    b.el("POST", b.one("form button[type=submit], form input[type=submit], form button"), "click")
    alerts = wait_for(lambda: b.find("[role=alert]"), 5)
    text = b.el("GET", alerts[0], "text") if alerts else ""
    check("browser_wrong_password_shows_alert", bool(text and text.strip()), b.url())
    check("browser_wrong_password_no_redirect", b.url().startswith(iss) and not cb.hits, (b.url(), cb.hits))
    b.screenshot(os.path.join(tmp, "login-error.png"))

    # right password: typed, clicked, redirected to the app with a code and the state
    b.type("input[name=username]", "alice")
    b.type("input[name=password]", "alice-demo")
    b.el("POST", b.one("form button[type=submit], form input[type=submit], form button"), "click")
    landed = wait_for(lambda: b.url().startswith(cb.uri + "?") and cb.hits, 10)
    check("browser_lands_on_redirect", bool(landed), b.url())
    q = dict(urllib.parse.parse_qsl(cb.hits[-1])) if cb.hits else {}
    check("browser_redirect_has_code", bool(q.get("code")), cb.hits)
    check("browser_redirect_same_state", q.get("state") == state, (q.get("state"), state))
    check("browser_url_matches_app_request", query_of(b.url()).get("code") == q.get("code"), b.url())
    body = b.el("GET", b.one("body"), "text")
    check("browser_shows_app_page", (body or "").strip() == "ok", body)

    st, t = post_form(iss + "/token", [("grant_type", "authorization_code"), ("code", q.get("code", "")),
                                       ("redirect_uri", cb.uri), ("client_id", CLIENT),
                                       ("code_verifier", verifier)])
    check("browser_code_exchanged", st == 200 and isinstance(t, dict) and t.get("access_token"), (st, t))
    at = t.get("access_token", "") if isinstance(t, dict) else ""
    idt = jwt_parts(t.get("id_token", ""))[1] if isinstance(t, dict) else {}
    check("browser_id_token_nonce_and_mcptt_id", idt.get("nonce") == nonce
          and idt.get("mcptt_id") == "sip:alice@example.org", idt)
    st, text = get(d.url(PROFILE), at)
    check("browser_token_reads_profile_at_cms", st == 200 and 'XUI-URI="sip:alice@example.org"' in text,
          (st, text[:200]))
    st, _ = post_form(iss + "/token", [("grant_type", "authorization_code"), ("code", q.get("code", "")),
                                       ("redirect_uri", cb.uri), ("client_id", CLIENT),
                                       ("code_verifier", verifier)])
    check("browser_code_single_use", st == 400, st)


def main():
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="mcx-idms-browser-")
    d = b = cb = None
    try:
        if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
            skip("browser_flow", "no %s or %s (scripts/deps.sh test installs chromium chromium-driver)"
                 % (CHROMIUM, CHROMEDRIVER))
        else:
            cb = Callback()
            d = Mcxd(*IDMS_ARGS, "--idms-audit-log", "off")
            d.start()
            try:
                b = Browser(tmp)
            except (OSError, WebDriverError, KeyError, TypeError) as e:
                skip("browser_flow", "chromium could not be started: %s" % e)
            if b is not None:
                flow(b, d, cb, tmp)
    except Exception as e:  # one failure, with what is known
        check("no_exception", False, "%s: %s" % (type(e).__name__, e))
    finally:
        if b is not None:
            b.quit()
        if cb is not None:
            cb.stop()
        if d is not None and d.proc is not None:
            rc, err = d.stop()
            d.cleanup()
            check("clean_exit", rc == 0, err[-500:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("# %.1f s" % (time.time() - t0))
    print("idms_browser: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
