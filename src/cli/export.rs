//! `export`: the setup as a CloudFormation template, an AWS CLI script, Terraform or bare documents. Needs no
//! credentials: the account id comes from `--account-id`, or from STS when credentials work.

use super::{CliError, SetupValues};
use crate::aws::{Aws, AwsError, ConnectError, Connection};
use crate::export::{self, ExportError, ExportFormat, Origin, WriteError};
use crate::setup::{AccountId, Region};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub values: SetupValues,
    /// What to export for: cloudformation (one template), cli (a bash script of aws iam calls), terraform, or
    /// documents (every policy and trust document as JSON).
    #[arg(long = "as", value_name = "FORMAT", value_enum)]
    pub format: ExportAs,
    /// Where to write: a file for cloudformation (`-`: standard output), a directory for the others.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Overwrite an existing --out.
    #[arg(long)]
    pub force: bool,
}

impl std::ops::Deref for ExportArgs {
    type Target = SetupValues;
    fn deref(&self) -> &SetupValues {
        &self.values
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportAs {
    Cloudformation,
    Cli,
    Terraform,
    Documents,
}

impl From<ExportAs> for ExportFormat {
    fn from(a: ExportAs) -> Self {
        match a {
            ExportAs::Cloudformation => ExportFormat::CloudFormation,
            ExportAs::Cli => ExportFormat::Cli,
            ExportAs::Terraform => ExportFormat::Terraform,
            ExportAs::Documents => ExportFormat::Documents,
        }
    }
}

fn write_error(e: WriteError) -> CliError {
    if e.is_usage() { CliError::Usage(e.to_string()) } else { CliError::Aws(e.to_string()) }
}

/// Whether `--out -` asks for standard output, as is the habit of command-line tools; it takes one file, so a
/// format that writes a directory is refused (`./-` names a file called `-`).
fn to_stdout(args: &ExportArgs, format: ExportFormat) -> Result<bool, CliError> {
    if args.out.as_os_str() != "-" {
        return Ok(false);
    }
    if format.is_single_file() {
        return Ok(true);
    }
    Err(CliError::Usage(format!(
        "invalid --out \"-\": standard output takes one file, and the {} export is a directory of files; name a \
         directory",
        format.as_str()
    )))
}

/// Export the setup; nothing is sent to AWS but, without `--account-id`, STS `GetCallerIdentity`.
pub async fn run_export(conn: &Connection, args: ExportArgs) -> Result<(), CliError> {
    let format = ExportFormat::from(args.format);
    let stdout = to_stdout(&args, format)?;
    if !stdout {
        let suggested = format!("pinpoint-iam-{}.yaml", args.setup);
        export::check_out(&args.out, format, &suggested, args.force).map_err(write_error)?;
    }

    // The configuration is loaded only when the export needs a Region or an account it was not given (loading
    // sends no request, but may ask instance metadata for a Region): a template needs neither.
    let wants_account = format.needs_account() && args.account_id.is_none();
    let loaded = if wants_account || (format.needs_region() && conn.region.is_none()) {
        Some(Aws::load(conn).await)
    } else {
        None
    };
    let region = match (&conn.region, &loaded) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(Ok(aws))) => Some(aws.region.clone()),
        (None, _) => None,
    };
    let region = match region {
        Some(r) => r,
        None if format.needs_region() && args.setup.uses("region", args.tighten, args.harden) => {
            let documents = if args.tighten { "tightened documents" } else { "documents" };
            return Err(CliError::Usage(format!(
                "missing --region: the {} setup's {documents} name the Region (of its Pinpoint resources); pass \
                 --region (or set AWS_REGION)",
                args.setup
            )));
        }
        None => {
            if format.needs_account() {
                crate::say!("No Region configured: us-east-1 assumed (partition aws); pass --region for another.");
            }
            Region::parse("--region", "us-east-1")?
        }
    };
    let placeholder = AccountId::parse("--account-id", "000000000000")?;
    let mut params = args.values.params(args.account_id.clone().unwrap_or(placeholder), region)?;

    if let (true, Some(loaded)) = (wants_account, loaded) {
        params.account = account_from_sts(conn, loaded, &params.region, format).await?;
    }

    let files = export::render(&params, format, &Origin::now()).map_err(|e| match e {
        ExportError::Setup(e) => CliError::from(e),
    })?;
    let text = if stdout {
        files.iter().map(|f| f.contents.as_str()).collect()
    } else {
        let written = export::write(&args.out, format, &files, args.force).map_err(write_error)?;
        written.iter().map(|path| format!("wrote {}\n", path.display())).collect::<String>()
    };
    super::output::deliver(text.as_bytes()).map_err(|_| CliError::Quiet)
}

/// The caller's account, from STS, for an export that names it and was not given `--account-id`.
async fn account_from_sts(
    conn: &Connection,
    loaded: Result<Aws, ConnectError>,
    region: &Region,
    format: ExportFormat,
) -> Result<AccountId, CliError> {
    // With no Region configured, STS is asked in the Region the export assumed.
    let loaded = match loaded {
        Err(ConnectError::Aws(AwsError::NoRegion)) => {
            Aws::load(&Connection { region: Some(region.clone()), ..conn.clone() }).await
        }
        other => other,
    };
    let why = match &loaded {
        Ok(aws) => match aws.identity().await {
            Ok(id) => {
                crate::say!("Account {} from STS (the caller is {}).", id.account, id.arn);
                return Ok(id.account);
            }
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    Err(CliError::Usage(format!(
        "missing --account-id: the {} export names the account in its documents, and STS could not tell it \
         ({why}); pass --account-id ID",
        format.as_str()
    )))
}
