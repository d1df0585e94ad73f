//! The interactive wizard: terminal life, the event loop, and the commands it runs in the background.

pub mod app;
pub mod keys;
pub mod screens;
pub mod theme;
pub mod widgets;

use crate::access_keys;
use crate::apply::{self, ApplyOptions};
use crate::aws::{Aws, Connection};
use crate::plan;
use crate::secret::clipboard::{self, Clipboard, Surroundings};
use crate::secret::store;
use app::{App, Cmd, Detected, Msg, SaveFailure};
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use theme::Theme;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// How long a clipboard manager gets to take a secret still on the clipboard when the wizard exits.
const HAND_OVER: Duration = Duration::from_secs(2);

/// Run the wizard until the user quits; the terminal is restored on every path (ratatui's panic hook included).
pub async fn run(conn: Connection, clipboard_timeout: Duration) -> std::io::Result<()> {
    let mut terminal = ratatui::init();
    let mut clipboard = Clipboard::new(Surroundings::from_env());
    let result = event_loop(&mut terminal, conn, clipboard_timeout, &mut clipboard).await;
    ratatui::restore();
    // The alternate screen is gone (and the secret with it); only now may this block, briefly.
    clipboard.hand_over(HAND_OVER);
    result
}

/// Background work and the services it needs, owned by the loop, never by the state.
struct Runtime<'c> {
    conn: Connection,
    aws: Option<Aws>,
    tx: UnboundedSender<Msg>,
    clipboard: &'c mut Clipboard,
    cancel: Arc<AtomicBool>,
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    conn: Connection,
    clipboard_timeout: Duration,
    clipboard: &mut Clipboard,
) -> std::io::Result<()> {
    let theme = Theme::from_env();
    let (tx, mut rx) = unbounded_channel();
    let mut rt = Runtime { conn, aws: None, tx, clipboard, cancel: Arc::new(AtomicBool::new(false)) };
    let mut app = App::new();
    app.clipboard_timeout = clipboard_timeout;
    let first = app.init();
    // The first frame is drawn before any answer from AWS: detection runs in the background.
    terminal.draw(|f| screens::draw(&app, f, &theme))?;
    for cmd in first {
        rt.execute(cmd, &app);
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let mut msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.is_press() => Msg::Key(k),
                Some(Ok(TermEvent::Resize(..))) => Msg::Resize,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => msg,
            _ = tick.tick() => Msg::Tick,
        };
        if let Msg::Detected(d) = &mut msg {
            // The loaded configuration stays with the runtime; the state only learns what to show.
            rt.aws = d.aws.take();
            if d.region.is_some() {
                rt.conn.region = d.region.clone();
            }
        }
        let cmds = app.update(msg);
        for cmd in cmds {
            rt.execute(cmd, &app);
        }
        if app.should_quit {
            return Ok(());
        }
        terminal.draw(|f| screens::draw(&app, f, &theme))?;
    }
}

