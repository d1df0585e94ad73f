use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = vec![Line::from(Span::styled("Resources", theme.title()))];
    for [kind, name, arn, status] in app.summary_rows() {
        let style = match status.as_str() {
            "created" | "updated" => theme.ok(),
            "failed" => theme.error(),
            "rolled back" | "not applied" | "skipped" => theme.warn(),
            _ => theme.dim(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {status:<12}"), style),
            Span::raw(format!("{kind:<7}{name}")),
        ]));
        lines.push(Line::from(Span::styled(format!("{:20}{arn}", ""), theme.dim())));
    }
    if let Some((user, keys)) = &app.old_keys {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(format!("Old access keys of {user}"), theme.title())));
        if keys.is_empty() {
            lines.push(Line::raw(" none left"));
        }
        for k in keys {
            let (word, style) = if k.active {
                ("active: d deactivates it", theme.warn())
            } else {
                ("inactive: x deletes it", theme.dim())
            };
            lines.push(Line::from(vec![Span::raw(format!(" {}  ", k.id)), Span::styled(word, style)]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Next", theme.title())));
    if app.setup().includes_postman() {
        lines.push(Line::raw(
            " • Postman: use the access key id and the secret you stored in the collection's AWS Signature auth.",
        ));
    }
    if app.setup().includes_import() {
        lines.push(Line::raw(" • Segment import: give the Lambda function the role ImporterPinpointRole; pass PinpointSegmentImport to CreateImportJob."));
    }
    lines.push(Line::raw(" • Remove the resources when no longer needed: pinpoint-iam-wizard destroy --setup …"));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.summary_scroll.min(60), 0)), area);
}
