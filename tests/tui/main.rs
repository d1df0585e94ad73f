//! The wizard without a terminal: every state is reached through keys and messages (never by setting fields),
//! `update` is checked for what it asks the runtime to do, and every screen is rendered with ratatui's
//! TestBackend and compared with its snapshot at 80×24 and 120×40.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinpoint_iam_wizard::aws::AwsError;
use pinpoint_iam_wizard::aws::iam::AccessKeyInfo;
use pinpoint_iam_wizard::aws::listings::Project;
use pinpoint_iam_wizard::engine::{Event, Status};
use pinpoint_iam_wizard::plan::{self, Action};
use pinpoint_iam_wizard::setup::segment_import::IMPORT_ROLE;
use pinpoint_iam_wizard::tui::app::{
    App, Cmd, Copied, Detected, Msg, Overlay, Phase, Problem, Remote, RequestId, Screen, StepState,
};
use pinpoint_iam_wizard::tui::msg::Retired;
use pinpoint_iam_wizard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

#[path = "../wizard/mod.rs"]
mod wizard;

mod answers;
mod copy;
mod custody_model;
mod exit;
mod fields;
mod guardrails;
mod guards;
mod identity;
mod layout;
mod manual;
mod messaging;
mod offline;
mod preview;
mod search;
mod walk;
mod words;

use guards::rotated;
use manual::{at_manual, manual_offline, manual_verified};
use wizard::*;
use words::states;

fn snap(name: &str, app: &mut App) {
    for (w, h) in [(80, 24), (120, 40)] {
        app.update(Msg::Resize(w, h));
        let frame = render(app, w, h);
        assert!(
            !frame.contains(FAKE_SECRET) || name.contains("revealed"),
            "{name}: the secret shows only when revealed"
        );
        snapshot(&format!("{name}_{w}x{h}"), &frame);
    }
    app.update(Msg::Resize(120, 40));
}

/// Compare `frame` with its snapshot, kept in tests/snapshots under the names they had when this was one file.
fn snapshot(name: &str, frame: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        insta::assert_snapshot!(name, frame);
    });
}
