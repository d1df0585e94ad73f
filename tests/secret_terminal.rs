//! Where the secret goes in a real terminal: the X clipboard (under Xvfb, read back with xclip) until the
//! timeout clears it; the OSC 52 sequence when there is no display; and never the scrollback or a file.
#![allow(clippy::await_holding_lock)]

mod support;

use base64::Engine;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::term::*;
use support::*;

/// Walk the wizard to the secret screen for the Postman setup, reveal the secret and read it off the screen.
fn to_secret(t: &mut Term, account: &str) -> String {
    t.postman_to_secret(account);
    assert!(revealed(&t.screen()).is_none(), "masked at first:\n{}", t.screen());
    t.send("r");
    // The label is there while masked too: wait for the value itself.
    t.wait_until("the secret revealed", |screen| revealed(screen).is_some());
    revealed(&t.screen()).unwrap()
}

/// The secret access key on `screen`, if it is shown revealed (not masked).
fn revealed(screen: &str) -> Option<String> {
    const LABEL: &str = "Secret access key";
    let line = screen.lines().find(|l| l.contains(LABEL))?;
    let value = line[line.find(LABEL)? + LABEL.len()..].trim().trim_end_matches('│').trim();
    (value.len() >= 20 && !value.contains('•') && !value.contains(' ')).then(|| value.to_string())
}

fn leave_and_quit(t: &mut Term) {
    t.send(ENTER);
    t.wait_for("Have you stored the secret?");
    t.send("y");
    t.wait_for("Resources");
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
    assert!(t.restored());
}