impl Runtime<'_> {
    fn execute(&mut self, cmd: Cmd, app: &App) {
        let tx = self.tx.clone();
        match cmd {
            Cmd::Detect { region } => {
                let mut conn = self.conn.clone();
                if region.is_some() {
                    conn.region = region;
                }
                tokio::spawn(async move {
                    let detected = match Aws::load(&conn).await {
                        Ok(aws) => Detected {
                            region: Some(aws.region.clone()),
                            profile: aws.profile.clone(),
                            endpoint: conn.endpoint_url.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok()),
                            identity: aws.identity().await.map_err(|e| e.to_string()),
                            aws: Some(aws),
                        },
                        Err(e) => Detected {
                            region: conn.region.clone(),
                            profile: conn.profile.clone(),
                            endpoint: conn.endpoint_url.clone(),
                            identity: Err(e.to_string()),
                            aws: None,
                        },
                    };
                    let _ = tx.send(Msg::Detected(Box::new(detected)));
                });
            }
            Cmd::ListBuckets => {
                let aws = self.aws.clone();
                tokio::spawn(async move {
                    let r = match aws {
                        Some(aws) => aws.list_buckets().await.map_err(|e| e.to_string()),
                        None => Err("not connected".into()),
                    };
                    let _ = tx.send(Msg::Buckets(r));
                });
            }
            Cmd::ListProjects => {
                let aws = self.aws.clone();
                tokio::spawn(async move {
                    let r = match aws {
                        Some(aws) => aws.list_projects().await.map_err(|e| format!("Pinpoint unavailable: {e}")),
                        None => Err("not connected".into()),
                    };
                    let _ = tx.send(Msg::Projects(r));
                });
            }
            Cmd::Plan(params) => {
                let aws = self.aws.clone().filter(|_| app.online());
                tokio::spawn(async move {
                    let r = match aws {
                        Some(aws) => plan::plan(&aws.iam, &params).await.map_err(|e| e.to_string()),
                        None => plan::offline(&params).map_err(|e| e.to_string()),
                    };
                    let _ = tx.send(Msg::Planned(Box::new(r)));
                });
            }
            Cmd::Apply { plan, adopt } => {
                let Some(aws) = self.aws.clone() else {
                    let _ = tx.send(Msg::Applied(Err("not connected to AWS".into())));
                    return;
                };
                self.cancel = Arc::new(AtomicBool::new(false));
                let cancel = self.cancel.clone();
                tokio::spawn(async move {
                    let (etx, mut erx) = unbounded_channel();
                    // The TUI offers rollback as a choice, so the engine keeps this run's writes on failure.
                    let opts =
                        ApplyOptions { adopt, no_rollback: true, cancel: Some(cancel), ..ApplyOptions::default() };
                    let forward = async {
                        while let Some(e) = erx.recv().await {
                            let _ = tx.send(Msg::Engine(e));
                        }
                    };
                    let (report, ()) = tokio::join!(apply::apply(&aws.iam, plan, opts, etx), forward);
                    let _ = tx.send(Msg::Applied(report.map_err(|e| e.to_string())));
                });
            }
            Cmd::RollBack(log) => {
                let Some(aws) = self.aws.clone() else { return };
                let n = match &app.plan {
                    app::Load::Ready(p) => p.steps.len(),
                    _ => 0,
                };
                tokio::spawn(async move {
                    let (etx, mut erx) = unbounded_channel();
                    let mut statuses = vec![apply::Status::Created; n];
                    let forward = async {
                        while let Some(e) = erx.recv().await {
                            let _ = tx.send(Msg::Engine(e));
                        }
                    };
                    let undo = async move { apply::roll_back(&aws.iam, log, &mut statuses, &etx).await };
                    let (errors, ()) = tokio::join!(undo, forward);
                    let _ = tx.send(Msg::RolledBack(errors.into_iter().map(|(_, e)| e.to_string()).collect()));
                });
            }
            Cmd::Cancel => self.cancel.store(true, Ordering::SeqCst),
            Cmd::CopySecret | Cmd::CopyKeyId => {
                let secret = matches!(cmd, Cmd::CopySecret);
                let Some(k) = &app.secret.key else { return };
                let (text, what) = if secret {
                    (k.secret_access_key.expose(), "secret access key")
                } else {
                    (k.access_key_id.as_str(), "access key id")
                };
                let result = self.clipboard.copy(text, secret, &mut std::io::stdout());
                let status = clipboard::describe(what, &result, self.clipboard.system_unavailable().as_deref());
                let _ = tx.send(Msg::Copied { status, secret: secret && result.is_ok() });
            }
            Cmd::ClearClipboard => {
                let cleared = self.clipboard.clear_secret(&mut std::io::stdout());
                let _ = tx.send(Msg::ClipboardCleared(cleared));
            }
            Cmd::SaveProfile { name, overwrite } => {
                let Some(k) = &app.secret.key else { return };
                let path = store::credentials_path();
                let r = match store::save_profile(&path, &name, k, overwrite) {
                    Ok(()) => Ok(format!("saved as profile [{name}] in {}", path.display())),
                    Err(store::SaveError::ProfileExists { profile, .. }) => Err(SaveFailure::ProfileExists(profile)),
                    Err(e) => Err(SaveFailure::Other(e.to_string())),
                };
                let _ = tx.send(Msg::Saved(r));
            }
            Cmd::SaveCsv { path } => {
                let Some(k) = &app.secret.key else { return };
                let r = store::save_csv(std::path::Path::new(&path), k)
                    .map(|()| format!("saved to {path} (mode 0600)"))
                    .map_err(|e| SaveFailure::Other(e.to_string()));
                let _ = tx.send(Msg::Saved(r));
            }
            Cmd::ListKeys { user } => {
                let Some(aws) = self.aws.clone() else { return };
                tokio::spawn(async move {
                    let r = access_keys::keys(&aws.iam, &user).await.map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Keys(r));
                });
            }
            Cmd::Rotate { user, delete_first } => {
                let Some(aws) = self.aws.clone() else { return };
                tokio::spawn(async move {
                    let r =
                        access_keys::rotate(&aws.iam, &user, delete_first.as_deref()).await.map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Rotated(Box::new(r)));
                });
            }
            Cmd::Retire { user, ids, delete } => {
                let Some(aws) = self.aws.clone() else { return };
                tokio::spawn(async move {
                    let mut r = Ok(());
                    for id in &ids {
                        r = r.and(access_keys::retire(&aws.iam, &user, id, delete).await.map_err(|e| e.to_string()));
                    }
                    let verb = if delete { "deleted" } else { "deactivated" };
                    let _ =
                        tx.send(Msg::Retired(r.map(|()| format!("{verb} the old access key(s) {}", ids.join(", ")))));
                });
            }
        }
    }
}
