//! The headless commands: the same engine as the wizard, with signals, consent and honest exit codes.

use super::output::{self, ApplyOut, DestroyOut, KeyOut, KeysOut, OldKeyOut, PlanOut};
use super::{
    ApplyArgs, Cli, CliError, Command, DestroyArgs, Format, RetireArgs, RotateArgs, SaveArgs, SetupArgs, apply_names,
    check_tags,
};
use crate::aws::analyzer::{self, Analysis};
use crate::aws::{Aws, AwsError, ConnectError, Connection, Identity};
use crate::engine::access_keys;
use crate::engine::{self, ApplyOptions, Event, Status};
use crate::plan::{self, Plan};
use crate::secret::{NewAccessKey, store};
use crate::setup::{AccountId, Params, Region};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Run a headless command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let conn = cli.connection();
    match cli.command {
        None => Err(CliError::Usage("no command: run without arguments for the wizard, or see --help".into())),
        Some(Command::Plan(args)) if args.destroy => run_plan_destroy(&conn, &args.setup).await,
        Some(Command::Plan(args)) => run_plan(&conn, &args.setup).await,
        Some(Command::Apply(args)) => run_apply(&conn, args).await,
        Some(Command::Destroy(args)) => run_destroy(&conn, args).await,
        Some(Command::RotateKey(args)) => run_rotate(&conn, args).await,
        Some(Command::RetireKey(args)) => run_retire(&conn, args).await,
        Some(Command::Export(args)) => super::export::run_export(&conn, args).await,
        Some(Command::Completions { shell }) => {
            output::deliver(&super::completion_script(shell)).map_err(|_| CliError::Quiet)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| CliError::Aws(format!("could not render the man page: {e}")))?;
            output::deliver(&buf).map_err(|_| CliError::Quiet)
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C, CI timeouts, `docker stop`, a closed SSH session): the first stops the
/// run and rolls back; a second one stops at once.
struct Signals {
    /// What a first signal does at this point of the command, as the line it prints says it.
    what: Arc<Mutex<&'static str>>,
    cancel: CancellationToken,
    first: Arc<AtomicI32>,
    first_seen: Arc<Notify>,
    again: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Signals {
    fn install(what: &'static str) -> Result<Signals, CliError> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut streams = Vec::new();
        // SIGQUIT (Ctrl-\\) too: by default it would dump core, and stop without settling the run.
        let kinds = [
            (SignalKind::interrupt(), 2),
            (SignalKind::terminate(), 15),
            (SignalKind::hangup(), 1),
            (SignalKind::quit(), 3),
        ];
        for (kind, n) in kinds {
            let s = signal(kind).map_err(|e| CliError::Aws(format!("cannot handle signals: {e}")))?;
            streams.push((s, n));
        }
        let cancel = CancellationToken::new();
        let first = Arc::new(AtomicI32::new(0));
        let again = Arc::new(Notify::new());
        let first_seen = Arc::new(Notify::new());
        let what = Arc::new(Mutex::new(what));
        let (c, f, a, seen, w) = (cancel.clone(), first.clone(), again.clone(), first_seen.clone(), what.clone());
        let task = tokio::spawn(async move {
            loop {
                let futs = streams.iter_mut().map(|(s, n)| {
                    let n = *n;
                    Box::pin(async move {
                        s.recv().await;
                        n
                    })
                });
                let (n, _, _) = futures::future::select_all(futs).await;
                // One task sees every signal, so the first is told from the second without a race.
                if c.is_cancelled() {
                    a.notify_one();
                } else {
                    f.store(n, Ordering::SeqCst);
                    // Said before anyone is woken: the command's final line (its error) must come after this one.
                    let what = *w.lock().unwrap_or_else(|p| p.into_inner());
                    crate::say!("Interrupted ({}): {what}. Interrupt again to stop at once.", signal_name(n));
                    c.cancel();
                    seen.notify_one();
                }
            }
        });
        Ok(Signals { what, cancel, first, first_seen, again, task })
    }

    /// From now on a first signal does this (the command moved on: from asking to writing, or to done).
    fn now(&self, what: &'static str) {
        *self.what.lock().unwrap_or_else(|p| p.into_inner()) = what;
    }

    /// The command ended by a signal before it wrote anything.
    fn before_any_write(&self) -> CliError {
        let n = self.fired().unwrap_or(2);
        CliError::Signal { signal: n, message: format!("interrupted by {}: nothing was written", signal_name(n)) }
    }

    fn fired(&self) -> Option<i32> {
        Some(self.first.load(Ordering::SeqCst)).filter(|n| *n != 0)
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn signal_name(n: i32) -> &'static str {
    match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        3 => "SIGQUIT",
        _ => "a signal",
    }
}

/// Placeholder used only until STS answers; never rendered into a document that is sent.
const UNKNOWN_ACCOUNT: &str = "000000000000";

fn placeholder_account() -> Result<AccountId, CliError> {
    Ok(AccountId::parse("--account-id", UNKNOWN_ACCOUNT)?)
}

fn params_from(args: &SetupArgs, region: Region) -> Result<Params, CliError> {
    let account = match &args.account_id {
        Some(a) => a.clone(),
        None => placeholder_account()?,
    };
    let mut params = args.params(account, region)?;
    params.prune_foreign_versions = args.prune_foreign_versions;
    if args.account_id.is_some() {
        params.check_boundary_owner()?;
    }
    Ok(params)
}

/// Set the account from STS, checking it against `--account-id`.
async fn resolve_account(aws: &Aws, params: &mut Params, given: Option<&AccountId>) -> Result<Identity, CliError> {
    let identity = aws.identity().await?;
    if let Some(given) = given
        && *given != identity.account
    {
        return Err(CliError::Usage(format!(
            "--account-id {given} does not match the account of these credentials ({}); \
             use the right --profile or drop --account-id",
            identity.account
        )));
    }
    params.account = identity.account.clone();
    params.check_boundary_owner()?;
    Ok(identity)
}

/// Before any write: whose account this is, as whom, and where the credentials came from.
fn banner(aws: &Aws, identity: &Identity) {
    crate::say!(
        "Account {} as {}\n  credentials: {}\n  endpoint: {}, Region {}",
        identity.account,
        identity.arn,
        aws.credential_source(),
        aws.endpoint,
        aws.region
    );
}

/// Ask on the terminal, while a signal can still end the command (nothing written yet).
async fn ask(signals: &Signals, prompt: &str) -> Result<bool, CliError> {
    let prompt = prompt.to_string();
    // A plain thread, not `spawn_blocking`: the runtime would wait for a read that never ends when a signal ends
    // the command first.
    let (tx, answer) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(confirm(&prompt));
    });
    tokio::select! {
        a = answer => Ok(a.unwrap_or(false)),
        () = signals.first_seen.notified() => Err(signals.before_any_write()),
    }
}

