//! The headless command line: arguments (here), the commands ([`commands`]) and their output ([`output`]).
//!
//! With no command the binary starts the wizard; every command here runs without it.

pub mod commands;
pub mod export;
pub mod guard;
pub mod output;

/// `eprintln!` that never panics: stderr may be gone (a closed SSH session) while a run still has to settle.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `eprint!` that never panics, flushed (for prompts).
#[macro_export]
macro_rules! say_inline {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let mut err = std::io::stderr();
        let _ = write!(err, $($t)*);
        let _ = err.flush();
    }};
}

use crate::aws::{Connection, MfaPrompt, Timeouts, check_endpoint};
use crate::setup::{
    AccountId, BucketName, IamKind, IamName, InvalidValue, MANAGED_BY_KEY, MAX_TAGS, OWN_TAGS, Param, Params,
    ProjectId, Region, SETUPS, Selection, Tag,
};
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use std::process::ExitCode;
use std::time::Duration;

pub use commands::run;

/// Sets up the IAM policies, roles, user and access key that Amazon Pinpoint needs, as AWS's guides describe.
///
/// With no command, starts the interactive wizard. Every command below runs headless: no command starts the
/// wizard.
#[derive(Debug, Parser)]
#[command(name = "pinpoint-iam-wizard", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Wizard only: seconds after which a copied secret is cleared from the clipboard (if it still holds it).
    #[arg(long, value_hint = ValueHint::Other, value_name = "SECS", help_heading = "Wizard options", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub clipboard_timeout: u64,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The standard AWS options, with the AWS CLI's precedence: an explicit --profile beats credentials in the
/// environment, which beat AWS_PROFILE; an unknown profile is an error.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "AWS options (any command)")]
pub struct AwsArgs {
    /// AWS profile to use (default: AWS_PROFILE, then "default"); beats AWS_ACCESS_KEY_ID in the environment.
    #[arg(long, value_hint = ValueHint::Other, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS Region (default: AWS_REGION, then the profile's region).
    #[arg(long, value_hint = ValueHint::Other, global = true, value_name = "REGION", value_parser = |s: &str| Region::parse("--region", s))]
    pub region: Option<Region>,
    /// Send every AWS request to this endpoint (default: AWS_ENDPOINT_URL), e.g. a local emulator.
    #[arg(long, value_hint = ValueHint::Other, global = true, value_name = "URL", value_parser = EndpointParser)]
    pub endpoint_url: Option<String>,
    /// Seconds to wait for a connection to AWS.
    #[arg(long, value_hint = ValueHint::Other, global = true, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub connect_timeout: u64,
    /// Seconds one AWS call may take, the SDK's retries included, before it is given up.
    #[arg(long, value_hint = ValueHint::Other, global = true, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub operation_timeout: u64,
    /// Seconds to wait out IAM's eventual consistency (NoSuchEntity right after a create, DeleteConflict right
    /// after a detach) before a step fails.
    #[arg(long, value_hint = ValueHint::Other, global = true, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub iam_lag_wait: u64,
    /// Trace every AWS request and answer on stderr (secrets and signatures redacted).
    #[arg(long, global = true)]
    pub debug: bool,
}

/// `--endpoint-url`, checked as `AWS_ENDPOINT_URL` is. Its error never quotes the value as typed, as clap's own
/// would: the URL may carry a password.
#[derive(Clone)]
struct EndpointParser;

impl TypedValueParser for EndpointParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let invalid = |message: String| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{message}\n")).with_cmd(cmd)
        };
        let url = value.to_str().ok_or_else(|| invalid("invalid --endpoint-url: it is not valid UTF-8".into()))?;
        check_endpoint("--endpoint-url", url).map_err(|e| invalid(e.to_string()))?;
        Ok(url.to_string())
    }
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
    /// Write the setup for another tool: a CloudFormation template, an AWS CLI script, Terraform, or documents.
    Export(export::ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
}

