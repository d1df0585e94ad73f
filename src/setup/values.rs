//! Validated user values: parsed once at the edge, then the type proves the value is valid.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// A value the user gave that breaks a rule; names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} {value:?}: {rule}")]
pub struct InvalidValue {
    /// The field as the user knows it, e.g. `--bucket`.
    pub field: String,
    /// What the user typed (never a secret).
    pub value: String,
    /// The rule that failed, in plain words.
    pub rule: String,
}

impl InvalidValue {
    pub fn new(field: &str, value: &str, rule: impl Into<String>) -> Self {
        Self { field: field.to_string(), value: value.to_string(), rule: rule.into() }
    }

    /// The same error reported against another field name (e.g. a TUI label).
    pub fn for_field(mut self, field: &str) -> Self {
        self.field = field.to_string();
        self
    }
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(
    /// A 12-digit AWS account id.
    AccountId
);
string_newtype!(
    /// An AWS Region name such as `eu-west-1`, `us-gov-west-1` or `cn-north-1`.
    Region
);
string_newtype!(
    /// A general-purpose S3 bucket name.
    BucketName
);
string_newtype!(
    /// An Amazon Pinpoint project (application) id: 32 lowercase hex digits.
    ProjectId
);
string_newtype!(
    /// An IAM policy, role or user name.
    IamName
);

impl AccountId {
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(InvalidValue::new(field, s, "an AWS account id is exactly 12 digits (0-9)"))
        }
    }
}

impl FromStr for AccountId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--account-id", s)
    }
}

const DIRECTIONS: &[&str] =
    &["north", "south", "east", "west", "central", "northeast", "northwest", "southeast", "southwest"];

impl Region {
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        let rule = "a Region looks like eu-west-1, us-gov-west-1 or cn-north-1 \
                    (area code, optional gov/iso part, direction, number)";
        let parts: Vec<&str> = s.split('-').collect();
        let ok = match parts.as_slice() {
            [area, middle @ .., dir, num] => {
                let lower = |p: &str| p.bytes().all(|b| b.is_ascii_lowercase());
                // The European Sovereign Cloud's Regions carry a country after their area (eusc-de-east-1).
                let sovereign = *area == "eusc" && matches!(middle, [c] if c.len() == 2 && lower(c));
                (sovereign
                    || area.len() == 2
                        && lower(area)
                        && matches!(middle, [] | ["gov"] | ["iso"] | ["isob"] | ["isoe"] | ["isof"]))
                    && DIRECTIONS.contains(dir)
                    && (1..=2).contains(&num.len())
                    && num.bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        };
        if ok { Ok(Self(s.to_string())) } else { Err(InvalidValue::new(field, s, rule)) }
    }

    /// The ARN partition this Region belongs to.
    pub fn partition(&self) -> &'static str {
        let r = self.0.as_str();
        if r.starts_with("cn-") {
            "aws-cn"
        } else if r.starts_with("us-gov-") {
            "aws-us-gov"
        } else if r.starts_with("us-isob-") {
            "aws-iso-b"
        } else if r.starts_with("us-isof-") {
            "aws-iso-f"
        } else if r.starts_with("eu-isoe-") {
            "aws-iso-e"
        } else if r.starts_with("us-iso-") {
            "aws-iso"
        } else if r.starts_with("eusc-") {
            "aws-eusc"
        } else {
            "aws"
        }
    }
}

impl FromStr for Region {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--region", s)
    }
}

const BUCKET_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
const BUCKET_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

impl BucketName {
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        let err = |rule: &str| Err(InvalidValue::new(field, s, format!("S3 bucket names {rule}")));
        if !(3..=63).contains(&s.len()) {
            return err("are 3 to 63 characters long");
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
            return err("use only lowercase letters, digits, '.' and '-'");
        }
        let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !edge_ok(s.as_bytes()[0]) || !edge_ok(s.as_bytes()[s.len() - 1]) {
            return err("begin and end with a letter or digit");
        }
        if s.contains("..") {
            return err("must not contain two adjacent periods");
        }
        if s.parse::<Ipv4Addr>().is_ok() {
            return err("must not be formatted as an IP address");
        }
        if let Some(p) = BUCKET_PREFIXES.iter().find(|p| s.starts_with(*p)) {
            return err(&format!("must not start with the reserved prefix {p:?}"));
        }
        if let Some(x) = BUCKET_SUFFIXES.iter().find(|x| s.ends_with(*x)) {
            return err(&format!("must not end with the reserved suffix {x:?}"));
        }
        Ok(Self(s.to_string()))
    }
}

impl FromStr for BucketName {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--bucket", s)
    }
}

impl ProjectId {
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(s.to_string()))
        } else {
            Err(InvalidValue::new(field, s, "a Pinpoint project id is 32 lowercase hex digits (0-9, a-f)"))
        }
    }
}

impl FromStr for ProjectId {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--project-id", s)
    }
}

/// What an IAM name names; each kind has its own length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamKind {
    Policy,
    Role,
    User,
}

impl IamKind {
    pub fn max_len(self) -> usize {
        match self {
            IamKind::Policy => 128,
            IamKind::Role | IamKind::User => 64,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            IamKind::Policy => "policy",
            IamKind::Role => "role",
            IamKind::User => "user",
        }
    }
}