fn confirm(prompt: &str) -> bool {
    crate::say_inline!("{prompt} [y/N] ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && matches!(line.trim(), "y" | "Y" | "yes" | "YES")
}

fn require_consent(yes: bool, what: &str) -> Result<(), CliError> {
    if !yes && !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!("{what} changes your AWS account: pass --yes to run without a terminal")));
    }
    Ok(())
}

fn plan_error(e: plan::PlanError) -> CliError {
    match e {
        plan::PlanError::Setup(e) => e.into(),
        plan::PlanError::Aws(e) => e.into(),
    }
}

/// Read the account and plan: STS goes out together with the reads that do not need the account id (one round
/// trip), then the policies are read by their ARNs where they exist.
async fn read_plan(aws: &Aws, params: &mut Params, given: Option<&AccountId>) -> Result<(Identity, Plan), CliError> {
    let desired = params.desired()?;
    let (identity, found) = tokio::join!(resolve_account(aws, params, given), plan::look_up(&aws.iam, &desired));
    let identity = identity?;
    let found = found.map_err(CliError::from)?;
    let plan = plan::decide(&aws.iam, params, found).await.map_err(plan_error)?;
    Ok((identity, plan))
}

/// Print the plan; standard output that went away ends the command quietly.
fn print_plan(plan: &Plan, format: Format, note: Option<&str>, analysis: &Analysis) -> Result<(), CliError> {
    let delivered = match format {
        Format::Json => output::deliver_json(&PlanOut::new(plan, note, analysis)),
        Format::Text => output::deliver(output::plan_text(plan, note, Some(analysis)).as_bytes()),
    };
    delivered.map_err(|_| CliError::Quiet)
}

/// Offline, Access Analyzer cannot be asked either.
fn offline_analysis() -> Analysis {
    Analysis::NotConsulted("the account was not read (offline)".into())
}

async fn run_plan(conn: &Connection, args: &SetupArgs) -> Result<(), CliError> {
    // --account-id with no credentials or no network: plan offline, every step not checked.
    let aws = match Aws::load(conn).await {
        Ok(aws) => aws,
        Err(ConnectError::Aws(AwsError::NoRegion)) if args.account_id.is_some() => {
            let params = params_from(args, Region::parse("--region", "us-east-1")?)?;
            let plan = plan::offline(&params)?;
            let note = Some("no Region configured: us-east-1 assumed; pass --region");
            return print_plan(&plan, args.format, note, &offline_analysis());
        }
        Err(e) => return Err(e.into()),
    };
    let mut params = params_from(args, aws.region.clone())?;
    let desired = params.desired()?;
    let (identity, found) =
        tokio::join!(resolve_account(&aws, &mut params, args.account_id.as_ref()), plan::look_up(&aws.iam, &desired));
    match identity {
        Ok(_) => {
            // Access Analyzer reads the documents while IAM is read: it adds no round trip to the plan.
            let checked = params.desired()?;
            let (live, analysis) =
                tokio::join!(plan::decide(&aws.iam, &params, found?), analyzer::validate(&aws, &checked));
            print_plan(&live.map_err(plan_error)?, args.format, None, &analysis)
        }
        // No credentials or no network, and the account id given: the plan is made offline.
        Err(CliError::Aws(m)) if args.account_id.is_some() => {
            let plan = plan::offline(&params)?;
            print_plan(&plan, args.format, Some(&format!("the account was not read: {m}")), &offline_analysis())
        }
        Err(e) => Err(e),
    }
}

/// `plan --destroy`: what `destroy` would delete, and what would keep it from deleting anything.
async fn run_plan_destroy(conn: &Connection, args: &SetupArgs) -> Result<(), CliError> {
    let aws = Aws::load(conn).await?;
    // As destroy itself: the names only, no bucket or project (no document is rendered).
    let mut params = Params::new(args.setup, placeholder_account()?, aws.region.clone());
    args.guard.apply_to(&mut params);
    apply_names(&mut params, &args.names)?;
    params.check_names()?;
    resolve_account(&aws, &mut params, args.account_id.as_ref()).await?;
    let plan = engine::plan_destroy(&aws.iam, &params).await.map_err(plan_error)?;
    let analysis = Analysis::NotConsulted("destroy writes no document".into());
    print_plan(&plan, args.format, None, &analysis)
}

/// Refuse, before any AWS call, a save that could not be done once the key exists: one that would overwrite
/// something, or a destination that cannot take a file.
fn check_save(save: &SaveArgs) -> Result<(), CliError> {
    if let Some(path) = &save.save_csv {
        store::check_csv_destination(path).map_err(|e| save_refused("--save-csv", e))?;
    }
    if let Some(profile) = &save.save_profile {
        let path = store::credentials_path().map_err(|e| save_refused("--save-profile", e))?;
        store::check_profile_destination(&path, profile, save.overwrite_profile)
            .map_err(|e| save_refused("--save-profile", e))?;
    }
    Ok(())
}

