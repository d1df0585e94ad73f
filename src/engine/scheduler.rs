//! The scheduler: starts every step whose dependencies are done (longest chain first), stops starting steps
//! on a failure or an interruption, then rolls back and verifies. Apply and destroy plans run here alike.

use super::recheck::{self, Seen};
use super::rollback::{self, RollbackLog, Undo};
use super::step::{self, Done};
use super::{ApplyError, ApplyOptions, ApplyReport, Event, Status, StepError, destroy, new_run_id};
use crate::aws::iam::Iam;
use crate::plan::{Action, Mode, Plan, StepKind};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::{Id, JoinSet};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Running,
    Ok,
    Failed,
}

/// Why the plan must not run at all: it was not checked against the account, a conflict is not adopted, a
/// resource belongs to another tool, or (destroy) something keeps IAM from deleting ours.
fn refusal(plan: &Plan, opts: &ApplyOptions) -> Option<ApplyError> {
    if !plan.checked {
        return Some(ApplyError::NotChecked);
    }
    if !plan.blockers.is_empty() {
        return Some(ApplyError::Blocked(plan.blockers.clone()));
    }
    let named = |i: usize| plan.label(i).to_string();
    let owned: Vec<String> =
        plan.owned_elsewhere().map(|(i, owner)| format!("{} (ManagedBy={owner})", named(i))).collect();
    if !owned.is_empty() {
        return Some(ApplyError::OwnedElsewhere(owned));
    }
    let misplaced: Vec<String> =
        plan.misplaced().map(|i| format!("{}: {}", plan.label(i), plan.steps[i].reason)).collect();
    if !misplaced.is_empty() {
        return Some(ApplyError::Misplaced(misplaced));
    }
    let versions: Vec<String> = plan.foreign_versions().map(|i| plan.steps[i].reason.clone()).collect();
    if !versions.is_empty() {
        let named: Vec<String> =
            plan.foreign_versions().zip(versions).map(|(i, why)| format!("{}: {why}", plan.label(i))).collect();
        return Some(ApplyError::ForeignVersions(named));
    }
    let overflows = super::tags::overflows(plan, &opts.tags);
    if !overflows.is_empty() {
        return Some(ApplyError::TooManyTags(overflows));
    }
    let conflicts: Vec<String> = plan.conflicts().map(named).collect();
    (!conflicts.is_empty() && !opts.adopt).then_some(ApplyError::Conflicts(conflicts))
}

/// Run a plan's steps (independent ones at once). Refuses before any write as [`refusal`] says. On a failure
/// or an interruption no new step starts; what this run wrote is rolled back (unless `no_rollback`) and the
/// account is read again so the report says what exists now.
pub async fn execute(
    iam: &Iam,
    plan: Arc<Plan>,
    mut opts: ApplyOptions,
    events: UnboundedSender<Event>,
) -> Result<ApplyReport, ApplyError> {
    if let Some(refused) = refusal(&plan, &opts) {
        return Err(refused);
    }
    let run = opts.run_id.get_or_insert_with(new_run_id).clone();
    let opts = Arc::new(opts);
    let mut sched = Schedule::new(iam, plan.clone(), opts.clone(), events.clone());
    sched.run().await;
    let Schedule { statuses, undos, access_key, failure, interrupted, .. } = sched;
    let mut report = ApplyReport {
        statuses,
        access_key,
        failure,
        interrupted,
        rollback_errors: Vec::new(),
        rollback_log: RollbackLog::new(undos, run.clone()),
        verify_error: None,
        run_id: run,
    };
    // A destroy is always read back: its report says what is gone, verified, not what was asked.
    if !report.succeeded() || plan.mode == Mode::Destroy {
        settle(iam, &plan, &opts, &mut report, &events).await;
    }
    let _ = events.send(Event::Done);
    Ok(report)
}

