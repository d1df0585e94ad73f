//! Drives the real binary in a pseudo-terminal (portable-pty), its screen parsed by vt100.
#![allow(dead_code)]

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::BIN;

pub const ENTER: &str = "\r";
pub const TAB: &str = "\t";
pub const DOWN: &str = "\x1b[B";
pub const RIGHT: &str = "\x1b[C";
pub const CTRL_C: &str = "\x03";
pub const ESC: &str = "\x1b";

/// The end of the last complete frame in `bytes`: ratatui ends every frame by hiding the cursor (the wizard
/// draws its text fields' cursor itself), and nothing else in a frame does.
fn frames_end(bytes: &[u8]) -> Option<usize> {
    const HIDE_CURSOR: &[u8] = b"\x1b[?25l";
    bytes.windows(HIDE_CURSOR.len()).rposition(|w| w == HIDE_CURSOR).map(|i| i + HIDE_CURSOR.len())
}

/// What a full-screen app sends first: from then on the screen changes a frame at a time.
const ENTER_ALTERNATE: &[u8] = b"\x1b[?1049h";

fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

pub struct Term {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    /// Kept open for the life of the test (dropping it hangs up the terminal), and to resize it.
    master: Box<dyn portable_pty::MasterPty + Send>,
    /// Closed by the reader when the terminal reaches end of file (nothing holds its other side any more):
    /// from then on everything the app wrote has been parsed.
    eof: std::sync::mpsc::Receiver<()>,
    started: Instant,
}

impl Term {
    pub fn spawn(env: &[(String, String)]) -> Term {
        Self::spawn_args(env, &[])
    }

    pub fn spawn_args(env: &[(String, String)], args: &[&str]) -> Term {
        Self::spawn_at(BIN, env, args, None)
    }

    /// Launch in the working directory `dir` (where the wizard writes its files).
    pub fn spawn_in(env: &[(String, String)], dir: &std::path::Path) -> Term {
        Self::spawn_at(BIN, env, &[], Some(dir))
    }

    /// Launch another build of the wizard (the benchmarks measure the distribution build too).
    pub fn spawn_program(program: &str, env: &[(String, String)]) -> Term {
        Self::spawn_at(program, env, &[], None)
    }

