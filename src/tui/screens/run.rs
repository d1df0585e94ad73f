use crate::tui::app::{App, Load};
use crate::tui::theme::Theme;
use crate::tui::widgets::step_list;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Load::Ready(plan) = &app.plan else { return };
    let [gauge_area, list_area, info_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(4)]).areas(area);
    let total = app.run.steps.len().max(1);
    let done = app.run.finished_count();
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.ok())
            .ratio(done as f64 / total as f64)
            .label(format!("{done}/{total} steps")),
        gauge_area,
    );
    frame.render_widget(Paragraph::new(step_list::lines(plan, &app.run.steps, app.tick, theme)), list_area);
    let mut info = vec![];
    if let Some((_, e)) = &app.run.failure
        && !e.is_empty()
    {
        info.push(Line::from(Span::styled(format!("✗ {e}"), theme.error())));
    }
    info.extend(app.run.notes.iter().rev().take(2).map(|n| Line::from(Span::styled(n.clone(), theme.dim()))));
    if app.run.rolling_back {
        info.push(Line::from(Span::styled(format!("{} rolling back…", super::spinner(app)), theme.warn())));
    } else if app.run.failed_and_done() {
        info.push(Line::from(Span::styled(
            "r retries the failed step · b rolls back this run · l leaves what exists",
            theme.focus(),
        )));
    } else if app.run.finished() && app.run.failure.is_none() {
        info.push(Line::from(Span::styled("All steps done. Enter continues.", theme.ok())));
    }
    frame.render_widget(Paragraph::new(info).wrap(Wrap { trim: true }), info_area);
}
