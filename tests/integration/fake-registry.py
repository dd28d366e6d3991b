#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for tests/integration/60-pull.sh.

Serves the images of an OCI layout over HTTPS on 127.0.0.1 (distribution
spec paths, any repository name) and breaks one thing, by --mode:
  serve     nothing: a correct registry (with Range, logged)
  tamper    blobs over 1000 bytes have one byte changed
  truncate  blobs over 1000 bytes stop half-way (Content-Length is whole)
  chunked   bodies go chunked (odd sizes, an extension, a trailer)
  eof       bodies have no length: they end when the connection closes
  notjson   manifests asked for by tag are not JSON
  bearer    wants a Bearer token from its token service (/token), which
            wants Basic alice:s3cret and the scope of the repository
  loop401   everything answers 401; the token service hands out tokens
  stall     blobs send their headers and a few bytes, then nothing
  redirect  /v2/ wants Basic auth; every other request is sent (307) to
            https://127.0.0.1:PORT/leak/..., which refuses requests that
            carry Authorization and sends the rest (307) to --target
"""
import argparse, hashlib, json, os, ssl, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--mode", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--layout")
ap.add_argument("--target")
args = ap.parse_args()


def layout_tag(tag):
    with open(os.path.join(args.layout, "index.json")) as f:
        idx = json.load(f)
    for m in idx["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return m["digest"], m["mediaType"]
    return None, None


def blob_path(digest):
    return os.path.join(args.layout, "blobs", "sha256", digest.split(":", 1)[1])


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("fake-registry: %s %s\n" % (self.command, self.path))

    def send(self, code, body=b"", ctype="application/json", headers=()):
        if args.mode in ("chunked", "eof") and code == 200:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            for k, v in headers:
                self.send_header(k, v)
            if args.mode == "eof":
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            i, n = 0, 1
            while i < len(body):
                part = body[i:i + n]
                self.wfile.write(b"%x;ext=1\r\n" % len(part) + part + b"\r\n")
                i += n
                n = n * 3 + 7 if n < 40000 else 1
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            return
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        mode, p = args.mode, self.path
        auth = self.headers.get("Authorization")
        if mode == "loop401":
            if p.startswith("/token"):
                return self.send(200, b'{"token": "t0k3n"}')
            realm = "https://localhost:%d/token" % args.port
            return self.send(401, b'{"errors":[]}', headers=[
                ("WWW-Authenticate", 'Bearer realm="%s",service="fake",scope="repository:x:pull"' % realm)])
        if mode == "bearer":
            if p.startswith("/token?"):
                from urllib.parse import parse_qs, urlsplit
                q = parse_qs(urlsplit(p).query)
                if auth != "Basic YWxpY2U6czNjcmV0":
                    return self.send(401, b'{"details":"bad credentials"}')
                if q.get("service") != ["fake reg"] or not q.get("scope", [""])[0].startswith("repository:test/x:"):
                    return self.send(400, b'{"details":"bad query"}')
                return self.send(200, b'{"access_token": "tok-123", "expires_in": 300}')
            if auth != "Bearer tok-123":
                realm = "https://localhost:%d/token" % args.port
                return self.send(401, b'{"errors":[]}', headers=[("WWW-Authenticate",
                    'Bearer realm="%s",service="fake reg",scope="repository:test/x:pull"' % realm)])
            mode = "serve"
        if mode == "redirect":
            if p.startswith("/leak/"):
                if auth:
                    return self.send(403, b"authorization leaked to the redirect target")
                return self.send(307, headers=[("Location", args.target + p[len("/leak"):])])
            if p == "/v2/" and not auth:
                return self.send(401, headers=[("WWW-Authenticate", 'Basic realm="fake"')])
            if not auth:
                return self.send(401, headers=[("WWW-Authenticate", 'Basic realm="fake"')])
            if p == "/v2/":
                return self.send(200, b"{}")
            return self.send(307, headers=[("Location", "https://127.0.0.1:%d/leak%s" % (args.port, p))])
        if p == "/v2/":
            return self.send(200, b"{}")
        parts = p.split("/")
        if len(parts) < 5 or parts[1] != "v2":
            return self.send(404, b'{"errors":[{"code":"NOT_FOUND"}]}')
        kind, ref = parts[-2], parts[-1]
        if kind == "manifests":
            if ref.startswith("sha256:"):
                digest, mt = ref, None
            else:
                digest, mt = layout_tag(ref)
                if mode == "notjson":
                    return self.send(200, b"this is not JSON {", "application/vnd.oci.image.manifest.v1+json")
            if not digest or not os.path.exists(blob_path(digest)):
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
            body = open(blob_path(digest), "rb").read()
            if mt is None:
                mt = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            return self.send(200, body, mt, [("Docker-Content-Digest", digest)])
        if kind == "blobs":
            path = blob_path(ref)
            if not os.path.exists(path):
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
            body = open(path, "rb").read()
            big = len(body) > 1000
            if mode == "tamper" and big:
                body = body[:500] + bytes([body[500] ^ 1]) + body[501:]
            if mode == "truncate" and big:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "stall" and big:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:100])
                self.wfile.flush()
                time.sleep(30)
                self.close_connection = True
                return
            rng = self.headers.get("Range", "")
            if mode == "serve" and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                sys.stderr.write("fake-registry: range %d of %d\n" % (start, len(body)))
                return self.send(206, body[start:], "application/octet-stream", [
                    ("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))])
            return self.send(200, body, "application/octet-stream")
        return self.send(404, b"{}")


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
srv = ThreadingHTTPServer(("127.0.0.1", args.port), H)
srv.daemon_threads = True
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