/// The X clipboard's text, or `None` when nothing owns it (xclip: "target STRING not available"). Any other
/// failure of xclip (no display, not installed) fails the test: it is not a cleared clipboard.
fn xclip_read(display: &str) -> Option<String> {
    let out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip is installed by scripts/test (Debian package xclip)");
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        return Some(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    assert!(err.contains("target STRING not available"), "xclip could not read the clipboard: {err}");
    None
}

struct Xvfb(std::process::Child, String);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_xvfb() -> Xvfb {
    let n = (90..200)
        .find(|n| {
            !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .unwrap();
    let display = format!(":{n}");
    let child = command("Xvfb")
        .args([display.as_str(), "-screen", "0", "640x480x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb is installed by scripts/test (Debian package xvfb)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
        assert!(Instant::now() < deadline, "Xvfb did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Xvfb(child, display)
}

#[test]
fn copy_reaches_the_x_clipboard_and_is_cleared_after_the_timeout() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let x = start_xvfb();
    let mut env = moto.env();
    env.push(("DISPLAY".into(), x.1.clone()));
    // Long enough that reading the clipboard once, right after the copy, is far inside the countdown.
    let mut t = Term::spawn_args(&env, &["--clipboard-timeout", "10"]);
    let secret = to_secret(&mut t, &moto.account);
    t.send("c");
    t.wait_for("copied to the system clipboard");
    assert!(t.screen().contains("cleared of the secret in"), "a countdown is shown");
    assert_eq!(xclip_read(&x.1).as_deref(), Some(secret.as_str()), "the clipboard holds the secret while the app runs");
    assert!(!t.screen().contains("The clipboard was cleared"), "read before the countdown ended");
    assert!(!t.raw().windows(5).any(|w| w == b"\x1b]52;"), "no OSC 52 when the system clipboard works");
    t.wait_for("The clipboard was cleared");
    let after = xclip_read(&x.1);
    assert_ne!(after.as_deref(), Some(secret.as_str()), "after the timeout the clipboard no longer holds the secret");
    leave_and_quit(&mut t);
}

#[test]
fn after_exit_a_keeper_serves_the_clipboard_then_clears_it() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let x = start_xvfb();
    let mut env = moto.env();
    env.push(("DISPLAY".into(), x.1.clone()));
    let mut t = Term::spawn_args(&env, &["--clipboard-timeout", "8"]);
    let secret = to_secret(&mut t, &moto.account);
    t.send("c");
    t.wait_for("copied to the system clipboard");
    t.send("q");
    t.wait_for("clipboard keeps it for");
    t.send("y");
    assert_eq!(t.wait_exit(), 0);
    assert!(t.screen().contains("The clipboard keeps the secret access key for"), "the shell is told:\n{}", t.screen());
    // The wizard has exited (and its terminal closed): whoever answers now is the keeper.
    let keeper = keeper_pids(&x.1);
    assert_eq!(keeper.len(), 1, "one keeper process");
    assert_eq!(xclip_read(&x.1).as_deref(), Some(secret.as_str()), "the keeper serves the clipboard after exit");
    // Issue 17 item 4: the keeper lives on after the wizard with only what the display needs.
    let environ = std::fs::read(format!("/proc/{}/environ", keeper[0])).unwrap();
    let aws: Vec<String> = environ
        .split(|b| *b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|v| v.starts_with("AWS_"))
        .collect();
    assert!(aws.is_empty(), "the keeper inherited {aws:?}");
    // Issue 17 item 3: the keeper, which holds the secret for the whole countdown, may not dump core either.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", keeper[0])).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(), ["0", "0"], "{core}");
    for file in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{}/{file}", keeper[0])).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is not in the keeper's {file}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while xclip_read(&x.1).as_deref() == Some(secret.as_str()) {
        assert!(Instant::now() < deadline, "the keeper cleared the clipboard when its countdown ended");
        std::thread::sleep(Duration::from_millis(200));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !keeper_pids(&x.1).is_empty() {
        assert!(Instant::now() < deadline, "the keeper exits after clearing");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Processes running the clipboard keeper on `display` (other tests' keepers serve other displays).
fn keeper_pids(display: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let ours = env.split(|b| *b == 0).any(|v| v == format!("DISPLAY={display}").as_bytes());
            // A zombie has no command line; count only live keepers.
            ours && cmd.windows(18).any(|w| w == b"__clipboard-keeper") && !stat.contains(") Z ")
        })
        .collect()
}

#[test]
fn without_a_display_the_secret_goes_out_as_osc52() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut t = Term::spawn(&moto.env());
    let secret = to_secret(&mut t, &moto.account);
    t.send("c");
    t.wait_for("OSC 52");
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
    let expected = format!("\x1b]52;c;{b64}\x07").into_bytes();
    assert!(
        t.raw().windows(expected.len()).any(|w| w == expected.as_slice()),
        "the pty received OSC 52 with the base64 secret"
    );
    assert!(t.screen().contains("no display"), "says why");
    assert!(t.screen().contains("or as the wizard exits"), "says the terminal's copy goes at exit:\n{}", t.screen());
    leave_and_quit(&mut t);
    // Issue 17 item 1: quit well before the countdown ends: the terminal must get the clearing sequence after
    // the copy (before, it got none, though the screen promised the clipboard would be cleared).
    let raw = t.raw();
    let set = raw.windows(expected.len()).rposition(|w| w == expected.as_slice()).unwrap();
    let clear = b"\x1b]52;c;\x07";
    assert!(
        raw[set..].windows(clear.len()).any(|w| w == clear),
        "no clearing OSC 52 after the copy when the wizard exited early"
    );
    assert!(t.screen().contains("was cleared of the secret"), "the exit says so:\n{}", t.screen());
}

#[test]
fn after_exit_the_secret_is_in_no_scrollback_and_no_file() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    // tmux of its own: its socket in a directory of this test's, no configuration file (-f /dev/null), the
    // empty HOME, and not inside the tmux a developer may run the tests from.
    let sockets = tempfile::tempdir().unwrap();
    let socket = sockets.path().join("tmux");
    let tmux = |args: &[&str]| {
        let out = command("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env("HOME", home.path())
            .env_remove("TMUX")
            .env_remove("TMUX_TMPDIR")
            .output()
            .expect("tmux is installed by scripts/test");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut env: Vec<String> =
        moto.env().into_iter().filter(|(k, _)| k != "HOME").map(|(k, v)| format!("{k}={v}")).collect();
    env.push(format!("HOME={}", home.path().display()));
    let cmd = format!("cd {} && env -i {} {BIN}; echo WIZARD-EXITED-$?; sleep 60", cwd.path().display(), env.join(" "));
    tmux(&["new-session", "-d", "-s", "w", "-x", "120", "-y", "40", &cmd]);
    let wait_until = |what: &str, ready: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", "w"]);
            if ready(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waiting for {what}:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let wait_for = |text: &str| wait_until(text, &|screen| screen.contains(text));
    // Each key is followed by a wait for what only its effect shows.
    let keys = |k: &[&str]| {
        tmux(&[&["send-keys", "-t", "w"][..], k].concat());
    };
    wait_for("What to set up");
    keys(&["1", "Enter"]);
    wait_for(&moto.account);
    keys(&["Enter"]);
    wait_for("Postman user");
    keys(&["Enter"]);
    wait_for("/ 6144 chars");
    keys(&["Enter"]);
    wait_for("Enter asks before applying");
    keys(&["Enter"]);
    wait_for("Apply the plan?");
    keys(&["y"]);
    wait_for("New access key for PostmanUser");
    keys(&["r"]);
    let screen = wait_until("the secret revealed", &|screen| revealed(screen).is_some());
    let secret = revealed(&screen).unwrap();
    keys(&["Enter"]);
    wait_for("Have you stored the secret?");
    keys(&["y"]);
    wait_for("Resources");
    keys(&["q"]);
    wait_for("WIZARD-EXITED-0");
    let history = tmux(&["capture-pane", "-p", "-S", "-", "-E", "-", "-t", "w"]);
    tmux(&["kill-server"]);
    assert!(history.contains("WIZARD-EXITED-0"), "{history}");
    assert!(!history.contains(&secret), "the whole scrollback is free of the secret:\n{history}");
    for dir in [home.path(), cwd.path()] {
        for entry in walk(dir) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds the secret",
                entry.display()
            );
        }
    }
    assert!(walk(cwd.path()).is_empty(), "the run wrote no file");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
