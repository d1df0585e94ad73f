use clap::Parser;
use pinpoint_iam_wizard::cli::{self, Cli};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.command.is_none() {
        eprintln!("The interactive wizard is not built yet: use `pinpoint-iam-wizard plan|apply|destroy --help`.");
        return ExitCode::from(2);
    }
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
