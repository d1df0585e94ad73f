//! pinpoint-iam-wizard: sets up the IAM policies, roles, user and access key Amazon Pinpoint needs.

pub mod aws;
pub mod secret;
pub mod setup;
