//! Parameters: the bucket and project (picked from the account's lists or typed), the resource names and the
//! harden option, each validated as it is typed.

use crate::aws::listings::Project;
use crate::setup::{
    BoundaryArn, BucketName, IamKind, IamName, IamPath, NameField, Param, Params, ProjectId, SETUPS, Selection,
};
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Do, Screen};
use crate::tui::screens::{Page, Ui};
use crate::tui::session::Session;
use crate::tui::widgets::field;
use crate::tui::widgets::picker::Picker;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Fill in what the documents need: the S3 bucket the import reads, the Pinpoint project \
    it writes to, and the names of the policies, roles and user (the guides' names by default). Where an \
    organisation demands them, the IAM path goes on every policy, role and user (/teams/messaging/) and the \
    permissions boundary (a policy ARN) on every role and the user. Each field says which rule its value breaks. \
    Nothing is written here; Enter shows the documents.";

/// Every setup's names, in the order the wizard asks for them; [`Field::Name`] indexes it.
pub fn name_fields() -> Vec<&'static NameField> {
    SETUPS.iter().flat_map(|s| s.names.iter().copied()).collect()
}

/// The fields of the parameters screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Bucket,
    Project,
    Name(usize),
    Harden,
    /// The path of every policy, role and user (an organisation's guardrail).
    Path,
    /// The permissions boundary of every role and user (an organisation's guardrail; empty: none).
    Boundary,
}

/// What this screen remembers while the wizard runs.
#[derive(Debug)]
pub struct State {
    pub focus: usize,
    pub buckets: Picker<String>,
    pub projects: Picker<Project>,
    pub names: Vec<Input>,
    pub harden: bool,
    pub path: Input,
    pub boundary: Input,
}

impl Default for State {
    fn default() -> Self {
        State {
            focus: 0,
            buckets: Picker::default(),
            projects: Picker::default(),
            names: name_fields().into_iter().map(|f| Input::new(f.default.to_string())).collect(),
            harden: false,
            path: Input::new("/".to_string()),
            boundary: Input::default(),
        }
    }
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    NextField,
    PrevField,
    Edit,
    PickDown,
    PickUp,
    Toggle,
    Next,
    Back,
}

/// The fields the chosen setup needs, in focus order.
pub fn fields(setup: Selection) -> Vec<Field> {
    let mut out = vec![];
    if setup.needing(Param::Bucket).is_some() {
        out.push(Field::Bucket);
    }
    if setup.needing(Param::Project).is_some() {
        out.push(Field::Project);
    }
    let chosen: Vec<&NameField> = setup.name_fields().collect();
    for (i, f) in name_fields().into_iter().enumerate() {
        if chosen.iter().any(|c| std::ptr::eq(*c, f)) {
            out.push(Field::Name(i));
        }
    }
    if setup.can_harden() {
        out.push(Field::Harden);
    }
    out.extend([Field::Path, Field::Boundary]);
    out
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session) -> Vec<Binding<Act>> {
    let focus = st.focused(s.setup);
    let mut v = vec![
        Binding::new(&[Key::Code(KeyCode::Tab)], "Tab/Shift-Tab", "field", Act::NextField),
        Binding::new(&[Key::Code(KeyCode::BackTab)], "", "", Act::PrevField),
    ];
    match focus {
        Field::Bucket | Field::Project => {
            v.push(Binding::new(&[Key::Text], "type", "filter or enter", Act::Edit));
            v.push(Binding::new(&[Key::Code(KeyCode::Down)], "↑/↓", "pick", Act::PickDown));
            v.push(Binding::new(&[Key::Code(KeyCode::Up)], "", "", Act::PickUp));
        }
        Field::Name(_) | Field::Path | Field::Boundary => {
            v.push(Binding::new(&[Key::Text], "type", "edit (←/→ Ctrl-U)", Act::Edit));
            v.push(Binding::new(&[Key::Code(KeyCode::Down)], "↑/↓", "field", Act::NextField));
            v.push(Binding::new(&[Key::Code(KeyCode::Up)], "", "", Act::PrevField));
        }
        Field::Harden => {
            v.push(Binding::new(&[Key::char(' ')], "Space", "toggle harden", Act::Toggle));
            v.push(Binding::new(&[Key::Code(KeyCode::Down)], "↑/↓", "field", Act::NextField));
            v.push(Binding::new(&[Key::Code(KeyCode::Up)], "", "", Act::PrevField));
        }
    }
    v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "preview", Act::Next));
    v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "back", Act::Back));
    v
}

impl State {
    /// The field with the focus.
    pub fn focused(&self, setup: Selection) -> Field {
        let f = fields(setup);
        f[self.focus.min(f.len() - 1)]
    }

