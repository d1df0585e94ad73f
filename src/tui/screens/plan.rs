//! Plan: each step against the account as it is now (create, unchanged, update, conflict, with the reason),
//! then apply, after a confirmation that says what will be written.

use crate::plan::{Action as Step, Plan};
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::Copied;
use crate::tui::msg::{Do, Screen};
use crate::tui::overlay::{Confirm, Intent, Overlay};
use crate::tui::remote::Remote;
use crate::tui::screens::{
    Page, Scroll, Ui, draw_searched, find, follow, max_scroll, scroll, select_bindings, step_selection,
};
use crate::tui::session::Session;
use crate::tui::theme::Theme;
use crate::tui::widgets::search::{self, Find, Search};
use crate::tui::widgets::wrap::wrap;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "See what applying would do to the account as it is now: each step is create, \
    unchanged, update (a new policy version or trust) or conflict (exists and was not made by this tool). \
    Enter asks before anything is written.";

/// The column step names start at: a mark, the action (the longest is `not checked`, with a space after it) and
/// the kind.
const NAME_AT: usize = 24;

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State {
    pub scroll: u16,
    /// The step whose ARN `y` copies.
    pub selected: usize,
    pub search: Search,
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Scroll(Scroll),
    Select(bool),
    Copy,
    Find(Find),
    Adopt,
    Rotate,
    Apply,
    Finish,
    Replan,
    Details,
    Export,
    Manual,
    Back,
}

/// Why the plan cannot be applied, if it cannot.
pub fn apply_blocker(s: &Session) -> Option<String> {
    let plan = s.plan.ready()?;
    if !s.online() || !plan.checked {
        return Some("offline: the account could not be read with these credentials (previews still work)".into());
    }
    if let Some((i, owner)) = plan.owned_elsewhere().next() {
        return Some(format!(
            "{} {} belongs to {owner} (ManagedBy={owner}): not adoptable; Esc back to rename",
            plan.label(i).kind,
            plan.label(i).name
        ));
    }
    if plan.conflicts().next().is_some() && !s.adopt {
        return Some("conflicts: a adopts them, or Esc back to rename".into());
    }
    None
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
    if st.search.typing() {
        return search::bindings(&st.search, Act::Find);
    }
    let rows = st.content(s, size.0, &Theme { color: false }).0.len();
    let steps = s.plan.ready().map_or(0, |p| p.steps.len());
    // The search's keys first: once a query is found, `n` is the next match and Esc clears it.
    let mut v = search::bindings(&st.search, Act::Find);
    let height = size.1.saturating_sub(st.search.rows());
    v.extend(select_bindings(steps, rows, height, Act::Select, Act::Copy, Act::Scroll));
    match &s.plan {
        Remote::Ready(plan) => {
            // What another tool owns is never offered for adoption.
            if plan.conflicts().next().is_some() && plan.owned_elsewhere().next().is_none() && s.online() {
                let does = if s.adopt { "don't adopt" } else { "adopt conflicts" };
                v.push(Binding::new(&[Key::char('a')], "a", does, Act::Adopt));
            }
            if let Some(_user) = s.rotatable_user() {
                v.push(Binding::new(&[Key::char('n')], "n", "new access key…", Act::Rotate));
            }
            if apply_blocker(s).is_none() {
                if plan.writes() == 0 {
                    v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "summary", Act::Finish));
                } else {
                    v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "apply…", Act::Apply));
                }
            }
        }
        Remote::Failed(_) => {
            v.push(Binding::new(&[Key::Code(KeyCode::F(5))], "F5", "plan again", Act::Replan));
            v.push(Binding::new(&[Key::Code(KeyCode::F(2))], "F2", "error details", Act::Details));
        }
        _ => {}
    }
    // Offline, nothing can be applied: the guides' console steps are the way on.
    if s.plan.ready().is_some_and(|p| !p.checked) || (matches!(s.plan, Remote::Ready(_)) && !s.online()) {
        v.push(Binding::new(&[Key::char('m')], "m", "do it by hand", Act::Manual));
    }
    if s.params.is_some() {
        v.push(Binding::new(&[Key::char('e')], "e", "export…", Act::Export));
    }
    v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "back", Act::Back));
    v
}

