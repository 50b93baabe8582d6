"""Helpers shared by the IdMS live tests: PKCE, JWT payloads, the login
page's HTML, and the demo organisation's client."""
import base64
import hashlib
import html.parser
import json
import os
import urllib.parse

CLIENT = "mcptt-demo-client"
CMS = "3gpp:mcptt:config_management_server"
GMS = "3gpp:mcptt:group_management_server"
PROFILE = "/xcap-root/org.3gpp.mcptt.user-profile/users/sip:alice@example.org/mcptt-user-profile-0.xml"
GROUP = "/xcap-root/org.openmobilealliance.groups/global/byGroupID/sip:group-fire@example.org"
IDMS_ARGS = ("--idms", "yes")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pkce():
    """(verifier, S256 challenge): RFC 7636 §4.1, §4.2."""
    v = b64url(os.urandom(32))
    return v, b64url(hashlib.sha256(v.encode()).digest())


def jwt_parts(tok):
    """(header, payload) of a compact JWS, or ({}, {}) when it is not one."""
    try:
        h, p, _ = tok.split(".")
        dec = [json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))) for x in (h, p)]
        return dec[0], dec[1]
    except (ValueError, AttributeError):
        return {}, {}


def query_of(url):
    """The decoded query of url as a dict (one value per name)."""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url or "").query, keep_blank_values=True))


def auth_params(challenge, state, nonce, redirect, scope="openid " + CMS + " " + GMS,
                client=CLIENT, method="S256"):
    p = [("response_type", "code"), ("client_id", client), ("redirect_uri", redirect),
         ("scope", scope), ("state", state), ("nonce", nonce)]
    if challenge is not None:
        p += [("code_challenge", challenge), ("code_challenge_method", method)]
    return p


class Page(html.parser.HTMLParser):
    """What a test needs to know about an HTML page."""

    RESOURCE_TAGS = {"script", "link", "img", "iframe", "frame", "object", "embed", "source",
                     "video", "audio", "track", "input", "image", "use"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms, self.inputs, self.labels, self.buttons = [], [], {}, []
        self.title, self.lang, self.alerts, self.external, self.scripts = "", None, [], [], 0
        self._in = None
        self._label_for = None
        self._text = []
        self.feed(text)
        self.close()
        self.text = " ".join(" ".join(self._text).split())

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "form":
            self.forms.append(a)
        elif tag == "input":
            if self._label_for and self._label_for.startswith("#wrap") and "id" not in a:
                a["id"] = self._label_for      # <label>Text <input></label>
            self.inputs.append(a)
            if a.get("type", "").lower() == "submit":
                self.buttons.append(a)
        elif tag == "button":
            self.buttons.append(a)
        elif tag == "title":
            self._in = "title"
        elif tag == "label":
            self._label_for = a.get("for", "") or "#wrap%d" % len(self.labels)
            self.labels[self._label_for] = ""
        elif tag == "script":
            self.scripts += 1
        if a.get("role") == "alert":
            self._in = "alert"
            self.alerts.append("")
        for k in ("src", "href", "srcset", "data", "poster", "background", "xlink:href"):
            v = a.get(k, "").strip().lower()
            if tag in self.RESOURCE_TAGS or k != "href":
                if v.startswith(("http:", "https:", "//", "ftp:")):
                    self.external.append((tag, k, a.get(k)))
        if "url(" in a.get("style", "").lower():
            self.external.append((tag, "style", a.get("style")))

    def handle_endtag(self, tag):
        if tag == "title" and self._in == "title":
            self._in = None
        elif tag == "label":
            self._label_for = None
        elif self._in == "alert" and tag in ("div", "p", "section", "span", "strong"):
            self._in = None

    def handle_data(self, data):
        self._text.append(data)
        if self._in == "title":
            self.title += data
        elif self._in == "alert":
            self.alerts[-1] += data
        if self._label_for is not None:
            self.labels[self._label_for] += data
        if "url(" in data.lower() and ("http:" in data.lower() or "https:" in data.lower()
                                       or "//" in data):
            self.external.append(("text", "url()", data.strip()[:80]))

    def input(self, name):
        for i in self.inputs:
            if i.get("name") == name:
                return i
        return None

    def hidden(self):
        return [(i["name"], i.get("value", "")) for i in self.inputs
                if i.get("type", "").lower() == "hidden" and i.get("name")]

    def label_for(self, name):
        """The text of the <label> tied to the input with this name (by id), or None."""
        i = self.input(name)
        if not i or not i.get("id"):
            return None
        t = self.labels.get(i["id"])
        return " ".join(t.split()) if t is not None else None
