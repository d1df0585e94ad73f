//! Welcome: which setups to run and what each creates.

use crate::setup::SetupKind;
use crate::tui::app::{Do, Session};
use crate::tui::keys::{Binding, Key};
use crate::tui::screens::{Screen, Ui};
use crate::tui::widgets::wrap::wrap;
use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Choose what to set up: the Postman user and its access key, the three roles of the \
    segment import, or both. Nothing is read or written yet; every write is shown and confirmed later. m is \
    manual mode: the guides' console steps to do by hand, verified by reading the account.";

/// The setups, in the order listed.
pub const CHOICES: [SetupKind; 3] = [SetupKind::Postman, SetupKind::SegmentImport, SetupKind::All];

const WHAT: [(&str, &[&str]); 3] = [
    (
        "Postman (test the Pinpoint API)",
        &[
            "policy PostmanAccessPolicy",
            "user PostmanUser, with the policy attached",
            "one access key (the secret is shown once)",
        ],
    ),
    (
        "Segment import (S3 → Pinpoint via Lambda)",
        &[
            "ImporterS3Policy + role ImporterS3Role (Lambda)",
            "ImporterS3PassthroughPolicy + role PinpointSegmentImport (Pinpoint)",
            "ImporterPinpointPolicy + ImporterPinpointRole (Lambda, + the S3 policy)",
        ],
    ),
    ("Both", &[]),
];

/// What this screen remembers while the wizard runs.
#[derive(Debug)]
pub struct State {
    pub choice: usize,
}

impl Default for State {
    fn default() -> Self {
        State { choice: 2 }
    }
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Pick(usize),
    Next,
    Manual,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
pub fn bindings(_st: &State, _s: &Session) -> Vec<Binding<Action>> {
    vec![
        Binding::new(&[Key::Code(KeyCode::Down)], "↑/↓", "choose", Action::Down),
        Binding::new(&[Key::Code(KeyCode::Up)], "", "", Action::Up),
        Binding::new(&[Key::char('1')], "1-3", "choose", Action::Pick(0)),
        Binding::new(&[Key::char('2')], "", "", Action::Pick(1)),
        Binding::new(&[Key::char('3')], "", "", Action::Pick(2)),
        Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "next", Action::Next),
        Binding::new(&[Key::char('m')], "m", "manual mode", Action::Manual),
    ]
}

impl State {
    /// Do what the key bound to `a` asks.
    pub fn act(&mut self, s: &mut Session, a: Action) -> Vec<Do> {
        match a {
            Action::Up => self.choice = self.choice.saturating_sub(1),
            Action::Down => self.choice = (self.choice + 1).min(CHOICES.len() - 1),
            Action::Pick(i) => self.choice = i,
            Action::Next | Action::Manual => {
                s.setup = CHOICES[self.choice];
                // Manual mode: the same identity and parameters, then the console steps instead of the plan.
                s.manual = a == Action::Manual;
                return vec![Do::Go(Screen::Identity)];
            }
        }
        s.setup = CHOICES[self.choice];
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session.
    pub fn view(&self, _s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let w = area.width as usize;
        let intro = "Sets up the IAM resources of AWS's Amazon Pinpoint guides: previewed, planned, then applied.";
        let mut lines: Vec<Line> = wrap(intro, w, 0).into_iter().map(Line::raw).collect();
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("What to set up:", theme.title())));
        for (i, (title, items)) in WHAT.iter().enumerate() {
            let chosen = self.choice == i;
            let mark = if chosen { "(•)" } else { "( )" };
            let style = if chosen { theme.focus() } else { theme.text() };
            lines.push(Line::from(Span::styled(format!(" {mark} {} {title}  [{}]", i + 1, CHOICES[i]), style)));
            if chosen {
                // "Both" lists what the two others create.
                let all: Vec<&str> = if items.is_empty() {
                    WHAT[..2].iter().flat_map(|(_, i)| i.iter().copied()).collect()
                } else {
                    items.to_vec()
                };
                for t in all {
                    for (i, r) in wrap(t, w.saturating_sub(7), 2).into_iter().enumerate() {
                        let mark = if i == 0 { "     • " } else { "       " };
                        lines.push(Line::from(Span::styled(format!("{mark}{r}"), theme.dim())));
                    }
                }
            }
        }
        lines.push(Line::raw(""));
        for (mark, text) in [
            (
                "⚠ ",
                "IAM users have long-term credentials, a security risk: give them only the permissions they need, \
                 and remove them when no longer needed.",
            ),
            (
                "ℹ ",
                "AWS ended support for Amazon Pinpoint's console, segments, campaigns and journeys on 2026-10-30; \
                 SMS, voice, push and phone-number validation go on under AWS End User Messaging.",
            ),
        ] {
            for (i, row) in wrap(text, w.saturating_sub(2), 0).into_iter().enumerate() {
                let m = if i == 0 { mark } else { "  " };
                lines.push(Line::from(vec![Span::styled(m, theme.warn()), Span::raw(row)]));
            }
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}