/// The completion script for `shell`, as clap_complete generates it from [`Cli`]. Every option whose value is not
/// a path says so (`ValueHint::Other`), so no shell offers file names for it. For fish, one addition:
/// clap_complete's fish generator completes options only, never positional arguments (its documentation says so;
/// clap-rs/clap#6295), and fish offers file names wherever no completion forbids them. So each subcommand with no
/// path argument forbids them, and a positional argument with possible values (`completions SHELL`) offers them,
/// both written from the same clap definitions, after clap_complete's own script. For bash, one repair of a known
/// clap_complete bug ([`bash_subcommand_states`]).
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN_NAME, &mut buf);
    match shell {
        clap_complete::Shell::Fish => buf.extend_from_slice(fish_positionals(&cmd).as_bytes()),
        clap_complete::Shell::Bash => buf = bash_subcommand_states(buf),
        _ => {}
    }
    buf
}

const BIN_NAME: &str = "pinpoint-iam-wizard";

/// clap_complete's bash script spells the state after a subcommand two ways for a binary whose name has a hyphen
/// (`plan`'s, say): `pinpoint__iam__wizard__subcmd__plan` where it reads the words,
/// `pinpoint__subcmd__iam__subcmd__wizard__subcmd__plan` in the `case` arm that completes that subcommand. No arm
/// matches, nothing after a subcommand is completed, and bash falls back to file names (clap-rs/clap#6421, open in
/// clap_complete 4.6.11). The arms are renamed to the words' spelling; once clap_complete spells both alike, this
/// finds nothing to rename.
fn bash_subcommand_states(script: Vec<u8>) -> Vec<u8> {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", BIN_NAME.replace('-', SEP));
    let right = format!("{}{SEP}", BIN_NAME.replace('-', "__"));
    match String::from_utf8(script) {
        Ok(script) => script.replace(&wrong, &right).into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// A value fish's `complete -a` and `__fish_seen_subcommand_from` take as one word without quoting.
fn plain_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-_.".contains(c))
}

/// What clap_complete's fish script leaves out: per subcommand, `-f` unless one of its
/// positional arguments may be a path, and the possible values of each positional argument that has them (until
/// one is given).
fn fish_positionals(cmd: &clap::Command) -> String {
    let using = format!("__fish_{}_using_subcommand", BIN_NAME.replace('-', "_"));
    let mut out = String::from(
        "\n# Added by pinpoint-iam-wizard (clap_complete's fish script completes no positional argument): no file \
         names where no\n# argument is a path, and the values of positional arguments.\n",
    );
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        let positionals: Vec<&clap::Arg> = sub.get_positionals().collect();
        let may_be_path = positionals.iter().any(|a| {
            a.get_possible_values().is_empty()
                && matches!(
                    a.get_value_hint(),
                    ValueHint::Unknown | ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
                )
        });
        if !may_be_path {
            out.push_str(&format!("complete -c {BIN_NAME} -n \"{using} {name}\" -f\n"));
        }
        for arg in positionals {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .filter(|v| plain_word(v))
                .collect();
            if !values.is_empty() {
                let values = values.join(" ");
                let unless_given = format!("{using} {name}; and not __fish_seen_subcommand_from {values}");
                out.push_str(&format!("complete -c {BIN_NAME} -n \"{unless_given}\" -f -a \"{values}\"\n"));
            }
        }
    }
    out
}

/// Where to save a new key, only when asked.
#[derive(Debug, Args, Default)]
pub struct SaveArgs {
    /// Save the new key as this profile in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).
    #[arg(long, value_hint = ValueHint::Other, value_name = "PROFILE")]
    pub save_profile: Option<String>,
    /// Replace the profile if it exists (otherwise an existing profile is never touched).
    #[arg(long, requires = "save_profile")]
    pub overwrite_profile: bool,
    /// Save the new key as a CSV in the IAM console's format (mode 0600; an existing file is never overwritten).
    #[arg(long, value_hint = ValueHint::FilePath, value_name = "PATH")]
    pub save_csv: Option<std::path::PathBuf>,
    /// Print the secret on standard output even when it was saved (by default a saved secret is not printed:
    /// CI logs and scrollback keep standard output).
    #[arg(long)]
    pub show_secret: bool,
}

