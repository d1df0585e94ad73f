//! A fault-injecting HTTP/1.1 proxy on loopback, between the real SDK (or the real binary) and moto.
//!
//! It reads the AWS query-protocol action of each request (`Action=CreateUser` in the form body; REST calls
//! are named `METHOD /path`) and, when a rule matches, answers with an error shaped like IAM's, resets the
//! connection before or after moto acted, delays, or never answers. In strict mode it refuses deletes with
//! `DeleteConflict` where real IAM would and moto does not. Faults are decided by arrival order, and
//! [`FaultProxy::wait_for`] lets a test act exactly when the proxy holds a given request.

use super::Moto;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which arrivals of an action a rule applies to (counted from 1, over the proxy's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Nth(usize),
    Always,
    FromNth(usize),
}

impl When {
    fn matches(self, n: usize) -> bool {
        match self {
            When::Nth(k) => n == k,
            When::Always => true,
            When::FromNth(k) => n >= k,
        }
    }
}

/// What the proxy does instead of (or around) forwarding a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 `ServiceFailure`, as IAM answers when it fails internally.
    Status500,
    /// HTTP 400 `Throttling`.
    Throttle,
    /// HTTP 403 `AccessDenied`.
    AccessDenied,
    /// Reset the connection (RST) without forwarding: moto never sees the request.
    Reset,
    /// Forward, let moto act, then reset the connection: the answer is lost.
    DropAnswer,
    /// Wait this long, then forward.
    Delay(Duration),
    /// Never answer; keep the connection open until the client closes it.
    Hang,
    /// Answer this IAM error code without forwarding (e.g. `NoSuchEntity` for IAM's lag after a create).
    Code(&'static str),
    /// Forward, let moto act, then answer this IAM error code: the write happened, the answer says it did not.
    WriteThenCode(&'static str),
    /// Hold the nth request of this action until the nth request of the named action has been answered
    /// (at most [`AFTER_LIMIT`]), then forward: fixes the order of two concurrent steps.
    After(&'static str),
    /// Hold the request until the test calls [`FaultProxy::release`], then forward: the client's waiting state
    /// lasts exactly as long as the test needs to look at it.
    Hold,
    /// Answer `AccessDenied` unless the request carries every one of these form fields (e.g. an `AssumeRole`
    /// whose role's trust demands MFA: `SerialNumber` and `TokenCode`); else forward.
    DenyUnless(&'static [&'static str]),
    /// Answer `AccessDenied` unless the request's form field has exactly this value: an organisation's SCP
    /// that denies `iam:CreateRole`/`iam:CreateUser` without a given `iam:PermissionsBoundary`.
    DenyUnlessEquals(&'static str, &'static str),
    /// HTTP 403 `RequestTimeTooSkewed`, with a `Date` this many seconds from the proxy's clock (as AWS answers
    /// a request whose signing time is too far from its own).
    Skewed(i64),
}

/// How long [`Fault::After`] holds a request whose partner never comes.
pub const AFTER_LIMIT: Duration = Duration::from_secs(30);

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Delay(d) => write!(f, "Delay({}ms)", d.as_millis()),
            Fault::After(action) => write!(f, "After({action})"),
            Fault::Code(code) => write!(f, "{code}"),
            Fault::WriteThenCode(code) => write!(f, "write+{code}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Apply `fault` to the arrivals of `action` that `when` selects (`*`: every action, counted together);
/// the first matching rule wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub action: String,
    pub when: When,
    pub fault: Fault,
    /// Armed only once a request of this action was faulted, `when` then counting the arrivals since: a fault
    /// in the phase a failure starts (a rollback), whatever the calls before it.
    pub after_fault_on: Option<String>,
}

/// An organisation's SCP as the proxy plays it: `CreateRole` and `CreateUser` are denied unless they carry
/// this permissions boundary.
pub fn boundary_scp(boundary: &'static str) -> Vec<Rule> {
    ["CreateRole", "CreateUser"]
        .into_iter()
        .map(|a| Rule::new(a, When::Always, Fault::DenyUnlessEquals("PermissionsBoundary", boundary)))
        .collect()
}

impl Rule {
    pub fn new(action: &str, when: When, fault: Fault) -> Rule {
        Rule { action: action.to_string(), when, fault, after_fault_on: None }
    }

    /// The same rule, armed by the first fault on `trigger`.
    pub fn after_fault_on(mut self, trigger: &str) -> Rule {
        self.after_fault_on = Some(trigger.to_string());
        self
    }

    fn applies(&self, action: &str, nth: usize, total: usize, armed: &HashMap<String, HashMap<String, usize>>) -> bool {
        match &self.after_fault_on {
            None => {
                (self.action == action && self.when.matches(nth)) || (self.action == "*" && self.when.matches(total))
            }
            Some(trigger) => armed.get(trigger).is_some_and(|counts_then| {
                self.action == action && self.when.matches(nth - counts_then.get(action).copied().unwrap_or(0))
            }),
        }
    }
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Held,
    Answered(u16),
    Faulted(Fault),
    /// Strict mode refused a delete, as IAM would.
    Conflict,
    /// Moto could not be reached or its answer not read.
    UpstreamFailed,
}

#[derive(Debug, Clone)]
struct Seen {
    action: String,
    nth: usize,
    /// The access key id the request was signed with.
    access_key: Option<String>,
    outcome: Outcome,
    arrived: Instant,
    settled: Option<Instant>,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} ", self.action, self.nth)?;
        match &self.outcome {
            Outcome::Held => write!(f, "held"),
            Outcome::Answered(s) => write!(f, "{s}"),
            Outcome::Faulted(fault) => write!(f, "{fault}"),
            Outcome::Conflict => write!(f, "409 DeleteConflict (strict)"),
            Outcome::UpstreamFailed => write!(f, "moto unreachable"),
        }
    }
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    counts: HashMap<String, usize>,
    seen: Vec<Seen>,
    latency: Duration,
    strict: bool,
    /// Requests of any action, for `*` rules.
    total: usize,
    /// How many times [`FaultProxy::release`] was called: a held request goes on once this grows.
    releases: usize,
    /// For each action that was faulted: the arrival counts of every action when that first happened.
    armed: HashMap<String, HashMap<String, usize>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    upstream_port: u16,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn settle(&self, index: usize, outcome: Outcome) {
        let mut state = self.lock();
        state.seen[index].outcome = outcome;
        state.seen[index].settled = Some(Instant::now());
        drop(state);
        self.changed.notify_all();
    }
}

