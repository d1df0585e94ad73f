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


# moto 5.2.5 has no user permissions boundary: CreateUser ignores PermissionsBoundary, GetUser never returns
# one, PutUserPermissionsBoundary and DeleteUserPermissionsBoundary are unknown actions, and CloudFormation's
# AWS::IAM::User drops the property. IAM has all of them (issue 19's guardrails need them): keep the boundary
# on the user as moto keeps a role's.
from moto.core.serialize import never_return, return_if_not_empty
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses


def _user_boundary(self):
    arn = getattr(self, "permissions_boundary_arn", None)
    if arn:
        return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    return None


iam_models.User.permissions_boundary = property(_user_boundary)
iam_responses.IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.update(
    {
        "CreateUserResponse.User.PermissionsBoundary": return_if_not_empty,
        "GetUserResponse.User.PermissionsBoundary": return_if_not_empty,
        "ListUsersResponse.Users.User.PermissionsBoundary": never_return,
    }
)


def _check_boundary(backend, arn):
    if arn and not backend.policy_arn_regex.match(arn):
        raise iam_models.RESTError(
            "InvalidParameterValue", f"Value ({arn}) for parameter PermissionsBoundary is invalid."
        )


def _set_user_boundary(backend, user_name, arn):
    _check_boundary(backend, arn)
    backend.get_user(user_name).permissions_boundary_arn = arn or None


_original_create_user = iam_responses.IamResponse.create_user


def _create_user_with_boundary(self):
    boundary = self._get_param("PermissionsBoundary")
    _check_boundary(self.backend, boundary)
    result = _original_create_user(self)
    if boundary:
        _set_user_boundary(self.backend, self._get_param("UserName"), boundary)
    return result


def _put_user_permissions_boundary(self):
    _set_user_boundary(self.backend, self._get_param("UserName"), self._get_param("PermissionsBoundary"))
    return iam_responses.EmptyResult()


def _delete_user_permissions_boundary(self):
    _set_user_boundary(self.backend, self._get_param("UserName"), None)
    return iam_responses.EmptyResult()


iam_responses.IamResponse.create_user = _create_user_with_boundary
iam_responses.IamResponse.put_user_permissions_boundary = _put_user_permissions_boundary
iam_responses.IamResponse.delete_user_permissions_boundary = _delete_user_permissions_boundary

# moto 5.2.5 keys a user's tags by its ARN, which holds the path: UpdateUser's NewPath left them under the old
# ARN (the user lost its tags, ours included). IAM keeps them: move them with the user.
_original_update_user = iam_models.IAMBackend.update_user


def _update_user_keeping_tags(self, user_name, new_path=None, new_user_name=None):
    user = self.users.get(user_name)
    old_arn = user.arn if user else None
    tags = self.tagger.list_tags_for_resource(old_arn)["Tags"] if old_arn else []
    _original_update_user(self, user_name, new_path, new_user_name)
    if user and user.arn != old_arn:
        self.tagger.delete_all_tags_for_resource(old_arn)
        self.tagger.tag_resource(user.arn, tags)


iam_models.IAMBackend.update_user = _update_user_keeping_tags

# moto 5.2.5's CloudFormation AWS::IAM::User drops PermissionsBoundary: set it after the create.
_original_user_from_cfn = iam_models.User.create_from_cloudformation_json.__func__


def _user_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    user = _original_user_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    boundary = cloudformation_json.get("Properties", {}).get("PermissionsBoundary")
    if boundary:
        user.permissions_boundary_arn = boundary
    return user


iam_models.User.create_from_cloudformation_json = classmethod(_user_from_cfn)


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
