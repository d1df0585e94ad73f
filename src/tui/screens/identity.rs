//! Identity: who the credentials are (STS GetCallerIdentity, asked before this screen is even shown), the
//! Region, and, when the account cannot be read, the account id typed for an offline preview; for a profile
//! with `mfa_serial`, the code of the MFA device (no terminal prompt is possible under the wizard's screen).

use crate::aws::{AwsError, ConnectError, MfaNeeded, MfaWhy};
use crate::setup::{AccountId, Region};
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Do, Screen};
use crate::tui::overlay::Overlay;
use crate::tui::remote::{Problem, Remote};
use crate::tui::screens::{Page, Ui};
use crate::tui::session::Session;
use crate::tui::widgets::field;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Check which AWS account and Region the setup goes to. The account is read from your \
    credentials; if they do not work, type the account id to preview and plan offline (applying needs working \
    credentials). Changing the Region reads the account again there. A profile whose role needs MFA asks for \
    the device's code here.";

/// The AWS guides' example account id: typed offline, it is a copy of the guides, not the operator's account.
pub const EXAMPLE_ACCOUNT: &str = "123456789012";

/// The fields of the screen, in the order Tab visits them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    #[default]
    Region,
    /// Only while the credentials wait for an MFA code.
    Mfa,
    /// Only when the account could not be read.
    Account,
}

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State {
    pub region: Input,
    pub account: Input,
    /// The MFA code: sent once on Enter, then cleared (each code is good once).
    pub mfa: Input,
    pub focus: Field,
}

/// An MFA device the credentials wait on: its serial, and whether AWS refused the last code sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaWait<'a> {
    pub serial: &'a str,
    pub rejected: bool,
}

/// Whether the credentials wait on an MFA code: a profile with `mfa_serial` and no cached session, or a code
/// AWS did not accept.
pub fn mfa_wait(s: &Session) -> Option<MfaWait<'_>> {
    match &s.identity {
        Remote::Failed(Problem::Connect(ConnectError::MfaNeeded(MfaNeeded {
            serial,
            why: MfaWhy::AskOnScreen,
            ..
        }))) => Some(MfaWait { serial, rejected: false }),
        Remote::Failed(Problem::Aws(AwsError::MfaCodeRejected { serial, .. })) => {
            Some(MfaWait { serial, rejected: true })
        }
        _ => None,
    }
}

/// The fields shown in the session's state, in Tab order.
fn fields(s: &Session) -> Vec<Field> {
    match (&s.identity, mfa_wait(s)) {
        (Remote::Failed(_), Some(_)) => vec![Field::Region, Field::Mfa, Field::Account],
        (Remote::Failed(_), None) => vec![Field::Region, Field::Account],
        _ => vec![Field::Region],
    }
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    NextField,
    Edit,
    Next,
    Detect,
    Details,
    Back,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(_st: &State, s: &Session) -> Vec<Binding<Act>> {
    let failed = matches!(s.identity, Remote::Failed(_));
    let mut v = vec![];
    if failed {
        v.push(Binding::new(
            &[Key::Code(KeyCode::Tab), Key::Code(KeyCode::BackTab)],
            "Tab",
            "next field",
            Act::NextField,
        ));
    }
    v.push(Binding::new(&[Key::Text], "type", "edit (←/→ Ctrl-U)", Act::Edit));
    v.push(Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "next", Act::Next));
    if failed {
        v.push(Binding::new(&[Key::Code(KeyCode::F(5))], "F5", "detect again", Act::Detect));
        v.push(Binding::new(&[Key::Code(KeyCode::F(2))], "F2", "error details", Act::Details));
    }
    v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "back", Act::Back));
    v
}

impl State {
    /// Show the Region the configuration resolved.
    pub fn set_region(&mut self, r: &Region) {
        self.region = Input::new(r.to_string());
    }

    /// After an answer from STS: an MFA code asked for takes the focus; else, without an account, the account
    /// id field does.
    pub fn after_detection(&mut self, s: &Session) {
        self.focus = match (&s.identity, mfa_wait(s)) {
            _ if self.region_value().is_err() => Field::Region,
            (Remote::Failed(_), Some(_)) => Field::Mfa,
            (Remote::Failed(_), None) => Field::Account,
            _ => Field::Region,
        };
    }

    /// The typed Region, or the rule it breaks: its form, then whether AWS has it.
    pub fn region_value(&self) -> Result<Region, String> {
        let r = Region::parse("Region", self.region.value().trim()).map_err(|e| e.rule)?;
        crate::aws::regions::check(&r).map_err(|e| e.to_string())?;
        Ok(r)
    }

