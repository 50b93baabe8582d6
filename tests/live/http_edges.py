"""HTTP-level behaviour that case files can't express: keep-alive, bodies
and headers over the limits, slow clients, stale Digest nonces, TLS."""
import hashlib
import http.client
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from mcxd import Mcxd  # noqa: E402

AS = {"X-3GPP-Asserted-Identity": "sip:alice@example.org"}
DOC = "/xcap-root/resource-lists/users/sip:alice@example.org/index"
results = []


def case(name):
    def wrap(fn):
        results.append((name, fn))
        return fn
    return wrap


@case("keepalive_two_requests_one_connection")
def _(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    c.request("GET", DOC, headers=AS)
    r = c.getresponse()
    r.read()
    sock = c.sock
    c.request("GET", DOC + "/~~/resource-lists/list/@name", headers=AS)
    r2 = c.getresponse()
    body = r2.read()
    assert r.status == 200 and r2.status == 200 and body == b"friends", (r.status, r2.status, body)
    assert c.sock is sock, "connection was not kept alive"


@case("body_over_max_document_size_is_413_and_not_stored")
def _(d):
    # announced too large: answered before the body is sent
    s = socket.create_connection(("127.0.0.1", d.port), 5)
    s.sendall(b"PUT /xcap-root/test-app/users/sip:alice@example.org/big HTTP/1.1\r\nHost: x\r\n"
              b"X-3GPP-Asserted-Identity: sip:alice@example.org\r\nContent-Type: application/xml\r\n"
              b"Content-Length: 2000000\r\n\r\n<a>")
    data = s.recv(100)
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:40]
    # chunked, no length: refused once it grows past the limit
    s = socket.create_connection(("127.0.0.1", d.port), 5)
    s.sendall(b"PUT /xcap-root/test-app/users/sip:alice@example.org/big HTTP/1.1\r\nHost: x\r\n"
              b"X-3GPP-Asserted-Identity: sip:alice@example.org\r\nContent-Type: application/xml\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    try:
        for _ in range(20):
            s.sendall(chunk)
        s.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    data = s.recv(100)
    s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:40]
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request("GET", "/xcap-root/test-app/users/sip:alice@example.org/big", headers=AS)
    r = c.getresponse()
    r.read()
    assert r.status == 404, r.status


@case("oversized_headers_are_refused")
def _(d):
    s = socket.create_connection(("127.0.0.1", d.port), 5)
    s.sendall(b"GET " + DOC.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    data = s.recv(200)
    s.close()
    assert data.startswith(b"HTTP/1.1 431") or data.startswith(b"HTTP/1.1 413"), data[:60]


@case("bad_request_line_and_control_characters")
def _(d):
    s = socket.create_connection(("127.0.0.1", d.port), 5)
    s.sendall(b"GET /xcap-root/resource-lists/users/sip:alice@example.org/in\x01dex HTTP/1.1\r\n"
              b"Host: x\r\nX-3GPP-Asserted-Identity: sip:alice@example.org\r\n\r\n")
    data = s.recv(200)
    s.close()
    assert data.startswith(b"HTTP/1.1 400"), data[:60]


@case("stale_nonce_gets_stale_true")
def _(d):
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    c.request("GET", DOC)
    r = c.getresponse()
    r.read()
    ch = [v for k, v in r.getheaders() if k.lower() == "www-authenticate" and "SHA-256" in v][0]
    params = dict(p.strip().split("=", 1) for p in ch[len("Digest "):].split(","))
    nonce = params["nonce"].strip('"')
    realm = params["realm"].strip('"')

    def auth(n):
        ha1 = hashlib.sha256(("alice:%s:alice-demo" % realm).encode()).hexdigest()
        ha2 = hashlib.sha256(("GET:" + DOC).encode()).hexdigest()
        resp = hashlib.sha256(("%s:%s:00000001:abc:auth:%s" % (ha1, n, ha2)).encode()).hexdigest()
        return ('Digest username="alice", realm="%s", nonce="%s", uri="%s", algorithm=SHA-256, '
                'qop=auth, nc=00000001, cnonce="abc", response="%s"' % (realm, n, DOC, resp))
    c.request("GET", DOC, headers={"Authorization": auth(nonce)})
    r = c.getresponse()
    r.read()
    assert r.status == 200, "fresh nonce refused: %d" % r.status
    time.sleep(2.2)
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    c.request("GET", DOC, headers={"Authorization": auth(nonce)})
    r = c.getresponse()
    r.read()
    chs = [v for k, v in r.getheaders() if k.lower() == "www-authenticate"]
    assert r.status == 401 and any("stale=true" in v for v in chs), (r.status, chs)


@case("slow_client_is_disconnected")
def _(d):
    s = socket.create_connection(("127.0.0.1", d.port), 10)
    s.sendall(b"GET " + DOC.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    s.settimeout(10)
    data = s.recv(100)
    s.close()
    assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:40]
    assert time.time() - t0 < 6, "not disconnected in time"


@case("unauthenticated_asserted_identity_from_untrusted_peer_is_ignored")
def _(d):
    # the daemon trusts only 127.0.0.1; 127.0.0.2 is not trusted
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5, source_address=("127.0.0.2", 0))
    c.request("GET", DOC, headers=AS)
    r = c.getresponse()
    r.read()
    assert r.status == 401, r.status


def tls_case():
    tmp = tempfile.mkdtemp(prefix="mcx-tls-")
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    d = Mcxd("--tls-cert", crt, "--tls-key", key).start()
    try:
        ctx = ssl.create_default_context(cafile=crt)
        ctx.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", d.port, timeout=5, context=ctx)
        c.request("GET", DOC, headers=AS)
        r = c.getresponse()
        body = r.read()
        assert r.status == 200 and b"<resource-lists" in body, r.status
    finally:
        code, err = d.stop()
        d.cleanup()
        assert code == 0, err[-500:]


def main():
    passed = failed = 0
    d = Mcxd("--nonce-lifetime", "1", "--http-timeout", "2").start()
    try:
        for name, fn in results:
            try:
                fn(d)
                print("ok", name)
                passed += 1
            except Exception as e:  # noqa: BLE001
                print("not ok", name, "—", repr(e)[:400])
                failed += 1
    finally:
        code, err = d.stop()
        d.cleanup()
    if code != 0:
        print("not ok clean_exit —", err[-1000:])
        failed += 1
    try:
        tls_case()
        print("ok tls_self_signed_get")
        passed += 1
    except Exception as e:  # noqa: BLE001
        print("not ok tls_self_signed_get —", repr(e)[:400])
        failed += 1
    print("http edges: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
