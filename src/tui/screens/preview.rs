//! Preview: every policy and trust document as it will be written, the user's values highlighted, wrapped so
//! nothing is cut, with its size and least-privilege findings; copy one, or write them all to files.

use crate::aws::analyzer;
use crate::setup::findings::{self, Finding, Severity, Source};
use crate::setup::{DocKind, DocumentView, template::iam_size};
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Cmd, Copied, Do, Screen};
use crate::tui::remote::Remote;
use crate::tui::screens::{Page, Scroll, Ui, draw_searched, find, max_scroll, scroll, scroll_bindings};
use crate::tui::session::Session;
use crate::tui::theme::Theme;
use crate::tui::widgets::search::{self, Find, Search};
use crate::tui::widgets::{json_view, wrap::wrap};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Tabs};

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Read every policy and trust document exactly as it will be written, your values \
    highlighted, with its size against IAM's limit and what could be tighter. c copies the document shown, w \
    writes them all to files. Nothing is written to the account here; Enter reads the account to make the plan.";

/// Below this width the findings go under the document instead of beside it.
const SIDE_MIN_WIDTH: u16 = 110;
const SIDE: u16 = 44;

/// Whether the side panel is drawn beside `doc` in a body `width` wide: from [`SIDE_MIN_WIDTH`] on, unless a
/// word of the document (an ARN with a long bucket or project id) would have to break beside it and would fit
/// whole without it; its facts then go under the document, as in a narrow window.
fn with_side(doc: &DocumentView, width: u16, diffed: bool) -> bool {
    // The columns before a document's line: the findings' gutter, or a diff's sign and space (and one to spare).
    let before = if diffed { 3 } else { 2 };
    let fits = |width: u16| fits_whole(doc, width as usize, before);
    width >= SIDE_MIN_WIDTH && (fits(width - SIDE) || !fits(width))
}

/// Whether each line of the document fits in `width` columns, or else each of its words on a continuation row
/// (the line's indentation and [`wrap`]'s hanging indent of 4 before it).
fn fits_whole(doc: &DocumentView, width: usize, before: usize) -> bool {
    json_view::pretty(doc.document).lines().all(|line| {
        let lead = line.chars().take_while(|c| *c == ' ').count().min(width / 2);
        let longest = line.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
        before + line.chars().count() <= width || before + lead + 4 + longest <= width
    })
}

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State {
    pub tab: usize,
    pub scroll: u16,
    pub search: Search,
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    NextDoc,
    PrevDoc,
    Scroll(Scroll),
    Find(Find),
    Copy,
    Write,
    Export,
    Tighten,
    Plan,
    Manual,
    Back,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
    if st.search.typing() {
        return search::bindings(&st.search, Act::Find);
    }
    // The search's keys first: once a query is found, Esc clears it before it goes back.
    let mut v = search::bindings(&st.search, Act::Find);
    v.extend([
        Binding::new(&[Key::Code(KeyCode::Right), Key::Code(KeyCode::Tab)], "←/→", "document", Act::NextDoc),
        Binding::new(&[Key::Code(KeyCode::Left), Key::Code(KeyCode::BackTab)], "", "", Act::PrevDoc),
    ]);
    v.extend(scroll_bindings(st.rows(s, size.0), st.height(size), Act::Scroll));
    v.push(Binding::new(&[Key::char('c')], "c", "copy document", Act::Copy));
    v.push(Binding::new(&[Key::char('w')], "w", "write files", Act::Write));
    v.push(Binding::new(&[Key::char('e')], "e", "export…", Act::Export));
    let does = if s.tighten { "guides' documents" } else { "tightened documents" };
    v.push(Binding::new(&[Key::char('t')], "t", does, Act::Tighten));
    if s.manual {
        v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "manual steps", Act::Manual));
    } else {
        v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "plan", Act::Plan));
    }
    v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "back", Act::Back));
    v
}