impl SaveArgs {
    /// Whether the secret goes to standard output: the one delivery unless it was saved (or asked for anyway).
    pub fn prints_secret(&self, saved: &[String]) -> bool {
        saved.is_empty() || self.show_secret
    }
}

/// The guides' name of the first user that gets an access key: whose key rotate-key and retire-key mean by default.
fn key_user() -> &'static str {
    SETUPS.iter().flat_map(|s| s.users).find(|u| u.access_key).map_or("", |u| u.name.default)
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The user whose key to rotate.
    #[arg(long, value_hint = ValueHint::Other, value_name = "NAME", default_value = key_user(), value_parser = |s: &str| IamName::parse("--user", IamKind::User, s))]
    pub user: IamName,
    /// With two keys already (AWS's maximum), delete this one first.
    #[arg(long, value_hint = ValueHint::Other, value_name = "ACCESS_KEY_ID")]
    pub delete_key: Option<String>,
    /// After creating the new key, deactivate the old ones (delete them later with retire-key --delete).
    #[arg(long)]
    pub deactivate_old: bool,
    /// Take over a user (or key) pinpoint-iam-wizard did not create: it is tagged as ours from then on, so a
    /// later destroy removes it. Without it, such a user or key is refused before any write.
    #[arg(long)]
    pub adopt: bool,
    /// Rotate without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub save: SaveArgs,
    #[command(flatten)]
    pub guard: guard::GuardArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RetireArgs {
    /// The user that owns the key.
    #[arg(long, value_hint = ValueHint::Other, value_name = "NAME", default_value = key_user(), value_parser = |s: &str| IamName::parse("--user", IamKind::User, s))]
    pub user: IamName,
    /// The access key id to retire.
    #[arg(long, value_hint = ValueHint::Other, value_name = "ACCESS_KEY_ID")]
    pub key: String,
    /// Delete it (only once it is inactive) instead of deactivating it.
    #[arg(long)]
    pub delete: bool,
    /// Take over a user (or key) pinpoint-iam-wizard did not create: it is tagged as ours from then on, so a
    /// later destroy removes it. Without it, such a user or key is refused before any write.
    #[arg(long)]
    pub adopt: bool,
    /// Retire without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn setup_kind() -> impl TypedValueParser<Value = Selection> {
    clap::builder::PossibleValuesParser::new(Selection::choices().into_iter().map(|c| c.as_str()))
        .try_map(|s| s.parse::<Selection>().map_err(|e| e.to_string()))
}

/// The setup and the values its documents take, shared by plan, apply and export.
#[derive(Debug, Args)]
pub struct SetupValues {
    /// Which of AWS's guides to carry out.
    #[arg(long, value_name = "SETUP", value_parser = setup_kind())]
    pub setup: Selection,
    /// The account id (default: what STS reports). With no credentials, plan works offline with this; the
    /// cloudformation and terraform exports take the account they are deployed in.
    #[arg(long, value_hint = ValueHint::Other, value_name = "ID", value_parser = |s: &str| AccountId::parse("--account-id", s))]
    pub account_id: Option<AccountId>,
    /// The S3 bucket that holds the segment files (segment-import).
    #[arg(long, value_hint = ValueHint::Other, value_name = "BUCKET", value_parser = |s: &str| BucketName::parse("--bucket", s))]
    pub bucket: Option<BucketName>,
    /// The Pinpoint project (application) id: segment-import imports into it, end-user-messaging sends push and
    /// OTP through it.
    #[arg(long, value_hint = ValueHint::Other, value_name = "ID", value_parser = |s: &str| ProjectId::parse("--project-id", s))]
    pub project_id: Option<ProjectId>,
    /// Add confused-deputy conditions (aws:SourceAccount, aws:SourceArn) to the Pinpoint trust policy.
    #[arg(long)]
    pub harden: bool,
    /// Use tightened documents that fix the guides' mistakes (see the preview's findings); the default is the
    /// guides' documents exactly. Implies --harden.
    #[arg(long)]
    pub tighten: bool,
    /// Override a resource name: OPTION=NAME, e.g. --name postman-user-name=OpsPostman (repeatable).
    #[arg(long = "name", value_hint = ValueHint::Other, value_name = "OPTION=NAME", long_help = name_options_help())]
    pub names: Vec<String>,
    #[command(flatten)]
    pub guard: guard::GuardArgs,
}