/// After a failure or an interruption (or any destroy): roll back (or keep by choice, but never a key whose
/// secret this process does not hold), then read the account so each step's status is what is true now.
async fn settle(
    iam: &Iam,
    plan: &Plan,
    opts: &ApplyOptions,
    report: &mut ApplyReport,
    events: &UnboundedSender<Event>,
) {
    let log = std::mem::take(&mut report.rollback_log);
    let run = log.run().to_string();
    let (undo, kept) =
        if opts.no_rollback { log.split_unseen_keys() } else { (log, RollbackLog::new(vec![], run.clone())) };
    if !opts.no_rollback && !undo.is_empty() {
        let _ = events.send(Event::RollingBack);
        if iam.gave_up_on_an_attempt() {
            // A request the SDK gave up on and sent again may still land: let it, before undoing what it does,
            // or it would put back what the rollback removed (an adopt's tags on a user that is not ours).
            tokio::time::sleep(iam.unanswered_grace()).await;
        }
    }
    report.rollback_errors = rollback::roll_back(iam, undo, &mut report.statuses, events).await;
    report.rollback_log = kept;
    report.verify_error = rollback::verify(iam, plan, &run, &mut report.statuses, events).await.err().map(Box::new);
    let key_left = plan
        .steps
        .iter()
        .zip(&report.statuses)
        .any(|(s, st)| matches!(s.kind, StepKind::AccessKey(_)) && matches!(st, Status::Created | Status::Left));
    if !key_left {
        // The key was deleted with the rest: its secret is of no use to anyone, so drop (and zeroize) it.
        report.access_key = None;
    }
}

/// The state of one run of the scheduler.
struct Schedule<'a> {
    iam: &'a Iam,
    plan: Arc<Plan>,
    opts: Arc<ApplyOptions>,
    events: UnboundedSender<Event>,
    state: Vec<State>,
    statuses: Vec<Status>,
    undos: Vec<(usize, Undo)>,
    access_key: Option<crate::secret::NewAccessKey>,
    failure: Option<(usize, StepError)>,
    interrupted: bool,
    running: JoinSet<(usize, Result<Done, StepError>)>,
    task_steps: HashMap<Id, usize>,
    /// The `unchanged` steps read again, sent with the last writes.
    recheck: Option<tokio::task::JoinHandle<Vec<(usize, Seen)>>>,
}

impl<'a> Schedule<'a> {
    fn new(iam: &'a Iam, plan: Arc<Plan>, opts: Arc<ApplyOptions>, events: UnboundedSender<Event>) -> Self {
        let n = plan.steps.len();
        Schedule {
            iam,
            plan,
            opts,
            events,
            state: vec![State::Pending; n],
            statuses: vec![Status::Skipped; n],
            undos: Vec::new(),
            access_key: None,
            failure: None,
            interrupted: false,
            running: JoinSet::new(),
            task_steps: HashMap::new(),
            recheck: None,
        }
    }

    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    async fn run(&mut self) {
        // Without a token from the caller, one that nobody cancels.
        let cancel = self.opts.cancel.clone().unwrap_or_default();
        loop {
            // Interrupted: no new step starts. Steps already sent are waited for (each is bounded by the
            // operation timeout) rather than abandoned: a request already on the wire may still be carried out,
            // and a key or resource made after the rollback had looked would be left behind unseen.
            self.interrupted = self.interrupted || cancel.is_cancelled();
            if self.failure.is_none() && !self.interrupted {
                self.start_ready();
                self.recheck_with_the_last_round();
            }
            let joined = tokio::select! {
                joined = self.running.join_next() => joined,
                // Woken the moment the token is cancelled, even while every step waits on a hung endpoint.
                () = cancel.cancelled(), if !self.interrupted => continue,
            };
            let Some(joined) = joined else { break };
            self.finish(joined);
        }
        self.settle_recheck().await;
        for i in (0..self.state.len()).filter(|i| self.state[*i] == State::Pending) {
            self.emit(Event::Skipped(i));
        }
    }

    /// Once the last writes are sent (no step that writes waits to start), read the plan's `unchanged` steps
    /// again alongside them: a run with nothing to send has its plan's reading, just made, as its last round.
    fn recheck_with_the_last_round(&mut self) {
        let writes_waiting =
            (0..self.state.len()).any(|i| self.state[i] == State::Pending && self.plan.steps[i].action.writes());
        let last_round = !writes_waiting && self.state.contains(&State::Running);
        let any_unchanged = self.plan.steps.iter().any(|s| s.action == Action::Unchanged);
        if self.recheck.is_some() || self.plan.mode != Mode::Apply || !last_round || !any_unchanged {
            return;
        }
        let (iam, plan) = (self.iam.clone(), self.plan.clone());
        self.recheck = Some(tokio::spawn(async move { recheck::unchanged(&iam, &plan).await }));
    }

