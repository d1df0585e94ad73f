//! A field with a list under it: typing filters the list, ↑/↓ move the highlight, and the value is always
//! the highlighted row, shown in the field, so what Enter takes is what the screen shows. The typed text is a
//! row of its own (first), so a name not in the list can still be chosen.

use crate::aws::listings::Project;
use crate::tui::remote::Remote;
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use tui_input::Input;

/// An item a picker can show and match.
pub trait PickItem {
    fn label(&self) -> String;
    fn value(&self) -> String;
}

impl PickItem for String {
    fn label(&self) -> String {
        self.clone()
    }
    fn value(&self) -> String {
        self.clone()
    }
}

impl PickItem for Project {
    fn label(&self) -> String {
        format!("{}  ({})", self.name, self.id)
    }
    fn value(&self) -> String {
        self.id.clone()
    }
}

/// A filterable list and what was typed.
#[derive(Debug)]
pub struct Picker<T> {
    pub items: Remote<Vec<T>>,
    pub filter: Input,
    /// The row picked with ↑/↓, by value, so typing more keeps it while it still matches; `None` follows the
    /// filter (the first match, else the typed text).
    pub picked: Option<Row>,
}

impl<T> Default for Picker<T> {
    fn default() -> Self {
        Picker { items: Remote::Idle, filter: Input::default(), picked: None }
    }
}

/// A row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Typed(String),
    Item { label: String, value: String },
}

impl<T: PickItem> Picker<T> {
    /// Items whose label contains the typed text (any case).
    pub fn matches(&self) -> Vec<&T> {
        let needle = self.filter.value().trim().to_lowercase();
        match &self.items {
            Remote::Ready(items) => items.iter().filter(|i| i.label().to_lowercase().contains(&needle)).collect(),
            _ => vec![],
        }
    }

    /// The rows: the typed text (unless empty or exactly an item's value), then the matches.
    pub fn rows(&self) -> Vec<Row> {
        let typed = self.filter.value().trim();
        let matches = self.matches();
        let mut rows = vec![];
        if !typed.is_empty() && !matches.iter().any(|m| m.value() == typed) {
            rows.push(Row::Typed(typed.to_string()));
        }
        rows.extend(matches.iter().map(|m| Row::Item { label: m.label(), value: m.value() }));
        rows
    }

    /// The highlighted row: the picked one, else the first match, else the typed text.
    pub fn highlighted(&self) -> Option<usize> {
        let rows = self.rows();
        match self.picked.as_ref().and_then(|p| rows.iter().position(|r| r == p)) {
            Some(i) => Some(i),
            // Nothing typed and nothing picked: no value yet, rather than a guess the user did not make; unless the
            // list holds one row, which is then the only choice there is.
            _ if self.filter.value().trim().is_empty() => (rows.len() == 1).then_some(0),
            _ => {
                rows.iter().position(|r| matches!(r, Row::Item { .. })).or(if rows.is_empty() { None } else { Some(0) })
            }
        }
    }

    /// The value the field has: the highlighted row's.
    pub fn value(&self) -> String {
        let rows = self.rows();
        match self.highlighted().and_then(|i| rows.get(i)) {
            Some(Row::Typed(t)) => t.clone(),
            Some(Row::Item { value, .. }) => value.clone(),
            None => String::new(),
        }
    }

    /// The filter changed: a picked row that no longer matches lets the highlight follow the filter again.
    pub fn typed(&mut self) {
        let rows = self.rows();
        if self.picked.as_ref().is_some_and(|p| !rows.contains(p)) {
            self.picked = None;
        }
    }

    pub fn move_highlight(&mut self, down: bool) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let next = match self.highlighted() {
            None => 0,
            Some(at) if down => (at + 1).min(rows.len() - 1),
            Some(at) => at.saturating_sub(1),
        };
        self.picked = rows.get(next).cloned();
    }

    /// Up to `max` lines of the list under the field, or why there is none (`empty` says what an empty list
    /// means, e.g. `no Pinpoint projects in eu-west-1`).
    pub fn lines(
        &self,
        max: usize,
        pad: usize,
        width: usize,
        spinner: &str,
        empty: &str,
        theme: &Theme,
    ) -> Vec<Line<'static>> {
        let room = width.saturating_sub(pad);
        let pad = " ".repeat(pad);
        match &self.items {
            Remote::Idle => vec![],
            Remote::Pending(_) => {
                vec![Line::from(Span::styled(format!("{pad}{spinner} loading the list…"), theme.dim()))]
            }
            Remote::Failed(why) => super::wrap::wrap(&format!("no list ({}): type the value", why.line()), room, 2)
                .into_iter()
                .map(|r| Line::from(Span::styled(format!("{pad}{r}"), theme.warn())))
                .collect(),
            Remote::Ready(_) => {
                let rows = self.rows();
                if rows.is_empty() {
                    return super::wrap::wrap(&format!("{empty}: type the value"), room, 2)
                        .into_iter()
                        .map(|r| Line::from(Span::styled(format!("{pad}{r}"), theme.dim())))
                        .collect();
                }
                let hl = self.highlighted();
                let start = hl.unwrap_or(0).saturating_sub(max.saturating_sub(1));
                let mut out: Vec<Line<'static>> = rows
                    .iter()
                    .enumerate()
                    .skip(start)
                    .take(max)
                    .map(|(i, row)| {
                        let style = if hl == Some(i) { theme.selected() } else { theme.dim() };
                        let text = match row {
                            Row::Typed(t) => format!(" use “{t}” as typed "),
                            Row::Item { label, .. } => format!(" {label} "),
                        };
                        Line::from(vec![Span::raw(pad.clone()), Span::styled(text, style)])
                    })
                    .collect();
                if rows.len() > start + max {
                    out.push(Line::from(Span::styled(
                        format!("{pad} … {} more (type to filter)", rows.len() - start - max),
                        theme.dim(),
                    )));
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picker(items: &[&str]) -> Picker<String> {
        Picker { items: Remote::Ready(items.iter().map(|s| s.to_string()).collect()), ..Picker::default() }
    }

    #[test]
    fn a_single_row_is_the_value_and_several_wait_for_a_choice() {
        assert_eq!(picker(&["only-bucket"]).value(), "only-bucket");
        assert_eq!(picker(&["a-bucket", "b-bucket"]).value(), "");
        assert_eq!(picker(&[]).value(), "");
    }
}
