use crate::tui::app::{App, IdentityState};
use crate::tui::theme::Theme;
use crate::tui::widgets::field;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = vec![];
    match &app.identity {
        IdentityState::Loading => {
            lines.push(Line::from(Span::styled(
                format!("{} Asking STS who you are (GetCallerIdentity)…", super::spinner(app)),
                theme.focus(),
            )));
        }
        IdentityState::Found { account, arn } => {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<24}", "Account id"), theme.text()),
                Span::styled(account.to_string(), theme.ok()),
            ]));
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<24}", "Caller"), theme.text()),
                Span::raw(arn.clone()),
            ]));
        }
        IdentityState::Failed(why) => {
            lines.push(Line::from(Span::styled("  The account could not be read:", theme.error())));
            lines.push(Line::from(Span::raw(format!("  {why}"))));
            lines.push(Line::from(Span::styled(
                "  Type the account id to preview and export offline; apply stays disabled until credentials work (F5 detects again).",
                theme.warn(),
            )));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<24}", "Profile"), theme.text()),
        Span::raw(app.profile.clone().unwrap_or_else(|| "default chain (environment, default profile, SSO)".into())),
    ]));
    if let Some(e) = &app.endpoint {
        lines.push(Line::from(vec![Span::styled(format!("  {:<24}", "Endpoint"), theme.text()), Span::raw(e.clone())]));
    }
    let region_err = app.region_value().err();
    lines.extend(field::lines("Region", &app.region, app.identity_focus == 0, region_err.as_deref(), None, theme));
    if app.identity.is_failed() {
        let err = app.account().err();
        lines.extend(field::lines(
            "Account id",
            &app.account_input,
            app.identity_focus == 1,
            err.as_deref(),
            None,
            theme,
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
