//! A labelled text field with its validation message under it.

use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// Two lines: `label: value` (with a cursor when focused) and the failing rule, if any.
pub fn lines(
    label: &str,
    value: &str,
    focused: bool,
    error: Option<&str>,
    hint: Option<&str>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let marker = if focused { "▸ " } else { "  " };
    let label_style = if focused { theme.focus() } else { theme.text() };
    let mut first = vec![
        Span::styled(format!("{marker}{label:<24}"), label_style),
        Span::styled(value.to_string(), if focused { theme.focus() } else { theme.text() }),
    ];
    if focused {
        first.push(Span::styled("▏", theme.focus()));
    }
    let second = match (error, hint) {
        // Long rules start further left so they fit 80 columns without wrapping under the labels.
        (Some(e), _) if e.chars().count() > 48 => Line::from(Span::styled(format!("    ✗ {e}"), theme.error())),
        (Some(e), _) => Line::from(Span::styled(format!("{:26}✗ {e}", ""), theme.error())),
        (None, Some(h)) => Line::from(Span::styled(format!("{:26}{h}", ""), theme.dim())),
        (None, None) => Line::from(Span::styled(format!("{:26}✓", ""), theme.ok())),
    };
    vec![Line::from(first), second]
}
