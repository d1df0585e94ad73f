//! Summary: every resource with its ARN and status, what to do next, and the old keys after a rotation;
//! nothing secret. The same rows are printed to the shell on exit.

use crate::plan::{Action as Step, Plan};
use crate::tui::app::{Choice, Confirm, Do, Intent, Session, StepState};
use crate::tui::keys::{Binding, Key};
use crate::tui::screens::{Scroll, Ui, draw_scrolled, max_scroll, plan::rotate_confirm, scroll, scroll_bindings};
use crate::tui::theme::Theme;
use crate::tui::widgets::wrap::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::sync::Arc;

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "See what now exists in the account, with every ARN, and what to do next. Nothing \
    secret is shown. After a rotation, retire the old key here: first deactivate it, then, once nothing \
    breaks, delete it; each asks first. The same list is printed to the shell when you quit.";

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State {
    pub scroll: u16,
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Scroll(Scroll),
    Rotate,
    Deactivate,
    Delete,
}

/// A resource as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub status: String,
    pub kind: String,
    pub name: String,
    pub arn: String,
}

fn current_plan(s: &Session) -> Option<Arc<Plan>> {
    s.run.plan.clone().or_else(|| s.plan.ready().cloned())
}

/// Every policy, role and user of the plan, with what happened to it.
pub fn rows(s: &Session) -> Vec<Row> {
    let Some(plan) = current_plan(s) else { return vec![] };
    let ran = s.run.plan.is_some();
    (0..plan.steps.len())
        .filter(|i| matches!(plan.label(*i).kind, "policy" | "role" | "user"))
        .map(|i| {
            let l = plan.label(i);
            let status = match s.run.steps.get(i).map(|st| &st.state).filter(|_| ran) {
                Some(StepState::Done(st)) => st.as_str().replace('_', " "),
                Some(StepState::Failed(_)) => "failed".into(),
                Some(StepState::RolledBack) => "rolled back".into(),
                Some(StepState::Skipped) => "not made".into(),
                Some(StepState::Running) => "unknown".into(),
                _ => match plan.steps[i].action {
                    Step::Unchanged => "unchanged".into(),
                    Step::NotChecked => "not checked".into(),
                    _ => "not applied".into(),
                },
            };
            Row { status, kind: l.kind.to_string(), name: l.name, arn: l.arn }
        })
        .collect()
}

/// What this run created or changed (and has not undone), by name.
pub fn made_by_run(s: &Session) -> Vec<String> {
    let Some(plan) = &s.run.plan else { return vec![] };
    let v: Vec<String> = s
        .run
        .steps
        .iter()
        .enumerate()
        .filter(|(_, st)| {
            matches!(
                st.state,
                StepState::Done(
                    crate::engine::Status::Created
                        | crate::engine::Status::Updated
                        | crate::engine::Status::Left
                        | crate::engine::Status::Unknown
                ) | StepState::Running
            )
        })
        .map(|(i, _)| {
            let l = plan.label(i);
            format!("{} {}", l.kind.replace('_', " "), l.name)
        })
        .collect();
    if v.is_empty() { vec!["nothing yet".into()] } else { v }
}

/// The headless command that removes this setup, with the names and Region actually used.
pub fn destroy_command(s: &Session) -> Option<String> {
    let p = current_plan(s)?.params.clone();
    let mut cmd = command(s, &format!("destroy --setup {}", p.setup))?;
    for f in p.name_fields() {
        let value = p.names.get(f);
        if value != f.default {
            cmd.push_str(&format!(" --name {}={value}", f.option()));
        }
    }
    Some(cmd)
}