    /// A field's label.
    pub fn label(f: Field) -> &'static str {
        match f {
            Field::Bucket => "S3 bucket",
            Field::Project => "Pinpoint project",
            Field::Name(i) => name_fields().get(i).map_or("", |f| f.label),
            Field::Harden => "Harden Pinpoint trust",
            Field::Path => "IAM path",
            Field::Boundary => "Permissions boundary",
        }
    }

    /// The rule a field's current value breaks, if any (a name used twice included).
    pub fn error(&self, s: &Session, f: Field) -> Option<String> {
        let setup = s.setup;
        match f {
            Field::Bucket => BucketName::parse("Bucket", &self.buckets.value()).err().map(|e| {
                if self.buckets.value().is_empty() {
                    "pick a bucket from the list or type its name".into()
                } else {
                    e.rule
                }
            }),
            Field::Project => ProjectId::parse("Project", &self.projects.value()).err().map(|e| {
                if self.projects.value().is_empty() {
                    "pick a project from the list or type its id".into()
                } else {
                    e.rule
                }
            }),
            Field::Name(i) => {
                let all = name_fields();
                let nf = all.get(i)?;
                if let Err(e) = IamName::parse(nf.label, nf.kind, self.names[i].value()) {
                    return Some(e.rule);
                }
                let policy = nf.kind == IamKind::Policy;
                fields(setup).into_iter().find_map(|g| match g {
                    Field::Name(j)
                        if j != i
                            && (all[j].kind == IamKind::Policy) == policy
                            && self.names[j].value().eq_ignore_ascii_case(self.names[i].value()) =>
                    {
                        Some(format!("the {} has this name too (IAM ignores case): each needs its own", all[j].label))
                    }
                    _ => None,
                })
            }
            Field::Harden => None,
            Field::Path => IamPath::parse("IAM path", self.path.value()).err().map(|e| e.rule),
            Field::Boundary => self.boundary_error(s),
        }
    }

    /// The boundary's rule: empty (none), or a managed policy's ARN of the account's partition, AWS-managed or
    /// the account's own (checked once the account and Region are known).
    fn boundary_error(&self, s: &Session) -> Option<String> {
        let typed = self.boundary.value().trim();
        if typed.is_empty() {
            return None;
        }
        let b = match BoundaryArn::parse("Permissions boundary", typed) {
            Ok(b) => b,
            Err(e) => return Some(e.rule),
        };
        let (account, region) = (s.account()?, s.region.as_ref()?);
        b.check_for("Permissions boundary", region.partition(), account.as_str()).err().map(|e| e.rule)
    }

    /// The validated parameters, or the first field in error and why.
    pub fn params(&self, s: &Session) -> Result<Params, (Option<usize>, String)> {
        let account = s.account().ok_or((None, "the account is still being read…".to_string()))?;
        let region = s.region.clone().ok_or((None, "no Region: go back and type one".to_string()))?;
        let mut p = Params::new(s.setup, account, region);
        p.tighten = s.tighten;
        for (n, f) in fields(s.setup).into_iter().enumerate() {
            if let Some(e) = self.error(s, f) {
                return Err((Some(n), format!("{}: {e}", Self::label(f))));
            }
            match f {
                Field::Bucket => p.bucket = BucketName::parse("Bucket", &self.buckets.value()).ok(),
                Field::Project => p.project = ProjectId::parse("Project", &self.projects.value()).ok(),
                Field::Name(i) => {
                    if let Some(nf) = name_fields().get(i)
                        && let Ok(v) = IamName::parse(nf.label, nf.kind, self.names[i].value())
                    {
                        p.names.set(nf, v);
                    }
                }
                Field::Harden => p.harden = self.harden,
                Field::Path => p.path = IamPath::parse("IAM path", self.path.value()).unwrap_or_default(),
                Field::Boundary => {
                    p.boundary = BoundaryArn::parse("Permissions boundary", self.boundary.value().trim()).ok();
                }
            }
        }
        p.check().map_err(|e| (None, e.to_string()))?;
        Ok(p)
    }
}

impl Page for State {
    type Act = Act;

