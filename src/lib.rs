//! pinpoint-iam-wizard: sets up the IAM policies, roles, user and access key Amazon Pinpoint needs.
// No path outside tests may panic: an operator's run must end in a report, never in a backtrace.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable))]

pub mod aws;
pub mod cli;
pub mod debug;
pub mod engine;
pub mod export;
pub mod manual;
pub mod plan;
pub mod secret;
pub mod setup;
pub mod tui;