/// `--name`'s long help: every name option, setup by setup, with the guide's name (from the setups' registry).
fn name_options_help() -> String {
    let mut help = String::from(
        "Override a resource name: OPTION=NAME, e.g. --name postman-user-name=OpsPostman (repeatable; each option \
         once, and only for a chosen setup). The options, by setup, with the guide's name:",
    );
    for setup in SETUPS {
        help.push_str(&format!("\n  {}:", setup.id));
        for field in setup.names {
            help.push_str(&format!("\n    {} ({})", field.option(), field.default));
        }
    }
    help
}

/// Why an option that only other setups use is refused rather than ignored: the setups it belongs to.
fn not_for_setup(what: &str, chosen: Selection, owners: &[&str]) -> String {
    let all = Selection::all();
    let choose: Vec<String> = owners.iter().chain([&all.as_str()]).map(|o| format!("--setup {o}")).collect();
    format!(
        "{what} belongs to {}, and --setup {chosen} does not use it: drop it, or choose {}",
        owners.join(" and "),
        choose.join(" or ")
    )
}

/// The single setups for which `uses` holds.
fn setups_where(uses: impl Fn(&Selection) -> bool) -> Vec<&'static str> {
    Selection::choices().into_iter().filter(|c| !c.is_union() && uses(c)).map(|c| c.as_str()).collect()
}

impl SetupValues {
    /// Every value given is one the chosen setups use (`--bucket` with postman alone would be ignored).
    fn check_belongs(&self) -> Result<(), CliError> {
        let given = [
            (Param::Bucket, self.bucket.as_ref().map(|b| b.as_str())),
            (Param::Project, self.project_id.as_ref().map(|p| p.as_str())),
        ];
        for (param, value) in given {
            if let (Some(value), None) = (value, self.setup.needing(param)) {
                let owners = setups_where(|s| s.needing(param).is_some());
                let rule = not_for_setup(param.what(), self.setup, &owners);
                return Err(InvalidValue::new(param.flag(), value, rule).into());
            }
        }
        if self.harden && !self.tighten && !self.setup.can_harden() {
            let owners = setups_where(Selection::can_harden);
            let what = "--harden (the confused-deputy conditions of a role's trust policy)";
            return Err(CliError::Usage(not_for_setup(what, self.setup, &owners)));
        }
        Ok(())
    }

    /// The parameters these values describe, in `account` and `region`, checked.
    pub fn params(&self, account: AccountId, region: Region) -> Result<Params, CliError> {
        self.check_belongs()?;
        let mut params = Params::new(self.setup, account, region);
        params.bucket = self.bucket.clone();
        params.project = self.project_id.clone();
        params.harden = self.harden;
        params.tighten = self.tighten;
        self.guard.apply_to(&mut params);
        apply_names(&mut params, &self.names)?;
        params.check()?;
        Ok(params)
    }
}

/// The setup, its values and the output format, shared by plan and apply.
#[derive(Debug, Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub values: SetupValues,
    /// At IAM's five versions of a policy, let apply delete the oldest even if pinpoint-iam-wizard did not
    /// write it (without this, such a policy is a conflict and nothing is written).
    #[arg(long)]
    pub prune_foreign_versions: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

