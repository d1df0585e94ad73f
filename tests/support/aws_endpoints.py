"""AWS's credential endpoints that moto has not, on loopback, from AWS's documented wire formats: an emulator of
AWS's side, like moto, never a stub of the client's code. Every endpoint hands out the same keys.

- EC2 instance metadata (IMDSv2): PUT /latest/api/token, then GET /latest/meta-data/iam/security-credentials/
  (the role's name) and GET .../security-credentials/NAME (the credentials), with X-aws-ec2-metadata-token.
  The newer `security-credentials-extended` paths answer 404, as on instances that predate them.
- The ECS/EKS container credentials endpoint: GET /container-credentials.
- IAM Identity Center's portal: GET /federation/credentials?role_name=R&account_id=A with x-amz-sso_bearer_token.
- AWS Sign-In's token endpoint (`aws login` sessions, renewed by aws-config): POST /v1/token, a JSON body with
  grant_type refresh_token, signed with a DPoP proof (a `DPoP` header). The refresh token `expired-refresh-token`
  is refused as AWS refuses an expired one (AccessDeniedException, error TOKEN_EXPIRED).

Usage: aws_endpoints.py ACCESS_KEY_ID SECRET_ACCESS_KEY SSO_ACCESS_TOKEN
Prints "PORT n" once listening; exits when stdin closes.
"""

import datetime
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY, SECRET, SSO_TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
IMDS_TOKEN = "imds-session-token"
ROLE = "instance-role"


def expiration():
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("x-aws-ec2-metadata-token-ttl-seconds"):
            # IMDS echoes the token's life in the same header.
            ttl = self.headers["x-aws-ec2-metadata-token-ttl-seconds"]
            self.answer(200, IMDS_TOKEN, "text/plain", [("x-aws-ec2-metadata-token-ttl-seconds", ttl)])
        else:
            self.answer(400, "", "text/plain")

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path.startswith("/latest/"):
            return self.imds(url.path)
        if url.path == "/container-credentials":
            return self.answer(200, json.dumps(self.credentials("Token") | {"RoleArn": "arn:aws:iam::1:role/task"}))
        if url.path == "/federation/credentials":
            return self.sso(urllib.parse.parse_qs(url.query))
        self.answer(404, "{}")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path != "/v1/token":
            return self.answer(404, "{}")
        if not self.headers.get("DPoP") or body.get("grantType") != "refresh_token":
            return self.answer(400, json.dumps({"error": "INVALID_REQUEST", "message": "a DPoP proof is required"}),
                               headers=[("x-amzn-errortype", "ValidationException")])
        if body.get("refreshToken") == "expired-refresh-token":
            message = {"error": "TOKEN_EXPIRED", "message": "The refresh token has expired"}
            return self.answer(400, json.dumps(message), headers=[("x-amzn-errortype", "AccessDeniedException")])
        token = {"accessKeyId": KEY, "secretAccessKey": SECRET, "sessionToken": "login-session-renewed"}
        self.answer(200, json.dumps({
            "accessToken": token, "tokenType": "aws_sigv4", "expiresIn": 900,
            "refreshToken": "renewed-refresh-token", "idToken": "id-token",
        }))

    def credentials(self, token_field):
        return {
            "AccessKeyId": KEY,
            "SecretAccessKey": SECRET,
            token_field: "session-token-from-the-endpoint",
            "Expiration": expiration().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def imds(self, path):
        if self.headers.get("x-aws-ec2-metadata-token") != IMDS_TOKEN:
            return self.answer(401, "", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return self.answer(200, ROLE, "text/plain")
        if path == base + ROLE:
            body = self.credentials("Token") | {"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": "2026-01-01T00:00:00Z"}
            return self.answer(200, json.dumps(body))
        self.answer(404, "", "text/plain")

    def sso(self, query):
        if self.headers.get("x-amz-sso_bearer_token") != SSO_TOKEN or not query.get("role_name") or not query.get("account_id"):
            return self.answer(401, json.dumps({"message": "Session token not found or invalid"}))
        millis = int(expiration().timestamp() * 1000)
        creds = {"accessKeyId": KEY, "secretAccessKey": SECRET, "sessionToken": "sso-session", "expiration": millis}
        self.answer(200, json.dumps({"roleCredentials": creds}))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