/// A save refused before any write, naming the option and what resolves it.
fn save_refused(option: &str, e: store::SaveError) -> CliError {
    use store::SaveError as E;
    CliError::Usage(match e {
        E::FileExists { path } => format!(
            "{option} {}: something exists at that path, and a key file is never overwritten; choose another path",
            path.display()
        ),
        E::ProfileExists { profile, path } => format!(
            "{option} {profile}: the profile exists in {}; pass --overwrite-profile to replace it, or choose another \
             name",
            path.display()
        ),
        e => format!("{option}: {e}"),
    })
}

/// Save a new key where the user asked; returns what was written, for the output.
fn save_key(save: &SaveArgs, key: &NewAccessKey) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    if let Some(profile) = &save.save_profile {
        let path = store::credentials_path().map_err(|e| e.to_string())?;
        store::save_profile(&path, profile, key, save.overwrite_profile).map_err(|e| e.to_string())?;
        done.push(format!("saved as profile [{profile}] in {}", path.display()));
    }
    if let Some(path) = &save.save_csv {
        store::save_csv(path, key).map_err(|e| e.to_string())?;
        done.push(format!("saved to {} (mode 0600)", path.display()));
    }
    Ok(done)
}

/// What the event printer knows of the run, for a stop at once (second interrupt).
#[derive(Default)]
struct Known {
    written: Vec<usize>,
}

fn print_event(plan: &Plan, known: &Mutex<Known>, e: &Event) {
    let name = |i: usize| {
        let l = plan.label(i);
        format!("{} {}", l.kind, l.name)
    };
    let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
    match e {
        Event::Started(i) if plan.steps[*i].action.writes() => {
            known.written.push(*i);
            crate::say!("  … {}", name(*i));
        }
        Event::Retrying { step, attempt, .. } => {
            crate::say!("  ↻ {} (not visible yet in IAM, try {})", name(*step), attempt + 1)
        }
        Event::Finished { step, status } if *status != Status::Unchanged => {
            if *status == Status::RolledBack {
                known.written.retain(|w| w != step);
            }
            crate::say!("  ✓ {} {}", name(*step), status.as_str())
        }
        Event::Failed { step, error } => crate::say!("  ✗ {} failed: {error}", name(*step)),
        Event::RollingBack => crate::say!("Rolling back what this run created…"),
        Event::RolledBack(i) => {
            known.written.retain(|w| w != i);
            crate::say!("  ↶ {} rolled back", name(*i));
        }
        Event::RollbackFailed { step, error } => crate::say!("  ✗ rollback of {} failed: {error}", name(*step)),
        _ => {}
    }
}

async fn run_apply(conn: &Connection, args: ApplyArgs) -> Result<(), CliError> {
    require_consent(args.yes, "apply")?;
    check_tags(&args.tags)?;
    check_save(&args.save)?;
    // Signals are ours from the start: before the first write they end the command with a message (and the
    // JSON) rather than silently; after it they stop the run and roll it back.
    let signals = Signals::install("stopping: nothing has been written")?;
    let prepare = async {
        let aws = Aws::load(conn).await?;
        let mut params = params_from(&args.setup, aws.region.clone())?;
        let (identity, plan) = read_plan(&aws, &mut params, args.setup.account_id.as_ref()).await?;
        Ok::<_, CliError>((aws, params, identity, Arc::new(plan)))
    };
    let (aws, params, identity, plan) = tokio::select! {
        r = prepare => r?,
        () = signals.first_seen.notified() => return Err(signals.before_any_write()),
    };
    banner(&aws, &identity);
    if !args.yes {
        crate::say_inline!("{}", output::plan_text(&plan, None, None));
        if plan.writes() == 0 {
            crate::say!("Nothing to change.");
        } else if !ask(&signals, "Apply these changes?").await? {
            return Err(CliError::Cancelled { command: "apply" });
        }
    }
    let run_id = engine::new_run_id();
    let opts = ApplyOptions {
        adopt: args.adopt,
        no_rollback: args.no_rollback,
        tags: args.tags.clone(),
        consistency_wait: Some(conn.timeouts.iam_lag),
        cancel: Some(signals.cancel.clone()),
        run_id: Some(run_id.clone()),
    };
    signals.now("stopping: no new step starts, and what this run wrote is rolled back");
    let mut report = execute(&aws, &plan, opts, &signals).await?;
    // The run is settled: a signal from now on changes nothing it did.
    signals.now("the run had already ended; nothing more is changed");
    let interrupted = report.interrupted.then(|| signals.fired().unwrap_or(2));
    let existing_key = plan
        .steps
        .iter()
        .find(|s| matches!(s.kind, plan::StepKind::AccessKey(_)) && s.action == plan::Action::Unchanged)
        .map(|s| s.reason.clone());
    let (saved, save_error) = match &report.access_key {
        Some(k) => match save_key(&args.save, k) {
            Ok(s) => (s, None),
            Err(e) => (vec![], Some(e)),
        },
        None => (vec![], None),
    };
    let error = failure_message(&plan, &report, args.no_rollback, interrupted)
        .or_else(|| save_error.as_ref().map(|e| format!("the key was created and is shown, but saving it failed: {e}")))
        .or_else(|| vanished_message(&plan, &report));
    let delivered = match args.setup.format {
        Format::Json => output::deliver_json(&ApplyOut {
            account_id: params.account.as_str(),
            region: params.region.as_str(),
            setup: params.setup.as_str(),
            run_id: &report.run_id,
            resources: output::resources(&plan, &report.statuses),
            access_key: report.access_key.as_ref().map(|k| KeyOut::new(k, args.save.prints_secret(&saved))),
            note: existing_key.clone(),
            saved: saved.clone(),
            error: error.clone(),
            calls: aws.calls.get(),
        }),
        Format::Text => {
            let rows: Vec<[String; 4]> = (0..plan.steps.len())
                .map(|i| {
                    let l = plan.label(i);
                    [l.kind.to_string(), l.name, report.statuses[i].as_str().to_string(), l.arn]
                })
                .collect();
            let mut text = zeroize::Zeroizing::new(output::table(&["KIND", "NAME", "STATUS", "ARN"], &rows));
            if let Some(k) = &report.access_key {
                text.push_str(&output::key_text(k, args.save.prints_secret(&saved)));
            }
            for s in &saved {
                text.push_str(&format!("Key {s}.\n"));
            }
            if let Some(note) = &existing_key {
                text.push_str(&format!("Note: {note}\n"));
            }
            if report.succeeded() {
                // What the read at the end found gone or could not read is no change of this run.
                let changed = report.statuses.iter().filter(|s| matches!(s, Status::Created | Status::Updated)).count();
                text.push_str(&format!("{changed} change(s), {} AWS call(s)\n", aws.calls.get()));
            }
            output::deliver(text.as_bytes())
        }
    };
    // A saved secret was delivered: standard output failing then loses nothing.
    if let Err(e) = &delivered
        && report.access_key.is_some()
        && saved.is_empty()
    {
        // The secret never reached anyone: a key nobody saw must not stay.
        return Err(undeliverable(&aws, &plan, &mut report, args.no_rollback, e, &run_id).await);
    }
    if let Some(n) = interrupted {
        return Err(CliError::Signal { signal: n, message: error.unwrap_or_else(|| "interrupted".into()) });
    }
    match (error, delivered) {
        (Some(e), _) => Err(CliError::Aws(e)),
        (None, Err(_)) => Err(CliError::Quiet),
        (None, Ok(())) => Ok(()),
    }
}

