//! IAM is eventually consistent: an entity created a moment ago may not be visible to the next call yet
//! (`NoSuchEntity`), and one detached a moment ago may still hold on (`DeleteConflict`). One policy for every
//! call that acts on what this run just changed: the answers worth waiting out are tried again with a doubling
//! delay, within one time bound.

use super::Event;
use crate::aws::AwsError;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How long a run waits out IAM's lag when the operator did not say.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// Where a wait is reported (the step, and the events of a run when there is one) and how long it may last.
#[derive(Clone, Copy)]
pub struct Lag<'a> {
    pub step: usize,
    pub limit: Duration,
    pub events: Option<&'a UnboundedSender<Event>>,
}

impl<'a> Lag<'a> {
    pub fn new(step: usize, limit: Option<Duration>, events: Option<&'a UnboundedSender<Event>>) -> Self {
        Lag { step, limit: limit.unwrap_or(DEFAULT_WAIT), events }
    }

    fn report(&self, attempt: u32, e: &AwsError) {
        if let Some(events) = self.events {
            let _ = events.send(Event::Retrying { step: self.step, attempt, reason: e.to_string() });
        }
    }
}

/// The delays between tries: 200 ms doubling to at most 5 s, while the total stays within the bound.
pub struct Backoff {
    start: Instant,
    delay: Duration,
    limit: Duration,
    pub attempt: u32,
}

impl Backoff {
    pub fn new(limit: Duration) -> Self {
        Backoff { start: Instant::now(), delay: Duration::from_millis(200), limit, attempt: 1 }
    }

    /// The delay before the next try, or `None` when it would pass the bound.
    pub fn next(&mut self) -> Option<Duration> {
        if self.start.elapsed() + self.delay > self.limit {
            return None;
        }
        let d = self.delay;
        self.delay = (self.delay * 2).min(Duration::from_secs(5));
        self.attempt += 1;
        Some(d)
    }
}

/// Run `call`, trying again while it answers what `lagging` says is IAM's lag, within `lag`'s bound.
pub async fn retry<F, Fut>(lag: Lag<'_>, lagging: fn(&AwsError) -> bool, mut call: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    let mut backoff = Backoff::new(lag.limit);
    loop {
        match call().await {
            Err(e) if lagging(&e) => {
                let attempt = backoff.attempt;
                let Some(delay) = backoff.next() else { return Err(e) };
                lag.report(attempt, &e);
                tokio::time::sleep(delay).await;
            }
            other => return other,
        }
    }
}

/// An entity this run created is not visible yet.
pub fn not_visible_yet(e: &AwsError) -> bool {
    e.is_no_such_entity()
}

/// An attachment or key removed a moment ago still holds on to what is being deleted.
pub fn still_held(e: &AwsError) -> bool {
    e.code() == Some("DeleteConflict")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_such() -> AwsError {
        AwsError::Service {
            action: "a".into(),
            resource: "r".into(),
            code: "NoSuchEntity".into(),
            message: "m".into(),
            request_id: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_no_such_entity_with_backoff_then_gives_up() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let lag = Lag { step: 3, limit: Duration::from_secs(2), events: Some(&tx) };
        let mut calls = 0;
        let r = retry(lag, not_visible_yet, || {
            calls += 1;
            let result = if calls < 3 { Err(no_such()) } else { Ok(()) };
            async move { result }
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(calls, 3);
        assert!(matches!(rx.try_recv(), Ok(Event::Retrying { step: 3, attempt: 1, .. })));
        let r = retry(lag, not_visible_yet, || async { Err(no_such()) }).await;
        assert!(r.unwrap_err().is_no_such_entity());
        let other = retry(lag, not_visible_yet, || async { Err(AwsError::Throttled { action: "a".into() }) }).await;
        assert!(matches!(other, Err(AwsError::Throttled { .. })));
    }
}
