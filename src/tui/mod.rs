//! The interactive wizard: terminal life, the event loop, and the commands it runs in the background.

pub mod app;
pub mod exit;
pub mod keys;
pub mod msg;
pub mod overlay;
pub mod progress;
pub mod prompts;
pub mod remote;
pub mod screens;
pub mod session;
pub mod theme;
pub mod view;
pub mod widgets;

use crate::aws::{Aws, Connection};
use crate::engine::access_keys;
use crate::engine::{self, ApplyOptions};
use crate::plan;
use crate::secret::clipboard::{Clipboard, Surroundings};
use crate::secret::custody::copy_key;
use crate::secret::{keeper, store};
use app::{App, Cmd, Copied, Detected, ExitReport, Msg, Problem};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream};
use futures::StreamExt;
use msg::Retired;
use remote::FileProblem;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use theme::Theme;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

/// How long a clipboard manager gets to take a secret still on the clipboard when no keeper could be started.
const HAND_OVER: Duration = Duration::from_secs(2);

/// Run the wizard until the user quits; the terminal is restored on every path (ratatui's panic hook included).
/// Returns the exit code and what to print to the shell: what exists in the account, nothing secret.
pub async fn run(conn: Connection, clipboard_timeout: Duration) -> std::io::Result<ExitReport> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Ok(ExitReport {
            code: 2,
            lines: vec![
                "error: the wizard needs a terminal (standard input and output are not both one).".into(),
                "For scripts and pipes use the headless commands: `pinpoint-iam-wizard plan --setup …` and \
                 `pinpoint-iam-wizard apply --setup … --yes` (see --help)."
                    .into(),
            ],
            keys: vec![],
        });
    }
    let mut terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
    let clipboard = Arc::new(Mutex::new(Clipboard::new(Surroundings::from_env())));
    let mut app = App::with_clipboard_timeout(clipboard_timeout);
    let result = event_loop(&mut terminal, conn, clipboard.clone(), &mut app).await;
    // Blank the alternate screen before leaving it: some terminals (tmux after a resize) copy what it showed,
    // a revealed secret included, into the normal screen. Not `Terminal::clear`: it asks the terminal for the
    // cursor position, and the answer would arrive in the shell after raw mode is off.
    let _ = crossterm::execute!(std::io::stdout(), crossterm::terminal::Clear(crossterm::terminal::ClearType::All));
    let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let mut report = app.exit_report();
    if app.session.terminal_holds_secret
        && clipboard.lock().is_ok_and(|mut c| c.clear_terminal_copy(&mut std::io::stdout()))
    {
        report.lines.push("Your terminal's clipboard (OSC 52) was cleared of the secret access key.".into());
    }
    // The alternate screen is gone (and the secret with it): hand a secret still on the clipboard to a keeper
    // process that serves it until its countdown ends, as `pass -c` does.
    if let Some(n) = app.clear_in().filter(|n| *n > 0 && app.session.clipboard_holds_secret) {
        let held = clipboard.lock().ok().and_then(|mut c| c.held_secret());
        if let Some(secret) = held {
            match keeper::spawn(&secret, Duration::from_secs(n)) {
                Ok(()) => report
                    .lines
                    .push(format!("The clipboard keeps the secret access key for {n} s more, then it is cleared.")),
                Err(e) => {
                    report.lines.push(format!("The clipboard could not be kept after exit ({e}): it is emptied now."));
                    if let Ok(mut c) = clipboard.lock() {
                        c.hand_over(HAND_OVER);
                    }
                }
            }
        }
    }
    result.map(|()| report)
}

/// Something for the loop: a message for `update`, or bytes for the terminal (OSC 52), written between frames.
enum Inbox {
    Msg(Msg),
    Terminal(Vec<u8>),
}

