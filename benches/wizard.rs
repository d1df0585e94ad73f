//! The wizard as an operator meets it, in a real pseudo-terminal: how soon after launch the first frame is on
//! screen, and the peak memory (VmHWM) of a whole run that sets up both guides against moto.
//! Numbers to report, not pass/fail (BENCHMARKS.md holds the targets): `cargo bench --bench wizard`, or with
//! `WIZARD_BIN=target/dist/pinpoint-iam-wizard` to measure the distribution build.
#[path = "../tests/support/mod.rs"]
mod support;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::Read;
use std::time::{Duration, Instant};
use support::term::{ENTER, RIGHT, Term};
use support::{Moto, base_env, seed_buckets_and_project};

const LAUNCHES: usize = 30;

fn program() -> String {
    std::env::var("WIZARD_BIN").unwrap_or_else(|_| support::BIN.to_string())
}

/// Launch the wizard in a `cols`×`rows` pty and time the moment its first frame is complete on screen; the
/// reader checks the parsed screen after every chunk, so no polling interval blurs the number.
fn first_frame(cols: u16, rows: u16) -> Duration {
    let pty = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(program());
    cmd.env_clear();
    for (k, v) in base_env() {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    let mut reader = pty.master.try_clone_reader().unwrap();
    let started = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    let mut parser = vt100::Parser::new(rows, cols, 0);
    let mut buf = [0u8; 16384];
    let shown = loop {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "the wizard closed the terminal before its first frame");
        parser.process(&buf[..n]);
        let screen = parser.screen().contents();
        // The footer is drawn last: when it is there, the whole frame is.
        if screen.contains("What to set up") && screen.contains("quit") {
            break started.elapsed();
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    shown
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident memory of the process so far, in KiB.
fn peak_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Both guides, as a person does it (the same path as the end-to-end test), up to the summary.
fn whole_run(moto: &Moto, project: &str) -> u64 {
    let mut t = Term::spawn_program(&program(), &moto.env());
    t.wait_for("What to set up");
    t.send(ENTER);
    t.wait_for(&moto.account);
    t.send(ENTER);
    t.pick_bucket_and_project(project);
    t.wait_for("/ 6144 chars");
    // Every document through the preview, the largest included.
    for _ in 0..6 {
        t.send(RIGHT);
    }
    t.send(ENTER);
    t.apply_to_summary();
    let peak = peak_rss_kib(t.pid());
    t.send("q");
    assert_eq!(t.wait_exit(), 0, "the run did not end cleanly:\n{}", t.screen());
    peak
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench absent: measure only when asked to.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("binary: {}", program());
    for (cols, rows) in [(80, 24), (120, 40)] {
        let times: Vec<Duration> = (0..LAUNCHES).map(|_| first_frame(cols, rows)).collect();
        let (min, max) = (times.iter().min().copied().unwrap(), times.iter().max().copied().unwrap());
        println!(
            "first frame at {cols}x{rows}: median {:.1} ms (min {:.1}, max {:.1}, {LAUNCHES} launches)",
            median(times).as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }
    let moto = Moto::start(&[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut peaks = Vec::new();
    for _ in 0..3 {
        moto.reset();
        let project =
            runtime.block_on(async { seed_buckets_and_project(&moto.sdk_config().await, &["pinpoint-imports"]).await });
        peaks.push(whole_run(&moto, &project));
    }
    peaks.sort_unstable();
    println!(
        "peak RSS of a whole wizard run (both guides, 120x40): median {:.1} MiB (runs: {:?} KiB)",
        peaks[1] as f64 / 1024.0,
        peaks
    );
}
