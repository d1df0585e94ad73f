//! Test harness: one moto server per test binary on a free loopback port, and helpers to reach it
//! through the real AWS SDK and to run the real binary against it.
#![allow(dead_code)]

pub mod account;
pub mod endpoints;
pub mod matrix;
pub mod proxy;
pub mod term;
pub mod tls;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub const BIN: &str = env!("CARGO_BIN_EXE_pinpoint-iam-wizard");
pub const REGION: &str = "eu-west-1";
pub const SEED_ACCOUNT: &str = "123456789012";

/// A child of the tests that inherits no descriptor but the three it was given. portable-pty marks a new
/// terminal's descriptors close-on-exec only a moment after opening them, so a child started by another test in
/// that moment (moto, a TLS front, Xvfb, a run of the binary) would hold that terminal open for its whole life and
/// [`term::Term::wait_exit`] would never see end of file. Seen once in CI: moto held a wizard's terminal.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(program);
    // SAFETY: the closure calls one async-signal-safe system call and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            // close_range(3, ~0, 0); on a kernel without it, the children keep what they inherited, as before.
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    cmd
}

/// A moto server; killed when dropped, and it exits by itself when this process's end of its stdin closes.
pub struct Moto {
    child: Mutex<Child>,
    _stdin: ChildStdin,
    pub port: u16,
    pub account: String,
    serial: Mutex<()>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let p = root().join("target/moto-venv/bin/python");
    assert!(
        p.exists(),
        "moto is not installed: run `scripts/test` (it installs moto into target/moto-venv), \
         or `python3 -m venv target/moto-venv && target/moto-venv/bin/pip install -r tests/support/requirements.txt`"
    );
    p
}

/// A 12-digit account id unlike the seeds' example, different on every run.
fn random_account() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    let mixed = (nanos ^ (std::process::id() as u64) << 20).wrapping_mul(6364136223846793005) % 900_000_000_000;
    format!("{}", 100_000_000_000 + mixed)
}

impl Moto {
    pub fn start(extra_env: &[(&str, &str)]) -> Moto {
        let account = random_account();
        assert_ne!(account, SEED_ACCOUNT);
        let mut cmd = command(python());
        cmd.arg(root().join("tests/support/moto_server.py"))
            .env("MOTO_ACCOUNT_ID", &account)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start moto");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("moto prints its port");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("moto said {line:?}"));
        let stdin = child.stdin.take().unwrap();
        Moto { child: Mutex::new(child), _stdin: stdin, port, account, serial: Mutex::new(()) }
    }

    /// The server shared by every test of this binary.
    pub fn shared() -> &'static Moto {
        static M: OnceLock<Moto> = OnceLock::new();
        M.get_or_init(|| Moto::start(&[]))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Tests of one binary share the server: each takes this guard and starts from an empty account.
    pub fn exclusive(&self) -> MutexGuard<'_, ()> {
        let guard = self.serial.lock().unwrap_or_else(|e| e.into_inner());
        self.reset();
        guard
    }

    pub fn reset(&self) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(s, "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"), "{resp}");
    }

    /// The environment of a process that talks to this server: dummy credentials, no profile files, no IMDS.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = base_env();
        env.extend([
            ("AWS_ENDPOINT_URL".into(), self.url()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), REGION.into()),
        ]);
        env
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        self.sdk_config_as("testing", "testing").await
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config().await)
    }

    /// The SDK configuration for this server with a given access key.
    pub async fn sdk_config_as(&self, id: &str, secret: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.url())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(id, secret, None, None, "tests"))
            .load()
            .await
    }

    /// IAM with a given access key (for servers that enforce IAM).
    pub async fn iam_as(&self, id: &str, secret: &str) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config_as(id, secret).await)
    }

    /// Run the real binary against this server.
    pub fn run(&self, args: &[&str]) -> Output {
        run_with_env(args, &self.env())
    }
}

