//! A TLS-terminating front on loopback (tests/support/tls_front.py): a certificate from a CA made for the test,
//! the plain bytes relayed to an upstream port, as a corporate TLS-inspecting proxy stands before AWS.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};

pub struct TlsFront {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    /// The CA that signed the front's certificate, PEM.
    pub ca: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    /// Listen on a free loopback port, relaying to `upstream_port`.
    pub fn start(upstream_port: u16) -> TlsFront {
        let dir = tempfile::tempdir().unwrap();
        let mut child = super::command(super::root().join("target/moto-venv/bin/python"))
            .arg(super::root().join("tests/support/tls_front.py"))
            .arg(upstream_port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the TLS front");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("the front prints its port");
        let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{line:?}"));
        let stdin = child.stdin.take().unwrap();
        TlsFront { child, _stdin: stdin, port, ca: dir.path().join("ca.pem"), _dir: dir }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
