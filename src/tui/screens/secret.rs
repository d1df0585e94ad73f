use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(key) = &app.secret.key else {
        frame.render_widget(Paragraph::new("No new access key in this run."), area);
        return;
    };
    let shown = if app.secret.revealed { key.secret_access_key.expose().to_string() } else { "•".repeat(40) };
    let mut lines = vec![
        Line::from(Span::styled(format!("New access key for {}", key.user_name), theme.title())),
        Line::raw(""),
        Line::from(vec![
            Span::raw(format!("  {:<20}", "Access key id")),
            Span::styled(key.access_key_id.clone(), theme.ok()),
        ]),
        Line::from(vec![Span::raw(format!("  {:<20}", "Secret access key")), Span::styled(shown, theme.key())]),
        Line::raw(""),
        Line::from(Span::styled(
            "⚠ AWS will never show this secret again. Store it now (a password manager, or Postman's AWS Signature auth).",
            theme.warn(),
        )),
    ];
    if let Some(s) = &app.secret.copy_status {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(s.clone(), theme.focus())));
    }
    if app.secret.confirm_leave {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "Have you stored the secret? It cannot be shown again. (y/n)",
            theme.error(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
