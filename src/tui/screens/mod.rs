//! One module per screen, each owning its state, its binding table and its view. Screens import only the
//! leaves (`msg`, `session`, `overlay`, `prompts`, `progress`, `remote`), `keys`, `theme` and `widgets`: never
//! each other, `app` or `view`.

pub mod identity;
pub mod manual;
pub mod params;
pub mod plan;
pub mod preview;
pub mod run;
pub mod secret;
pub mod summary;
pub mod welcome;

use super::keys;
use super::keys::{Binding, Key};
use super::msg::{Do, Screen};
use super::session::Session;
use super::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::Instant;

/// What a screen is for, as help says it.
pub fn purpose(screen: Screen) -> String {
    {
        match screen {
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

/// What a view needs besides its state: the theme, the clock's tick (spinners) and the time it was last told.
pub struct Ui<'t> {
    pub theme: &'t Theme,
    pub tick: u64,
    pub now: Instant,
}

/// What every screen is to the app, with the same signatures everywhere: the keys it answers to now (they drive
/// key handling, the footer and help), what one of them does, pasted text, whether a text field has the focus
/// (so `q` is a letter), and its view. The app holds one dispatch over screens ([`AnyPage`]).
pub trait Page {
    /// What a key does on this screen.
    type Act: Copy;

    /// The screen's keys in its current state, for a body of `size` (columns, rows): scroll keys only when
    /// something does not fit.
    fn bindings(&self, s: &Session, size: (u16, u16)) -> Vec<Binding<Self::Act>>;

    /// Carry out `act`, bound to key `k`; returns what the app is asked to do.
    fn act(&mut self, s: &mut Session, act: Self::Act, k: &KeyEvent, size: (u16, u16)) -> Vec<Do>;

    /// Text pasted while this screen is shown (bracketed paste).
    fn paste(&mut self, _s: &mut Session, _text: &str) -> Vec<Do> {
        vec![]
    }

    /// Whether a text field has the focus.
    fn typing(&self, _s: &Session) -> bool {
        false
    }

    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui);
}

/// A [`Page`] with its key actions hidden, so the app keeps screens in one table of `dyn AnyPage`.
pub trait AnyPage {
    /// The footer's and help's entries.
    fn shown(&self, s: &Session, size: (u16, u16)) -> Vec<keys::Shown>;
    /// Every key that acts and the footer label it is listed under.
    fn labelled(&self, s: &Session, size: (u16, u16)) -> Vec<(Vec<Key>, &'static str)>;
    /// Find `k` in the screen's keys and carry it out; `None` when the screen has no such key.
    fn on_key(&mut self, s: &mut Session, k: &KeyEvent, size: (u16, u16)) -> Option<Vec<Do>>;
    fn paste(&mut self, s: &mut Session, text: &str) -> Vec<Do>;
    fn typing(&self, s: &Session) -> bool;
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui);
}

impl<P: Page> AnyPage for P {
    fn shown(&self, s: &Session, size: (u16, u16)) -> Vec<keys::Shown> {
        keys::shown(&self.bindings(s, size))
    }

    fn labelled(&self, s: &Session, size: (u16, u16)) -> Vec<(Vec<Key>, &'static str)> {
        keys::labelled(self.bindings(s, size))
    }

    fn on_key(&mut self, s: &mut Session, k: &KeyEvent, size: (u16, u16)) -> Option<Vec<Do>> {
        let act = keys::find(&self.bindings(s, size), k)?.action;
        Some(self.act(s, act, k, size))
    }

    fn paste(&mut self, s: &mut Session, text: &str) -> Vec<Do> {
        Page::paste(self, s, text)
    }

    fn typing(&self, s: &Session) -> bool {
        Page::typing(self, s)
    }

    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        Page::view(self, s, frame, area, ui)
    }
}

impl Ui<'_> {
    /// The spinner's frame for this tick.
    pub fn spinner(&self) -> &'static str {
        super::widgets::step_list::SPINNER[(self.tick % 10) as usize]
    }
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