    /// The typed account id, or the rule it breaks (the guides' example account is not the operator's).
    pub fn account_value(&self) -> Result<AccountId, String> {
        let a = AccountId::parse("Account id", self.account.value().trim()).map_err(|e| e.rule)?;
        if a.as_str() == EXAMPLE_ACCOUNT {
            return Err(format!(
                "{EXAMPLE_ACCOUNT} is the AWS guides' example account, not yours: type your account's id (the \
                 console shows it under your name, top right)"
            ));
        }
        Ok(a)
    }

    /// The typed MFA code, or the rule it breaks.
    pub fn mfa_value(&self) -> Result<String, String> {
        let code = self.mfa.value().trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(code.to_string())
        } else {
            Err("an MFA code is the 6 digits your MFA device shows now".into())
        }
    }

    fn focused(&mut self) -> &mut Input {
        match self.focus {
            Field::Region => &mut self.region,
            Field::Mfa => &mut self.mfa,
            Field::Account => &mut self.account,
        }
    }

    /// Tab: the next field shown (Shift-Tab: the one before).
    fn next_field(&mut self, s: &Session, back: bool) {
        let shown = fields(s);
        let at = shown.iter().position(|f| *f == self.focus).unwrap_or(0);
        let step = if back { shown.len() - 1 } else { 1 };
        self.focus = shown[(at + step) % shown.len()];
    }

    fn detect_with(&mut self, s: &mut Session, mfa_code: Option<String>) -> Vec<Do> {
        let id = s.request();
        s.identity = Remote::Pending(id);
        vec![Do::Run(crate::tui::msg::Cmd::Detect { id, region: self.region_value().ok(), mfa_code })]
    }

    fn detect(&mut self, s: &mut Session) -> Vec<Do> {
        self.detect_with(s, None)
    }

    /// Enter on the MFA code: sent with the next detection (and cleared: a code is good once).
    fn submit_code(&mut self, s: &mut Session) -> Vec<Do> {
        match self.mfa_value() {
            Ok(code) => {
                self.mfa = Input::default();
                self.detect_with(s, Some(code))
            }
            Err(e) => vec![Do::Say(format!("MFA code: {e} (or Tab to the account id to go on offline)"))],
        }
    }
}

impl Page for State {
    type Act = Act;

    /// Both fields are text, so `q` and `?` are letters here.
    fn typing(&self, _s: &Session) -> bool {
        true
    }

    fn bindings(&self, s: &Session, _size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s)
    }

    /// Insert pasted text into the focused field.
    fn paste(&mut self, _s: &mut Session, text: &str) -> Vec<Do> {
        field::paste(self.focused(), text);
        vec![]
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, k: &KeyEvent, _size: (u16, u16)) -> Vec<Do> {
        match a {
            Act::NextField => self.next_field(s, k.code == KeyCode::BackTab),
            Act::Edit => {
                field::edit(self.focused(), k);
            }
            Act::Back => return vec![Do::Go(Screen::Welcome)],
            Act::Details => {
                if let Remote::Failed(p) = &s.identity {
                    return vec![Do::Show(Overlay::Details {
                        title: "Why the account could not be read".into(),
                        text: p.detail(),
                    })];
                }
            }
            Act::Detect => return self.detect(s),
            Act::Next => {
                if matches!(s.identity, Remote::Pending(_) | Remote::Idle) {
                    return vec![Do::Say("Still asking STS who you are…".into())];
                }
                let region = match self.region_value() {
                    Ok(r) => r,
                    Err(e) => return vec![Do::Say(format!("Region: {e}"))],
                };
                if self.focus == Field::Mfa && mfa_wait(s).is_some() {
                    return self.submit_code(s);
                }
                match &s.identity {
                    Remote::Pending(_) | Remote::Idle => {}
                    Remote::Failed(_) => match self.account_value() {
                        Ok(a) => s.typed_account = Some(a),
                        Err(e) => {
                            self.focus = Field::Account;
                            return vec![Do::Say(format!("Account id: {e}"))];
                        }
                    },
                    Remote::Ready(_) => {}
                }
                if Some(&region) != s.region.as_ref() {
                    // A new Region: read the account again there (and list its buckets and projects).
                    let mut dos = self.detect(s);
                    dos.push(Do::Go(Screen::Params));
                    return dos;
                }
                return vec![Do::Go(Screen::Params)];
            }
        }
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let w = area.width as usize;
        let mut lines = who(s, w, ui);
        lines.push(Line::raw(""));
        lines.extend(rows("Credentials", &credentials(s), w, ui));
        if let Some(e) = &s.endpoint {
            lines.push(row("Endpoint", e.clone(), ui.theme.text(), ui));
        }
        lines.extend(self.field_lines(s, w, ui));
        frame.render_widget(Paragraph::new(lines), area);
    }
}

