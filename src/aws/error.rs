//! SDK errors mapped to plain words: what failed, why, and what to do next.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

/// A failure at AWS (or on the way to it), in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS credentials found ({detail}). Configure them with `aws configure`, choose a profile with \
         --profile or AWS_PROFILE, or for IAM Identity Center (SSO) run `aws sso login --profile NAME`"
    )]
    NoCredentials { detail: String },
    #[error(
        "could not load AWS credentials: {detail}. If you use IAM Identity Center (SSO) your session may \
         have expired: run `aws sso login --profile NAME`"
    )]
    CredentialsFailed { detail: String },
    #[error("no AWS Region is configured: pass --region, set AWS_REGION, or set region in your profile")]
    NoRegion,
    #[error("cannot reach AWS at {endpoint} ({detail}); check the network, any proxy, and --endpoint-url")]
    Unreachable { endpoint: String, detail: String },
    #[error(
        "access denied: {action} on {resource}. The caller lacks the permission {action} on that resource; \
         ask an administrator to allow it. AWS said: {message}"
    )]
    AccessDenied { action: String, resource: String, message: String },
    #[error("AWS kept throttling {action} after the SDK's retries; wait a minute and run again")]
    Throttled { action: String },
    #[error("{action} on {resource} hit an AWS quota: {message}")]
    Quota { action: String, resource: String, message: String },
    #[error("{action} on {resource} failed: {message}")]
    Service { action: String, resource: String, code: String, message: String },
}

impl AwsError {
    /// The quota hit when a user already has the maximum of two access keys, in plain words.
    pub fn is_quota(&self) -> bool {
        matches!(self, AwsError::Quota { .. })
    }

    /// True when the error is IAM's NoSuchEntity (used for eventual-consistency retries).
    pub fn is_no_such_entity(&self) -> bool {
        matches!(self, AwsError::Service { code, .. } if code == "NoSuchEntity")
    }

    /// True when the request never got an answer from AWS.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AwsError::Unreachable { .. } | AwsError::NoCredentials { .. } | AwsError::CredentialsFailed { .. })
    }
}

/// Where a call went, for error messages.
#[derive(Debug, Clone)]
pub struct CallSite<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub endpoint: &'a str,
}

/// Map any SDK error to [`AwsError`]; service codes that no operation models (AccessDenied,
/// Throttling, LimitExceeded) can only be told apart by their code.
pub fn map_sdk<E, R>(site: &CallSite<'_>, err: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug,
{
    let owned = |s: &str| s.to_string();
    match &err {
        SdkError::DispatchFailure(d) => {
            let detail = DisplayErrorContext(&err).to_string();
            if d.is_io() || d.is_timeout() {
                AwsError::Unreachable { endpoint: owned(site.endpoint), detail: short(&detail) }
            } else if detail.contains("credential") {
                AwsError::CredentialsFailed { detail: short(&detail) }
            } else {
                AwsError::Unreachable { endpoint: owned(site.endpoint), detail: short(&detail) }
            }
        }
        SdkError::TimeoutError(_) => {
            AwsError::Unreachable { endpoint: owned(site.endpoint), detail: "the request timed out".into() }
        }
        _ => {
            let code = err.code().unwrap_or("Unknown").to_string();
            let message = err.message().map(str::to_string).unwrap_or_else(|| short(&DisplayErrorContext(&err).to_string()));
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "Forbidden" => {
                    AwsError::AccessDenied { action: owned(site.action), resource: owned(site.resource), message }
                }
                "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                    AwsError::Throttled { action: owned(site.action) }
                }
                "LimitExceeded" | "LimitExceededException" | "ServiceQuotaExceededException" => {
                    AwsError::Quota { action: owned(site.action), resource: owned(site.resource), message }
                }
                "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "UnrecognizedClientException" => {
                    AwsError::CredentialsFailed { detail: format!("{code}: {message}") }
                }
                _ => AwsError::Service { action: owned(site.action), resource: owned(site.resource), code, message },
            }
        }
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        s.to_string()
    } else {
        let cut = (0..=MAX).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        format!("{}…", &s[..cut])
    }
}
