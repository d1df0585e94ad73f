"""Issue 9's benchmark: how long provisioning both guides takes from an empty account, at real-world latency.

Three contenders write the same documents with the same tags (see calls.py):
  ours   `pinpoint-iam-wizard apply --setup all ... --yes --format json`
  boto3  one Python process making the 16 calls one after another (boto3_run.py)
  cli    one `aws` process per call, one after another
against one moto server behind a loopback proxy that adds a fixed delay to every round trip (latency_proxy.py).

Before each timed run the emulator is reset, the bucket and the Pinpoint project are created, and IAM and STS
are warmed with one call each, all directly, not through the proxy.
Each run is timed from process start to exit, then the account is checked against the guides' documents.
An untimed round comes first; then rounds interleave the contenders in a rotating order. Run through scripts/bench.

With --https (issue 18), the same apply over HTTPS as AWS serves it: the latency proxy before the tests' TLS front
(tests/support/tls_front.py --keep-alive: a CA made for the run, trusted through AWS_CA_BUNDLE; the client's
connection kept open across requests, as AWS's endpoints keep it) before moto. Every flight from the client costs
the delay, TLS handshakes included, so reusing a connection saves round trips that a new one pays.
"""

import argparse
import importlib.metadata
import json
import math
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
from calls import (
    KEY_TAG_PREFIX,
    POLICIES,
    ROLE_POLICIES,
    USER,
    USER_POLICIES,
    policy_document,
    provision,
    trust_document,
)
from latency_proxy import LatencyProxy, dependent_rounds

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "target" / "bench" / "results.md"
AWS = str(Path(sys.executable).parent / "aws")  # the venv's AWS CLI
ACCOUNT = "210987654321"
REGION = "us-east-1"
BUCKET = "pinpoint-bench-imports"
CONTENDERS = ("ours", "boto3", "cli")
NAMES = {"ours": "pinpoint-iam-wizard", "boto3": "boto3", "cli": "AWS CLI"}
TARGET_SECONDS = 0.37  # issue 9: at 80 ms, ours within 15% of this


class RunFailed(Exception):
    pass


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="rounds per latency (default 15)")
    parser.add_argument(
        "--latency-ms",
        default="80,0",
        type=lambda s: [int(ms) for ms in s.split(",")],
        help="the delays added per round trip, in ms, comma-separated (default 80,0)",
    )
    parser.add_argument("--binary", default=os.environ.get("BENCH_BINARY"), help="our binary (env BENCH_BINARY)")
    parser.add_argument("--https", action="store_true", help="over HTTPS with keep-alive (issue 18), at the latencies")
    args = parser.parse_args()
    if args.binary is None:
        parser.error("--binary PATH is required (scripts/bench builds one and passes it)")
    if args.rounds < 1 or any(ms < 0 for ms in args.latency_ms):
        parser.error("--rounds must be at least 1 and --latency-ms values at least 0")
    return args


class Moto:
    """The repository's moto launcher on a free loopback port; `stop` ends it."""

    def __init__(self, log: Path):
        env = os.environ | {"MOTO_ACCOUNT_ID": ACCOUNT}
        with log.open("w") as stderr:
            launcher = [sys.executable, str(ROOT / "tests/support/moto_server.py")]
            self.process = subprocess.Popen(
                launcher, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True
            )
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise SystemExit(f"the moto server did not start (its output is in {log})")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        clients = (session.client(s, endpoint_url=self.url) for s in ("iam", "s3", "pinpoint", "sts"))
        self.iam, self.s3, self.pinpoint, self.sts = clients

    def stop(self) -> None:
        self.process.stdin.close()  # the launcher serves until its stdin closes
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def fresh_account(self) -> str:
        """Reset, create the bucket and the project the setup needs, warm IAM and STS; return the project id."""
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30)
        self.s3.create_bucket(Bucket=BUCKET)
        project = self.pinpoint.create_app(CreateApplicationRequest={"Name": "bench"})["ApplicationResponse"]["Id"]
        # Warm: a service's first call in moto's process is slow (~0.2 s for IAM). Moto 5.2.5 loads no AWS managed
        # policies by default, so after a reset IAM is fast again; the call keeps it so if that setting changes.
        self.iam.list_policies(Scope="Local")
        self.sts.get_caller_identity()
        return project


