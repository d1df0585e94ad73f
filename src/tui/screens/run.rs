//! Run: a gauge of the write steps and every step with its state and time; on a failure, the error in one
//! line and the choice to retry, roll back what this run made, or keep it, each confirmed.

use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Cmd, Do, Screen};
use crate::tui::overlay::{Confirm, Intent, Overlay};
use crate::tui::progress::Phase;
use crate::tui::remote::Remote;
use crate::tui::screens::{Page, Ui};
use crate::tui::session::Session;
use crate::tui::widgets::{step_list, wrap::wrap};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Watch the plan being applied, independent steps at once. If a step fails, nothing new \
    starts and you choose: retry (plan again and apply what is missing), roll back everything this run made, or \
    keep it as it is. Each choice that writes asks first.";

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State;

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Stop,
    Retry,
    RollBack,
    Keep,
    Details,
    Continue,
    Manual,
}

/// Whether the run failed because the caller may not write (IAM answered AccessDenied).
pub fn denied(s: &Session) -> bool {
    s.run.failure.as_ref().is_some_and(|f| f.denied)
}

/// Whether this run made an access key that is not deleted (its secret is still in custody).
fn run_key(s: &Session) -> bool {
    s.run.key.as_ref().is_some_and(|id| s.custody.is_live(id))
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(_st: &State, s: &Session) -> Vec<Binding<Act>> {
    let run = &s.run;
    let mut v = vec![];
    match &run.phase {
        Phase::Applying => v.push(Binding::new(&[Key::char('s')], "s", "stop…", Act::Stop)),
        Phase::Failed(log) => {
            if s.online() {
                v.push(Binding::new(&[Key::char('r')], "r", "retry (plan again)", Act::Retry));
            }
            if !log.is_empty() {
                v.push(Binding::new(&[Key::char('b')], "b", "roll back…", Act::RollBack));
                v.push(Binding::new(&[Key::char('k')], "k", "keep…", Act::Keep));
            } else {
                v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "continue", Act::Continue));
            }
        }
        Phase::Completed | Phase::RolledBack { .. } | Phase::Kept => {
            v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "continue", Act::Continue));
        }
        _ => {}
    }
    if run.failure.is_some() {
        v.push(Binding::new(&[Key::Code(KeyCode::F(2))], "F2", "error details", Act::Details));
    }
    // No permission to write: the guides' console steps (or someone who may) are the way on.
    if denied(s) && matches!(run.phase, Phase::Failed(_) | Phase::RolledBack { .. } | Phase::Kept) {
        v.push(Binding::new(&[Key::char('m')], "m", "do it by hand", Act::Manual));
    }
    v
}

impl State {}

