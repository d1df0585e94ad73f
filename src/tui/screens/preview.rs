use crate::setup::{DocKind, lint, template::iam_size};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::widgets::json_view;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Tabs, Wrap};

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(desired) = &app.desired else { return };
    let Ok(params) = app.params() else { return };
    let docs = desired.documents();
    let tab = app.preview_tab.min(docs.len().saturating_sub(1));
    let [tabs_area, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    let titles: Vec<String> = docs.iter().map(|d| d.title.clone()).collect();
    // Tabs do not scroll by themselves: start the bar at the first title that keeps the selected one in view.
    let fits = |from: usize| {
        titles[from..=tab].iter().map(|t| t.chars().count() + 3).sum::<usize>() + 2 <= tabs_area.width as usize
    };
    let start = (0..=tab).find(|s| fits(*s)).unwrap_or(tab);
    let mut shown: Vec<String> = titles[start..].to_vec();
    if start > 0 {
        shown[0] = format!("‹ {}", shown[0]);
    }
    frame.render_widget(
        Tabs::new(shown)
            .select(tab - start)
            .highlight_style(theme.selected())
            .block(Block::new().borders(Borders::BOTTOM)),
        tabs_area,
    );
    let doc = &docs[tab];
    let side = if body.width >= 110 { 44 } else { 30 };
    let [json_area, findings_area] = Layout::horizontal([Constraint::Min(0), Constraint::Length(side)]).areas(body);
    let mut user: Vec<&str> = vec![params.account.as_str(), params.region.as_str(), params.names.import_role.as_str()];
    if let Some(b) = &params.bucket {
        user.push(b.as_str());
    }
    if let Some(p) = &params.project {
        user.push(p.as_str());
    }
    let lines = json_view::lines(doc.document, &user, theme);
    let max = (lines.len() as u16).saturating_sub(json_area.height);
    let offset = app.preview_scroll.min(max);
    frame.render_widget(Paragraph::new(lines).scroll((offset, 0)), json_area);
    if max > 0 {
        let mut sb = ScrollbarState::new(max as usize + 1).position(offset as usize);
        frame.render_stateful_widget(Scrollbar::new(ScrollbarOrientation::VerticalRight), json_area, &mut sb);
    }

    let (size, limit) = (iam_size(doc.document), doc.template.kind.size_limit());
    let kind = match doc.template.kind {
        DocKind::Policy => "managed policy",
        DocKind::Trust => "trust policy",
    };
    let findings = match doc.template.kind {
        DocKind::Policy => lint::policy(doc.document),
        DocKind::Trust => lint::trust(doc.document),
    };
    let mut side_lines = vec![
        Line::from(Span::styled(
            format!("{size} / {limit} chars"),
            if size * 10 > limit * 9 { theme.warn() } else { theme.ok() },
        )),
        Line::from(Span::styled(format!("({kind}, no white space)"), theme.dim())),
        Line::raw(""),
        Line::from(Span::styled("Least privilege", theme.title())),
    ];
    if findings.is_empty() {
        side_lines.push(Line::from(Span::styled("no findings", theme.ok())));
    }
    for f in findings {
        let style = match f.severity {
            lint::Severity::Warning => theme.warn(),
            lint::Severity::Info => theme.dim(),
        };
        side_lines.push(Line::from(Span::styled(format!("• {}", f.message), style)));
    }
    side_lines.push(Line::raw(""));
    side_lines.push(Line::from(vec![
        Span::styled("highlighted", theme.user_value()),
        Span::styled(": your values", theme.dim()),
    ]));
    frame.render_widget(
        Paragraph::new(side_lines).wrap(Wrap { trim: true }).block(Block::new().borders(Borders::LEFT)),
        findings_area,
    );
}
