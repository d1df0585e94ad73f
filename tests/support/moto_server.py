"""Start a moto server on a free loopback port for the Rust tests.

Prints "PORT <n>" once it listens, then serves until its stdin closes (the test process exited)
or it is killed, so no server outlives its tests.
"""

import os
import sys
import threading

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.pinpoint import models as pinpoint_models


# moto 5.2.5 (pinned in requirements.txt) answers Pinpoint CreateApp/GetApps with CreationDate as a
# number; AWS sends an ISO-8601 string and aws-sdk-pinpoint rejects the number. Send the string.
_original_to_json = pinpoint_models.App.to_json


def _to_json_with_string_date(self):
    out = _original_to_json(self)
    created = out.get("CreationDate")
    if isinstance(created, (int, float)):
        import datetime

        out["CreationDate"] = (
            datetime.datetime.fromtimestamp(created, tz=datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        )
    return out


pinpoint_models.App.to_json = _to_json_with_string_date


# With MOTO_SKIP_SIGNATURE_CHECK=1 (tests that enforce IAM authorization), skip moto 5.2.5's own SigV4
# check: it recomputes the signature from the re-encoded form body and disagrees with the Rust SDK's
# encoding of JSON policy documents (real AWS accepts them). Authorization is still enforced.
if os.environ.get("MOTO_SKIP_SIGNATURE_CHECK") == "1":
    from moto.iam import access_control

    access_control.IAMRequestBase.check_signature = lambda self: None


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"PORT {port}", flush=True)
    # The tests read that one line and close their end of the pipe. moto prints to stdout when a request has
    # no backend (IAM Access Analyzer's ValidatePolicy: "Unable to find appropriate backend"), and that print
    # to the closed pipe kills the request's thread before it answers: the client would wait until its
    # timeout instead of getting moto's HTTP 500.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    done = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