impl State {
    fn docs<'s>(&self, s: &'s Session) -> Vec<DocumentView<'s>> {
        s.desired.as_ref().map(|d| d.documents()).unwrap_or_default()
    }

    /// The scrolling content: the wrapped document with its findings' places marked, then (when narrow) its
    /// size, then every finding.
    fn content(&self, s: &Session, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        let docs = self.docs(s);
        let tab = self.tab.min(docs.len().saturating_sub(1));
        let (Some(doc), Some(p)) = (docs.get(tab), &s.params) else {
            return vec![];
        };
        let diffed = diff(s, doc);
        let narrow = !with_side(doc, width, diffed.is_some());
        let json_w = if narrow { width } else { width - SIDE } as usize;
        let found = all_findings(s, doc, tab);
        let mut lines = match diffed {
            // A diff's lines are not the document's: its findings are listed under it, not marked.
            Some(diff) => diff_lines(&diff, theme, json_w),
            None => {
                // A finding about the whole document (a user it is attached to) is listed, not marked on every line.
                let marks: Vec<json_view::Mark> = found
                    .iter()
                    .filter(|f| !f.path.steps().is_empty())
                    .filter_map(|f| {
                        let (first, last) = json_view::locate(doc.document, &f.path)?;
                        Some(json_view::Mark { first, last, style: theme.finding(f.severity), sign: sign(f.severity) })
                    })
                    .collect();
                json_view::wrapped_marked(doc.document, &p.user_values(), theme, json_w.saturating_sub(1), &marks)
            }
        };
        lines.push(Line::raw(""));
        if narrow {
            lines.extend(size_lines(doc, theme));
            lines.push(Line::raw(""));
        }
        lines.extend(finding_lines(s, &found, theme, json_w.saturating_sub(1)));
        lines
    }

    /// The document's rows in a body of `size`: under the tabs, above the search's query line.
    fn height(&self, size: (u16, u16)) -> u16 {
        size.1.saturating_sub(2 + self.search.rows())
    }

    fn rows(&self, s: &Session, width: u16) -> usize {
        self.content(s, width, &Theme { color: false }).len()
    }
}

/// The tightened document against the guide's, when it is tightened and differs.
fn diff(s: &Session, doc: &DocumentView) -> Option<Vec<crate::manual::DiffLine>> {
    let tighten = s.params.as_ref().is_some_and(|p| p.tighten);
    let diff = crate::manual::diff_whole(doc.guide.filter(|_| tighten)?, doc.document);
    diff.iter().any(|l| l.sign != ' ').then_some(diff)
}

/// A tightened document as a diff against the guide's, whole: `-` the guide's lines it drops, `+` its own.
fn diff_lines(diff: &[crate::manual::DiffLine], theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("- the guide's", theme.error()),
        Span::styled("  + tightened (written)", theme.ok()),
    ])];
    for l in diff {
        let style = match l.sign {
            '-' => theme.error(),
            '+' => theme.ok(),
            _ => theme.text(),
        };
        // The JSON's indentation stays put; a long value continues four columns further in (ARNs whole).
        let lead = l.text.chars().take_while(|c| *c == ' ').count().min(width / 2);
        let body = l.text.trim_start_matches(' ');
        for r in wrap(body, width.saturating_sub(3 + lead), 4) {
            lines.push(Line::from(Span::styled(format!("{} {}{r}", l.sign, " ".repeat(lead)), style)));
        }
    }
    lines
}

/// This tool's findings on one document, remembered for the documents last asked about: the preview needs them
/// for every frame and every key (its scroll keys depend on its length), and the check reads every statement.
fn own_findings(desired: &crate::setup::Desired, doc: &DocumentView) -> Vec<Finding> {
    type Memo = Option<(crate::setup::Desired, Vec<(String, Vec<Finding>)>)>;
    static LAST: std::sync::Mutex<Memo> = std::sync::Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if last.as_ref().is_none_or(|(d, _)| d != desired) {
        *last = Some((desired.clone(), vec![]));
    }
    let Some((_, memo)) = last.as_mut() else { return findings::of_document(desired, doc) };
    if let Some((_, found)) = memo.iter().find(|(title, _)| *title == doc.title) {
        return found.clone();
    }
    let found = findings::of_document(desired, doc);
    memo.push((doc.title.clone(), found.clone()));
    found
}

/// This tool's findings on the document, then IAM Access Analyzer's, each most serious first.
fn all_findings(s: &Session, doc: &DocumentView, tab: usize) -> Vec<Finding> {
    let mut found = s.desired.as_ref().map(|d| own_findings(d, doc)).unwrap_or_default();
    // Only an answer about the documents shown (the `t` key or new parameters make others).
    if let Some(a) = s.analysis.ready().filter(|_| s.analysed.is_some() && s.analysed == s.desired) {
        found.extend(a.findings(tab).iter().cloned());
    }
    found
}