    fn bindings(&self, s: &Session, _size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s)
    }

    /// Whether a text field has the focus (so `q` is a letter).
    fn typing(&self, s: &Session) -> bool {
        self.focused(s.setup) != Field::Harden
    }

    /// Insert pasted text into the focused field.
    fn paste(&mut self, s: &mut Session, text: &str) -> Vec<Do> {
        match self.focused(s.setup) {
            Field::Bucket => {
                field::paste(&mut self.buckets.filter, text);
                self.buckets.typed();
            }
            Field::Project => {
                field::paste(&mut self.projects.filter, text);
                self.projects.typed();
            }
            Field::Name(i) => {
                field::paste(&mut self.names[i], text);
            }
            Field::Path => {
                field::paste(&mut self.path, text);
            }
            Field::Boundary => {
                field::paste(&mut self.boundary, text);
            }
            Field::Harden => {}
        }
        vec![]
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, k: &KeyEvent, _size: (u16, u16)) -> Vec<Do> {
        let n = fields(s.setup).len();
        self.focus = self.focus.min(n - 1);
        let focus = self.focused(s.setup);
        match a {
            Act::NextField => self.focus = (self.focus + 1) % n,
            Act::PrevField => self.focus = (self.focus + n - 1) % n,
            Act::Edit => match focus {
                Field::Bucket => {
                    if field::edit(&mut self.buckets.filter, k) {
                        self.buckets.typed();
                    }
                }
                Field::Project => {
                    if field::edit(&mut self.projects.filter, k) {
                        self.projects.typed();
                    }
                }
                Field::Name(i) => {
                    field::edit(&mut self.names[i], k);
                }
                Field::Path => {
                    field::edit(&mut self.path, k);
                }
                Field::Boundary => {
                    field::edit(&mut self.boundary, k);
                }
                Field::Harden => {}
            },
            Act::PickDown | Act::PickUp => {
                let down = a == Act::PickDown;
                match focus {
                    Field::Bucket => self.buckets.move_highlight(down),
                    Field::Project => self.projects.move_highlight(down),
                    _ => {}
                }
            }
            Act::Toggle => self.harden = !self.harden,
            Act::Back => return vec![Do::Go(Screen::Identity)],
            Act::Next => match self.params(s) {
                Ok(p) => match p.desired() {
                    Ok(d) => {
                        s.desired = Some(d);
                        s.params = Some(p);
                        return vec![Do::Go(Screen::Preview)];
                    }
                    Err(e) => return vec![Do::Say(e.to_string())],
                },
                Err((field, why)) => {
                    if let Some(i) = field {
                        self.focus = i;
                    }
                    return vec![Do::Say(why)];
                }
            },
        }
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let w = area.width as usize;
        let fields = fields(s.setup);
        let focus = self.focused(s.setup);
        // The list under a picker gets the rows the other fields leave.
        let list_rows = (area.height as usize).saturating_sub(fields.len() + 6).clamp(2, 6);
        let mut lines = vec![];
        let mut focus_rows = (0, 0);
        for f in &fields {
            let focused = *f == focus;
            let start = lines.len();
            let err = self.error(s, *f);
            match f {
                Field::Bucket | Field::Project => {
                    let (value, typed) = match f {
                        Field::Bucket => (self.buckets.value(), &self.buckets.filter),
                        _ => (self.projects.value(), &self.projects.filter),
                    };
                    if focused {
                        lines.push(field::line(State::label(*f), typed, true, w, theme));
                        let region = s.region.as_ref().map_or("this Region".to_string(), |r| r.to_string());
                        let (col, spin) = (field::VALUE_COL, ui.spinner());
                        let list = match f {
                            Field::Bucket => {
                                self.buckets.lines(list_rows, col, w, spin, "no S3 buckets in this account", theme)
                            }
                            _ => {
                                let empty = format!("no Pinpoint projects in {region}");
                                self.projects.lines(list_rows, col, w, spin, &empty, theme)
                            }
                        };
                        lines.extend(list);
                        let chosen = if value.is_empty() { "—".to_string() } else { value };
                        lines.push(Line::from(vec![
                            Span::raw(" ".repeat(field::VALUE_COL)),
                            Span::styled("value: ", theme.dim()),
                            Span::styled(chosen, theme.focus()),
                        ]));
                    } else {
                        lines.push(field::line(State::label(*f), &Input::new(value), false, w, theme));
                    }
                    lines.extend(field::note(err.as_deref(), None, w, theme));
                }
                Field::Name(_) | Field::Path | Field::Boundary => {
                    let input = match f {
                        Field::Name(i) => &self.names[*i],
                        Field::Path => &self.path,
                        _ => &self.boundary,
                    };
                    lines.push(field::line(State::label(*f), input, focused, w, theme));
                    lines.extend(field::note(err.as_deref(), None, w, theme));
                }
                Field::Harden => {
                    let style = if focused { theme.focus() } else { theme.text() };
                    let mark = if self.harden { "[x]" } else { "[ ]" };
                    lines.push(Line::from(Span::styled(
                        format!(
                            "{}{mark} Harden the Pinpoint trust (aws:SourceAccount, aws:SourceArn)",
                            if focused { "▸ " } else { "  " }
                        ),
                        style,
                    )));
                }
            }
            if focused {
                focus_rows = (start, lines.len());
            }
        }
        // Keep the focused field and its list in view, however many messages stand above it.
        let h = area.height as usize;
        let offset = if focus_rows.1 > h { (focus_rows.1 - h).min(focus_rows.0) } else { 0 };
        frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), area);
    }
}