/// An environment with nothing AWS in it: no credentials, no profiles, no instance metadata.
pub fn base_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = ["PATH", "HOME", "TMPDIR", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    env.extend([
        ("AWS_CONFIG_FILE".into(), "/nonexistent/pinpoint-iam-wizard-tests/config".into()),
        ("AWS_SHARED_CREDENTIALS_FILE".into(), "/nonexistent/pinpoint-iam-wizard-tests/credentials".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]);
    env
}

/// Run `program` (a tool of the tests: the AWS CLI, cfn-lint, an exported script) with exactly `env`.
pub fn run_tool(program: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    command(program)
        .args(args)
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
}

pub fn run_with_env(args: &[&str], env: &[(String, String)]) -> Output {
    run_tool(Path::new(BIN), args, env)
}

/// A run of the real binary that was given a time limit.
pub struct Bounded {
    pub output: Output,
    pub elapsed: std::time::Duration,
    /// It was still running at the limit and was killed.
    pub timed_out: bool,
}

/// Run the real binary, killing it if it runs past `limit`: a liveness bound, so a hung run fails its test
/// instead of hanging the whole suite.
pub fn run_bounded(args: &[&str], env: &[(String, String)], limit: std::time::Duration) -> Bounded {
    let child = command(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    Spawned::new(child).wait_bounded(limit)
}

/// A running binary, killed if the test lets go of it before it exits (a failed assertion, say).
pub struct Spawned {
    child: Child,
    started: std::time::Instant,
}

impl Spawned {
    pub fn new(child: Child) -> Spawned {
        Spawned { child, started: std::time::Instant::now() }
    }

    /// Its process id, to read `/proc/PID/…`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited (without waiting).
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().expect("poll the binary").is_some()
    }

    /// Send a signal (e.g. `libc::SIGTERM`).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid, which stays reserved until we wait for it.
        let r = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(r, 0, "kill({}, {signal}) failed", self.child.id());
    }

    /// Close our end of its stdout (the reader goes away, as when `head` exits).
    pub fn close_stdout(&mut self) {
        drop(self.child.stdout.take());
    }

    /// Its stderr as lines, as they come; `wait_bounded` then returns no stderr.
    pub fn stderr_lines(&mut self) -> std::sync::mpsc::Receiver<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = self.child.stderr.take().expect("stderr is piped and not yet taken");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// Wait for the exit, reading its output meanwhile; kill it if it is still running `limit` from now.
    pub fn wait_bounded(mut self, limit: std::time::Duration) -> Bounded {
        let drain = |r: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                if let Some(mut r) = r {
                    let _ = r.read_to_end(&mut v);
                }
                v
            })
        };
        let out = drain(self.child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let err = drain(self.child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
        let deadline = std::time::Instant::now() + limit;
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the binary") {
                break status;
            }
            if std::time::Instant::now() >= deadline {
                timed_out = true;
                let _ = self.child.kill();
                break self.child.wait().expect("wait for the killed binary");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let elapsed = self.started.elapsed();
        let output = Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
        Bounded { output, elapsed, timed_out }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Start the real binary with piped stdout and stderr.
pub fn spawn_with_env(args: &[&str], env: &[(String, String)], stdout: Stdio) -> Spawned {
    let child = command(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    Spawned::new(child)
}

/// The first Rust `Debug` rendering of SDK internals in a message meant for people, if any.
pub fn debug_dump(text: &str) -> Option<String> {
    for needle in ["DispatchFailure", "SdkBody", "ConnectorError", "Some(", "None,", "TimeoutError", "ServiceError {"] {
        if let Some(i) = text.find(needle) {
            return Some(excerpt(text, i));
        }
    }
    // A struct rendered by {:?}: `Name { field: …`.
    for (i, _) in text.match_indices("{ ") {
        let rest = &text[i + 2..];
        let field = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_lowercase() || c == '_').len();
        if field > 0 && rest[field..].starts_with(": ") {
            return Some(excerpt(text, i));
        }
    }
    None
}

fn excerpt(text: &str, at: usize) -> String {
    let start = (0..=at.saturating_sub(40)).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let end = (at + 80).min(text.len());
    let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    text[start..end].to_string()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

/// A seed document with the guide's substitutions applied (the project id first: it contains the account id).
pub fn seed(name: &str, account: &str, region: &str, bucket: &str, project: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(root().join(Path::new("tests/fixtures/seeds")).join(format!("{name}.json"))).unwrap();
    let text = text
        .replace("01234567890123456789012345678901", project)
        .replace(SEED_ACCOUNT, account)
        .replace("bucket-name", bucket)
        .replace("us-east-1", region);
    serde_json::from_str(&text).unwrap()
}

pub fn decode(doc: &str) -> serde_json::Value {
    pinpoint_iam_wizard::aws::iam::decode_document(doc).unwrap()
}

/// Buckets and a Pinpoint project named "Newsletter" for the wizard's pickers, made with `conf`; the project id.
pub async fn seed_buckets_and_project(conf: &aws_config::SdkConfig, buckets: &[&str]) -> String {
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(conf).force_path_style(true).build());
    for b in buckets {
        s3.create_bucket()
            .bucket(*b)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let app = aws_sdk_pinpoint::Client::new(conf)
        .create_app()
        .create_application_request(
            aws_sdk_pinpoint::types::CreateApplicationRequest::builder().name("Newsletter").build(),
        )
        .send()
        .await
        .unwrap();
    app.application_response().unwrap().id().unwrap().to_string()
}
