//! One file per screen; `draw` lays out the frame around the current one.

mod identity;
mod params;
mod plan;
mod preview;
mod run;
mod secret;
mod summary;
mod welcome;

use super::app::{App, QuitPrompt, Screen};
use super::keys;
use super::theme::Theme;
use super::widgets::{centered, help};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Render the whole frame: a pure function of the state.
pub fn draw(app: &App, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = vec![
            Line::from(Span::styled("Terminal too small", theme.error())),
            Line::raw(format!(
                "{}×{} here; pinpoint-iam-wizard needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
                area.width, area.height
            )),
            Line::raw("Enlarge the window, or press Ctrl-C to quit."),
        ];
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let keys = keys::screen_keys(app);
    let keys_width: usize = keys.iter().map(|(k, what)| k.chars().count() + what.chars().count() + 3).sum();
    // The footer never truncates: it takes a second line when the keys do not fit in one.
    let footer_height = if keys_width > area.width as usize { 2 } else { 1 };
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    let steps: Vec<Span> = Screen::ALL
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let style = if *s == app.screen { theme.focus() } else { theme.dim() };
            [Span::styled(format!("{} {}", i + 1, s.title()), style), Span::styled(" › ", theme.dim())]
        })
        .collect();
    let mut head = vec![Span::styled(" pinpoint-iam-wizard  ", theme.title())];
    let full: usize = steps.iter().map(|s| s.content.chars().count()).sum::<usize>() + 22;
    if full <= header.width as usize {
        head.extend(steps.into_iter().take(Screen::ALL.len() * 2 - 1));
    } else {
        let n = Screen::ALL.iter().position(|s| *s == app.screen).unwrap_or(0) + 1;
        head.push(Span::styled(format!("step {n}/{} · {}", Screen::ALL.len(), app.screen.title()), theme.focus()));
    }
    frame.render_widget(Paragraph::new(Line::from(head)), header);

    let block = Block::bordered().title(Span::styled(format!(" {} ", app.screen.title()), theme.title()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    match app.screen {
        Screen::Welcome => welcome::draw(app, frame, inner, theme),
        Screen::Identity => identity::draw(app, frame, inner, theme),
        Screen::Params => params::draw(app, frame, inner, theme),
        Screen::Preview => preview::draw(app, frame, inner, theme),
        Screen::Plan => plan::draw(app, frame, inner, theme),
        Screen::Run => run::draw(app, frame, inner, theme),
        Screen::Secret => secret::draw(app, frame, inner, theme),
        Screen::Summary => summary::draw(app, frame, inner, theme),
    }

    if let Some(s) = &app.status {
        frame.render_widget(Paragraph::new(Span::styled(format!(" {s}"), theme.warn())), status);
    }
    let mut keys_line = vec![];
    for (k, what) in keys {
        keys_line.push(Span::styled(format!(" {k}"), theme.key()));
        keys_line.push(Span::styled(format!(" {what} "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(keys_line)).wrap(Wrap { trim: false }), footer);

    if app.help {
        help::draw(app, frame, area, theme);
    }
    if let Some(choice) = &app.rotate {
        let mut lines = vec![
            Line::raw(format!("{} has two access keys, AWS's maximum.", choice.user)),
            Line::raw("Choose the one to delete before the new key is made:"),
            Line::raw(""),
        ];
        for (i, k) in choice.keys.iter().enumerate() {
            let style = if i == choice.selected { theme.selected() } else { theme.text() };
            let state = if k.active { "active" } else { "inactive" };
            lines.push(Line::from(Span::styled(format!(" {}  {state} ", k.id), style)));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(" ↑/↓", theme.key()),
            Span::raw(" choose  "),
            Span::styled("Enter", theme.key()),
            Span::raw(" delete it and rotate  "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel"),
        ]));
        let rect = centered(area, 64, lines.len() as u16 + 2);
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Rotate the access key ")), rect);
    }
    if let Some(p) = app.quit_prompt {
        let text = match p {
            QuitPrompt::Running => "Steps are still running. Quit anyway? What started may be left half-done.",
            QuitPrompt::SecretUnsaved => "The secret access key will be gone for good. Quit anyway?",
        };
        let rect = centered(area, 56, 6);
        frame.render_widget(Clear, rect);
        let lines = vec![
            Line::raw(text),
            Line::raw(""),
            Line::from(vec![
                Span::styled(" y", theme.key()),
                Span::raw(" quit   "),
                Span::styled("n", theme.key()),
                Span::raw(" stay"),
            ]),
        ];
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: true }).block(Block::bordered().title(" Quit? ")),
            rect,
        );
    }
}

/// The spinner frame for this tick.
pub fn spinner(app: &App) -> &'static str {
    super::widgets::step_list::SPINNER[(app.tick % 10) as usize]
}