impl std::ops::Deref for SetupArgs {
    type Target = SetupValues;
    fn deref(&self) -> &SetupValues {
        &self.values
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Show what `destroy` would delete (and what would keep it from deleting anything) instead.
    #[arg(long)]
    pub destroy: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Apply without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// On failure, keep what this run created instead of rolling it back (a key whose secret was not shown
    /// is deleted all the same).
    #[arg(long)]
    pub no_rollback: bool,
    /// Take over existing resources of these names that pinpoint-iam-wizard did not create: they are tagged as
    /// ours and updated to the guide's documents, and from then on destroy deletes them too.
    #[arg(long)]
    pub adopt: bool,
    /// An extra tag for every created resource, KEY=VALUE (repeatable).
    #[arg(long = "tag", value_hint = ValueHint::Other, value_name = "KEY=VALUE", value_parser = |s: &str| Tag::parse("--tag", s))]
    pub tags: Vec<Tag>,
    #[command(flatten)]
    pub save: SaveArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Which setup's resources to delete.
    #[arg(long, value_name = "SETUP", value_parser = setup_kind())]
    pub setup: Selection,
    /// Override a resource name, as for apply.
    #[arg(long = "name", value_hint = ValueHint::Other, value_name = "OPTION=NAME", long_help = name_options_help())]
    pub names: Vec<String>,
    #[command(flatten)]
    pub guard: guard::GuardArgs,
    /// Delete without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A failure, with the exit code it maps to (the one rule, in the README: 2 refused before any write, 3 a
/// cancelled confirmation, 1 a failure at AWS, 128+N a signal).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Exit 2: refused before any write, because of the operator's input or the account's state as read.
    #[error("{0}")]
    Usage(String),
    /// Exit 3: the operator answered no (or nothing) to a confirmation; nothing was written.
    #[error("{command} cancelled: nothing was written")]
    Cancelled { command: &'static str },
    /// Exit 1: a failure at AWS, or a run that did not complete.
    #[error("{0}")]
    Aws(String),
    /// Exit 128+N: stopped by signal N.
    #[error("{message}")]
    Signal { signal: i32, message: String },
    /// Standard output went away (closed pipe): nothing more can be said there.
    #[error("standard output was closed")]
    Quiet,
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code())
    }

    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Cancelled { .. } => 3,
            CliError::Aws(_) => 1,
            CliError::Signal { signal, .. } => u8::try_from(128 + signal).unwrap_or(1),
            CliError::Quiet => 1,
        }
    }
}

impl From<InvalidValue> for CliError {
    fn from(e: InvalidValue) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<crate::setup::SetupError> for CliError {
    fn from(e: crate::setup::SetupError) -> Self {
        match e {
            // Headless, names are given as `--name OPTION=NAME`: say it the way the user typed it.
            crate::setup::SetupError::DuplicateName { first, second, name } => CliError::Usage(format!(
                "invalid --name: --name {} and --name {} are both {name:?} (IAM names ignore case): every resource \
                 needs its own name",
                first.trim_start_matches("--"),
                second.trim_start_matches("--")
            )),
            e => CliError::Usage(e.to_string()),
        }
    }
}

impl From<crate::aws::AwsError> for CliError {
    fn from(e: crate::aws::AwsError) -> Self {
        match e {
            crate::aws::AwsError::NoRegion => CliError::Usage(e.to_string()),
            e => CliError::Aws(e.to_string()),
        }
    }
}

impl From<crate::aws::ConnectError> for CliError {
    fn from(e: crate::aws::ConnectError) -> Self {
        use crate::aws::ConnectError as C;
        match e {
            C::Invalid(e) => e.into(),
            C::Aws(e) => e.into(),
            e @ (C::UnknownProfile { .. }
            | C::UnreadableFile { .. }
            | C::NonUtf8Env(_)
            | C::MfaNeeded(_)
            | C::CaBundle { .. }
            | C::MfaSourceUnsupported { .. }) => CliError::Usage(e.to_string()),
        }
    }
}

/// A clap usage error as one line for `--format json`: its whole message (what is missing, a tip), without the
/// usage block and the pointer to --help that follow it on a terminal.
pub fn usage_error_text(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    message.join(" ").trim_start_matches("error: ").to_string()
}

impl Cli {
    /// The connection: headless commands may ask for an MFA code on the terminal, the wizard (whose screen owns
    /// the terminal) may not.
    pub fn connection(&self) -> Connection {
        let mfa = if self.command.is_some() { MfaPrompt::Terminal } else { MfaPrompt::Never };
        Connection { mfa, ..self.aws.connection() }
    }

