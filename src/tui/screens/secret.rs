//! Secret: the new access key, its secret masked until revealed, copied or saved only on request, and a
//! confirmation before leaving, because AWS never shows it again.

use crate::secret::custody::Leave;
use crate::secret::store::{self, SaveError};
use crate::tui::msg::{Cmd, Copied, Do, Screen};

use crate::tui::keys::{Binding, Key};
use crate::tui::prompts::unseen_prompt;
use crate::tui::remote::Problem;
use crate::tui::screens::{Page, Ui};
use crate::tui::session::Session;
use crate::tui::widgets::{field, wrap::wrap};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

/// What the screen is for, as `?` help says it.
pub const PURPOSE: &str = "Store the new access key's secret now: AWS shows it only this once. Reveal it, copy it \
    (the clipboard is cleared after a countdown), or save it as a profile or a CSV file. Leaving asks whether \
    you stored it; before it was revealed, copied or saved, leaving means deleting the key or keeping it unusable.";

/// What the secret screen is asking for.
#[derive(Debug)]
pub enum SavePrompt {
    Profile { name: Input, confirm_overwrite: bool },
    Csv { path: Input },
}

/// What this screen remembers while the wizard runs.
#[derive(Debug, Default)]
pub struct State {
    pub revealed: bool,
    pub prompt: Option<SavePrompt>,
    pub saved: Vec<String>,
    pub copy_status: Option<String>,
    pub confirm_leave: bool,
}

/// What a key does on this screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Reveal,
    CopySecret,
    CopyKeyId,
    AskProfile,
    AskCsv,
    Done,
    Edit,
    Save,
    Overwrite,
    Cancel,
    Leave,
    Stay,
}

/// This screen's keys in its current state: they drive key handling, the footer and help.
fn table(st: &State, s: &Session) -> Vec<Binding<Act>> {
    let b = Binding::new;
    let enter = Key::Code(KeyCode::Enter);
    let esc = Key::Code(KeyCode::Esc);
    if s.custody.held().is_none() {
        return vec![b(&[enter], "Enter", "summary", Act::Leave)];
    }
    match &st.prompt {
        Some(SavePrompt::Profile { confirm_overwrite: true, .. }) => {
            return vec![
                b(&[Key::char('y')], "y", "overwrite", Act::Overwrite),
                b(&[Key::char('n'), esc], "n", "keep it", Act::Cancel),
            ];
        }
        Some(_) => {
            return vec![
                b(&[Key::Text], "type", "edit (←/→ Ctrl-U)", Act::Edit),
                b(&[enter], "Enter", "save", Act::Save),
                b(&[esc], "Esc", "cancel", Act::Cancel),
            ];
        }
        None => {}
    }
    if st.confirm_leave {
        return vec![
            b(&[Key::char('y')], "y", "yes, it is stored", Act::Leave),
            b(&[Key::char('n'), esc], "n", "stay", Act::Stay),
        ];
    }
    vec![
        b(&[Key::char('r')], "r", if st.revealed { "hide" } else { "reveal" }, Act::Reveal),
        b(&[Key::char('c')], "c", "copy secret", Act::CopySecret),
        b(&[Key::char('i')], "i", "copy key id", Act::CopyKeyId),
        b(&[Key::char('p')], "p", "save as profile…", Act::AskProfile),
        b(&[Key::char('s')], "s", "save CSV…", Act::AskCsv),
        b(&[enter, esc], "Enter", "done", Act::Done),
    ]
}

impl State {
    /// A save finished: done, or ask before overwriting a profile, or say why not.
    pub fn on_saved(&mut self, r: Result<String, Problem>) -> Vec<Do> {
        match r {
            Ok(done) => {
                self.prompt = None;
                self.saved.push(done);
                vec![]
            }
            Err(Problem::Save(SaveError::ProfileExists { profile, .. })) => {
                self.prompt = Some(SavePrompt::Profile { name: Input::new(profile), confirm_overwrite: true });
                vec![]
            }
            Err(e) => vec![Do::Say(format!("✗ {}", e.line()))],
        }
    }
}

impl Page for State {
    type Act = Act;

    /// A save prompt's field has the focus.
    fn typing(&self, _s: &Session) -> bool {
        self.prompt.is_some()
    }

    fn bindings(&self, s: &Session, _size: (u16, u16)) -> Vec<Binding<Act>> {
        table(self, s)
    }

    /// Insert pasted text into the focused field.
    fn paste(&mut self, _s: &mut Session, text: &str) -> Vec<Do> {
        if let Some(SavePrompt::Profile { name: i, confirm_overwrite: false } | SavePrompt::Csv { path: i }) =
            &mut self.prompt
        {
            field::paste(i, text);
        }
        vec![]
    }

