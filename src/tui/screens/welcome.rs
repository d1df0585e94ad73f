//! Welcome: which setups to run and what each creates.

use crate::setup::{SETUPS, Selection};
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Do, Screen};
use crate::tui::screens::{Page, Ui};
use crate::tui::session::Session;
use crate::tui::widgets::wrap::wrap;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// What the screen is for, as `?` help says it.
pub fn purpose() -> String {
    let gists: Vec<&str> = SETUPS.iter().map(|s| s.gist).collect();
    let either = match gists.len() {
        1 => gists.join(""),
        2 => format!("{}, or both", gists.join(", ")),
        _ => format!("{}, or all of them", gists.join(", ")),
    };
    format!(
        "Choose what to set up: {either}. Nothing is read or written yet; every write is shown and confirmed \
         later. m is manual mode: the guides' console steps to do by hand, verified by reading the account."
    )
}

/// The setups, in the order listed: each one, then all of them.
pub fn choices() -> Vec<Selection> {
    Selection::choices()
}

/// How the footer names the number keys, by how many choices there are.
const NUMBER_LABELS: [&str; 9] = ["1", "1-2", "1-3", "1-4", "1-5", "1-6", "1-7", "1-8", "1-9"];

/// A choice's title and what it creates.
fn what(choice: Selection) -> (&'static str, Vec<&'static str>) {
    let creates = choice.setups().flat_map(|s| s.creates.iter().copied()).collect();
    (choice.title(), creates)
}

/// What this screen remembers while the wizard runs.
#[derive(Debug)]
pub struct State {
    pub choice: usize,
}

impl Default for State {
    fn default() -> Self {
        // Both guides: what most who run the wizard came for.
        State { choice: choices().iter().position(|c| *c == Selection::all()).unwrap_or(0) }
    }
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Up,
    Down,
    Pick(usize),
    Next,
    Manual,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(_st: &State, _s: &Session) -> Vec<Binding<Act>> {
    let mut v = vec![
        Binding::new(&[Key::Code(KeyCode::Down)], "↑/↓", "choose", Act::Down),
        Binding::new(&[Key::Code(KeyCode::Up)], "", "", Act::Up),
    ];
    let n = choices().len().min(NUMBER_LABELS.len());
    for (i, digit) in ('1'..='9').take(n).enumerate() {
        let (label, does) = if i == 0 { (NUMBER_LABELS[n - 1], "choose") } else { ("", "") };
        v.push(Binding::new(&[Key::char(digit)], label, does, Act::Pick(i)));
    }
    v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "next", Act::Next));
    v.push(Binding::new(&[Key::char('m')], "m", "manual mode", Act::Manual));
    v
}

impl State {}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, _size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s)
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, _k: &KeyEvent, _size: (u16, u16)) -> Vec<Do> {
        let choices = choices();
        match a {
            Act::Up => self.choice = self.choice.saturating_sub(1),
            Act::Down => self.choice = (self.choice + 1).min(choices.len().saturating_sub(1)),
            Act::Pick(i) => self.choice = i.min(choices.len().saturating_sub(1)),
            Act::Next | Act::Manual => {
                s.setup = choices.get(self.choice).copied().unwrap_or_else(Selection::all);
                // Manual mode: the same identity and parameters, then the console steps instead of the plan.
                s.manual = a == Act::Manual;
                return vec![Do::Go(Screen::Identity)];
            }
        }
        s.setup = choices.get(self.choice).copied().unwrap_or_else(Selection::all);
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session. In a short window the blank lines go first,
    /// then the chosen setup's list runs on in one paragraph, then it is left to the Preview: the notes below
    /// (the long-term credentials warning, what ended with Pinpoint) stay whole.
    fn view(&self, _s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let (w, h) = (area.width as usize, area.height as usize);
        let intro = "Sets up the IAM resources of AWS's Amazon Pinpoint guides: previewed, planned, then applied.";
        let intro: Vec<Line> = wrap(intro, w, 0).into_iter().map(Line::raw).collect();
        let notes = self.notes(w, ui);
        let mut lines = vec![];
        for (list, gaps) in
            [(List::Bullets, true), (List::Bullets, false), (List::Paragraph, false), (List::Hidden, false)]
        {
            let choices = self.choices(w, list, ui);
            let gap = usize::from(gaps);
            lines = intro.clone();
            lines.extend(std::iter::repeat_n(Line::raw(""), gap));
            lines.push(Line::from(Span::styled("What to set up:", ui.theme.title())));
            lines.extend(choices);
            lines.extend(std::iter::repeat_n(Line::raw(""), gap));
            lines.extend(notes.iter().cloned());
            if lines.len() <= h {
                break;
            }
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

/// How the chosen setup's resources are listed: shorter forms for shorter windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Bullets,
    Paragraph,
    Hidden,
}

impl State {
    /// The choices, the chosen one with what it creates as `list` says.
    fn choices(&self, w: usize, list: List, ui: &Ui) -> Vec<Line<'static>> {
        let theme = ui.theme;
        let mut lines = vec![];
        for (i, choice) in choices().into_iter().enumerate() {
            let (title, items) = what(choice);
            let chosen = self.choice == i;
            let mark = if chosen { "(•)" } else { "( )" };
            let style = if chosen { theme.focus() } else { theme.text() };
            lines.push(Line::from(Span::styled(format!(" {mark} {} {title}  [{choice}]", i + 1), style)));
            if !chosen {
                continue;
            }
            let texts: Vec<String> = match list {
                List::Bullets => items.into_iter().map(String::from).collect(),
                List::Paragraph => vec![items.join("; ")],
                List::Hidden => vec!["(too short a window to list what it creates: Preview shows each)".into()],
            };
            for t in texts {
                for (i, r) in wrap(&t, w.saturating_sub(7), 0).into_iter().enumerate() {
                    let mark = if i == 0 && list == List::Bullets { "     • " } else { "       " };
                    lines.push(Line::from(Span::styled(format!("{mark}{r}"), theme.dim())));
                }
            }
        }
        lines
    }

    /// The setups' warnings (each once) and their end-of-support notes.
    fn notes(&self, w: usize, ui: &Ui) -> Vec<Line<'static>> {
        let mut warnings: Vec<(&str, &str)> = vec![];
        for warning in SETUPS.iter().flat_map(|s| s.warnings.iter()) {
            if !warnings.iter().any(|(_, seen)| seen == warning) {
                warnings.push(("⚠ ", warning));
            }
        }
        warnings.extend(SETUPS.iter().filter_map(|s| s.end_of_support).map(|line| ("ℹ ", line)));
        let mut lines = vec![];
        for (mark, text) in warnings {
            for (i, row) in wrap(text, w.saturating_sub(2), 0).into_iter().enumerate() {
                let m = if i == 0 { mark } else { "  " };
                lines.push(Line::from(vec![Span::styled(m, ui.theme.warn()), Span::raw(row)]));
            }
        }
        lines
    }
}
