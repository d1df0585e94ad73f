//! Arguments, the headless commands and their printer, and the mapping of errors to exit codes.

use crate::access_keys;
use crate::apply::{self, ApplyOptions, DestroyItem, DestroyOutcome, Event, Status};
use crate::aws::{Aws, AwsError, ConnectError, Connection};
use crate::plan::{self, Plan};
use crate::secret::{NewAccessKey, store};
use crate::setup::{
    AccountId, BucketName, IamName, InvalidValue, NAME_FIELDS, Params, ProjectId, Region, SetupError, SetupKind, Tag,
};
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// Sets up the IAM policies, roles, user and access key that Amazon Pinpoint needs.
/// With no command, starts the interactive wizard.
#[derive(Debug, Parser)]
#[command(name = "pinpoint-iam-wizard", version, about, long_about = None)]
pub struct Cli {
    /// AWS profile to use (default: AWS_PROFILE, then "default").
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS Region (default: AWS_REGION, then the profile's region).
    #[arg(long, global = true, value_name = "REGION", value_parser = |s: &str| Region::parse("--region", s))]
    pub region: Option<Region>,
    /// Send every AWS request to this endpoint (default: AWS_ENDPOINT_URL), e.g. a local emulator.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Seconds after which the wizard clears a copied secret from the clipboard (if it still holds it).
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub clipboard_timeout: u64,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would do, reading the account as it is (nothing is written).
    Plan(PlanArgs),
    /// Create or update the resources of the chosen setups.
    Apply(ApplyArgs),
    /// Delete the resources of the chosen setups that pinpoint-iam-wizard created; leave all else alone.
    Destroy(DestroyArgs),
    /// A new access key for a user whose secret was lost, shown once; the old keys stay until retired.
    RotateKey(RotateArgs),
    /// Deactivate an old access key, or delete one that is already inactive.
    RetireKey(RetireArgs),
}

/// Where to save a new key, only when asked.
#[derive(Debug, Args, Default)]
pub struct SaveArgs {
    /// Save the new key as this profile in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).
    #[arg(long, value_name = "PROFILE")]
    pub save_profile: Option<String>,
    /// Replace the profile if it exists (otherwise an existing profile is never touched).
    #[arg(long, requires = "save_profile")]
    pub overwrite_profile: bool,
    /// Save the new key as a CSV in the IAM console's format (mode 0600; an existing file is never overwritten).
    #[arg(long, value_name = "PATH")]
    pub save_csv: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The user whose key to rotate.
    #[arg(long, value_name = "NAME", default_value = "PostmanUser", value_parser = |s: &str| IamName::parse("--user", crate::setup::IamKind::User, s))]
    pub user: IamName,
    /// With two keys already (AWS's maximum), delete this one first.
    #[arg(long, value_name = "ACCESS_KEY_ID")]
    pub delete_key: Option<String>,
    /// After creating the new key, deactivate the old ones (delete them later with retire-key --delete).
    #[arg(long)]
    pub deactivate_old: bool,
    /// Rotate without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub save: SaveArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RetireArgs {
    /// The user that owns the key.
    #[arg(long, value_name = "NAME", default_value = "PostmanUser", value_parser = |s: &str| IamName::parse("--user", crate::setup::IamKind::User, s))]
    pub user: IamName,
    /// The access key id to retire.
    #[arg(long, value_name = "ACCESS_KEY_ID")]
    pub key: String,
    /// Delete it (only once it is inactive) instead of deactivating it.
    #[arg(long)]
    pub delete: bool,
    /// Retire without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The setup and its values, shared by plan and apply.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Which of AWS's guides to carry out.
    #[arg(long, value_name = "SETUP", value_parser = clap::builder::PossibleValuesParser::new(["postman", "segment-import", "all"]).map(|s| s.parse::<SetupKind>().expect("a listed value")))]
    pub setup: SetupKind,
    /// The account id (default: what STS reports). With no credentials, plan works offline with this.
    #[arg(long, value_name = "ID", value_parser = |s: &str| AccountId::parse("--account-id", s))]
    pub account_id: Option<AccountId>,
    /// The S3 bucket that holds the segment files (segment-import).
    #[arg(long, value_name = "BUCKET", value_parser = |s: &str| BucketName::parse("--bucket", s))]
    pub bucket: Option<BucketName>,
    /// The Pinpoint project (application) id to import into (segment-import).
    #[arg(long, value_name = "ID", value_parser = |s: &str| ProjectId::parse("--project-id", s))]
    pub project_id: Option<ProjectId>,
    /// Add confused-deputy conditions (aws:SourceAccount, aws:SourceArn) to the Pinpoint trust policy.
    #[arg(long)]
    pub harden: bool,
    /// Override a resource name: NAME_OPTION=NAME, e.g. --name postman-user-name=OpsPostman (repeatable).
    #[arg(long = "name", value_name = "OPTION=NAME")]
    pub names: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Apply without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// On failure, keep what this run created instead of rolling it back.
    #[arg(long)]
    pub no_rollback: bool,
    /// Take over existing resources that differ and were not created by this tool (they are updated and tagged).
    #[arg(long)]
    pub adopt: bool,
    /// An extra tag for every created resource, KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = |s: &str| Tag::parse("--tag", s))]
    pub tags: Vec<Tag>,
    #[command(flatten)]
    pub save: SaveArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Which setup's resources to delete.
    #[arg(long, value_name = "SETUP", value_parser = clap::builder::PossibleValuesParser::new(["postman", "segment-import", "all"]).map(|s| s.parse::<SetupKind>().expect("a listed value")))]
    pub setup: SetupKind,
    /// Override a resource name, as for apply.
    #[arg(long = "name", value_name = "OPTION=NAME")]
    pub names: Vec<String>,
    /// Delete without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Exit 2: invalid input or usage, found before any AWS call.
    #[error("{0}")]
    Usage(String),
    /// Exit 1: a failure at AWS.
    #[error("{0}")]
    Aws(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Aws(_) => ExitCode::from(1),
        }
    }
}

