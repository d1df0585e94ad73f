"""Both guides (`--setup all`) as the AWS calls a script would make, one after another.

The documents are the ones `pinpoint-iam-wizard export --as documents` wrote; the tags and descriptions are the
ones `apply` sets. `provisioning` yields each call as (service, operation, parameters) in boto3's terms and
receives its answer (the parsed response), so the AWS CLI and boto3 contenders send exactly the same requests.
"""

from pathlib import Path

POLICIES = ["PostmanAccessPolicy", "ImporterS3Policy", "ImporterS3PassthroughPolicy", "ImporterPinpointPolicy"]
ROLE_POLICIES = {
    "ImporterS3Role": ["ImporterS3Policy"],
    "PinpointSegmentImport": ["ImporterS3PassthroughPolicy"],
    "ImporterPinpointRole": ["ImporterS3Policy", "ImporterPinpointPolicy"],
}
USER = "PostmanUser"
USER_POLICIES = ["PostmanAccessPolicy"]
DESCRIPTION = "Created by pinpoint-iam-wizard"
KEY_DESCRIPTION = "Application running outside AWS"
KEY_TAG_PREFIX = "pinpoint-iam-wizard:key:"


def policy_document(docs: Path, name: str) -> str:
    return (docs / "policies" / f"{name}.json").read_text()


def trust_document(docs: Path, role: str) -> str:
    return (docs / "trust" / f"{role}.json").read_text()


def provisioning(docs: Path, run_id: str):
    """The 16 calls; each `yield` returns the call's answer."""
    tags = [{"Key": "ManagedBy", "Value": "pinpoint-iam-wizard"}, {"Key": "pinpoint-iam-wizard:run", "Value": run_id}]
    identity = yield "sts", "get_caller_identity", {}
    arn = f"arn:aws:iam::{identity['Account']}:policy/"
    for name in POLICIES:
        document = policy_document(docs, name)
        yield (
            "iam",
            "create_policy",
            {"PolicyName": name, "PolicyDocument": document, "Description": DESCRIPTION, "Tags": tags},
        )
    for role in ROLE_POLICIES:
        document = trust_document(docs, role)
        yield (
            "iam",
            "create_role",
            {"RoleName": role, "AssumeRolePolicyDocument": document, "Description": DESCRIPTION, "Tags": tags},
        )
    yield "iam", "create_user", {"UserName": USER, "Tags": tags}
    for name in USER_POLICIES:
        yield "iam", "attach_user_policy", {"UserName": USER, "PolicyArn": arn + name}
    for role, names in ROLE_POLICIES.items():
        for name in names:
            yield "iam", "attach_role_policy", {"RoleName": role, "PolicyArn": arn + name}
    key = yield "iam", "create_access_key", {"UserName": USER}
    key_id = key["AccessKey"]["AccessKeyId"]
    key_tags = [{"Key": key_id, "Value": KEY_DESCRIPTION}, {"Key": KEY_TAG_PREFIX + key_id, "Value": run_id}]
    yield "iam", "tag_user", {"UserName": USER, "Tags": key_tags}


def provision(docs: Path, run_id: str, call) -> None:
    """Make every call, in order, with `call(service, operation, parameters)`, which returns the answer."""
    calls = provisioning(docs, run_id)
    answer = None
    while True:
        try:
            step = calls.send(answer)
        except StopIteration:
            return
        answer = call(*step)
