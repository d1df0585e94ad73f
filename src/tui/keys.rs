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
        Screen::Secret => {
            if app.secret.confirm_leave {
                vec![("y", "yes, it is stored"), ("n", "stay")]
            } else {
                vec![("r", "reveal/hide"), ("c", "copy secret"), ("i", "copy key id"), ("Enter", "done")]
            }
        }
        Screen::Summary => vec![("↑/↓", "scroll"), ("q", "quit")],
    };
    // On screens with text fields, q is a letter: quitting there is Ctrl-C (or Esc back to the Welcome screen).
    let typing = matches!(app.screen, Screen::Identity | Screen::Params);
    keys.extend(GLOBAL.iter().filter(|(k, _)| !(*k == "q" && (typing || app.screen == Screen::Summary))));
    keys
}
