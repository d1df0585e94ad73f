//! The exit report: what the shell is told when the wizard ends (nothing secret) and the exit code, derived
//! from the session: the run's phase and the custody of every new key.

use super::progress::{Phase, StepState};
use super::session::{self, Session};
use crate::engine::Status;
use crate::secret::custody::{KeyEnd, KeyOutcome};

/// What `tui::run` returns: the exit code and the lines printed to the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    pub code: u8,
    pub lines: Vec<String>,
    /// How each key made in this session ends (from the custody), for tests and callers that decide on it.
    pub keys: Vec<KeyOutcome>,
}

impl ExitReport {
    /// What the shell is told on exit (nothing secret), and the exit code: 0 only when the setup is in place
    /// (or nothing was written) and every new key is active with its secret delivered, or kept at the
    /// operator's word. The keys' part comes from the custody.
    pub fn of(s: &Session, signal: Option<i32>) -> ExitReport {
        let keys = s.custody.outcomes();
        let (code, head) = match (Self::run_verdict(s), Self::missing_key(s, &keys)) {
            ((0, _), Some(gap)) if s.wrote => {
                (1, format!("pinpoint-iam-wizard: every resource is in place but the access key: {gap}."))
            }
            ((code, head), _) if keys.iter().any(|k| k.end.orphaned()) || s.key_writes > 0 => (code.max(1), head),
            (verdict, _) => verdict,
        };
        let mut lines = vec![head];
        // Ended by a signal: say so, and let the code say it too, as a shell would for a killed process.
        let code = match signal {
            Some(n) => {
                lines.push(format!("pinpoint-iam-wizard: ended by signal {n}; the run was settled first."));
                u8::try_from(128 + n).unwrap_or(1)
            }
            None => code,
        };
        if s.wrote || s.plan.ready().is_some_and(|p| p.checked) {
            for r in &session::rows(s) {
                // The ARN names the resource; one line each, so the terminal's soft wrap keeps it whole to copy.
                lines.push(format!("  {:<12} {:<7} {}", r.status, r.kind, r.arn));
            }
        }
        lines.extend(keys.iter().map(|k| format!("  new access key {} of {} ({})", k.id, k.user, Self::key_end(s, k))));
        lines.extend(s.retired.iter().map(|r| format!("  {r}")));
        if s.key_writes > 0 {
            lines.push(
                "pinpoint-iam-wizard: quit before AWS answered a key rotation or retirement: list the user's keys \
                 (aws iam list-access-keys) to see what it did."
                    .into(),
            );
        }
        let undone = matches!(s.run.phase, Phase::RolledBack { errors: 0 });
        // Only when something of this run may remain: after a verified full rollback there is nothing to remove.
        if let Some(cmd) = session::destroy_command(s).filter(|_| s.wrote && !undone) {
            lines.push(format!("Remove it later with: {cmd}"));
        }
        ExitReport { code, lines, keys }
    }

    /// The exit code and first line the run's phase alone calls for.
    fn run_verdict(s: &Session) -> (u8, String) {
        let remaining =
            s.run.steps.iter().filter(|st| matches!(st.state, StepState::Done(Status::Left | Status::Unknown))).count();
        match &s.run.phase {
            _ if !s.wrote => (0, "Nothing was written to the account.".to_string()),
            Phase::RolledBack { .. } if remaining > 0 => (
                1,
                format!(
                    "pinpoint-iam-wizard: the run did not complete; {remaining} of its writes remain or could not be checked."
                ),
            ),
            Phase::Completed | Phase::NotStarted => (0, "pinpoint-iam-wizard: the setup is in place.".to_string()),
            Phase::RolledBack { errors: 0 } => {
                (1, "pinpoint-iam-wizard: the run did not complete and was rolled back.".to_string())
            }
            Phase::RolledBack { errors } => {
                (1, format!("pinpoint-iam-wizard: the run did not complete; {errors} step(s) could not be undone."))
            }
            Phase::Kept | Phase::Failed(_) => {
                (1, "pinpoint-iam-wizard: the run did not complete; what it made was kept.".to_string())
            }
            Phase::Applying | Phase::Stopping { .. } | Phase::RollingBack => (
                1,
                "pinpoint-iam-wizard: quit before the run settled; part of it may remain in the account.".to_string(),
            ),
        }
    }

    /// A user who got a key in this session and is left without one anyone can use, in words with the command
    /// that makes a new one.
    fn missing_key(s: &Session, keys: &[KeyOutcome]) -> Option<String> {
        // A key this session made is judged by its custody, never as an "old" key: a second rotation lists the
        // first new key among the keys it replaces, and that key may have been deleted since.
        let made_here = |id: &str| keys.iter().any(|k| k.id == id);
        let usable = |user: &str| {
            keys.iter().any(|k| k.user == user && matches!(k.end, KeyEnd::Delivered(_) | KeyEnd::KeptUnseen))
                || s.old_keys
                    .as_ref()
                    .is_some_and(|(u, old)| u == user && old.iter().any(|k| k.active && !made_here(&k.id)))
        };
        let lost = keys.iter().find(|k| !usable(&k.user))?;
        let what = match lost.end {
            KeyEnd::Deleted => format!("{}'s new key {} was deleted, its secret never shown", lost.user, lost.id),
            _ => format!("nobody has the secret of {}'s new key {}", lost.user, lost.id),
        };
        Some(match session::rotate_command(s, &lost.user) {
            Some(cmd) => format!("{what}; make a new one with: {cmd}"),
            None => what,
        })
    }

    /// How one new key ends, in words, with the command that deals with it.
    pub fn key_end(s: &Session, k: &KeyOutcome) -> String {
        let rotate = session::rotate_command(s, &k.user).unwrap_or_default();
        match &k.end {
            KeyEnd::Delivered(d) => {
                let ways: Vec<&str> = [(d.revealed, "revealed"), (d.copied, "copied"), (d.saved, "saved")]
                    .into_iter()
                    .filter_map(|(on, w)| on.then_some(w))
                    .collect();
                format!("active; its secret was shown once, in the wizard: {}", ways.join(", "))
            }
            KeyEnd::KeptUnseen => {
                format!("active, kept without its secret as you chose: nobody can use it; a new one: {rotate}")
            }
            KeyEnd::Unseen => format!(
                "active; its secret was never revealed, copied or saved: delete it (retire-key) and make a new one: \
                 {rotate}"
            ),
            KeyEnd::Deleted => "deleted: its secret was never shown (checked: the account no longer lists it)".into(),
            KeyEnd::MaybeActive => format!(
                "may still be active, its secret seen by no one: it could not be deleted or checked; delete it with \
                 retire-key --user {} --key {} (deactivate, then --delete)",
                k.user, k.id
            ),
        }
    }
}
