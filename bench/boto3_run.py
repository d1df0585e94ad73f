"""The boto3 contender: both guides' calls one after another in this one process (bench.py times all of it).

Usage: boto3_run.py ENDPOINT_URL DOCUMENTS_DIR RUN_ID (credentials and Region from the environment).
"""

import sys
from pathlib import Path

import boto3
from calls import provision


def main() -> None:
    endpoint, docs, run_id = sys.argv[1:]
    session = boto3.Session()
    clients = {service: session.client(service, endpoint_url=endpoint) for service in ("sts", "iam")}
    provision(Path(docs), run_id, lambda service, operation, params: getattr(clients[service], operation)(**params))


if __name__ == "__main__":
    main()