/// What applying will write, in words, for the confirmation: names grouped by kind, attachments counted.
pub fn describe_writes(plan: &Plan, adopt: bool) -> Vec<String> {
    let mut create: Vec<(&str, Vec<String>)> = vec![("policies", vec![]), ("roles", vec![]), ("users", vec![])];
    let mut attachments = 0;
    let mut update = vec![];
    let mut adopted = vec![];
    let mut key = None;
    for (i, st) in plan.steps.iter().enumerate() {
        let l = plan.label(i);
        match (st.action, l.kind) {
            (_, "access_key") if st.action.writes() => key = Some(l.name),
            (Step::Create, "attachment") => attachments += 1,
            (Step::Create, kind) => {
                let group = match kind {
                    "policy" => 0,
                    "role" => 1,
                    _ => 2,
                };
                create[group].1.push(l.name);
            }
            (Step::Update, _) => update.push(l.to_string()),
            (Step::Conflict, _) if adopt => adopted.push(l.to_string()),
            _ => {}
        }
    }
    let p = &plan.params;
    let mut lines = vec![format!("Writes to account {} in {}:", p.account, p.region)];
    lines.extend(p.guardrails().map(|g| format!("• {g}")));
    for (kind, names) in create.iter().filter(|(_, n)| !n.is_empty()) {
        lines.push(format!("• creates {kind}: {}", names.join(", ")));
    }
    if attachments > 0 {
        lines.push(format!("• attaches policies: {attachments} attachment(s)"));
    }
    if !update.is_empty() {
        lines.push(format!("• updates {}", update.join(", ")));
    }
    if !adopted.is_empty() {
        lines.push(format!("• takes over (updates and tags) {}", adopted.join(", ")));
    }
    if let Some(u) = key {
        lines.push(format!("• creates an access key for {u}: its secret is shown once, on the next screen"));
    }
    lines.push("If a step fails, you choose: retry, roll back what this run made, or keep it.".into());
    lines
}