/// The proxy; it stops (and drops every connection) when dropped.
pub struct FaultProxy {
    pub port: u16,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl FaultProxy {
    /// Listen on a free loopback port in front of `upstream`. Its own runtime, so sync and async tests alike
    /// can use it.
    pub fn start(upstream: &Moto) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared =
            Arc::new(Shared { state: Mutex::default(), changed: Condvar::new(), upstream_port: upstream.port });
        let accept = shared.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("a tokio listener");
            while let Ok((client, _)) = listener.accept().await {
                let _ = client.set_nodelay(true);
                tokio::spawn(serve(accept.clone(), client));
            }
        });
        FaultProxy { port, shared, runtime: Some(runtime) }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment of a process that reaches `moto` through this proxy.
    pub fn env(&self, moto: &Moto) -> Vec<(String, String)> {
        let mut env = moto.env();
        for (k, v) in env.iter_mut() {
            if k == "AWS_ENDPOINT_URL" {
                *v = self.url();
            }
        }
        env
    }

    pub fn add_rule(&self, rule: Rule) {
        self.shared.lock().rules.push(rule);
    }

    pub fn clear_rules(&self) {
        self.shared.lock().rules.clear();
    }

    /// A fixed delay before every request is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Refuse deletes with `DeleteConflict` where IAM would (moto deletes anyway).
    pub fn strict(&self, on: bool) {
        self.shared.lock().strict = on;
    }

    /// Every request in arrival order, e.g. `CreateAccessKey#1 DropAnswer` or `CreateUser#1 200`.
    pub fn seen(&self) -> Vec<String> {
        self.shared.lock().seen.iter().map(ToString::to_string).collect()
    }

    /// The dependent round trips the client made: a request is one round after the latest request that had been
    /// answered before it arrived. With a latency added (`set_latency`) well above the client's own scheduling
    /// time, requests sent together arrive before any of them is answered, so this counts the rounds exactly.
    pub fn rounds(&self) -> usize {
        let seen = &self.shared.lock().seen;
        let mut round = vec![0usize; seen.len()];
        for (i, s) in seen.iter().enumerate() {
            let before = seen[..i].iter().zip(&round).filter(|(p, _)| p.settled.is_some_and(|t| t <= s.arrived));
            round[i] = 1 + before.map(|(_, r)| *r).max().unwrap_or(0);
        }
        round.into_iter().max().unwrap_or(0)
    }

    /// The access key ids requests were signed with, each once, in order of first use.
    pub fn access_keys_seen(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for k in self.shared.lock().seen.iter().filter_map(|s| s.access_key.clone()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// Each request's action and the access key it was signed with (`None`: unsigned), in arrival order.
    pub fn signers(&self) -> Vec<(String, Option<String>)> {
        self.shared.lock().seen.iter().map(|s| (s.action.clone(), s.access_key.clone())).collect()
    }

    /// How many requests for `action` arrived so far.
    pub fn count(&self, action: &str) -> usize {
        self.shared.lock().counts.get(action).copied().unwrap_or(0)
    }

    /// Let every request held by [`Fault::Hold`] go on (to moto, even when its client has gone).
    pub fn release(&self) {
        self.shared.lock().releases += 1;
        self.shared.changed.notify_all();
    }

    /// Block until no request is held (delayed, or on its way to moto), so what moto holds is final: a
    /// delayed request is forwarded even when its client has gone, as AWS may act on an abandoned request.
    pub fn wait_idle(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            let held: Vec<String> =
                state.seen.iter().filter(|s| s.outcome == Outcome::Held).map(ToString::to_string).collect();
            if held.is_empty() {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("the proxy still holds {} after {timeout:?}", held.join(", ")));
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Block until the `nth` request for `action` has arrived (it may still be held by a fault), or say what
    /// the proxy saw instead.
    pub fn wait_for(&self, action: &str, nth: usize, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if state.counts.get(action).copied().unwrap_or(0) >= nth {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let seen: Vec<String> = state.seen.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "the proxy did not see {action} #{nth} within {timeout:?}; it saw: {}",
                    seen.join(", ")
                ));
            }
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

/// One HTTP/1.1 message as read off the wire.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn wants_close(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }

    /// Form fields of a query-protocol request (the body), else of the URL's query string.
    fn params(&self) -> HashMap<String, String> {
        let form = if self.body.is_empty() {
            self.start.split_whitespace().nth(1).and_then(|t| t.split_once('?')).map(|(_, q)| q).unwrap_or("")
        } else {
            std::str::from_utf8(&self.body).unwrap_or("")
        };
        form.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (decode_form(k), decode_form(v))).collect()
    }

    /// The query-protocol action, or `METHOD /path` for REST calls (S3, Pinpoint).
    fn action(&self) -> String {
        if let Some(a) = self.params().remove("Action") {
            return a;
        }
        let mut parts = self.start.split_whitespace();
        let method = parts.next().unwrap_or("?");
        let path = parts.next().unwrap_or("?").split('?').next().unwrap_or("?");
        format!("{method} {path}")
    }

    /// The access key id of a SigV4 `Authorization` header (`Credential=AKID/date/region/service/…`).
    fn access_key(&self) -> Option<String> {
        let credential = self.header("authorization")?.split("Credential=").nth(1)?;
        Some(credential.split('/').next()?.to_string())
    }

    fn to_bytes(&self, extra_headers: &[(&str, String)]) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        for (k, v) in extra_headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn decode_form(s: &str) -> String {
    percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn encode_form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Read one message; `buf` keeps bytes that arrived after it (the next request on a keep-alive connection).
/// `None` when the peer closed before a complete message. With `to_eof`, a body without length runs to the
/// end of the stream (responses of a `Connection: close` exchange).
async fn read_message<R: AsyncRead + Unpin>(io: &mut R, buf: &mut Vec<u8>, to_eof: bool) -> Option<Message> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if read_more(io, buf).await == 0 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let start = lines.next()?.to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut message = Message { start, headers, body: Vec::new() };
    if message.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        message.body = read_chunked(io, buf).await?;
    } else if let Some(len) = message.header("content-length") {
        let len: usize = len.parse().ok()?;
        while buf.len() < len {
            if read_more(io, buf).await == 0 {
                return None;
            }
        }
        message.body = buf.drain(..len).collect();
    } else if to_eof {
        while read_more(io, buf).await > 0 {}
        message.body = std::mem::take(buf);
    }
    Some(message)
}