/// Background work and the services it needs, owned by the loop, never by the state.
struct Runtime {
    conn: Connection,
    aws: Option<Aws>,
    tx: UnboundedSender<Inbox>,
    clipboard: Arc<Mutex<Clipboard>>,
    /// Stops the run being applied (`Cmd::Cancel`), and every key rotation or retirement still on its way.
    cancel: CancellationToken,
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    conn: Connection,
    clipboard: Arc<Mutex<Clipboard>>,
    app: &mut App,
) -> std::io::Result<()> {
    let theme = Theme::from_env();
    let (tx, mut rx) = unbounded_channel();
    let mut rt = Runtime { conn, aws: None, tx, clipboard, cancel: CancellationToken::new() };
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    app.update(Msg::Tick(Instant::now()));
    let first = app.init();
    // The first frame is drawn before any answer from AWS: detection runs in the background.
    terminal.draw(|f| view::draw(app, f, &theme))?;
    for cmd in first {
        rt.execute(cmd, app);
    }
    let mut events = EventStream::new();
    // SIGTERM and SIGHUP settle the run like Ctrl-C twice (no one may be there to answer a prompt).
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    // SIGQUIT (Ctrl-\\ when raw mode is off) would dump core and skip the settling: handled like SIGTERM.
    let mut sigquit = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::quit())?;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Once the terminal is gone (a closed SSH session, a killed emulator), nothing is drawn or read from it, but
    // the loop goes on until the run is settled.
    let mut terminal_gone = false;
    loop {
        let mut msg = tokio::select! {
            ev = events.next(), if !terminal_gone => match ev {
                Some(Ok(TermEvent::Key(k))) if k.is_press() => Msg::Key(k),
                Some(Ok(TermEvent::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(TermEvent::Paste(s))) => Msg::Paste(s),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    terminal_gone = true;
                    Msg::Signal(1)
                }
            },
            Some(item) = rx.recv() => match item {
                Inbox::Msg(m) => m,
                Inbox::Terminal(bytes) => {
                    let mut out = std::io::stdout();
                    if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
                        terminal_gone = true;
                    }
                    continue;
                }
            },
            _ = tick.tick() => Msg::Tick(Instant::now()),
            Some(()) = sigterm.recv() => Msg::Signal(15),
            Some(()) = sighup.recv() => Msg::Signal(1),
            Some(()) = sigquit.recv() => Msg::Signal(3),
        };
        if let Msg::Detected { detected, .. } = &mut msg {
            // The loaded configuration stays with the runtime; the state only learns what to show.
            if let Some(aws) = detected.aws.take() {
                rt.aws = Some(aws);
            }
            if detected.region.is_some() {
                rt.conn.region = detected.region.clone();
            }
        }
        let cmds = app.update(msg);
        for cmd in cmds {
            rt.execute(cmd, app);
        }
        if app.should_quit {
            return Ok(());
        }
        if !terminal_gone && terminal.draw(|f| view::draw(app, f, &theme)).is_err() {
            terminal_gone = true;
            for cmd in app.update(Msg::Signal(1)) {
                rt.execute(cmd, app);
            }
            if app.should_quit {
                return Ok(());
            }
        }
    }
}

impl Runtime {
    /// A new token for the run about to be applied: an earlier `Cmd::Cancel` stopped the earlier run only.
    /// Key writes take child tokens of the current one, so one `Cmd::Cancel` stops them too.
    fn fresh_cancel(&mut self) -> CancellationToken {
        self.cancel = CancellationToken::new();
        self.cancel.clone()
    }

    /// A token for a key rotation or retirement: a child of the current one, so `Cmd::Cancel` stops it too
    /// (a signal while it is on its way); after a stopped run, a fresh one (that stop was for that run).
    fn key_cancel(&mut self) -> CancellationToken {
        if self.cancel.is_cancelled() {
            self.fresh_cancel();
        }
        self.cancel.child_token()
    }

    fn send(tx: &UnboundedSender<Inbox>, msg: Msg) {
        let _ = tx.send(Inbox::Msg(msg));
    }