    /// A completed run takes what the read at the end found: `absent` for what is gone, `unknown` for what
    /// could not be read. After a failure or an interruption the settling reads the account instead.
    async fn settle_recheck(&mut self) {
        let Some(reads) = self.recheck.take() else { return };
        if self.failure.is_some() || self.interrupted {
            reads.abort();
            return;
        }
        // A read task that never answered (it cannot panic) leaves every unchanged step unverified.
        let unread = || (0..self.plan.steps.len()).filter(|i| self.plan.steps[*i].action == Action::Unchanged);
        let seen = match reads.await {
            Ok(seen) => seen,
            Err(_) => unread().map(|i| (i, Seen::Unread)).collect(),
        };
        for (i, seen) in seen {
            let status = match seen {
                Seen::There => continue,
                Seen::Gone => Status::Absent,
                Seen::Unread => Status::Unknown,
            };
            self.statuses[i] = status;
            self.emit(Event::Finished { step: i, status });
        }
    }

    /// Start every step whose dependencies are done; steps that send nothing finish at once and may unlock
    /// others.
    fn start_ready(&mut self) {
        let order = self.plan.critical_order();
        let mut progressed = true;
        while progressed {
            progressed = false;
            for &i in &order {
                let step = &self.plan.steps[i];
                let ready = self.state[i] == State::Pending && step.deps.iter().all(|d| self.state[*d] == State::Ok);
                if !ready {
                    continue;
                }
                self.emit(Event::Started(i));
                if let Some(status) = settled_without_writing(step.action) {
                    self.state[i] = State::Ok;
                    self.statuses[i] = status;
                    self.emit(Event::Finished { step: i, status });
                    progressed = true;
                } else {
                    self.spawn(i);
                }
            }
        }
    }

    fn spawn(&mut self, i: usize) {
        self.state[i] = State::Running;
        let (iam, plan, opts, events) = (self.iam.clone(), self.plan.clone(), self.opts.clone(), self.events.clone());
        let task = self.running.spawn(async move {
            let result = match (plan.steps[i].kind, plan.steps[i].action) {
                (StepKind::OldKey { .. }, _) => super::access_keys::run_old_key(&iam, &plan, i, &opts).await,
                (_, Action::Delete) => destroy::run_delete(&iam, &plan, i, &opts, &events).await.map_err(Into::into),
                _ => step::run_step(&iam, &plan, i, &opts, &events).await,
            };
            (i, result)
        });
        self.task_steps.insert(task.id(), i);
    }

    fn finish(&mut self, joined: Result<(usize, Result<Done, StepError>), tokio::task::JoinError>) {
        // A step task that panicked (it never does: no path in it can) is counted as failed with its possible
        // writes.
        let (i, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                let Some(i) = self.task_steps.get(&e.id()).copied() else { return };
                (i, Err(StepError::Aborted { step: self.plan.label(i).to_string(), reason: e.to_string() }))
            }
        };
        match result {
            Ok(d) => {
                self.undos.extend(d.undo.into_iter().map(|u| (i, u)));
                if d.key.is_some() {
                    self.access_key = d.key;
                }
                match d.failed {
                    Some(error) => self.failed(i, error),
                    None => {
                        self.state[i] = State::Ok;
                        self.statuses[i] = d.status;
                        self.emit(Event::Finished { step: i, status: d.status });
                    }
                }
            }
            Err(error) => {
                self.undos.extend(rollback::possible_writes(&self.plan, i).into_iter().map(|u| (i, u)));
                self.failed(i, error);
            }
        }
    }

    /// Step `i` failed: the run stops starting steps and settles.
    fn failed(&mut self, i: usize, error: StepError) {
        self.state[i] = State::Failed;
        self.statuses[i] = Status::Failed;
        self.emit(Event::Failed { step: i, error: error.clone() });
        self.failure.get_or_insert((i, error));
    }
}

/// The status of a step that sends nothing, or `None` for one that writes.
fn settled_without_writing(action: Action) -> Option<Status> {
    match action {
        Action::Unchanged => Some(Status::Unchanged),
        Action::Absent => Some(Status::Absent),
        Action::Keep => Some(Status::Kept),
        Action::Create | Action::Update | Action::Conflict | Action::NotChecked | Action::Delete => None,
    }
}
