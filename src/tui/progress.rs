//! The run's view model: where the run of the plan stands and each step as the run screen shows it, with the
//! mapping from the engine's events and statuses written once here.

use super::remote::{Problem, one_line};
use crate::aws::AwsError;
use crate::engine::{Event, RollbackLog, Status, StepError};
use crate::plan::Plan;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the run of the plan stands.
#[derive(Debug, Default)]
pub enum Phase {
    #[default]
    NotStarted,
    Applying,
    /// Stopping on request: the running steps finish, then this run is rolled back or kept.
    Stopping {
        roll_back: bool,
    },
    /// Failed or interrupted: this run's writes wait for the user's choice.
    Failed(RollbackLog),
    RollingBack,
    Completed,
    RolledBack {
        errors: usize,
    },
    /// Failed, and the user chose to keep what it made.
    Kept,
}

/// A step as the run screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Running,
    Done(Status),
    Failed(String),
    Skipped,
    RolledBack,
}

#[derive(Debug, Clone)]
pub struct StepRun {
    pub state: StepState,
    pub started: Option<Instant>,
    pub elapsed: Option<Duration>,
}

/// One run of the plan.
#[derive(Debug, Default)]
pub struct Run {
    pub plan: Option<Arc<Plan>>,
    pub steps: Vec<StepRun>,
    pub phase: Phase,
    /// The failed step (if a step failed) and the failure.
    pub failure: Option<Failure>,
    pub notes: Vec<String>,
    /// The engine's id of this run (its resources are tagged with it), to verify a rollback.
    pub run_id: String,
    /// The access key this run made (its secret is in the session's custody), so its rollback settles it.
    pub key: Option<String>,
    /// Whether the session had written to the account before this run (what is true again if this run sent
    /// nothing).
    pub earlier_writes: bool,
}

impl Run {
    /// Take one of the engine's events: the only place its events become the run screen's states.
    pub fn on_event(&mut self, e: Event, now: Instant) {
        let run = self;
        let set = |run: &mut Run, i: usize, state: StepState| {
            if let Some(s) = run.steps.get_mut(i) {
                if let Some(t) = s.started {
                    s.elapsed = Some(now.saturating_duration_since(t));
                }
                s.state = state;
            }
        };
        match e {
            Event::Started(i) => {
                if let Some(s) = run.steps.get_mut(i) {
                    s.state = StepState::Running;
                    s.started = Some(now);
                    s.elapsed = Some(Duration::ZERO);
                }
            }
            Event::Retrying { step, attempt, .. } => {
                run.notes.push(format!("step {} not visible in IAM yet: try {}", step + 1, attempt + 1));
            }
            Event::Finished { step, status } => set(run, step, StepState::Done(status)),
            Event::Failed { step, error } => {
                let line = one_line(&error.to_string());
                set(run, step, StepState::Failed(line.clone()));
                if run.failure.is_none() {
                    // In words: the step, the whole message and, where AWS gave one, its request id (in it).
                    let what = run.plan.as_ref().map(|p| p.label(step).to_string()).unwrap_or_default();
                    let causes = crate::aws::error::plain(&error);
                    let mut detail = format!("Step {}: {what}\n\n{error}", step + 1);
                    if !causes.is_empty() && causes != error.to_string() {
                        detail.push_str(&format!("\n\nCauses: {causes}"));
                    }
                    let denied = matches!(error, StepError::Aws(AwsError::AccessDenied { .. }));
                    run.failure = Some(Failure { step: Some(step), line, detail, denied });
                }
            }
            Event::Skipped(i) => set(run, i, StepState::Skipped),
            Event::RollingBack => run.phase = Phase::RollingBack,
            Event::RolledBack(i) => set(run, i, StepState::RolledBack),
            Event::RollbackFailed { step, error } => {
                let what = run.plan.as_ref().map(|p| p.label(step).to_string());
                let what = what.unwrap_or_else(|| format!("step {}", step + 1));
                run.notes.push(format!("not undone: {what}: {}", one_line(&error.to_string())))
            }
            Event::Done => {}
        }
    }

    /// Whether the run is writing or undoing right now.
    pub fn active(&self) -> bool {
        matches!(self.phase, Phase::Applying | Phase::Stopping { .. } | Phase::RollingBack)
    }

    /// Whether a failed run waits for the user to roll back or keep (not when it wrote nothing to undo).
    pub fn awaiting_choice(&self) -> bool {
        matches!(&self.phase, Phase::Failed(log) if !log.is_empty())
    }

    /// Steps that write, and how many of them finished without failing (done: created, updated, unchanged).
    pub fn succeeded(&self) -> usize {
        let Some(plan) = &self.plan else { return 0 };
        (0..plan.steps.len())
            .filter(|i| plan.steps[*i].action.writes())
            .filter(|i| {
                matches!(self.steps.get(*i).map(|s| &s.state), Some(StepState::Done(s)) if !matches!(s, Status::Left | Status::Unknown))
            })
            .count()
    }

    /// Steps that write, and how many of them have ended.
    pub fn progress(&self) -> (usize, usize) {
        let Some(plan) = &self.plan else { return (0, 0) };
        let writes: Vec<usize> = (0..plan.steps.len()).filter(|i| plan.steps[*i].action.writes()).collect();
        let ended = writes
            .iter()
            .filter(|i| !matches!(self.steps.get(**i).map(|s| &s.state), Some(StepState::Pending | StepState::Running)))
            .count();
        (ended, writes.len())
    }
}

impl StepState {
    /// The engine's status for a step in this state (what a rollback starts from): a step that ran and did not
    /// finish counts as failed, one that never started as skipped.
    pub fn status(&self) -> Status {
        match self {
            StepState::Done(s) => *s,
            StepState::Failed(_) | StepState::Running => Status::Failed,
            StepState::RolledBack => Status::RolledBack,
            StepState::Pending | StepState::Skipped => Status::Skipped,
        }
    }
}

impl From<Status> for StepState {
    /// The engine's last word on a step, as the run screen shows it (for steps whose events were missed).
    fn from(status: Status) -> Self {
        match status {
            Status::Skipped => StepState::Skipped,
            Status::RolledBack => StepState::RolledBack,
            Status::Failed => StepState::Failed("failed".into()),
            other => StepState::Done(other),
        }
    }
}

/// Why the run did not complete.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The step that failed, if one did (not when the run failed as a whole or was stopped).
    pub step: Option<usize>,
    /// One plain line for the run screen.
    pub line: String,
    /// Everything known, for the details overlay.
    pub detail: String,
    /// IAM refused the caller (AccessDenied): the run screen offers manual mode.
    pub denied: bool,
}

impl Failure {
    /// The run as a whole failed with `problem`.
    pub fn of(problem: &Problem) -> Self {
        let denied = matches!(problem, Problem::Aws(AwsError::AccessDenied { .. }));
        Failure { step: None, line: problem.line(), detail: problem.detail(), denied }
    }

    /// The run was stopped on request before it completed.
    pub fn stopped() -> Self {
        Failure {
            step: None,
            line: "stopped on request".into(),
            detail: "The run was stopped before it completed.".into(),
            denied: false,
        }
    }
}