/// A headless command (`args` after the global options) against the same account and Region as this session:
/// the profile and endpoint it used go with it.
pub fn command(s: &Session, args: &str) -> Option<String> {
    let p = current_plan(s)?.params.clone();
    let mut cmd = String::from("pinpoint-iam-wizard");
    if let Some(profile) = &s.profile {
        cmd.push_str(&format!(" --profile {profile}"));
    }
    if let Some(endpoint) = &s.endpoint {
        cmd.push_str(&format!(" --endpoint-url {endpoint}"));
    }
    cmd.push_str(&format!(" --region {} {args}", p.region));
    Some(cmd)
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
pub fn bindings(st: &State, s: &Session, size: (u16, u16)) -> Vec<Binding<Action>> {
    let mut v = scroll_bindings(st.content(s, size.0, &Theme { color: false }).len(), size.1, Action::Scroll);
    match &s.old_keys {
        Some((_, keys)) if keys.iter().any(|k| k.active) => {
            v.push(Binding::new(&[Key::char('d')], "d", "deactivate old key…", Action::Deactivate))
        }
        Some((_, keys)) if !keys.is_empty() => {
            v.push(Binding::new(&[Key::char('x')], "x", "delete old key…", Action::Delete))
        }
        None if s.rotatable_user().is_some() => {
            v.push(Binding::new(&[Key::char('n')], "n", "new access key…", Action::Rotate))
        }
        _ => {}
    }
    v
}

impl State {
    fn content(&self, s: &Session, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        let w = width as usize;
        let mut lines = vec![Line::from(Span::styled("Resources", theme.title()))];
        for r in rows(s) {
            let style = match r.status.as_str() {
                "created" | "updated" => theme.ok(),
                "failed" | "left" | "unknown" => theme.error(),
                "rolled back" | "not applied" | "not made" => theme.warn(),
                _ => theme.dim(),
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<12}", r.status), style),
                Span::raw(format!("{:<7}{}", r.kind, r.name)),
            ]));
            // The ARN on a line of its own, from column 3, so it is never broken where it fits.
            for row in wrap(&r.arn, w.saturating_sub(3), 0) {
                lines.push(Line::from(Span::styled(format!("   {row}"), theme.dim())));
            }
        }
        if let Some((user, keys)) = &s.old_keys {
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled(format!("Old access keys of {user}"), theme.title())));
            if keys.is_empty() {
                lines.push(Line::raw(" none left"));
            }
            for k in keys {
                let (word, style) = if k.active {
                    ("active: d deactivates it", theme.warn())
                } else {
                    ("inactive: x deletes it", theme.dim())
                };
                lines.push(Line::from(vec![Span::raw(format!(" {}  ", k.id)), Span::styled(word, style)]));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Next", theme.title())));
        let mut next = vec![];
        if let Some(p) = current_plan(s).map(|p| p.params.clone()) {
            next.extend(p.setup.setups().map(|setup| (setup.next)(&p.names)));
        }
        if destroy_command(s).is_some() {
            next.push("Remove it all when no longer needed (also printed on exit):".into());
        }
        for n in next {
            for (i, r) in wrap(&n, w.saturating_sub(3), 3).into_iter().enumerate() {
                lines.push(Line::raw(if i == 0 { format!(" • {r}") } else { r }));
            }
        }
        // The command on lines of its own, so it can be copied as one.
        if let Some(cmd) = destroy_command(s) {
            for r in wrap(&cmd, w.saturating_sub(3), 5) {
                lines.push(Line::from(Span::styled(format!("   {r}"), theme.key())));
            }
        }
        lines
    }

    /// Do what the key bound to `a` asks.
    pub fn act(&mut self, s: &mut Session, a: Action, size: (u16, u16)) -> Vec<Do> {
        match a {
            Action::Scroll(by) => {
                let rows = self.content(s, size.0, &Theme { color: false }).len();
                scroll(&mut self.scroll, by, max_scroll(rows, size.1));
                vec![]
            }
            Action::Rotate => s.rotatable_user().map(|u| vec![Do::Ask(rotate_confirm(u))]).unwrap_or_default(),
            Action::Deactivate | Action::Delete => {
                let Some((user, keys)) = s.old_keys.clone() else { return vec![] };
                let delete = a == Action::Delete;
                let ids: Vec<String> = keys.iter().filter(|k| delete || k.active).map(|k| k.id.clone()).collect();
                let lines = if delete {
                    vec![
                        format!("Deletes {user}'s old access key(s) {} for good.", ids.join(", ")),
                        "This cannot be undone; only the new key will work.".into(),
                    ]
                } else {
                    vec![
                        format!("Deactivates {user}'s old access key(s) {}.", ids.join(", ")),
                        "Anything still using them stops working; they can be activated again in IAM.".into(),
                    ]
                };
                vec![Do::Ask(Confirm {
                    title: if delete { "Delete the old key?".into() } else { "Deactivate the old key?".into() },
                    lines,
                    choices: vec![Choice {
                        key: 'y',
                        does: if delete { "delete".into() } else { "deactivate".into() },
                        intent: Intent::Retire { user, ids, delete },
                        then_quit: false,
                    }],
                    cancel: "not now",
                    quitting: false,
                })]
            }
        }
    }

    /// Draw the screen: a pure function of its state and the session.
    pub fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        draw_scrolled(self.content(s, area.width, ui.theme), self.scroll, frame, area, ui.theme);
    }
}