async fn read_chunked<R: AsyncRead + Unpin>(io: &mut R, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                break i;
            }
            if read_more(io, buf).await == 0 {
                return None;
            }
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        buf.drain(..line_end + 2);
        while buf.len() < size + 2 {
            if read_more(io, buf).await == 0 {
                return None;
            }
        }
        body.extend(buf.drain(..size));
        buf.drain(..2);
        if size == 0 {
            return Some(body);
        }
    }
}

async fn read_more<R: AsyncRead + Unpin>(io: &mut R, buf: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 16 * 1024];
    match io.read(&mut chunk).await {
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            n
        }
        Err(_) => 0,
    }
}

/// Serve one client connection, request after request.
async fn serve(shared: Arc<Shared>, mut client: TcpStream) {
    let mut buf = Vec::new();
    while let Some(request) = read_message(&mut client, &mut buf, false).await {
        let action = request.action();
        let (index, nth, fault, latency, strict, releases) = {
            let mut state = shared.lock();
            let count = state.counts.entry(action.clone()).or_insert(0);
            *count += 1;
            let nth = *count;
            state.total += 1;
            let total = state.total;
            let fault = state.rules.iter().find(|r| r.applies(&action, nth, total, &state.armed)).map(|r| r.fault);
            if fault.is_some() && !state.armed.contains_key(&action) {
                let counts = state.counts.clone();
                state.armed.insert(action.clone(), counts);
            }
            let access_key = request.access_key();
            state.seen.push(Seen {
                action: action.clone(),
                nth,
                access_key,
                outcome: Outcome::Held,
                arrived: Instant::now(),
                settled: None,
            });
            (state.seen.len() - 1, nth, fault, state.latency, state.strict, state.releases)
        };
        shared.changed.notify_all();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match fault {
            Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
            Some(Fault::After(partner)) => answered(&shared, partner, nth).await,
            Some(Fault::Hold) => released(&shared, releases).await,
            _ => {}
        }
        let fault = match fault {
            Some(Fault::DenyUnless(fields)) if fields.iter().all(|f| request.params().contains_key(*f)) => None,
            Some(Fault::DenyUnlessEquals(field, value)) if request.params().get(field).is_some_and(|v| v == value) => {
                None
            }
            other => other,
        };
        let response = match fault {
            Some(f @ Fault::Reset) => {
                shared.settle(index, Outcome::Faulted(f));
                return reset(client);
            }
            Some(f @ Fault::Hang) => {
                shared.settle(index, Outcome::Faulted(f));
                // Keep the socket open (reading and discarding) until the client gives up.
                while read_more(&mut client, &mut Vec::new()).await > 0 {}
                return;
            }
            Some(
                f @ (Fault::Status500
                | Fault::Throttle
                | Fault::AccessDenied
                | Fault::Code(_)
                | Fault::DenyUnless(_)
                | Fault::DenyUnlessEquals(..)),
            ) => {
                shared.settle(index, Outcome::Faulted(f));
                error_response(f, &action)
            }
            Some(f @ Fault::Skewed(offset)) => {
                shared.settle(index, Outcome::Faulted(f));
                skewed_response(offset)
            }
            Some(f @ Fault::WriteThenCode(code)) => {
                let _ = forward(&shared, &request, &action, strict).await;
                shared.settle(index, Outcome::Faulted(f));
                error_response(Fault::Code(code), &action)
            }
            Some(f @ Fault::DropAnswer) => {
                let _ = forward(&shared, &request, &action, strict).await;
                shared.settle(index, Outcome::Faulted(f));
                return reset(client);
            }
            None | Some(Fault::Delay(_) | Fault::After(_) | Fault::Hold) => {
                match forward(&shared, &request, &action, strict).await {
                    Some((bytes, outcome)) => {
                        shared.settle(index, outcome);
                        bytes
                    }
                    None => {
                        shared.settle(index, Outcome::UpstreamFailed);
                        return reset(client);
                    }
                }
            }
        };
        if client.write_all(&response).await.is_err() || request.wants_close() {
            return;
        }
    }
}

