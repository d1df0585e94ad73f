//! The keys of every screen, listed once: the footer and the help overlay both read this table.

use super::app::{App, Screen};

/// A key and what it does here.
pub type Binding = (&'static str, &'static str);

/// Keys that work on every screen.
pub const GLOBAL: &[Binding] = &[("?", "help"), ("q", "quit"), ("Ctrl-C", "quit now")];

/// The keys that work on the current screen, in the state it is in.
pub fn screen_keys(app: &App) -> Vec<Binding> {
    let mut keys: Vec<Binding> = match app.screen {
        Screen::Welcome => vec![("↑/↓", "choose"), ("Enter", "next")],
        Screen::Identity => {
            let mut k = vec![("Tab", "next field"), ("type", "edit"), ("Enter", "next")];
            if app.identity.is_failed() {
                k.push(("F5", "detect again"));
            }
            k.push(("Esc", "back"));
            k
        }
        Screen::Params => vec![
            ("Tab/Shift-Tab", "field"),
            ("type", "filter or enter"),
            ("↑/↓", "pick from list"),
            ("Space", "toggle harden"),
            ("Enter", "preview"),
            ("Esc", "back"),
        ],
        Screen::Preview => vec![
            ("←/→", "document"),
            ("↑/↓ PgUp/PgDn", "scroll"),
            ("Home/End", "top/bottom"),
            ("Enter", "plan"),
            ("Esc", "back"),
        ],
        Screen::Plan => {
            let mut k = vec![("↑/↓", "scroll")];
            if app.plan_has_conflicts() {
                k.push(("a", "adopt conflicts"));
            }
            if app.rotatable_user().is_some() && app.online() {
                k.push(("k", "rotate the access key"));
            }
            k.push(("Enter", "apply"));
            k.push(("Esc", "back"));
            k
        }
        Screen::Run => {
            if app.run.failed_and_done() {
                vec![("r", "retry failed step"), ("b", "roll back this run"), ("l", "leave as is")]
            } else if app.run.finished() {
                vec![("Enter", "continue")]
            } else {
                vec![]
            }
        }
        Screen::Secret => match &app.secret.prompt {
            Some(super::app::SavePrompt::Profile { confirm_overwrite: true, .. }) => {
                vec![("y", "overwrite"), ("n", "keep it")]
            }
            Some(_) => vec![("type", "edit"), ("Enter", "save"), ("Esc", "cancel")],
            None if app.secret.confirm_leave => vec![("y", "yes, it is stored"), ("n", "stay")],
            None => vec![
                ("r", "reveal/hide"),
                ("c", "copy secret"),
                ("i", "copy key id"),
                ("p", "save as profile"),
                ("s", "save CSV"),
                ("Enter", "done"),
            ],
        },
        Screen::Summary => {
            let mut k = vec![("↑/↓", "scroll")];
            match &app.old_keys {
                Some((_, keys)) if keys.iter().any(|k| k.active) => k.push(("d", "deactivate the old key")),
                Some((_, keys)) if !keys.is_empty() => k.push(("x", "delete the old key")),
                None if app.rotatable_user().is_some() && app.online() => k.push(("k", "rotate the access key")),
                _ => {}
            }
            k.push(("q", "quit"));
            k
        }
    };
    // On screens with text fields, q is a letter: quitting there is Ctrl-C (or Esc back to the Welcome screen).
    let typing = matches!(app.screen, Screen::Identity | Screen::Params) || app.secret.prompt.is_some();
    keys.extend(GLOBAL.iter().filter(|(k, _)| !(*k == "q" && (typing || app.screen == Screen::Summary))));
    keys
}
