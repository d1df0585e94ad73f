"""A TLS-terminating front on loopback, as a corporate TLS-inspecting proxy is to a client: it presents a
certificate signed by a CA made here (not in any system store), and relays the plain bytes to an upstream port.

Usage: tls_front.py UPSTREAM_PORT OUT_DIR [--keep-alive LOG]
Writes OUT_DIR/ca.pem (the CA to trust), prints "PORT n" once listening, and exits when stdin closes.

With --keep-alive (scripts/bench), it speaks HTTP/1.1 to the client and keeps the client's connection open across
requests, as AWS's endpoints do, though the emulator behind it closes every connection: each request goes to the
upstream on a connection of its own. Each answered request is a line in LOG: `start end connection action`
(seconds since the epoch; the connection's number; `iam:CreateRole` from the SigV4 scope and the form body).
"""

import datetime
import ipaddress
import os
import re
import socket
import ssl
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def certificates(out_dir):
    """A CA, and a server certificate for 127.0.0.1 that it signed; returns the server's cert and key files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pinpoint-iam-wizard test inspection CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    with open(os.path.join(out_dir, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = os.path.join(out_dir, "server.pem")
    key_file = os.path.join(out_dir, "server.key")
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_file, key_file


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(context, client, upstream_port):
    try:
        tls = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        # A client that does not trust the CA hangs up during the handshake: nothing reaches upstream.
        client.close()
        return
    upstream = socket.create_connection(("127.0.0.1", upstream_port))
    threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
    pump(tls, upstream)


SCOPE = re.compile(rb"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
ACTION = re.compile(rb"(?:^|&)Action=(\w+)")


def read_message(sock, buffer):
    """One HTTP/1.1 message (head and Content-Length body) from `sock`, after what `buffer` holds; returns
    (message, what was read beyond it), or (None, b"") when the peer closed first."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            return None, b""
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def with_connection(message, value):
    """The message with its Connection header set to `value`."""
    head, _, body = message.partition(b"\r\n\r\n")
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    return b"\r\n".join(lines + [b"Connection: " + value]) + b"\r\n\r\n" + body


def action(request):
    scope = SCOPE.search(request)
    name = ACTION.search(request.partition(b"\r\n\r\n")[2])
    if name is None:
        parts = request.split(b" ", 2)
        name_text = parts[0].decode() + " " + parts[1].decode().split("?")[0]
    else:
        name_text = name[1].decode()
    return (scope[1].decode() if scope else "?") + ":" + name_text


LOG_LOCK = threading.Lock()
CONNECTIONS = iter(range(1, 1 << 30))


def serve_keep_alive(context, client, upstream_port, log):
    """HTTP/1.1 with the client, one upstream connection per request; every request logged."""
    try:
        tls = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        client.close()
        return
    with LOG_LOCK:
        number = next(CONNECTIONS)
    buffer = b""
    try:
        while True:
            request, buffer = read_message(tls, buffer)
            if request is None:
                break
            start = time.time()
            upstream = socket.create_connection(("127.0.0.1", upstream_port))
            upstream.sendall(with_connection(request, b"close"))
            answer, _ = read_message(upstream, b"")
            upstream.close()
            if answer is None:
                break
            # Logged before it is sent, so the log is complete when the client has its last answer.
            with LOG_LOCK, open(log, "a") as f:
                f.write(f"{start:.6f} {time.time():.6f} {number} {action(request)}\n")
            tls.sendall(with_connection(answer, b"keep-alive"))
    except OSError:
        pass
    finally:
        tls.close()


def main():
    upstream_port, out_dir = int(sys.argv[1]), sys.argv[2]
    log = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--keep-alive" else None
    cert_file, key_file = certificates(out_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    # Exit when the test's end of stdin closes (the test ended, however it ended).
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while True:
        client, _ = listener.accept()
        if log is None:
            threading.Thread(target=relay, args=(context, client, upstream_port), daemon=True).start()
        else:
            threading.Thread(target=serve_keep_alive, args=(context, client, upstream_port, log), daemon=True).start()


if __name__ == "__main__":
    main()
