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
use super::widgets::search::{Find, Search};
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

    /// Lines drawn under the screen's box, outside its border, `width` columns wide: what is meant to be
    /// selected with the mouse and copied (the box's border would come with it).
    fn loose(&self, _s: &Session, _width: u16, _theme: &Theme) -> Vec<Line<'static>> {
        vec![]
    }
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
    fn loose(&self, s: &Session, width: u16, theme: &Theme) -> Vec<Line<'static>>;
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

    fn loose(&self, s: &Session, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        Page::loose(self, s, width, theme)
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

/// Carry out search key `f` on `lines`, the content of a view `height` rows high: a match found is scrolled to
/// the top (as far as the content scrolls).
pub fn find(search: &mut Search, f: Find, k: &KeyEvent, lines: &[Line], offset: &mut u16, height: u16) {
    if let Some(line) = search.act(f, k, lines) {
        *offset = u16::try_from(line).unwrap_or(u16::MAX).min(max_scroll(lines.len(), height));
    }
}

/// Draw `lines` scrolled by `offset` in `area` with the search's highlights, and its query line at the foot.
pub fn draw_searched(
    search: &Search,
    lines: Vec<Line<'static>>,
    offset: u16,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let lines = search.highlight(lines, theme);
    let rest = search.draw(&lines, frame, area, theme);
    draw_scrolled(lines, offset, frame, rest, theme);
}

/// Something `y` copies from a screen (an ARN, a command): what it is, for the status line, and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copyable {
    pub what: String,
    pub text: String,
}

/// The keys of a screen whose items can be selected (↑/↓) and copied (`y`), for content of `rows` rows in a view
/// of `height` rows: the page keys scroll only when something does not fit.
pub fn select_bindings<A: Copy>(
    items: usize,
    rows: usize,
    height: u16,
    select: impl Fn(bool) -> A,
    copy: A,
    wrap: impl Fn(Scroll) -> A,
) -> Vec<keys::Binding<A>> {
    use crossterm::event::KeyCode;
    use keys::{Binding, Key};
    let mut v = vec![];
    if items > 0 {
        v.push(Binding::new(&[Key::Code(KeyCode::Down), Key::char('j')], "↑/↓", "select", select(true)));
        v.push(Binding::new(&[Key::Code(KeyCode::Up), Key::char('k')], "", "", select(false)));
        v.push(Binding::new(&[Key::char('y')], "y", "copy", copy));
    }
    v.extend(
        scroll_bindings(rows, height, wrap)
            .into_iter()
            .filter(|b| !b.keys.iter().any(|k| matches!(k, Key::Code(KeyCode::Down) | Key::Code(KeyCode::Up)))),
    );
    v
}

/// Move `selected` one item down or up within `0..items`.
pub fn step_selection(selected: &mut usize, down: bool, items: usize) {
    *selected = if down { (*selected + 1).min(items.saturating_sub(1)) } else { selected.saturating_sub(1) };
}

/// Scroll `offset` the least needed so that line `line` of content of `rows` rows is in a view of `height` rows
/// (whose last row is the marker's when the content does not fit).
pub fn follow(offset: &mut u16, line: usize, rows: usize, height: u16) {
    let max = max_scroll(rows, height);
    let visible = if rows <= height as usize { height as usize } else { (height as usize).saturating_sub(1).max(1) };
    let off = *offset as usize;
    let new = if line < off {
        line
    } else if line >= off + visible {
        line + 1 - visible
    } else {
        off
    };
    *offset = (new as u16).min(max);
}

/// A shell command broken into rows of at most `width` columns that paste back as the one command: every row
/// but the last ends with a backslash (a shell's line continuation), so selecting the rows with the mouse copies
/// something a shell runs as it is.
pub fn shell_rows(cmd: &str, width: usize) -> Vec<String> {
    let room = width.saturating_sub(2).max(8);
    let mut rows: Vec<String> = vec![];
    let mut row = String::new();
    for word in cmd.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let used = row.chars().count();
        if used > 0 && used + 1 + word.len() > room {
            rows.push(format!("{row} \\"));
            row.clear();
        } else if used > 0 {
            row.push(' ');
        }
        // A word longer than a row is broken where it must: a backslash-newline inside a word joins it again.
        while row.chars().count() + word.len() > room {
            let take = room.saturating_sub(row.chars().count()).max(1);
            let head: String = word.drain(..take.min(word.len())).collect();
            rows.push(format!("{row}{head}\\"));
            row.clear();
        }
        row.extend(word);
    }
    rows.push(row);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a shell makes of the rows: each backslash-newline is removed.
    fn joined(rows: &[String]) -> String {
        rows.join("\n").replace("\\\n", "")
    }

    #[test]
    fn a_command_broken_into_rows_pastes_back_whole() {
        let cmd = "pinpoint-iam-wizard --profile ops --endpoint-url http://127.0.0.1:45678/a-very-long-path-that-does-not-fit \
                   --region eu-west-1 destroy --setup all --name pinpoint-role-name=LambdaImport";
        for width in [20, 40, 80, 200] {
            let rows = shell_rows(cmd, width);
            assert!(rows.iter().all(|r| r.chars().count() <= width), "{width}: {rows:?}");
            assert_eq!(joined(&rows), cmd, "{width}: {rows:?}");
        }
        assert_eq!(shell_rows("a b", 80), vec!["a b".to_string()]);
    }

    #[test]
    fn the_selected_line_is_kept_in_view() {
        let mut off = 0;
        follow(&mut off, 30, 50, 10);
        assert_eq!(off, 22, "the line is the last one above the marker");
        follow(&mut off, 5, 50, 10);
        assert_eq!(off, 5);
        follow(&mut off, 7, 50, 10);
        assert_eq!(off, 5, "already in view: no scroll");
        follow(&mut off, 3, 5, 10);
        assert_eq!(off, 0, "everything fits");
    }
}
