//! The Postman guide (Create IAM policies and roles for use with Amazon Pinpoint): a policy, a user with it
//! attached, and the user's access key.

use super::registry::{NameField, PolicyDef, SetupDef, UserDef};
use super::template::{DocKind, template};
use super::values::IamKind;

template!(POSTMAN_ACCESS, DocKind::Policy, "policies/postman-access.json");
template!(POSTMAN_ACCESS_TIGHTENED, DocKind::Policy, "tightened/postman-access.json");

pub static POLICY: NameField = NameField {
    flag: "--postman-policy-name",
    label: "Postman policy",
    kind: IamKind::Policy,
    default: "PostmanAccessPolicy",
};
pub static USER: NameField =
    NameField { flag: "--postman-user-name", label: "Postman user", kind: IamKind::User, default: "PostmanUser" };

pub static SETUP: SetupDef = SetupDef {
    id: "postman",
    title: "Postman (test the Pinpoint API)",
    gist: "the Postman user and its access key",
    creates: &[
        "policy PostmanAccessPolicy",
        "user PostmanUser, with the policy attached",
        "one access key (the secret is shown once)",
    ],
    warnings: &["IAM users have long-term credentials, a security risk: give them only the permissions they need, \
                 and remove them when no longer needed."],
    // Its policy's wildcards are explained one by one by the findings; the Welcome screen has no room for more.
    end_of_support: None,
    params: &[],
    names: &[&POLICY, &USER],
    policies: &[PolicyDef { name: &POLICY, document: &POSTMAN_ACCESS, tightened: &POSTMAN_ACCESS_TIGHTENED }],
    users: &[UserDef { name: &USER, policies: &[&POLICY], access_key: true }],
    roles: &[],
    next: |n| {
        format!(
            "Postman: use {}'s access key id and the secret you stored in the collection's AWS Signature auth.",
            n.get(&USER)
        )
    },
};
