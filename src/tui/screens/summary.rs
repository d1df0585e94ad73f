//! Summary: every resource with its ARN and status, what to do next, and the old keys after a rotation;
//! nothing secret. The same rows are printed to the shell on exit.

use crate::tui::keys::{Binding, Key};
use crate::tui::msg::Do;
use crate::tui::overlay::{Confirm, Intent};
use crate::tui::screens::{Page, Scroll, Ui, draw_scrolled, max_scroll, scroll, scroll_bindings};
use crate::tui::session::{Session, current_plan, destroy_command, rows};
use crate::tui::theme::Theme;
use crate::tui::widgets::wrap::wrap;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

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
pub enum Act {
    Scroll(Scroll),
    Rotate,
    Deactivate,
    Delete,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
    let mut v = scroll_bindings(st.content(s, size.0, &Theme { color: false }).len(), size.1, Act::Scroll);
    match &s.old_keys {
        Some((_, keys)) if keys.iter().any(|k| k.active) => {
            v.push(Binding::new(&[Key::char('d')], "d", "deactivate old key…", Act::Deactivate))
        }
        Some((_, keys)) if !keys.is_empty() => {
            v.push(Binding::new(&[Key::char('x')], "x", "delete old key…", Act::Delete))
        }
        None if s.rotatable_user().is_some() => {
            v.push(Binding::new(&[Key::char('n')], "n", "new access key…", Act::Rotate))
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
}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s, size)
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, _k: &KeyEvent, size: (u16, u16)) -> Vec<Do> {
        match a {
            Act::Scroll(by) => {
                let rows = self.content(s, size.0, &Theme { color: false }).len();
                scroll(&mut self.scroll, by, max_scroll(rows, size.1));
                vec![]
            }
            Act::Rotate => {
                s.rotatable_user().map(|u| vec![Do::Ask(crate::tui::prompts::rotate_confirm(u))]).unwrap_or_default()
            }
            Act::Deactivate | Act::Delete => {
                let Some((user, keys)) = s.old_keys.clone() else { return vec![] };
                let delete = a == Act::Delete;
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
                let (title, does) =
                    if delete { ("Delete the old key?", "delete") } else { ("Deactivate the old key?", "deactivate") };
                let confirm = Confirm::new(title).lines(lines).choice('y', does, Intent::Retire { user, ids, delete });
                vec![Do::Ask(confirm.cancel("not now"))]
            }
        }
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        draw_scrolled(self.content(s, area.width, ui.theme), self.scroll, frame, area, ui.theme);
    }
}
