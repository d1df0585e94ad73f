//! `/` search in a scrolling view, as in `less`: `/` opens a query line at the foot of the view, Enter finds
//! the first line that holds it (case-insensitive) and scrolls it to the top, every occurrence is highlighted,
//! `n`/`N` go to the next and previous match (wrapping round), Esc cancels the query or clears the search. One
//! widget for every screen that scrolls text (Preview, Plan, Manual mode): the screen keeps a [`Search`] and
//! hands it its lines.

use super::field;
use crate::tui::keys::{Binding, Key};
use crate::tui::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

/// A screen's search: the query being typed, or the one found, and which match is current.
#[derive(Debug, Default, Clone)]
pub struct Search {
    /// The query line, while it is being typed.
    typing: Option<Input>,
    /// The query Enter confirmed.
    query: Option<String>,
    /// The current match among the lines that hold the query.
    current: usize,
}

/// What a search key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    Open,
    Type,
    Confirm,
    Cancel,
    Next,
    Previous,
}

/// The search's keys: while the query is typed, only the query line's; otherwise `/`, and `n`/`N` and Esc
/// (clear) once a query was found. Listed before the screen's own Esc, so Esc clears the search first.
pub fn bindings<A>(search: &Search, wrap: impl Fn(Find) -> A) -> Vec<Binding<A>> {
    if search.typing() {
        return vec![
            Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "find", wrap(Find::Confirm)),
            Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "cancel search", wrap(Find::Cancel)),
            Binding::new(&[Key::Text], "", "", wrap(Find::Type)),
        ];
    }
    let mut v = vec![Binding::new(&[Key::char('/')], "/", "search", wrap(Find::Open))];
    if search.query.is_some() {
        v.push(Binding::new(&[Key::char('n')], "n/N", "next/previous match", wrap(Find::Next)));
        v.push(Binding::new(&[Key::char('N')], "", "", wrap(Find::Previous)));
        v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "clear search", wrap(Find::Cancel)));
    }
    v
}

/// The text of a line, its spans joined.
pub fn text_of(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// Where `query` occurs in `text` (case-insensitive), as char ranges.
fn occurrences(text: &str, query: &str) -> Vec<(usize, usize)> {
    let fold = |c: char| c.to_lowercase().next().unwrap_or(c);
    let hay: Vec<char> = text.chars().map(fold).collect();
    let needle: Vec<char> = query.chars().map(fold).collect();
    if needle.is_empty() || needle.len() > hay.len() {
        return vec![];
    }
    let mut found = vec![];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == needle[..] {
            found.push((i, i + needle.len()));
            i += needle.len();
        } else {
            i += 1;
        }
    }
    found
}

impl Search {
    /// Whether the query line has the focus (the screen's other keys wait, `q` is a letter).
    pub fn typing(&self) -> bool {
        self.typing.is_some()
    }

    /// The rows the query line takes at the foot of the view.
    pub fn rows(&self) -> u16 {
        u16::from(self.typing.is_some() || self.query.is_some())
    }

    /// The lines of `lines` that hold the query.
    pub fn matches(&self, lines: &[Line]) -> Vec<usize> {
        let Some(q) = &self.query else { return vec![] };
        lines.iter().enumerate().filter(|(_, l)| !occurrences(&text_of(l), q).is_empty()).map(|(i, _)| i).collect()
    }

    /// Carry out a search key `k` on a view of `lines`; returns the line to scroll to the top, if any.
    pub fn act(&mut self, f: Find, k: &KeyEvent, lines: &[Line]) -> Option<usize> {
        match f {
            Find::Open => self.typing = Some(Input::default()),
            Find::Type => {
                if let Some(input) = &mut self.typing {
                    field::edit(input, k);
                }
            }
            Find::Cancel => {
                // As in less: Esc on the query line leaves the previous search as it was.
                if self.typing.take().is_none() {
                    self.query = None;
                }
            }
            Find::Confirm => {
                let typed = self.typing.take().map(|i| i.value().to_string()).unwrap_or_default();
                if !typed.is_empty() {
                    self.query = Some(typed);
                }
                self.current = 0;
                return self.matches(lines).first().copied();
            }
            Find::Next | Find::Previous => {
                let found = self.matches(lines);
                if found.is_empty() {
                    return None;
                }
                let n = found.len();
                self.current = if f == Find::Next { (self.current + 1) % n } else { (self.current + n - 1) % n };
                return found.get(self.current).copied();
            }
        }
        None
    }

