//! pinpoint-iam-wizard: sets up the IAM policies, roles, user and access key Amazon Pinpoint needs.
// No path outside tests may panic: an operator's run must end in a report, never in a backtrace.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable))]

// Unix only (Linux and macOS): signals (`tokio::signal::unix`), owner-only file modes (`std::os::unix::fs`) and
// the clipboard keeper (`libc::setsid`) have no Windows equivalent here yet. What is Linux's alone is behind
// `target_os = "linux"` where it is used (`secret::dumps`, `secret::clipboard`, `secret::keeper`).
#[cfg(not(unix))]
compile_error!("pinpoint-iam-wizard builds for Unix (Linux, macOS) only: Windows is not supported yet");

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
