//! A bash script of `aws iam` calls (`assets/export/setup.sh`), with the documents beside it: safe to run twice,
//! tags as `apply` sets them, an access key only when run with `--with-access-key`.

use super::documents::{files, policy_path, trust_path};
use super::{ExportFile, ExportFormat, Model, Origin, describe};

static SCRIPT: &str = include_str!("../../assets/export/setup.sh");

/// A word for bash, single-quoted (IAM names cannot hold a quote, but nothing here relies on that).
pub(crate) fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub(super) fn render(m: &Model<'_>, origin: &Origin) -> Vec<ExportFile> {
    let p = m.params;
    let header = format!(
        "# The {setup} setup of Amazon Pinpoint's IAM guides, as AWS CLI calls.\n\
         # Made by pinpoint-iam-wizard {version} on {date} (UTC) from:\n\
         #   pinpoint-iam-wizard export {described} --as cli\n\
         {end_of_support}",
        setup = p.setup,
        version = origin.version,
        date = origin.date,
        described = describe(p, ExportFormat::Cli),
        end_of_support = super::end_of_support_comment(m),
    );
    let header = header.trim_end();
    let mut checks = Vec::new();
    let mut steps = Vec::new();
    for pol in &m.policies {
        checks.push(format!("check_policy {}", sh(pol.name.as_str())));
        steps.push(format!("ensure_policy {} {}", sh(pol.name.as_str()), sh(&policy_path(pol.name.as_str()))));
    }
    for r in &m.roles {
        checks.push(format!("check_role {}", sh(r.name.as_str())));
        steps.push(format!("ensure_role {} {}", sh(r.name.as_str()), sh(&trust_path(r.name.as_str()))));
        for f in &r.policies {
            steps.push(format!("attach role {} {}", sh(r.name.as_str()), sh(f.name.as_str())));
        }
    }
    for u in &m.users {
        checks.push(format!("check_user {}", sh(u.name.as_str())));
        steps.push(format!("ensure_user {}", sh(u.name.as_str())));
        for f in &u.policies {
            steps.push(format!("attach user {} {}", sh(u.name.as_str()), sh(f.name.as_str())));
        }
        if u.access_key {
            steps.push(format!("access_key {}", sh(u.name.as_str())));
        }
    }
    let script = SCRIPT
        .replace("{{header}}", header)
        .replace("{{account}}", p.account.as_str())
        .replace("{{partition}}", p.partition())
        .replace("{{path}}", &sh(p.path.as_str()))
        .replace("{{boundary}}", &sh(p.boundary.as_ref().map_or("", |b| b.as_str())))
        .replace("{{setup}}", p.setup.as_str())
        .replace("{{has_user}}", if m.users.iter().any(|u| u.access_key) { "true" } else { "false" })
        .replace("{{checks}}", &checks.join("\n"))
        .replace("{{steps}}", &steps.join("\n"));
    let mut out = vec![ExportFile { path: "setup.sh".into(), contents: script, executable: true }];
    out.extend(files(m, "documents/"));
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{origin, params};
    use super::super::{ExportFormat, render as render_any};
    use super::*;
    use crate::setup::Selection;

    #[test]
    fn the_script_creates_each_resource_after_checking_all() {
        let p = params(Selection::all());
        let files = render_any(&p, ExportFormat::Cli, &origin()).unwrap();
        let script = &files[0];
        assert_eq!(script.path, "setup.sh");
        assert!(script.executable);
        let s = &script.contents;
        assert!(s.starts_with("#!/usr/bin/env bash\n# The all setup"), "{s}");
        assert!(s.contains("\nset -euo pipefail\n"));
        assert!(!s.contains("{{"), "a placeholder is left: {s}");
        assert!(s.contains("account='210987654321'"));
        let first_write = s.find("\nensure_policy 'PostmanAccessPolicy'").unwrap();
        let last_check = s.find("\ncheck_user 'PostmanUser'").unwrap();
        assert!(last_check < first_write);
        assert!(s.contains("attach role 'ImporterPinpointRole' 'ImporterPinpointPolicy'"));
        assert!(s.contains("ensure_role 'PinpointSegmentImport' 'trust/PinpointSegmentImport.json'"));
        assert!(files.iter().any(|f| f.path == "documents/policies/ImporterS3Policy.json" && !f.executable));
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh("a'b"), r"'a'\''b'");
    }
}
