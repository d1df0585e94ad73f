//! The only code that touches the AWS SDK: configuration, identity, listings, IAM reads and writes.

pub mod error;
pub mod iam;
pub mod listings;

pub use error::AwsError;

use crate::setup::{AccountId, InvalidValue, Region};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_iam::config::ProvideCredentials;
use aws_sdk_iam::error::DisplayErrorContext;
use error::{CallSite, map_sdk};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How to reach AWS: the standard options, each falling back to aws-config's chain.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<Region>,
    pub endpoint_url: Option<String>,
}

/// Counts the requests this process sends, for reports.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<AtomicUsize>);

impl CallCounter {
    pub fn tick(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Loaded configuration and one client per service, built from one config.
#[derive(Clone)]
pub struct Aws {
    pub region: Region,
    pub profile: Option<String>,
    pub endpoint: String,
    pub calls: CallCounter,
    config: SdkConfig,
    pub iam: iam::Iam,
}

/// Who the caller is, as STS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: AccountId,
    pub arn: String,
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl Aws {
    /// Load the configuration (no request is sent) and validate the resolved Region.
    pub async fn load(conn: &Connection) -> Result<Aws, ConnectError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(p) = &conn.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &conn.region {
            loader = loader.region(aws_config::Region::new(r.to_string()));
        }
        if let Some(e) = &conn.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let config = loader.load().await;
        let region = match (&conn.region, config.region()) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => Region::parse("AWS_REGION (or the profile's region)", r.as_ref())?,
            (None, None) => return Err(AwsError::NoRegion.into()),
        };
        let endpoint =
            config.endpoint_url().map(str::to_string).unwrap_or_else(|| format!("the AWS endpoints of {region}"));
        let calls = CallCounter::default();
        let iam = iam::Iam::new(aws_sdk_iam::Client::new(&config), calls.clone(), endpoint.clone());
        let profile = conn.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok());
        Ok(Aws { region, profile, endpoint, calls, config, iam })
    }

    fn site<'a>(&'a self, action: &'a str, resource: &'a str) -> CallSite<'a> {
        CallSite { action, resource, endpoint: &self.endpoint }
    }

    /// Resolve credentials through the chain, so a missing or expired login is reported before any call.
    pub async fn check_credentials(&self) -> Result<(), AwsError> {
        use aws_credential_types::provider::error::CredentialsError;
        let Some(provider) = self.config.credentials_provider() else {
            return Err(AwsError::NoCredentials { detail: "no credentials provider is configured".into() });
        };
        match provider.provide_credentials().await {
            Ok(_) => Ok(()),
            Err(e @ CredentialsError::CredentialsNotLoaded(_)) => {
                Err(AwsError::NoCredentials { detail: DisplayErrorContext(&e).to_string() })
            }
            Err(e) => Err(AwsError::CredentialsFailed { detail: DisplayErrorContext(&e).to_string() }),
        }
    }

    /// STS GetCallerIdentity.
    pub async fn identity(&self) -> Result<Identity, AwsError> {
        self.check_credentials().await?;
        let sts = aws_sdk_sts::Client::new(&self.config);
        self.calls.tick();
        let out = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| map_sdk(&self.site("sts:GetCallerIdentity", "the caller"), e))?;
        let account = out.account().unwrap_or_default();
        let account = AccountId::parse("the account id STS reported", account).map_err(|e| AwsError::Service {
            action: "sts:GetCallerIdentity".into(),
            resource: "the caller".into(),
            code: "InvalidResponse".into(),
            message: e.to_string(),
        })?;
        Ok(Identity { account, arn: out.arn().unwrap_or_default().to_string() })
    }

    pub(crate) fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(self.config.endpoint_url().is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub(crate) fn pinpoint(&self) -> aws_sdk_pinpoint::Client {
        aws_sdk_pinpoint::Client::new(&self.config)
    }
}
