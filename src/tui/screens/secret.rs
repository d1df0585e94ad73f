use crate::tui::app::{App, SavePrompt};
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
    if let Some(n) = app.secret.clear_in {
        lines.push(Line::from(Span::styled(format!("The clipboard is cleared of the secret in {n} s."), theme.warn())));
    }
    for done in &app.secret.saved {
        lines.push(Line::from(Span::styled(format!("✓ Key {done}."), theme.ok())));
    }
    match &app.secret.prompt {
        Some(SavePrompt::Profile { name, confirm_overwrite: false }) => {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![Span::raw("Profile name: "), Span::styled(format!("{name}▏"), theme.focus())]));
            lines.push(Line::from(Span::styled(
                format!(
                    "written to {} (mode 0600; other profiles kept)",
                    crate::secret::store::credentials_path().display()
                ),
                theme.dim(),
            )));
        }
        Some(SavePrompt::Profile { name, confirm_overwrite: true }) => {
            lines.push(Line::raw(""));
            lines
                .push(Line::from(Span::styled(format!("Profile [{name}] exists. Overwrite it? (y/n)"), theme.error())));
        }
        Some(SavePrompt::Csv { path }) => {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![Span::raw("CSV file: "), Span::styled(format!("{path}▏"), theme.focus())]));
            lines.push(Line::from(Span::styled(
                "the console's format, mode 0600; an existing file is never overwritten",
                theme.dim(),
            )));
        }
        None => {}
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