/// The rows of the step list that fit: when it is longer than the screen, the failed step (else the newest
/// activity) stays in view and a line above and below says how many steps are out of sight and what became of
/// them, so a step that wrote something is never hidden without a word.
fn visible_steps(s: &Session, per_step: Vec<Vec<Line<'static>>>, area: Rect, ui: &Ui) -> Vec<Line<'static>> {
    use crate::tui::progress::StepState;
    let h = area.height as usize;
    let run = &s.run;
    // starts[i]: the row where step i begins; starts[n]: every row.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(per_step.iter().scan(0, |row, l| {
            *row += l.len();
            Some(*row)
        }))
        .collect();
    let lines: Vec<Line<'static>> = per_step.into_iter().flatten().collect();
    if lines.len() <= h || h < 3 {
        return lines;
    }
    let rows_to = |n: usize| starts[n];
    let focus = run
        .steps
        .iter()
        .position(|st| matches!(st.state, StepState::Failed(_)))
        .or_else(|| run.steps.iter().rposition(|st| !matches!(st.state, StepState::Pending)));
    // A row is kept for the marker below, and one for the marker above once the list is scrolled.
    let offset_for = |body: usize| focus.map_or(0, |i| rows_to(i + 1).saturating_sub(body).min(rows_to(i)));
    let body = if offset_for(h - 1) == 0 { h - 1 } else { h - 2 };
    let offset = offset_for(body).min(lines.len() - body);
    let above: Vec<&StepState> =
        (0..run.steps.len()).filter(|i| rows_to(i + 1) <= offset).map(|i| &run.steps[i].state).collect();
    let below: Vec<&StepState> =
        (0..run.steps.len()).filter(|i| rows_to(*i) >= offset + body).map(|i| &run.steps[i].state).collect();
    let summary = |states: &[&StepState]| {
        let done = states.iter().filter(|st| matches!(st, StepState::Done(_))).count();
        let rolled = states.iter().filter(|st| matches!(st, StepState::RolledBack)).count();
        let mut parts = vec![format!("{} step(s)", states.len())];
        if done > 0 {
            parts.push(format!("{done} done"));
        }
        if rolled > 0 {
            parts.push(format!("{rolled} rolled back"));
        }
        parts.join(", ")
    };
    let mut out = Vec::with_capacity(h);
    if offset > 0 {
        out.push(Line::from(Span::styled(format!("↑ {} above", summary(&above)), ui.theme.dim())));
    }
    out.extend(lines.into_iter().skip(offset).take(body));
    if !below.is_empty() {
        out.push(Line::from(Span::styled(format!("↓ {} below", summary(&below)), ui.theme.dim())));
    }
    out
}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, _size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s)
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, _k: &KeyEvent, _size: (u16, u16)) -> Vec<Do> {
        let made = crate::tui::session::made_by_run(s);
        match a {
            Act::Stop => vec![Do::Ask(
                Confirm::new("Stop the run?")
                    .line("Running steps finish; no new step starts.")
                    .line("b then undoes everything this run made; k keeps it as it is.")
                    .choice('b', "stop and roll back", Intent::Stop { roll_back: true })
                    .choice('k', "stop and keep", Intent::Stop { roll_back: false })
                    .cancel("let it run"),
            )],
            Act::RollBack => {
                let mut lines = vec![match made.is_empty() {
                    true => "Nothing is confirmed written; whatever a request without an answer did is undone.".into(),
                    false => format!("Deletes or restores what this run made: {}.", made.join(", ")),
                }];
                if run_key(s) {
                    lines.push("Its access key, whose secret was never shown, is deleted too.".into());
                }
                lines.push("What existed before the run is left as it was.".into());
                let confirm = Confirm::new("Roll back this run?").lines(lines);
                vec![Do::Ask(confirm.choice('y', "roll back", Intent::RollBack).cancel("not now"))]
            }
            Act::Keep => {
                let mut lines = vec![format!("Keeps what this run made in the account: {}.", made.join(", "))];
                if run_key(s) {
                    lines.push("Its access key is kept: its secret is shown next, once.".into());
                }
                lines.push("The setup is incomplete until a later run (r, or `apply`) finishes it.".into());
                let confirm = Confirm::new("Keep what this run made?").lines(lines);
                vec![Do::Ask(confirm.choice('y', "keep it", Intent::Keep).cancel("not now"))]
            }
            Act::Retry => {
                // What this run made stays and the new plan finds it unchanged; only what is missing is written.
                if let Phase::Failed(_) = s.run.phase {
                    s.run.phase = Phase::Kept;
                }
                let Some(p) = s.params.clone() else { return vec![] };
                let id = s.request();
                s.plan = Remote::Pending(id);
                vec![Do::Run(Cmd::Plan { id, params: Box::new(p) }), Do::Go(Screen::Plan)]
            }
            Act::Details => match &s.run.failure {
                Some(f) => vec![Do::Show(Overlay::Details { title: "What failed".into(), text: f.detail.clone() })],
                None => vec![],
            },
            Act::Manual => vec![Do::Go(Screen::Manual)],
            Act::Continue => {
                let next = if s.custody.held().is_some() { Screen::Secret } else { Screen::Summary };
                vec![Do::Go(next)]
            }
        }
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let run = &s.run;
        let Some(plan) = &run.plan else { return };
        let [gauge_area, list_area, info_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(5)]).areas(area);
        let (ended, total) = run.progress();
        // While steps run the gauge fills with the steps that ended; once the run ended, with those that
        // succeeded: a run whose every step failed or was skipped shows an empty gauge, not a full one.
        let ok = run.succeeded();
        let (label, style) = match &run.phase {
            Phase::Applying => (format!("{ended}/{total} write steps"), theme.ok()),
            Phase::Stopping { .. } => (format!("stopping… {ended}/{total} write steps"), theme.warn()),
            Phase::Completed => (format!("done: {ok}/{total} write steps"), theme.ok()),
            Phase::Failed(_) => {
                (format!("failed: {ok}/{total} write steps succeeded; waiting for your choice"), theme.error())
            }
            Phase::RollingBack => ("rolling back…".to_string(), theme.warn()),
            Phase::RolledBack { errors: 0 } => {
                (format!("failed, rolled back ({ok}/{total} had succeeded)"), theme.warn())
            }
            Phase::RolledBack { .. } => ("failed, rollback incomplete".to_string(), theme.error()),
            Phase::Kept => (format!("failed, kept as it is: {ok}/{total} write steps succeeded"), theme.warn()),
            Phase::NotStarted => (String::new(), theme.dim()),
        };
        let filled = if matches!(run.phase, Phase::Applying | Phase::Stopping { .. }) { ended } else { ok };
        let ratio = if total == 0 { 1.0 } else { filled as f64 / total as f64 };
        frame.render_widget(Gauge::default().gauge_style(style).ratio(ratio.min(1.0)).label(label), gauge_area);
        let steps = step_list::per_step(plan, &run.steps, ui.tick, theme, list_area.width as usize);
        frame.render_widget(Paragraph::new(visible_steps(s, steps, list_area, ui)), list_area);

        let w = info_area.width as usize;
        let mut info = vec![];
        if let Some(f) = &run.failure {
            for r in wrap(&format!("✗ {} (F2: details)", f.line), w, 2) {
                info.push(Line::from(Span::styled(r, theme.error())));
            }
        }
        for n in run.notes.iter().rev().take(2) {
            info.push(Line::from(Span::styled(n.clone(), theme.dim())));
        }
        let next = match &run.phase {
            Phase::RollingBack => Some(format!("{} rolling back…", ui.spinner())),
            Phase::Failed(log) if !log.is_empty() => {
                Some("r retries (plans again) · b rolls back this run · k keeps it".into())
            }
            Phase::Completed => Some("All steps done. Enter continues.".into()),
            Phase::RolledBack { .. } | Phase::Kept => Some("Enter shows the summary.".into()),
            _ => None,
        };
        if let Some(n) = next {
            info.push(Line::from(Span::styled(n, theme.focus())));
        }
        if denied(s) && !run.active() {
            let by_hand = "IAM refused a write: m shows the guides' console steps, to finish by hand.";
            info.push(Line::from(Span::styled(by_hand, theme.focus())));
        }
        let skip = info.len().saturating_sub(info_area.height as usize);
        frame.render_widget(Paragraph::new(info.into_iter().skip(skip).collect::<Vec<_>>()), info_area);
    }
}