impl From<InvalidValue> for CliError {
    fn from(e: InvalidValue) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<SetupError> for CliError {
    fn from(e: SetupError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<AwsError> for CliError {
    fn from(e: AwsError) -> Self {
        match e {
            AwsError::NoRegion => CliError::Usage(e.to_string()),
            e => CliError::Aws(e.to_string()),
        }
    }
}

impl From<ConnectError> for CliError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Invalid(e) => e.into(),
            ConnectError::Aws(e) => e.into(),
        }
    }
}

impl Cli {
    pub fn connection(&self) -> Connection {
        Connection {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

/// Apply `--name OPTION=NAME` overrides, each validated for its kind.
fn apply_names(params: &mut Params, overrides: &[String]) -> Result<(), InvalidValue> {
    for o in overrides {
        let (key, value) = o
            .split_once('=')
            .ok_or_else(|| InvalidValue::new("--name", o, "write OPTION=NAME, e.g. postman-user-name=OpsPostman"))?;
        let field = NAME_FIELDS.iter().find(|f| f.flag.trim_start_matches("--") == key).ok_or_else(|| {
            let options: Vec<&str> = NAME_FIELDS.iter().map(|f| f.flag.trim_start_matches("--")).collect();
            InvalidValue::new("--name", o, format!("unknown name option {key:?}; choose one of {}", options.join(", ")))
        })?;
        *(field.get_mut)(&mut params.names) = IamName::parse(&format!("--name {key}"), field.kind, value)?;
    }
    Ok(())
}

/// Placeholder used only until STS answers; never rendered into a document that is sent.
const UNKNOWN_ACCOUNT: &str = "000000000000";

fn params_from(args: &SetupArgs, region: Region) -> Result<Params, CliError> {
    let account = args.account_id.clone().unwrap_or_else(|| AccountId::parse("", UNKNOWN_ACCOUNT).expect("valid"));
    let mut params = Params::new(args.setup, account, region);
    params.bucket = args.bucket.clone();
    params.project = args.project_id.clone();
    params.harden = args.harden;
    apply_names(&mut params, &args.names)?;
    params.check()?;
    Ok(params)
}

/// Set the account from STS, checking it against `--account-id`.
async fn resolve_account(aws: &Aws, params: &mut Params, given: Option<&AccountId>) -> Result<(), CliError> {
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
    params.account = identity.account;
    Ok(())
}

fn confirm(prompt: &str) -> bool {
    eprint!("{prompt} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && matches!(line.trim(), "y" | "Y" | "yes" | "YES")
}

fn require_consent(yes: bool, what: &str) -> Result<(), CliError> {
    if !yes && !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!("{what} changes your AWS account: pass --yes to run without a terminal")));
    }
    Ok(())
}

/// Run a headless command; no command is the TUI's job.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let conn = cli.connection();
    match cli.command {
        None => unreachable!("main starts the TUI when there is no command"),
        Some(Command::Plan(args)) => run_plan(&conn, &args.setup).await,
        Some(Command::Apply(args)) => run_apply(&conn, args).await,
        Some(Command::Destroy(args)) => run_destroy(&conn, args).await,
        Some(Command::RotateKey(args)) => run_rotate(&conn, args).await,
        Some(Command::RetireKey(args)) => run_retire(&conn, args).await,
    }
}

