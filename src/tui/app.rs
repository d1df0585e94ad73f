//! The wizard's state, the messages that change it, and the commands it asks the runtime to carry out.
//! `update` never awaits, never reads the clock and never touches AWS: time arrives as [`Msg::Tick`], work is
//! asked for as a [`Cmd`] and comes back as a [`Msg`]. `App` routes keys to the open overlay or the current
//! screen (each screen module owns its state, its binding table and its view) and holds the [`Session`].

use super::keys::{self, Binding, Key};
use super::screens::{AnyPage, identity, manual, params, plan, preview, run, secret, summary, welcome};
use super::widgets::wrap::wrap;
use crate::aws::AwsError;
use crate::engine::{ApplyReport, RollbackLog};
use crate::secret::clipboard::Method;
use crate::setup::Desired;
use crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::exit::ExitReport;
pub use super::msg::{Cmd, Copied, Detected, Do, Msg, Screen};
pub use super::overlay::{
    Choice, ChooseKey, Confirm, Intent, KeyRetirement, KeyRotation, Overlay, OverlayAction, overlay_bindings,
};
pub use super::progress::{Failure, Phase, Run, StepRun, StepState};
pub use super::prompts::{self, export_prompt};
pub use super::remote::{Problem, Remote, RequestId, one_line};
pub use super::session::{self as facts, Session};

/// The most rows a status message takes under the screen.
pub const STATUS_ROWS: usize = 3;

/// The smallest terminal the wizard draws in; below it, no key but quit acts.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// A message on the status line, for the screen it was said on.
#[derive(Debug, Clone)]
pub struct StatusLine {
    pub text: String,
    pub screen: Screen,
}

/// Everything the wizard shows; `view` is a pure function of it.
pub struct App {
    pub screen: Screen,
    pub session: Session,
    /// Each screen's own state.
    pub pages: Pages,
    pub overlay: Option<Overlay>,
    pub status: Option<StatusLine>,
    /// The terminal's size, as last reported.
    pub size: (u16, u16),
    pub now: Instant,
    pub tick: u64,
    /// Leave once the run has settled (a confirmed quit waits for the stop or the rollback).
    pub quit_when_settled: bool,
    pub should_quit: bool,
    /// The signal that asked the wizard to end, if one did: the exit code is 128+N.
    pub signal: Option<i32>,
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

/// What each screen remembers while the wizard runs.
#[derive(Default)]
pub struct Pages {
    pub welcome: welcome::State,
    pub identity: identity::State,
    pub params: params::State,
    pub preview: preview::State,
    pub plan: plan::State,
    pub run: run::State,
    pub secret: secret::State,
    pub summary: summary::State,
    pub manual: manual::State,
}

impl Pages {
    /// The page of `screen`: the one dispatch over screens (keys, paste, typing, view go through it).
    pub fn get(&self, screen: Screen) -> &dyn AnyPage {
        match screen {
            Screen::Welcome => &self.welcome,
            Screen::Identity => &self.identity,
            Screen::Params => &self.params,
            Screen::Preview => &self.preview,
            Screen::Plan => &self.plan,
            Screen::Run => &self.run,
            Screen::Secret => &self.secret,
            Screen::Summary => &self.summary,
            Screen::Manual => &self.manual,
        }
    }

    /// The page of `screen`, to change.
    pub fn get_mut(&mut self, screen: Screen) -> &mut dyn AnyPage {
        match screen {
            Screen::Welcome => &mut self.welcome,
            Screen::Identity => &mut self.identity,
            Screen::Params => &mut self.params,
            Screen::Preview => &mut self.preview,
            Screen::Plan => &mut self.plan,
            Screen::Run => &mut self.run,
            Screen::Secret => &mut self.secret,
            Screen::Summary => &mut self.summary,
            Screen::Manual => &mut self.manual,
        }
    }
}

/// The keys every screen answers to, after its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    Help,
    Quit,
}

impl App {
    /// The wizard at launch, on the Welcome screen.
    pub fn new() -> Self {
        App {
            screen: Screen::Welcome,
            session: Session::new(),
            pages: Pages::default(),
            overlay: None,
            status: None,
            size: (120, 40),
            now: Instant::now(),
            tick: 0,
            quit_when_settled: false,
            should_quit: false,
            signal: None,
        }
    }

