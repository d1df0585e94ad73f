//! Policy and trust templates from `assets/`, rendered with JSON-escaped values and checked.

use serde_json::Value;

/// Whether a document is a managed policy or a role's trust policy: each has its own IAM size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Policy,
    Trust,
}

impl DocKind {
    /// IAM's limit in characters, white space not counted (managed policy 6,144; role trust policy 2,048 by default).
    pub fn size_limit(self) -> usize {
        match self {
            DocKind::Policy => 6_144,
            DocKind::Trust => 2_048,
        }
    }
}

/// A document template shipped in `assets/`.
#[derive(Debug, PartialEq, Eq)]
pub struct Template {
    /// The file under `assets/`.
    pub file: &'static str,
    pub kind: DocKind,
    pub text: &'static str,
}

/// Declare a template: `template!(NAME, DocKind::Policy, "policies/file.json")` is the file under `assets/`,
/// included at build time.
macro_rules! template {
    ($name:ident, $kind:expr, $file:literal) => {
        pub static $name: $crate::setup::Template = $crate::setup::Template {
            file: $file,
            kind: $kind,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $file)),
        };
    };
}
pub(crate) use template;

// The trust the IAM console writes when a role is made for Lambda: shared by any setup with a Lambda role
// (manual mode tells the console's choice by it).
template!(LAMBDA_TRUST, DocKind::Trust, "trust/lambda.json");

/// Every template of every setup, for checks that must cover all of them.
pub fn all() -> Vec<&'static Template> {
    let mut out: Vec<&'static Template> = Vec::new();
    for t in super::SETUPS.iter().flat_map(|s| s.templates()) {
        if !out.iter().any(|o| std::ptr::eq(*o, t)) {
            out.push(t);
        }
    }
    out
}

/// A rendering that must not become a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "template {file}: placeholder {{{{{name}}}}} has no value (a bug in pinpoint-iam-wizard, please report it)"
    )]
    LeftOver { file: &'static str, name: String },
    #[error("template {file} did not render to valid JSON: {reason}")]
    InvalidJson { file: &'static str, reason: String },
    #[error("{file} renders to {size} characters without white space, over IAM's limit of {limit}; use shorter names")]
    TooLarge { file: &'static str, size: usize, limit: usize },
}

/// Characters of a document as IAM counts them against its size limit (white space excluded).
pub fn iam_size(doc: &Value) -> usize {
    doc.to_string().chars().filter(|c| !c.is_whitespace()).count()
}

impl Template {
    /// Substitute `{{name}}` placeholders with JSON-escaped values, parse the result and check it.
    pub fn render(&'static self, vars: &[(&str, &str)]) -> Result<Value, TemplateError> {
        let mut out = String::with_capacity(self.text.len() + 64);
        let mut rest = self.text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(TemplateError::LeftOver { file: self.file, name: after.chars().take(20).collect() });
            };
            let name = &after[..end];
            let Some((_, value)) = vars.iter().find(|(k, _)| *k == name) else {
                return Err(TemplateError::LeftOver { file: self.file, name: name.to_string() });
            };
            let quoted = serde_json::Value::String((*value).to_string()).to_string();
            out.push_str(&quoted[1..quoted.len() - 1]);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        let doc: Value = serde_json::from_str(&out)
            .map_err(|e| TemplateError::InvalidJson { file: self.file, reason: e.to_string() })?;
        let (size, limit) = (iam_size(&doc), self.kind.size_limit());
        if size > limit {
            return Err(TemplateError::TooLarge { file: self.file, size, limit });
        }
        Ok(doc)
    }

    /// The names of the placeholders this template uses.
    pub fn placeholders(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let mut rest = self.text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let end = after.find("}}").unwrap_or(after.len());
            if !names.contains(&&after[..end]) {
                names.push(&after[..end]);
            }
            rest = &after[end.min(after.len())..];
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::segment_import::{IMPORTER_PINPOINT, IMPORTER_S3};

    fn all_vars() -> Vec<(&'static str, &'static str)> {
        vec![
            ("partition", "aws"),
            ("account_id", "210987654321"),
            ("region", "eu-west-1"),
            ("bucket", "my-bucket"),
            ("project_id", "0123456789abcdef0123456789abcdef"),
            ("import_role_name", "PinpointSegmentImport"),
            ("path", "/"),
        ]
    }

    #[test]
    fn every_template_renders_with_every_placeholder_filled() {
        let all = all();
        let files: Vec<&str> = all.iter().map(|t| t.file).collect();
        assert!(files.contains(&"tightened/importer-pinpoint.json") && files.contains(&"trust/pinpoint-hardened.json"));
        for t in all {
            let doc = t.render(&all_vars()).unwrap_or_else(|e| panic!("{}: {e}", t.file));
            assert!(!doc.to_string().contains("{{"), "{}", t.file);
            assert!(iam_size(&doc) <= t.kind.size_limit());
            assert_eq!(doc["Version"], "2012-10-17", "{}", t.file);
        }
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_request() {
        let err = IMPORTER_PINPOINT.render(&[("partition", "aws")]).unwrap_err();
        assert!(matches!(err, TemplateError::LeftOver { ref name, .. } if name == "region"), "{err}");
    }

    #[test]
    fn values_are_json_escaped() {
        let doc = LAMBDA_TRUST.render(&[]).unwrap();
        assert_eq!(doc["Statement"][0]["Principal"]["Service"], "lambda.amazonaws.com");
        let mut vars = all_vars();
        vars[3] = ("bucket", "a\"b\\c");
        let doc = IMPORTER_S3.render(&vars).unwrap();
        assert_eq!(doc["Statement"][0]["Resource"][2], "arn:aws:s3:::a\"b\\c");
    }

    #[test]
    fn oversize_documents_are_refused() {
        let mut vars = all_vars();
        let long = "r".repeat(7000);
        vars[5] = ("import_role_name", &long);
        let err = IMPORTER_PINPOINT.render(&vars).unwrap_err();
        assert!(matches!(err, TemplateError::TooLarge { limit: 6144, .. }), "{err}");
    }

    #[test]
    fn size_ignores_white_space() {
        let doc: Value = serde_json::json!({"a": "b c"});
        assert_eq!(iam_size(&doc), r#"{"a":"bc"}"#.len());
    }

    #[test]
    fn placeholders_are_listed() {
        assert_eq!(IMPORTER_S3.placeholders(), vec!["partition", "bucket"]);
        assert!(LAMBDA_TRUST.placeholders().is_empty());
    }
}
