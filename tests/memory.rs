//! Where the one-time secret is left in memory (issue 17): the process's whole memory is dumped with gdb's
//! `gcore` (the wizard after its secret screen was left; a headless apply stopped at its last moment, the
//! `exit_group` system call, after its output was flushed) and searched for the secret's bytes.
//! These read another process's memory, which the tool forbids to its own user (it is not dumpable): they
//! need root or CAP_SYS_PTRACE, which CI has, and gdb, which `scripts/test` installs.
#![allow(clippy::await_holding_lock)]

mod support;

use std::path::Path;
use std::process::Command;
use support::term::*;
use support::*;

/// How many times `needle` occurs in `haystack`.
fn copies(haystack: &[u8], needle: &str) -> usize {
    memchr::memmem::find_iter(haystack, needle.as_bytes()).count()
}

/// The core file gdb's `gcore` writes for a running process.
fn dump_running(pid: i32, dir: &Path) -> Vec<u8> {
    let prefix = dir.join("core");
    let out = Command::new("gcore").arg("-o").arg(&prefix).arg(pid.to_string()).output().expect("gcore (from gdb)");
    let core = dir.join(format!("core.{pid}"));
    assert!(
        core.exists(),
        "gcore wrote no core (root or CAP_SYS_PTRACE needed): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(core).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_copy_of_the_secret_is_left_in_the_wizard_once_its_screen_is_left() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut t = Term::spawn(&moto.env());
    t.postman_to_secret(&moto.account);
    const LABEL: &str = "Secret access key";
    t.send("r");
    t.wait_until("the secret revealed", |s| s.lines().any(|l| l.contains(LABEL) && !l.contains('•')));
    let secret = t.value_after(LABEL);
    assert!(secret.len() >= 20 && !secret.contains(' '), "{secret:?}");
    let dir = tempfile::tempdir().unwrap();
    let revealed = dump_running(t.pid(), dir.path());
    assert!(copies(&revealed, &secret) >= 1, "the search finds the secret while it is on screen");
    std::fs::remove_file(dir.path().join(format!("core.{}", t.pid()))).unwrap();

    t.send(ENTER);
    t.wait_for("Have you stored the secret?");
    t.send("y");
    t.wait_for("Resources");
    let left = dump_running(t.pid(), dir.path());
    assert_eq!(copies(&left, &secret), 0, "copies of the secret in the wizard's memory after its screen was left");
    t.send("q");
}

/// Run `apply` under gdb, stopped at `exit_group` (its output flushed, nothing left to run): its standard
/// output and the secret's copies in its whole memory.
fn headless_at_exit(moto: &Moto, format: &str) -> (String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let (out, core) = (dir.path().join("stdout"), dir.path().join("core"));
    let mut gdb = Command::new("gdb");
    gdb.args(["-q", "-batch", "-ex", "set pagination off", "-ex", "catch syscall exit_group", "-ex"])
        .arg(format!("run apply --setup postman --yes --format {format} > {}", out.display()))
        .args(["-ex", &format!("gcore {}", core.display()), "-ex", "kill", BIN])
        .env_clear()
        .envs(moto.env());
    let ran = gdb.output().expect("gdb");
    assert!(core.exists(), "gdb wrote no core: {}", String::from_utf8_lossy(&ran.stdout));
    let printed = std::fs::read_to_string(&out).unwrap();
    let secret = match format {
        "json" => serde_json::from_str::<serde_json::Value>(&printed).unwrap()["access_key"]["secret_access_key"]
            .as_str()
            .unwrap()
            .to_string(),
        _ => printed.lines().find_map(|l| l.strip_prefix("Secret access key: ")).unwrap().to_string(),
    };
    let memory = std::fs::read(&core).unwrap();
    let found = copies(&memory, &secret);
    eprintln!("headless apply ({format}) at exit: {found} copies of the secret in {} MB", memory.len() >> 20);
    (printed, found)
}

#[test]
fn a_headless_apply_holds_no_copy_but_the_delivered_one_at_its_last_moment() {
    let moto = Moto::shared();
    for format in ["text", "json"] {
        let _g = moto.exclusive();
        let (printed, found) = headless_at_exit(moto, format);
        assert!(found <= 1, "{found} copies of the secret in a headless apply's memory as it exits: {printed}");
    }
}