    fn execute(&mut self, cmd: Cmd, app: &App) {
        let tx = self.tx.clone();
        // Without a connection every command that needs one answers at once (`Cmd::offline`).
        let cmd = match self.aws {
            Some(_) => cmd,
            None => match cmd.offline() {
                Ok(answer) => return Self::send(&tx, answer),
                Err(cmd) => cmd,
            },
        };
        // A save or copy of a secret no longer held answers at once too (`Cmd::without_secret`).
        let cmd = match app.session.custody.held() {
            Some(_) => cmd,
            None => match cmd.without_secret() {
                Ok(answer) => return Self::send(&tx, answer),
                Err(cmd) => cmd,
            },
        };
        match cmd {
            Cmd::Detect { id, region, mfa_code } => {
                let mut conn = self.conn.clone();
                if region.is_some() {
                    conn.region = region;
                }
                // For this load only: once assumed, the session is cached and later loads need no code.
                if let Some(code) = mfa_code {
                    conn.mfa = crate::aws::MfaPrompt::Given(code);
                }
                tokio::spawn(async move {
                    let detected = match Aws::load(&conn).await {
                        Ok(aws) => {
                            let identity = aws.identity().await.map_err(Problem::from);
                            Detected {
                                region: Some(aws.region.clone()),
                                profile: aws.profile.clone(),
                                source: Some(aws.source().clone()),
                                // Shown on screens and in the summary's command: a password in it never is.
                                endpoint: conn
                                    .endpoint_url
                                    .clone()
                                    .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
                                    .map(|e| crate::aws::endpoint_for_display(&e)),
                                identity,
                                aws: Some(aws),
                            }
                        }
                        // Offline from here: the Region as configured is still the one to preview for.
                        Err(e) => Detected {
                            region: crate::aws::configured_region(&conn).await,
                            profile: conn.profile.clone(),
                            source: None,
                            endpoint: conn.endpoint_url.as_deref().map(crate::aws::endpoint_for_display),
                            identity: Err(Problem::from(e)),
                            aws: None,
                        },
                    };
                    Self::send(&tx, Msg::Detected { id, detected: Box::new(detected) });
                });
            }
            Cmd::ListBuckets { id } => {
                let aws = self.aws.clone();
                tokio::spawn(async move {
                    let result = match aws {
                        Some(aws) => aws.list_buckets().await.map_err(Problem::from),
                        None => Err(Problem::NotConnected),
                    };
                    Self::send(&tx, Msg::Buckets { id, result });
                });
            }
            Cmd::ListProjects { id } => {
                let aws = self.aws.clone();
                tokio::spawn(async move {
                    let result = match aws {
                        Some(aws) => aws.list_projects().await.map_err(Problem::from),
                        None => Err(Problem::NotConnected),
                    };
                    Self::send(&tx, Msg::Projects { id, result });
                });
            }
            Cmd::Plan { id, params } => {
                let aws = self.aws.clone().filter(|_| app.session.online());
                tokio::spawn(async move {
                    let r = match aws {
                        Some(aws) => plan::plan(&aws.iam, &params).await.map_err(Problem::from),
                        None => plan::offline(&params).map_err(Problem::from),
                    };
                    Self::send(&tx, Msg::Planned { id, result: Box::new(r) });
                });
            }
            Cmd::Validate { id, desired } => {
                let aws = self.aws.clone().filter(|_| app.session.online());
                tokio::spawn(async move {
                    let analysis = match aws {
                        Some(aws) => crate::aws::analyzer::validate(&aws, &desired).await,
                        None => crate::aws::analyzer::Analysis::NotConsulted("not connected to AWS".into()),
                    };
                    Self::send(&tx, Msg::Validated { id, analysis: Box::new(analysis) });
                });
            }
            Cmd::Verify { id, params } => {
                // Only when the account was read: offline there is nothing to verify against.
                let aws = self.aws.clone().filter(|_| app.session.online());
                tokio::spawn(async move {
                    let Some(aws) = aws else {
                        let result = Box::new(Err(Problem::NotConnected));
                        return Self::send(&tx, Msg::Verified { id, result, inline: vec![] });
                    };
                    let r = plan::plan(&aws.iam, &params).await.map_err(Problem::from);
                    let inline = match &r {
                        Ok(plan) => inline_policies(&aws.iam, plan).await,
                        Err(_) => Ok(vec![]),
                    };
                    let (result, inline) = match inline {
                        Ok(inline) => (r, inline),
                        Err(e) => (Err(Problem::from(e)), vec![]),
                    };
                    Self::send(&tx, Msg::Verified { id, result: Box::new(result), inline });
                });
            }
            Cmd::Export { params, format } => {
                tokio::task::spawn_blocking(move || {
                    Self::send(&tx, Msg::Exported(write_export(&params, format, std::path::Path::new("."))));
                });
            }
            Cmd::Apply { plan, adopt } => {
                let Some(aws) = self.aws.clone() else {
                    Self::send(&tx, Msg::Applied(Box::new(Err(Problem::NotConnected))));
                    return;
                };
                let cancel = self.fresh_cancel();
                tokio::spawn(async move {
                    let (etx, mut erx) = unbounded_channel();
                    // The wizard offers rollback as a choice, so the engine keeps this run's writes on failure.
                    let opts =
                        ApplyOptions { adopt, no_rollback: true, cancel: Some(cancel), ..ApplyOptions::default() };
                    let fwd = tx.clone();
                    let forward = async move {
                        while let Some(e) = erx.recv().await {
                            Self::send(&fwd, Msg::Engine(e));
                        }
                    };
                    let (report, ()) = tokio::join!(engine::execute(&aws.iam, plan, opts, etx), forward);
                    Self::send(&tx, Msg::Applied(Box::new(report.map_err(Problem::from))));
                });
            }
            Cmd::DeleteKey { user, id } => {
                let Some(aws) = self.aws.clone() else {
                    Self::send(&tx, Msg::KeyDeleted { id, verified: false });
                    return;
                };
                tokio::spawn(async move {
                    let verified = delete_key(&aws.iam, &user, &id).await;
                    Self::send(&tx, Msg::KeyDeleted { id, verified });
                });
            }
            Cmd::RollBack(log) => {
                let Some(aws) = self.aws.clone() else { return };
                let Some(plan) = app.session.run.plan.clone() else { return };
                let run_id = app.session.run.run_id.clone();
                let mut statuses: Vec<engine::Status> =
                    app.session.run.steps.iter().map(|st| st.state.status()).collect();
                tokio::spawn(async move {
                    let (etx, mut erx) = unbounded_channel();
                    let fwd = tx.clone();
                    let forward = async move {
                        while let Some(e) = erx.recv().await {
                            Self::send(&fwd, Msg::Engine(e));
                        }
                    };
                    // Undo, then read the account again: the summary says what really remains.
                    let undo = async move {
                        let errors = engine::roll_back(&aws.iam, log, &mut statuses, &etx).await;
                        let verified = engine::verify(&aws.iam, &plan, &run_id, &mut statuses, &etx).await;
                        (errors, verified)
                    };
                    let ((errors, verified), ()) = tokio::join!(undo, forward);
                    if let Err(e) = verified {
                        Self::send(&tx, Msg::VerifyFailed(Problem::from(e)));
                    }
                    Self::send(&tx, Msg::RolledBack(errors));
                });
            }
            Cmd::Cancel => self.cancel.cancel(),
            Cmd::Copy { what } => {
                let text = match &what {
                    Copied::Secret => app.session.custody.held().map(|k| k.secret_access_key.expose().to_string()),
                    Copied::KeyId => app.session.custody.held().map(|k| k.access_key_id.clone()),
                    Copied::Document { json, .. } => Some(json.clone()),
                    Copied::Text { text, .. } => Some(text.clone()),
                };
                let Some(text) = text.map(zeroize::Zeroizing::new) else { return };
                let cb = self.clipboard.clone();
                // The system clipboard may block (X11 round trips): never on the loop's thread.
                tokio::task::spawn_blocking(move || {
                    let Ok(mut cb) = cb.lock() else { return };
                    let mut out = Vec::new();
                    let result = cb.copy(&text, what == Copied::Secret, &mut out);
                    let why_not_system = cb.system_unavailable();
                    if !out.is_empty() {
                        let _ = tx.send(Inbox::Terminal(out));
                    }
                    Self::send(&tx, Msg::Copied { what, result, why_not_system });
                });
            }
            Cmd::ClearClipboard => {
                let cb = self.clipboard.clone();
                tokio::task::spawn_blocking(move || {
                    let Ok(mut cb) = cb.lock() else { return };
                    let mut out = Vec::new();
                    let cleared = cb.clear_secret(&mut out);
                    if !out.is_empty() {
                        let _ = tx.send(Inbox::Terminal(out));
                    }
                    Self::send(&tx, Msg::ClipboardCleared(cleared));
                });
            }
            Cmd::SaveProfile { name, overwrite } => {
                let Some(k) = app.session.custody.held().map(copy_key) else { return };
                tokio::task::spawn_blocking(move || {
                    let r = store::credentials_path()
                        .and_then(|path| {
                            store::save_profile(&path, &name, &k, overwrite)
                                .map(|()| format!("saved as profile [{name}] in {}", path.display()))
                        })
                        .map_err(Problem::from);
                    Self::send(&tx, Msg::Saved(r));
                });
            }
            Cmd::SaveCsv { path } => {
                let Some(k) = app.session.custody.held().map(copy_key) else { return };
                tokio::task::spawn_blocking(move || {
                    // `~/` is the home directory, as in a shell (the field is not a shell, but people type it).
                    let path = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
                        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
                        _ => std::path::PathBuf::from(&path),
                    };
                    let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
                    let r = store::save_csv(&path, &k)
                        .map(|()| format!("saved to {} (mode 0600)", shown.display()))
                        .map_err(Problem::from);
                    Self::send(&tx, Msg::Saved(r));
                });
            }
            Cmd::ListKeys { user } => {
                let Some(aws) = self.aws.clone() else { return };
                tokio::spawn(async move {
                    let r = access_keys::keys(&aws.iam, &user).await.map_err(Problem::from);
                    Self::send(&tx, Msg::Keys(r));
                });
            }
            Cmd::Rotate(msg::KeyRotation { user, delete_first }) => {
                let Some(aws) = self.aws.clone() else { return };
                let cancel = self.key_cancel();
                tokio::spawn(async move {
                    let r = access_keys::rotate(
                        &aws.iam,
                        &aws.region,
                        &user,
                        delete_first.as_deref(),
                        access_keys::Adopt::No,
                        cancel,
                    )
                    .await
                    .map_err(Problem::from);
                    Self::send(&tx, Msg::Rotated(Box::new(r)));
                });
            }
            Cmd::Retire(msg::KeyRetirement { user, ids, delete }) => {
                let Some(aws) = self.aws.clone() else { return };
                let cancel = self.key_cancel();
                tokio::spawn(async move {
                    let mut r = Ok(());
                    for id in &ids {
                        if r.is_ok() {
                            let (iam, region, no) = (&aws.iam, &aws.region, access_keys::Adopt::No);
                            r = access_keys::retire(iam, region, &user, id, delete, no, cancel.clone())
                                .await
                                .map(|_| ())
                                .map_err(Problem::from);
                        }
                    }
                    Self::send(&tx, Msg::Retired(r.map(|()| Retired { ids, deleted: delete })));
                });
            }
        }
    }
}