    /// `lines` with every occurrence of the query highlighted, the current match's line more strongly.
    pub fn highlight(&self, lines: Vec<Line<'static>>, theme: &Theme) -> Vec<Line<'static>> {
        let Some(q) = &self.query else { return lines };
        let current = self.matches(&lines).get(self.current).copied();
        lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let style = if Some(i) == current { theme.cursor().patch(theme.focus()) } else { theme.selected() };
                let found = occurrences(&text_of(&l), q);
                mark(l, &found, style)
            })
            .collect()
    }

    /// Draw the query line (or the found query, its count and keys) at the foot of `area`; returns the rest.
    pub fn draw(&self, lines: &[Line], frame: &mut Frame, area: Rect, theme: &Theme) -> Rect {
        if self.rows() == 0 || area.height < 2 {
            return area;
        }
        let bar = Rect { y: area.y + area.height - 1, height: 1, ..area };
        let rest = Rect { height: area.height - 1, ..area };
        let line = match (&self.typing, &self.query) {
            (Some(input), _) => Line::from(vec![
                Span::styled("/", theme.key()),
                Span::raw(input.value().to_string()),
                Span::styled(" ", theme.cursor()),
            ]),
            (None, Some(q)) => {
                let n = self.matches(lines).len();
                let said = match n {
                    0 => "not found".to_string(),
                    n => format!("match {} of {n} · n/N next/previous · Esc clears", self.current.min(n - 1) + 1),
                };
                Line::from(vec![Span::styled(format!("/{q}  "), theme.key()), Span::styled(said, theme.dim())])
            }
            (None, None) => Line::raw(""),
        };
        frame.render_widget(Paragraph::new(line), bar);
        rest
    }
}

/// Restyle the chars of `line` inside `ranges` with `style` (patched over their own), splitting spans.
fn mark(line: Line<'static>, ranges: &[(usize, usize)], style: Style) -> Line<'static> {
    if ranges.is_empty() {
        return line;
    }
    let inside = |i: usize| ranges.iter().any(|(a, b)| (*a..*b).contains(&i));
    let mut spans: Vec<Span<'static>> = vec![];
    let mut at = 0;
    for span in &line.spans {
        let mut run = String::new();
        let mut run_in = None;
        for c in span.content.chars() {
            let here = inside(at);
            if run_in.is_some_and(|r| r != here) {
                let s = if run_in == Some(true) { span.style.patch(style) } else { span.style };
                spans.push(Span::styled(std::mem::take(&mut run), s));
            }
            run_in = Some(here);
            run.push(c);
            at += 1;
        }
        if !run.is_empty() {
            let s = if run_in == Some(true) { span.style.patch(style) } else { span.style };
            spans.push(Span::styled(run, s));
        }
    }
    Line { spans, ..line }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn k(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn finds_case_insensitively_and_goes_round() {
        let lines: Vec<Line> = ["alpha", "Beta role", "gamma", "the ROLE again"].into_iter().map(Line::raw).collect();
        let mut s = Search::default();
        let none = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        s.act(Find::Open, &k('/'), &lines);
        assert!(s.typing());
        for c in "role".chars() {
            s.act(Find::Type, &k(c), &lines);
        }
        assert_eq!(s.act(Find::Confirm, &none, &lines), Some(1));
        assert_eq!(s.act(Find::Next, &k('n'), &lines), Some(3));
        assert_eq!(s.act(Find::Next, &k('n'), &lines), Some(1), "round again");
        assert_eq!(s.act(Find::Previous, &k('N'), &lines), Some(3));
        s.act(Find::Cancel, &none, &lines);
        assert!(s.matches(&lines).is_empty(), "Esc clears the search");
    }

    #[test]
    fn highlights_each_occurrence_across_spans() {
        let theme = Theme { color: true };
        let line = Line::from(vec![Span::raw("a ro"), Span::raw("le and a role")]);
        let marked = mark(line, &occurrences("a role and a role", "role"), theme.selected());
        let text: Vec<(&str, bool)> =
            marked.spans.iter().map(|s| (s.content.as_ref(), s.style == theme.selected())).collect();
        assert_eq!(text, vec![("a ", false), ("ro", true), ("le", true), (" and a ", false), ("role", true)]);
    }
}