/// The gutter's sign for a level: the place is marked even without colours.
fn sign(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✗",
        Severity::SecurityWarning => "▲",
        Severity::Warning => "!",
        Severity::Suggestion => "·",
    }
}

/// The document's size against IAM's limit, and what the highlights are.
fn size_lines(doc: &DocumentView, theme: &Theme) -> Vec<Line<'static>> {
    let (size, limit) = (iam_size(doc.document), doc.template.kind.size_limit());
    let kind = match doc.template.kind {
        DocKind::Policy => "managed policy",
        DocKind::Trust => "trust policy",
    };
    vec![
        Line::from(Span::styled(
            format!("{size} / {limit} chars"),
            if size * 10 > limit * 9 { theme.warn() } else { theme.ok() },
        )),
        Line::from(Span::styled(format!("({kind}, no white space)"), theme.dim())),
        Line::from(vec![Span::styled("highlighted", theme.user_value()), Span::styled(": your values", theme.dim())]),
    ]
}

/// Whether IAM Access Analyzer was asked, in one line.
fn analyzer_line(s: &Session) -> String {
    match &s.analysis {
        Remote::Pending(_) => "IAM Access Analyzer: checking the documents…".into(),
        Remote::Ready(a) => {
            a.note().unwrap_or_else(|| "IAM Access Analyzer was consulted: its findings are marked as its own".into())
        }
        Remote::Failed(p) => analyzer::not_consulted(&p.line()),
        Remote::Idle => analyzer::not_consulted("the account was not read (offline)"),
    }
}

/// Every finding: its level and place, then what it says; and whether Access Analyzer was consulted.
fn finding_lines(s: &Session, found: &[Finding], theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("Least privilege", theme.title()),
        Span::styled(
            format!(" · {}", findings::tally(found)),
            found.first().map_or(theme.ok(), |f| theme.finding(f.severity)),
        ),
    ])];
    for f in found {
        let by = match f.source {
            Source::AccessAnalyzer => " · IAM Access Analyzer",
            Source::Tool => "",
        };
        let place = if f.path.steps().is_empty() { "the document".to_string() } else { f.path.to_string() };
        let head = format!("{} {} · {place}{by}", sign(f.severity), f.severity);
        for row in wrap(&head, width, 2) {
            lines.push(Line::from(Span::styled(row, theme.finding(f.severity))));
        }
        for row in wrap(&format!("  {}", f.message), width, 2) {
            lines.push(Line::from(Span::styled(row, theme.text())));
        }
    }
    for row in wrap(&analyzer_line(s), width, 0) {
        lines.push(Line::from(Span::styled(row, theme.dim())));
    }
    lines
}