def contender_env(home: str) -> dict:
    """No AWS_* variable of this shell, the emulator's keys, and a HOME without ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "HOME": home,
    }


def run(what: str, argv: list[str], env: dict) -> str:
    """Standard output of a command that must succeed; RunFailed names `what` and ends with its stderr."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = " / ".join(done.stderr.strip().splitlines()[-3:])
        raise RunFailed(f"{what}: exit {done.returncode}: {tail}")
    return done.stdout


def export_documents(binary: str, project: str, out: Path, env: dict) -> None:
    options = f"--region {REGION} export --setup all --account-id {ACCOUNT} --bucket {BUCKET} --project-id {project}"
    argv = [binary, *options.split(), "--as", "documents", "--force", "--out", str(out)]
    run("pinpoint-iam-wizard export", argv, env)


@dataclass
class Contenders:
    """What every contender needs for one run: each method provisions both guides once, or raises RunFailed."""

    binary: str
    url: str  # the proxy's
    project: str
    docs: Path
    env: dict

    def ours(self) -> None:
        options = f"--endpoint-url {self.url} --region {REGION} apply --setup all --bucket {BUCKET}"
        out = run(
            "pinpoint-iam-wizard apply",
            [self.binary, *options.split(), "--project-id", self.project, "--yes", "--format", "json"],
            self.env,
        )
        error = json.loads(out)["error"]
        if error is not None:
            raise RunFailed(f"apply reported an error: {error}")

    def boto3(self) -> None:
        script = str(ROOT / "bench/boto3_run.py")
        run("boto3_run.py", [sys.executable, script, self.url, str(self.docs), secrets.token_hex(8)], self.env)

    def cli(self) -> None:
        def call(service: str, operation: str, params: dict) -> dict:
            command = f"aws {service} {operation.replace('_', '-')}"
            options = ["--endpoint-url", self.url, "--output", "json", "--cli-input-json", json.dumps(params)]
            return json.loads(run(command, [AWS, *command.split()[1:], *options], self.env) or "{}")

        provision(self.docs, secrets.token_hex(8), call)


def check_account(iam, docs: Path) -> list[str]:
    """What differs from the guides: policies, default versions, trusts, attachments, the one marked key."""
    problems = []
    policies = {p["PolicyName"]: p for p in iam.list_policies(Scope="Local")["Policies"]}
    roles = {r["RoleName"]: r for r in iam.list_roles()["Roles"]}
    users = [u["UserName"] for u in iam.list_users()["Users"]]
    if sorted(policies) != sorted(POLICIES):
        problems.append(f"policies are {sorted(policies)}, expected {sorted(POLICIES)}")
    if sorted(roles) != sorted(ROLE_POLICIES):
        problems.append(f"roles are {sorted(roles)}, expected {sorted(ROLE_POLICIES)}")
    if users != [USER]:
        return problems + [f"users are {users}, expected {[USER]}"]
    for name, policy in policies.items():
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        if name in POLICIES and version["PolicyVersion"]["Document"] != json.loads(policy_document(docs, name)):
            problems.append(f"policy {name}: its default version's document is not the guide's")
    for name, role in roles.items():
        if name not in ROLE_POLICIES:
            continue
        if role["AssumeRolePolicyDocument"] != json.loads(trust_document(docs, name)):
            problems.append(f"role {name}: its trust policy is not the guide's")
        attached = sorted(p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])
        if attached != sorted(ROLE_POLICIES[name]):
            problems.append(f"role {name}: attached {attached}, expected {sorted(ROLE_POLICIES[name])}")
    attached = sorted(p["PolicyName"] for p in iam.list_attached_user_policies(UserName=USER)["AttachedPolicies"])
    if attached != sorted(USER_POLICIES):
        problems.append(f"user {USER}: attached {attached}, expected {sorted(USER_POLICIES)}")
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]]
    tags = {t["Key"] for t in iam.list_user_tags(UserName=USER)["Tags"]}
    if len(keys) != 1:
        problems.append(f"user {USER}: {len(keys)} access keys, expected 1")
    elif KEY_TAG_PREFIX + keys[0] not in tags:
        problems.append(f"user {USER}: no tag {KEY_TAG_PREFIX}{keys[0]} marks its access key")
    return problems