/// Run a plan through the executor, printing progress as it happens. The first signal stops new steps (the
/// executor rolls back or reads back what exists); a second one stops at once, saying what may exist.
async fn execute(
    aws: &Aws,
    plan: &Arc<Plan>,
    opts: ApplyOptions,
    signals: &Signals,
) -> Result<engine::ApplyReport, CliError> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run_id = opts.run_id.clone().unwrap_or_default();
    let known = Arc::new(Mutex::new(Known::default()));
    let printer = {
        let (plan, known) = (plan.clone(), known.clone());
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                print_event(&plan, &known, &e);
            }
        })
    };
    let result = tokio::select! {
        r = engine::execute(&aws.iam, plan.clone(), opts, tx) => r,
        () = signals.again.notified() => {
            return Err(stopped_at_once(plan, &known, &run_id, signals.fired().unwrap_or(2)));
        }
    };
    let _ = printer.await;
    result.map_err(refused)
}

/// The executor refused before any write: because of the account's state as read, so exit 2.
fn refused(e: engine::ApplyError) -> CliError {
    match e {
        engine::ApplyError::Conflicts(_) => {
            CliError::Usage(format!("{e}; pass --adopt to take them over, or --name OPTION=NAME to rename ours"))
        }
        engine::ApplyError::OwnedElsewhere(_) => {
            CliError::Usage(format!("{e}; pass --name OPTION=NAME to give ours other names"))
        }
        e => CliError::Usage(e.to_string()),
    }
}

/// The run's failure in words that say what exists now.
fn failure_message(
    plan: &Plan,
    report: &engine::ApplyReport,
    no_rollback: bool,
    signal: Option<i32>,
) -> Option<String> {
    if report.succeeded() {
        return None;
    }
    let mut msg = match (&report.failure, signal) {
        (Some((i, e)), _) => format!("{} {} failed: {e}", plan.label(*i).kind, plan.label(*i).name),
        (None, Some(n)) => format!("interrupted by {}", signal_name(n)),
        (None, None) => "interrupted".to_string(),
    };
    let left: Vec<String> = report
        .statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Status::Left | Status::Created | Status::Updated))
        .map(|(i, _)| format!("{} {}", plan.label(i).kind, plan.label(i).name))
        .collect();
    let unknown = report.statuses.iter().filter(|s| **s == Status::Unknown).count();
    if let Some(e) = &report.verify_error {
        msg.push_str(&format!(
            ". The account could not be read afterwards ({e}): {unknown} write(s) of this run may remain; \
             run `plan` to see, and `destroy` to remove what this tool created"
        ));
    } else if left.is_empty() {
        msg.push_str(". Nothing this run wrote remains (verified by reading the account)");
    } else if no_rollback {
        msg.push_str(&format!(". Kept by --no-rollback (verified): {}", left.join(", ")));
    } else {
        msg.push_str(&format!(
            ". The rollback left (verified): {}; `destroy` removes what this tool created",
            left.join(", ")
        ));
    }
    if let Some(key) = unmarked_key(plan, report) {
        msg.push_str(&format!(
            ". Access key {id} of {user} could be neither tagged nor deleted: its secret is shown below, and it is \
             not marked as this tool's, so `destroy` leaves it; delete it with `aws iam delete-access-key \
             --user-name {user} --access-key-id {id}` once unused, or take it over with `retire-key --adopt`",
            id = key.access_key_id,
            user = key.user_name
        ));
    }
    Some(msg)
}

/// The new key a failed run still holds because its tagging failed and its delete failed too (the engine
/// hands such a key back rather than lose its secret): it exists without this tool's marker.
fn unmarked_key<'a>(plan: &Plan, report: &'a engine::ApplyReport) -> Option<&'a crate::secret::NewAccessKey> {
    let (i, _) = report.failure.as_ref()?;
    matches!(plan.steps[*i].kind, plan::StepKind::AccessKey(_)).then_some(())?;
    report.access_key.as_ref()
}

