//! The clipboard keeper. On X11 (and Wayland) the clipboard's content lives in the process that set it, so a
//! secret copied in the wizard would vanish when it exits. As `pass -c` does, a small background process (this
//! same binary, started with [`ARG`]) takes over: it reads the secret and the seconds left from a pipe (never
//! argv or the environment, which other users' `ps` can read), detaches from the terminal, serves the clipboard
//! until the countdown ends, then clears it if it still holds the secret.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The hidden first argument that runs the keeper instead of the wizard.
pub const ARG: &str = "__clipboard-keeper";

/// The environment the keeper gets: what X11 and Wayland clients need to reach the display, nothing else.
const DISPLAY_ENV: [&str; 5] = ["DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "HOME"];

/// How long the wizard waits for the keeper to own the clipboard before giving up on it.
const READY_WITHIN: Duration = Duration::from_secs(3);

/// Start a keeper for `secret` for `remaining`, and wait until it serves the clipboard.
pub fn spawn(secret: &str, remaining: Duration) -> std::io::Result<()> {
    let exe = std::env::current_exe()?;
    let mut keeper = Command::new(exe);
    // Only what reaching the display needs: never the operator's AWS credentials, for the keeper's whole life.
    keeper.env_clear();
    for var in DISPLAY_ENV {
        if let Some(v) = std::env::var_os(var) {
            keeper.env(var, v);
        }
    }
    let mut child = keeper.arg(ARG).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("no pipe to the keeper"))?;
    let payload = Zeroizing::new(format!("{}\n{secret}", remaining.as_secs().max(1)));
    stdin.write_all(payload.as_bytes())?;
    drop(stdin);
    let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no pipe from the keeper"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(READY_WITHIN) {
        Ok(line) if line.trim() == "ready" => Ok(()),
        Ok(_) => Err(std::io::Error::other("the keeper could not own the clipboard")),
        Err(_) => {
            let _ = child.kill();
            Err(std::io::Error::other("the keeper did not answer"))
        }
    }
}

/// The keeper's life (see the module's doc); its exit code is 0 unless it could not serve the clipboard.
pub fn run() -> ExitCode {
    // Leave the wizard's session: closing the terminal must not end the countdown early.
    // SAFETY: setsid and signal have no memory-safety preconditions; SIG_IGN is a valid disposition.
    unsafe {
        libc::setsid();
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    let mut input = Zeroizing::new(String::new());
    if std::io::stdin().read_to_string(&mut input).is_err() {
        return ExitCode::from(1);
    }
    let Some((secs, secret)) = input.split_once('\n') else { return ExitCode::from(1) };
    let Ok(secs) = secs.trim().parse::<u64>() else { return ExitCode::from(1) };
    let secret = Zeroizing::new(secret.to_string());
    let Ok(mut cb) = arboard::Clipboard::new() else { return ExitCode::from(1) };
    let set = cb.set();
    #[cfg(target_os = "linux")]
    let set = {
        use arboard::SetExtLinux;
        set.exclude_from_history()
    };
    if set.text(secret.as_str()).is_err() {
        return ExitCode::from(1);
    }
    // Setting the owner is not confirmed by the X server; reading our own text back is a round trip after it. Only
    // then may the wizard exit: its exit releases the selection if the server still thinks the wizard owns it.
    let confirmed = Instant::now() + READY_WITHIN;
    while !cb.get_text().map(Zeroizing::new).is_ok_and(|t| t.as_str() == secret.as_str()) {
        if Instant::now() > confirmed {
            return ExitCode::from(1);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    // SAFETY: closing our own standard streams; nothing else in this process uses them afterwards.
    unsafe {
        libc::close(0);
        libc::close(1);
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250).min(deadline.saturating_duration_since(Instant::now())));
        // Someone copied something else: the secret is gone from the clipboard, nothing left to clear. A read
        // that fails (a busy X server) proves nothing: leaving then would take the secret with us too early.
        if let Ok(t) = cb.get_text().map(Zeroizing::new)
            && t.as_str() != secret.as_str()
        {
            return ExitCode::SUCCESS;
        }
    }
    if cb.get_text().map(Zeroizing::new).is_ok_and(|t| t.as_str() == secret.as_str()) {
        let _ = cb.clear();
    }
    ExitCode::SUCCESS
}