    fn spawn_at(program: &str, env: &[(String, String)], args: &[&str], dir: Option<&std::path::Path>) -> Term {
        let pty =
            native_pty_system().openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        if let Some(d) = dir {
            cmd.cwd(d);
        }
        let started = Instant::now();
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 120, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let (p, r) = (parser.clone(), raw.clone());
        let (eof_tx, eof) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // A frame arrives in several writes: the screen is updated a whole frame at a time, so a test never
            // reads half of one (the size line of a new document above the old document's body).
            let mut pending = Vec::new();
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                r.lock().unwrap().extend_from_slice(&buf[..n]);
                pending.extend_from_slice(&buf[..n]);
                let mut parser = p.lock().unwrap();
                // Outside the wizard's alternate screen (a headless command's prompt) there are no frames: the
                // text is shown as it comes.
                let in_frames = parser.screen().alternate_screen() || contains(&pending, ENTER_ALTERNATE);
                let end = if in_frames { frames_end(&pending) } else { Some(pending.len()) };
                if let Some(end) = end {
                    parser.process(&pending[..end]);
                    pending.drain(..end);
                }
            }
            // Whatever followed the last frame (leaving the alternate screen, the summary on exit).
            p.lock().unwrap().process(&pending);
            // Dropping the sender is the signal: the output is complete.
            drop(eof_tx);
        });
        let writer = pty.master.take_writer().unwrap();
        Term { parser, raw, writer, child, master: pty.master, eof, started }
    }

    /// Walk the postman setup with its defaults from the welcome screen to the plan of `account`.
    pub fn postman_to_plan(&mut self, account: &str) {
        self.postman_to_plan_showing(account, "Enter asks before applying");
    }

    /// The same walk, ending when the plan shows `shown` (e.g. a plan with nothing to write).
    pub fn postman_to_plan_showing(&mut self, account: &str, shown: &str) {
        self.wait_for("What to set up");
        self.send("1");
        self.send(ENTER);
        self.wait_for(account);
        self.send(ENTER);
        self.wait_for("Postman user");
        self.send(ENTER);
        self.wait_for("/ 6144 chars");
        self.send(ENTER);
        self.wait_for(shown);
    }

    /// On the secret screen: reveal the secret, leave, answer that it is stored, and wait for the summary.
    pub fn reveal_and_leave(&mut self) {
        self.send("r");
        self.wait_for("r hide");
        self.send(ENTER);
        self.wait_for("Have you stored the secret?");
        self.send("y");
        self.wait_for("Resources");
    }

    /// From the welcome screen through applying the postman plan to the secret screen of the new key.
    pub fn postman_to_secret(&mut self, account: &str) {
        self.postman_apply(account, "New access key for PostmanUser");
    }

    /// From the welcome screen, apply the postman plan (confirmed) and wait until the screen shows `shown`.
    pub fn postman_apply(&mut self, account: &str, shown: &str) {
        self.postman_to_plan(account);
        self.send(ENTER);
        self.wait_for("Apply the plan?");
        self.send("y");
        self.wait_for(shown);
    }

    /// On the parameters screen: pick the bucket `pinpoint-imports` and the project "Newsletter" (its id
    /// `project`) from their lists by typing and moving, as a person does, then go on.
    pub fn pick_bucket_and_project(&mut self, project: &str) {
        self.wait_for("pinpoint-imports");
        self.send("pinpoint-im");
        self.send(DOWN);
        self.send(TAB);
        self.wait_for("Newsletter");
        self.send(DOWN);
        self.wait_for(project);
        self.send(ENTER);
    }

    /// From the plan screen: apply, confirm, store the new key's secret, and arrive at the summary.
    pub fn apply_to_summary(&mut self) {
        self.wait_for("Enter asks before applying");
        self.send(ENTER);
        self.wait_for("Apply the plan?");
        self.send("y");
        self.wait_for("New access key for PostmanUser");
        // Revealed first: leaving a secret nobody has seen asks to delete or keep the key instead.
        self.send("r");
        self.wait_for("r hide");
        self.send(ENTER);
        self.wait_for("Have you stored the secret?");
        self.send("y");
        self.wait_for("Resources");
    }

    /// The process id, to send it a signal.
    pub fn pid(&self) -> i32 {
        self.child.process_id().and_then(|p| i32::try_from(p).ok()).unwrap()
    }

    /// Resize the terminal, as a person dragging the window's corner does (the app gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.lock().unwrap().screen_mut().set_size(rows, cols);
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Wait until the screen shows `text`; returns the time since launch.
    pub fn wait_for(&self, text: &str) -> Duration {
        self.wait_until(&format!("{text:?} on screen"), |screen| screen.contains(text))
    }

    /// Wait until the screen no longer shows `text` (a prompt closed, a spinner stopped).
    pub fn wait_gone(&self, text: &str) -> Duration {
        self.wait_until(&format!("{text:?} gone from the screen"), |screen| !screen.contains(text))
    }

    /// Wait until `ready` holds for the screen (`what` names it for the failure); returns the time since launch.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> Duration {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return self.started.elapsed();
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; the screen shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the screen shows `text` selected (drawn in reverse video, as the wizard marks the selected tab
    /// or row): what changes when a selection moves, while the text itself stays on screen.
    pub fn selected(&self, text: &str) -> bool {
        let parser = self.parser.lock().unwrap();
        let screen = parser.screen();
        let (rows, cols) = screen.size();
        let want: Vec<String> = text.chars().map(String::from).collect();
        (0..rows).any(|row| {
            // The row's cells, one per character (a wide character's second cell left out).
            let cells: Vec<&vt100::Cell> =
                (0..cols).filter_map(|col| screen.cell(row, col)).filter(|c| !c.is_wide_continuation()).collect();
            let shown = |c: &vt100::Cell| if c.has_contents() { c.contents().to_string() } else { " ".to_string() };
            cells.windows(want.len()).any(|w| w.iter().zip(&want).all(|(c, ch)| shown(c) == *ch && c.inverse()))
        })
    }

    /// Wait until the screen shows `text` selected (see [`Term::selected`]).
    pub fn wait_selected(&self, text: &str) -> Duration {
        self.wait_until(&format!("{text:?} selected"), |_| self.selected(text))
    }

    /// Wait until every key sent so far has been handled: keys are read in order, so once `?` (sent now) has
    /// drawn help, the ones before it were handled; Esc closes help again. Only where `?` is not typed into a
    /// field. A check that something did *not* happen after a key is meaningful only after this.
    pub fn handled(&mut self) {
        const HELP: &str = "┌ Help ";
        assert!(!self.screen().contains(HELP), "help is already open:\n{}", self.screen());
        self.send("?");
        self.wait_for(HELP);
        self.send(ESC);
        self.wait_gone(HELP);
    }

    /// Whether the app has exited (without waiting).
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        // Give the app a moment so an escape sequence is never merged with the next key.
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Wait for the app to exit and for the terminal to reach end of file, so that everything the app wrote
    /// before exiting (the restored screen, the summary) has been parsed; its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the app did not exit; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(20));
        };
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_secs(1));
        let eof = self.eof.recv_timeout(left);
        assert!(
            matches!(eof, Err(std::sync::mpsc::RecvTimeoutError::Disconnected)),
            "the app exited but its terminal stayed open; held by {:?}; screen:\n{}",
            self.holders(),
            self.screen()
        );
        status.exit_code()
    }

    /// The processes that hold this terminal's other side open (pid and command line), from `/proc`.
    fn holders(&self) -> Vec<String> {
        let Some(tty) = self.master.tty_name() else { return vec!["(no tty name)".into()] };
        let mut found = Vec::new();
        for proc_dir in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let fds = std::fs::read_dir(proc_dir.path().join("fd")).into_iter().flatten().flatten();
            if fds.filter_map(|fd| std::fs::read_link(fd.path()).ok()).any(|target| target == tty) {
                let cmdline = std::fs::read(proc_dir.path().join("cmdline")).unwrap_or_default();
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                found.push(format!("{} {cmdline}", proc_dir.file_name().to_string_lossy()));
            }
        }
        found
    }

    pub fn restored(&self) -> bool {
        let raw = self.raw.lock().unwrap();
        let left_alternate = raw.windows(8).any(|w| w == b"\x1b[?1049l");
        left_alternate && !self.parser.lock().unwrap().screen().alternate_screen()
    }

    /// Everything the app wrote to the terminal so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    /// The text after `label` on the screen's line that holds it.
    pub fn value_after(&self, label: &str) -> String {
        let screen = self.screen();
        let line =
            screen.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no {label:?} on screen:\n{screen}"));
        line[line.find(label).unwrap() + label.len()..].trim().trim_end_matches('│').trim().to_string()
    }
}