    /// Do what the key bound to `a` asks.
    fn act(&mut self, s: &mut Session, a: Act, k: &KeyEvent, _size: (u16, u16)) -> Vec<Do> {
        match a {
            Act::Reveal => {
                self.revealed = !self.revealed;
                // Drawn unmasked from the next frame on: someone could have it now.
                if self.revealed {
                    s.custody.revealed();
                }
            }
            Act::CopySecret => return vec![Do::Run(Cmd::Copy { what: Copied::Secret })],
            Act::CopyKeyId => return vec![Do::Run(Cmd::Copy { what: Copied::KeyId })],
            Act::AskProfile => {
                self.prompt =
                    Some(SavePrompt::Profile { name: Input::new("pinpoint-postman".into()), confirm_overwrite: false })
            }
            Act::AskCsv => {
                // The console's name (`USER_accessKeys.csv`) with the key id in it: a second key of the same
                // user never collides with the first one's file.
                let name = s.custody.held().map(|k| format!("{}_{}_accessKeys.csv", k.user_name, k.access_key_id));
                self.prompt = Some(SavePrompt::Csv { path: Input::new(name.unwrap_or_default()) });
            }
            // "Stored it?" is asked only when it can be true: a secret nobody has seen cannot have been stored.
            Act::Done => match s.custody.leave() {
                Leave::Delivered { .. } => self.confirm_leave = true,
                Leave::Unseen { user, id } => return vec![Do::Ask(unseen_prompt(&user, &id, false))],
                Leave::Free => return vec![Do::Go(Screen::Summary)],
            },
            Act::Stay => self.confirm_leave = false,
            Act::Leave => {
                // Leaving drops the secret: it is zeroized and no longer in this process.
                s.custody.acknowledge();
                *self = State::default();
                if s.custody.held().is_none() {
                    return vec![Do::Go(Screen::Summary)];
                }
            }
            Act::Edit => {
                if let Some(SavePrompt::Profile { name: i, .. } | SavePrompt::Csv { path: i }) = &mut self.prompt {
                    field::edit(i, k);
                }
            }
            Act::Save => match &self.prompt {
                Some(SavePrompt::Profile { name, .. }) => {
                    return vec![Do::Run(Cmd::SaveProfile { name: name.value().trim().to_string(), overwrite: false })];
                }
                Some(SavePrompt::Csv { path }) => {
                    return vec![Do::Run(Cmd::SaveCsv { path: path.value().trim().to_string() })];
                }
                None => {}
            },
            Act::Overwrite => {
                if let Some(SavePrompt::Profile { name, .. }) = &self.prompt {
                    return vec![Do::Run(Cmd::SaveProfile { name: name.value().to_string(), overwrite: true })];
                }
            }
            Act::Cancel => self.prompt = None,
        }
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session.
    fn view(&self, s: &Session, frame: &mut Frame, area: Rect, ui: &Ui) {
        let clear_in = s.clear_in(ui.now);
        let theme = ui.theme;
        let w = area.width as usize;
        let Some(key) = s.custody.held() else {
            frame.render_widget(Paragraph::new("No new access key in this run. Enter shows the summary."), area);
            return;
        };
        // Borrowed from the custody's one copy while revealed: a frame makes no copy of the secret of its own.
        let shown: std::borrow::Cow<'_, str> = match self.revealed {
            true => key.secret_access_key.expose().into(),
            false => "•".repeat(40).into(),
        };
        let mut lines = vec![
            Line::from(Span::styled(format!("New access key for {}", key.user_name), theme.title())),
            Line::raw(""),
            Line::from(vec![
                Span::raw(format!("  {:<20}", "Access key id")),
                Span::styled(key.access_key_id.clone(), theme.ok()),
            ]),
            Line::from(vec![Span::raw(format!("  {:<20}", "Secret access key")), Span::styled(shown, theme.key())]),
            Line::raw(""),
        ];
        let warn = "⚠ AWS will never show this secret again. Store it now (a password manager, or Postman's AWS \
                    Signature auth).";
        lines.extend(wrap(warn, w, 2).into_iter().map(|r| Line::from(Span::styled(r, theme.warn()))));
        if let Some(st) = &self.copy_status {
            lines.push(Line::raw(""));
            lines.extend(wrap(st, w, 2).into_iter().map(|r| Line::from(Span::styled(r, theme.focus()))));
        }
        if let Some(n) = clear_in {
            // OSC 52 cannot be served after exit: the terminal's copy is cleared then at the latest.
            let when = if s.terminal_holds_secret {
                format!("The terminal's clipboard is cleared of the secret in {n} s, or as the wizard exits.")
            } else {
                format!("The clipboard is cleared of the secret in {n} s (after exit too).")
            };
            lines.extend(wrap(&when, w, 2).into_iter().map(|r| Line::from(Span::styled(r, theme.warn()))));
        }
        for done in &self.saved {
            let done = format!("✓ Key {done}.");
            lines.extend(wrap(&done, w, 2).into_iter().map(|r| Line::from(Span::styled(r, theme.ok()))));
        }
        match &self.prompt {
            Some(SavePrompt::Profile { name, confirm_overwrite: false }) => {
                lines.push(Line::raw(""));
                lines.push(field::line("Profile name", name, true, w, theme));
                let note = match store::credentials_path() {
                    Ok(path) => format!(
                        "Enter writes it to {} (mode 0600; other profiles are kept as they are)",
                        path.display()
                    ),
                    Err(e) => e.to_string(),
                };
                lines.extend(field::note(None, Some(&note), w, theme));
            }
            Some(SavePrompt::Profile { name, confirm_overwrite: true }) => {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled(
                    format!("Profile [{}] exists. Overwrite it? (y/n)", name.value()),
                    theme.error(),
                )));
            }
            Some(SavePrompt::Csv { path }) => {
                lines.push(Line::raw(""));
                lines.push(field::line("CSV file", path, true, w, theme));
                lines.extend(field::note(
                    None,
                    Some("Enter writes it in the console's format, mode 0600; an existing file is never overwritten"),
                    w,
                    theme,
                ));
            }
            None => {}
        }
        if self.confirm_leave {
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled(
                "Have you stored the secret? It cannot be shown again. (y/n)",
                theme.error(),
            )));
        }
        let skip = lines.len().saturating_sub(area.height as usize);
        frame.render_widget(Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()), area);
    }
}
