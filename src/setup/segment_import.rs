//! Step 2 of the segment import tutorial: the Lambda that splits the CSV reads and writes the bucket
//! (`ImporterS3Role`), Pinpoint reads the files through a role it assumes (`PinpointSegmentImport`), and the
//! Lambda that starts the import may pass that role to Pinpoint (`ImporterPinpointRole`).

use super::registry::{NameField, Param, PolicyDef, RoleDef, SetupDef};
use super::template::{DocKind, LAMBDA_TRUST, template};
use super::values::IamKind;

template!(IMPORTER_S3, DocKind::Policy, "policies/importer-s3.json");
template!(IMPORTER_S3_PASSTHROUGH, DocKind::Policy, "policies/importer-s3-passthrough.json");
template!(IMPORTER_PINPOINT, DocKind::Policy, "policies/importer-pinpoint.json");
template!(IMPORTER_S3_TIGHTENED, DocKind::Policy, "tightened/importer-s3.json");
template!(IMPORTER_S3_PASSTHROUGH_TIGHTENED, DocKind::Policy, "tightened/importer-s3-passthrough.json");
template!(IMPORTER_PINPOINT_TIGHTENED, DocKind::Policy, "tightened/importer-pinpoint.json");
template!(PINPOINT_TRUST, DocKind::Trust, "trust/pinpoint.json");
template!(PINPOINT_TRUST_HARDENED, DocKind::Trust, "trust/pinpoint-hardened.json");

pub static S3_POLICY: NameField =
    NameField { flag: "--s3-policy-name", label: "S3 policy", kind: IamKind::Policy, default: "ImporterS3Policy" };
pub static S3_ROLE: NameField =
    NameField { flag: "--s3-role-name", label: "S3 role", kind: IamKind::Role, default: "ImporterS3Role" };
pub static PASSTHROUGH_POLICY: NameField = NameField {
    flag: "--passthrough-policy-name",
    label: "S3 passthrough policy",
    kind: IamKind::Policy,
    default: "ImporterS3PassthroughPolicy",
};
pub static IMPORT_ROLE: NameField = NameField {
    flag: "--import-role-name",
    label: "Segment import role",
    kind: IamKind::Role,
    default: "PinpointSegmentImport",
};
pub static PINPOINT_POLICY: NameField = NameField {
    flag: "--pinpoint-policy-name",
    label: "Pinpoint policy",
    kind: IamKind::Policy,
    default: "ImporterPinpointPolicy",
};
pub static PINPOINT_ROLE: NameField = NameField {
    flag: "--pinpoint-role-name",
    label: "Pinpoint role",
    kind: IamKind::Role,
    default: "ImporterPinpointRole",
};

pub static SETUP: SetupDef = SetupDef {
    id: "segment-import",
    title: "Segment import (S3 → Pinpoint via Lambda)",
    gist: "the three roles of the segment import",
    creates: &[
        "ImporterS3Policy + role ImporterS3Role (Lambda)",
        "ImporterS3PassthroughPolicy + role PinpointSegmentImport (Pinpoint)",
        "ImporterPinpointPolicy + ImporterPinpointRole (Lambda, + the S3 policy)",
    ],
    warnings: &[],
    end_of_support: Some(
        "Segment import: the import jobs these roles exist for ended with Pinpoint's end of support on 2026-10-30; \
         AWS points to Amazon Connect Customer Profiles instead.",
    ),
    params: &[Param::Bucket, Param::Project],
    names: &[&S3_POLICY, &S3_ROLE, &PASSTHROUGH_POLICY, &IMPORT_ROLE, &PINPOINT_POLICY, &PINPOINT_ROLE],
    policies: &[
        PolicyDef { name: &S3_POLICY, document: &IMPORTER_S3, tightened: &IMPORTER_S3_TIGHTENED },
        PolicyDef {
            name: &PASSTHROUGH_POLICY,
            document: &IMPORTER_S3_PASSTHROUGH,
            tightened: &IMPORTER_S3_PASSTHROUGH_TIGHTENED,
        },
        PolicyDef { name: &PINPOINT_POLICY, document: &IMPORTER_PINPOINT, tightened: &IMPORTER_PINPOINT_TIGHTENED },
    ],
    users: &[],
    roles: &[
        RoleDef { name: &S3_ROLE, trust: &LAMBDA_TRUST, tightened_trust: &LAMBDA_TRUST, policies: &[&S3_POLICY] },
        RoleDef {
            name: &IMPORT_ROLE,
            trust: &PINPOINT_TRUST,
            tightened_trust: &PINPOINT_TRUST_HARDENED,
            policies: &[&PASSTHROUGH_POLICY],
        },
        RoleDef {
            name: &PINPOINT_ROLE,
            trust: &LAMBDA_TRUST,
            tightened_trust: &LAMBDA_TRUST,
            policies: &[&S3_POLICY, &PINPOINT_POLICY],
        },
    ],
    next: |n| {
        format!(
            "Segment import: give the Lambda function the role {}; pass {} to CreateImportJob (the guide's next \
             step, though import jobs ended with Pinpoint's end of support on 2026-10-30).",
            n.get(&PINPOINT_ROLE),
            n.get(&IMPORT_ROLE)
        )
    },
};
