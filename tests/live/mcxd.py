"""Start and stop a real mcxd on 127.0.0.1 for the live tests."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("MCX_BIN", "bin")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_udp_tcp_port():
    """A port free for both UDP and TCP on 127.0.0.1 (mcxd listens on both)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


class Mcxd:
    """One daemon with its own data directory; stop() checks a clean exit."""

    def __init__(self, *extra, data_dir=None):
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="mcx-live-")
        self.port = free_port()
        self.extra = list(extra)
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "mcxd.stderr")

    def start(self):
        args = [os.path.join(BIN, "mcxd"), "--data-dir", self.dir,
                "--http-bind", "127.0.0.1", "--http-port", str(self.port),
                "--demo", "yes", "--trusted-proxies", "127.0.0.1",
                "--test-usage", "yes", "--mcptt-servers", "sip:mcptt-server@example.org",
                "--access-log", os.path.join(self.dir, "access.log"),
                "--log-level", "warn"] + self.extra
        self.err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mcxd exited at start: " + self.stderr())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mcxd did not listen in time")

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def url(self, path=""):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.err.close()

    def stop(self):
        """SIGTERM; returns (exit code, stderr text)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode, self.stderr()

    def cleanup(self):
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
