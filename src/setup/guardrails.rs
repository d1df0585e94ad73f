//! Organisations' guardrails on what the tool creates: an IAM path on every policy, role and user, and a
//! permissions boundary on every role and user (`--path`, `--permissions-boundary`).

use super::values::{IamKind, IamName, InvalidValue};
use std::fmt;

/// The ARN partitions IAM lives in.
const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"];

/// IAM's limit on a path's length.
const MAX_PATH: usize = 512;

/// An IAM path: `/` alone, or `/` + printable ASCII (no space) + `/`, at most 512 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IamPath(String);

impl Default for IamPath {
    fn default() -> Self {
        IamPath("/".to_string())
    }
}

impl IamPath {
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        let rule = |r: &str| Err(InvalidValue::new(field, s, format!("an IAM path {r}, e.g. /teams/messaging/")));
        if s.is_empty() || s.len() > MAX_PATH {
            return rule("is 1 to 512 characters long");
        }
        if !s.starts_with('/') || !s.ends_with('/') {
            return rule("begins and ends with /");
        }
        if let Some(c) = s.chars().find(|c| !('!'..='~').contains(c)) {
            return rule(&format!("uses only printable ASCII without spaces ({c:?} is not)"));
        }
        if s.contains("//") {
            return rule("has no empty segment (//)");
        }
        Ok(IamPath(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is IAM's default path `/` (nothing for the exports to say).
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }
}

impl fmt::Display for IamPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for IamPath {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--path", s)
    }
}

/// Whose managed policy a boundary is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BoundaryOwner {
    /// An AWS-managed policy (`arn:aws:iam::aws:policy/…`).
    Aws,
    /// A customer-managed policy of this account id.
    Account(String),
}

/// A permissions boundary: the ARN of an IAM managed policy, AWS-managed or an account's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoundaryArn {
    arn: String,
    partition: String,
    owner: BoundaryOwner,
}