/// A completed apply whose read at the end found gone what the plan had found in place (a concurrent
/// destroy, or a hand): the setup is not complete, whatever this run wrote.
fn vanished_message(plan: &Plan, report: &engine::ApplyReport) -> Option<String> {
    let gone: Vec<String> = (0..plan.steps.len())
        .filter(|i| plan.steps[*i].action == plan::Action::Unchanged && report.statuses[*i] == Status::Absent)
        .map(|i| plan.label(i).to_string())
        .collect();
    (!gone.is_empty()).then(|| {
        format!(
            "{} {} in place when planned and {} gone when read at the end of the run (removed meanwhile, e.g. by a \
             destroy): run apply again to restore {}",
            gone.join(", "),
            if gone.len() == 1 { "was" } else { "were" },
            if gone.len() == 1 { "is" } else { "are" },
            if gone.len() == 1 { "it" } else { "them" },
        )
    })
}

/// Standard output failed with the secret in it: delete the key (and, unless --no-rollback, the whole run).
async fn undeliverable(
    aws: &Aws,
    plan: &Arc<Plan>,
    report: &mut engine::ApplyReport,
    no_rollback: bool,
    e: &std::io::Error,
    run_id: &str,
) -> CliError {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    report.access_key = None;
    let log = std::mem::take(&mut report.rollback_log);
    let what = if no_rollback { "the access key" } else { "everything this run created" };
    crate::say!("error: the secret could not be written to standard output ({e}): deleting {what}…");
    let log = if no_rollback { log.only_access_keys() } else { log };
    let errors = engine::roll_back(&aws.iam, log, &mut report.statuses, &tx).await;
    let verified = engine::verify(&aws.iam, plan, run_id, &mut report.statuses, &tx).await;
    let key_left =
        plan.steps.iter().zip(&report.statuses).any(|(s, st)| {
            matches!(s.kind, plan::StepKind::AccessKey(_)) && matches!(st, Status::Left | Status::Created)
        });
    let msg = match (errors.is_empty() && verified.is_ok(), key_left) {
        (true, false) => {
            format!(
                "the secret could not be delivered ({e}); the access key was deleted (verified), and {what} is gone"
            )
        }
        _ => format!(
            "the secret could not be delivered ({e}) and deleting the key failed: delete it now with \
             `destroy --setup {}` or in the IAM console",
            plan.params.setup
        ),
    };
    CliError::Aws(msg)
}

/// A second interrupt: say what may exist and stop without waiting for AWS.
fn stopped_at_once(plan: &Plan, known: &Mutex<Known>, run_id: &str, signal: i32) -> CliError {
    let known = known.lock().unwrap_or_else(|p| p.into_inner());
    let names: Vec<String> = known
        .written
        .iter()
        .map(|i| {
            let l = plan.label(*i);
            format!("{} {}", l.kind, l.name)
        })
        .collect();
    let message = if names.is_empty() {
        "stopped at once: this run had written nothing".to_string()
    } else if plan.mode == plan::Mode::Destroy {
        format!(
            "stopped at once: these deletes were under way and may or may not have happened: {}. Run `pinpoint-iam-wizard \
             destroy --setup {}` again to finish (`plan --destroy` shows what is left)",
            names.join(", "),
            plan.params.setup
        )
    } else {
        format!(
            "stopped at once, before the rollback finished: these may exist (run {run_id}): {}. Remove them with \
             `pinpoint-iam-wizard destroy --setup {} --yes` (only what this tool created is deleted)",
            names.join(", "),
            plan.params.setup
        )
    };
    CliError::Signal { signal, message }
}

/// Ask, on a terminal, which key a rotation deletes first (at AWS's two keys) and whether to go on.
async fn ask_rotate(aws: &Aws, user: &str, mut delete_first: Option<String>) -> Result<Option<String>, CliError> {
    if delete_first.is_none() {
        let current = access_keys::keys(&aws.iam, user).await.map_err(rotate_error)?;
        if current.len() >= 2 {
            crate::say!("{user} has two access keys, AWS's maximum: one must be deleted first.");
            for k in &current {
                crate::say!("  {} ({})", k.id, if k.active { "active" } else { "inactive" });
            }
            crate::say_inline!("Access key id to delete: ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| CliError::Usage(e.to_string()))?;
            // No answer is no choice: the rotation cannot go on without one.
            let choice = Some(line.trim().to_string()).filter(|s| !s.is_empty());
            delete_first = Some(choice.ok_or(CliError::Cancelled { command: "rotate-key" })?);
        }
    }
    if !confirm(&format!("Create a new access key for {user}?")) {
        return Err(CliError::Cancelled { command: "rotate-key" });
    }
    Ok(delete_first)
}

/// Plan a key command (every refusal before any write) and run it through the executor, as apply runs its
/// plan: signals, progress, rollback and verification alike.
async fn run_key_plan(
    conn: &Connection,
    aws: &Aws,
    req: access_keys::KeyRequest,
    signals: &Signals,
) -> Result<(Arc<Plan>, engine::ApplyReport), CliError> {
    let plan = tokio::select! {
        p = access_keys::plan_keys(&aws.iam, &aws.region, &req) => Arc::new(p.map_err(rotate_error)?),
        () = signals.first_seen.notified() => return Err(signals.before_any_write()),
    };
    let opts = ApplyOptions {
        adopt: req.adopt == access_keys::Adopt::Yes,
        consistency_wait: Some(conn.timeouts.iam_lag),
        cancel: Some(signals.cancel.clone()),
        run_id: Some(engine::new_run_id()),
        ..Default::default()
    };
    signals.now("stopping: no new step starts, and what this run wrote (a new key too) is undone");
    let report = execute(aws, &plan, opts, signals).await?;
    signals.now("the command had already ended; nothing more is changed");
    Ok((plan, report))
}

/// A key command that did not complete, in words that say what exists now (read back).
fn key_failure(plan: &Plan, report: &engine::ApplyReport, signal: Option<i32>) -> Option<String> {
    if report.succeeded() {
        return None;
    }
    let mut msg = match (&report.failure, signal) {
        (Some((i, e)), _) => format!("{} failed: {e}", plan.label(*i)),
        (None, Some(n)) => format!("interrupted by {}", signal_name(n)),
        (None, None) => "interrupted".to_string(),
    };
    let named = |wanted: &[Status]| -> Vec<String> {
        (0..plan.steps.len())
            .filter(|i| wanted.contains(&report.statuses[*i]))
            .map(|i| plan.label(i).to_string())
            .collect()
    };
    let new_key_gone = plan.steps.iter().zip(&report.statuses).any(|(s, st)| {
        matches!(s.kind, plan::StepKind::AccessKey(_)) && matches!(st, Status::RolledBack | Status::Failed)
    });
    if let Some(e) = &report.verify_error {
        msg.push_str(&format!(". The user could not be read afterwards ({e}): list its keys before trying again"));
        return Some(msg);
    }
    if new_key_gone {
        msg.push_str(". The new key was deleted (verified) before its secret was shown");
    }
    let deleted = named(&[Status::Deleted]);
    if !deleted.is_empty() {
        msg.push_str(&format!(". Deleted (verified; a delete cannot be undone): {}", deleted.join(", ")));
    }
    let left = named(&[Status::Left, Status::Created, Status::Updated]);
    if left.is_empty() {
        msg.push_str(". Nothing else this run wrote remains (verified by reading the account)");
    } else {
        msg.push_str(&format!(". Still there (verified): {}", left.join(", ")));
    }
    Some(msg)
}

/// What a key command's report says, besides the plan and the executor's report.
#[derive(Default)]
struct KeyFacts<'a> {
    key: Option<&'a NewAccessKey>,
    with_secret: bool,
    old_keys: Vec<OldKeyOut>,
    saved: Vec<String>,
    error: Option<String>,
}