/// Wait until the `nth` request of `action` has been answered (or faulted), at most [`AFTER_LIMIT`].
async fn answered(shared: &Shared, action: &str, nth: usize) {
    let deadline = Instant::now() + AFTER_LIMIT;
    while Instant::now() < deadline {
        let done = shared.lock().seen.iter().any(|s| s.action == action && s.nth == nth && s.outcome != Outcome::Held);
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Wait until the test has released held requests since `before` releases (no limit: a test that never
/// releases fails on its own waits).
async fn released(shared: &Shared, before: usize) {
    while shared.lock().releases == before {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Close with SO_LINGER 0, so the client sees a reset rather than an orderly end of stream.
fn reset(client: TcpStream) {
    let _ = client.set_zero_linger();
    drop(client);
}

/// Moto's answer to the request, re-framed for the client's keep-alive connection; strict mode may answer a
/// delete itself.
async fn forward(shared: &Shared, request: &Message, action: &str, strict: bool) -> Option<(Vec<u8>, Outcome)> {
    if strict && let Some(message) = delete_conflict(shared, request, action).await {
        return Some((iam_error(409, "Conflict", "Sender", "DeleteConflict", &message), Outcome::Conflict));
    }
    let response = upstream(shared.upstream_port, request).await?;
    let status = response.start.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut head = format!("HTTP/1.1 {}\r\n", response.start.split_once(' ').map_or("502 Bad Gateway", |(_, r)| r));
    for (k, v) in &response.headers {
        let hop = ["connection", "keep-alive", "transfer-encoding", "content-length"];
        if !hop.iter().any(|h| k.eq_ignore_ascii_case(h)) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&response.body);
    Some((bytes, Outcome::Answered(status)))
}

/// One exchange with moto on a fresh connection (closed after the answer, so the answer's end is certain).
async fn upstream(port: u16, request: &Message) -> Option<Message> {
    let mut moto = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let headers = request.headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("connection")).cloned().collect();
    let outgoing = Message { start: request.start.clone(), headers, body: request.body.clone() };
    moto.write_all(&outgoing.to_bytes(&[("Connection", "close".into())])).await.ok()?;
    read_message(&mut moto, &mut Vec::new(), true).await
}

/// A query-protocol call of the proxy's own to moto, signed like the request it checks for (moto does not
/// verify signatures unless told to, and the credential names the account).
async fn query(shared: &Shared, like: &Message, fields: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut all = fields.to_vec();
    all.push(("Version", "2010-05-08"));
    let body = encode_form(&all).into_bytes();
    let auth = like.header("authorization").unwrap_or(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x",
    );
    let date = like.header("x-amz-date").unwrap_or("20260101T000000Z");
    let request = Message {
        start: "POST / HTTP/1.1".into(),
        headers: vec![
            ("Host".into(), like.header("host").unwrap_or("127.0.0.1").into()),
            ("Content-Type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()),
            ("Authorization".into(), auth.into()),
            ("X-Amz-Date".into(), date.into()),
            ("Content-Length".into(), body.len().to_string()),
        ],
        body,
    };
    let response = upstream(shared.upstream_port, &request).await?;
    let status = response.start.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, String::from_utf8_lossy(&response.body).into_owned()))
}

fn members(xml: &str) -> usize {
    xml.matches("<member>").count()
}

/// IAM's refusal message for a delete moto would carry out, if IAM would refuse it.
async fn delete_conflict(shared: &Shared, request: &Message, action: &str) -> Option<String> {
    let params = request.params();
    // Each check: the listing to send, and IAM's message when that listing is not empty.
    let (key, checks): (&str, &[(&str, &str)]) = match action {
        "DeleteUser" => (
            "UserName",
            &[
                ("ListAccessKeys", "Cannot delete entity, must delete access keys first."),
                ("ListAttachedUserPolicies", "Cannot delete entity, must detach all policies first."),
                ("ListUserPolicies", "Cannot delete entity, must delete policies first."),
                ("GetLoginProfile", "Cannot delete entity, must delete login profile first."),
                ("ListMFADevices", "Cannot delete entity, must delete MFA device first."),
                ("ListGroupsForUser", "Cannot delete entity, must remove users from group first."),
            ],
        ),
        "DeleteRole" => (
            "RoleName",
            &[
                ("ListAttachedRolePolicies", "Cannot delete entity, must detach all policies first."),
                ("ListRolePolicies", "Cannot delete entity, must delete policies first."),
                ("ListInstanceProfilesForRole", "Cannot delete entity, must remove roles from instance profile first."),
            ],
        ),
        "DeletePolicy" => (
            "PolicyArn",
            &[
                ("ListEntitiesForPolicy", "Cannot delete a policy attached to entities."),
                (
                    "ListPolicyVersions",
                    "This policy has more than one version. Before you delete a policy, you must delete the \
                     policy's versions. The default version is deleted with the policy.",
                ),
            ],
        ),
        _ => return None,
    };
    let name = params.get(key)?;
    for (check, message) in checks {
        let Some((status, body)) = query(shared, request, &[("Action", check), (key, name)]).await else {
            continue;
        };
        let refused = match *check {
            // A login profile exists when GetLoginProfile succeeds.
            "GetLoginProfile" => status == 200,
            // The default version is always listed; any other makes the delete fail.
            "ListPolicyVersions" => status == 200 && members(&body) > 1,
            _ => status == 200 && members(&body) > 0,
        };
        if refused {
            return Some(message.to_string());
        }
    }
    None
}

/// The answer of an error fault, shaped like IAM's.
fn error_response(fault: Fault, action: &str) -> Vec<u8> {
    match fault {
        // IAM types its own failures Receiver, the caller's Sender.
        Fault::Status500 => iam_error(
            500,
            "Internal Server Error",
            "Receiver",
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        Fault::Throttle => iam_error(400, "Bad Request", "Sender", "Throttling", "Rate exceeded"),
        Fault::DenyUnlessEquals(field, value) => iam_error(
            403,
            "Forbidden",
            "Sender",
            "AccessDenied",
            &format!(
                "User: arn:aws:iam::000000000000:user/tester is not authorized to perform: iam:{action} with an \
                 explicit deny in a service control policy ({field} is not {value})"
            ),
        ),
        Fault::AccessDenied | Fault::DenyUnless(_) => iam_error(
            403,
            "Forbidden",
            "Sender",
            "AccessDenied",
            &format!("User: arn:aws:iam::000000000000:user/tester is not authorized to perform: iam:{action}"),
        ),
        Fault::Code(code) => {
            let (status, reason) = match code {
                "NoSuchEntity" => (404, "Not Found"),
                "ServiceFailure" => (500, "Internal Server Error"),
                "LimitExceeded" | "DeleteConflict" | "EntityAlreadyExists" => (409, "Conflict"),
                "ExpiredToken" => (403, "Forbidden"),
                _ => (400, "Bad Request"),
            };
            iam_error(status, reason, "Sender", code, &format!("{code} (injected by the test proxy for iam:{action})"))
        }
        other => unreachable!("{other} is not answered with an error"),
    }
}

/// `RequestTimeTooSkewed` as AWS sends it, its `Date` the server's clock `offset` seconds from ours.
fn skewed_response(offset: i64) -> Vec<u8> {
    use aws_smithy_types::date_time::{DateTime, Format};
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let date = DateTime::from_secs(now + offset).fmt(Format::HttpDate).unwrap();
    let mut bytes = iam_error(
        403,
        "Forbidden",
        "Sender",
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
    );
    let at = bytes.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    bytes.splice(at..at, format!("Date: {date}\r\n").into_bytes());
    bytes
}

/// An error exactly as IAM's query API sends it.
fn iam_error(status: u16, reason: &str, kind: &str, code: &str, message: &str) -> Vec<u8> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = format!("00000000-0000-4000-8000-{:012x}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>{kind}</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nx-amzn-RequestId: {id}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
