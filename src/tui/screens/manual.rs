//! Manual mode: the guides' console steps one panel each, the name to type and the document ready to copy, and
//! a verify key that reads the account (the engine's plan: Get*/List* calls only) and marks each step done, not
//! yet, or differs with a line diff.

use crate::manual::{self, ManualStep, Progress};
use crate::plan::Plan;
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Cmd, Copied, Do, Screen};
use crate::tui::overlay::Overlay;
use crate::tui::remote::Remote;
use crate::tui::screens::{Page, Scroll, Ui, draw_searched, find, max_scroll, scroll, scroll_bindings};
use crate::tui::session::Session;
use crate::tui::theme::Theme;
use crate::tui::widgets::search::{self, Find, Search};
use crate::tui::widgets::{json_view, wrap::wrap};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Do the guides' steps yourself in the AWS console, one panel each: where to click, the \
    name to type, and the document to paste (c copies it). v reads the account (Get and List calls only, nothing \
    is written) and marks each step done, not yet, or differs, with what differs.";

/// From this width the list of every step stands beside the panel.
const SIDE_MIN_WIDTH: u16 = 110;
const SIDE: u16 = 48;

/// What this screen remembers while the wizard runs.
#[derive(Debug)]
pub struct State {
    pub step: usize,
    pub scroll: u16,
    /// The last verification: the engine's read-only plan.
    pub verified: Remote<Plan>,
    /// Each user's inline policies, read with the last verification.
    pub inline: Vec<(String, Vec<String>)>,
    /// Where Esc goes.
    pub back: Screen,
    pub search: Search,
}

impl Default for State {
    fn default() -> Self {
        State {
            step: 0,
            scroll: 0,
            verified: Remote::Idle,
            inline: vec![],
            back: Screen::Preview,
            search: Search::default(),
        }
    }
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Next,
    Prev,
    Scroll(Scroll),
    Find(Find),
    Copy,
    Verify,
    Details,
    Back,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
    if st.search.typing() {
        return search::bindings(&st.search, Act::Find);
    }
    let steps = st.steps(s);
    // The search's keys first: once a query is found, Esc clears it before it goes back.
    let mut v = search::bindings(&st.search, Act::Find);
    if steps.len() > 1 {
        v.push(Binding::new(&[Key::Code(KeyCode::Right), Key::Code(KeyCode::Tab)], "←/→", "step", Act::Next));
        v.push(Binding::new(&[Key::Code(KeyCode::Left), Key::Code(KeyCode::BackTab)], "", "", Act::Prev));
    }
    v.extend(scroll_bindings(st.rows(s, size.0), st.panel_height(size), Act::Scroll));
    if steps.get(st.step).is_some_and(|x| x.document.is_some()) {
        v.push(Binding::new(&[Key::char('c')], "c", "copy document", Act::Copy));
    }
    if s.online() {
        v.push(Binding::new(&[Key::char('v')], "v", "verify (read only)", Act::Verify));
    }
    if matches!(st.verified, Remote::Failed(_)) {
        v.push(Binding::new(&[Key::Code(KeyCode::F(2))], "F2", "error details", Act::Details));
    }
    v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "back", Act::Back));
    v
}

/// A step's progress word and its style.
fn mark(p: Option<&Progress>, theme: &Theme) -> (&'static str, &'static str, Style) {
    match p {
        Some(Progress::Done) => ("✓", "done", theme.ok()),
        Some(Progress::NotYet(_)) => ("·", "not yet", theme.warn()),
        Some(Progress::Differs(_)) => ("≠", "differs", theme.error()),
        None => ("○", "", theme.dim()),
    }
}

/// A step as the list names it: its kind and the resource's name.
fn short(step: &ManualStep) -> String {
    match step.makes {
        manual::Makes::Policy(_) => format!("policy {}", step.name),
        manual::Makes::Role(_) => format!("role {}", step.name),
        manual::Makes::User(_) => format!("user {}", step.name),
        manual::Makes::AccessKey(_) => format!("access key of {}", step.name),
    }
}

impl State {
    /// A fresh panel list, Esc going back to `back`.
    pub fn from(back: Screen) -> State {
        State { back, ..State::default() }
    }

    fn steps(&self, s: &Session) -> Vec<ManualStep> {
        s.desired.as_ref().map(manual::steps).unwrap_or_default()
    }

    /// Each step's progress, once verified.
    fn progress(&self, steps: &[ManualStep]) -> Option<Vec<Progress>> {
        self.verified.ready().map(|plan| manual::progress(steps, plan, &self.inline))
    }