/// The region for a headless command: given, or aws-config's, validated before any call.
async fn load(conn: &Connection) -> Result<Aws, CliError> {
    Ok(Aws::load(conn).await?)
}

async fn run_plan(conn: &Connection, args: &SetupArgs) -> Result<(), CliError> {
    // --account-id with no credentials or no network: plan offline, every step not checked.
    let aws = match Aws::load(conn).await {
        Ok(aws) => aws,
        Err(ConnectError::Aws(AwsError::NoRegion)) if args.account_id.is_some() => {
            let params = params_from(args, Region::parse("", "us-east-1").expect("valid"))?;
            let plan = plan::offline(&params)?;
            print_plan(&plan, args.format, Some("no Region configured: us-east-1 assumed; pass --region"));
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let mut params = params_from(args, aws.region.clone())?;
    params.desired()?;
    let live = match resolve_account(&aws, &mut params, args.account_id.as_ref()).await {
        Ok(()) => Some(plan::plan(&aws.iam, &params).await.map_err(plan_error)?),
        Err(CliError::Aws(m)) if args.account_id.is_some() => {
            let plan = plan::offline(&params)?;
            print_plan(&plan, args.format, Some(&format!("the account was not read: {m}")));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    print_plan(&live.expect("set above"), args.format, None);
    Ok(())
}

fn plan_error(e: plan::PlanError) -> CliError {
    match e {
        plan::PlanError::Setup(e) => e.into(),
        plan::PlanError::Aws(e) => e.into(),
    }
}

fn print_plan(plan: &Plan, format: Format, note: Option<&str>) {
    match format {
        Format::Json => {
            let steps: Vec<Value> = (0..plan.steps.len())
                .map(|i| {
                    let l = plan.label(i);
                    json!({"kind": l.kind, "name": l.name, "arn": l.arn, "action": plan.steps[i].action.as_str(), "reason": plan.steps[i].reason})
                })
                .collect();
            let documents: Vec<Value> = plan
                .desired
                .policies
                .iter()
                .map(|p| json!({"kind": "policy", "name": p.name.as_str(), "arn": p.arn, "document": p.document}))
                .chain(plan.desired.roles.iter().map(
                    |r| json!({"kind": "trust_policy", "name": r.name.as_str(), "arn": r.arn, "document": r.trust}),
                ))
                .collect();
            let out = json!({
                "account_id": plan.params.account.as_str(),
                "region": plan.params.region.as_str(),
                "setup": plan.params.setup.as_str(),
                "checked": plan.checked,
                "note": note,
                "steps": steps,
                "documents": documents,
            });
            println!("{}", serde_json::to_string_pretty(&out).expect("JSON values serialize"));
        }
        Format::Text => {
            let p = &plan.params;
            println!("Plan for setup {} in account {}, Region {}", p.setup, p.account, p.region);
            if let Some(note) = note {
                println!("Note: {note}");
            }
            let rows: Vec<[String; 4]> = (0..plan.steps.len())
                .map(|i| {
                    let l = plan.label(i);
                    [l.kind.to_string(), l.name, plan.steps[i].action.to_string(), plan.steps[i].reason.clone()]
                })
                .collect();
            print_table(&["KIND", "NAME", "ACTION", "REASON"], &rows);
            let count = |a: plan::Action| plan.steps.iter().filter(|s| s.action == a).count();
            println!(
                "{} to create, {} to update, {} unchanged, {} conflict(s){}",
                count(plan::Action::Create),
                count(plan::Action::Update),
                count(plan::Action::Unchanged),
                count(plan::Action::Conflict),
                if plan.checked { "" } else { " (account not read: every step not checked)" }
            );
        }
    }
}

fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// Refuse, before any AWS call, a save that would have to overwrite something.
fn check_save(save: &SaveArgs) -> Result<(), CliError> {
    if let Some(path) = &save.save_csv
        && path.exists()
    {
        return Err(CliError::Usage(format!(
            "--save-csv {}: the file exists, and a key file is never overwritten",
            path.display()
        )));
    }
    if let Some(profile) = &save.save_profile {
        let path = store::credentials_path();
        if !save.overwrite_profile && store::profile_exists(&path, profile) {
            return Err(CliError::Usage(format!(
                "--save-profile {profile}: the profile exists in {}; pass --overwrite-profile to replace it",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Save a new key where the user asked; returns what was written, for the output.
fn save_key(save: &SaveArgs, key: &NewAccessKey) -> Result<Vec<String>, CliError> {
    let mut done = Vec::new();
    if let Some(profile) = &save.save_profile {
        let path = store::credentials_path();
        store::save_profile(&path, profile, key, save.overwrite_profile).map_err(|e| CliError::Aws(e.to_string()))?;
        done.push(format!("saved as profile [{profile}] in {}", path.display()));
    }
    if let Some(path) = &save.save_csv {
        store::save_csv(path, key).map_err(|e| CliError::Aws(e.to_string()))?;
        done.push(format!("saved to {} (mode 0600)", path.display()));
    }
    Ok(done)
}

/// A key as the JSON output shows it: the secret serialized straight from its one copy.
#[derive(serde::Serialize)]
struct KeyOut<'a> {
    user_name: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a crate::secret::Secret,
}

impl<'a> From<&'a NewAccessKey> for KeyOut<'a> {
    fn from(k: &'a NewAccessKey) -> Self {
        KeyOut { user_name: &k.user_name, access_key_id: &k.access_key_id, secret_access_key: &k.secret_access_key }
    }
}

#[derive(serde::Serialize)]
struct ApplyOut<'a> {
    account_id: &'a str,
    region: &'a str,
    setup: &'a str,
    resources: Vec<Value>,
    access_key: Option<KeyOut<'a>>,
    note: Option<String>,
    saved: Vec<String>,
    error: Option<String>,
    calls: usize,
}

fn print_json(value: &impl serde::Serialize) {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).expect("stdout takes JSON");
    let _ = writeln!(out);
}

async fn run_apply(conn: &Connection, args: ApplyArgs) -> Result<(), CliError> {
    require_consent(args.yes, "apply")?;
    check_save(&args.save)?;
    let aws = load(conn).await?;
    let mut params = params_from(&args.setup, aws.region.clone())?;
    params.desired()?;
    resolve_account(&aws, &mut params, args.setup.account_id.as_ref()).await?;
    let plan = Arc::new(plan::plan(&aws.iam, &params).await.map_err(plan_error)?);
    if !args.yes {
        print_plan(&plan, Format::Text, None);
        if plan.writes() == 0 {
            eprintln!("Nothing to change.");
        } else if !confirm("Apply these changes?") {
            return Err(CliError::Usage("apply cancelled: nothing was written".into()));
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Ctrl-C stops starting steps and rolls back like a failure: no half-done setup, no unseen key.
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = cancel.clone();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Interrupted: finishing the running steps, then rolling back…");
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let opts = ApplyOptions {
        adopt: args.adopt,
        no_rollback: args.no_rollback,
        tags: args.tags.clone(),
        consistency_wait: None,
        cancel: Some(cancel),
    };
    let printer_plan = plan.clone();
    let printer = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            print_event(&printer_plan, &e);
        }
    });
    let result = apply::apply(&aws.iam, plan.clone(), opts, tx).await;
    let _ = printer.await;
    interrupt.abort();
    let report = result.map_err(|e| match e {
        apply::ApplyError::Conflicts(_) => CliError::Aws(e.to_string()),
        apply::ApplyError::NotChecked => CliError::Usage(e.to_string()),
    })?;
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
    match args.setup.format {
        Format::Json => {
            let resources: Vec<Value> = (0..plan.steps.len())
                .map(|i| {
                    let l = plan.label(i);
                    json!({"kind": l.kind, "name": l.name, "arn": l.arn, "status": report.statuses[i].as_str()})
                })
                .collect();
            // Printed once, like `aws iam create-access-key`: the only place the headless tool shows the secret.
            print_json(&ApplyOut {
                account_id: params.account.as_str(),
                region: params.region.as_str(),
                setup: params.setup.as_str(),
                resources,
                access_key: report.access_key.as_ref().map(KeyOut::from),
                note: existing_key.clone(),
                saved: saved.clone(),
                error: report
                    .failure
                    .as_ref()
                    .map(|(_, e)| e.to_string())
                    .or(report.interrupted.then(|| "interrupted".to_string())),
                calls: aws.calls.get(),
            });
        }
        Format::Text => {
            let rows: Vec<[String; 4]> = (0..plan.steps.len())
                .map(|i| {
                    let l = plan.label(i);
                    [l.kind.to_string(), l.name, report.statuses[i].as_str().to_string(), l.arn]
                })
                .collect();
            print_table(&["KIND", "NAME", "STATUS", "ARN"], &rows);
            if let Some(k) = &report.access_key {
                print_key_text(k);
            }
            for s in &saved {
                println!("Key {s}.");
            }
            if let Some(note) = existing_key {
                println!("Note: {note}");
            }
            let changed = report.statuses.iter().filter(|s| !matches!(s, Status::Unchanged)).count();
            println!("{changed} change(s), {} AWS call(s)", aws.calls.get());
        }
    }
    if let Some(e) = save_error {
        return Err(e);
    }
    if report.interrupted && report.failure.is_none() {
        return Err(CliError::Aws("interrupted: what this run created was rolled back".into()));
    }
    if let Some((i, e)) = &report.failure {
        let mut msg = format!("{} {} failed: {e}", plan.label(*i).kind, plan.label(*i).name);
        if args.no_rollback {
            msg.push_str(". What this run created was kept (--no-rollback)");
        } else if report.rollback_errors.is_empty() {
            msg.push_str(". Everything this run created was rolled back");
        } else {
            msg.push_str(&format!(". {} rollback step(s) failed; see above", report.rollback_errors.len()));
        }
        return Err(CliError::Aws(msg));
    }
    Ok(())
}

fn print_key_text(k: &NewAccessKey) {
    println!();
    println!("Access key for {}: {}", k.user_name, k.access_key_id);
    println!("Secret access key: {}", k.secret_access_key.expose());
    println!("This is the only time the secret is shown. Store it now (e.g. in a password manager).");
}

async fn run_rotate(conn: &Connection, args: RotateArgs) -> Result<(), CliError> {
    require_consent(args.yes, "rotate-key")?;
    check_save(&args.save)?;
    let aws = load(conn).await?;
    aws.check_credentials().await?;
    let user = args.user.as_str();
    let mut delete_first = args.delete_key.clone();
    if !args.yes && delete_first.is_none() {
        let current = access_keys::keys(&aws.iam, user).await.map_err(rotate_error)?;
        if current.len() >= 2 {
            eprintln!("{user} has two access keys, AWS's maximum: one must be deleted first.");
            for k in &current {
                eprintln!("  {} ({})", k.id, if k.active { "active" } else { "inactive" });
            }
            eprint!("Access key id to delete: ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| CliError::Usage(e.to_string()))?;
            delete_first = Some(line.trim().to_string()).filter(|s| !s.is_empty());
        }
        if !confirm(&format!("Create a new access key for {user}?")) {
            return Err(CliError::Usage("rotate-key cancelled: nothing was changed".into()));
        }
    }
    let rotation = access_keys::rotate(&aws.iam, user, delete_first.as_deref()).await.map_err(rotate_error)?;
    let mut deactivated = Vec::new();
    if args.deactivate_old {
        for k in rotation.old.iter().filter(|k| k.active) {
            aws.iam.set_access_key_active(user, &k.id, false).await?;
            deactivated.push(k.id.clone());
        }
    }
    let saved = save_key(&args.save, &rotation.key);
    match args.format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct RotateOut<'a> {
                access_key: KeyOut<'a>,
                deleted: Option<&'a str>,
                deactivated: &'a [String],
                old_keys: Vec<Value>,
                saved: Vec<String>,
            }
            let old_keys = rotation
                .old
                .iter()
                .map(|k| json!({"access_key_id": k.id, "active": k.active && !deactivated.contains(&k.id)}))
                .collect();
            print_json(&RotateOut {
                access_key: KeyOut::from(&rotation.key),
                deleted: rotation.deleted_first.as_deref(),
                deactivated: &deactivated,
                old_keys,
                saved: saved.as_ref().cloned().unwrap_or_default(),
            });
        }
        Format::Text => {
            if let Some(d) = &rotation.deleted_first {
                println!("Deleted access key {d}.");
            }
            print_key_text(&rotation.key);
            for k in &rotation.old {
                if deactivated.contains(&k.id) {
                    println!(
                        "Old key {} deactivated; delete it once nothing uses it: retire-key --user {user} --key {} --delete",
                        k.id, k.id
                    );
                } else {
                    println!(
                        "Old key {} is still active: retire-key --user {user} --key {} deactivates it",
                        k.id, k.id
                    );
                }
            }
            for s in saved.as_ref().map(|v| v.as_slice()).unwrap_or_default() {
                println!("Key {s}.");
            }
        }
    }
    saved.map(|_| ())
}

async fn run_retire(conn: &Connection, args: RetireArgs) -> Result<(), CliError> {
    require_consent(args.yes, "retire-key")?;
    let aws = load(conn).await?;
    aws.check_credentials().await?;
    let verb = if args.delete { "Delete" } else { "Deactivate" };
    if !args.yes && !confirm(&format!("{verb} access key {} of {}?", args.key, args.user)) {
        return Err(CliError::Usage("retire-key cancelled: nothing was changed".into()));
    }
    access_keys::retire(&aws.iam, args.user.as_str(), &args.key, args.delete).await.map_err(rotate_error)?;
    println!("{} access key {} of {}.", if args.delete { "Deleted" } else { "Deactivated" }, args.key, args.user);
    Ok(())
}

fn rotate_error(e: access_keys::RotateError) -> CliError {
    match e {
        access_keys::RotateError::Aws(e) => e.into(),
        access_keys::RotateError::NoUser(_) => CliError::Aws(e.to_string()),
        other => CliError::Usage(other.to_string()),
    }
}

fn print_event(plan: &Plan, e: &Event) {
    let name = |i: usize| {
        let l = plan.label(i);
        format!("{} {}", l.kind, l.name)
    };
    match e {
        Event::Started(i) if plan.steps[*i].action.writes() => eprintln!("  … {}", name(*i)),
        Event::Retrying { step, attempt, .. } => {
            eprintln!("  ↻ {} (not visible yet in IAM, try {})", name(*step), attempt + 1)
        }
        Event::Finished { step, status } if *status != Status::Unchanged => {
            eprintln!("  ✓ {} {}", name(*step), status.as_str())
        }
        Event::Failed { step, error } => eprintln!("  ✗ {} failed: {error}", name(*step)),
        Event::RollingBack => eprintln!("Rolling back what this run created…"),
        Event::RolledBack(i) => eprintln!("  ↶ {} rolled back", name(*i)),
        Event::RollbackFailed { step, error } => eprintln!("  ✗ rollback of {} failed: {error}", name(*step)),
        _ => {}
    }
}

async fn run_destroy(conn: &Connection, args: DestroyArgs) -> Result<(), CliError> {
    require_consent(args.yes, "destroy")?;
    let aws = load(conn).await?;
    // Destroy reads only names and ARNs: the documents' values do not matter, so fixed valid ones stand in.
    let mut params = Params::new(args.setup, AccountId::parse("", UNKNOWN_ACCOUNT).expect("valid"), aws.region.clone());
    params.bucket = Some(BucketName::parse("", "unused-bucket").expect("valid"));
    params.project = Some(ProjectId::parse("", &"0".repeat(32)).expect("valid"));
    apply_names(&mut params, &args.names)?;
    params.check()?;
    resolve_account(&aws, &mut params, None).await?;
    let desired = params.desired()?;
    if !args.yes {
        let names: Vec<String> = desired
            .users
            .iter()
            .map(|u| u.name.to_string())
            .chain(desired.roles.iter().map(|r| r.name.to_string()))
            .chain(desired.policies.iter().map(|p| p.name.to_string()))
            .collect();
        eprintln!(
            "Account {}: delete {} (only those tagged ManagedBy=pinpoint-iam-wizard)",
            params.account,
            names.join(", ")
        );
        if !confirm("Delete them?") {
            return Err(CliError::Usage("destroy cancelled: nothing was deleted".into()));
        }
    }
    let items = apply::destroy(&aws.iam, &desired).await;
    print_destroy(&params, &items, args.format);
    let failed: Vec<String> = items
        .iter()
        .filter_map(|i| match &i.outcome {
            DestroyOutcome::Failed(e) => Some(format!("{} {}: {e}", i.kind, i.name)),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Aws(format!("destroy left work undone: {}", failed.join("; "))))
    }
}

fn print_destroy(params: &Params, items: &[DestroyItem], format: Format) {
    let describe = |o: &DestroyOutcome| match o {
        DestroyOutcome::Deleted => ("deleted", String::new()),
        DestroyOutcome::Absent => ("unchanged", "does not exist".to_string()),
        DestroyOutcome::Kept(why) => ("unchanged", why.clone()),
        DestroyOutcome::Failed(e) => ("failed", e.to_string()),
    };
    match format {
        Format::Json => {
            let resources: Vec<Value> = items
                .iter()
                .map(|i| {
                    let (status, note) = describe(&i.outcome);
                    json!({"kind": i.kind, "name": i.name, "arn": i.arn, "status": status, "note": note})
                })
                .collect();
            let out = json!({"account_id": params.account.as_str(), "region": params.region.as_str(), "setup": params.setup.as_str(), "resources": resources, "access_key": null});
            println!("{}", serde_json::to_string_pretty(&out).expect("JSON values serialize"));
        }
        Format::Text => {
            let rows: Vec<[String; 4]> = items
                .iter()
                .map(|i| {
                    let (status, note) = describe(&i.outcome);
                    [i.kind.to_string(), i.name.clone(), status.to_string(), note]
                })
                .collect();
            print_table(&["KIND", "NAME", "STATUS", "NOTE"], &rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        let a = Cli::try_parse_from(["p", "--region", "eu-west-1", "plan", "--setup", "postman"]).unwrap();
        let b = Cli::try_parse_from(["p", "plan", "--setup", "postman", "--region", "eu-west-1"]).unwrap();
        assert_eq!(a.region, b.region);
        assert_eq!(a.region.unwrap().as_str(), "eu-west-1");
    }

    #[test]
    fn invalid_values_are_usage_errors_naming_the_field() {
        for (args, needle) in [
            (vec!["p", "plan", "--setup", "both"], "--setup"),
            (vec!["p", "plan", "--setup", "all", "--bucket", "Bad_Bucket"], "--bucket"),
            (vec!["p", "plan", "--setup", "all", "--project-id", "xyz"], "--project-id"),
            (vec!["p", "plan", "--setup", "all", "--account-id", "12"], "--account-id"),
            (vec!["p", "--region", "mars-1", "plan", "--setup", "all"], "--region"),
            (vec!["p", "apply", "--setup", "all", "--tag", "novalue"], "--tag"),
        ] {
            let e = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(e.to_string().contains(needle), "{args:?}: {e}");
        }
    }

    #[test]
    fn name_overrides_are_validated_per_kind() {
        let mut p = Params::new(SetupKind::All, "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        apply_names(&mut p, &["postman-user-name=Ops".into()]).unwrap();
        assert_eq!(p.names.postman_user.as_str(), "Ops");
        let e = apply_names(&mut p, &[format!("postman-user-name={}", "u".repeat(65))]).unwrap_err();
        assert_eq!(e.field, "--name postman-user-name");
        assert!(apply_names(&mut p, &["nope=x".into()]).unwrap_err().rule.contains("unknown name option"));
        assert!(apply_names(&mut p, &["novalue".into()]).is_err());
    }
}
