//! A filterable list under a field: shows what matches the typed text, the picked item highlighted.

use crate::tui::app::{Load, PickItem, Picker};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// Up to `max` lines of the picker's list, or why there is no list.
pub fn lines<T: PickItem>(picker: &Picker<T>, max: usize, spinner: &str, theme: &Theme) -> Vec<Line<'static>> {
    let pad = format!("{:26}", "");
    match &picker.items {
        Load::Idle => vec![],
        Load::Loading => vec![Line::from(Span::styled(format!("{pad}{spinner} loading the list…"), theme.dim()))],
        Load::Failed(why) => {
            vec![Line::from(Span::styled(format!("{pad}list unavailable ({why}): type the value"), theme.warn()))]
        }
        Load::Ready(_) => {
            let items = picker.filtered();
            if items.is_empty() {
                return vec![Line::from(Span::styled(
                    format!("{pad}no match in the list: the typed value is used"),
                    theme.dim(),
                ))];
            }
            let start = picker.selected.unwrap_or(0).saturating_sub(max.saturating_sub(1));
            let mut out: Vec<Line<'static>> = items
                .iter()
                .enumerate()
                .skip(start)
                .take(max)
                .map(|(i, item)| {
                    let picked = picker.selected == Some(i);
                    let style = if picked { theme.selected() } else { theme.dim() };
                    Line::from(vec![Span::raw(pad.clone()), Span::styled(format!(" {} ", item.label()), style)])
                })
                .collect();
            if items.len() > start + max {
                out.push(Line::from(Span::styled(
                    format!("{pad} … {} more (type to filter)", items.len() - start - max),
                    theme.dim(),
                )));
            }
            out
        }
    }
}
