//! AWS's credential endpoints that moto has not (instance metadata, the container endpoint, IAM Identity
//! Center's portal), played on loopback by tests/support/aws_endpoints.py from AWS's documented wire formats.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Stdio};

pub struct AwsEndpoints {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
}

/// The bearer token `aws sso login` would have cached; the portal accepts only it.
pub const SSO_TOKEN: &str = "sso-access-token-from-the-test";

impl AwsEndpoints {
    /// Hand out `key` and `secret` from every endpoint.
    pub fn start(key: &str, secret: &str) -> AwsEndpoints {
        let mut child = super::command(super::root().join("target/moto-venv/bin/python"))
            .arg(super::root().join("tests/support/aws_endpoints.py"))
            .args([key, secret, SSO_TOKEN])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the credential endpoints");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("they print their port");
        let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{line:?}"));
        let stdin = child.stdin.take().unwrap();
        AwsEndpoints { child, _stdin: stdin, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for AwsEndpoints {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
