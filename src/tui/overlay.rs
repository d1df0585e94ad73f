//! What is drawn over a screen and takes the keys while open: the confirmation every write and every unsettled
//! quit goes through (`Confirm`, its `Choice`s and their `Intent`s), help, details and the key chooser.

use super::keys::{Binding, Key};
use crate::aws::iam::AccessKeyInfo;
use crossterm::event::KeyCode;

/// A new access key for `user`; when it has two (AWS's maximum), the existing key `delete_first` goes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    pub user: String,
    pub delete_first: Option<String>,
}

/// Old access keys of `user` to deactivate, or to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRetirement {
    pub user: String,
    pub ids: Vec<String>,
    pub delete: bool,
}

/// A write the user confirmed in the overlay; only [`App::perform`] turns these into commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Apply,
    RollBack,
    Keep,
    /// Stop the running apply, then roll back (or keep) what it made.
    Stop {
        roll_back: bool,
    },
    ListKeysToRotate {
        user: String,
    },
    Rotate(KeyRotation),
    Retire(KeyRetirement),
    Quit,
    /// Write an export to files (nothing is sent to AWS).
    Export(crate::export::ExportFormat),
    /// Delete a new key whose secret reached no one (verified by reading the account afterwards).
    DeleteKey {
        user: String,
        id: String,
    },
    /// Keep a new key active although nobody has its secret: the operator's say-so, after a prompt that said it.
    KeepUnseenKey {
        id: String,
    },
}

/// One answer of a confirmation.
#[derive(Debug, Clone)]
pub struct Choice {
    pub key: char,
    pub does: String,
    pub intent: Intent,
    /// Leave the wizard once the intent has settled.
    pub then_quit: bool,
}

/// The overlay that every write and every unsettled quit goes through: it says what will happen.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub choices: Vec<Choice>,
    /// What Esc does: stay where you were.
    pub cancel: &'static str,
    /// A quit prompt (a second Ctrl-C takes its first, safe, choice).
    pub quitting: bool,
}

impl Confirm {
    /// A confirmation titled `title`, with no lines or choices yet; Esc cancels.
    pub fn new(title: impl Into<String>) -> Self {
        Confirm { title: title.into(), lines: vec![], choices: vec![], cancel: "cancel", quitting: false }
    }

    /// One more line of what will happen.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.lines.push(line.into());
        self
    }

    /// Lines of what will happen, after those already there.
    pub fn lines(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.lines.extend(lines);
        self
    }

    /// An answer: `key` does `intent`, listed as `does`.
    pub fn choice(mut self, key: char, does: impl Into<String>, intent: Intent) -> Self {
        self.choices.push(Choice { key, does: does.into(), intent, then_quit: false });
        self
    }

    /// An answer that leaves the wizard once its intent has settled.
    pub fn choice_then_quit(mut self, key: char, does: impl Into<String>, intent: Intent) -> Self {
        self.choices.push(Choice { key, does: does.into(), intent, then_quit: true });
        self
    }

    /// What Esc is listed as doing.
    pub fn cancel(mut self, does: &'static str) -> Self {
        self.cancel = does;
        self
    }

    /// A quit prompt: Esc stays, and a second Ctrl-C takes the first choice.
    pub fn quitting(mut self) -> Self {
        self.quitting = true;
        self.cancel = "stay";
        self
    }
}

/// Choosing which of two keys to delete before a rotation.
#[derive(Debug, Clone)]
pub struct ChooseKey {
    pub user: String,
    pub keys: Vec<AccessKeyInfo>,
    pub selected: usize,
}

/// What is drawn over the screen and takes the keys while open.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help,
    Details { title: String, text: String },
    Confirm(Confirm),
    ChooseKey(ChooseKey),
}

/// What a key does in an overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayAction {
    Close,
    Choose(usize),
    Move(bool),
    PickKey,
}

/// The keys of an open overlay (the only keys that act while it is open, besides Ctrl-C).
pub fn overlay_bindings(o: &Overlay) -> Vec<Binding<OverlayAction>> {
    match o {
        Overlay::Help => {
            vec![Binding::new(
                &[Key::Code(KeyCode::Esc), Key::char('?'), Key::Code(KeyCode::F(1))],
                "Esc/?",
                "close help",
                OverlayAction::Close,
            )]
        }
        Overlay::Details { .. } => vec![Binding::new(
            &[Key::Code(KeyCode::Esc), Key::Code(KeyCode::F(2))],
            "Esc/F2",
            "close",
            OverlayAction::Close,
        )],
        Overlay::Confirm(c) => {
            let mut v: Vec<Binding<OverlayAction>> = c
                .choices
                .iter()
                .enumerate()
                .map(|(i, ch)| Binding {
                    keys: vec![Key::char(ch.key)],
                    label: choice_label(ch.key),
                    does: ch.does.clone(),
                    action: OverlayAction::Choose(i),
                })
                .collect();
            v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", c.cancel, OverlayAction::Close));
            v
        }
        Overlay::ChooseKey(_) => vec![
            Binding::new(&[Key::Code(KeyCode::Down)], "↓", "next key", OverlayAction::Move(true)),
            Binding::new(&[Key::Code(KeyCode::Up)], "↑", "previous key", OverlayAction::Move(false)),
            Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "delete it and rotate…", OverlayAction::PickKey),
            Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "cancel", OverlayAction::Close),
        ],
    }
}

fn choice_label(c: char) -> &'static str {
    match c {
        'b' => "b",
        'k' => "k",
        'w' => "w",
        'y' => "y",
        'd' => "d",
        'x' => "x",
        '1' => "1",
        '2' => "2",
        '3' => "3",
        '4' => "4",
        _ => "?",
    }
}
