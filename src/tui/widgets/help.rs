//! The help overlay: every key of this screen and the global ones, from the one key table.

use crate::tui::app::App;
use crate::tui::keys;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let keys = keys::screen_keys(app);
    let mut lines = vec![
        Line::from(Span::styled(format!("Keys on the {} screen", app.screen.title()), theme.title())),
        Line::raw(""),
    ];
    lines.extend(
        keys.iter()
            .map(|(k, what)| Line::from(vec![Span::styled(format!("  {k:<16}"), theme.key()), Span::raw(*what)])),
    );
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("  Esc or ? closes this help", theme.dim())));
    let h = lines.len() as u16 + 2;
    let rect = super::centered(area, 60, h);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Help ")), rect);
}
