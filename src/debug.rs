//! `--debug`: the SDK's request and answer trace on stderr through `tracing`, the AWS CLI's habit, with
//! secrets and signatures redacted. Nothing is logged without it.

use std::io::Write;
use tracing_subscriber::EnvFilter;

/// Start tracing the SDK to stderr.
pub fn install() {
    let filter = EnvFilter::new(
        "aws_smithy_runtime=trace,aws_smithy_runtime_api=debug,aws_sigv4=debug,aws_config=debug,\
         aws_smithy_http_client=debug,aws_sdk_iam=debug,aws_sdk_sts=debug,aws_sdk_s3=debug,aws_sdk_pinpoint=debug,\
         pinpoint_iam_wizard=debug",
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Redacting(std::io::stderr()))
        .with_ansi(false)
        .try_init();
}

/// Writes each trace line with secrets replaced. tracing-subscriber's fmt layer writes a whole event in one
/// call, so redacting per write sees whole values.
struct Redacting<W: Write>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Keys after which a value is secret, in the shapes the SDK's traces print them (XML, headers, form fields,
/// Debug structs).
const SECRET_MARKERS: [&str; 9] = [
    "<SecretAccessKey>",
    "<SessionToken>",
    "secret_access_key",
    "SecretAccessKey",
    "session_token",
    "x-amz-security-token",
    "Signature=",
    "signature",
    "authorization",
];

/// Replace what follows each marker (up to the next delimiter) with `** redacted **`.
pub fn redact(text: &str) -> String {
    let mut out = redact_url_passwords(text);
    for marker in SECRET_MARKERS {
        let mut from = 0;
        while let Some(pos) = find_ci(&out[from..], marker) {
            let start = from + pos + marker.len();
            // Skip separators between the key and its value.
            let value_start = out[start..]
                .char_indices()
                .find(|(_, c)| !matches!(c, ':' | '=' | ' ' | '"' | '\'' | '(' | '{'))
                .map_or(out.len(), |(i, _)| start + i);
            let value_end = out[value_start..]
                .char_indices()
                .find(|(_, c)| matches!(c, '<' | '"' | '\'' | ',' | ')' | '}' | '&' | '\n' | ' '))
                .map_or(out.len(), |(i, _)| value_start + i);
            // The SDK already redacts some values ("** redacted (length=N) **"): leave those as they are.
            if value_end > value_start && !out[value_start..value_end].starts_with("**") {
                out.replace_range(value_start..value_end, "**redacted**");
            }
            from = value_start.min(out.len());
            if from >= out.len() {
                break;
            }
            from += 1;
        }
    }
    out
}

/// Replace the password of every `scheme://user:password@host` in `text` (an endpoint given with credentials
/// for a proxy in front of it): the user stays, so the operator still recognises it.
pub fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends where the path, query or fragment starts, or where the trace's own text does.
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ')' | ',') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@').and_then(|at| authority[..at].find(':').map(|colon| (colon, at))) {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str("****");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_signatures_are_redacted() {
        let line = "<AccessKeyId>AKIAX</AccessKeyId><SecretAccessKey>wJalrSECRET/KEY+1</SecretAccessKey> \
                    authorization: AWS4-HMAC-SHA256 Credential=AKIAX/2026/eu-west-1/iam/aws4_request, \
                    SignedHeaders=host, Signature=abcdef0123 x-amz-security-token: FQoTOKEN";
        let r = redact(line);
        for secret in ["wJalrSECRET", "abcdef0123", "FQoTOKEN", "AWS4-HMAC-SHA256 Credential"] {
            assert!(!r.contains(secret), "{secret} in {r}");
        }
        assert!(r.contains("AKIAX"), "the key id is not secret: {r}");
    }

    #[test]
    fn passwords_in_urls_are_redacted_wherever_they_appear() {
        let line = r#"endpoint_url: Some("http://ops:hunter2@127.0.0.1:5000") uri=https://u:p%40ss@h/x?y ok"#;
        let r = redact(line);
        assert!(!r.contains("hunter2") && !r.contains("p%40ss"), "{r}");
        assert!(r.contains("http://ops:****@127.0.0.1:5000") && r.contains("https://u:****@h/x?y"), "{r}");
        assert_eq!(
            redact_url_passwords("http://user@host/ and http://host:80/"),
            "http://user@host/ and http://host:80/"
        );
    }
}