/// `--format json` of rotate-key and retire-key: one shape, apply's rows and run id with the key facts.
fn keys_json(aws: &Aws, plan: &Plan, report: &engine::ApplyReport, facts: &KeyFacts) -> std::io::Result<()> {
    let with = |action, status| access_keys::old_keys_with(plan, &report.statuses, action, status);
    output::deliver_json(&KeysOut {
        account_id: plan.params.account.as_str(),
        region: plan.params.region.as_str(),
        user_name: plan.desired.users[0].name.as_str(),
        run_id: &report.run_id,
        resources: output::resources(plan, &report.statuses),
        access_key: facts.key.map(|k| KeyOut::new(k, facts.with_secret)),
        deleted: with(plan::Action::Delete, Status::Deleted).into_iter().next(),
        adopted: access_keys::adopted(plan),
        deactivated: with(plan::Action::Update, Status::Updated),
        old_keys: facts
            .old_keys
            .iter()
            .map(|k| OldKeyOut { access_key_id: k.access_key_id.clone(), active: k.active })
            .collect(),
        saved: facts.saved.clone(),
        error: facts.error.clone(),
        calls: aws.calls.get(),
    })
}

async fn run_rotate(conn: &Connection, args: RotateArgs) -> Result<(), CliError> {
    require_consent(args.yes, "rotate-key")?;
    check_save(&args.save)?;
    let aws = Aws::load(conn).await?;
    let identity = aws.identity().await?;
    banner(&aws, &identity);
    let user = args.user.as_str();
    super::guard::check_user(&aws.iam, user, &args.guard).await?;
    let delete_first = match args.yes {
        true => args.delete_key.clone(),
        false => ask_rotate(&aws, user, args.delete_key.clone()).await?,
    };
    let signals = Signals::install("stopping: nothing has been written")?;
    let op = access_keys::KeyOp::Rotate { delete_first, deactivate_old: args.deactivate_old };
    let req = access_keys::KeyRequest { user: user.to_string(), op, adopt: adopt(args.adopt) };
    let (plan, mut report) = run_key_plan(conn, &aws, req, &signals).await?;
    let interrupted = report.interrupted.then(|| signals.fired().unwrap_or(2));
    if let Some(error) = key_failure(&plan, &report, interrupted) {
        let facts = KeyFacts { error: Some(error.clone()), ..KeyFacts::default() };
        if args.format == Format::Json {
            let _ = keys_json(&aws, &plan, &report, &facts);
        }
        return Err(match interrupted {
            Some(signal) => CliError::Signal { signal, message: error },
            None => CliError::Aws(error),
        });
    }
    let rotation = access_keys::rotation(&plan, &mut report).map_err(rotate_error)?;
    let saved = save_key(&args.save, &rotation.key);
    let delivered = deliver_rotation(&aws, &plan, &report, &rotation, &args, &saved);
    let saved = saved.unwrap_or_default();
    if let Err(e) = delivered
        && saved.is_empty()
    {
        let id = rotation.key.access_key_id.clone();
        drop(rotation);
        return Err(undo_undelivered(&aws, &plan, &mut report, &id, &e).await);
    }
    Ok(())
}