impl BoundaryArn {
    /// The ARN's shape: `arn:PARTITION:iam::(aws|ACCOUNT):policy/[PATH/]NAME`. Whether it is of the account's
    /// partition and account is [`BoundaryArn::check_for`]'s question, once those are known.
    pub fn parse(field: &str, s: &str) -> Result<Self, InvalidValue> {
        let bad = |rule: String| InvalidValue::new(field, s, rule);
        let shape = "a permissions boundary is an IAM managed policy's ARN, \
                     arn:PARTITION:iam::ACCOUNT:policy/NAME (ACCOUNT is aws for an AWS-managed policy)";
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(bad(shape.to_string()));
        };
        if *arn != "arn" || *service != "iam" || !region.is_empty() {
            return Err(bad(shape.to_string()));
        }
        if !PARTITIONS.contains(partition) {
            return Err(bad(format!("unknown partition {partition:?}; one of {}", PARTITIONS.join(", "))));
        }
        let owner = match *account {
            "aws" => BoundaryOwner::Aws,
            a if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => BoundaryOwner::Account(a.to_string()),
            _ => return Err(bad("the account in a policy ARN is aws or a 12-digit account id".into())),
        };
        let Some(path_and_name) = resource.strip_prefix("policy/") else {
            return Err(bad(format!("{shape}: the resource must be policy/…, not {resource:?}")));
        };
        let (path, name) = match path_and_name.rsplit_once('/') {
            Some((p, n)) => (format!("/{p}/"), n),
            None => ("/".to_string(), path_and_name),
        };
        IamPath::parse(field, &path).map_err(|e| bad(format!("the policy's path: {}", e.rule)))?;
        IamName::parse(field, IamKind::Policy, name).map_err(|e| bad(format!("the policy's name: {}", e.rule)))?;
        Ok(BoundaryArn { arn: s.to_string(), partition: partition.to_string(), owner })
    }

    /// It must be of the account's partition (the Region's).
    pub fn check_partition(&self, field: &str, partition: &str) -> Result<(), InvalidValue> {
        if self.partition == partition {
            return Ok(());
        }
        Err(InvalidValue::new(
            field,
            &self.arn,
            format!("the boundary must be in the account's partition {partition}, not {}", self.partition),
        ))
    }

    /// It must be of the account's partition, and AWS-managed or the account's own (IAM refuses others).
    pub fn check_for(&self, field: &str, partition: &str, account: &str) -> Result<(), InvalidValue> {
        self.check_partition(field, partition)?;
        match &self.owner {
            BoundaryOwner::Account(a) if a != account => Err(InvalidValue::new(
                field,
                &self.arn,
                format!("the boundary must be AWS-managed (account aws) or this account's ({account}), not {a}'s"),
            )),
            _ => Ok(()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }

    pub fn owner(&self) -> &BoundaryOwner {
        &self.owner
    }
}

impl fmt::Display for BoundaryArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

impl std::str::FromStr for BoundaryArn {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("--permissions-boundary", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_iams_rules() {
        for ok in ["/", "/teams/", "/teams/messaging/", "/a-b_c.d+e=f,g@h!/"] {
            assert_eq!(IamPath::parse("--path", ok).unwrap().as_str(), ok);
        }
        let cases = [
            ("", "1 to 512"),
            ("teams/", "begins and ends"),
            ("/teams", "begins and ends"),
            ("/te ams/", "printable ASCII"),
            ("/tëams/", "printable ASCII"),
            ("/a//b/", "empty segment"),
        ];
        for (bad, rule) in cases {
            let e = IamPath::parse("--path", bad).unwrap_err();
            assert!(e.rule.contains(rule), "{bad:?}: {e}");
            assert_eq!(e.field, "--path");
        }
        let long = format!("/{}/", "a".repeat(511));
        assert!(IamPath::parse("--path", &long).unwrap_err().rule.contains("1 to 512"));
        assert!(IamPath::default().is_root());
    }

    #[test]
    fn boundaries_are_managed_policy_arns() {
        let aws = BoundaryArn::parse("b", "arn:aws:iam::aws:policy/PowerUserAccess").unwrap();
        assert_eq!(aws.owner(), &BoundaryOwner::Aws);
        let own = BoundaryArn::parse("b", "arn:aws:iam::210987654321:policy/guard/TeamBoundary").unwrap();
        assert_eq!(own.owner(), &BoundaryOwner::Account("210987654321".into()));
        let cases = [
            ("arn:aws:iam::210987654321:role/TeamBoundary", "policy/"),
            ("arn:aws:s3:::bucket", "IAM managed policy"),
            ("arn:aws:iam:eu-west-1:210987654321:policy/X", "IAM managed policy"),
            ("arn:aws:iam::2109:policy/X", "12-digit"),
            ("arn:moon:iam::aws:policy/X", "unknown partition"),
            ("arn:aws:iam::aws:policy/bad name", "name"),
            ("arn:aws:iam::aws:policy/", "name"),
            ("PowerUserAccess", "IAM managed policy"),
        ];
        for (bad, rule) in cases {
            let e = BoundaryArn::parse("--permissions-boundary", bad).unwrap_err();
            assert!(e.rule.contains(rule), "{bad}: {e}");
            assert_eq!(e.field, "--permissions-boundary");
        }
    }

    #[test]
    fn a_boundary_is_of_the_accounts_partition_and_aws_or_the_account() {
        let own = BoundaryArn::parse("b", "arn:aws:iam::210987654321:policy/TeamBoundary").unwrap();
        assert!(own.check_for("b", "aws", "210987654321").is_ok());
        assert!(own.check_for("b", "aws", "123456789012").unwrap_err().rule.contains("this account's"));
        assert!(own.check_for("b", "aws-cn", "210987654321").unwrap_err().rule.contains("partition aws-cn"));
        let aws = BoundaryArn::parse("b", "arn:aws:iam::aws:policy/PowerUserAccess").unwrap();
        assert!(aws.check_for("b", "aws", "123456789012").is_ok());
    }
}
