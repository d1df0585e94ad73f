//! One CloudFormation template (YAML) that deploys in any account: account, Region and partition come from the
//! stack's pseudo-parameters, the bucket and project id are parameters.

use super::{ExportFile, Model, Origin, POLICY_DESCRIPTION, Part, Symbol, describe, ident};
use crate::setup::MANAGED_BY_KEY;
use serde_json::{Map, Value, json};

/// The parameter that carries the bucket name.
pub(crate) const BUCKET_PARAMETER: &str = "BucketName";
/// The parameter that carries the Pinpoint project id.
pub(crate) const PROJECT_PARAMETER: &str = "ProjectId";

fn sub_variable(s: Symbol) -> String {
    let name = match s {
        Symbol::Partition => "AWS::Partition",
        Symbol::Account => "AWS::AccountId",
        Symbol::Region => "AWS::Region",
        Symbol::Bucket => BUCKET_PARAMETER,
        Symbol::Project => PROJECT_PARAMETER,
    };
    format!("${{{name}}}")
}

/// A string with symbols as `Fn::Sub` (literal `${` escaped as `${!`, as Fn::Sub wants).
fn sub(parts: &[Part<'_>]) -> Value {
    let mut s = String::new();
    for p in parts {
        match p {
            Part::Text(t) => s.push_str(&t.replace("${", "${!")),
            Part::Symbol(sym) => s.push_str(&sub_variable(*sym)),
        }
    }
    json!({ "Fn::Sub": s })
}

/// The stack owns what it creates: `ManagedBy=cloudformation`, so pinpoint-iam-wizard's own `apply` and
/// `destroy` treat these resources as someone else's and never change or delete them behind the stack's back.
fn tags() -> Value {
    json!([{ "Key": MANAGED_BY_KEY, "Value": "cloudformation" }])
}

pub(super) fn render(m: &Model<'_>, origin: &Origin) -> ExportFile {
    let p = m.params;
    let mut out = String::new();
    out.push_str(&format!(
        "# The {setup} setup of Amazon Pinpoint's IAM guides, as one CloudFormation template.\n\
         # Made by pinpoint-iam-wizard {version} on {date} (UTC) from:\n\
         #   pinpoint-iam-wizard export {described} --as cloudformation\n\
         #\n\
         # The account, Region and partition come from the stack (AWS::AccountId, AWS::Region, AWS::Partition),\n\
         # so the same template deploys in any account, or in every account of an organization through a\n\
         # StackSet. IAM names are global to an account: deploy it once per account (in one Region).\n\
         #   aws cloudformation deploy --template-file FILE --stack-name pinpoint-iam \\\n\
         #     --capabilities CAPABILITY_NAMED_IAM\n\
         # The policies are attached to their roles and users on the policies (Roles, Users), not on the\n\
         # roles and users (ManagedPolicyArns): both are valid CloudFormation.\n",
        setup = p.setup,
        version = origin.version,
        date = origin.date,
        described = describe(p, super::ExportFormat::CloudFormation),
    ));
    out.push_str(&super::end_of_support_comment(m));
    out.push_str("AWSTemplateFormatVersion: \"2010-09-09\"\n");
    out.push_str(&format!(
        "Description: {}\n",
        quote(&format!(
            "Amazon Pinpoint IAM setup {} (pinpoint-iam-wizard {}, {})",
            p.setup, origin.version, origin.date
        ))
    ));

    let mut params = Map::new();
    if let (true, Some(b)) = (m.uses(Symbol::Bucket), &p.bucket) {
        params.insert(
            BUCKET_PARAMETER.into(),
            json!({
                "Type": "String",
                "Default": b.as_str(),
                "Description": "The S3 bucket that holds the segment files",
                "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            }),
        );
    }
    if let (true, Some(pr)) = (m.uses(Symbol::Project), &p.project) {
        params.insert(
            PROJECT_PARAMETER.into(),
            json!({
                "Type": "String",
                "Default": pr.as_str(),
                "Description": "The Amazon Pinpoint project (application) id to import segments into",
                "AllowedPattern": "^[0-9a-f]{32}$",
            }),
        );
    }
    if !params.is_empty() {
        out.push_str("Parameters:\n");
        emit_map(&mut out, &params, 2);
    }

    out.push_str("Resources:\n");
    for pol in &m.policies {
        let mut props = Map::new();
        props.insert("ManagedPolicyName".into(), json!(pol.name.as_str()));
        props.insert("Description".into(), json!(POLICY_DESCRIPTION));
        props.insert("PolicyDocument".into(), pol.symbolic.map(&sub));
        if !p.path.is_root() {
            props.insert("Path".into(), json!(p.path.as_str()));
        }
        if !pol.roles.is_empty() {
            props.insert("Roles".into(), pol.roles.iter().map(|f| json!({ "Ref": ident(f.field, true) })).collect());
        }
        if !pol.users.is_empty() {
            props.insert("Users".into(), pol.users.iter().map(|f| json!({ "Ref": ident(f.field, true) })).collect());
        }
        let mut res = Map::new();
        res.insert(ident(pol.field, true), json!({ "Type": "AWS::IAM::ManagedPolicy", "Properties": props }));
        emit_map(&mut out, &res, 2);
    }
    for r in &m.roles {
        let mut props = Map::new();
        props.insert("RoleName".into(), json!(r.name.as_str()));
        props.insert("Description".into(), json!(POLICY_DESCRIPTION));
        props.insert("AssumeRolePolicyDocument".into(), r.symbolic_trust.map(&sub));
        guardrails(m, &mut props);
        props.insert("Tags".into(), tags());
        let mut res = Map::new();
        res.insert(ident(r.field, true), json!({ "Type": "AWS::IAM::Role", "Properties": props }));
        emit_map(&mut out, &res, 2);
    }
    for u in &m.users {
        if u.access_key {
            out.push_str(
                "  # No access key (AWS::IAM::AccessKey): its secret would be readable in the stack's outputs by\n  \
                 # anyone allowed to describe the stack. Make the key once, where its secret is shown only to you:\n  \
                 # pinpoint-iam-wizard rotate-key, or the IAM console.\n",
            );
        }
        let mut props = Map::new();
        props.insert("UserName".into(), json!(u.name.as_str()));
        guardrails(m, &mut props);
        props.insert("Tags".into(), tags());
        let mut res = Map::new();
        res.insert(ident(u.field, true), json!({ "Type": "AWS::IAM::User", "Properties": props }));
        emit_map(&mut out, &res, 2);
    }

    let mut outputs = Map::new();
    for pol in &m.policies {
        outputs.insert(format!("{}Arn", ident(pol.field, true)), json!({ "Value": { "Ref": ident(pol.field, true) } }));
    }
    for f in m.roles.iter().map(|r| r.field).chain(m.users.iter().map(|u| u.field)) {
        outputs.insert(format!("{}Arn", ident(f, true)), json!({ "Value": { "Fn::GetAtt": [ident(f, true), "Arn"] } }));
    }
    out.push_str("Outputs:\n");
    emit_map(&mut out, &outputs, 2);

    ExportFile { path: format!("pinpoint-iam-{}.yaml", p.setup), contents: out, executable: false }
}

/// A role's or user's `Path` and `PermissionsBoundary`, when the guardrails give them.
fn guardrails(m: &Model<'_>, props: &mut Map<String, Value>) {
    if !m.params.path.is_root() {
        props.insert("Path".into(), json!(m.params.path.as_str()));
    }
    if let Some(b) = &m.boundary {
        props.insert("PermissionsBoundary".into(), b.map(&sub));
    }
}

/// A YAML scalar: plain when it is a word (or a `AWS::IAM::Role`-like type) YAML cannot read as anything else,
/// else double-quoted with JSON's escapes (YAML's double-quoted style accepts them).
fn quote(s: &str) -> String {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric());
    let reserved = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = s.split("::").all(word)
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && !reserved.contains(&s.to_ascii_lowercase().as_str());
    if plain { s.to_string() } else { Value::String(s.to_string()).to_string() }
}

/// A scalar or short-form intrinsic on one line, if `v` is one.
fn inline(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(quote(s)),
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::Object(o) if o.is_empty() => Some("{}".into()),
        Value::Object(o) if o.len() == 1 => match o.iter().next() {
            Some((k, Value::String(s))) if k == "Fn::Sub" => Some(format!("!Sub {}", quote(s))),
            Some((k, Value::String(s))) if k == "Ref" => Some(format!("!Ref {}", quote(s))),
            Some((k, Value::Array(a))) if k == "Fn::GetAtt" && a.len() == 2 => {
                let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                (parts.len() == 2).then(|| format!("!GetAtt {}.{}", parts[0], parts[1]))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Block-style YAML of a mapping, each key at `indent` spaces.
fn emit_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    let pad = " ".repeat(indent);
    for (k, v) in map {
        out.push_str(&format!("{pad}{}:", quote(k)));
        emit_value(out, v, indent);
    }
}

/// The rest of a line after `key:` or `-`, and any nested lines.
fn emit_value(out: &mut String, v: &Value, indent: usize) {
    if let Some(s) = inline(v) {
        out.push_str(&format!(" {s}\n"));
        return;
    }
    out.push('\n');
    match v {
        Value::Object(o) => emit_map(out, o, indent + 2),
        Value::Array(a) => {
            let pad = " ".repeat(indent + 2);
            for item in a {
                match (item, inline(item)) {
                    (_, Some(s)) => out.push_str(&format!("{pad}- {s}\n")),
                    (Value::Object(o), None) => {
                        // `- key: value` with the mapping's other keys under the first.
                        let mut nested = String::new();
                        emit_map(&mut nested, o, indent + 4);
                        out.push_str(&format!("{pad}- {}", &nested[indent + 4..]));
                    }
                    (other, None) => {
                        out.push_str(&format!("{pad}-"));
                        emit_value(out, other, indent + 2);
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{origin, params};
    use super::super::{Model, render as render_any};
    use super::*;
    use crate::setup::Selection;

    #[test]
    fn yaml_is_block_style_with_short_intrinsics() {
        let v = json!({
            "A": {"Fn::Sub": "arn:${AWS::Partition}:x"},
            "B": [{"Key": "ManagedBy", "Value": "x y"}, "s3:*"],
            "C": {"Fn::GetAtt": ["Role", "Arn"]},
            "aws:SourceAccount": "true",
            "D": [],
        });
        let mut out = String::new();
        emit_map(&mut out, v.as_object().unwrap(), 0);
        assert_eq!(
            out,
            "A: !Sub \"arn:${AWS::Partition}:x\"\nB:\n  - Key: ManagedBy\n    Value: \"x y\"\n  - \"s3:*\"\n\
             C: !GetAtt Role.Arn\n\"aws:SourceAccount\": \"true\"\nD: []\n"
        );
        assert_eq!(quote("AWS::IAM::Role"), "AWS::IAM::Role");
        assert_eq!(quote("No"), "\"No\"");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn the_template_uses_pseudo_parameters_and_no_account_values() {
        let mut p = params(Selection::all());
        p.harden = true;
        let f = &render_any(&p, super::super::ExportFormat::CloudFormation, &origin()).unwrap()[0];
        let t = &f.contents;
        assert!(!t.contains("210987654321") && !t.contains("eu-west-1"), "{t}");
        assert!(t.contains(
            "!Sub \"arn:${AWS::Partition}:mobiletargeting:${AWS::Region}:${AWS::AccountId}:apps/${ProjectId}\""
        ));
        assert!(t.contains("\"aws:SourceAccount\": !Sub \"${AWS::AccountId}\""), "{t}");
        assert!(t.contains("    Default: \"my-bucket\"\n"), "{t}");
        assert!(t.contains("Made by pinpoint-iam-wizard 9.9.9 on 2026-11-23"));
        assert!(!t.contains("AWS::IAM::AccessKey\n") && t.contains("# No access key"));
        assert!(!t.contains("ManagedPolicyArns:"));
        assert!(t.contains("      Roles:\n        - !Ref S3Role\n        - !Ref PinpointRole\n"), "{t}");
        assert!(!t.contains('\u{E000}'));
    }

    #[test]
    fn postman_only_has_no_parameters() {
        let p = params("postman".parse().unwrap());
        let m = Model::new(&p).unwrap();
        let t = render(&m, &origin()).contents;
        assert!(!t.contains("Parameters:"), "{t}");
        assert!(t.contains("      Users:\n        - !Ref PostmanUser\n"), "{t}");
    }
}