/// Print a completed rotation (the secret, unless saved and not asked for) and save it where asked.
fn deliver_rotation(
    aws: &Aws,
    plan: &Plan,
    report: &engine::ApplyReport,
    rotation: &access_keys::Rotation,
    args: &RotateArgs,
    saved: &Result<Vec<String>, String>,
) -> std::io::Result<()> {
    let deactivated = access_keys::old_keys_with(plan, &report.statuses, plan::Action::Update, Status::Updated);
    let error = saved.as_ref().err().map(|e| format!("the key was created and is shown, but saving it failed: {e}"));
    let saved = saved.clone().unwrap_or_default();
    let with_secret = args.save.prints_secret(&saved);
    let user = args.user.as_str();
    match args.format {
        Format::Json => {
            let old_keys = rotation
                .old
                .iter()
                .map(|k| OldKeyOut { access_key_id: k.id.clone(), active: k.active && !deactivated.contains(&k.id) })
                .collect();
            let facts = KeyFacts { key: Some(&rotation.key), with_secret, old_keys, saved, error };
            keys_json(aws, plan, report, &facts)
        }
        Format::Text => {
            let mut text = zeroize::Zeroizing::new(adopted_text(&rotation.adopted));
            if let Some(d) = &rotation.deleted_first {
                text.push_str(&format!("Deleted access key {d}.\n"));
            }
            text.push_str(&output::key_text(&rotation.key, with_secret));
            for k in &rotation.old {
                if deactivated.contains(&k.id) {
                    text.push_str(&format!(
                        "Old key {} deactivated; delete it once nothing uses it: retire-key --user {user} --key {} --delete\n",
                        k.id, k.id
                    ));
                } else {
                    text.push_str(&format!(
                        "Old key {} is still active: retire-key --user {user} --key {} deactivates it\n",
                        k.id, k.id
                    ));
                }
            }
            for s in &saved {
                text.push_str(&format!("Key {s}.\n"));
            }
            if let Some(e) = &error {
                text.push_str(&format!("Error: {e}\n"));
            }
            output::deliver(text.as_bytes())
        }
    }
}

/// Standard output failed with the new secret in it, and it was saved nowhere: undo the rotation's writes
/// (the new key first of all) and read the user back to say whether the key is gone.
async fn undo_undelivered(
    aws: &Aws,
    plan: &Plan,
    report: &mut engine::ApplyReport,
    id: &str,
    e: &std::io::Error,
) -> CliError {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let log = std::mem::take(&mut report.rollback_log);
    let errors = engine::roll_back(&aws.iam, log, &mut report.statuses, &tx).await;
    let verified = engine::verify(&aws.iam, plan, &report.run_id, &mut report.statuses, &tx).await;
    let gone = plan
        .steps
        .iter()
        .zip(&report.statuses)
        .any(|(s, st)| matches!(s.kind, plan::StepKind::AccessKey(_)) && *st == Status::RolledBack);
    let user = plan.desired.users[0].name.as_str();
    CliError::Aws(match (errors.is_empty() && verified.is_ok(), gone) {
        (_, true) => format!(
            "the secret could not be written to standard output ({e}): the new access key {id} was deleted (verified)"
        ),
        _ => format!(
            "the secret could not be written to standard output ({e}) and deleting the new key {id} failed: \
             deactivate it with `retire-key --user {user} --key {id}`, then delete it with the same and `--delete`"
        ),
    })
}

async fn run_retire(conn: &Connection, args: RetireArgs) -> Result<(), CliError> {
    require_consent(args.yes, "retire-key")?;
    let aws = Aws::load(conn).await?;
    let identity = aws.identity().await?;
    banner(&aws, &identity);
    let verb = if args.delete { "Delete" } else { "Deactivate" };
    if !args.yes && !confirm(&format!("{verb} access key {} of {}?", args.key, args.user)) {
        return Err(CliError::Cancelled { command: "retire-key" });
    }
    let signals = Signals::install("stopping: nothing has been written")?;
    let op = access_keys::KeyOp::Retire { id: args.key.clone(), delete: args.delete };
    let req = access_keys::KeyRequest { user: args.user.to_string(), op, adopt: adopt(args.adopt) };
    let (plan, report) = run_key_plan(conn, &aws, req, &signals).await?;
    let interrupted = report.interrupted.then(|| signals.fired().unwrap_or(2));
    let error = key_failure(&plan, &report, interrupted);
    let delivered = match args.format {
        Format::Json => keys_json(&aws, &plan, &report, &KeyFacts { error: error.clone(), ..KeyFacts::default() }),
        Format::Text if error.is_none() => {
            let mut done = adopted_text(&access_keys::adopted(&plan));
            let verb = if args.delete { "Deleted" } else { "Deactivated" };
            done.push_str(&format!("{verb} access key {} of {}.\n", args.key, args.user));
            output::deliver(done.as_bytes())
        }
        Format::Text => Ok(()),
    };
    match (error, interrupted, delivered) {
        (Some(message), Some(signal), _) => Err(CliError::Signal { signal, message }),
        (Some(message), None, _) => Err(CliError::Aws(message)),
        (None, _, Err(_)) => Err(CliError::Quiet),
        (None, _, Ok(())) => Ok(()),
    }
}

fn adopt(flag: bool) -> access_keys::Adopt {
    if flag { access_keys::Adopt::Yes } else { access_keys::Adopt::No }
}

/// What an adopt took over, as the text report says it.
fn adopted_text(adopted: &[String]) -> String {
    adopted.iter().map(|a| format!("Adopted {a}: tagged as pinpoint-iam-wizard's, so destroy removes it.\n")).collect()
}

/// A key command's error, refusals worded with the option that resolves them.
fn rotate_error(e: access_keys::RotateError) -> CliError {
    use access_keys::RotateError as R;
    match e {
        R::Aws(e) => e.into(),
        R::NoUser(_) => CliError::Usage(format!("{e}; pass --user with the user whose key it is")),
        R::Full { .. } => CliError::Usage(format!("{e}; pass --delete-key with one of them")),
        R::StillActive { ref id } => {
            CliError::Usage(format!("{e}; retire-key --key {id} without --delete deactivates it"))
        }
        // The executor ran it: a failure at AWS, worded with what exists now.
        e @ (R::NotDone { .. } | R::OddArn(_)) => CliError::Aws(e.to_string()),
        R::Refused(e) => refused(e),
        // Every other refusal comes from the account as read, before any write.
        other => CliError::Usage(other.to_string()),
    }
}