    /// The panel's height in a body of `size`: narrow, the strip of marks takes a row; the search's query line
    /// takes one at the foot.
    fn panel_height(&self, size: (u16, u16)) -> u16 {
        let h = if size.0 >= SIDE_MIN_WIDTH { size.1 } else { size.1.saturating_sub(1) };
        h.saturating_sub(self.search.rows())
    }

    /// The panel's lines in a body `width` wide.
    fn panel(&self, s: &Session, width: u16) -> Vec<Line<'static>> {
        let w = if width >= SIDE_MIN_WIDTH { width - SIDE - 1 } else { width };
        self.content(s, w, &Theme { color: false }, 0)
    }

    fn rows(&self, s: &Session, width: u16) -> usize {
        self.panel(s, width).len()
    }

    /// The current panel: the step, where it stands, the guide's instructions and the document.
    fn content(&self, s: &Session, width: u16, theme: &Theme, tick: u64) -> Vec<Line<'static>> {
        let w = width as usize;
        let steps = self.steps(s);
        let Some(step) = steps.get(self.step.min(steps.len().saturating_sub(1))) else { return vec![] };
        let progress = self.progress(&steps);
        let here = progress.as_ref().and_then(|p| p.get(self.step));
        // A resource that exists but differs is edited, not created: the console's edit path.
        let step = match here {
            Some(Progress::Differs(_)) => manual::edit_step(step),
            _ => step.clone(),
        };
        let mut lines = vec![];
        if progress.as_ref().is_some_and(|p| p.iter().all(|p| *p == Progress::Done)) {
            let all = format!("✓ All {} steps are done: the account matches the guides.", steps.len());
            lines.extend(
                wrap(&all, w.saturating_sub(1), 2).into_iter().map(|r| Line::from(Span::styled(r, theme.ok()))),
            );
        }
        lines.push(Line::from(vec![
            Span::styled(format!("Step {} of {} · ", self.step + 1, steps.len()), theme.dim()),
            Span::styled(step.title.clone(), theme.title()),
        ]));
        for (i, r) in wrap(&step.path, w.saturating_sub(10), 2).into_iter().enumerate() {
            let lead = if i == 0 { "Console: " } else { "         " };
            lines.push(Line::from(vec![Span::styled(lead, theme.dim()), Span::raw(r)]));
        }
        lines.push(Line::from(vec![
            Span::styled("Name to type: ", theme.dim()),
            Span::styled(step.name.clone(), theme.user_value()),
        ]));
        let (_, word, style) = mark(here, theme);
        let (status, status_style) = match (&self.verified, here) {
            (Remote::Pending(_), _) => {
                let spin = crate::tui::widgets::step_list::SPINNER[(tick % 10) as usize];
                (format!("{spin} reading the account (Get and List calls only)…"), theme.focus())
            }
            (Remote::Failed(e), _) => (format!("✗ verify failed: {} (F2)", e.line()), theme.error()),
            (_, Some(_)) => (format!("Status: {word}"), style),
            _ if s.online() => ("Status: not verified (v reads the account)".into(), theme.dim()),
            _ => ("Status: not verified (offline: verify needs credentials that can read IAM)".into(), theme.dim()),
        };
        for r in wrap(&status, w.saturating_sub(1), 2) {
            lines.push(Line::from(Span::styled(r, status_style)));
        }
        match here {
            Some(Progress::NotYet(missing)) => {
                for m in missing {
                    for (i, r) in wrap(m, w.saturating_sub(4), 2).into_iter().enumerate() {
                        let lead = if i == 0 { "  • " } else { "    " };
                        lines.push(Line::from(Span::styled(format!("{lead}{r}"), theme.warn())));
                    }
                }
            }
            Some(Progress::Differs(diffs)) => {
                for d in diffs {
                    for r in wrap(&d.what, w.saturating_sub(2), 2) {
                        lines.push(Line::from(Span::styled(format!("  {r}"), theme.error())));
                    }
                    lines.push(Line::from(vec![
                        Span::styled("  - in the account", theme.error()),
                        Span::styled("  + the guide's", theme.ok()),
                    ]));
                    for l in &d.lines {
                        let style = match l.sign {
                            '-' => theme.error(),
                            '+' => theme.ok(),
                            _ => theme.dim(),
                        };
                        for r in wrap(&l.text, w.saturating_sub(4), 4) {
                            lines.push(Line::from(Span::styled(format!("  {} {r}", l.sign), style)));
                        }
                    }
                }
            }
            _ => {}
        }
        lines.push(Line::raw(""));
        for (i, text) in step.instructions.iter().enumerate() {
            for (j, r) in wrap(text, w.saturating_sub(5), 0).into_iter().enumerate() {
                let lead = if j == 0 { format!("{:>2}. ", i + 1) } else { "    ".into() };
                lines.push(Line::raw(format!("{lead}{r}")));
            }
        }
        if let (Some((title, doc)), Some(p)) = (&step.document, &s.params) {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(title.clone(), theme.title()),
                Span::styled("  (c copies it)", theme.dim()),
            ]));
            lines.extend(json_view::wrapped(doc, &p.user_values(), theme, w.saturating_sub(1)));
        }
        lines
    }
}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s, size)
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, k: &KeyEvent, size: (u16, u16)) -> Vec<Do> {
        let steps = self.steps(s);
        let n = steps.len().max(1);
        match a {
            Act::Find(f) => {
                let lines = self.panel(s, size.0);
                let height = self.panel_height(size);
                find(&mut self.search, f, k, &lines, &mut self.scroll, height);
            }
            Act::Next => {
                self.step = (self.step + 1) % n;
                self.scroll = 0;
            }
            Act::Prev => {
                self.step = (self.step + n - 1) % n;
                self.scroll = 0;
            }
            Act::Scroll(by) => {
                let max = max_scroll(self.rows(s, size.0), self.panel_height(size));
                scroll(&mut self.scroll, by, max);
            }
            Act::Copy => {
                if let Some((title, doc)) = steps.get(self.step).and_then(|x| x.document.as_ref()) {
                    let what = Copied::Document { title: title.clone(), json: json_view::pretty(doc) };
                    return vec![Do::Run(Cmd::Copy { what })];
                }
            }
            Act::Verify => {
                let Some(p) = s.params.clone() else { return vec![] };
                let id = s.request();
                self.verified = Remote::Pending(id);
                return vec![Do::Run(Cmd::Verify { id, params: Box::new(p) })];
            }
            Act::Details => {
                if let Remote::Failed(e) = &self.verified {
                    return vec![Do::Show(Overlay::Details { title: "Verify failed".into(), text: e.detail() })];
                }
            }
            Act::Back => return vec![Do::Go(self.back)],
        }
        vec![]
    }

    fn typing(&self, _s: &Session) -> bool {
        self.search.typing()
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let steps = self.steps(s);
        if steps.is_empty() {
            return;
        }
        let progress = self.progress(&steps);
        let at = |i: usize| progress.as_ref().and_then(|p| p.get(i));
        if area.width < SIDE_MIN_WIDTH {
            // A strip of every step's mark, the current one bracketed.
            let [strip, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            let mut spans = vec![Span::styled("Steps ", theme.dim())];
            for i in 0..steps.len() {
                let (m, _, style) = mark(at(i), theme);
                let text = if i == self.step { format!("[{m}]") } else { format!(" {m} ") };
                spans.push(Span::styled(text, if i == self.step { theme.focus() } else { style }));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), strip);
            let lines = self.content(s, body.width, theme, ui.tick);
            draw_searched(&self.search, lines, self.scroll, frame, body, theme);
            return;
        }
        let [list, panel] = Layout::horizontal([Constraint::Length(SIDE), Constraint::Min(0)]).areas(area);
        let mut rows = vec![Line::from(Span::styled("The guides' steps", theme.title()))];
        for (i, step) in steps.iter().enumerate() {
            let (m, word, style) = mark(at(i), theme);
            let name_style = if i == self.step { theme.selected() } else { theme.text() };
            rows.push(Line::from(vec![
                Span::styled(format!("{m} {word:<8}"), style),
                Span::styled(format!("{:>2} {}", i + 1, short(step)), name_style),
            ]));
        }
        rows.push(Line::raw(""));
        let note = if s.online() {
            "v verifies: Get and List calls only, nothing is written."
        } else {
            "Offline: follow the steps; verify needs credentials that can read IAM."
        };
        rows.extend(wrap(note, SIDE as usize - 2, 0).into_iter().map(|r| Line::from(Span::styled(r, theme.dim()))));
        frame.render_widget(Paragraph::new(rows).block(Block::new().borders(Borders::RIGHT)), list);
        let inner = Rect { x: panel.x + 1, width: panel.width.saturating_sub(1), ..panel };
        let lines = self.content(s, inner.width, theme, ui.tick);
        draw_searched(&self.search, lines, self.scroll, frame, inner, theme);
    }
}