impl IamName {
    pub fn parse(field: &str, kind: IamKind, s: &str) -> Result<Self, InvalidValue> {
        let max = kind.max_len();
        if s.is_empty() || s.len() > max {
            return Err(InvalidValue::new(
                field,
                s,
                format!("an IAM {} name is 1 to {max} characters long", kind.noun()),
            ));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c))) {
            return Err(InvalidValue::new(
                field,
                s,
                format!("{c:?} is not allowed; IAM names use only A-Z a-z 0-9 and + = , . @ _ -"),
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// A name known to be valid (the seeds' defaults).
    pub(crate) fn known(s: &str) -> Self {
        debug_assert!(IamName::parse("name", IamKind::Policy, s).is_ok());
        Self(s.to_string())
    }
}

/// A `KEY=VALUE` resource tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        let Some((key, value)) = s.split_once('=') else {
            return Err(InvalidValue::new(field, s, "a tag is written KEY=VALUE"));
        };
        let allowed = |c: char| c.is_alphanumeric() || " _.:/=+-@".contains(c);
        if key.is_empty() || key.chars().count() > 128 {
            return Err(InvalidValue::new(field, s, "a tag key is 1 to 128 characters long"));
        }
        if value.chars().count() > 256 {
            return Err(InvalidValue::new(field, s, "a tag value is at most 256 characters long"));
        }
        if !key.chars().chain(value.chars()).all(allowed) {
            return Err(InvalidValue::new(field, s, "tags use only letters, digits, spaces and _ . : / = + - @"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(InvalidValue::new(field, s, "tag keys starting with aws: are reserved by AWS"));
        }
        if key == crate::setup::MANAGED_BY_KEY {
            return Err(InvalidValue::new(field, s, "the ManagedBy tag is set by this tool"));
        }
        Ok(Self { key: key.to_string(), value: value.to_string() })
    }
}

impl FromStr for Tag {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--tag", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(AccountId::parse("a", "210987654321").is_ok());
        for bad in ["", "12345678901", "1234567890123", "12345678901a", " 12345678901"] {
            let e = AccountId::parse("--account-id", bad).unwrap_err();
            assert_eq!(e.field, "--account-id");
            assert!(e.rule.contains("12 digits"), "{e}");
        }
    }

    #[test]
    fn regions_and_partitions() {
        for (r, p) in [
            ("eu-west-1", "aws"),
            ("us-east-1", "aws"),
            ("ap-southeast-5", "aws"),
            ("il-central-1", "aws"),
            ("us-gov-west-1", "aws-us-gov"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(Region::parse("r", r).unwrap().partition(), p, "{r}");
        }
        for bad in [
            "",
            "eu-west",
            "EU-WEST-1",
            "eu-west-",
            "europe-west-1",
            "eu-up-1",
            "eu-west-123",
            "us-foo-west-1",
            "eu_west_1",
            "eusc-east-1",
            "eusc-deu-east-1",
        ] {
            let e = Region::parse("--region", bad).unwrap_err();
            assert_eq!(e.field, "--region", "{bad}");
        }
    }

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.logs", "a1b", &"a".repeat(63), "1.2.3"] {
            assert!(BucketName::parse("b", ok).is_ok(), "{ok}");
        }
        let cases = [
            ("ab", "3 to 63"),
            (&*"a".repeat(64), "3 to 63"),
            ("My-Bucket", "lowercase"),
            ("my_bucket", "lowercase"),
            ("-bucket", "begin and end"),
            ("bucket-", "begin and end"),
            ("my..bucket", "adjacent periods"),
            ("192.168.5.4", "IP address"),
            ("xn--bucket", "xn--"),
            ("sthree-bucket", "sthree-"),
            ("amzn-s3-demo-bucket", "amzn-s3-demo-"),
            ("bucket-s3alias", "-s3alias"),
            ("bucket--ol-s3", "--ol-s3"),
            ("bucket.mrap", ".mrap"),
            ("bucket--x-s3", "--x-s3"),
        ];
        for (bad, rule) in cases {
            let e = BucketName::parse("--bucket", bad).unwrap_err();
            assert!(e.rule.contains(rule), "{bad}: {e}");
            assert_eq!(e.field, "--bucket");
        }
    }

    #[test]
    fn project_ids() {
        assert!(ProjectId::parse("p", "0123456789abcdef0123456789abcdef").is_ok());
        for bad in ["0123456789ABCDEF0123456789ABCDEF", "0123", "0123456789abcdef0123456789abcdeg", ""] {
            assert!(ProjectId::parse("--project-id", bad).unwrap_err().rule.contains("32"));
        }
    }

    #[test]
    fn iam_names() {
        assert!(IamName::parse("n", IamKind::Policy, "Ab+=,.@_-9").is_ok());
        assert!(IamName::parse("n", IamKind::Policy, &"p".repeat(128)).is_ok());
        assert!(IamName::parse("n", IamKind::Role, &"r".repeat(65)).unwrap_err().rule.contains("1 to 64"));
        assert!(IamName::parse("n", IamKind::User, "").unwrap_err().rule.contains("1 to 64"));
        assert!(IamName::parse("n", IamKind::Policy, &"p".repeat(129)).unwrap_err().rule.contains("1 to 128"));
        let e = IamName::parse("--user-name", IamKind::User, "bad name").unwrap_err();
        assert!(e.rule.contains("' '"), "{e}");
        assert!(IamName::parse("n", IamKind::Role, "a/b").is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(Tag::parse("t", "team=ops").unwrap(), Tag { key: "team".into(), value: "ops".into() });
        assert_eq!(Tag::parse("t", "k=").unwrap().value, "");
        assert!(Tag::parse("--tag", "novalue").unwrap_err().rule.contains("KEY=VALUE"));
        assert!(Tag::parse("--tag", "=v").is_err());
        assert!(Tag::parse("--tag", "aws:x=v").is_err());
        assert!(Tag::parse("--tag", "k=v;").is_err());
        assert!(Tag::parse("--tag", "ManagedBy=me").is_err());
    }

    #[test]
    fn error_message_names_field_and_rule() {
        let e = BucketName::parse("--bucket", "A").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("invalid --bucket \"A\": S3 bucket names"), "{msg}");
    }
}
