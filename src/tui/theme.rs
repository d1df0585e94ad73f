//! Every colour the wizard uses, in one place; `NO_COLOR` turns colours off and keeps emphasis.

use crate::setup::findings::Severity;
use ratatui::style::{Color, Modifier, Style};

/// The styles of one run of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
    pub fn from_env() -> Self {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn text(&self) -> Style {
        Style::new()
    }
    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn focus(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// The cursor of a focused text field.
    pub fn cursor(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn json_key(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn json_string(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn json_punct(&self) -> Style {
        self.fg(Color::DarkGray)
    }
    /// A finding of this level, and the lines of the document it points at.
    pub fn finding(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error(),
            Severity::SecurityWarning => self.fg(Color::LightRed),
            Severity::Warning => self.warn(),
            Severity::Suggestion => self.fg(Color::Cyan),
        }
    }
    /// A value that came from the user, inside a document.
    pub fn user_value(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
}