    /// An app whose copied secret is cleared from the clipboard after `timeout`.
    pub fn with_clipboard_timeout(timeout: Duration) -> Self {
        let mut app = App::new();
        app.session.clipboard_timeout = timeout;
        app
    }

    /// The commands to run at start: detection begins before the first frame is even drawn.
    pub fn init(&mut self) -> Vec<Cmd> {
        let id = self.session.request();
        self.session.identity = Remote::Pending(id);
        vec![Cmd::Detect { id, region: None, mfa_code: None }]
    }

    /// Whether the terminal is below the minimum size (only the message is drawn).
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Whether a text field has the focus, so `q` is a letter there.
    pub fn typing(&self) -> bool {
        self.pages.get(self.screen).typing(&self.session)
    }

    /// The keys that work now, as the footer and help list them: the overlay's when one is open.
    pub fn shown_keys(&self) -> Vec<keys::Shown> {
        match &self.overlay {
            Some(o) => keys::shown(&overlay_bindings(o)),
            None => {
                let mut v = self.screen_shown();
                v.extend(keys::shown(&self.global_bindings()));
                v
            }
        }
    }

    /// The current screen's own keys (for the footer and help).
    pub fn screen_shown(&self) -> Vec<keys::Shown> {
        self.screen_shown_at(self.body_size())
    }

    fn screen_shown_at(&self, size: (u16, u16)) -> Vec<keys::Shown> {
        self.pages.get(self.screen).shown(&self.session, size)
    }

    /// Every key that acts now and the footer label it is listed under (for the test that walks every screen).
    pub fn active_bindings(&self) -> Vec<(Vec<Key>, &'static str)> {
        if let Some(o) = &self.overlay {
            return keys::labelled(overlay_bindings(o));
        }
        let mut v = self.pages.get(self.screen).labelled(&self.session, self.body_size());
        v.extend(keys::labelled(self.global_bindings()));
        v
    }

    /// The keys every screen has after its own (`q` only where it is not a letter).
    pub fn global_bindings(&self) -> Vec<Binding<Global>> {
        // In a text field `?` and `q` are letters: help is F1 there.
        let mut v = if self.typing() {
            vec![Binding::new(&[Key::Code(KeyCode::F(1))], "F1", "help", Global::Help)]
        } else {
            vec![Binding::new(&[Key::char('?'), Key::Code(KeyCode::F(1))], "?", "help", Global::Help)]
        };
        if !self.typing() {
            v.push(Binding::new(&[Key::char('q')], "q", "quit", Global::Quit));
        }
        v.push(Binding::new(&[Key::Ctrl('c')], "Ctrl-C", "quit", Global::Quit));
        v
    }

    /// The status line's message wrapped to a frame `width` wide (after a one-column margin), at most
    /// [`STATUS_ROWS`] rows: a long path or error is read whole rather than cut at the edge.
    pub fn status_rows(&self, width: u16) -> Vec<String> {
        let Some(text) = self.status_text() else { return vec![] };
        let mut rows = wrap(text, width.saturating_sub(2) as usize, 2);
        if rows.len() > STATUS_ROWS {
            rows.truncate(STATUS_ROWS);
            if let Some(last) = rows.last_mut() {
                last.push('…');
            }
        }
        rows
    }

    /// The area a screen draws in (inside the frame's border), for scrolling: the footer is taken as two
    /// lines, so the last line is always reachable (the view clamps the rest).
    pub fn body_size(&self) -> (u16, u16) {
        let (w, h) = self.size;
        // Scroll keys are listed only when there is something to scroll: take a two-line footer to decide which
        // keys show, then measure the footer they really need.
        let estimate = (w.saturating_sub(2), h.saturating_sub(6));
        let mut shown = match &self.overlay {
            Some(o) => keys::shown(&overlay_bindings(o)),
            None => self.screen_shown_at(estimate),
        };
        if self.overlay.is_none() {
            shown.extend(keys::shown(&self.global_bindings()));
        }
        let footer = keys::footer_lines(&shown, w as usize).len() as u16;
        let status = self.status_rows(w).len().max(1) as u16;
        let loose = self.pages.get(self.screen).loose(&self.session, w, &super::theme::Theme { color: false });
        (w.saturating_sub(2), h.saturating_sub(3 + status + footer + loose.len() as u16))
    }

