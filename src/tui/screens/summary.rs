//! Summary: every resource with its ARN and status, what to do next, and the old keys after a rotation;
//! nothing secret. The same rows are printed to the shell on exit.

use crate::tui::exit::ExitReport;
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Cmd, Copied, Do};
use crate::tui::overlay::{Confirm, Intent, KeyRetirement};
use crate::tui::screens::{
    Copyable, Page, Scroll, Ui, draw_scrolled, follow, max_scroll, scroll, select_bindings, shell_rows, step_selection,
};
use crate::tui::session::{Session, access_keys, attachments, current_plan, destroy_command, rows};
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
    /// Which of [`copyables`] `y` copies.
    pub selected: usize,
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Scroll(Scroll),
    Select(bool),
    Copy,
    Rotate,
    Deactivate,
    Delete,
}

/// What `y` copies here, in order: each resource's ARN, then the destroy command.
pub fn copyables(s: &Session) -> Vec<Copyable> {
    let mut v: Vec<Copyable> = rows(s)
        .into_iter()
        .map(|r| Copyable { what: format!("the ARN of {} {}", r.kind, r.name), text: r.arn })
        .collect();
    v.extend(destroy_command(s).map(|text| Copyable { what: "the destroy command".into(), text }));
    v
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
    let rows = st.content(s, size.0, &Theme { color: false }).0.len();
    let mut v = select_bindings(copyables(s).len(), rows, size.1, Act::Select, Act::Copy, Act::Scroll);
    match s.replaced_keys() {
        Some((_, keys)) if keys.iter().any(|k| k.active) => {
            v.push(Binding::new(&[Key::char('d')], "d", "deactivate old key…", Act::Deactivate))
        }
        Some((_, keys)) if !keys.is_empty() => {
            v.push(Binding::new(&[Key::char('x')], "x", "delete old key…", Act::Delete))
        }
        Some(_) => {}
        None if s.rotatable_user().is_some() => {
            v.push(Binding::new(&[Key::char('n')], "n", "new access key…", Act::Rotate))
        }
        _ => {}
    }
    v
}

/// How a resource's status is coloured.
fn status_style(status: &str, theme: &Theme) -> ratatui::style::Style {
    match status {
        "created" | "updated" => theme.ok(),
        "failed" | "left" | "unknown" => theme.error(),
        "rolled back" | "not applied" | "not made" => theme.warn(),
        _ => theme.dim(),
    }
}

