//! The interactive wizard: terminal life, the event loop, and the commands it runs in the background.

pub mod app;
pub mod keys;
pub mod screens;
pub mod theme;
pub mod widgets;

use crate::apply::{self, ApplyOptions};
use crate::aws::{Aws, Connection};
use crate::plan;
use app::{App, Cmd, Detected, Msg};
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use std::time::Duration;
use theme::Theme;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// Run the wizard until the user quits; the terminal is restored on every path (ratatui's panic hook included).
pub async fn run(conn: Connection) -> std::io::Result<()> {
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, conn).await;
    ratatui::restore();
    result
}

/// Background work and the services it needs, owned by the loop, never by the state.
struct Runtime {
    conn: Connection,
    aws: Option<Aws>,
    tx: UnboundedSender<Msg>,
    clipboard: Option<arboard::Clipboard>,
}

async fn event_loop(terminal: &mut ratatui::DefaultTerminal, conn: Connection) -> std::io::Result<()> {
    let theme = Theme::from_env();
    let (tx, mut rx) = unbounded_channel();
    let mut rt = Runtime { conn, aws: None, tx, clipboard: None };
    let mut app = App::new();
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
        let msg = tokio::select! {
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
        let mut msg = msg;
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
            rt.release_clipboard();
            return Ok(());
        }
        terminal.draw(|f| screens::draw(&app, f, &theme))?;
    }
}

impl Runtime {
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
                tokio::spawn(async move {
                    let (etx, mut erx) = unbounded_channel();
                    // The TUI offers rollback as a choice, so the engine keeps this run's writes on failure.
                    let opts = ApplyOptions { adopt, no_rollback: true, ..ApplyOptions::default() };
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
            Cmd::CopySecret => {
                let status = match &app.secret.key {
                    Some(k) => self.copy(k.secret_access_key.expose(), "secret access key"),
                    None => "nothing to copy".into(),
                };
                let _ = tx.send(Msg::Copied(status));
            }
            Cmd::CopyKeyId => {
                let status = match &app.secret.key {
                    Some(k) => self.copy(&k.access_key_id, "access key id"),
                    None => "nothing to copy".into(),
                };
                let _ = tx.send(Msg::Copied(status));
            }
        }
    }

    /// Copy to the system clipboard (the `Clipboard` lives as long as the app: on X11 the owner serves it),
    /// else send OSC 52 to the terminal.
    fn copy(&mut self, text: &str, what: &str) -> String {
        let has_display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
        let over_ssh = std::env::var_os("SSH_TTY").is_some() || std::env::var_os("SSH_CONNECTION").is_some();
        if has_display && !over_ssh {
            if self.clipboard.is_none() {
                self.clipboard = arboard::Clipboard::new().ok();
            }
            if let Some(cb) = self.clipboard.as_mut()
                && cb.set_text(text).is_ok()
            {
                return format!("✓ {what} copied to the system clipboard");
            }
        }
        let seq = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes());
        match crossterm::execute!(std::io::stdout(), seq) {
            Ok(()) => format!(
                "→ {what} sent to your terminal's clipboard (OSC 52); if your terminal ignores OSC 52, reveal it with r and copy it by hand"
            ),
            Err(e) => format!("could not copy ({e}): reveal it with r and copy it by hand"),
        }
    }

    fn release_clipboard(&mut self) {
        self.clipboard = None;
    }
}