def p90(times: list[float]) -> float:
    return sorted(times)[math.ceil(0.9 * len(times)) - 1]


def span(values: list[int]) -> str:
    return "–" if not values else str(min(values)) if min(values) == max(values) else f"{min(values)}–{max(values)}"


def describe_machine(binary: str, env: dict) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown CPU")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    aws = run("aws --version", [AWS, "--version"], env).split()
    versions = [
        run("pinpoint-iam-wizard --version", [binary, "--version"], env).strip(),
        f"{aws[0]} ({aws[-1]})",
        f"boto3/{importlib.metadata.version('boto3')} (botocore/{importlib.metadata.version('botocore')})",
        f"moto/{importlib.metadata.version('moto')}",
        f"Python/{platform.python_version()}",
    ]
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; checkout {commit.stdout.strip() or 'unknown'}; "
        f"binary `{binary}`",
        f"- Machine: {os.cpu_count()} × {cpu}; Linux {platform.release()}",
        f"- Tools: {', '.join(versions)}",
    ]


def report(times: dict, calls: dict, rounds: dict, latencies: list[int], machine: list[str], ours_first) -> str:
    """The results in markdown; `ours_first` is (latency, requests) of our first run with added latency, or None."""
    lines = ["# Provisioning both guides from an empty account (issue 9)", "", *machine, ""]
    lines += [
        "| added latency | who | median | min | p90 | vs ours | runs | AWS calls | dependent rounds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    medians = {}
    for ms in latencies:
        for who in CONTENDERS:
            t = times[ms, who]
            if not t:
                lines.append(f"| {ms} ms | {NAMES[who]} | – | – | – | – | 0 | – | – |")
                continue
            medians[ms, who] = statistics.median(t)
            ratio = f"{medians[ms, who] / medians[ms, 'ours']:.1f}×" if (ms, "ours") in medians else "–"
            lines.append(
                f"| {ms} ms | {NAMES[who]} | {medians[ms, who]:.3f} s | {min(t):.3f} s | {p90(t):.3f} s | {ratio} "
                f"| {len(t)} | {span(calls[ms, who])} | {span(rounds[ms, who])} |"
            )
    lines += [
        "",
        "Dependent rounds are counted only with added latency (at 0 ms concurrent calls need not overlap).",
        "",
    ]

    def target(ms: int, label: str, who: str, goal: float, at_most: bool) -> str:
        if (ms, who) not in medians or (ms, "ours") not in medians:
            return f"- {label}: not measured"
        value = medians[ms, who] if who == "ours" else medians[ms, who] / medians[ms, "ours"]
        met = value <= goal if at_most else value >= goal
        shown = f"{value:.3f} s" if who == "ours" else f"{value:.1f}×"
        return f"- {label}: {shown} **{'PASS' if met else 'MISS'}**"

    lines += [
        "Targets of issue 9 (medians):",
        target(
            80,
            f"at 80 ms, ours ≤ 1.15 × {TARGET_SECONDS} s = {1.15 * TARGET_SECONDS:.3f} s",
            "ours",
            1.15 * TARGET_SECONDS,
            True,
        ),
        target(80, "at 80 ms, boto3 / ours ≥ 3.5×", "boto3", 3.5, False),
        target(0, "at 0 ms, AWS CLI / ours ≥ 50×", "cli", 50, False),
    ]
    for ms in latencies:
        if ms > 0 and (0, "ours") in medians and (ms, "ours") in medians:
            floor = 4 * ms / 1000 + medians[0, "ours"]
            lines += [
                "",
                f"Four-round floor at {ms} ms: 4 × {ms} ms = {4 * ms / 1000:.3f} s + ours at 0 ms "
                f"{medians[0, 'ours']:.3f} s = {floor:.3f} s; measured {medians[ms, 'ours']:.3f} s.",
            ]
    if ours_first:
        ms, requests = ours_first
        lines += ["", f"Our calls by dependent round (first run at {ms} ms):", ""]
        by_round: dict[int, Counter] = {}
        for request, n in zip(requests, dependent_rounds(requests), strict=True):
            by_round.setdefault(n, Counter())[request.action] += 1
        for n, actions in sorted(by_round.items()):
            listed = ", ".join(f"{a} ×{c}" if c > 1 else a for a, c in actions.items())
            lines.append(f"{n}. {listed}")
    return "\n".join(lines) + "\n"


def one_run(who: str, moto: Moto, proxy: LatencyProxy, binary: str, docs: Path, env: dict):
    """On a fresh account, time one contender from process start to exit and check the account it left.

    Returns (seconds, the requests the proxy saw, what is wrong: empty when the run is good, else no seconds).
    """
    project = moto.fresh_account()
    export_documents(binary, project, docs, env)
    contenders = Contenders(binary, proxy.url, project, docs, env)
    proxy.take_requests()
    start = time.perf_counter()
    try:
        getattr(contenders, who)()
        elapsed = time.perf_counter() - start
        problems = check_account(moto.iam, docs)
    except RunFailed as e:
        elapsed, problems = None, [str(e)]
    return elapsed, proxy.take_requests(), problems


class TlsFront:
    """tests/support/tls_front.py in keep-alive mode before `upstream_port`; `take` reads and empties its log."""

    def __init__(self, upstream_port: int, out_dir: Path):
        self.log, self.ca = out_dir / "front.log", out_dir / "ca.pem"
        front = [sys.executable, str(ROOT / "tests/support/tls_front.py"), str(upstream_port), str(out_dir)]
        self.process = subprocess.Popen(
            [*front, "--keep-alive", str(self.log)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.port = int(self.process.stdout.readline().split()[1])

    def take(self) -> list[tuple[float, float, int, str]]:
        """The requests answered since the last call: (start, end, connection number, action)."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        self.log.write_text("")
        return [(float(a), float(b), int(c), d) for a, b, c, d in (line.split(" ", 3) for line in lines)]

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


def https_report(rows: dict, ms: int, machine: list[str]) -> str:
    lines = [f"# The apply over HTTPS with keep-alive, {ms} ms a round trip (issue 18)", "", *machine, ""]
    lines += [
        "| who | median | min | p90 | vs ours | runs | HTTP requests | connections | dependent round trips |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    ours = statistics.median(rows["ours"]["t"]) if rows["ours"]["t"] else None
    for who in CONTENDERS:
        r = rows[who]
        if not r["t"]:
            lines.append(f"| {NAMES[who]} | – | – | – | – | 0 | – | – | – |")
            continue
        median = statistics.median(r["t"])
        ratio = f"{median / ours:.1f}×" if ours else "–"
        lines.append(
            f"| {NAMES[who]} | {median:.3f} s | {min(r['t']):.3f} s | {p90(r['t']):.3f} s | {ratio} | {len(r['t'])} "
            f"| {span(r['calls'])} | {span(r['conns'])} | {span(r['trips'])} |"
        )
    lines += [
        "",
        "Dependent round trips: the longest chain of client flights the proxy delayed (TLS handshakes and requests),",
        "each waiting for an answer to an earlier one; the floor of a run is that many times the delay.",
    ]
    return "\n".join(lines) + "\n"


def https_run(who: str, moto: Moto, proxy: LatencyProxy, front: TlsFront, binary: str, docs: Path, env: dict):
    """One timed run over HTTPS: (seconds or None, the front's requests, the proxy's flights, problems)."""
    project = moto.fresh_account()
    export_documents(binary, project, docs, env)
    contenders = Contenders(binary, proxy.url.replace("http://", "https://"), project, docs, env)
    proxy.take_requests()
    front.take()
    start = time.perf_counter()
    try:
        getattr(contenders, who)()
        elapsed = time.perf_counter() - start
        problems = check_account(moto.iam, docs)
    except RunFailed as e:
        elapsed, problems = None, [str(e)]
    return elapsed, front.take(), proxy.take_requests(), problems


def main_https(args: argparse.Namespace) -> int:
    ms = max(args.latency_ms)
    rows = {who: {"t": [], "calls": [], "conns": [], "trips": []} for who in CONTENDERS}
    failures = []
    with tempfile.TemporaryDirectory(prefix="pinpoint-bench-https-") as tmp:
        home, docs = Path(tmp, "home"), Path(tmp, "documents")
        home.mkdir()
        env = contender_env(str(home))
        machine = describe_machine(args.binary, env)
        load_at_start = os.getloadavg()[0]
        moto = Moto(RESULTS.parent / "moto.log")
        front = TlsFront(moto.port, Path(tmp))
        env["AWS_CA_BUNDLE"] = str(front.ca)
        proxy = LatencyProxy(front.port)
        try:
            proxy.start()
            for who in CONTENDERS:  # untimed
                https_run(who, moto, proxy, front, args.binary, docs, env)
            proxy.delay = ms / 1000
            for n in range(args.rounds):
                done = []
                for who in CONTENDERS[n % 3 :] + CONTENDERS[: n % 3]:
                    elapsed, http, flights, problems = https_run(who, moto, proxy, front, args.binary, docs, env)
                    if problems:
                        failures.append(f"round {n + 1}, {NAMES[who]}: " + "; ".join(problems))
                        continue
                    r = rows[who]
                    r["t"].append(elapsed)
                    r["calls"].append(len(http))
                    r["conns"].append(len({c for _, _, c, _ in http}))
                    r["trips"].append(max(dependent_rounds(flights), default=0))
                    done.append(f"{who} {elapsed:.3f} s")
                print(f"{ms} ms HTTPS, round {n + 1}/{args.rounds}: {', '.join(done)}", flush=True)
        finally:
            proxy.stop()
            front.stop()
            moto.stop()
    machine.append(f"- Load average (1 min): {load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    text = https_report(rows, ms, machine)
    if failures:
        text += "\nFailed runs (not in the table):\n\n" + "\n".join(f"- {f}" for f in failures) + "\n"
    out = RESULTS.with_name("results-https.md")
    out.write_text(text)
    print("\n" + text + f"\nWritten to {out.relative_to(ROOT)}")
    return 1 if failures else 0


def main() -> int:
    args = parse_args()
    if args.https:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        return main_https(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds like Ctrl-C: the finally below runs
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    times = {(ms, who): [] for ms in args.latency_ms for who in CONTENDERS}
    calls = {key: [] for key in times}
    rounds = {key: [] for key in times}
    failures = []
    ours_first = None
    with tempfile.TemporaryDirectory(prefix="pinpoint-bench-") as tmp:
        home, docs = Path(tmp, "home"), Path(tmp, "documents")
        home.mkdir()
        env = contender_env(str(home))
        machine = describe_machine(args.binary, env)
        load_at_start = os.getloadavg()[0]
        moto = Moto(RESULTS.parent / "moto.log")
        proxy = LatencyProxy(moto.port)
        try:
            proxy.start()
            # An untimed round first: moto runs each IAM action's code for the first time, the OS caches the files.
            for who in CONTENDERS:
                _, _, problems = one_run(who, moto, proxy, args.binary, docs, env)
                if problems:
                    failures.append(f"warm-up, {NAMES[who]}: " + "; ".join(problems))
            for ms in args.latency_ms:
                proxy.delay = ms / 1000
                for n in range(args.rounds):
                    done = []
                    for who in CONTENDERS[n % 3 :] + CONTENDERS[: n % 3]:  # each contender first in turn
                        elapsed, requests, problems = one_run(who, moto, proxy, args.binary, docs, env)
                        if problems:
                            failures.append(f"{ms} ms, round {n + 1}, {NAMES[who]}: " + "; ".join(problems))
                            done.append(f"{who} FAILED")
                            continue
                        times[ms, who].append(elapsed)
                        calls[ms, who].append(len(requests))
                        if ms > 0:
                            rounds[ms, who].append(max(dependent_rounds(requests)))
                            if who == "ours" and ours_first is None:
                                ours_first = (ms, requests)
                        done.append(f"{who} {elapsed:.3f} s")
                    print(f"{ms} ms, round {n + 1}/{args.rounds}: {', '.join(done)}", flush=True)
        finally:
            proxy.stop()
            moto.stop()
    machine.append(
        f"- Load average (1 min, other work included): {load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    text = report(times, calls, rounds, args.latency_ms, machine, ours_first)
    if failures:
        text += "\nFailed runs (not in the table):\n\n" + "\n".join(f"- {f}" for f in failures) + "\n"
    RESULTS.write_text(text)
    print("\n" + text + f"\nWritten to {RESULTS.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted (the moto server and the proxy are stopped).", file=sys.stderr)
        sys.exit(130)