    /// The output format the command asked for (errors before any output use it too).
    pub fn format(&self) -> Format {
        match &self.command {
            Some(Command::Plan(a)) => a.setup.format,
            Some(Command::Apply(a)) => a.setup.format,
            Some(Command::Destroy(a)) => a.format,
            Some(Command::RotateKey(a)) => a.format,
            Some(Command::RetireKey(a)) => a.format,
            _ => Format::Text,
        }
    }
}

impl AwsArgs {
    pub fn connection(&self) -> Connection {
        Connection {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            timeouts: Timeouts {
                connect: Duration::from_secs(self.connect_timeout),
                operation: Duration::from_secs(self.operation_timeout),
                iam_lag: Duration::from_secs(self.iam_lag_wait),
            },
            mfa: MfaPrompt::Never,
        }
    }
}

/// Apply `--name OPTION=NAME` overrides, each validated for its kind; an option given twice is refused.
pub fn apply_names(params: &mut Params, overrides: &[String]) -> Result<(), InvalidValue> {
    let mut seen: Vec<&str> = Vec::new();
    for o in overrides {
        let (key, value) = o
            .split_once('=')
            .ok_or_else(|| InvalidValue::new("--name", o, "write OPTION=NAME, e.g. postman-user-name=OpsPostman"))?;
        let fields = || SETUPS.iter().flat_map(|s| s.names.iter().copied());
        let field = fields().find(|f| f.option() == key).ok_or_else(|| {
            let options: Vec<&str> = fields().map(|f| f.option()).collect();
            InvalidValue::new("--name", o, format!("unknown name option {key:?}; choose one of {}", options.join(", ")))
        })?;
        // A name of a setup that is not chosen would change nothing: refused, naming its setup.
        let is_field = |s: &Selection| s.name_fields().any(|f| std::ptr::eq(f, field));
        if !is_field(&params.setup) {
            let what = format!("{key} (the {} {})", field.kind.noun(), field.default);
            let rule = not_for_setup(&what, params.setup, &setups_where(is_field));
            return Err(InvalidValue::new(&format!("--name {key}"), o, rule));
        }
        if seen.contains(&key) {
            return Err(InvalidValue::new(
                &format!("--name {key}"),
                o,
                format!("{key} is given twice; give each name option once"),
            ));
        }
        seen.push(key);
        params.names.set(field, IamName::parse(&format!("--name {key}"), field.kind, value)?);
    }
    Ok(())
}

/// Tags as IAM will take them: no key twice (IAM compares keys without case), none of ours, and room for ours.
pub fn check_tags(tags: &[Tag]) -> Result<(), InvalidValue> {
    for (i, t) in tags.iter().enumerate() {
        let whole = format!("{}={}", t.key, t.value);
        if t.key.eq_ignore_ascii_case(MANAGED_BY_KEY) || t.key.to_ascii_lowercase().starts_with("pinpoint-iam-wizard:")
        {
            return Err(InvalidValue::new("--tag", &whole, format!("the {} tag is set by this tool", t.key)));
        }
        if let Some(earlier) = tags[..i].iter().find(|e| e.key.eq_ignore_ascii_case(&t.key)) {
            return Err(InvalidValue::new(
                "--tag",
                &whole,
                format!(
                    "the key {:?} is given twice (as {:?}); IAM tag keys differ by more than case",
                    t.key, earlier.key
                ),
            ));
        }
    }
    let room = MAX_TAGS - OWN_TAGS;
    if tags.len() > room {
        return Err(InvalidValue::new(
            "--tag",
            &format!("{} tags", tags.len()),
            format!("IAM allows {MAX_TAGS} tags on a resource and this tool adds {OWN_TAGS}: give at most {room}"),
        ));
    }
    Ok(())
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
        assert_eq!(a.aws.region, b.aws.region);
        assert_eq!(a.aws.region.unwrap().as_str(), "eu-west-1");
    }

