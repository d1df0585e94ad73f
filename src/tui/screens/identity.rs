//! Identity: who the credentials are (STS GetCallerIdentity, asked before this screen is even shown), the
//! Region, and, when the account cannot be read, the account id typed for an offline preview.

use crate::setup::{AccountId, Region};
use crate::tui::keys::{Binding, Key};
use crate::tui::msg::{Do, Screen};
use crate::tui::overlay::Overlay;
use crate::tui::remote::Remote;
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
    credentials). Changing the Region reads the account again there.";

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State {
    pub region: Input,
    pub account: Input,
    /// 0: Region, 1: account id (only when the account could not be read).
    pub focus: usize,
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

    /// After an answer from STS: without an account, the account id field takes the focus.
    pub fn after_detection(&mut self, s: &Session) {
        let failed = matches!(s.identity, Remote::Failed(_));
        self.focus = if failed && self.region_value().is_ok() { 1 } else { 0 };
    }

    /// The typed Region, or the rule it breaks.
    pub fn region_value(&self) -> Result<Region, String> {
        Region::parse("Region", self.region.value().trim()).map_err(|e| e.rule)
    }

    /// The typed account id, or the rule it breaks.
    pub fn account_value(&self) -> Result<AccountId, String> {
        AccountId::parse("Account id", self.account.value().trim()).map_err(|e| e.rule)
    }

    fn focused(&mut self) -> &mut Input {
        if self.focus == 1 { &mut self.account } else { &mut self.region }
    }

    fn detect(&mut self, s: &mut Session) -> Vec<Do> {
        let id = s.request();
        s.identity = Remote::Pending(id);
        vec![Do::Run(crate::tui::msg::Cmd::Detect { id, region: self.region_value().ok() })]
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
            Act::NextField => self.focus = 1 - self.focus.min(1),
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
                match &s.identity {
                    Remote::Pending(_) | Remote::Idle => {}
                    Remote::Failed(_) => match self.account_value() {
                        Ok(a) => s.typed_account = Some(a),
                        Err(e) => {
                            self.focus = 1;
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
        let theme = ui.theme;
        let w = area.width as usize;
        let row = |label: &str, value: String, style| {
            Line::from(vec![Span::styled(format!("  {label:<24}"), theme.text()), Span::styled(value, style)])
        };
        let mut lines = vec![];
        match &s.identity {
            Remote::Pending(_) | Remote::Idle => lines.push(Line::from(Span::styled(
                format!("{} Asking STS who you are (GetCallerIdentity)…", ui.spinner()),
                theme.focus(),
            ))),
            Remote::Ready(id) => {
                lines.push(row("Account id", id.account.to_string(), theme.ok()));
                lines.push(row("Caller", id.arn.clone(), theme.text()));
            }
            Remote::Failed(p) => {
                lines.push(Line::from(Span::styled("  The account could not be read (F2: details):", theme.error())));
                for r in crate::tui::widgets::wrap::wrap(&p.line(), w.saturating_sub(4), 2) {
                    lines.push(Line::raw(format!("  {r}")));
                }
                let hint = "Type the account id to preview and plan offline; applying needs working credentials.";
                for r in crate::tui::widgets::wrap::wrap(hint, w.saturating_sub(4), 0) {
                    lines.push(Line::from(Span::styled(format!("  {r}"), theme.warn())));
                }
            }
        }
        lines.push(Line::raw(""));
        lines.push(row(
            "Profile",
            s.profile.clone().unwrap_or_else(|| "default chain (environment, default profile, SSO)".into()),
            theme.text(),
        ));
        if let Some(e) = &s.endpoint {
            lines.push(row("Endpoint", e.clone(), theme.text()));
        }
        lines.push(field::line("Region", &self.region, self.focus == 0, w, theme));
        // While the configuration loads, an empty Region is not yet an error.
        let loading = s.identity.is_pending() && self.region.value().is_empty();
        let region_err = self.region_value().err().filter(|_| !loading);
        lines.extend(field::note(region_err.as_deref(), loading.then_some("from your configuration…"), w, theme));
        if matches!(s.identity, Remote::Failed(_)) {
            lines.push(field::line("Account id", &self.account, self.focus == 1, w, theme));
            lines.extend(field::note(self.account_value().err().as_deref(), None, w, theme));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}
