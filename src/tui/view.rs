//! The view: lays out the frame around the current screen (header, status line, footer of keys) and draws any
//! overlay on top. A pure function of [`App`]; the only module besides `app` that knows every screen's state.

use super::app::{App, MIN_HEIGHT, MIN_WIDTH};
use super::keys;
use super::msg::Screen;
use super::overlay::Overlay;
use super::screens::{Ui, purpose};
use super::theme::Theme;
use super::widgets::{centered, wrap::wrap};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// Render the whole frame: a pure function of the state.
pub fn draw(app: &App, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(app, frame, area, theme);
        return;
    }
    let ui = Ui { theme, tick: app.tick, now: app.now };
    let shown = app.shown_keys();
    let footer_lines = keys::footer_lines(&shown, area.width as usize);
    let status_rows = app.status_rows(area.width);
    let loose = app.pages.get(app.screen).loose(&app.session, area.width, theme);
    let [header, body, below, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(loose.len() as u16),
        Constraint::Length(status_rows.len().max(1) as u16),
        Constraint::Length(footer_lines.len() as u16),
    ])
    .areas(area);
    draw_header(app, frame, header, theme);

    let block = Block::bordered().title(Span::styled(format!(" {} ", app.screen.title()), theme.title()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    app.pages.get(app.screen).view(&app.session, frame, inner, &ui);
    frame.render_widget(Paragraph::new(loose), below);

    let status_lines: Vec<Line> =
        status_rows.into_iter().map(|r| Line::from(Span::styled(format!(" {r}"), theme.warn()))).collect();
    frame.render_widget(Paragraph::new(status_lines), status);
    let lines: Vec<Line> = footer_lines
        .iter()
        .map(|entries| {
            Line::from(
                entries
                    .iter()
                    .flat_map(|e| {
                        [
                            Span::styled(format!(" {}", e.label), theme.key()),
                            Span::styled(format!(" {} ", e.does), theme.dim()),
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), footer);

    if let Some(o) = &app.overlay {
        draw_overlay(app, o, frame, area, theme);
    }
}

fn draw_header(app: &App, frame: &mut Frame, header: Rect, theme: &Theme) {
    let steps: Vec<Span> = Screen::ALL
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let style = if *s == app.screen { theme.focus() } else { theme.dim() };
            [Span::styled(format!("{} {}", i + 1, s.title()), style), Span::styled(" › ", theme.dim())]
        })
        .collect();
    let mut head = vec![Span::styled(" pinpoint-iam-wizard  ", theme.title())];
    if app.screen == Screen::Manual {
        head.push(Span::styled("manual mode · the guides' console steps, done by you", theme.focus()));
        frame.render_widget(Paragraph::new(Line::from(head)), header);
        return;
    }
    let full: usize = steps.iter().map(|s| s.content.chars().count()).sum::<usize>() + 22;
    if full <= header.width as usize {
        head.extend(steps.into_iter().take(Screen::ALL.len() * 2 - 1));
    } else {
        let n = Screen::ALL.iter().position(|s| *s == app.screen).unwrap_or(0) + 1;
        head.push(Span::styled(format!("step {n}/{} · {}", Screen::ALL.len(), app.screen.title()), theme.focus()));
    }
    frame.render_widget(Paragraph::new(Line::from(head)), header);
}

fn draw_too_small(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut msg = vec![
        Line::from(Span::styled("Terminal too small", theme.error())),
        Line::raw(format!(
            "{}×{} here; pinpoint-iam-wizard needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window to go on: no key acts on the hidden screen. q or Ctrl-C quits."),
    ];
    if app.overlay.is_some() {
        msg.push(Line::from(Span::styled(
            "A question is waiting: enlarge the window to answer it (Ctrl-C again takes its first answer).",
            theme.warn(),
        )));
    }
    frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
}

fn draw_overlay(app: &App, o: &Overlay, frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = area.width.saturating_sub(8).min(76);
    let text_w = width.saturating_sub(4) as usize;
    let (title, mut lines): (String, Vec<Line>) = match o {
        Overlay::Help => {
            let mut lines = vec![Line::from(Span::styled(app.screen.title(), theme.title()))];
            lines.extend(wrap(&purpose(app.screen), text_w, 0).into_iter().map(Line::raw));
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled("Keys here", theme.title())));
            let mut shown = app.screen_shown();
            shown.extend(keys::shown(&app.global_bindings()));
            // Two keys a row, labels as narrow as they can be, when one a row would push the overlay's own keys
            // off a small terminal.
            let col = text_w / 2;
            let narrow = shown.iter().map(|e| e.label.chars().count()).max().unwrap_or(0) + 2;
            let fits = |e: &keys::Shown| 2 + narrow + e.does.chars().count() < col;
            let pairs = lines.len() + shown.len() + 4 > area.height as usize && shown.iter().all(fits);
            let label_w = if pairs { narrow } else { 14 };
            for row in shown.chunks(if pairs { 2 } else { 1 }) {
                let mut spans = vec![];
                for (i, e) in row.iter().enumerate() {
                    let used = 2 + label_w + e.does.chars().count();
                    let pad = if i + 1 < row.len() { col.saturating_sub(used) } else { 0 };
                    spans.push(Span::styled(format!("  {:<label_w$}", e.label), theme.key()));
                    spans.push(Span::raw(format!("{}{}", e.does, " ".repeat(pad))));
                }
                lines.push(Line::from(spans));
            }
            (" Help ".into(), lines)
        }
        Overlay::Details { title, text } => {
            let lines = text.lines().flat_map(|l| wrap(l, text_w, 2)).map(Line::raw).collect();
            (format!(" {title} "), lines)
        }
        Overlay::Confirm(c) => {
            let lines = c.lines.iter().flat_map(|l| wrap(l, text_w, 0)).map(Line::raw).collect();
            (format!(" {} ", c.title), lines)
        }
        Overlay::ChooseKey(ck) => {
            let mut lines = vec![
                Line::raw(format!("{} has two access keys, AWS's maximum.", ck.user)),
                Line::raw("Choose the one to delete before the new key is made:"),
                Line::raw(""),
            ];
            for (i, k) in ck.keys.iter().enumerate() {
                let style = if i == ck.selected { theme.selected() } else { theme.text() };
                let state = if k.active { "active" } else { "inactive" };
                lines.push(Line::from(Span::styled(format!(" {}  {state} ", k.id), style)));
            }
            (" Rotate the access key ".into(), lines)
        }
    };
    lines.push(Line::raw(""));
    let entries = keys::shown(&super::app::overlay_bindings(o));
    for row in keys::footer_lines(&entries, text_w) {
        lines.push(Line::from(
            row.iter()
                .flat_map(|e| [Span::styled(format!(" {}", e.label), theme.key()), Span::raw(format!(" {} ", e.does))])
                .collect::<Vec<_>>(),
        ));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, width, h);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), rect);
}