    #[test]
    fn wizard_options_are_not_offered_to_commands() {
        assert!(Cli::try_parse_from(["p", "--clipboard-timeout", "5"]).is_ok());
        assert!(Cli::try_parse_from(["p", "plan", "--setup", "postman", "--clipboard-timeout", "5"]).is_err());
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("no command starts the wizard"), "{help}");
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
            (vec!["p", "--endpoint-url", "localhost:5000", "plan", "--setup", "all"], "--endpoint-url"),
            (vec!["p", "--operation-timeout", "0", "plan", "--setup", "all"], "--operation-timeout"),
        ] {
            let e = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(e.to_string().contains(needle), "{args:?}: {e}");
        }
    }

    #[test]
    fn usage_errors_for_json_name_what_is_missing() {
        let text = |args: &[&str]| usage_error_text(&Cli::try_parse_from(args).unwrap_err());
        let missing = text(&["p", "plan", "--format", "json"]);
        assert_eq!(missing, "the following required arguments were not provided: --setup <SETUP>");
        let two = text(&["p", "export", "--setup", "postman"]);
        assert!(two.ends_with("provided: --as <FORMAT> --out <PATH>"), "{two}");
        let typo = text(&["p", "plan", "--stup", "x"]);
        assert!(typo.contains("'--stup'") && typo.contains("tip: a similar argument exists: '--setup'"), "{typo}");
        assert!(!typo.contains("Usage:") && !typo.contains("--help"), "{typo}");
    }

    #[test]
    fn name_overrides_are_validated_per_kind_and_given_once() {
        let mut p = Params::new(Selection::all(), "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        apply_names(&mut p, &["postman-user-name=Ops".into()]).unwrap();
        assert_eq!(p.names.get(&crate::setup::postman::USER), "Ops");
        let e = apply_names(&mut p, &[format!("postman-user-name={}", "u".repeat(65))]).unwrap_err();
        assert_eq!(e.field, "--name postman-user-name");
        assert!(apply_names(&mut p, &["nope=x".into()]).unwrap_err().rule.contains("unknown name option"));
        assert!(apply_names(&mut p, &["novalue".into()]).is_err());
        let twice = apply_names(&mut p, &["postman-user-name=A".into(), "postman-user-name=B".into()]).unwrap_err();
        assert!(twice.rule.contains("given twice"), "{twice}");
    }

    #[test]
    fn tags_are_checked_as_iam_would() {
        let t = |s: &str| Tag::parse("--tag", s).unwrap();
        assert!(check_tags(&[t("team=ops"), t("env=prod")]).is_ok());
        let dup = check_tags(&[t("team=ops"), t("Team=dev")]).unwrap_err();
        assert!(dup.rule.contains("twice"), "{dup}");
        assert_eq!(dup.field, "--tag");
        assert!(check_tags(&[t("managedby=me")]).unwrap_err().rule.contains("set by this tool"));
        let many: Vec<Tag> = (0..49).map(|i| t(&format!("k{i}=v"))).collect();
        assert!(check_tags(&many).unwrap_err().rule.contains("at most 48"));
        assert!(check_tags(&many[..48]).is_ok());
    }
}