/// Beside a wide document: its size, and how many findings of each level (listed under the document).
fn side(s: &Session, doc: &DocumentView, tab: usize, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let found = all_findings(s, doc, tab);
    let mut lines = size_lines(doc, theme);
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Least privilege", theme.title())));
    if found.is_empty() {
        lines.push(Line::from(Span::styled("no findings", theme.ok())));
    }
    for level in [Severity::Error, Severity::SecurityWarning, Severity::Warning, Severity::Suggestion] {
        let n = found.iter().filter(|f| f.severity == level).count();
        if n > 0 {
            let plural = if n == 1 { "" } else { "s" };
            lines.push(Line::from(Span::styled(format!("{} {n} {level}{plural}", sign(level)), theme.finding(level))));
        }
    }
    if !found.is_empty() {
        let said =
            if diff(s, doc).is_some() { "listed below the diff" } else { "marked in the document, listed below it" };
        for row in wrap(said, width, 0) {
            lines.push(Line::from(Span::styled(row, theme.dim())));
        }
    }
    lines.push(Line::raw(""));
    for row in wrap(&analyzer_line(s), width, 0) {
        lines.push(Line::from(Span::styled(row, theme.dim())));
    }
    lines
}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s, size)
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, k: &KeyEvent, size: (u16, u16)) -> Vec<Do> {
        let n = self.docs(s).len().max(1);
        match a {
            Act::Find(f) => {
                let lines = self.content(s, size.0, &Theme { color: false });
                let height = self.height(size);
                find(&mut self.search, f, k, &lines, &mut self.scroll, height);
            }
            Act::NextDoc => {
                self.tab = (self.tab + 1) % n;
                self.scroll = 0;
            }
            Act::PrevDoc => {
                self.tab = (self.tab + n - 1) % n;
                self.scroll = 0;
            }
            Act::Scroll(by) => {
                let max = max_scroll(self.rows(s, size.0), self.height(size));
                scroll(&mut self.scroll, by, max);
            }
            Act::Copy => {
                let docs = self.docs(s);
                if let Some(d) = docs.get(self.tab) {
                    let what = Copied::Document { title: d.title.clone(), json: json_view::pretty(d.document) };
                    return vec![Do::Run(Cmd::Copy { what })];
                }
            }
            // The export's layout (one file per document and its README), the same as `export --as documents`.
            Act::Write => {
                let Some(p) = s.params.clone() else { return vec![] };
                let format = crate::export::ExportFormat::Documents;
                return vec![
                    Do::Say("Writing the documents…".into()),
                    Do::Run(Cmd::Export { params: Box::new(p), format }),
                ];
            }
            Act::Export => return vec![Do::Ask(crate::tui::prompts::export_prompt())],
            Act::Tighten => {
                s.tighten = !s.tighten;
                self.scroll = 0;
                let Some(p) = s.params.as_mut() else { return vec![] };
                p.tighten = s.tighten;
                let said = match p.desired() {
                    Ok(d) => {
                        s.desired = Some(d);
                        if s.tighten {
                            "Tightened documents, each against the guide's."
                        } else {
                            "The guides' documents."
                        }
                    }
                    Err(e) => return vec![Do::Say(e.to_string())],
                };
                let mut dos = vec![Do::Say(said.into())];
                dos.extend(s.analyse().map(Do::Run));
                return dos;
            }
            Act::Manual => return vec![Do::Go(Screen::Manual)],
            Act::Back => return vec![Do::Go(Screen::Params)],
            Act::Plan => {
                let Some(p) = s.params.clone() else { return vec![] };
                let id = s.request();
                s.plan = Remote::Pending(id);
                s.adopt = false;
                return vec![Do::Run(Cmd::Plan { id, params: Box::new(p) }), Do::Go(Screen::Plan)];
            }
        }
        vec![]
    }

    fn typing(&self, _s: &Session) -> bool {
        self.search.typing()
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let docs = self.docs(s);
        if docs.is_empty() {
            return;
        }
        let tab = self.tab.min(docs.len() - 1);
        let [tabs_area, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
        let titles: Vec<String> = docs.iter().map(|d| d.title.clone()).collect();
        // Tabs do not scroll by themselves: start the bar at the first title that keeps the selected one in view.
        let fits = |from: usize| {
            titles[from..=tab].iter().map(|t| t.chars().count() + 3).sum::<usize>() + 2 <= tabs_area.width as usize
        };
        let start = (0..=tab).find(|s| fits(*s)).unwrap_or(tab);
        // Only whole titles: the bar ends at the last one that fits, with › when more follow.
        let mut used = 2 + if start > 0 { 2 } else { 0 };
        let mut end = start;
        while end < titles.len() && used + titles[end].chars().count() + 3 + 2 <= tabs_area.width as usize {
            used += titles[end].chars().count() + 3;
            end += 1;
        }
        let end = end.max(tab + 1);
        let mut shown: Vec<String> = titles[start..end].to_vec();
        if start > 0 {
            shown[0] = format!("‹ {}", shown[0]);
        }
        if end < titles.len()
            && let Some(last) = shown.last_mut()
        {
            last.push_str(" ›");
        }
        frame.render_widget(
            Tabs::new(shown)
                .select(tab - start)
                .highlight_style(theme.selected())
                .block(Block::new().borders(Borders::BOTTOM)),
            tabs_area,
        );
        let content = self.content(s, area.width, theme);
        if !with_side(&docs[tab], area.width, diff(s, &docs[tab]).is_some()) {
            draw_searched(&self.search, content, self.scroll, frame, body, theme);
            return;
        }
        let [json_area, side_area] = Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDE)]).areas(body);
        draw_searched(&self.search, content, self.scroll, frame, json_area, theme);
        frame.render_widget(
            Paragraph::new(side(s, &docs[tab], tab, theme, SIDE as usize - 2))
                .block(Block::new().borders(Borders::LEFT)),
            side_area,
        );
    }
}