impl State {
    /// The box's lines, and the line of each item of [`copyables`] (the destroy command's is the line that
    /// points to it under the box).
    fn content(&self, s: &Session, width: u16, theme: &Theme) -> (Vec<Line<'static>>, Vec<usize>) {
        let w = width as usize;
        let mut marks = vec![];
        let mut lines = vec![Line::from(Span::styled("Resources", theme.title()))];
        for r in rows(s) {
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<12}", r.status), status_style(&r.status, theme)),
                Span::raw(format!("{:<7}{}", r.kind, r.name)),
            ]));
            // The ARN on a line of its own, from column 3, so it is never broken where it fits.
            let picked = marks.len() == self.selected;
            marks.push(lines.len());
            for (i, row) in wrap(&r.arn, w.saturating_sub(3), 0).into_iter().enumerate() {
                let (mark, style) = if picked { ("›", theme.selected()) } else { (" ", theme.dim()) };
                let mark = if i == 0 { mark } else { " " };
                lines.push(Line::from(vec![Span::raw(format!(" {mark} ")), Span::styled(row, style)]));
            }
        }
        self.attachments_and_keys(s, w, theme, &mut lines);
        self.old_keys(s, w, theme, &mut lines);
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Next", theme.title())));
        let mut next = vec![];
        if let Some(p) = current_plan(s).map(|p| p.params.clone()) {
            next.extend(p.setup.setups().map(|setup| (setup.next)(&p.names)));
        }
        for n in next {
            for (i, r) in wrap(&n, w.saturating_sub(3), 3).into_iter().enumerate() {
                lines.push(Line::raw(if i == 0 { format!(" • {r}") } else { r }));
            }
        }
        if destroy_command(s).is_some() {
            // The command itself is under the box, outside its border, so the mouse selects it alone.
            let picked = marks.len() == self.selected;
            marks.push(lines.len());
            let said = "Remove it all when no longer needed: the command under this box (also printed on exit).";
            for (i, r) in wrap(said, w.saturating_sub(3), 3).into_iter().enumerate() {
                let head = match (i, picked) {
                    (0, true) => format!(" › {r}"),
                    (0, false) => format!(" • {r}"),
                    _ => r,
                };
                lines.push(Line::from(Span::styled(head, if picked { theme.selected() } else { theme.text() })));
            }
        }
        (lines, marks)
    }

    /// The attachments, and the access keys with their ids.
    fn attachments_and_keys(&self, s: &Session, w: usize, theme: &Theme, lines: &mut Vec<Line<'static>>) {
        let attached = attachments(s);
        if !attached.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled("Attachments", theme.title())));
        }
        for r in attached {
            let mut rows = wrap(&r.name, w.saturating_sub(14), 2).into_iter();
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<12}", r.status), status_style(&r.status, theme)),
                Span::raw(rows.next().unwrap_or_default()),
            ]));
            lines.extend(rows.map(|row| Line::raw(format!("{:13}{row}", ""))));
        }
        let keys = access_keys(s);
        if !keys.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled("Access keys", theme.title())));
        }
        for k in keys {
            let state = match &k.made {
                Some(outcome) => format!("new: {}", ExitReport::key_end(s, outcome)),
                None if k.active => "found in the account: active".into(),
                None => "found in the account: inactive".into(),
            };
            let text = format!("{} of {}: {state}", k.id, k.user);
            for (i, r) in wrap(&text, w.saturating_sub(1), 3).into_iter().enumerate() {
                lines.push(Line::raw(if i == 0 { format!(" {r}") } else { r }));
            }
        }
    }

    /// After a rotation, the keys the new one replaces and what can be done to them.
    fn old_keys(&self, s: &Session, w: usize, theme: &Theme, lines: &mut Vec<Line<'static>>) {
        let Some((user, keys)) = &s.old_keys else { return };
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(format!("Old access keys of {user}"), theme.title())));
        if keys.is_empty() {
            lines.push(Line::raw(" none left"));
        }
        let retirable = s.replaced_keys().is_some();
        if !retirable {
            let why = "the new key's secret reached no one, so these stay as they are (n makes another)";
            lines.extend(wrap(why, w.saturating_sub(1), 1).into_iter().map(|r| Line::raw(format!(" {r}"))));
        }
        for k in keys {
            let (word, style) = match (k.active, retirable) {
                (true, true) => ("active: d deactivates it", theme.warn()),
                (false, true) => ("inactive: x deletes it", theme.dim()),
                (true, false) => ("active", theme.text()),
                (false, false) => ("inactive", theme.dim()),
            };
            lines.push(Line::from(vec![Span::raw(format!(" {}  ", k.id)), Span::styled(word, style)]));
        }
    }

    fn retire(&self, s: &Session, delete: bool) -> Vec<Do> {
        let Some((user, keys)) = s.replaced_keys().map(|(u, k)| (u.to_string(), k.to_vec())) else { return vec![] };
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
        let confirm =
            Confirm::new(title).lines(lines).choice('y', does, Intent::Retire(KeyRetirement { user, ids, delete }));
        vec![Do::Ask(confirm.cancel("not now"))]
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
                let rows = self.content(s, size.0, &Theme { color: false }).0.len();
                scroll(&mut self.scroll, by, max_scroll(rows, size.1));
                vec![]
            }
            Act::Select(down) => {
                step_selection(&mut self.selected, down, copyables(s).len());
                let (lines, marks) = self.content(s, size.0, &Theme { color: false });
                if let Some(line) = marks.get(self.selected) {
                    follow(&mut self.scroll, *line, lines.len(), size.1);
                }
                vec![]
            }
            Act::Copy => match copyables(s).into_iter().nth(self.selected) {
                Some(c) => vec![Do::Run(Cmd::Copy { what: Copied::Text { what: c.what, text: c.text } })],
                None => vec![],
            },
            Act::Rotate => {
                s.rotatable_user().map(|u| vec![Do::Ask(crate::tui::prompts::rotate_confirm(u))]).unwrap_or_default()
            }
            Act::Deactivate => self.retire(s, false),
            Act::Delete => self.retire(s, true),
        }
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        draw_scrolled(self.content(s, area.width, ui.theme).0, self.scroll, frame, area, ui.theme);
    }

    /// The destroy command, under the box: rows that paste back as one command.
    fn loose(&self, s: &Session, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        let Some(cmd) = destroy_command(s) else { return vec![] };
        let picked = copyables(s).len().checked_sub(1) == Some(self.selected);
        let style = if picked { theme.selected() } else { theme.key() };
        shell_rows(&cmd, width as usize).into_iter().map(|r| Line::from(Span::styled(r, style))).collect()
    }
}
