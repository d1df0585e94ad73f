"""A TCP proxy on loopback that adds a fixed latency to every request/answer round trip, and logs the requests.

Every chunk from the client reaches the server `delay` seconds after it arrived, in order; answers come back at
once. So each round trip costs `delay` more, whether the client reuses a keep-alive connection or opens a new one
(connecting itself costs nothing extra). The proxy runs its own asyncio loop in a daemon thread.

Requests are told apart by HTTP/1.1's turn-taking (clients here never pipeline): client bytes on an idle
connection start a request, server bytes answer it. Each request is logged with its start (its first byte at the
proxy), its end (the last answer byte) and its action (`iam:CreateRole`, from the SigV4 scope and the form body).
"""

import asyncio
import re
import threading
import time
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
_SCOPE = re.compile(rb"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_ACTION = re.compile(rb"(?:^|&)Action=(\w+)")
_HEAD_BYTES = 16384  # enough of each request to find its action


@dataclass
class Request:
    start: float
    end: float | None = None
    head: bytes = b""

    @property
    def action(self) -> str:
        """`iam:CreateRole` for a query-protocol call; `s3:GET /` for a REST one (its method and path)."""
        service = _SCOPE.search(self.head)
        action = _ACTION.search(self.head.partition(b"\r\n\r\n")[2])
        if action is not None:
            name = action[1].decode()
        else:
            method, _, rest = self.head.decode("latin-1").partition(" ")
            name = method + " " + rest.split(" ")[0].split("?")[0]
        return (service[1].decode() if service else "?") + ":" + name


def dependent_rounds(requests: list[Request]) -> list[int]:
    """The round of each request: 1 + the latest round among the requests answered before it started."""
    rounds: list[int] = []
    for i, r in enumerate(requests):  # in start order: a request answered before r started is among the first i
        earlier = [rounds[j] for j, q in enumerate(requests[:i]) if q.end is not None and q.end <= r.start]
        rounds.append(1 + max(earlier, default=0))
    return rounds


class LatencyProxy:
    """`start` it, point clients at `url`, set `delay` at any time, read the log with `take_requests`."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.delay = 0.0  # seconds; read as each chunk arrives
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._pumps: set[asyncio.Task] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        """Start listening on a free loopback port: `url` is where clients connect."""
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._serve, LOOPBACK, 0), self._loop)
        self._server = server.result(timeout=10)
        self.url = f"http://{LOOPBACK}:{self._server.sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        """Close every connection and the listener, and end the thread."""
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    async def _shutdown(self) -> None:
        self._server.close()
        for pump in self._pumps:
            pump.cancel()  # each connection then closes itself
        await asyncio.gather(*asyncio.all_tasks() - {asyncio.current_task()}, return_exceptions=True)

    def take_requests(self) -> list[Request]:
        """The requests logged since the last call, oldest first."""
        with self._lock:
            taken, self._requests = self._requests, []
        return taken

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        except OSError:
            client_w.close()
            return
        state = {"sending": None, "answered": None}  # the request being sent, the one last answered
        queue: asyncio.Queue = asyncio.Queue()

        async def uplink() -> None:
            try:
                while chunk := await client_r.read(65536):
                    now = time.monotonic()
                    if state["sending"] is None:
                        state["sending"] = Request(start=now)
                        with self._lock:
                            self._requests.append(state["sending"])
                    request = state["sending"]
                    request.head += chunk[: _HEAD_BYTES - len(request.head)]
                    queue.put_nowait((now + self.delay, chunk))
            except OSError:
                pass
            queue.put_nowait((time.monotonic() + self.delay, b""))

        async def deliver() -> None:  # ends when the client's end of stream is delivered
            try:
                while True:
                    due, chunk = await queue.get()
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    if not chunk:
                        return
                    server_w.write(chunk)
                    await server_w.drain()
            except OSError:
                pass

        async def downlink() -> None:  # ends when the server closes
            try:
                while chunk := await server_r.read(65536):
                    if state["sending"] is not None:
                        state["answered"], state["sending"] = state["sending"], None
                    if state["answered"] is not None:
                        state["answered"].end = time.monotonic()
                    client_w.write(chunk)
                    await client_w.drain()
            except OSError:
                pass

        pumps = [asyncio.create_task(pump()) for pump in (uplink, deliver, downlink)]
        self._pumps.update(pumps)
        await asyncio.wait(pumps[1:], return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
        self._pumps.difference_update(pumps)
        client_w.close()
        server_w.close()
