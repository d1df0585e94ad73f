//! pinpoint-iam-wizard: sets up the IAM policies, roles, user and access key Amazon Pinpoint needs.

pub mod access_keys;
pub mod apply;
pub mod aws;
pub mod cli;
pub mod plan;
pub mod secret;
pub mod setup;
pub mod tui;
