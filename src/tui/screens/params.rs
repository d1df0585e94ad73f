use crate::tui::app::{App, ParamField};
use crate::tui::theme::Theme;
use crate::tui::widgets::{field, picker};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let fields = app.param_fields();
    let focus = fields.get(app.params_focus).copied();
    let list_rows = (area.height as usize).saturating_sub(fields.len() * 2 + 6).clamp(2, 6);
    let mut lines = vec![];
    for f in &fields {
        let focused = Some(*f) == focus;
        match f {
            ParamField::Bucket => {
                let v = app.buckets.value();
                lines.extend(field::lines(
                    app.field_label(*f),
                    &v,
                    focused,
                    app.field_error(*f).as_deref(),
                    None,
                    theme,
                ));
                if focused {
                    lines.extend(picker::lines(&app.buckets, list_rows, super::spinner(app), theme));
                }
            }
            ParamField::Project => {
                let v = app.projects.value();
                let hint = "Pinpoint is end-of-support for segments: the id is still typed or picked";
                lines.extend(field::lines(
                    app.field_label(*f),
                    &v,
                    focused,
                    app.field_error(*f).as_deref(),
                    Some(hint).filter(|_| focused && v.is_empty()),
                    theme,
                ));
                if focused {
                    lines.extend(picker::lines(&app.projects, list_rows, super::spinner(app), theme));
                }
            }
            ParamField::Name(i) => {
                lines.extend(
                    field::lines(
                        app.field_label(*f),
                        &app.names[*i],
                        focused,
                        app.field_error(*f).as_deref(),
                        None,
                        theme,
                    )
                    .into_iter()
                    .take(if app.field_error(*f).is_some() || focused { 2 } else { 1 }),
                );
            }
            ParamField::Harden => {
                let style = if focused { theme.focus() } else { theme.text() };
                let mark = if app.harden { "[x]" } else { "[ ]" };
                lines.push(Line::from(Span::styled(
                    format!(
                        "{}{mark} Harden the Pinpoint trust (aws:SourceAccount, aws:SourceArn)",
                        if focused { "▸ " } else { "  " }
                    ),
                    style,
                )));
            }
        }
    }
    if let Some(e) = &app.params_error {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(format!("✗ {e}"), theme.error())));
    } else if app.params().is_err() {
        lines.push(Line::from(Span::styled("  Next is disabled until every field is valid.", theme.dim())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
