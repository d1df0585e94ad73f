//! Secret: the new access key, its secret masked until revealed, copied or saved only on request, and a
//! confirmation before leaving, because AWS never shows it again.

use crate::secret::custody::Leave;
use crate::secret::store::{self, SaveError};
use crate::tui::app::{Choice, Cmd, Confirm, Copied, Do, Intent, Problem, Session};
use crate::tui::keys::{Binding, Key};
use crate::tui::screens::{Screen, Ui};
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

/// Leaving (or quitting) while nobody has the key's secret: the same warning and the same two ways out, both
/// confirmed here: delete the key (the default of a second Ctrl-C), or keep it active knowing nobody can use it.
pub fn unseen_prompt(user: &str, id: &str, quitting: bool) -> Confirm {
    let then = if quitting { "quits" } else { "shows the summary" };
    Confirm {
        title: if quitting { "Quit without the secret?" } else { "Leave without the secret?" }.into(),
        lines: vec![
            format!(
                "Nobody has the secret of {user}'s new access key {id}: it was never revealed, copied or saved, and \
                 AWS never shows it again."
            ),
            format!("d deletes the key (then checks it is gone), then {then} (the default of a second Ctrl-C);"),
            format!(
                "k keeps it active without its secret (nobody can use it; rotate-key makes a new one), then {then}."
            ),
        ],
        choices: vec![
            Choice {
                key: 'd',
                does: if quitting { "delete the key, quit" } else { "delete the key" }.into(),
                intent: Intent::DeleteKey { user: user.into(), id: id.into() },
                then_quit: quitting,
            },
            Choice {
                key: 'k',
                does: if quitting { "keep the key, quit" } else { "keep it unusable" }.into(),
                intent: Intent::KeepUnseenKey { id: id.into() },
                then_quit: quitting,
            },
        ],
        cancel: "stay",
        quitting,
    }
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
pub enum Action {
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
pub fn bindings(st: &State, s: &Session) -> Vec<Binding<Action>> {
    let b = Binding::new;
    let enter = Key::Code(KeyCode::Enter);
    let esc = Key::Code(KeyCode::Esc);
    if s.custody.held().is_none() {
        return vec![b(&[enter], "Enter", "summary", Action::Leave)];
    }
    match &st.prompt {
        Some(SavePrompt::Profile { confirm_overwrite: true, .. }) => {
            return vec![
                b(&[Key::char('y')], "y", "overwrite", Action::Overwrite),
                b(&[Key::char('n'), esc], "n", "keep it", Action::Cancel),
            ];
        }
        Some(_) => {
            return vec![
                b(&[Key::Text], "type", "edit (←/→ Ctrl-U)", Action::Edit),
                b(&[enter], "Enter", "save", Action::Save),
                b(&[esc], "Esc", "cancel", Action::Cancel),
            ];
        }
        None => {}
    }
    if st.confirm_leave {
        return vec![
            b(&[Key::char('y')], "y", "yes, it is stored", Action::Leave),
            b(&[Key::char('n'), esc], "n", "stay", Action::Stay),
        ];
    }
    vec![
        b(&[Key::char('r')], "r", if st.revealed { "hide" } else { "reveal" }, Action::Reveal),
        b(&[Key::char('c')], "c", "copy secret", Action::CopySecret),
        b(&[Key::char('i')], "i", "copy key id", Action::CopyKeyId),
        b(&[Key::char('p')], "p", "save as profile…", Action::AskProfile),
        b(&[Key::char('s')], "s", "save CSV…", Action::AskCsv),
        b(&[enter, esc], "Enter", "done", Action::Done),
    ]
}

impl State {
    /// Insert pasted text into the focused field.
    pub fn paste(&mut self, text: &str) -> Vec<Do> {
        if let Some(SavePrompt::Profile { name: i, confirm_overwrite: false } | SavePrompt::Csv { path: i }) =
            &mut self.prompt
        {
            field::paste(i, text);
        }
        vec![]
    }

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

    /// Do what the key bound to `a` asks.
    pub fn act(&mut self, s: &mut Session, a: Action, k: &KeyEvent) -> Vec<Do> {
        match a {
            Action::Reveal => {
                self.revealed = !self.revealed;
                // Drawn unmasked from the next frame on: someone could have it now.
                if self.revealed {
                    s.custody.revealed();
                }
            }
            Action::CopySecret => return vec![Do::Run(Cmd::Copy { what: Copied::Secret })],
            Action::CopyKeyId => return vec![Do::Run(Cmd::Copy { what: Copied::KeyId })],
            Action::AskProfile => {
                self.prompt =
                    Some(SavePrompt::Profile { name: Input::new("pinpoint-postman".into()), confirm_overwrite: false })
            }
            Action::AskCsv => {
                let user = s.custody.held().map(|k| k.user_name.clone()).unwrap_or_default();
                self.prompt = Some(SavePrompt::Csv { path: Input::new(store::default_csv_name(&user)) });
            }
            // "Stored it?" is asked only when it can be true: a secret nobody has seen cannot have been stored.
            Action::Done => match s.custody.leave() {
                Leave::Delivered { .. } => self.confirm_leave = true,
                Leave::Unseen { user, id } => return vec![Do::Ask(unseen_prompt(&user, &id, false))],
                Leave::Free => return vec![Do::Go(Screen::Summary)],
            },
            Action::Stay => self.confirm_leave = false,
            Action::Leave => {
                // Leaving drops the secret: it is zeroized and no longer in this process.
                s.custody.acknowledge();
                *self = State::default();
                if s.custody.held().is_none() {
                    return vec![Do::Go(Screen::Summary)];
                }
            }
            Action::Edit => {
                if let Some(SavePrompt::Profile { name: i, .. } | SavePrompt::Csv { path: i }) = &mut self.prompt {
                    field::edit(i, k);
                }
            }
            Action::Save => match &self.prompt {
                Some(SavePrompt::Profile { name, .. }) => {
                    return vec![Do::Run(Cmd::SaveProfile { name: name.value().trim().to_string(), overwrite: false })];
                }
                Some(SavePrompt::Csv { path }) => {
                    return vec![Do::Run(Cmd::SaveCsv { path: path.value().trim().to_string() })];
                }
                None => {}
            },
            Action::Overwrite => {
                if let Some(SavePrompt::Profile { name, .. }) = &self.prompt {
                    return vec![Do::Run(Cmd::SaveProfile { name: name.value().to_string(), overwrite: true })];
                }
            }
            Action::Cancel => self.prompt = None,
        }
        vec![]
    }

    /// Draw the screen: a pure function of its state and the session.
    pub fn view(&self, s: &Session, clear_in: Option<u64>, frame: &mut Frame, area: Rect, ui: &Ui) {
        let theme = ui.theme;
        let w = area.width as usize;
        let Some(key) = s.custody.held() else {
            frame.render_widget(Paragraph::new("No new access key in this run. Enter shows the summary."), area);
            return;
        };
        let shown = if self.revealed { key.secret_access_key.expose().to_string() } else { "•".repeat(40) };
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
            lines.push(Line::from(Span::styled(when, theme.warn())));
        }
        for done in &self.saved {
            lines.push(Line::from(Span::styled(format!("✓ Key {done}."), theme.ok())));
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