impl State {
    /// The screen's lines, and the line of each step (where the selection is drawn and scrolled to).
    fn content(&self, s: &Session, width: u16, theme: &Theme) -> (Vec<Line<'static>>, Vec<usize>) {
        let w = width as usize;
        let mut lines = vec![];
        let mut marks = vec![];
        let plan = match &s.plan {
            Remote::Idle | Remote::Pending(_) => {
                lines.push(Line::from(Span::styled("Reading the account to make the plan…", theme.focus())));
                return (lines, marks);
            }
            Remote::Failed(e) => {
                lines.push(Line::from(Span::styled(
                    "✗ No plan: the account could not be read (F2: details).",
                    theme.error(),
                )));
                for r in wrap(&e.line(), w.saturating_sub(2), 2) {
                    lines.push(Line::raw(format!("  {r}")));
                }
                return (lines, marks);
            }
            Remote::Ready(plan) => plan,
        };
        let p = &plan.params;
        let said = if s.wrote {
            "Earlier runs of this session wrote to it; this plan reads it as it is now."
        } else {
            "Nothing has been written yet."
        };
        let tightened = if p.tighten { ", tightened documents" } else { "" };
        for r in wrap(&format!("Account {}, Region {}{tightened}. {said}", p.account, p.region), w, 2) {
            lines.push(Line::raw(r));
        }
        for r in p.guardrails().iter().flat_map(|g| wrap(g, w, 2)) {
            lines.push(Line::raw(r));
        }
        // The engine's reason for a key it finds says its secret cannot be shown again; in this session it can.
        if let Some(k) = s.custody.held() {
            let held = format!(
                "The secret of {}'s new access key {} is still held by this session: it is shown after this run.",
                k.user_name, k.access_key_id
            );
            for r in wrap(&held, w, 2) {
                lines.push(Line::from(Span::styled(r, theme.focus())));
            }
        }
        if let Some(serious) = &s.serious {
            let fix = if p.tighten { "see the preview" } else { "Esc back to the preview, where t tightens them" };
            for r in wrap(&format!("⚠ {serious}: {fix}."), w, 2) {
                lines.push(Line::from(Span::styled(r, theme.warn())));
            }
        }
        lines.push(Line::raw(""));
        // Names get a column of at most a third of the width; a longer name, or a reason that does not fit
        // beside it, puts the reason on the lines under it, indented, never at column 0.
        let name_w =
            ((0..plan.steps.len()).map(|i| plan.label(i).name.chars().count()).max().unwrap_or(0) + 2).min(w / 3);
        for (i, step) in plan.steps.iter().enumerate() {
            let l = plan.label(i);
            let style = match step.action {
                Step::Create => theme.ok(),
                Step::Update => theme.warn(),
                Step::Conflict | Step::Delete => theme.error(),
                Step::Unchanged | Step::NotChecked | Step::Absent | Step::Keep => theme.dim(),
            };
            // The engine's reasons name the headless ways; here the same choice is a key.
            let reason = step
                .reason
                .replace("; --adopt to take it over", "; a adopts it")
                .replace("(a new key: rotate-key, or n in the wizard)", "(n makes a new one)");
            let name_len = l.name.chars().count();
            let fits = name_len + 2 <= name_w && NAME_AT + name_w + reason.chars().count() <= w;
            let mark = if i == self.selected { "›" } else { " " };
            marks.push(lines.len());
            let mut spans = vec![
                Span::styled(mark.to_string(), theme.selected()),
                Span::styled(format!("{:<12}", step.action.as_str()), style),
                Span::raw(format!("{:<11}", l.kind)),
            ];
            if i == self.selected {
                spans[2] = Span::styled(format!("{:<11}", l.kind), theme.selected());
            }
            if fits {
                spans.push(Span::raw(format!("{:<name_w$}", l.name)));
                spans.push(Span::styled(reason, theme.dim()));
                lines.push(Line::from(spans));
                continue;
            }
            let mut name_rows = wrap(&l.name, w.saturating_sub(NAME_AT), 2).into_iter();
            spans.push(Span::raw(name_rows.next().unwrap_or_default()));
            lines.push(Line::from(spans));
            lines.extend(name_rows.map(|r| Line::raw(format!("{:NAME_AT$}{r}", ""))));
            for r in wrap(&reason, w.saturating_sub(15), 2) {
                lines.push(Line::from(Span::styled(format!("{:13}{r}", ""), theme.dim())));
            }
        }
        lines.push(Line::raw(""));
        let writes = plan.writes();
        if writes == 0 && plan.checked {
            lines.push(Line::from(Span::styled(
                "Nothing to change: the account already matches. Enter shows the summary.",
                theme.ok(),
            )));
            return (lines, marks);
        }
        if plan.conflicts().next().is_some() {
            let word =
                if s.adopt { "will be taken over (updated and tagged)" } else { "block applying: a adopts them" };
            lines.push(Line::from(Span::styled(format!("Conflicts {word}."), theme.error())));
        }
        match apply_blocker(s) {
            Some(why) => {
                for r in wrap(&format!("Cannot apply: {why}"), w, 2) {
                    lines.push(Line::from(Span::styled(r, theme.warn())));
                }
                if !plan.checked || !s.online() {
                    let by_hand = "m shows the guides' console steps, to make it by hand (or by someone who may).";
                    for r in wrap(by_hand, w, 2) {
                        lines.push(Line::from(Span::styled(r, theme.focus())));
                    }
                }
            }
            None => lines.push(Line::from(Span::styled(
                format!("{writes} step(s) will write. Enter asks before applying."),
                theme.focus(),
            ))),
        }
        (lines, marks)
    }
}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s, size)
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, k: &KeyEvent, size: (u16, u16)) -> Vec<Do> {
        let height = size.1.saturating_sub(self.search.rows());
        match a {
            Act::Scroll(by) => {
                let rows = self.content(s, size.0, &Theme { color: false }).0.len();
                scroll(&mut self.scroll, by, max_scroll(rows, height));
            }
            Act::Find(f) => {
                let lines = self.content(s, size.0, &Theme { color: false }).0;
                find(&mut self.search, f, k, &lines, &mut self.scroll, height);
            }
            Act::Select(down) => {
                step_selection(&mut self.selected, down, s.plan.ready().map_or(0, |p| p.steps.len()));
                let (lines, marks) = self.content(s, size.0, &Theme { color: false });
                if let Some(line) = marks.get(self.selected) {
                    follow(&mut self.scroll, *line, lines.len(), height);
                }
            }
            Act::Copy => {
                let Some(plan) = s.plan.ready().filter(|p| self.selected < p.steps.len()) else { return vec![] };
                let l = plan.label(self.selected);
                let what = match l.kind {
                    "attachment" => format!("the ARN of the policy of attachment {}", l.name),
                    _ => format!("the ARN of {l}"),
                };
                return vec![Do::Run(crate::tui::msg::Cmd::Copy { what: Copied::Text { what, text: l.arn } })];
            }
            Act::Adopt => s.adopt = !s.adopt,
            Act::Back => return vec![Do::Go(Screen::Preview)],
            Act::Export => return vec![Do::Ask(crate::tui::prompts::export_prompt())],
            Act::Manual => return vec![Do::Go(Screen::Manual)],
            Act::Finish => return vec![Do::Go(Screen::Summary)],
            Act::Details => {
                if let Remote::Failed(e) = &s.plan {
                    return vec![Do::Show(Overlay::Details { title: "Why there is no plan".into(), text: e.detail() })];
                }
            }
            Act::Replan => {
                let Some(p) = s.params.clone() else { return vec![] };
                let id = s.request();
                s.plan = Remote::Pending(id);
                return vec![Do::Run(crate::tui::msg::Cmd::Plan { id, params: Box::new(p) })];
            }
            Act::Rotate => {
                if let Some(user) = s.rotatable_user() {
                    return vec![Do::Ask(crate::tui::prompts::rotate_confirm(user))];
                }
            }
            Act::Apply => {
                let Some(plan) = s.plan.ready() else { return vec![] };
                let mut lines = describe_writes(plan, s.adopt);
                if let Some(serious) = &s.serious {
                    lines.push(format!("Note: {serious} (the preview shows where)."));
                }
                let confirm = Confirm::new("Apply the plan?").lines(lines).choice('y', "apply", Intent::Apply);
                return vec![Do::Ask(confirm.cancel("not now"))];
            }
        }
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let mut lines = self.content(s, area.width, ui.theme).0;
        if s.plan.is_pending() {
            lines[0] = Line::from(Span::styled(
                format!("{} Reading the account to make the plan…", ui.spinner()),
                ui.theme.focus(),
            ));
        }
        draw_searched(&self.search, lines, self.scroll, frame, area, ui.theme);
    }

    fn typing(&self, _s: &Session) -> bool {
        self.search.typing()
    }
}
