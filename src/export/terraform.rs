//! Terraform configuration for the AWS provider: account and partition from `data.aws_caller_identity` and
//! `data.aws_partition`, the Region, bucket and project id as variables, no access key.

use super::{ExportFile, ExportFormat, Model, Origin, POLICY_DESCRIPTION, Symbol, describe, ident, pretty};
use crate::setup::MANAGED_BY_KEY;

/// The Terraform expression a symbol becomes.
pub(crate) fn expression(s: Symbol) -> &'static str {
    match s {
        Symbol::Partition => "data.aws_partition.current.partition",
        Symbol::Account => "data.aws_caller_identity.current.account_id",
        Symbol::Region => "var.region",
        Symbol::Bucket => "var.bucket",
        Symbol::Project => "var.project_id",
    }
}

/// Literal text inside a Terraform string or heredoc template: `${` and `%{` would start a template sequence.
fn template_text(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// A quoted Terraform string holding literal text.
fn string(s: &str) -> String {
    format!("\"{}\"", template_text(&s.replace('\\', "\\\\").replace('"', "\\\"")))
}

/// A JSON document as a heredoc template, with the symbols as interpolations.
fn heredoc(doc: &super::SymbolicDoc) -> String {
    let v = doc.substitute(&|s| format!("${{{}}}", expression(s)), &template_text);
    format!("<<EOT\n{}\nEOT", pretty(&v))
}

/// The Terraform state owns what it creates: `ManagedBy=terraform`, so pinpoint-iam-wizard's own `apply` and
/// `destroy` treat these resources as someone else's and never change or delete them behind the state's back.
/// The `path` (and, for a role or user, `permissions_boundary`) lines the guardrails give, if any.
fn guardrails(m: &Model<'_>, bounded: bool) -> String {
    let mut out = String::new();
    if !m.params.path.is_root() {
        out.push_str(&format!("  path = {}\n", string(m.params.path.as_str())));
    }
    if let (true, Some(b)) = (bounded, &m.boundary) {
        let literal = |t: &str| template_text(&t.replace('\\', "\\\\").replace('"', "\\\""));
        let arn = b.substitute(&|s| format!("${{{}}}", expression(s)), &literal);
        out.push_str(&format!("  permissions_boundary = \"{}\"\n", arn.as_str().unwrap_or_default()));
    }
    out
}

fn tags() -> String {
    format!("  tags = {{\n    {MANAGED_BY_KEY} = {}\n  }}\n", string("terraform"))
}

pub(super) fn render(m: &Model<'_>, origin: &Origin) -> Vec<ExportFile> {
    let p = m.params;
    let mut tf = format!(
        "# The {setup} setup of Amazon Pinpoint's IAM guides, as Terraform configuration.\n\
         # Made by pinpoint-iam-wizard {version} on {date} (UTC) from:\n\
         #   pinpoint-iam-wizard export {described} --as terraform\n\
         #\n\
         # The account and partition come from the provider's credentials (data.aws_caller_identity,\n\
         # data.aws_partition), so this applies in any account: terraform init && terraform apply\n\
         {end_of_support}\n\
         terraform {{\n  required_providers {{\n    aws = {{\n      source  = \"hashicorp/aws\"\n      \
         version = \">= 5.0\"\n    }}\n  }}\n}}\n\n\
         data \"aws_partition\" \"current\" {{}}\n\n\
         data \"aws_caller_identity\" \"current\" {{}}\n",
        setup = p.setup,
        version = origin.version,
        date = origin.date,
        described = describe(p, ExportFormat::Terraform),
        end_of_support = super::end_of_support_comment(m),
    );
    let variables = [
        (
            Symbol::Region,
            "region",
            "The Region of the Amazon Pinpoint project, as the policies name it",
            Some(m.value(Symbol::Region)),
        ),
        (
            Symbol::Bucket,
            "bucket",
            "The S3 bucket that holds the segment files",
            p.bucket.as_ref().map(|b| b.to_string()),
        ),
        (
            Symbol::Project,
            "project_id",
            "The Amazon Pinpoint project (application) id to import segments into",
            p.project.as_ref().map(|b| b.to_string()),
        ),
    ];
    for (sym, name, description, default) in variables {
        if let (true, Some(default)) = (m.uses(sym), default) {
            tf.push_str(&format!(
                "\nvariable \"{name}\" {{\n  description = {}\n  type        = string\n  default     = {}\n}}\n",
                string(description),
                string(&default)
            ));
        }
    }
    for pol in &m.policies {
        tf.push_str(&format!(
            "\nresource \"aws_iam_policy\" \"{id}\" {{\n  name        = {name}\n  description = {desc}\n  \
             policy      = {doc}\n{path}{tags}}}\n",
            id = ident(pol.field, false),
            name = string(pol.name.as_str()),
            desc = string(POLICY_DESCRIPTION),
            doc = heredoc(&pol.symbolic),
            path = guardrails(m, false),
            tags = tags(),
        ));
    }
    for r in &m.roles {
        let id = ident(r.field, false);
        tf.push_str(&format!(
            "\nresource \"aws_iam_role\" \"{id}\" {{\n  name               = {name}\n  description        = {desc}\n  \
             assume_role_policy = {doc}\n{guard}{tags}}}\n",
            name = string(r.name.as_str()),
            desc = string(POLICY_DESCRIPTION),
            doc = heredoc(&r.symbolic_trust),
            guard = guardrails(m, true),
            tags = tags(),
        ));
        for f in &r.policies {
            let pid = ident(f.field, false);
            tf.push_str(&format!(
                "\nresource \"aws_iam_role_policy_attachment\" \"{id}_{pid}\" {{\n  role       = \
                 aws_iam_role.{id}.name\n  policy_arn = aws_iam_policy.{pid}.arn\n}}\n"
            ));
        }
    }
    for u in &m.users {
        let id = ident(u.field, false);
        if u.access_key {
            tf.push_str(&format!(
                "\n# No aws_iam_access_key: Terraform would keep the key's secret in its state, readable by anyone \
                 who\n# can read the state. Make the key once, where its secret is shown only to you: \
                 pinpoint-iam-wizard\n# rotate-key --user {name}, or the IAM console.",
                name = u.name
            ));
        }
        tf.push_str(&format!(
            "\nresource \"aws_iam_user\" \"{id}\" {{\n  name = {quoted}\n{guard}{tags}}}\n",
            quoted = string(u.name.as_str()),
            guard = guardrails(m, true),
            tags = tags(),
        ));
        for f in &u.policies {
            let pid = ident(f.field, false);
            tf.push_str(&format!(
                "\nresource \"aws_iam_user_policy_attachment\" \"{id}_{pid}\" {{\n  user       = \
                 aws_iam_user.{id}.name\n  policy_arn = aws_iam_policy.{pid}.arn\n}}\n"
            ));
        }
    }
    let kinds = m
        .policies
        .iter()
        .map(|x| ("aws_iam_policy", x.field))
        .chain(m.roles.iter().map(|x| ("aws_iam_role", x.field)))
        .chain(m.users.iter().map(|x| ("aws_iam_user", x.field)));
    for (kind, f) in kinds {
        let id = ident(f, false);
        tf.push_str(&format!("\noutput \"{id}_arn\" {{\n  value = {kind}.{id}.arn\n}}\n"));
    }
    vec![ExportFile { path: "main.tf".into(), contents: tf, executable: false }]
}

#[cfg(test)]
mod tests {
    use super::super::tests::{origin, params};
    use super::super::{ExportFormat, render as render_any};
    use super::*;
    use crate::setup::Selection;

    #[test]
    fn documents_interpolate_data_sources_and_variables() {
        let mut p = params(Selection::all());
        p.harden = true;
        let f = &render_any(&p, ExportFormat::Terraform, &origin()).unwrap()[0];
        let t = &f.contents;
        assert!(!t.contains("210987654321"), "{t}");
        assert!(t.contains(
            "\"arn:${data.aws_partition.current.partition}:mobiletargeting:${var.region}:\
             ${data.aws_caller_identity.current.account_id}:apps/${var.project_id}\""
        ));
        assert!(t.contains("default     = \"eu-west-1\""));
        assert!(t.contains("resource \"aws_iam_user_policy_attachment\" \"postman_user_postman_policy\""));
        assert!(t.contains("resource \"aws_iam_role_policy_attachment\" \"pinpoint_role_s3_policy\""));
        assert!(!t.contains("resource \"aws_iam_access_key\""));
        assert!(t.contains("# No aws_iam_access_key"));
        assert!(!t.contains('\u{E000}'));
    }

    #[test]
    fn literal_template_sequences_are_escaped() {
        assert_eq!(string("a${b}%{c}\"\\"), "\"a$${b}%%{c}\\\"\\\\\"");
    }
}