async fn run_destroy(conn: &Connection, args: DestroyArgs) -> Result<(), CliError> {
    require_consent(args.yes, "destroy")?;
    let signals = Signals::install("stopping: nothing has been deleted")?;
    let prepare = async {
        let aws = Aws::load(conn).await?;
        let mut params = Params::new(args.setup, placeholder_account()?, aws.region.clone());
        args.guard.apply_to(&mut params);
        apply_names(&mut params, &args.names)?;
        params.check_names()?;
        let identity = resolve_account(&aws, &mut params, None).await?;
        let plan = engine::plan_destroy(&aws.iam, &params).await.map_err(plan_error)?;
        Ok::<_, CliError>((aws, identity, Arc::new(plan)))
    };
    let (aws, identity, plan) = tokio::select! {
        r = prepare => r?,
        () = signals.first_seen.notified() => return Err(signals.before_any_write()),
    };
    banner(&aws, &identity);
    if !plan.blockers.is_empty() {
        let blocked = refused(engine::ApplyError::Blocked(plan.blockers.clone()));
        return deliver_destroy(&plan, None, args.format, Some(blocked));
    }
    if !args.yes {
        crate::say_inline!("{}", output::plan_text(&plan, None, None));
        if plan.writes() == 0 {
            crate::say!("Nothing to delete.");
        } else if !ask(&signals, "Delete these?").await? {
            return Err(CliError::Cancelled { command: "destroy" });
        }
    }
    let opts = ApplyOptions {
        cancel: Some(signals.cancel.clone()),
        run_id: Some(engine::new_run_id()),
        consistency_wait: Some(conn.timeouts.iam_lag),
        ..Default::default()
    };
    signals.now("stopping: no new delete starts, and what exists afterwards is read back");
    let report = execute(&aws, &plan, opts, &signals).await?;
    signals.now("destroy had already ended; nothing more is changed");
    let interrupted = report.interrupted.then(|| signals.fired().unwrap_or(2));
    let error = destroy_failure(&plan, &report, interrupted);
    let error = match (error, interrupted) {
        (Some(message), Some(signal)) => Some(CliError::Signal { signal, message }),
        (Some(message), None) => Some(CliError::Aws(message)),
        (None, _) => None,
    };
    deliver_destroy(&plan, Some(&report), args.format, error)
}

/// Print destroy's report (with the error, if any): the command's result.
fn deliver_destroy(
    plan: &Plan,
    report: Option<&engine::ApplyReport>,
    format: Format,
    error: Option<CliError>,
) -> Result<(), CliError> {
    let resources = match report {
        Some(r) => output::destroyed(plan, r),
        // Blocked: nothing was started; what was absent or not ours is said as the plan found it.
        None => output::resources(plan, &plan.steps.iter().map(|s| blocked_status(s.action)).collect::<Vec<_>>()),
    };
    let delivered = match format {
        Format::Json => output::deliver_json(&DestroyOut {
            account_id: plan.params.account.as_str(),
            region: plan.params.region.as_str(),
            setup: plan.params.setup.as_str(),
            resources,
            blockers: &plan.blockers,
            error: error.as_ref().map(|e| e.to_string()),
        }),
        Format::Text => {
            let rows: Vec<[String; 4]> = resources
                .into_iter()
                .map(|r| [r.kind.to_string(), r.name, r.status.to_string(), r.note.unwrap_or_default()])
                .collect();
            output::deliver(output::table(&["KIND", "NAME", "STATUS", "NOTE"], &rows).as_bytes())
        }
    };
    match (error, delivered) {
        (Some(e), _) => Err(e),
        (None, Err(_)) => Err(CliError::Quiet),
        (None, Ok(())) => Ok(()),
    }
}

fn blocked_status(action: plan::Action) -> Status {
    match action {
        plan::Action::Absent => Status::Absent,
        plan::Action::Keep => Status::Kept,
        _ => Status::Skipped,
    }
}

/// A destroy that did not finish, in words that say what exists now.
fn destroy_failure(plan: &Plan, report: &engine::ApplyReport, signal: Option<i32>) -> Option<String> {
    let deletes = (0..plan.steps.len()).filter(|i| plan.steps[*i].action == plan::Action::Delete);
    let verified = deletes.into_iter().all(|i| report.statuses[i] == Status::Deleted);
    // Every delete verified gone is a finished destroy, even if an answer on the way was lost: the account read
    // afterwards is the truth. A signal still ends it as interrupted.
    if verified && report.verify_error.is_none() && signal.is_none() {
        return None;
    }
    let mut msg = match (&report.failure, signal) {
        (Some((i, e)), _) => format!("{} failed: {e}", plan.label(*i)),
        (None, Some(n)) => format!("interrupted by {}", signal_name(n)),
        (None, None) if report.interrupted => "interrupted".to_string(),
        (None, None) => "destroy did not finish: the account read afterwards disagrees with the answers".to_string(),
    };
    let named = |wanted: Status| -> Vec<String> {
        (0..plan.steps.len())
            .filter(|i| plan.steps[*i].action == plan::Action::Delete && report.statuses[*i] == wanted)
            .map(|i| plan.label(i).to_string())
            .collect()
    };
    let (deleted, unknown) = (named(Status::Deleted), named(Status::Unknown));
    let left: Vec<String> = [named(Status::Failed), named(Status::Skipped), named(Status::Left)].concat();
    if let Some(e) = &report.verify_error {
        msg.push_str(&format!(
            ". The account could not be read afterwards ({e}): {} delete(s) unverified",
            unknown.len()
        ));
    }
    if !deleted.is_empty() {
        msg.push_str(&format!(". Deleted (verified): {}", deleted.join(", ")));
    }
    if !left.is_empty() {
        msg.push_str(&format!(". Still there: {}", left.join(", ")));
    }
    msg.push_str(&format!(". Run `destroy --setup {}` again to finish", plan.params.setup));
    Some(msg)
}
