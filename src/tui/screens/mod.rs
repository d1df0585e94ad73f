//! One module per screen, each owning its state, its binding table and its view; `draw` lays out the frame
//! around the current one and draws any overlay on top.

pub mod identity;
pub mod manual;
pub mod params;
pub mod plan;
pub mod preview;
pub mod run;
pub mod secret;
pub mod summary;
pub mod welcome;

use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Overlay};
use super::keys;
use super::theme::Theme;
use super::widgets::{centered, wrap::wrap};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// The screens, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Welcome,
    Identity,
    Params,
    Preview,
    Plan,
    Run,
    Secret,
    Summary,
    /// Manual mode: not one of the steps in order, reached from Welcome (or offered when writing is not
    /// possible).
    Manual,
}

impl Screen {
    pub const ALL: [Screen; 8] = [
        Screen::Welcome,
        Screen::Identity,
        Screen::Params,
        Screen::Preview,
        Screen::Plan,
        Screen::Run,
        Screen::Secret,
        Screen::Summary,
    ];

    /// The screen's name in the header.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Welcome => "Welcome",
            Screen::Identity => "Identity",
            Screen::Params => "Parameters",
            Screen::Preview => "Preview",
            Screen::Plan => "Plan",
            Screen::Run => "Run",
            Screen::Secret => "Secret",
            Screen::Summary => "Summary",
            Screen::Manual => "Manual mode",
        }
    }

    /// What the screen is for, as help says it.
    pub fn purpose(self) -> String {
        match self {
            Screen::Welcome => welcome::purpose(),
            Screen::Identity => identity::PURPOSE.into(),
            Screen::Params => params::PURPOSE.into(),
            Screen::Preview => preview::PURPOSE.into(),
            Screen::Plan => plan::PURPOSE.into(),
            Screen::Run => run::PURPOSE.into(),
            Screen::Secret => secret::PURPOSE.into(),
            Screen::Summary => summary::PURPOSE.into(),
            Screen::Manual => manual::PURPOSE.into(),
        }
    }
}

/// What a view needs besides its state: the theme and the clock's tick (spinners).
pub struct Ui<'t> {
    pub theme: &'t Theme,
    pub tick: u64,
}

impl Ui<'_> {
    /// The spinner's frame for this tick.
    pub fn spinner(&self) -> &'static str {
        super::widgets::step_list::SPINNER[(self.tick % 10) as usize]
    }
}

/// Render the whole frame: a pure function of the state.
pub fn draw(app: &App, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(app, frame, area, theme);
        return;
    }
    let ui = Ui { theme, tick: app.tick };
    let shown = app.shown_keys();
    let footer_lines = keys::footer_lines(&shown, area.width as usize);
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(footer_lines.len() as u16),
    ])
    .areas(area);
    draw_header(app, frame, header, theme);

    let block = Block::bordered().title(Span::styled(format!(" {} ", app.screen.title()), theme.title()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    let s = &app.session;
    match app.screen {
        Screen::Welcome => app.welcome.view(s, frame, inner, &ui),
        Screen::Identity => app.identity.view(s, frame, inner, &ui),
        Screen::Params => app.params.view(s, frame, inner, &ui),
        Screen::Preview => app.preview.view(s, frame, inner, &ui),
        Screen::Plan => app.plan.view(s, frame, inner, &ui),
        Screen::Run => app.run.view(s, frame, inner, &ui),
        Screen::Secret => app.secret.view(s, app.clear_in(), frame, inner, &ui),
        Screen::Summary => app.summary.view(s, frame, inner, &ui),
        Screen::Manual => app.manual.view(s, frame, inner, &ui),
    }

    if let Some(t) = app.status_text() {
        let line: String = t.chars().take(status.width.saturating_sub(1) as usize).collect();
        frame.render_widget(Paragraph::new(Span::styled(format!(" {line}"), theme.warn())), status);
    }
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
            lines.extend(wrap(&app.screen.purpose(), text_w, 0).into_iter().map(Line::raw));
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

/// Scroll `offset` by a key's amount, within `0..=max`.
pub fn scroll(offset: &mut u16, by: Scroll, max: u16) {
    *offset = match by {
        Scroll::Up => offset.saturating_sub(1),
        Scroll::Down => offset.saturating_add(1),
        Scroll::PageUp => offset.saturating_sub(10),
        Scroll::PageDown => offset.saturating_add(10),
        Scroll::Top => 0,
        Scroll::Bottom => max,
    }
    .min(max);
}

/// A scrolling key's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// The scrolling bindings, for content of `rows` rows in a view of `height` rows: none when it all fits.
pub fn scroll_bindings<A>(rows: usize, height: u16, wrap: impl Fn(Scroll) -> A) -> Vec<keys::Binding<A>> {
    use crossterm::event::KeyCode;
    use keys::{Binding, Key};
    if rows <= height as usize {
        return vec![];
    }
    vec![
        Binding::new(&[Key::Code(KeyCode::Down)], "↑/↓", "scroll", wrap(Scroll::Down)),
        Binding::new(&[Key::Code(KeyCode::Up)], "", "", wrap(Scroll::Up)),
        Binding::new(&[Key::Code(KeyCode::PageDown)], "PgDn/PgUp", "page", wrap(Scroll::PageDown)),
        Binding::new(&[Key::Code(KeyCode::PageUp)], "", "", wrap(Scroll::PageUp)),
        Binding::new(&[Key::Code(KeyCode::End)], "End/Home", "bottom/top", wrap(Scroll::Bottom)),
        Binding::new(&[Key::Code(KeyCode::Home)], "", "", wrap(Scroll::Top)),
    ]
}

/// How far content of `rows` rows scrolls in a view of `height` rows: when it does not fit, the last row of the
/// view is kept for the marker, so the marker never hides content.
pub fn max_scroll(rows: usize, height: u16) -> u16 {
    let h = height as usize;
    if rows <= h { 0 } else { (rows - h.saturating_sub(1)) as u16 }
}

/// Draw `lines` scrolled by `offset` in `area`, with a marker line of what lies above and below.
pub fn draw_scrolled(lines: Vec<Line<'static>>, offset: u16, frame: &mut Frame, area: Rect, theme: &Theme) {
    let total = lines.len();
    let h = area.height as usize;
    if total <= h {
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let max = max_scroll(total, area.height) as usize;
    let off = (offset as usize).min(max);
    let shown: Vec<Line> = lines.into_iter().skip(off).take(h.saturating_sub(1)).collect();
    frame.render_widget(Paragraph::new(shown), area);
    let below = total.saturating_sub(off + h.saturating_sub(1));
    let marker = match (off, below) {
        (0, b) => format!(" ↓ {b} more line(s) "),
        (a, 0) => format!(" ↑ {a} line(s) above · end "),
        (a, b) => format!(" ↑ {a} above · ↓ {b} more "),
    };
    let w = marker.chars().count() as u16;
    let r = Rect {
        x: area.x + area.width.saturating_sub(w),
        y: area.y + area.height - 1,
        width: w.min(area.width),
        height: 1,
    };
    frame.render_widget(Paragraph::new(Span::styled(marker, theme.key())), r);
}
