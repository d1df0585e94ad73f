//! Every policy and trust document as pretty JSON, a file per resource, and a README that says what each is.

use super::{ExportFile, ExportFormat, Model, Origin, describe, pretty};

/// The file of a managed policy's document.
pub(crate) fn policy_path(name: &str) -> String {
    format!("policies/{name}.json")
}

/// The file of a role's trust policy.
pub(crate) fn trust_path(name: &str) -> String {
    format!("trust/{name}.json")
}

/// The documents alone (the script ships them too, under `documents/`).
pub(crate) fn files(m: &Model<'_>, prefix: &str) -> Vec<ExportFile> {
    let policies = m.policies.iter().map(|p| ExportFile {
        path: format!("{prefix}{}", policy_path(p.name.as_str())),
        contents: pretty(&p.document) + "\n",
        executable: false,
    });
    let trusts = m.roles.iter().map(|r| ExportFile {
        path: format!("{prefix}{}", trust_path(r.name.as_str())),
        contents: pretty(&r.trust) + "\n",
        executable: false,
    });
    policies.chain(trusts).collect()
}

/// What the README says of the path and the permissions boundary, when the guardrails give them.
fn guardrails_section(m: &Model<'_>) -> String {
    let p = m.params;
    if p.path.is_root() && p.boundary.is_none() {
        return String::new();
    }
    let mut out = String::from("\n## Guardrails\n\n");
    if !p.path.is_root() {
        out.push_str(&format!(
            "Every policy, role and user goes under the path `{}` (in the IAM console: the policy's, role's or \
             user's path; the ARNs above include it).\n",
            p.path
        ));
    }
    if let Some(b) = &p.boundary {
        out.push_str(&format!(
            "Every role and the user carry the permissions boundary `{b}` (in the IAM console: \"Set permissions \
             boundary\" when creating each).\n"
        ));
    }
    out
}

pub(super) fn render(m: &Model<'_>, origin: &Origin) -> Vec<ExportFile> {
    let p = m.params;
    let mut readme = format!(
        "# Amazon Pinpoint IAM documents: the {setup} setup\n\n\
         Made by pinpoint-iam-wizard {version} on {date} (UTC) from:\n\n    \
         pinpoint-iam-wizard export {described} --as documents\n\n\
         Each file is the document `pinpoint-iam-wizard apply` writes in account {account}, as the IAM console's \
         JSON editor takes it.\n\n\
         | File | Resource | ARN | Attached to |\n| --- | --- | --- | --- |\n",
        setup = p.setup,
        version = origin.version,
        date = origin.date,
        described = describe(p, ExportFormat::Documents),
        account = p.account,
    );
    for pol in &m.policies {
        let mut to: Vec<String> = pol.roles.iter().map(|f| format!("role {}", f.name)).collect();
        to.extend(pol.users.iter().map(|f| format!("user {}", f.name)));
        readme.push_str(&format!(
            "| `{}` | policy {} | `{}` | {} |\n",
            policy_path(pol.name.as_str()),
            pol.name,
            p.policy_arn(&pol.name),
            to.join(", ")
        ));
    }
    for r in &m.roles {
        readme.push_str(&format!(
            "| `{}` | trust policy of role {} | `{}` | |\n",
            trust_path(r.name.as_str()),
            r.name,
            p.role_arn(&r.name)
        ));
    }
    for u in &m.users {
        let to: Vec<String> = u.policies.iter().map(|f| format!("policy {}", f.name)).collect();
        readme.push_str(&format!(
            "\nUser {} (`{}`) has {} attached and needs one access key: make it where its secret is shown only to \
             you (the IAM console, or `pinpoint-iam-wizard apply`); no file here holds a key.\n",
            u.name,
            p.user_arn(&u.name),
            to.join(", ")
        ));
    }
    readme.push_str(&guardrails_section(m));
    let ended = super::end_of_support_lines(m);
    if !ended.is_empty() {
        readme.push_str("\n## Amazon Pinpoint's end of support (2026-10-30)\n\n");
        for l in ended {
            readme.push_str(&format!("- {l}\n"));
        }
    }
    let mut out = vec![ExportFile { path: "README.md".into(), contents: readme, executable: false }];
    out.extend(files(m, ""));
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{origin, params};
    use super::super::{ExportFormat, render as render_any};
    use crate::setup::Selection;

    #[test]
    fn a_file_per_document_equal_to_the_rendered_one() {
        let p = params(Selection::all());
        let d = p.desired().unwrap();
        let files = render_any(&p, ExportFormat::Documents, &origin()).unwrap();
        assert_eq!(files.len(), 1 + d.policies.len() + d.roles.len());
        for pol in &d.policies {
            let f = files.iter().find(|f| f.path == format!("policies/{}.json", pol.name)).unwrap();
            assert_eq!(serde_json::from_str::<serde_json::Value>(&f.contents).unwrap(), pol.document);
        }
        for r in &d.roles {
            let f = files.iter().find(|f| f.path == format!("trust/{}.json", r.name)).unwrap();
            assert_eq!(serde_json::from_str::<serde_json::Value>(&f.contents).unwrap(), r.trust);
        }
        let readme = &files[0].contents;
        assert!(readme.contains("pinpoint-iam-wizard 9.9.9 on 2026-11-23"), "{readme}");
        assert!(readme.contains("--setup all --account-id 210987654321"), "{readme}");
        assert!(files.iter().all(|f| !f.executable));
    }
}