impl State {
    /// The fields shown, each with its note (the rule it breaks, or a hint).
    fn field_lines(&self, s: &Session, w: usize, ui: &Ui) -> Vec<Line<'static>> {
        let theme = ui.theme;
        let mut lines = vec![];
        for f in fields(s) {
            let focused = self.focus == f;
            match f {
                Field::Region => {
                    lines.push(field::line("Region", &self.region, focused, w, theme));
                    // While the configuration loads, an empty Region is not yet an error.
                    let loading = s.identity.is_pending() && self.region.value().is_empty();
                    let err = self.region_value().err().filter(|_| !loading);
                    lines.extend(field::note(err.as_deref(), loading.then_some("from your configuration…"), w, theme));
                }
                Field::Mfa => {
                    lines.push(field::line("MFA code", &self.mfa, focused, w, theme));
                    // An empty field is not an error yet: Enter says what is missing.
                    let err = self.mfa_value().err().filter(|_| !self.mfa.value().is_empty());
                    let hint = mfa_wait(s).map(|m| format!("from {} (Enter sends it)", m.serial));
                    lines.extend(field::note(err.as_deref(), hint.as_deref(), w, theme));
                }
                Field::Account => {
                    lines.push(field::line("Account id", &self.account, focused, w, theme));
                    lines.extend(field::note(self.account_value().err().as_deref(), None, w, theme));
                }
            }
        }
        lines
    }
}

/// A label and its value.
fn row(label: &str, value: String, style: ratatui::style::Style, ui: &Ui) -> Line<'static> {
    Line::from(vec![Span::styled(format!("  {label:<24}"), ui.theme.text()), Span::styled(value, style)])
}

/// A label and a long value, wrapped under the value's column.
fn rows(label: &str, value: &str, w: usize, ui: &Ui) -> Vec<Line<'static>> {
    let wrapped = crate::tui::widgets::wrap::wrap(value, w.saturating_sub(28), 0);
    let mut lines = vec![];
    for (i, part) in wrapped.into_iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        lines.push(row(label, part, ui.theme.text(), ui));
    }
    lines
}

/// Where the credentials came from, in the headless banner's words; before they loaded, the profile named.
fn credentials(s: &Session) -> String {
    match (&s.credentials, &s.profile) {
        (Some(source), _) => source.to_string(),
        (None, _) if s.identity.is_pending() => "from your configuration…".into(),
        (None, Some(p)) => format!("profile {p} (not loaded)"),
        (None, None) => "not loaded".into(),
    }
}

/// Who the caller is, the question still out, or why it could not be answered.
fn who(s: &Session, w: usize, ui: &Ui) -> Vec<Line<'static>> {
    let theme = ui.theme;
    let p = match &s.identity {
        Remote::Pending(_) | Remote::Idle => {
            let asking = format!("{} Asking STS who you are (GetCallerIdentity)…", ui.spinner());
            return vec![Line::from(Span::styled(asking, theme.focus()))];
        }
        Remote::Ready(id) => {
            return vec![
                row("Account id", id.account.to_string(), theme.ok(), ui),
                row("Caller", id.arn.clone(), theme.text(), ui),
            ];
        }
        Remote::Failed(p) => p,
    };
    let head = match mfa_wait(s) {
        Some(MfaWait { rejected: true, .. }) => "  That MFA code was not accepted (F2: details):",
        Some(MfaWait { rejected: false, .. }) => "  Your role needs a code from your MFA device (F2: details):",
        None => "  The account could not be read (F2: details):",
    };
    let mut lines = vec![Line::from(Span::styled(head, theme.error()))];
    for r in crate::tui::widgets::wrap::wrap(&p.line(), w.saturating_sub(4), 2) {
        lines.push(Line::raw(format!("  {r}")));
    }
    let hint = match mfa_wait(s) {
        Some(_) => "Type the code and Enter; or type the account id to preview and plan offline.",
        None => "Type the account id to preview and plan offline; applying needs working credentials.",
    };
    for r in crate::tui::widgets::wrap::wrap(hint, w.saturating_sub(4), 0) {
        lines.push(Line::from(Span::styled(format!("  {r}"), theme.warn())));
    }
    lines
}