    /// Apply one message; returns the work to start. Pure: no clock, no I/O.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        self.route(msg)
    }

    fn route(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Tick(now) => self.on_tick(now),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Key(k) => self.on_key(k),
            Msg::Paste(text) => {
                if self.overlay.is_some() || self.too_small() {
                    return vec![];
                }
                let dos = self.pages.get_mut(self.screen).paste(&mut self.session, &text);
                self.apply_dos(dos)
            }
            Msg::Detected { id, detected } => self.on_detected(id, *detected),
            Msg::Buckets { id, result } => {
                self.pages.params.buckets.items.answer(id, result);
                vec![]
            }
            Msg::Projects { id, result } => {
                self.pages.params.projects.items.answer(id, result);
                vec![]
            }
            Msg::Planned { id, result } => {
                if self.session.plan.answer(id, (*result).map(Arc::new)) {
                    self.session.serious = self.session.plan.ready().and_then(|p| serious(&p.desired));
                }
                vec![]
            }
            Msg::Validated { id, analysis } => {
                self.session.analysis.answer(id, Ok(*analysis));
                vec![]
            }
            Msg::Verified { id, result, inline } => {
                if self.pages.manual.verified.answer(id, *result) {
                    self.pages.manual.inline = inline;
                }
                vec![]
            }
            Msg::Exported(r) => {
                match r {
                    Ok(done) => self.say(done),
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                vec![]
            }
            Msg::Engine(e) => {
                self.session.run.on_event(e, self.now);
                vec![]
            }
            Msg::Applied(r) => {
                let mut cmds = self.on_applied(*r);
                // A quit prompt opened while steps ran is about a run that has now ended: ask again about what
                // is true now (pressing its old "stop, roll back" would otherwise quit with nothing undone).
                if let Some(Overlay::Confirm(c)) = &self.overlay
                    && c.quitting
                {
                    self.overlay = self.quit_prompt().map(Overlay::Confirm);
                    if self.overlay.is_none() {
                        cmds.extend(self.request_quit(false));
                    }
                }
                cmds
            }
            Msg::VerifyFailed(e) => {
                self.session.run.notes.push(format!("could not check what remains: {}", e.line()));
                vec![]
            }
            Msg::NotRolledBack { log, problem } => {
                // Nothing was undone: the run waits for the choice again, and its key was not deleted.
                if let Some(id) = self.session.run.key.clone() {
                    self.session.custody.deleted(&id, false);
                }
                let run = &mut self.session.run;
                run.phase = Phase::Failed(log);
                run.notes.push(format!("Nothing was rolled back: {}", problem.line()));
                self.settled()
            }
            Msg::RolledBack(errors) => {
                self.rolled_back_key(&errors);
                let run = &mut self.session.run;
                run.phase = Phase::RolledBack { errors: errors.len() };
                if errors.is_empty() {
                    run.notes.push("Everything this run created or changed was undone.".into());
                } else {
                    let name = |i: usize| {
                        let l = run.plan.as_ref().map(|p| p.label(i));
                        l.map_or_else(|| format!("step {}", i + 1), |l| l.to_string())
                    };
                    let notes: Vec<String> =
                        errors.iter().map(|(i, e)| format!("not undone: {}: {e}", name(*i))).collect();
                    run.notes.extend(notes);
                }
                self.settled()
            }
            Msg::Copied { what, result, why_not_system } => {
                let why = why_not_system.as_deref();
                let text = match &what {
                    Copied::Secret => crate::secret::clipboard::describe("secret access key", &result, why),
                    Copied::KeyId => crate::secret::clipboard::describe("access key id", &result, why),
                    Copied::Document { title, .. } => {
                        crate::secret::clipboard::describe_plain(&format!("document {title}"), &result, why)
                    }
                    Copied::Text { what, .. } => crate::secret::clipboard::describe_plain(what, &result, why),
                };
                if what == Copied::Secret && result.is_ok() {
                    self.session.custody.copied();
                    self.session.clear_at = Some(self.now + self.session.clipboard_timeout);
                    self.session.clipboard_holds_secret = result == Ok(Method::System);
                    self.session.terminal_holds_secret = result == Ok(Method::Osc52);
                }
                match what {
                    Copied::Document { .. } | Copied::Text { .. } => self.say(text),
                    _ => self.pages.secret.copy_status = Some(text),
                }
                vec![]
            }
            Msg::ClipboardCleared(cleared) => {
                self.session.clipboard_holds_secret = false;
                self.session.terminal_holds_secret = false;
                self.pages.secret.copy_status = Some(if cleared {
                    "The clipboard was cleared: it no longer holds the secret.".into()
                } else {
                    "The clipboard no longer held the secret: left as it is.".into()
                });
                vec![]
            }
            Msg::Saved(r) => {
                if r.is_ok() {
                    self.session.custody.saved();
                }
                let dos = self.pages.secret.on_saved(r);
                self.apply_dos(dos)
            }
            // A quit is waiting: the rotation asked for before it does not start now.
            Msg::Keys(_) if self.quit_when_settled => vec![],
            Msg::Keys(r) => match r.inspect(|_| self.status = None) {
                Ok(keys) if keys.len() >= 2 => {
                    let user = self.session.rotatable_user().unwrap_or_default();
                    self.overlay = Some(Overlay::ChooseKey(ChooseKey { user, keys, selected: 0 }));
                    vec![]
                }
                Ok(_) => {
                    let user = self.session.rotatable_user().unwrap_or_default();
                    self.perform(Intent::Rotate(KeyRotation { user, delete_first: None }), false)
                }
                Err(e) => {
                    self.say(format!("✗ {}", e.line()));
                    vec![]
                }
            },
            Msg::Rotated(r) => {
                self.session.key_writes = self.session.key_writes.saturating_sub(1);
                match *r {
                    Ok(rotation) => {
                        if let Some(d) = &rotation.deleted_first {
                            self.say(format!("Deleted access key {d} first."));
                        } else {
                            self.status = None;
                        }
                        self.session.old_keys = Some((rotation.key.user_name.clone(), rotation.old));
                        self.session.custody.receive(rotation.key);
                        self.pages.secret = secret::State::default();
                        self.go(Screen::Secret);
                    }
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                self.settled()
            }
            Msg::Signal(n) => self.on_signal(n),
            Msg::KeyDeleted { id, verified } => self.on_key_deleted(&id, verified),
            Msg::Retired(r) => {
                self.session.key_writes = self.session.key_writes.saturating_sub(1);
                match r {
                    Ok(done) => {
                        self.say(done.to_string());
                        self.session.retired.push(done.to_string());
                        if let Some((_, keys)) = &mut self.session.old_keys {
                            if done.deleted {
                                keys.clear();
                            } else {
                                keys.iter_mut().for_each(|k| k.active = false);
                            }
                        }
                    }
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                self.settled()
            }
        }
    }

    /// SIGTERM, SIGHUP or a vanished terminal: nobody may be there to answer. The run is settled the way a
    /// second Ctrl-C settles it, every key whose secret reached no one is deleted (nobody could ever see it),
    /// and the wizard quits once those writes have answered.
    fn on_signal(&mut self, n: i32) -> Vec<Cmd> {
        let first = self.signal.is_none();
        self.signal.get_or_insert(n);
        let waiting = self.quit_when_settled;
        let mut cmds = self.request_quit(false);
        if self.should_quit {
            return cmds;
        }
        // Key work on its way (a rotation, a retirement, a deletion) is waited for on the first signal, so no
        // key is left that nobody saw; only a second signal leaves at once, as the headless commands do.
        let in_flight = self.session.key_writes > 0 || self.session.custody.deleting_any();
        let wait = in_flight && (first || !waiting);
        if wait && self.session.key_writes > 0 {
            self.say("Stopping the key change under way (what it made is undone); quitting once AWS has answered…");
            cmds.push(Cmd::Cancel);
        }
        let prompt_open = matches!(&self.overlay, Some(Overlay::Confirm(c)) if c.quitting);
        if prompt_open || !wait {
            cmds.extend(self.request_quit(true));
        }
        cmds
    }

    /// Ask for the deletion of key `id` (the caller has the operator's confirmation, or a signal).
    fn delete_key(&mut self, user: String, id: String) -> Vec<Cmd> {
        if !self.session.custody.is_live(&id) {
            return vec![];
        }
        self.session.wrote = true;
        self.session.custody.deleting(&id);
        self.say(format!("Deleting access key {id}…"));
        vec![Cmd::DeleteKey { user, id }]
    }

    /// The key on the secret screen was left: show the next one still held, or the summary.
    fn after_leaving_secret(&mut self) {
        self.pages.secret = secret::State::default();
        if self.session.custody.held().is_none() && self.screen == Screen::Secret {
            self.go(Screen::Summary);
        }
    }

    fn on_key_deleted(&mut self, id: &str, verified: bool) -> Vec<Cmd> {
        self.session.custody.deleted(id, verified);
        let said = if verified {
            format!("Access key {id} was deleted (checked: the account no longer lists it).")
        } else {
            format!("✗ Access key {id} could not be deleted or checked: it may still be active.")
        };
        if self.screen == Screen::Secret && self.session.custody.held().is_none() {
            self.go(Screen::Summary);
        }
        self.say(said);
        self.settled()
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Cmd> {
        self.now = now;
        self.tick = self.tick.wrapping_add(1);
        for s in &mut self.session.run.steps {
            if let (StepState::Running, Some(t)) = (&s.state, s.started) {
                s.elapsed = Some(now.saturating_duration_since(t));
            }
        }
        match self.session.clear_at {
            Some(at) if now >= at => {
                self.session.clear_at = None;
                vec![Cmd::ClearClipboard]
            }
            _ => vec![],
        }
    }

    /// Seconds until the copied secret is cleared from the clipboard.
    pub fn clear_in(&self) -> Option<u64> {
        self.session.clear_at.map(|at| at.saturating_duration_since(self.now).as_secs_f64().ceil() as u64)
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine { text: text.into(), screen: self.screen });
    }

    /// The status line's message, if it still belongs to this screen.
    pub fn status_text(&self) -> Option<&str> {
        self.status.as_ref().filter(|s| s.screen == self.screen).map(|s| s.text.as_str())
    }

    fn go(&mut self, screen: Screen) {
        if screen != self.screen {
            self.status = None;
        }
        self.screen = screen;
    }

    fn on_detected(&mut self, id: RequestId, d: Detected) -> Vec<Cmd> {
        if !matches!(self.session.identity, Remote::Pending(p) if p == id) {
            return vec![];
        }
        // "Still asking STS…" is no longer true.
        self.status = None;
        self.session.profile = d.profile;
        self.session.credentials = d.source;
        self.session.endpoint = d.endpoint;
        if let Some(r) = &d.region {
            self.pages.identity.set_region(r);
        }
        self.session.region = d.region;
        let ok = d.identity.is_ok();
        self.session.identity.answer(id, d.identity);
        self.pages.identity.after_detection(&self.session);
        if ok {
            let (b, p) = (self.session.request(), self.session.request());
            self.pages.params.buckets.items = Remote::Pending(b);
            self.pages.params.projects.items = Remote::Pending(p);
            vec![Cmd::ListBuckets { id: b }, Cmd::ListProjects { id: p }]
        } else {
            self.pages.params.buckets.items = Remote::Failed(Problem::NotConnected);
            self.pages.params.projects.items = Remote::Failed(Problem::NotConnected);
            vec![]
        }
    }

    fn on_applied(&mut self, r: Result<ApplyReport, Problem>) -> Vec<Cmd> {
        let stopping = match self.session.run.phase {
            Phase::Stopping { roll_back } => Some(roll_back),
            _ => None,
        };
        let mut report = match r {
            Ok(report) => report,
            Err(e) => {
                let run = &mut self.session.run;
                run.failure = Some(Failure::of(&e));
                // The engine refused before its first step (no connection, a conflict): nothing was sent.
                if run.steps.iter().all(|st| st.state == StepState::Pending) {
                    self.session.wrote = run.earlier_writes;
                }
                run.phase = Phase::Failed(RollbackLog::default());
                return self.settled();
            }
        };
        self.session.run.run_id = report.run_id.clone();
        // The report is the last word on each step, whatever events were missed.
        for (st, status) in self.session.run.steps.iter_mut().zip(&report.statuses) {
            if matches!(st.state, StepState::Pending | StepState::Running) {
                st.state = StepState::from(*status);
            }
        }
        // The key's secret goes into custody at once, whether or not the run completed: nobody saw it yet.
        if let Some(k) = report.access_key.take() {
            self.session.run.key = Some(k.access_key_id.clone());
            self.session.custody.receive(k);
        }
        if report.succeeded() {
            self.session.run.phase = Phase::Completed;
            if stopping.is_none() {
                let next = if self.session.custody.held().is_some() { Screen::Secret } else { Screen::Summary };
                self.pages.secret = secret::State::default();
                self.go(next);
            }
            return self.settled();
        }
        if report.interrupted && self.session.run.failure.is_none() {
            self.session.run.failure = Some(Failure::stopped());
        }
        if report.rollback_log.is_empty() {
            self.session.run.phase = Phase::RolledBack { errors: 0 };
            return self.settled();
        }
        match stopping {
            Some(true) => {
                self.session.run.phase = Phase::RollingBack;
                self.rolling_back_key();
                vec![Cmd::RollBack(report.rollback_log)]
            }
            Some(false) => {
                self.session.run.phase = Phase::Kept;
                self.settled()
            }
            None => {
                self.session.run.phase = Phase::Failed(report.rollback_log);
                vec![]
            }
        }
    }

    /// The rollback of this run deletes its key too: the secret is of no use to anyone any more.
    fn rolling_back_key(&mut self) {
        if let Some(id) = &self.session.run.key {
            self.session.custody.deleting(id);
        }
    }

    /// The rollback answered: this run's key is gone only if the account, read again, no longer lists it.
    fn rolled_back_key(&mut self, errors: &[(usize, AwsError)]) {
        let run = &self.session.run;
        let (Some(id), Some(plan)) = (&run.key, &run.plan) else { return };
        let step = plan.steps.iter().position(|s| matches!(s.kind, crate::plan::StepKind::AccessKey(_)));
        let verified = step.is_some_and(|i| {
            !errors.iter().any(|(e, _)| *e == i)
                && matches!(run.steps.get(i).map(|s| &s.state), Some(StepState::RolledBack))
        });
        self.session.custody.deleted(&id.clone(), verified);
    }

    /// The run has settled: leave if a quit was waiting for it (and for every key's deletion to answer).
    fn settled(&mut self) -> Vec<Cmd> {
        let run = &self.session.run;
        if !self.quit_when_settled || run.active() || run.awaiting_choice() {
            return vec![];
        }
        if self.signal.is_some() {
            // Nobody is there to see a secret that reached no one: its key goes before the wizard does.
            let unseen = self.session.custody.undelivered();
            let cmds: Vec<Cmd> = unseen.into_iter().flat_map(|(user, id)| self.delete_key(user, id)).collect();
            if !cmds.is_empty() {
                return cmds;
            }
        }
        if self.session.custody.deleting_any() || self.session.key_writes > 0 {
            return vec![];
        }
        if self.session.custody.held().is_some() && self.signal.is_none() {
            // A key whose secret is still held: show it once, and leave through the secret screen's own prompt.
            self.quit_when_settled = false;
            if self.screen != Screen::Secret {
                self.pages.secret = secret::State::default();
                self.go(Screen::Secret);
            }
            self.say("This session made an access key: store its secret now (shown only here), then quit.");
        } else {
            self.should_quit = true;
        }
        vec![]
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        if keys::Key::Ctrl('c').matches(&k) {
            return self.request_quit(true);
        }
        if self.too_small() {
            // Nothing behind the message can be seen, so nothing behind it may act: only quitting.
            if Key::char('q').matches(&k) {
                return self.request_quit(false);
            }
            return vec![];
        }
        if let Some(o) = self.overlay.take() {
            return self.on_overlay_key(o, k);
        }
        let size = self.body_size();
        let dos = self.pages.get_mut(self.screen).on_key(&mut self.session, &k, size);
        if let Some(dos) = dos {
            return self.apply_dos(dos);
        }
        match keys::find(&self.global_bindings(), &k).map(|b| b.action) {
            Some(Global::Help) => {
                self.overlay = Some(Overlay::Help);
                vec![]
            }
            Some(Global::Quit) => self.request_quit(false),
            None => vec![],
        }
    }

    fn apply_dos(&mut self, dos: Vec<Do>) -> Vec<Cmd> {
        let mut cmds = vec![];
        for d in dos {
            match d {
                Do::Go(s) => {
                    if s == Screen::Preview {
                        self.pages.preview = preview::State::default();
                        cmds.extend(self.session.analyse());
                    }
                    if s == Screen::Plan {
                        self.pages.plan = plan::State::default();
                    }
                    // Entering manual mode (not leaving it): a fresh panel list, Esc back to where it came from.
                    if s == Screen::Manual && self.screen != Screen::Manual {
                        self.pages.manual = manual::State::from(self.screen);
                    }
                    self.go(s)
                }
                Do::Run(c) => {
                    if let Cmd::Detect { .. } = c {
                        // Lists of the account or Region read before are no answer to the new detection.
                        self.pages.params.buckets.items = Remote::Idle;
                        self.pages.params.projects.items = Remote::Idle;
                    }
                    debug_assert!(!c.writes(), "writes go through the confirmation overlay");
                    if !c.writes() {
                        cmds.push(c);
                    }
                }
                Do::Ask(c) => self.overlay = Some(Overlay::Confirm(c)),
                Do::Show(o) => self.overlay = Some(o),
                Do::Say(t) => self.say(t),
            }
        }
        cmds
    }

    fn on_overlay_key(&mut self, o: Overlay, k: KeyEvent) -> Vec<Cmd> {
        let table = overlay_bindings(&o);
        let Some(action) = keys::find(&table, &k).map(|b| b.action) else {
            self.overlay = Some(o);
            return vec![];
        };
        match (action, o) {
            (OverlayAction::Close, _) => vec![],
            (OverlayAction::Choose(i), Overlay::Confirm(c)) => match c.choices.into_iter().nth(i) {
                Some(choice) => self.perform(choice.intent, choice.then_quit),
                None => vec![],
            },
            (OverlayAction::Move(down), Overlay::ChooseKey(mut ck)) => {
                ck.selected = if down {
                    (ck.selected + 1).min(ck.keys.len().saturating_sub(1))
                } else {
                    ck.selected.saturating_sub(1)
                };
                self.overlay = Some(Overlay::ChooseKey(ck));
                vec![]
            }
            (OverlayAction::PickKey, Overlay::ChooseKey(ck)) => {
                let Some(key) = ck.keys.get(ck.selected) else { return vec![] };
                self.overlay = Some(Overlay::Confirm(prompts::rotate_deleting(&ck.user, key)));
                vec![]
            }
            (_, o) => {
                self.overlay = Some(o);
                vec![]
            }
        }
    }

    /// Carry out a confirmed intent: the only place that asks the runtime to write to the account.
    pub fn perform(&mut self, intent: Intent, then_quit: bool) -> Vec<Cmd> {
        if then_quit {
            self.quit_when_settled = true;
        }
        let cmds = match intent {
            Intent::Apply => {
                let Some(plan) = self.session.plan.ready().cloned() else { return vec![] };
                let earlier_writes = std::mem::replace(&mut self.session.wrote, true);
                self.session.run = Run {
                    earlier_writes,
                    steps: plan
                        .steps
                        .iter()
                        .map(|_| StepRun { state: StepState::Pending, started: None, elapsed: None })
                        .collect(),
                    plan: Some(plan.clone()),
                    phase: Phase::Applying,
                    ..Run::default()
                };
                self.go(Screen::Run);
                vec![Cmd::Apply { plan, adopt: self.session.adopt }]
            }
            Intent::RollBack => match std::mem::take(&mut self.session.run.phase) {
                Phase::Failed(log) => {
                    self.session.run.phase = Phase::RollingBack;
                    self.rolling_back_key();
                    vec![Cmd::RollBack(log)]
                }
                other => {
                    self.session.run.phase = other;
                    vec![]
                }
            },
            Intent::Keep => {
                if self.session.run.awaiting_choice() {
                    self.session.run.phase = Phase::Kept;
                    self.session.run.notes.push("Kept what this run made; the summary lists it.".into());
                }
                vec![]
            }
            Intent::Stop { roll_back } => {
                if matches!(self.session.run.phase, Phase::Applying) {
                    self.session.run.phase = Phase::Stopping { roll_back };
                    self.say(if roll_back {
                        "Stopping: the running steps finish, then this run is rolled back…"
                    } else {
                        "Stopping: the running steps finish; what this run made is kept…"
                    });
                    vec![Cmd::Cancel]
                } else {
                    vec![]
                }
            }
            Intent::ListKeysToRotate { user } => {
                self.say(format!("Reading {user}'s access keys…"));
                vec![Cmd::ListKeys { user }]
            }
            Intent::Rotate(rotation) => {
                self.session.wrote = true;
                self.session.key_writes += 1;
                self.say(format!("Creating a new access key for {}…", rotation.user));
                vec![Cmd::Rotate(rotation)]
            }
            Intent::Retire(retirement) => {
                self.session.wrote = true;
                self.session.key_writes += 1;
                vec![Cmd::Retire(retirement)]
            }
            // Key work still on its way (a rotation, a retirement, a deletion) is waited for (`settled`): a new key is shown or,
            // after a signal, deleted, never left behind unseen.
            Intent::Quit if self.session.key_writes > 0 || self.session.custody.deleting_any() => {
                self.quit_when_settled = true;
                vec![]
            }
            Intent::Quit => {
                self.should_quit = true;
                vec![]
            }
            Intent::Export(format) => match self.session.params.clone() {
                Some(params) => {
                    self.say(format!("Writing the {} export…", format.as_str()));
                    vec![Cmd::Export { params: Box::new(params), format }]
                }
                None => vec![],
            },
            // A quit waits for the deletion's answer (`settled`), so the exit can say whether the key is gone.
            Intent::DeleteKey { user, id } => self.delete_key(user, id),
            Intent::KeepUnseenKey { id } => {
                self.session.custody.keep(&id);
                self.after_leaving_secret();
                vec![]
            }
        };
        let mut cmds = cmds;
        cmds.extend(self.settled());
        cmds
    }

    /// Quit, after settling the run: a run in progress or awaiting a choice is never left silently.
    fn request_quit(&mut self, force: bool) -> Vec<Cmd> {
        // A second Ctrl-C: take the prompt's first (safe) choice, or leave now if the run is settling already.
        if force {
            if let Some(Overlay::Confirm(c)) = &self.overlay
                && c.quitting
            {
                let first = c.choices.first().cloned();
                self.overlay = None;
                if let Some(ch) = first {
                    return self.perform(ch.intent, ch.then_quit);
                }
            }
            if self.quit_when_settled {
                self.should_quit = true;
                return vec![];
            }
        }
        let Some(prompt) = self.quit_prompt() else {
            self.quit_when_settled = true;
            return self.settled();
        };
        self.overlay = Some(Overlay::Confirm(prompt));
        vec![]
    }

    fn quit_prompt(&self) -> Option<Confirm> {
        prompts::quit(&self.session, self.screen == Screen::Secret, self.now)
    }
    /// What the shell is told on exit (nothing secret), and the exit code: see [`ExitReport::of`].
    pub fn exit_report(&self) -> ExitReport {
        ExitReport::of(&self.session, self.signal)
    }
}

/// The documents' errors and security warnings in one sentence, remembered for the last documents asked about:
/// every plan of a session (a retry, a return from the preview) is of the same documents, and the check reads
/// every statement of every document.
fn serious(desired: &Desired) -> Option<String> {
    static LAST: std::sync::Mutex<Option<(Desired, Option<String>)>> = std::sync::Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    match &*last {
        Some((d, said)) if d == desired => said.clone(),
        _ => {
            let said = crate::setup::findings::serious(desired);
            *last = Some((desired.clone(), said.clone()));
            said
        }
    }
}