/// Each existing user's inline policies, by name (the read `destroy`'s pre-check makes): manual mode's verify
/// does not call a user done while it has one.
async fn inline_policies(
    iam: &crate::aws::iam::Iam,
    plan: &plan::Plan,
) -> Result<Vec<(String, Vec<String>)>, crate::aws::AwsError> {
    let mut out = vec![];
    for step in &plan.steps {
        if let (plan::StepKind::User(u), plan::Prior::User(_)) = (step.kind, &step.prior) {
            let name = plan.desired.users[u].name.to_string();
            let found = iam.user_entanglements(&name).await?.inline_policies;
            out.push((name, found));
        }
    }
    Ok(out)
}

/// Delete exactly this key (a secret nobody saw) and say whether a listing confirms it is gone.
async fn delete_key(iam: &crate::aws::iam::Iam, user: &str, id: &str) -> bool {
    access_keys::delete_undelivered(iam, user, id).await.is_ok()
}

/// Write an export of `params` as `format` to a new path under `base_dir` (never over an existing one).
fn write_export(
    params: &crate::setup::Params,
    format: crate::export::ExportFormat,
    base_dir: &std::path::Path,
) -> Result<String, Problem> {
    use crate::export::{self, ExportFormat};
    let files = export::render(params, format, &export::Origin::now()).map_err(FileProblem::from)?;
    let (stem, ext) = match format {
        ExportFormat::CloudFormation => ("pinpoint-iam", ".yaml"),
        ExportFormat::Cli => ("pinpoint-iam-cli", ""),
        ExportFormat::Terraform => ("pinpoint-iam-terraform", ""),
        ExportFormat::Documents => ("pinpoint-iam-export-documents", ""),
    };
    let out = (1..1000)
        .map(|n| if n == 1 { format!("{stem}{ext}") } else { format!("{stem}-{n}{ext}") })
        .map(|name| base_dir.join(name))
        .find(|p| !p.exists())
        .ok_or(FileProblem::NoFreeName("the export"))?;
    let written = export::write(&out, format, &files, false).map_err(FileProblem::from)?;
    Ok(format!("Exported as {}: {} ({} file(s))", format.as_str(), out.display(), written.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{Params, Selection};

    #[test]
    fn an_export_goes_to_a_new_path_each_time() {
        use crate::export::ExportFormat;
        let mut p = Params::new(Selection::all(), "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        p.bucket = Some("my-bucket".parse().unwrap());
        p.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let said = write_export(&p, ExportFormat::CloudFormation, dir.path()).unwrap();
        assert!(said.contains("pinpoint-iam.yaml"), "{said}");
        let yaml = std::fs::read_to_string(dir.path().join("pinpoint-iam.yaml")).unwrap();
        assert!(yaml.contains("AWS::IAM::ManagedPolicy"), "{yaml}");
        write_export(&p, ExportFormat::CloudFormation, dir.path()).unwrap();
        assert!(dir.path().join("pinpoint-iam-2.yaml").is_file(), "a second export never overwrites the first");
        write_export(&p, ExportFormat::Cli, dir.path()).unwrap();
        assert!(dir.path().join("pinpoint-iam-cli/setup.sh").is_file());
        // The preview's `w`: the export's documents layout, with its README.
        write_export(&p, ExportFormat::Documents, dir.path()).unwrap();
        assert!(dir.path().join("pinpoint-iam-export-documents/README.md").is_file());
    }
}
