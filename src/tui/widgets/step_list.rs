//! The run's steps, each with its state, a spinner while running, and its time.

use crate::plan::Plan;
use crate::tui::progress::{StepRun, StepState};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// One or more lines per step: a name longer than the row goes on under itself, indented, never cut.
pub fn lines(plan: &Plan, steps: &[StepRun], tick: u64, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    per_step(plan, steps, tick, theme, width).into_iter().flatten().collect()
}

/// The lines of each step, step by step (to know where each begins when the list is scrolled).
pub fn per_step(plan: &Plan, steps: &[StepRun], tick: u64, theme: &Theme, width: usize) -> Vec<Vec<Line<'static>>> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let l = plan.label(i);
            let (mark, word, style) = match &s.state {
                StepState::Pending => ("·".to_string(), "pending".to_string(), theme.dim()),
                StepState::Running => (SPINNER[(tick % 10) as usize].to_string(), "running".to_string(), theme.focus()),
                // After a rollback the account was read again: what remains, or could not be read, is no success.
                StepState::Done(crate::engine::Status::Left) => ("!".to_string(), "left".to_string(), theme.warn()),
                StepState::Done(crate::engine::Status::Unknown) => {
                    ("?".to_string(), "unknown".to_string(), theme.warn())
                }
                StepState::Done(st) => ("✓".to_string(), st.as_str().replace('_', " "), theme.ok()),
                StepState::Failed(_) => ("✗".to_string(), "failed".to_string(), theme.error()),
                StepState::Skipped => ("-".to_string(), "skipped".to_string(), theme.dim()),
                StepState::RolledBack => ("↶".to_string(), "rolled back".to_string(), theme.warn()),
            };
            let time = s.elapsed.map(|d| format!("{:.1}s", d.as_secs_f64())).unwrap_or_default();
            // The time goes before the name, so it stays on screen whatever the names' length.
            let mut rows = super::wrap::wrap(&l.name, width.saturating_sub(34), 2).into_iter();
            let mut out = vec![Line::from(vec![
                Span::styled(format!(" {mark} "), style),
                Span::styled(format!("{:<12}", word), style),
                Span::styled(format!("{time:>6}  "), theme.dim()),
                Span::raw(format!("{:<11}{}", l.kind, rows.next().unwrap_or_default())),
            ])];
            out.extend(rows.map(|r| Line::raw(format!("{:34}{r}", ""))));
            out
        })
        .collect()
}
