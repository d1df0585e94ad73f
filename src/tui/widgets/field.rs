//! A labelled text field (a `tui_input::Input`: cursor, ←/→, Home/End, Ctrl-A/E/U/W/K, paste) with the rule
//! its value breaks under it, always at the same column.

use super::wrap::wrap;
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use tui_input::{Input, InputRequest};

/// Width of the label column.
pub const LABEL: usize = 24;
/// Where values and validation messages start.
pub const VALUE_COL: usize = LABEL + 2;

/// Apply a line-editing key to a field; returns whether the value changed.
pub fn edit(input: &mut Input, k: &KeyEvent) -> bool {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let req = match k.code {
        KeyCode::Char('a') if ctrl => InputRequest::GoToStart,
        KeyCode::Char('e') if ctrl => InputRequest::GoToEnd,
        KeyCode::Char('u') if ctrl => InputRequest::DeleteFromStart,
        KeyCode::Char('k') if ctrl => InputRequest::DeleteTillEnd,
        KeyCode::Char('w') if ctrl => InputRequest::DeletePrevWord,
        KeyCode::Char('b') if ctrl => InputRequest::GoToPrevChar,
        KeyCode::Char('f') if ctrl => InputRequest::GoToNextChar,
        KeyCode::Char('h') if ctrl => InputRequest::DeletePrevChar,
        KeyCode::Char(c) if !ctrl && !c.is_control() => InputRequest::InsertChar(c),
        KeyCode::Left => InputRequest::GoToPrevChar,
        KeyCode::Right => InputRequest::GoToNextChar,
        KeyCode::Home => InputRequest::GoToStart,
        KeyCode::End => InputRequest::GoToEnd,
        KeyCode::Backspace => InputRequest::DeletePrevChar,
        KeyCode::Delete => InputRequest::DeleteNextChar,
        _ => return false,
    };
    input.handle(req).is_some_and(|c| c.value)
}

/// Insert pasted text at the cursor (line breaks and control characters dropped).
pub fn paste(input: &mut Input, text: &str) -> bool {
    let mut changed = false;
    for c in text.chars().filter(|c| !c.is_control()) {
        changed |= input.handle(InputRequest::InsertChar(c)).is_some_and(|c| c.value);
    }
    changed
}

/// The field's line: `label  value` with the cursor shown as a reversed cell when focused, scrolled so the
/// cursor stays in view.
pub fn line(label: &str, input: &Input, focused: bool, width: usize, theme: &Theme) -> Line<'static> {
    let marker = if focused { "▸ " } else { "  " };
    let label_style = if focused { theme.focus() } else { theme.text() };
    let room = width.saturating_sub(VALUE_COL + 1).max(8);
    let value = input.value();
    let mut spans = vec![Span::styled(format!("{marker}{label:<LABEL$}"), label_style)];
    if !focused {
        let shown: String = value.chars().take(room).collect();
        let more = if value.chars().count() > room { "…" } else { "" };
        spans.push(Span::styled(format!("{shown}{more}"), theme.text()));
        return Line::from(spans);
    }
    let scroll = input.visual_scroll(room);
    let chars: Vec<char> = value.chars().collect();
    let cursor = input.cursor();
    let before: String = chars.iter().skip(scroll).take(cursor.saturating_sub(scroll)).collect();
    let at: String = chars.get(cursor).map(|c| c.to_string()).unwrap_or_else(|| " ".into());
    let after: String = chars.iter().skip(cursor + 1).take(room.saturating_sub(cursor - scroll + 1)).collect();
    spans.push(Span::styled(before, theme.focus()));
    spans.push(Span::styled(at, theme.cursor()));
    spans.push(Span::styled(after, theme.focus()));
    Line::from(spans)
}

/// The lines under a field: its failed rule (✗), else a hint, else nothing; wrapped at `width`, always from
/// the value column.
pub fn note(error: Option<&str>, hint: Option<&str>, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let (text, style) = match (error, hint) {
        (Some(e), _) => (format!("✗ {e}"), theme.error()),
        (None, Some(h)) => (h.to_string(), theme.dim()),
        (None, None) => return vec![],
    };
    let pad = " ".repeat(VALUE_COL);
    wrap(&text, width.saturating_sub(VALUE_COL), 2)
        .into_iter()
        .map(|r| Line::from(Span::styled(format!("{pad}{r}"), style)))
        .collect()
}
